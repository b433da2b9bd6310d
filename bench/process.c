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
 * The processes of a relay: starting them, finding those that serve a
 * connection, and what /proc says of their memory and CPU time; and the
 * CPU hogs (-H) that may run beside the benchmark.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/*
 * Start argv[0] in a process group of its own, with the environment a
 * super-server has under a supervisor (PATH and nothing else), not the
 * shell's: some programs pay for every variable (libbsd's
 * setproctitle_init copies them one by one).
 */
pid_t
spawn(int outfd, const char *errfile, char *const argv[])
{
	char	*path;
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		setpgid(0, 0);
		path = getenv("PATH");
		path = strdup(path != NULL ? path : "/usr/bin:/bin");
		if (path == NULL || clearenv() != 0 ||
		    setenv("PATH", path, 1) == -1)
			_exit(127);
		if ((fd = open("/dev/null", O_RDWR)) != -1)
			dup2(fd, 0);
		if (outfd != -1)
			dup2(outfd, 1);
		else if (fd != -1)
			dup2(fd, 1);
		if ((fd = open(errfile, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) != -1)
			dup2(fd, 2);
		closefrom(3);
		execvp(argv[0], argv);
		warn("exec %s", argv[0]);
		_exit(127);	/* not exit: the parent's atexit cleanup */
	}
	setpgid(pid, pid);
	return pid;
}

/* tcpserver on 127.0.0.1, port 0; the port it chose. */
pid_t
tcpserver(int *port, char *const cmd[])
{
	char	*argv[32], line[32], errf[PATH_MAX + 32];
	int	 p[2], i = 0, n;
	size_t	 got = 0;
	pid_t	 pid;

	argv[i++] = "tcpserver";
	argv[i++] = "-1";
	argv[i++] = "-H";
	argv[i++] = "-R";
	argv[i++] = "-l";
	argv[i++] = "0";
	argv[i++] = "-c";
	argv[i++] = "300";
	argv[i++] = "127.0.0.1";
	argv[i++] = "0";
	while (*cmd != NULL && i < 31)
		argv[i++] = *cmd++;
	argv[i] = NULL;
	if (pipe(p) == -1)
		err(1, "pipe");
	snprintf(errf, sizeof(errf), "%s/tcpserver.err", work);
	pid = spawn(p[1], errf, argv);
	close(p[1]);
	while (got < sizeof(line) - 1 &&
	    (n = read(p[0], line + got, sizeof(line) - 1 - got)) > 0) {
		got += n;
		if (memchr(line, '\n', got) != NULL)
			break;
	}
	close(p[0]);
	line[got] = '\0';
	if ((*port = atoi(line)) <= 0)
		errx(1, "tcpserver gave no port (see %s)", errf);
	return pid;
}

/* The pids of the children of pid. */
int
children(pid_t pid, pid_t *out, int max)
{
	char	 path[64];
	FILE	*f;
	long	 c;
	int	 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &c) == 1)
		out[n++] = c;
	fclose(f);
	return n;
}

void
wait_no_children(pid_t pid)
{
	pid_t	 c[4];
	double	 end = now_us() + TIMEOUT * 1e3;

	while (children(pid, c, 4) > 0 && now_us() < end)
		usleep(1000);
}

/* A field of /proc/PID/status in kB. */
long
status_kb(pid_t pid, const char *field)
{
	char	 path[64], line[256];
	size_t	 len = strlen(field);
	FILE	*f;
	long	 v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			v = atol(line + len + 1);
			break;
		}
	fclose(f);
	return v;
}

/* The sum of the smaps_rollup fields named (each with its colon), in kB. */
static long
rollup_kb(pid_t pid, const char *f1, const char *f2)
{
	char	 path[64], line[256];
	size_t	 l1 = strlen(f1), l2 = f2 != NULL ? strlen(f2) : 0;
	FILE	*f;
	long	 v = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, f1, l1) == 0)
			v += atol(line + l1);
		else if (f2 != NULL && strncmp(line, f2, l2) == 0)
			v += atol(line + l2);
	fclose(f);
	return v;
}

/* Private_Clean + Private_Dirty, in kB. */
long
private_kb(pid_t pid)
{
	return rollup_kb(pid, "Private_Clean:", "Private_Dirty:");
}

/* The proportional set size: shared pages divided among their users. */
long
pss_kb(pid_t pid)
{
	return rollup_kb(pid, "Pss:", NULL);
}

/* Time on a CPU, in ns, from /proc/PID/schedstat: no 10 ms tick. */
double
cpu_ns(pid_t pid)
{
	char		 path[64];
	unsigned long long ns;
	FILE		*f;
	int		 n;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu", &ns);
	fclose(f);
	return n == 1 ? (double)ns : -1;
}

static pid_t	 hogs[64];
static int	 nhogs;

/* n processes that spin, beside the benchmark, until hogs_stop(). */
void
hogs_start(int n)
{
	volatile unsigned long	 spin = 0;
	pid_t			 pid;

	for (; n > 0 && nhogs < (int)(sizeof(hogs) / sizeof(hogs[0])); n--) {
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			/* not the benchmark's cleanup; gone with it */
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				spin++;
		}
		hogs[nhogs++] = pid;
	}
}

void
hogs_stop(void)
{
	for (; nhogs > 0; nhogs--) {
		kill(hogs[nhogs - 1], SIGKILL);
		waitpid(hogs[nhogs - 1], NULL, 0);
	}
}

/* Time on a CPU of a process, in ms: schedstat's, not the 10 ms tick's. */
double
cpu_ms(pid_t pid)
{
	double	 ns = cpu_ns(pid);

	return ns < 0 ? 0 : ns / 1e6;
}
