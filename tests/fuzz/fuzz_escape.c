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
 * libFuzzer target: the escape parser (escape_input), fed chunk by chunk,
 * its output for the device compared with a model of the manual's rules.
 *
 * Input: a flags byte, a chunk size byte (0: all at once), an escape
 * character byte, then the client's bytes. Flags: 0x03 the escape
 * character (0 "~", 1 none (-E), 2 "^]", 3 the escape character byte),
 * 0x04 read-only, 0x08 -A, 0x10 a logger runs, 0x60 the device (DEV_*).
 */

#include <stdint.h>

#include "fuzz_common.h"

enum { BOL, MID, SEEN };

/*
 * The manual: the escape character is special at the start of the
 * session and after CR or LF; ~~ sends one ~; ~. ~? ~B ~w ~r ~f are
 * commands (~B only for a writer); any other ~x sends both bytes.
 */
static size_t
model(const uint8_t *p, size_t n, int esc, int readonly, int brkalt,
    unsigned char *out)
{
	size_t	 i, o = 0;
	int	 state = BOL, c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (esc == -1) {
			out[o++] = c;
			continue;
		}
		if (state == SEEN) {
			state = MID;
			if (c == esc) {
				out[o++] = c;
				continue;
			}
			if (strchr(".?Bwrf", c) != NULL && c != '\0') {
				state = BOL;
				if (c == '.')
					break;
				if (c == 'B' && !readonly && brkalt) {
					out[o++] = '\r';
					out[o++] = '~';
					out[o++] = '\002';
				}
				continue;
			}
			out[o++] = esc;
		} else if (state == BOL && c == esc) {
			state = SEEN;
			continue;
		}
		out[o++] = c;
		state = c == '\r' || c == '\n' ? BOL : MID;
	}
	return readonly ? 0 : o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 want[4 * 4096];
	struct session		*s;
	size_t			 chunk, i, k, n;
	int			 flags, esc, device, brkalt;

	if (size < 3 || size > 3 + 4096)
		return 0;
	flags = data[0];
	chunk = data[1];
	switch (flags & 3) {
	case 0: esc = '~'; break;
	case 1: esc = -1; break;
	case 2: esc = 0x1d; break;
	default: esc = data[2]; break;
	}
	data += 3;
	size -= 3;
	device = (flags >> 5) & 3;
	s = fuzz_session(device, flags & 0x04, (flags & 0x08) != 0,
	    flags & 0x10, esc);

	for (i = 0; i < size && s->end == END_NONE; i += k) {
		k = chunk == 0 || chunk > size - i ? size - i : chunk;
		stub_begin(k);
		escape_input(s, data + i, k);
		stub_collect(s);
	}
	if (s->end != END_NONE && s->end != END_ESCAPE)
		fuzz_fail("the session ended, and not by ~.");
	/* a BREAK the line cannot send is sent as CR ~ ^B */
	brkalt = (flags & 0x08) || device == DEV_NMDM;
	n = model(data, size, esc, s->readonly, brkalt, want);
	if (n != stub.nsent || memcmp(want, stub.sent, n) != 0) {
		fprintf(stderr, "device got %zu bytes, the model %zu\n",
		    stub.nsent, n);
		fuzz_fail("escape_input: not what the manual says");
	}
	return 0;
}
