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
 * Scale: many consoles on one host, each with a conslog and a guest that
 * prints a line a second (the first one's guest is silent, the idle
 * console).  How long all the loggers take to start, what memory they
 * hold, the CPU a console costs, and how often an idle logger and an
 * idle attached conslet wake up (none, while nothing happens); then
 * every viewer a logger takes, on the idle console, flat out and paced.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define WINDOW	10		/* s of each measurement */
#define LINE_MS	1000		/* each guest's line, once this often */

struct console {
	int	 master, hold;
	char	 slave[64], name[32];
	pid_t	 logger;
};

static struct console	*cons;
static int		 ncons;
static pid_t		 guest = -1;

/* The consoles' ptys, and a name for each in the consoles directory. */
static void
make_consoles(void)
{
	char	 path[PATH_MAX];
	int	 i;

	if ((cons = calloc(ncons, sizeof(*cons))) == NULL)
		errx(1, "out of memory");
	for (i = 0; i < ncons; i++) {
		struct console *c = &cons[i];

		if (openpty(&c->master, &c->hold, c->slave, NULL, NULL) == -1)
			err(1, "openpty");
		rawmode(c->hold);
		nonblock(c->master);
		snprintf(c->name, sizeof(c->name), "s-%03d", i);
		snprintf(path, sizeof(path), "%s/consoles/%s", work, c->name);
		if (symlink(c->slave, path) == -1)
			err(1, "symlink %s", path);
	}
}

/*
 * Every logger at once, each told to say on fd 3 when it is ready
 * (conslog -n 3); the time from the first fork to the last word.
 */
static double
start_loggers(void)
{
	char	 prog[PATH_MAX], run[PATH_MAX], cdir[PATH_MAX], log[PATH_MAX];
	char	 errf[PATH_MAX], buf[256];
	char	*argv[] = { prog, "-C", cdir, "-R", run, "-L", log, "-n", "3",
	    NULL, NULL };
	double	 t0, end;
	ssize_t	 n;
	int	 p[2], i, fd, ready = 0;

	snprintf(prog, sizeof(prog), "%s/conslog", bindir);
	snprintf(run, sizeof(run), "%s", rundir);
	snprintf(cdir, sizeof(cdir), "%s/consoles", work);
	snprintf(log, sizeof(log), "%s/log", work);
	snprintf(errf, sizeof(errf), "%s/scale.err", work);
	if (pipe(p) == -1)
		err(1, "pipe");
	t0 = now_us();
	for (i = 0; i < ncons; i++) {
		argv[9] = cons[i].name;
		if ((cons[i].logger = fork()) == -1)
			err(1, "fork");
		if (cons[i].logger > 0)
			continue;
		setpgid(0, 0);
		if (clearenv() != 0 || setenv("PATH", "/usr/bin:/bin", 1) == -1)
			_exit(127);
		if ((fd = open("/dev/null", O_RDWR)) != -1)
			dup2(fd, 0);
		if ((fd = open(errf, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		dup2(p[1], 3);
		closefrom(4);
		execv(prog, argv);
		_exit(127);
	}
	close(p[1]);
	end = now_us() + TIMEOUT * 1e3;
	while (ready < ncons && now_us() < end) {
		if ((n = read(p[0], buf, sizeof(buf))) <= 0)
			break;
		for (i = 0; i < n; i++)
			ready += buf[i] == '\n';
	}
	close(p[0]);
	if (ready < ncons)
		errx(1, "scale: only %d of %d loggers ready (see %s)", ready,
		    ncons, errf);
	return (now_us() - t0) / 1e3;
}

/*
 * The guests: a process that holds the masters and prints a line on each
 * console but the first once every LINE_MS, the consoles spread over it.
 */
static void
start_guests(void)
{
	char	 line[64];
	int	 i, n, tick;

	if ((guest = fork()) == -1)
		err(1, "fork");
	if (guest > 0)
		return;
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (tick = 0;; tick++)
		for (i = 1; i < ncons; i++) {
			usleep(LINE_MS * 1000 / (ncons - 1));
			n = snprintf(line, sizeof(line),
			    "%s: the guest is alive, tick %d\r\n",
			    cons[i].name, tick);
			(void)write(cons[i].master, line, n);
		}
}

/* Voluntary and involuntary context switches: wake-ups, and preemptions. */
static long
switches(pid_t pid)
{
	return status_kb(pid, "voluntary_ctxt_switches") +
	    status_kb(pid, "nonvoluntary_ctxt_switches");
}

/* A conslet attached to a console through tcpserver, its client idle. */
static pid_t
attach_idle(struct relay *r, struct console *c, struct conn *cn)
{
	char	 prog[PATH_MAX], cdir[PATH_MAX], run[PATH_MAX];
	char	*cmd[] = { prog, "-C", cdir, "-R", run, "-E", "-h", "0",
	    c->name, NULL };
	pid_t	 kid[1];
	double	 end;

	snprintf(prog, sizeof(prog), "%s/conslet", bindir);
	snprintf(cdir, sizeof(cdir), "%s/consoles", work);
	snprintf(run, sizeof(run), "%s", rundir);
	memset(r, 0, sizeof(*r));
	r->server = tcpserver(&r->port, cmd);
	if ((cn->fd = tcp_connect(r->port)) == -1)
		errx(1, "scale: cannot connect to %s", c->name);
	end = now_us() + TIMEOUT * 1e3;
	while (children(r->server, kid, 1) < 1 && now_us() < end)
		usleep(2000);
	if (children(r->server, kid, 1) < 1)
		errx(1, "scale: no conslet for %s", c->name);
	usleep(200000);		/* attached, and its first round done */
	return kid[0];
}

/* What an idle console costs: memory, CPU, wake-ups. */
static void
measure(double startms)
{
	struct relay	 r0, r1;
	struct conn	 c0, c1;
	double		 cpu0, cpu1;
	long		 priv = 0, pss = 0, w[4], v;
	pid_t		 cl0, cl1;
	int		 i;

	cl0 = attach_idle(&r0, &cons[0], &c0);
	cl1 = attach_idle(&r1, &cons[1], &c1);
	sleep(2);		/* the joins, and a round of lines, go by */
	for (i = 0; i < ncons; i++) {
		if ((v = private_kb(cons[i].logger)) > 0)
			priv += v;
		if ((v = pss_kb(cons[i].logger)) > 0)
			pss += v;
	}
	w[0] = switches(cons[0].logger);
	w[1] = switches(cons[1].logger);
	w[2] = switches(cl0);
	w[3] = switches(cl1);
	cpu0 = 0;
	for (i = 0; i < ncons; i++)
		cpu0 += cpu_ns(cons[i].logger);
	sleep(WINDOW);
	cpu1 = 0;
	for (i = 0; i < ncons; i++)
		cpu1 += cpu_ns(cons[i].logger);
	w[0] = switches(cons[0].logger) - w[0];
	w[1] = switches(cons[1].logger) - w[1];
	w[2] = switches(cl0) - w[2];
	w[3] = switches(cl1) - w[3];

	printf("  start all %d loggers (fork, exec, ready on -n): %.0f ms, "
	    "%.2f ms each\n", ncons, startms, startms / ncons);
	printf("  loggers' memory: private %ld KiB in all, %.0f KiB each; "
	    "PSS %ld KiB in all\n", priv, (double)priv / ncons, pss);
	printf("  CPU of the loggers, a line a second each: %.1f us per "
	    "console per second (%.4f%% of a CPU)\n",
	    (cpu1 - cpu0) / 1e3 / ncons / WINDOW,
	    (cpu1 - cpu0) / 1e9 / ncons / WINDOW * 100);
	printf("  wake-ups per second over %d s (context switches):\n",
	    WINDOW);
	printf("    conslog, idle console (silent guest)       %6.2f\n",
	    (double)w[0] / WINDOW);
	printf("    conslet attached to it, client idle        %6.2f\n",
	    (double)w[2] / WINDOW);
	printf("    conslog, a line a second                   %6.2f\n",
	    (double)w[1] / WINDOW);
	printf("    conslet attached to that one, client idle  %6.2f\n",
	    (double)w[3] / WINDOW);
	fflush(stdout);
	close(c0.fd);
	close(c1.fd);
	relay_stop(&r0);
	relay_stop(&r1);
}

/* Every viewer a logger takes, on the idle console. */
static void
viewers(int nview, int rate)
{
	struct relay	 r;
	char		 prog[PATH_MAX], cdir[PATH_MAX], run[PATH_MAX];
	char		*vcmd[] = { prog, "-C", cdir, "-R", run, "-E", "-r",
	    "-h", "0", cons[0].name, NULL };

	snprintf(prog, sizeof(prog), "%s/conslet", bindir);
	snprintf(cdir, sizeof(cdir), "%s/consoles", work);
	snprintf(run, sizeof(run), "%s", rundir);
	memset(&r, 0, sizeof(r));
	r.kind = K_CONSLOG;
	r.name = "conslog";
	r.master = cons[0].master;
	r.hold = cons[0].hold;
	snprintf(r.cname, sizeof(r.cname), "%s", cons[0].name);
	r.logger = cons[0].logger;
	r.vserver = tcpserver(&r.vport, vcmd);
	printf("  %d viewers on %s, %d MiB each, the other guests printing "
	    "on:\n", nview, cons[0].name, fanmib);
	fanout(&r, nview, 0);
	fanout(&r, nview, rate);
	r.logger = 0;		/* the scale's own, stopped with the rest */
	relay_stop(&r);
}

void
scale(int n, int nview, int rate)
{
	struct rlimit	 rl;
	double		 ms;

	ncons = n;
	/* two ptys' ends each, and a socket for every viewer */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("\nscale: %d consoles, a conslog each, each guest but %s's "
	    "printing a line a second:\n", ncons, "the first");
	fflush(stdout);
	make_consoles();
	ms = start_loggers();
	start_guests();
	measure(ms);
	viewers(nview, rate);
	scale_stop();
}

/* The guests and the loggers go; from the cleanup too. */
void
scale_stop(void)
{
	int	 i;

	if (guest > 0) {
		kill(guest, SIGKILL);
		waitpid(guest, NULL, 0);
		guest = -1;
	}
	for (i = 0; i < ncons; i++)
		if (cons[i].logger > 0) {
			kill(cons[i].logger, SIGTERM);
			waitpid(cons[i].logger, NULL, 0);
			cons[i].logger = 0;
		}
}
