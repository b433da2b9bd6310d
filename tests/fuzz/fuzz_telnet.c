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
 * libFuzzer target: the telnet decoder (telnet_input), and through it the
 * escape parser and RFC 2217 (comport_sb), then the encoder toward the
 * client (telnet_output) on the same bytes.
 *
 * Input: a flags byte, a chunk size byte (0: all at once; the decoder is
 * fed chunk by chunk, as reads would cut the stream), then the client's
 * bytes. Flags: 0x01 -p, 0x02 read-only, 0x04 -A, 0x08 -E, 0x30 the
 * device (DEV_*), 0x40 a logger runs, 0x80 ^] as the escape character.
 *
 * Besides the sanitizers and the stubs' checks: the decoder's state stays
 * in bounds, it answers no more negotiations than it was sent (RFC 1143:
 * no loops), and what the encoder makes decodes back to its input, with
 * every CR followed by NUL or LF in non-binary mode; at the end, the line
 * is out of BREAK and DTR and RTS are as they were.
 */

#include <sys/ioctl.h>

#include <arpa/telnet.h>
#include <stdint.h>

#include "fuzz_common.h"

#define Q_STATE	3
#define Q_YES	1

static void
check_state(const struct session *s)
{
	size_t	 i;

	if (s->tn.sblen > SB_LEN)
		fuzz_fail("subnegotiation longer than its buffer");
	if (s->tn.state < 0 || s->tn.state > 7)
		fuzz_fail("decoder state out of range");
	for (i = 0; i < 256; i++)
		if (s->tn.us[i] > 7 || s->tn.them[i] > 7)
			fuzz_fail("option state out of range");
}

/* Encode p in chunks, then decode what came out and compare. */
static void
check_output(struct session *s, const uint8_t *p, size_t n, size_t chunk)
{
	static unsigned char	 all[2 * 4096 + 4096];
	unsigned char		*out;
	size_t			 i, k, o, len = 0, d;
	int			 bin;

	if (n > 4096)
		n = 4096;
	bin = (s->tn.us[0] & Q_STATE) == Q_YES;
	s->tn.outcr = 0;
	for (i = 0; i < n; i += k) {
		k = chunk == 0 || chunk > n - i ? n - i : chunk;
		/* exactly what relay.c allows for: 2 * n + 1 */
		if ((out = malloc(2 * k + 1)) == NULL)
			abort();
		o = telnet_output(s, p + i, k, out);
		if (o > 2 * k + 1)
			fuzz_fail("telnet_output: more than 2 * n + 1");
		memcpy(all + len, out, o);
		len += o;
		free(out);
	}
	/* decode: IAC IAC is 0xff; not binary, CR NUL is CR */
	for (i = d = 0; i < len; i++, d++) {
		if (d >= n)
			fuzz_fail("telnet_output: more data than given");
		if (all[i] != p[d])
			fuzz_fail("telnet_output: decodes to other bytes");
		if (all[i] == IAC) {
			if (i + 1 >= len || all[i + 1] != IAC)
				fuzz_fail("telnet_output: IAC not doubled");
			i++;
		} else if (all[i] == '\r' && !bin && i + 1 < len) {
			if (all[i + 1] != '\0' && all[i + 1] != '\n')
				fuzz_fail("telnet_output: CR alone");
			if (all[i + 1] == '\0')
				i++;
		}
	}
	if (d != n)
		fuzz_fail("telnet_output: bytes lost");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session	*s;
	size_t		 chunk, i, k, n, asked;
	int		 flags;

	if (size < 2)
		return 0;
	flags = data[0];
	chunk = data[1];
	data += 2;
	size -= 2;

	s = fuzz_session((flags >> 4) & 3, flags & 0x02, (flags & 0x04) != 0,
	    flags & 0x40, flags & 0x08 ? -1 : flags & 0x80 ? 0x1d : '~');
	s->tn.on = 1;
	s->cp.allowed = flags & 0x01;
	telnet_start(s);
	stub_collect(s);
	if (stub.negotiations != 5 || stub.replied != 15)
		fuzz_fail("telnet_start: not the 5 offers");
	check_state(s);

	/* at most one answer per negotiation received */
	for (i = 0, asked = 5; i + 1 < size; i++)
		if (data[i] == IAC && data[i + 1] >= WILL && data[i + 1] <= DONT)
			asked++;

	for (i = 0; i < size && s->end == END_NONE; i += k) {
		k = chunk == 0 || chunk > size - i ? size - i : chunk;
		stub_begin(k);
		telnet_input(s, data + i, k);
		stub_collect(s);
		check_state(s);
		if (stub.negotiations > asked)
			fuzz_fail("more negotiation answers than requests");
	}
	n = s->end == END_NONE ? size : i;
	check_output(s, data, n, chunk);

	/* the session ends: what the client did to the line is undone */
	comport_release(s, 0);
	if (stub.brk)
		fuzz_fail("the line is left in BREAK");
	if (stub.device == DEV_SERIAL && (stub.modem & (TIOCM_DTR | TIOCM_RTS))
	    != (TIOCM_DTR | TIOCM_RTS))
		fuzz_fail("DTR or RTS is not put back");
	return 0;
}
