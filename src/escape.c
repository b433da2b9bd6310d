/*
 * Copyright (c) 2026 The conslet authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * Escapes, cu and ssh style: the escape character is special only at the
 * start of the session and after CR or LF from the client. The table below
 * is the whole command set: the parser dispatches from it and ~? prints it.
 */

#include <sys/types.h>

#include <stdio.h>

#include "conslet.h"

enum {
	ESC_BOL,	/* at the start of a line */
	ESC_MID,	/* inside a line */
	ESC_SEEN	/* escape character seen at the start of a line */
};

static void	 cmd_disconnect(struct session *);
static void	 cmd_help(struct session *);
static void	 cmd_break(struct session *);
static void	 cmd_who(struct session *);
static void	 cmd_replay(struct session *);
static void	 cmd_force(struct session *);

static const struct esccmd {
	int		 key;		/* 0: the escape character itself */
	int		 ro;		/* allowed when read-only */
	const char	*help;
	void		(*fn)(struct session *);
} cmds[] = {
	{ '.', 1, "disconnect",				cmd_disconnect },
	{ '?', 1, "show this help",			cmd_help },
	{ 'B', 0, "send a BREAK",			cmd_break },
	{ 'w', 1, "show who is on the console",	cmd_who },
	{ 'r', 1, "replay recent output",		cmd_replay },
	{ 'f', 1, "take write access",			cmd_force },
	{ 0,   0, "send the escape character",		NULL },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

void
escape_init(struct escape *e, int ch)
{
	e->ch = ch;
	e->state = ESC_BOL;
}

static void
cmd_disconnect(struct session *s)
{
	s->end = END_ESCAPE;
}

static void
cmd_help(struct session *s)
{
	escape_help(s);
}

static void
cmd_break(struct session *s)
{
	session_break(s);
}

static void
cmd_who(struct session *s)
{
	session_who(s);
}

static void
cmd_replay(struct session *s)
{
	if (s->ctl == -1)
		session_notice(s, "no replay: no logger keeps this console");
	else
		share_replay(s);
}

static void
cmd_force(struct session *s)
{
	share_take(s);
}

static const struct esccmd *
lookup(int c)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		if (cmds[i].key == c && cmds[i].fn != NULL)
			return &cmds[i];
	return NULL;
}

/* "~", or "^]" for a control character. */
static void
keyname(char *buf, size_t len, int c)
{
	if (c < 0x20 || c == 0x7f)
		snprintf(buf, len, "^%c", c ^ 0x40);
	else
		snprintf(buf, len, "%c", c);
}

void
escape_help(struct session *s)
{
	char	 esc[4], key[4];
	size_t	 i;

	keyname(esc, sizeof(esc), s->esc.ch);
	for (i = 0; i < NCMDS; i++) {
		keyname(key, sizeof(key), cmds[i].key ? cmds[i].key :
		    s->esc.ch);
		session_notice(s, "%s%s  %s", esc, key, cmds[i].help);
	}
}

/*
 * Pass the client's bytes to the device, taking out escapes. Runs of
 * plain bytes go in one piece; the loop stops early if a command ends
 * the session.
 */
void
escape_input(struct session *s, const unsigned char *p, size_t n)
{
	struct escape		*e = &s->esc;
	const struct esccmd	*cmd;
	unsigned char		 c, ch;
	size_t			 i, run;

	if (e->ch == -1) {
		session_send(s, p, n);
		return;
	}
	ch = e->ch;
	for (i = run = 0; i < n && s->end == END_NONE; i++) {
		c = p[i];
		if (e->state == ESC_SEEN) {
			e->state = ESC_MID;
			if (c == ch) {			/* ~~: one ~ */
				run = i;
				continue;
			}
			if ((cmd = lookup(c)) != NULL) {
				e->state = ESC_BOL;
				run = i + 1;
				if (s->readonly && !cmd->ro)
					session_notice(s, "read-only: %c%c is "
					    "not allowed", ch, c);
				else
					cmd->fn(s);
				continue;
			}
			/* not a command: the ~ and this byte both pass */
			session_send(s, &ch, 1);
			run = i;
		} else if (e->state == ESC_BOL && c == ch) {
			session_send(s, p + run, i - run);
			e->state = ESC_SEEN;
			run = i + 1;
			continue;
		}
		e->state = (c == '\r' || c == '\n') ? ESC_BOL : ESC_MID;
	}
	if (i > run)
		session_send(s, p + run, i - run);
}
