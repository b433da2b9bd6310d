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
 * another. The logger's side is conslog's fanout.c; the messages are
 * ctl.h's.
 *
 * Write access passes without signals: the writer keeps the device's
 * force fifo (RUNDIR/dev.M.N.f) open and watches it, and a client that
 * takes write access writes "take PID PEER" there, then waits for the
 * writer lock. PID is whom the taker believes holds it, from the lock's
 * record, so that a request meant for a writer that has gone already is
 * not taken by the next one; 0 asks whoever it is.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslet.h"
#include "ctl.h"

#define JOIN_WAIT	5000	/* ms the logger may take to take us in */
#define FORCE_WAIT	5000	/* and the writer, to let go */

/* Does a logger read the device? Then s->logger is its name. */
int
share_logger(struct session *s)
{
	struct holder	 h;
	int		 tries;

	for (tries = 0; tries < LOCK_TRIES; tries++) {
		if (!lock_held(s->rundir, s->con->key, "r"))
			return 0;
		/* the record only names it: share_join() checks the device */
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

/* Connect to the logger's socket, in the run directory. */
static int
logger_connect(struct session *s)
{
	struct sockaddr_un	 sun;
	int			 fd, cwd, dfd, r, serrno;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.sock", s->logger);
	if ((dfd = rundir_fd(s->rundir, 0)) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_SEQPACKET, 0)) == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		close(fd);
		return -1;
	}
	/* relative to the checked directory: no path is long, none moves */
	r = fchdir(dfd) == -1 ? -1 :
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	serrno = errno;
	if (fchdir(cwd) == -1 && r == 0) {
		r = -1;
		serrno = errno;
	}
	close(cwd);
	if (r == -1) {
		close(fd);
		errno = serrno;
		return -1;
	}
	return fd;
}

/* The logger is not (or no longer) there to answer. */
static int
gone(int e)
{
	return e == ENOENT || e == ECONNREFUSED || e == ECONNRESET ||
	    e == EPIPE;
}

/*
 * Attach to the logger: connect, make sure it is the logger (root's, or
 * ours) of this very device, ask to join, and take the pipe its output
 * comes through. -1 with why filled when refused; -2 when the logger
 * went away meanwhile, and another may be there soon.
 */
int
share_join(struct session *s, char *why, size_t len)
{
	char		 msg[CTL_LEN + 1], peer[PEER_LEN * 4 + 1];
	struct pollfd	 pfd;
	long long	 deadline, left;
	uid_t		 uid;
	pid_t		 pid;
	ssize_t		 n;
	int		 fd = -1, r = -1;

	if ((s->ctl = logger_connect(s)) == -1) {
		snprintf(why, len, "%s", strerror(errno));
		return gone(errno) ? -2 : -1;
	}
	if (ctl_peer(s->ctl, &uid, &pid) == -1 ||
	    (uid != 0 && uid != geteuid())) {
		snprintf(why, len, "its socket is not root's");
		goto fail;
	}
	msg_vis(peer, sizeof(peer), s->me.peer, strlen(s->me.peer));
	peer[CTL_TEXT - 1] = '\0';
	if (ctl_send(s->ctl, -1, "join %c%s %zu %s", s->readonly ? 'r' : 'w',
	    s->quiet ? "q" : "", s->replay, peer) == -1) {
		snprintf(why, len, "%s", strerror(errno));
		r = gone(errno) ? -2 : -1;
		goto fail;
	}
	deadline = now_ms() + JOIN_WAIT;
	pfd.fd = s->ctl;
	pfd.events = POLLIN;
	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			snprintf(why, len, "it did not answer");
			goto fail;
		}
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			snprintf(why, len, "%s", strerror(errno));
			goto fail;
		}
		if (pfd.revents == 0)
			continue;
		if ((n = ctl_recv(s->ctl, msg, sizeof(msg), &fd)) == -1 &&
		    (errno == EAGAIN || errno == EINTR))
			continue;
		break;
	}
	if (n <= 0) {
		snprintf(why, len, "%s", n == 0 ? "it hung up" :
		    strerror(errno));
		if (n == 0 || gone(errno))
			r = -2;
		goto fail;
	}
	if (strncmp(msg, "no ", 3) == 0) {
		msg_vis(why, len, msg + 3, strcspn(msg + 3, "\n"));
		goto fail;
	}
	if (strncmp(msg, "ok ", 3) != 0 || fd == -1) {
		snprintf(why, len, "it gave no answer that makes sense");
		goto fail;
	}
	/* a logger named in a record nobody vouches for: is it ours? */
	if (s->con->key[0] != '\0' && strcmp(msg + 3, s->con->key) != 0) {
		snprintf(why, len, "it logs another device");
		close(fd);
		goto fail;
	}
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	s->src = fd;
	return 0;
fail:
	if (fd != -1)
		close(fd);
	close(s->ctl);
	s->ctl = -1;
	return r;
}

/* A note for the logger's log and its clients. */
void
share_note(struct session *s, const char *text)
{
	char	 safe[CTL_TEXT * 4];

	if (s->ctl == -1)
		return;
	msg_vis(safe, sizeof(safe), text, strlen(text));
	safe[CTL_TEXT - 1] = '\0';
	(void)ctl_send(s->ctl, -1, "note %s", safe);
}

void
share_replay(struct session *s)
{
	if (s->ctl != -1)
		(void)ctl_send(s->ctl, -1, "replay %zu", s->replay > 0 ?
		    s->replay : (size_t)REPLAY_DEFAULT);
}

/*
 * Take write access from whoever holds it (h, from its record, or NULL):
 * ask it through the force fifo, and wait for the lock.
 */
int
share_force(struct session *s, const struct holder *h)
{
	char	 bell[BELL_LEN], peer[PEER_LEN * 4 + 1];
	int	 i, n;

	msg_vis(peer, sizeof(peer), s->me.peer, strlen(s->me.peer));
	peer[200] = '\0';
	n = snprintf(bell, sizeof(bell), BELL_FMT,
	    h != NULL ? (long)h->pid : 0L, peer);
	if (s->ffd == -1 || n < 0 || (size_t)n >= sizeof(bell)) {
		errno = EINVAL;
		return -1;
	}
	if (write(s->ffd, bell, n) != n)	/* atomic: n < PIPE_BUF */
		return -1;
	for (i = 0; i < FORCE_WAIT / 10; i++) {
		if (lock_try(s->wfd) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		poll(NULL, 0, 10);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Tell the logger whether we write; it checks with the kernel. */
void
share_mode(struct session *s)
{
	if (s->ctl != -1)
		(void)ctl_send(s->ctl, -1, "mode %c", s->readonly ? 'r' : 'w');
}

/*
 * The force fifo is readable: a request to let go, for us or not. 1 when
 * we write and are asked to let go, with the taker's peer in peer.
 */
int
share_bell(struct session *s, char *peer, size_t len)
{
	char		 buf[4 * BELL_LEN + 1];
	char		*line, *next, *p;
	const char	*errstr;
	long long	 pid;
	ssize_t		 n;
	int		 yield = 0;

	if ((n = read(s->ffd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	strlcpy(peer, "another client", len);
	for (line = buf; (next = strchr(line, '\n')) != NULL;
	    line = next + 1) {
		*next = '\0';
		if (strncmp(line, "take ", 5) != 0 ||
		    (p = strchr(line + 5, ' ')) == NULL)
			continue;
		*p++ = '\0';
		pid = strtonum(line + 5, 0, INT_MAX, &errstr);
		if (errstr != NULL || (pid != 0 && pid != (long long)getpid()))
			continue;	/* for a writer before us */
		strlcpy(peer, p, len);
		yield = 1;
	}
	return yield && !s->readonly;
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

	n = snprintf(path, sizeof(path), "%s" WHO_SUFFIX, logger);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (fd = run_open(rundir, path, O_RDONLY, 0, 0, S_IFREG)) == -1)
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

/* ~w with a logger: it tells us the writer and the viewers. */
int
share_who(struct session *s)
{
	if (s->ctl == -1)
		return -1;
	return ctl_send(s->ctl, -1, "who");
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
