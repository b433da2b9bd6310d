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
 * Alerts: lines of the console that match a pattern (POSIX extended
 * regular expressions, -a and -A) are sent to syslog at a priority of
 * their own, and may start a command that root named (-x). The command
 * is run without a shell, with the console's name and the line in its
 * environment and nothing from the guest on its command line; at most one
 * runs at a time for the console, at most ALERT_BURST at once and then
 * one each ALERT_EVERY, each for at most CMD_LIMIT; its exit status is
 * logged.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslog.h"

#define PATTERNS	64	/* -a and -A together */
#define PATTERN_LEN	512	/* longest line of a pattern file */
#define ALERT_BURST	3	/* commands started at once, */
#define ALERT_EVERY	60000	/* then one each this many ms */
#define CMD_LIMIT	60000	/* ms a command may run before SIGKILL */

static regex_t		 re[PATTERNS];
static char		*source[PATTERNS];	/* as given, for the command */
static int		 npat;
static int		 prio = LOG_WARNING;	/* -w */
static const char	*command;		/* -x */
static const char	*lname;
static pid_t		 child;			/* the command running now */
static long long	 deadline;		/* ms: when it is killed */
static int		 tokens = ALERT_BURST;
static long long	 refill;		/* ms: when one more is due */
static unsigned		 missed;		/* alerts it did not run for */

/* Add one pattern; NULL, or why it is refused. */
const char *
alert_add(const char *pat)
{
	static char	 why[160];
	int		 e;

	if (npat == PATTERNS) {
		snprintf(why, sizeof(why), "more than %d patterns", PATTERNS);
		return why;
	}
	if ((e = regcomp(&re[npat], pat, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(e, &re[npat], why, sizeof(why));
		return why;
	}
	if ((source[npat] = strdup(pat)) == NULL) {
		regfree(&re[npat]);
		return strerror(errno);
	}
	npat++;
	return NULL;
}

/*
 * -A file: a pattern a line; empty lines and lines that start with # are
 * skipped. NULL, or why the file is refused (the line is said).
 */
const char *
alert_file(const char *path)
{
	static char	 why[PATTERN_LEN + 200];
	char		 line[PATTERN_LEN + 2];
	const char	*e;
	FILE		*fp;
	int		 n = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return strerror(errno);
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(why, sizeof(why), "line %d is longer than %d "
			    "bytes", n, PATTERN_LEN);
			fclose(fp);
			return why;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((e = alert_add(line)) != NULL) {
			snprintf(why, sizeof(why), "line %d: %s", n, e);
			fclose(fp);
			return why;
		}
	}
	fclose(fp);
	return NULL;
}

/* -w: the priority of an alert. */
void
alert_priority(int p)
{
	prio = p;
}

/* -x: the command; NULL, or why it cannot be. */
const char *
alert_command(const char *path)
{
	if (path[0] != '/')
		return "not an absolute path";
	if (access(path, X_OK) == -1)
		return strerror(errno);
	command = path;
	return NULL;
}

/* Are there patterns? */
int
alert_any(void)
{
	return npat > 0;
}

/* May a command start now? A burst, then one an ALERT_EVERY. */
static int
allowed(void)
{
	long long	 now = now_ms();

	if (tokens < ALERT_BURST && now >= refill) {
		tokens += 1 + (now - refill) / ALERT_EVERY;
		if (tokens > ALERT_BURST)
			tokens = ALERT_BURST;
		refill = now + ALERT_EVERY;
	}
	if (tokens == 0)
		return 0;
	if (tokens-- == ALERT_BURST)
		refill = now + ALERT_EVERY;
	return 1;
}

/* The alerts that started no command, counted. */
static void
told(void)
{
	if (missed > 0)
		logit(LOG_NOTICE, "%s: alert command %s not run for %u "
		    "alerts: one was running, or more than %d a minute came",
		    lname, command, missed, ALERT_BURST);
	missed = 0;
}

static void
run(const char *line, int i)
{
	char	 e_con[NAME_LEN + 32], e_line[1100], e_pat[PATTERN_LEN + 32];
	char	 e_time[48];
	char	*env[] = { "PATH=/bin:/usr/bin:/sbin:/usr/sbin", e_con, e_line,
		    e_pat, e_time, NULL };
	char	*argv[] = { (char *)command, NULL };
	int	 fd;

	snprintf(e_con, sizeof(e_con), "CONSLOG_CONSOLE=%s", lname);
	snprintf(e_line, sizeof(e_line), "CONSLOG_LINE=%s", line);
	snprintf(e_pat, sizeof(e_pat), "CONSLOG_PATTERN=%s", source[i]);
	snprintf(e_time, sizeof(e_time), "CONSLOG_TIME=%lld",
	    (long long)time(NULL));
	if ((child = fork()) == -1) {
		logit(LOG_ERR, "%s: alert command %s: %s", lname, command,
		    strerror(errno));
		child = 0;
		return;
	}
	if (child == 0) {
		/* what conslog ignores, the command need not */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		dup2(STDERR_FILENO, STDOUT_FILENO);
		closefrom(STDERR_FILENO + 1);
		execve(command, argv, env);
		_exit(127);
	}
	deadline = now_ms() + CMD_LIMIT;
	logit(LOG_INFO, "%s: alert command %s started, pid %ld", lname,
	    command, (long)child);
	told();
}

/*
 * A line (made visible) of the console: the priority it is sent at if a
 * pattern matches, -1 if none does. A match starts the command.
 */
int
alert_check(const char *line)
{
	int	 i;

	for (i = 0; i < npat; i++)
		if (regexec(&re[i], line, 0, NULL, 0) == 0)
			break;
	if (i == npat)
		return -1;
	if (command == NULL)
		return prio;
	if (child != 0 || !allowed())
		missed++;
	else
		run(line, i);
	return prio;
}

/* How long until the command must be stopped; -1 for no command. */
int
alert_timeout(void)
{
	long long	 left;

	if (child == 0)
		return -1;
	left = deadline - now_ms();
	/* SIGCHLD wakes the loop; a second is the most it waits without */
	return left < 0 ? 0 : left > 1000 ? 1000 : (int)left;
}

/* The command ended, or ran too long: its status is logged. */
void
alert_tick(void)
{
	int	 st;
	pid_t	 r;

	if (child == 0)
		return;
	if ((r = waitpid(child, &st, WNOHANG)) == 0) {
		if (now_ms() < deadline)
			return;
		logit(LOG_WARNING, "%s: alert command %s, pid %ld, ran for "
		    "%d s: killed", lname, command, (long)child,
		    CMD_LIMIT / 1000);
		(void)kill(child, SIGKILL);	/* ours: we forked it */
		r = waitpid(child, &st, 0);
	}
	if (r == -1)
		logit(LOG_ERR, "%s: alert command %s, pid %ld: %s", lname,
		    command, (long)child, strerror(errno));
	else if (WIFEXITED(st))
		logit(WEXITSTATUS(st) == 0 ? LOG_INFO : LOG_WARNING, "%s: "
		    "alert command %s, pid %ld, exited %d", lname, command,
		    (long)child, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		logit(LOG_WARNING, "%s: alert command %s, pid %ld, killed by "
		    "signal %d", lname, command, (long)child, WTERMSIG(st));
	child = 0;
	told();
}

void
alert_init(const char *name)
{
	lname = name;
}

/* At the end: a command that ended is logged; one running goes on. */
void
alert_close(void)
{
	deadline = LLONG_MAX;
	alert_tick();
	if (child != 0)
		logit(LOG_NOTICE, "%s: alert command %s, pid %ld, left "
		    "running", lname, command, (long)child);
}
