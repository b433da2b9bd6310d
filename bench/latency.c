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

/* The latencies: connects, keystrokes and split writes. */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* 1 byte out, the guest echoes, 1 byte back. */
static int
keystroke(struct relay *r, struct conn *c, unsigned char b)
{
	double	 t0;

	t0 = now_us();
	if (write(c->fd, &b, 1) != 1 || echo_until(r, c, b) == -1)
		return -1;
	add(&r->s[F_KEY], now_us() - t0);
	return 0;
}

/* Until the client has the n bytes at p; -1 if others or none came. */
static int
receive(struct conn *c, const unsigned char *p, size_t n)
{
	unsigned char	 buf[4096];
	struct pollfd	 pfd;
	ssize_t		 got, k;

	for (got = 0; got < (ssize_t)n; got += k) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, TIMEOUT) <= 0)
			return -1;
		k = cread(c, buf, sizeof(buf));
		if (k == -1 && errno == EAGAIN)
			k = 0;
		else if (k <= 0 || got + k > (ssize_t)n)
			return -1;
		if (memcmp(buf, p + got, k) != 0)
			return -1;
	}
	return 0;
}

/*
 * The guest writes 2 * SPLIT bytes in two writes: back to back, until
 * the client has all; then apart, the second as soon as the client has
 * the first, until the client has the second.  Back to back, a relay
 * mostly reads both at once; apart, it always reads them one by one,
 * and the second meets whatever the first left in the relay's TCP.
 */
static int
split_write(struct relay *r, struct conn *c, int i)
{
	const unsigned char *p = pat + (i * 97) % (PATLEN - 2 * SPLIT);
	double	 t0;

	t0 = now_us();
	if (write(r->master, p, SPLIT) != SPLIT ||
	    write(r->master, p + SPLIT, SPLIT) != SPLIT ||
	    receive(c, p, 2 * SPLIT) == -1)
		return -1;
	add(&r->s[F_SPLIT], now_us() - t0);
	if (write(r->master, p, SPLIT) != SPLIT || receive(c, p, SPLIT) == -1)
		return -1;
	t0 = now_us();
	if (write(r->master, p + SPLIT, SPLIT) != SPLIT ||
	    receive(c, p + SPLIT, SPLIT) == -1)
		return -1;
	add(&r->s[F_APART], now_us() - t0);
	return 0;
}

/*
 * The latencies, every relay in turn, one sample each (A B C, then B C
 * A, C A B, ...): connects, then keystrokes and split writes, each relay
 * on a connection of its own held open meanwhile.  A moment of noise on
 * the shared machine lasts long enough to cover thousands of one relay's
 * samples taken in a row; taken in turn, it lands on all of them alike.
 */
void
latency_rounds(void)
{
	struct conn	 c[NKIND];
	double		 t;
	int		 ok[NKIND], i, j, k;

	for (i = 0; i < nrelay; i++)
		ok[i] = 1;
	/* the last connect of each relay is kept for what follows */
	for (k = 0; k <= connects; k++)
		for (j = 0; j < nrelay; j++) {
			i = (j + k) % nrelay;
			if (!ok[i])
				continue;
			if ((t = connect_once(&relays[i], &c[i],
			    k == connects)) >= 0) {
				add(&relays[i].s[F_CONNECT], t);
				continue;
			}
			warnx("%s: connect %d failed", relays[i].name, k);
			relays[i].failed++;
			ok[i] = 0;
		}
	for (k = 0; k < keys + splits; k++)
		for (j = 0; j < nrelay; j++) {
			i = (j + k) % nrelay;
			if (!ok[i] || (k < keys ? keystroke(&relays[i], &c[i],
			    'a' + k % 26) : split_write(&relays[i], &c[i],
			    k - keys)) == 0)
				continue;
			warnx("%s: %s failed", relays[i].name, k < keys ?
			    "keystrokes" : "split writes");
			relays[i].failed++;
			close(c[i].fd);
			ok[i] = 0;
		}
	for (i = 0; i < nrelay; i++)
		if (ok[i])
			conn_close(&relays[i], &c[i]);
}
