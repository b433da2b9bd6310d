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
 * start of the session and after CR or LF from the client. What follows
 * it is looked up in command.c's table.
 */

#include <sys/types.h>

#include "conslet.h"

enum {
	ESC_BOL,	/* at the start of a line */
	ESC_MID,	/* inside a line */
	ESC_SEEN	/* escape character seen at the start of a line */
};

void
escape_init(struct escape *e, int ch)
{
	e->ch = ch;
	e->state = ESC_BOL;
}

/*
 * Pass the client's bytes to the device, taking out escapes. Runs of
 * plain bytes go in one piece; the loop stops early if a command ends
 * the session.
 */
void
escape_input(struct session *s, const unsigned char *p, size_t n)
{
	struct escape	*e = &s->esc;
	unsigned char	 c, ch;
	size_t		 i, run;

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
			if (command_run(s, c)) {
				e->state = ESC_BOL;
				run = i + 1;
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
