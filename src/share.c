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
 * Sharing a console through its logger: finding it, attaching to it,
 * asking it for a replay, and passing write access from one client to
 * another. The logger's side is conslog's fanout.c.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslet.h"

#define JOIN_WAIT	5000	/* ms the logger may take to take us in */
#define FORCE_WAIT	500	/* and the holder, to let go */

/* Does a logger read the device? Then s->logger is its name. */
int
share_logger(struct session *s)
{
	struct holder	 h;
	int		 tries;

	for (tries = 0; tries < LOCK_TRIES; tries++) {
		if (!lock_held(s->rundir, s->con->key, "r"))
			return 0;
		if (lock_who(s->rundir, s->con, "r", &h) == 0) {
			if (!h.logger || !console_name_ok(h.console))
				return 0;
			strlcpy(s->logger, h.console, sizeof(s->logger));
			return 1;
		}
		poll(NULL, 0, 10);	/* its record is being written */
	}
	return 0;
}

static int
logger_path(char *buf, const struct session *s, const char *suffix)
{
	int	 n;

	n = snprintf(buf, PATH_MAX, "%s/%s%s", s->rundir, s->logger, suffix);
	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

static void
request(struct session *s, const char *fmt, ...)
{
	char	 line[PIPE_BUF];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s->ctl != -1 && n > 0 && (size_t)n < sizeof(line))
		(void)write(s->ctl, line, n);	/* one write: atomic */
}

/*
 * Attach to the logger: make our fifo, open it, ask to join, and wait for
 * the logger to open it and take its name away.
 */
int
share_join(struct session *s)
{
	char		 fifo[PATH_MAX], ctl[PATH_MAX];
	struct stat	 st;
	long long	 start, waited;
	int		 n, serrno;

	n = snprintf(fifo, sizeof(fifo), "%s/%s.sub/%ld", s->rundir,
	    s->logger, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(fifo) ||
	    logger_path(ctl, s, ".ctl") == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)unlink(fifo);
	if (mkfifo(fifo, 0660) == -1)
		return -1;
	if ((s->src = open(fifo, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(s->src, &st) == -1 ||
	    !S_ISFIFO(st.st_mode) ||
	    (s->ctl = open(ctl, O_WRONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	request(s, "join %ld %c %zu %s\n", (long)getpid(),
	    s->readonly ? 'r' : 'w', s->replay, s->me.peer);
	/* it unlinks the fifo's name once it has it: 1 ms steps, then 10 */
	start = now_ms();
	for (;;) {
		if (lstat(fifo, &st) == -1 && errno == ENOENT)
			return 0;
		if ((waited = now_ms() - start) >= JOIN_WAIT)
			break;
		poll(NULL, 0, waited < 50 ? 1 : 10);
	}
	errno = ETIMEDOUT;
fail:
	serrno = errno;
	(void)unlink(fifo);
	if (s->src != -1)
		close(s->src);
	if (s->ctl != -1)
		close(s->ctl);
	s->src = s->ctl = -1;
	errno = serrno;
	return -1;
}

/* A note for the logger's log and its clients. */
void
share_note(struct session *s, const char *text)
{
	request(s, "note %ld %s\n", (long)getpid(), text);
}

void
share_replay(struct session *s)
{
	request(s, "replay %ld %zu\n", (long)getpid(),
	    s->replay > 0 ? s->replay : REPLAY_DEFAULT);
}

/*
 * Take write access from h: note who takes it, ask the holder to let go
 * (SIGUSR1), and wait for the lock.
 */
int
share_force(struct session *s, const struct holder *h)
{
	char	 note[PEER_LEN + 64];
	int	 i, n;

	if (s->ffd != -1) {
		n = snprintf(note, sizeof(note), "pid %ld\npeer %s\n",
		    (long)getpid(), s->me.peer);
		if (ftruncate(s->ffd, 0) == -1 ||
		    pwrite(s->ffd, note, n, 0) != n)
			return -1;
	}
	if (kill(h->pid, SIGUSR1) == -1)
		return -1;
	for (i = 0; i < FORCE_WAIT; i++) {
		if (lock_try(s->wfd) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		poll(NULL, 0, 10);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* ~f: a read-only client takes write access. */
void
share_take(struct session *s)
{
	struct holder	 h;

	if (!s->readonly) {
		session_notice(s, "you have write access already");
		return;
	}
	if (s->viewer || s->wfd == -1) {
		session_notice(s, "read-only: this port is for viewers");
		return;
	}
	if (lock_try(s->wfd) == -1) {
		if (lock_who(s->rundir, s->con, "w", &h) == -1) {
			session_notice(s, "write access is being taken; "
			    "try again");
			return;
		}
		if (share_force(s, &h) == -1) {
			session_notice(s, "cannot take write access from %s "
			    "(pid %ld): %s", h.peer, (long)h.pid,
			    strerror(errno));
			return;
		}
	}
	s->me.since = time(NULL);
	(void)lock_record(s->wfd, &s->me);
	s->readonly = 0;
	if (line_setup(s->dev, s->line) == -1)
		session_notice(s, "cannot set up %s: %s", s->con->device,
		    strerror(errno));
	request(s, "mode %ld w\n", (long)getpid());
	logit(LOG_INFO, "%s: write access taken by %s", s->con->name,
	    s->me.peer);
}

/* SIGUSR1: someone takes write access. */
void
share_taken(struct session *s)
{
	char	 note[PEER_LEN + 64], peer[PEER_LEN], *p, *nl;
	ssize_t	 n;

	if (s->readonly)
		return;
	strlcpy(peer, "another client", sizeof(peer));
	if (s->ffd != -1 && (n = pread(s->ffd, note, sizeof(note) - 1, 0)) >
	    0) {
		note[n] = '\0';
		if ((p = strstr(note, "\npeer ")) != NULL &&
		    (nl = strchr(p + 6, '\n')) != NULL) {
			*nl = '\0';
			strlcpy(peer, p + 6, sizeof(peer));
		}
	}
	lock_clear(s->wfd);
	uucp_unlock();		/* before the taker can look for it */
	(void)flock(s->wfd, LOCK_UN);
	s->readonly = 1;
	if (s->ctl != -1)
		return;		/* the logger tells everyone, us too */
	/* no logger to stay attached to: leave, and let go of the device */
	lock_clear(s->rfd);
	close(s->rfd);
	s->rfd = -1;
	session_notice(s, "write access taken by %s", peer);
	s->end = END_TAKEN;
}

/* Call fn for each line of the logger's status file; -1 if none. */
static int
who_each(const char *rundir, const char *logger,
    void (*fn)(void *, long, int, time_t, const char *), void *arg)
{
	char		 path[PATH_MAX], line[PEER_LEN + 64], *f[3], *rest;
	const char	*errstr;
	long long	 pid, since;
	FILE		*fp;
	int		 fd, i, n;

	n = snprintf(path, sizeof(path), "%s/%s.who", rundir, logger);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		rest = line;
		for (i = 0; i < 3; i++)
			f[i] = strsep(&rest, " ");
		if (rest == NULL || (f[1][0] != 'w' && f[1][0] != 'r'))
			continue;
		pid = strtonum(f[0], 1, INT_MAX, &errstr);
		if (errstr != NULL)
			continue;
		since = strtonum(f[2], 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			continue;
		fn(arg, pid, f[1][0] == 'w', since, rest);
	}
	fclose(fp);
	return 0;
}

static void
who_notice(void *arg, long pid, int writer, time_t since, const char *peer)
{
	struct session	*s = arg;
	struct holder	 h;
	char		 when[32];

	h.since = since;
	holder_since(&h, when, sizeof(when));
	session_notice(s, "%s: %s %s (pid %ld) since %s%s", s->con->name,
	    writer ? "writer" : "viewer", peer, pid, when,
	    pid == (long)getpid() ? " (you)" : "");
}

/* ~w with a logger: the writer and the viewers. */
int
share_who(struct session *s)
{
	return who_each(s->rundir, s->logger, who_notice, s);
}

static void
who_print(void *arg, long pid, int writer, time_t since, const char *peer)
{
	struct holder	 h;
	char		 when[32], vpeer[PEER_LEN * 4 + 1];

	(void)arg;
	if (writer)
		return;		/* the writer is on the console's own line */
	h.since = since;
	holder_since(&h, when, sizeof(when));
	msg_vis(vpeer, sizeof(vpeer), peer, strlen(peer));
	printf("%-16s %-24s viewer %s (pid %ld) since %s\n", "", "", vpeer,
	    pid, when);
}

/* conslet -l: a line for each read-only client, under its console's. */
void
share_list(const char *rundir, const char *logger)
{
	(void)who_each(rundir, logger, who_print, NULL);
}

static void
who_count(void *arg, long pid, int writer, time_t since, const char *peer)
{
	(void)pid;
	(void)since;
	(void)peer;
	if (!writer)
		++*(int *)arg;
}

/* How many read-only clients the logger has. */
int
share_viewers(const char *rundir, const char *logger)
{
	int	 n = 0;

	(void)who_each(rundir, logger, who_count, &n);
	return n;
}
