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
 * libFuzzer target: the logger's request parser (ctl_parse), which reads
 * what any member of the run directory's group may send. Whatever comes,
 * it must not overrun, and what it accepts must be what ctl.h says: text
 * of printable ASCII that fits, counts within the bound, and a request
 * that, written out again the way conslet writes it, parses the same.
 */

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAXREPLAY	(64 * 1024 * 1024)

static void
check_text(const char *t)
{
	size_t	 i, n = strlen(t);

	assert(n > 0 && n < CTL_TEXT);
	for (i = 0; i < n; i++)
		assert(t[i] >= 0x20 && t[i] <= 0x7e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request	 r, again;
	char		*copy, out[CTL_LEN * 2];
	int		 type, n = 0;

	/* exactly size bytes, not NUL-terminated: the parser takes a length */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	type = ctl_parse(copy, size, &r, MAXREPLAY);
	assert(type == r.type);
	switch (type) {
	case REQ_BAD:
		break;
	case REQ_JOIN:
		check_text(r.text);
		assert(r.replay <= MAXREPLAY);
		n = snprintf(out, sizeof(out), "join %c%s %zu %s",
		    r.writer ? 'w' : 'r', r.quiet ? "q" : "", r.replay, r.text);
		break;
	case REQ_MODE:
		assert(!r.quiet);
		n = snprintf(out, sizeof(out), "mode %c", r.writer ? 'w' : 'r');
		break;
	case REQ_REPLAY:
		assert(r.replay <= MAXREPLAY);
		n = snprintf(out, sizeof(out), "replay %zu", r.replay);
		break;
	case REQ_NOTE:
		check_text(r.text);
		n = snprintf(out, sizeof(out), "note %s", r.text);
		break;
	case REQ_WHO:
		n = snprintf(out, sizeof(out), "who");
		break;
	default:
		abort();
	}
	if (type != REQ_BAD) {
		assert(n > 0 && (size_t)n < sizeof(out));
		assert(ctl_parse(out, n, &again, MAXREPLAY) == type);
		assert(again.writer == r.writer && again.replay == r.replay &&
		    again.quiet == r.quiet &&
		    strcmp(again.text, r.text) == 0);
		/* no NUL, no control byte was accepted from the input */
		assert(memchr(copy, '\0', size) == NULL);
	}
	free(copy);
	return 0;
}
