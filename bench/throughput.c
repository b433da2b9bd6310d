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
 * A session of throughput: the pattern each way through a relay, checked
 * byte for byte, with the CPU time and the memory of the processes that
 * serve it.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/*
 * Move total bytes from wfd to rfd (read through c when rc), checked;
 * silent: a logger may skip bytes without a word.
 */
static double
stream(int wfd, int rfd, struct conn *rc, size_t total, int silent,
    size_t *skipped)
{
	static unsigned char	 buf[262144];
	struct pollfd		 pfd[2];
	struct check		 k;
	size_t			 sent = 0, woff, len;
	double			 t0, last;
	ssize_t			 n;

	memset(&k, 0, sizeof(k));
	k.silent = silent;
	t0 = last = now_us();
	while (k.got < total) {
		pfd[0].fd = sent < total ? wfd : -1;
		pfd[0].events = POLLOUT;
		pfd[1].fd = rfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 100) == -1 && errno != EINTR)
			return -1;
		if (now_us() - last > TIMEOUT * 1e3) {
			warnx("stalled at %zu of %zu bytes", k.got, total);
			return -1;
		}
		if (pfd[0].revents & POLLOUT) {
			woff = sent % PATLEN;
			len = PATLEN - woff;
			if (len > 65536)
				len = 65536;
			if (len > total - sent)
				len = total - sent;
			if ((n = write(wfd, pat + woff, len)) > 0)
				sent += n;
		}
		if (pfd[1].revents) {
			if (rc != NULL)
				n = cread(rc, buf, sizeof(buf));
			else
				n = read(rfd, buf, sizeof(buf));
			if (n == 0) {
				warnx("stream: EOF after %zu bytes", k.got);
				return -1;
			}
			if (n == -1 && errno != EAGAIN && errno != EIO) {
				warn("stream: after %zu bytes", k.got);
				return -1;
			}
			if (n > 0) {
				k.sent = sent;
				if (check_feed(&k, buf, n) == -1) {
					warnx("data differ at byte %zu", k.got);
					return -1;
				}
				last = now_us();
			}
		}
	}
	*skipped = k.skipped;
	return (now_us() - t0) / 1e6;
}

void
one_session(struct relay *r)
{
	struct conn	 c;
	double		 cpu0, log0 = 0, secs;
	size_t		 total = (size_t)mib << 20, skipped;
	long		 v, sum, priv, pss;
	int		 i;

	if (connect_once(r, &c, 1) < 0) {
		warnx("%s: connect failed", r->name);
		goto fail;
	}
	find_pids(r, &c);

	cpu0 = pids_cpu(r, &c);
	if (r->logger > 0)
		log0 = cpu_ms(r->logger);
	if ((secs = stream(r->master, c.fd, &c, total, r->logger > 0,
	    &skipped)) < 0)
		goto failc;
	add(&r->s[F_G2C], (total - skipped) / 1048576.0 / secs);
	if (r->logger > 0)
		add(&r->s[F_LOST], 100.0 * skipped / total);
	if (r->kind != K_DIRECT)
		add(&r->s[F_CPUG2C], (pids_cpu(r, &c) - cpu0) / mib);
	if (r->logger > 0)
		add(&r->s[F_CPULOG], (cpu_ms(r->logger) - log0) / mib);
	cpu0 = pids_cpu(r, &c);
	if ((secs = stream(c.fd, r->master, NULL, total, 0, &skipped)) < 0)
		goto failc;
	add(&r->s[F_C2G], mib / secs);
	if (r->kind != K_DIRECT)
		add(&r->s[F_CPUC2G], (pids_cpu(r, &c) - cpu0) / mib);

	if (c.npid > 0) {
		sum = priv = pss = 0;
		for (i = 0; i < c.npid; i++) {
			if ((v = status_kb(c.pids[i], "VmHWM")) > 0)
				sum += v;
			if ((v = private_kb(c.pids[i])) > 0)
				priv += v;
			if ((v = pss_kb(c.pids[i])) > 0)
				pss += v;
		}
		add(&r->s[F_RSS], sum);
		add(&r->s[F_PRIV], priv);
		add(&r->s[F_PSS], pss);
	}
	if (r->logger > 0)
		add(&r->s[F_LOGHWM], status_kb(r->logger, "VmHWM"));
	conn_close(r, &c);
	return;
failc:
	close(c.fd);
fail:
	warnx("%s: a session failed", r->name);
	r->failed++;
}
