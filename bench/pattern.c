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
 * The test data, and checking a stream against it.  A logger tells a
 * client that fell more than its ring behind "[conslet: N bytes
 * skipped]" and goes on N bytes later: that is counted as skipped, not
 * as a difference.  A quiet client (conslet -E) is told nothing: where
 * the check allows it, a stream that goes on further in the pattern is
 * counted as skipped too.
 */

#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define RESYNC	64	/* bytes that must match where a silent skip ends */

unsigned char	*pat;

/* No IAC and no CR: the same bytes pass every relay unchanged. */
void
pattern_init(void)
{
	uint32_t	 x = 2463534242u;
	int		 i;

	/* RESYNC bytes more, the first ones again: no search wraps */
	if ((pat = malloc(PATLEN + RESYNC)) == NULL)
		errx(1, "out of memory");
	for (i = 0; i < PATLEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pat[i] = x >> 24;
		if (pat[i] == 0xff || pat[i] == '\r')
			pat[i] ^= 0x40;
	}
	memcpy(pat + PATLEN, pat, RESYNC);
}

/*
 * Where the stream goes on with the RESYNC bytes at p, after a skip: the
 * last place from got on, and not past sent, that the pattern has them.
 * 0 if nowhere.
 */
static size_t
resync(const unsigned char *p, size_t got, size_t sent)
{
	size_t	 s, q;

	for (s = sent; s > got; s--) {
		q = s % PATLEN;
		if (pat[q] == p[0] && memcmp(pat + q, p, RESYNC) == 0)
			return s;
	}
	return 0;
}

/* A skip notice at p: its length, 0 if p[0..n) may be its start, -1. */
static long
skip_notice(const unsigned char *p, size_t n, size_t *count)
{
	static const char	 head[] = "[conslet: ", tail[] = " bytes skipped]\r\n";
	size_t			 i = 0, j;

	if (n >= 1 && p[0] == '\r')
		i = p[1 < n ? 1 : 0] == '\n' || n == 1 ? 2 : 0;
	for (j = 0; head[j] != '\0'; j++, i++) {
		if (i >= n)
			return 0;
		if (p[i] != (unsigned char)head[j])
			return -1;
	}
	*count = 0;
	for (j = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, j++)
		*count = *count * 10 + (p[i] - '0');
	if (i >= n)
		return 0;
	if (j == 0)
		return -1;
	for (j = 0; tail[j] != '\0'; j++, i++) {
		if (i >= n)
			return 0;
		if (p[i] != (unsigned char)tail[j])
			return -1;
	}
	return i;
}

static int
check_run(struct check *k, const unsigned char *p, size_t n)
{
	size_t	 roff, len, i, cnt, q;
	long	 nl;

	while (n > 0) {
		roff = k->got % PATLEN;
		len = PATLEN - roff;
		if (len > n)
			len = n;
		if (memcmp(p, pat + roff, len) == 0) {
			k->got += len;
			p += len;
			n -= len;
			continue;
		}
		for (i = 0; p[i] == pat[roff + i]; i++)
			;
		k->got += i;
		p += i;
		n -= i;
		if ((nl = skip_notice(p, n, &cnt)) == -1) {
			if (!k->silent)
				return -1;
			if (n < RESYNC)		/* too little to tell yet */
				nl = 0;
			else if ((q = resync(p, k->got, k->sent)) == 0)
				return -1;
			else			/* skipped, and not told */
				cnt = q - k->got;
			if (nl == -1) {
				k->got += cnt;
				k->skipped += cnt;
				k->silenced++;
				continue;
			}
		}
		if (nl == 0) {			/* keep it for the next read */
			if (n > sizeof(k->carry))
				return -1;
			memcpy(k->carry, p, n);
			k->ncarry = n;
			return 0;
		}
		k->got += cnt;
		k->skipped += cnt;
		p += nl;
		n -= nl;
	}
	return 0;
}

int
check_feed(struct check *k, const unsigned char *p, size_t n)
{
	static unsigned char	 joined[sizeof(k->carry) + 262144];
	size_t			 c = k->ncarry;

	if (c == 0)
		return check_run(k, p, n);
	if (n > sizeof(joined) - c)
		return -1;
	memcpy(joined, k->carry, c);
	memcpy(joined + c, p, n);
	k->ncarry = 0;
	return check_run(k, joined, c + n);
}
