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
 * bench: console relays side by side.  The benchmark is the guest (it
 * holds the master of one pty per relay and echoes what it reads where a
 * figure needs an echo) and the client (TCP on 127.0.0.1).  Repetitions
 * are interleaved across the relays, so that drift of a shared machine
 * hits all of them alike.
 *
 * Relays: direct (the pty itself, no relay: the ceiling), conslet (raw,
 * under tcpserver), telnet (conslet -t), conslog (conslet attached to a
 * conslog), socat (tcpserver ... socat - FILE:pty), ser2net (v4, raw
 * accepter, default options) and ser2net-nd (chardelay: false).
 */

#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const char *kindname[] = { "direct", "conslet", "telnet", "conslog",
    "socat", "ser2net", "ser2net-nd" };
static const char *figname[] = {
	"connect to first echo (us)",
	"keystroke round trip (us)",
	"split write, one way (us)",
	"guest to client (MiB/s)",
	"  skipped by the logger (%)",
	"client to guest (MiB/s)",
	"peak RSS per connection (KiB)",
	"private memory per connection (KiB)",
	"CPU guest to client (ms/MiB)",
	"CPU client to guest (ms/MiB)",
	"conslog peak RSS (KiB)",
	"conslog private, idle (KiB)",
};
static const int higher_better[F_NFIG] = { [F_G2C] = 1, [F_C2G] = 1 };
/* pooled samples (latencies) or one value per repetition */
static const int pooled[F_NFIG] = { [F_CONNECT] = 1, [F_KEY] = 1,
    [F_SPLIT] = 1 };

char		 work[512];
char		 bindir[512] = "src";
int		 mib = 64, keys = 2000, connects = 20, splits = 300;
int		 fanmib = 4;
struct relay	 relays[NKIND];
int		 nrelay;
static int	 reps = 5, fanrate = 1024;
static char	 fanlist[64] = "1 8 64";

/* ---- fan-out through conslog ---- */

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

	snprintf(path, sizeof(path), "%s/run/%s.who", work, cname);
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
static void
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
	printf("  %-5s %3d viewer%s %3d/%-3d complete, %5.1f%% skipped; "
	    "per viewer min %6.1f mean %6.1f MiB/s; guest EAGAIN %5ld, "
	    "blocked %7.1f ms\n",
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

/* ---- report ---- */

static struct relay *
relay_of(enum kind k)
{
	int	 i;

	for (i = 0; i < nrelay; i++)
		if (relays[i].kind == k)
			return &relays[i];
	return NULL;
}

static void
target(const char *what, double v, double limit, int atleast)
{
	if (v < 0)
		return;
	printf("  %-58s %6.2f %s %5.2f  %s\n", what, v, atleast ? ">=" : "<=",
	    limit, (atleast ? v >= limit : v <= limit) ? "met" : "MISSED");
}

/* The product's targets, from the medians of this run. */
static void
targets(void)
{
	struct relay	*cl = relay_of(K_CONSLET), *so = relay_of(K_SOCAT);
	struct relay	*lg = relay_of(K_CONSLOG), *di = relay_of(K_DIRECT);
	struct relay	*s2 = relay_of(K_SER2NET), *s3 = relay_of(K_SER2NET_ND);
	double		 best[2] = { -1, -1 }, v;
	int		 f, i;

	printf("\ntargets (conslet raw under tcpserver unless said):\n");
	if (cl == NULL)
		return;
	if (so != NULL) {
		target("connect to first echo / tcpserver+socat's",
		    med(cl, F_CONNECT) / med(so, F_CONNECT), 0.4, 0);
		target("keystroke round trip / socat's",
		    med(cl, F_KEY) / med(so, F_KEY), 1.0, 0);
		target("peak RSS per connection / socat's",
		    med(cl, F_RSS) / med(so, F_RSS), 0.5, 0);
	}
	target("keystroke round trip p99 / its median",
	    quantile(&cl->s[F_KEY], 0.99) / med(cl, F_KEY), 1.3, 0);
	for (i = 0, f = F_G2C; i < 2; i++, f = F_C2G) {
		struct relay *p[3] = { so, s2, s3 };
		int j;

		for (j = 0; j < 3; j++)
			if ((v = med(p[j], f)) > best[i])
				best[i] = v;
	}
	if (best[0] > 0)
		target("guest to client / best peer's", med(cl, F_G2C) /
		    best[0], 0.95, 1);
	if (best[1] > 0)
		target("client to guest / best peer's", med(cl, F_C2G) /
		    best[1], 0.95, 1);
	if (lg != NULL && di != NULL)
		target("through conslog, guest to client / direct pty's",
		    med(lg, F_G2C) / med(di, F_G2C), 0.8, 1);
	if (lg != NULL)
		target("conslog private memory, idle, default ring (MiB)",
		    med(lg, F_LOGPRIV) / 1024, 1.0, 0);
}

static void
report(void)
{
	double	 md[NKIND][F_NFIG];
	int	 f, i;

	printf("\n%-36s", "figure");
	for (i = 0; i < nrelay; i++)
		printf(" %26s", relays[i].name);
	printf("\n");
	for (f = 0; f < F_NFIG; f++) {
		double	 best = -1;
		int	 any = 0;

		for (i = 0; i < nrelay; i++) {
			struct relay *r = &relays[i];

			md[i][f] = quantile(&r->s[f], 0.5);
			if (r->s[f].n > 0)
				any = 1;
			/* the peers: socat and ser2net */
			if (r->kind < K_SOCAT || r->s[f].n == 0)
				continue;
			if (best < 0 || (higher_better[f] ?
			    md[i][f] > best : md[i][f] < best))
				best = md[i][f];
		}
		if (!any)
			continue;
		printf("%-36s", figname[f]);
		for (i = 0; i < nrelay; i++) {
			struct relay *r = &relays[i];
			char	 cell[64], ratio[16] = "";

			if (r->s[f].n == 0) {
				printf(" %26s", "-");
				continue;
			}
			if (best > 0)
				snprintf(ratio, sizeof(ratio), " %.2fx",
				    md[i][f] / best);
			snprintf(cell, sizeof(cell), "%.4g [%.4g..%.4g]%s",
			    md[i][f], quantile(&r->s[f], 0),
			    quantile(&r->s[f], 1), ratio);
			printf(" %26s", cell);
		}
		printf("\n");
		if (f == F_KEY || f == F_CONNECT) {
			printf("%-36s", "  p99");
			for (i = 0; i < nrelay; i++) {
				struct relay *r = &relays[i];
				char	 cell[64];

				if (r->s[f].n == 0) {
					printf(" %26s", "-");
					continue;
				}
				snprintf(cell, sizeof(cell), "%.4g (%.2fx median)",
				    quantile(&r->s[f], 0.99),
				    quantile(&r->s[f], 0.99) / md[i][f]);
				printf(" %26s", cell);
			}
			printf("\n");
		}
	}
	printf("\nmedian [min..max] over %s; ratio: to the best of socat "
	    "and ser2net\n", "all samples (latencies) or repetitions");
	for (i = 0; i < nrelay; i++)
		if (relays[i].failed)
			printf("%s: %d failed sessions\n", relays[i].name,
			    relays[i].failed);
	(void)pooled;
	targets();
}

static void
cleanup(void)
{
	char	 cmd[PATH_MAX + 16];
	int	 i;

	for (i = 0; i < nrelay; i++)
		relay_stop(&relays[i]);
	if (work[0] != '\0' && getenv("BENCH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		if (system(cmd) != 0)
			warnx("could not remove %s", work);
	}
}

static void
onsig(int sig)
{
	(void)sig;
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench [-b bindir] [-c connects] [-F viewers] "
	    "[-f fanmib] [-k keys]\n"
	    "             [-m mib] [-P KiB/s] [-r reps] [-s splits] "
	    "[relay ...]\n"
	    "relays: direct conslet telnet conslog socat ser2net ser2net-nd\n");
	exit(2);
}

static int
num(const char *s, int min, int max)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	const char	*tmp;
	char		 path[PATH_MAX], *list, *tok;
	int		 ch, i, k, rep;

	while ((ch = getopt(argc, argv, "b:c:F:f:k:m:P:r:s:")) != -1) {
		switch (ch) {
		case 'b':
			snprintf(bindir, sizeof(bindir), "%s", optarg);
			break;
		case 'c':
			connects = num(optarg, 0, 100000);
			break;
		case 'F':
			snprintf(fanlist, sizeof(fanlist), "%s", optarg);
			break;
		case 'f':
			fanmib = num(optarg, 0, 4096);
			break;
		case 'k':
			keys = num(optarg, 1, 10000000);
			break;
		case 'm':
			mib = num(optarg, 1, 65536);
			break;
		case 'P':
			fanrate = num(optarg, 1, 10000000);
			break;
		case 'r':
			reps = num(optarg, 1, 1000);
			break;
		case 's':
			splits = num(optarg, 1, 10000000);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		static char *all[] = { "direct", "conslet", "telnet",
		    "conslog", "socat", "ser2net", "ser2net-nd" };
		argv = all;
		argc = NKIND;
	}
	for (i = 0; i < argc; i++) {
		for (k = 0; k < NKIND; k++)
			if (strcmp(argv[i], kindname[k]) == 0)
				break;
		if (k == NKIND)
			usage();
		relays[nrelay].kind = k;
		relays[nrelay].name = kindname[k];
		nrelay++;
	}
	if (bindir[0] != '/' && realpath(bindir, path) != NULL &&
	    strlen(path) < sizeof(bindir))
		memcpy(bindir, path, strlen(path) + 1);

	pattern_init();

	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	snprintf(work, sizeof(work), "%s/bench.XXXXXX", tmp);
	if (mkdtemp(work) == NULL)
		err(1, "mkdtemp");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, onsig);
	signal(SIGTERM, onsig);
	atexit(cleanup);
	for (i = 0; i < 3; i++) {
		static const char *sub[] = { "consoles", "run", "log" };

		snprintf(path, sizeof(path), "%s/%s", work, sub[i]);
		if (mkdir(path, 0755) == -1)
			err(1, "%s", path);
	}
	for (i = 0; i < nrelay; i++)
		relay_start(&relays[i]);
	for (i = 0; i < nrelay; i++)
		if (relays[i].logger > 0) {
			usleep(200000);
			add(&relays[i].s[F_LOGPRIV],
			    private_kb(relays[i].logger));
		}

	printf("bench: %d repetitions of: %d connects, %d keystrokes, "
	    "%d split writes, %d MiB each way\n", reps, connects, keys,
	    splits, mib);
	fflush(stdout);
	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "\rrepetition %d/%d: %-12s", rep + 1, reps,
		    "latencies");
		latency_rounds();
		for (i = 0; i < nrelay; i++) {
			fprintf(stderr, "\rrepetition %d/%d: %-12s", rep + 1,
			    reps, relays[i].name);
			one_session(&relays[i]);
			if (relays[i].logger > 0) {
				snprintf(path, sizeof(path), "%s/log/%s.log",
				    work, relays[i].cname);
				(void)truncate(path, 0);
			}
		}
	}
	fprintf(stderr, "\r%40s\r", "");
	report();

	for (i = 0; i < nrelay; i++) {
		struct relay *r = &relays[i];

		if (r->kind != K_CONSLOG || fanmib == 0)
			continue;
		printf("\nfan-out through conslog, no writer, %d MiB to each "
		    "viewer (flat out; paced at %d KiB/s):\n", fanmib, fanrate);
		list = strdup(fanlist);
		for (tok = strtok(list, " ,"); tok != NULL;
		    tok = strtok(NULL, " ,")) {
			fanout(r, num(tok, 1, 256), 0);
			fanout(r, num(tok, 1, 256), fanrate);
		}
		free(list);
		printf("  conslog after: peak RSS %ld KiB, private %ld KiB\n",
		    status_kb(r->logger, "VmHWM"), private_kb(r->logger));
	}
	return 0;
}
