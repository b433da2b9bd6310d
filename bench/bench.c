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
 * Relays: direct (the pty itself, no relay: the ceiling), floor-static
 * and floor (bench/floor, the least a relay under tcpserver can be:
 * the floor), conslet (raw, under tcpserver), telnet (conslet -t),
 * conslog (conslet attached to a conslog), conslet-b and conslog-b (the
 * same from a second build, -B, side by side with the first), socat
 * (tcpserver ... socat - FILE:pty), ser2net (v4, raw accepter, default
 * options) and ser2net-nd (chardelay: false).  "none" runs none of them.
 *
 * With -S, the scale section follows: that many consoles on the host,
 * each with a conslog (scale.c).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const char *kindname[] = { "direct", "floor-static", "floor",
    "conslet", "telnet", "conslog", "conslet-b", "conslog-b", "socat",
    "ser2net", "ser2net-nd" };

char		 work[512];
char		 bindir[512] = "src";
char		 altdir[512];
char		 benchdir[512];
char		 rundir[520];
int		 mib = 64, keys = 2000, connects = 20, splits = 300;
int		 fanmib = 4;
struct relay	 relays[NKIND];
int		 nrelay;
static int	 reps = 5, fanrate = 1024, nscale, nview = MAX_VIEWERS;
static char	 fanlist[64] = "1 8 64";

static void
cleanup(void)
{
	char	 cmd[PATH_MAX + 16];
	int	 i;

	hogs_stop();
	scale_stop();
	for (i = 0; i < nrelay; i++)
		relay_stop(&relays[i]);
	if (work[0] != '\0' && getenv("BENCH_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", work, rundir);
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
	fprintf(stderr, "usage: bench [-B altdir] [-b bindir] [-c connects] "
	    "[-F viewers] [-f fanmib]\n"
	    "             [-H hogs] [-k keys] [-m mib] [-P KiB/s] [-r reps] "
	    "[-S consoles]\n"
	    "             [-s splits] [-v viewers] [relay ...]\n"
	    "relays: direct floor-static floor conslet telnet conslog "
	    "conslet-b conslog-b\n"
	    "        socat ser2net ser2net-nd, or none\n");
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

static void
add_relay(enum kind k)
{
	int	 i;

	for (i = 0; i < nrelay; i++)
		if (relays[i].kind == k)
			errx(2, "relay named twice: %s", kindname[k]);
	relays[nrelay].kind = k;
	relays[nrelay].name = kindname[k];
	nrelay++;
}

/* The relays named on the command line, all of them if none. */
static void
choose_relays(int argc, char *argv[])
{
	int	 i, k;

	if (argc == 0)
		for (k = 0; k < NKIND; k++)
			if (altdir[0] != '\0' ||
			    (k != K_CONSLET_B && k != K_CONSLOG_B))
				add_relay(k);
	if (argc == 1 && strcmp(argv[0], "none") == 0)
		return;
	for (i = 0; i < argc; i++) {
		for (k = 0; k < NKIND; k++)
			if (strcmp(argv[i], kindname[k]) == 0)
				break;
		if (k == NKIND)
			usage();
		if ((k == K_CONSLET_B || k == K_CONSLOG_B) &&
		    altdir[0] == '\0')
			errx(2, "%s needs -B", argv[i]);
		add_relay(k);
	}
}

/* An absolute path for a directory given on the command line. */
static void
absolute(char *dir, size_t len)
{
	char	 path[PATH_MAX];

	if (dir[0] != '/' && realpath(dir, path) != NULL &&
	    strlen(path) < len)
		memcpy(dir, path, strlen(path) + 1);
}

/* The floor relays are built beside the benchmark. */
static void
find_benchdir(void)
{
	char	 path[PATH_MAX], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) == -1)
		err(1, "/proc/self/exe");
	path[n] = '\0';
	if ((slash = strrchr(path, '/')) != NULL)
		*slash = '\0';
	if ((size_t)snprintf(benchdir, sizeof(benchdir), "%s", path) >=
	    sizeof(benchdir))
		errx(1, "%s: path too long", path);
}

/*
 * $TMPDIR/bench.XXXXXX, with the consoles and log directories; the run
 * directory in memory where the system has a tmpfs for it (/dev/shm),
 * as /var/run is: the locks, sockets and status files live there.
 */
static void
make_work(void)
{
	static const char	*sub[] = { "consoles", "log" };
	const char		*tmp;
	char			 path[PATH_MAX];
	int			 i;

	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	snprintf(work, sizeof(work), "%s/bench.XXXXXX", tmp);
	if (mkdtemp(work) == NULL)
		err(1, "mkdtemp");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, onsig);
	signal(SIGTERM, onsig);
	atexit(cleanup);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", work, sub[i]);
		if (mkdir(path, 0755) == -1)
			err(1, "%s", path);
	}
	snprintf(rundir, sizeof(rundir), "/dev/shm/bench.XXXXXX");
	if (access("/dev/shm", W_OK) == -1 || mkdtemp(rundir) == NULL) {
		snprintf(rundir, sizeof(rundir), "%s/run", work);
		if (mkdir(rundir, 0755) == -1)
			err(1, "%s", rundir);
	}
}

static void
start_relays(void)
{
	int	 i;

	for (i = 0; i < nrelay; i++)
		relay_start(&relays[i]);
	for (i = 0; i < nrelay; i++)
		if (relays[i].logger > 0) {
			usleep(200000);
			add(&relays[i].s[F_LOGPRIV],
			    private_kb(relays[i].logger));
		}
}

/* Each repetition: the latencies, then a session on each relay in turn. */
static void
repetitions(void)
{
	char	 path[PATH_MAX];
	int	 i, rep;

	printf("bench: %d repetitions of: %d connects, %d keystrokes, "
	    "%d split writes, %d MiB each way\n", reps, connects, keys,
	    splits, mib);
	fflush(stdout);
	for (rep = 0; rep < reps; rep++) {
		fprintf(stderr, "\rrepetition %d/%d: %-13s", rep + 1, reps,
		    "latencies");
		latency_rounds();
		for (i = 0; i < nrelay; i++) {
			fprintf(stderr, "\rrepetition %d/%d: %-13s", rep + 1,
			    reps, relays[i].name);
			one_session(&relays[i]);
			if (relays[i].logger > 0) {
				snprintf(path, sizeof(path), "%s/log/%s.log",
				    work, relays[i].cname);
				(void)truncate(path, 0);
			}
		}
	}
	fprintf(stderr, "\r%41s\r", "");
}

static int
is_logger(const struct relay *r)
{
	return r->kind == K_CONSLOG || r->kind == K_CONSLOG_B;
}

/*
 * The fan-out for each count of viewers, on each conslog relay in turn
 * (with -B, the two builds take each count one after the other).
 */
static void
fanouts(void)
{
	char	*list, *tok;
	int	 i, n = 0;

	for (i = 0; i < nrelay; i++)
		n += is_logger(&relays[i]);
	if (n == 0 || fanmib == 0)
		return;
	printf("\nfan-out through the logger, no writer, %d MiB to each "
	    "viewer (flat out; paced at %d KiB/s):\n", fanmib, fanrate);
	list = strdup(fanlist);
	for (tok = strtok(list, " ,"); tok != NULL; tok = strtok(NULL, " ,"))
		for (i = 0; i < nrelay; i++)
			if (is_logger(&relays[i])) {
				fanout(&relays[i], num(tok, 1, MAX_VIEWERS), 0);
				fanout(&relays[i], num(tok, 1, MAX_VIEWERS), fanrate);
			}
	free(list);
	for (i = 0; i < nrelay; i++)
		if (is_logger(&relays[i]))
			printf("  %s after: peak RSS %ld KiB, private %ld KiB\n",
			    relays[i].name, status_kb(relays[i].logger,
			    "VmHWM"), private_kb(relays[i].logger));
}

int
main(int argc, char *argv[])
{
	int	 ch, nhog = 0;

	while ((ch = getopt(argc, argv, "B:b:c:F:f:H:k:m:P:r:S:s:v:")) != -1) {
		switch (ch) {
		case 'B':
			snprintf(altdir, sizeof(altdir), "%s", optarg);
			break;
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
		case 'H':
			nhog = num(optarg, 0, 64);
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
		case 'S':
			nscale = num(optarg, 0, 4000);
			if (nscale == 1)
				usage();
			break;
		case 's':
			splits = num(optarg, 1, 10000000);
			break;
		case 'v':
			nview = num(optarg, 1, MAX_VIEWERS);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	choose_relays(argc, argv);
	absolute(bindir, sizeof(bindir));
	absolute(altdir, sizeof(altdir));
	find_benchdir();

	pattern_init();
	make_work();
	start_relays();
	if (nhog > 0) {
		printf("bench: %d CPU hog%s beside the benchmark\n", nhog,
		    nhog == 1 ? "" : "s");
		hogs_start(nhog);
	}
	if (nrelay > 0) {
		repetitions();
		report();
		fanouts();
	}
	if (nscale > 0)
		scale(nscale, nview, fanrate);
	return 0;
}
