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
 * Fan-out through conslog: viewers (conslet -r) on one console, no
 * writer; the guest writes flat out or at a paced rate, and each viewer
 * must get every byte.
 */

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

static const char	 marker[] = "\n<<bench-sync>>\n";

struct viewer {
	struct conn	 c;
	int		 state;		/* bytes of marker matched, -1 after */
	struct check	 k;
	int		 bad;
	double		 done;
};

static int
who_count(const char *cname)
{
	char	 path[PATH_MAX], line[512];
	FILE	*f;
	int	 n = 0;

	snprintf(path, sizeof(path), "%s/%s.who", rundir, cname);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

static void
viewer_take(struct viewer *v, unsigned char *p, size_t n, size_t total,
    double t)
{
	size_t	 i = 0;

	while (v->state >= 0 && i < n) {
		if (p[i] == (unsigned char)marker[v->state])
			v->state++;
		else
			v->state = p[i] == (unsigned char)marker[0];
		i++;
		if (v->state == (int)sizeof(marker) - 1)
			v->state = -1;
	}
	if (v->state >= 0 || i == n || v->bad)
		return;
	if (check_feed(&v->k, p + i, n - i) == -1 || v->k.got > total) {
		v->bad = 1;
		return;
	}
	if (v->k.got == total)
		v->done = t;
}

/* nview viewers; the guest writes flat out (rate 0) or at rate KiB/s. */
void
fanout(struct relay *r, int nview, int rate)
{
	static unsigned char	 buf[65536];
	struct viewer		*v;
	struct pollfd		*pfd;
	size_t			 total = (size_t)fanmib << 20, sent = 0;
	double			 t0, t, last, blocked = 0, bstart = 0, due;
	double			 vmin = -1, vsum = 0;
	size_t			 skipped = 0;
	long			 eagain = 0;
	int			 i, complete = 0, bad = 0, attached;
	ssize_t			 n;

	v = calloc(nview, sizeof(*v));
	pfd = calloc(nview + 1, sizeof(*pfd));
	if (v == NULL || pfd == NULL)
		errx(1, "out of memory");
	for (i = 0; i < nview; i++) {
		v[i].k.silent = 1;	/* conslet -E hears of no skip */
		v[i].c.fd = tcp_connect(r->vport);
		if (v[i].c.fd == -1)
			errx(1, "viewer %d: cannot connect", i);
	}
	t = now_us() + TIMEOUT * 1e3;
	while ((attached = who_count(r->cname)) < nview && now_us() < t)
		usleep(5000);
	if (attached < nview)
		warnx("fan-out: only %d of %d viewers attached", attached,
		    nview);
	usleep(100000);		/* the join notices go by */
	if (write(r->master, marker, sizeof(marker) - 1) !=
	    (ssize_t)sizeof(marker) - 1)
		err(1, "marker");

	t0 = last = now_us();
	while (complete + bad < nview) {
		t = now_us();
		if (t - last > 3e6)
			break;		/* nothing moved for 3 s */
		due = rate > 0 ? (t - t0) / 1e6 * rate * 1024 : total;
		pfd[0].fd = sent < total && sent < due ? r->master : -1;
		pfd[0].events = POLLOUT;
		for (i = 0; i < nview; i++) {
			pfd[i + 1].fd = v[i].c.fd;
			pfd[i + 1].events = POLLIN;
		}
		poll(pfd, nview + 1, rate > 0 && sent < total ? 1 : 100);
		t = now_us();
		if (sent < total && sent < due) {
			size_t off = sent % PATLEN, k = PATLEN - off;

			if (k > total - sent)
				k = total - sent;
			if (k > due - sent)
				k = due - sent;
			if (k > 4096)
				k = 4096;
			n = write(r->master, pat + off, k);
			if (n > 0) {
				sent += n;
				if (bstart > 0) {
					blocked += t - bstart;
					bstart = 0;
				}
			} else if (n == -1 && errno == EAGAIN) {
				eagain++;
				if (bstart == 0)
					bstart = t;
			}
		}
		for (i = 0; i < nview; i++) {
			if (!(pfd[i + 1].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(v[i].c.fd, buf, sizeof(buf));
			if (n <= 0) {
				if (n == 0 || errno != EAGAIN) {
					v[i].bad = 1;
					bad++;
					close(v[i].c.fd);
					v[i].c.fd = -1;
				}
				continue;
			}
			last = t;
			if (v[i].done > 0 || v[i].bad)
				continue;
			v[i].k.sent = sent;
			viewer_take(&v[i], buf, n, total, t);
			if (v[i].bad)
				bad++;
			else if (v[i].done > 0)
				complete++;
		}
	}
	for (i = 0; i < nview; i++) {
		if (v[i].done > 0) {
			t = fanmib / ((v[i].done - t0) / 1e6);
			if (vmin < 0 || t < vmin)
				vmin = t;
			vsum += t;
		}
		skipped += v[i].k.skipped;
		if (v[i].c.fd != -1)
			close(v[i].c.fd);
	}
	printf("  %-9s %-5s %3d viewer%s %3d/%-3d complete, %5.1f%% "
	    "skipped; per viewer min %6.1f mean %6.1f MiB/s; guest EAGAIN "
	    "%5ld, blocked %7.1f ms\n", r->name,
	    rate > 0 ? "paced" : "flat", nview, nview == 1 ? " " : "s",
	    complete, nview, 100.0 * skipped / total / nview, vmin,
	    complete > 0 ? vsum / complete : -1.0, eagain, blocked / 1e3);
	fflush(stdout);
	free(v);
	free(pfd);
	t = now_us() + TIMEOUT * 1e3;
	while (who_count(r->cname) > 0 && now_us() < t)
		usleep(5000);
	while (read(r->master, buf, sizeof(buf)) > 0)
		;
}
