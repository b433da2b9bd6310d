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
 * The escape commands: one table, which the escape parser dispatches from
 * and ~? prints, and the actions, which a telnet client's BRK and AYT
 * reach too.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "conslet.h"

static void	 cmd_disconnect(struct session *);
static void	 cmd_break(struct session *);
static void	 cmd_who(struct session *);
static void	 cmd_replay(struct session *);

static const struct command {
	int		 key;		/* 0: the escape character itself */
	int		 ro;		/* allowed when read-only */
	const char	*help;
	void		(*fn)(struct session *);
} cmds[] = {
	{ '.', 1, "disconnect",				cmd_disconnect },
	{ '?', 1, "show this help",			command_help },
	{ 'B', 0, "send a BREAK",			cmd_break },
	{ 'w', 1, "show who is on the console",	cmd_who },
	{ 'r', 1, "replay recent output",		cmd_replay },
	{ 'f', 1, "take write access",			access_take },
	{ 0,   0, "send the escape character",		NULL },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void
cmd_disconnect(struct session *s)
{
	session_end(s, END_ESCAPE);
}

/* A BREAK, or CR ~ ^B where the line cannot send one (or -A). */
static void
cmd_break(struct session *s)
{
	switch (line_break(s->dev, s->altbreak)) {
	case BRK_SENT:
		session_notice(s, "BREAK sent");
		session_note(s, "BREAK by %s", s->me.peer);
		break;
	case BRK_ALT:
		session_send(s, "\r~\002", 3);
		session_notice(s, "BREAK sent as CR ~ ^B");
		session_note(s, "BREAK sent as CR ~ ^B by %s", s->me.peer);
		break;
	default:
		session_notice(s, "BREAK failed: %s", strerror(errno));
		break;
	}
}

/* With a logger, it tells us the writer and the viewers. */
static void
cmd_who(struct session *s)
{
	char	 since[32];

	if (s->ctl != -1 && share_who(s) == 0)
		return;
	holder_since(&s->me, since, sizeof(since));
	session_notice(s, "%s: writer %s (pid %ld) since %s (you)",
	    s->con->name, s->me.peer, (long)s->me.pid, since);
}

static void
cmd_replay(struct session *s)
{
	if (s->ctl == -1)
		session_notice(s, "no replay: no logger keeps this console");
	else
		share_replay(s);
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
command_help(struct session *s)
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
 * The escape character and then key: run its command, or refuse it to a
 * read-only client. 0 when key is no command.
 */
int
command_run(struct session *s, int key)
{
	size_t	 i;

	for (i = 0; i < NCMDS; i++)
		if (cmds[i].key == key && cmds[i].fn != NULL)
			break;
	if (i == NCMDS)
		return 0;
	if (s->readonly && !cmds[i].ro)
		session_notice(s, "read-only: %c%c is not allowed", s->esc.ch,
		    key);
	else
		cmds[i].fn(s);
	return 1;
}

/* A telnet BRK: ~B by another name. */
void
command_break(struct session *s)
{
	if (s->readonly)
		session_notice(s, "read-only: BREAK is not allowed");
	else
		cmd_break(s);
}

/* A telnet AYT. */
void
command_ayt(struct session *s)
{
	session_notice(s, "yes, %s is here", s->con->name);
}
