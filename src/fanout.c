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
 * Fan-out: each attached conslet reads its own fifo, and has its own place
 * in the ring. Writes never block: a subscriber that is behind is written
 * to as its fifo drains, and one that falls more than the ring behind is
 * told how much it missed and goes on from the oldest byte held. Neither
 * the log nor any other subscriber waits for it.
 *
 * A conslet registers by making RUNDIR/NAME.sub/PID, opening it for
 * reading, and writing "join PID MODE REPLAY PEER" to RUNDIR/NAME.ctl. The
 * logger opens the fifo for writing and removes its name, so a conslet
 * that dies leaves nothing behind; the name going away is the conslet's
 * sign that it is attached. One killed before it asked leaves its fifo:
 * each join sweeps away those of processes that are gone.
 */

#ifdef __linux__
#define _GNU_SOURCE		/* Linux: F_SETPIPE_SZ */
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
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

#include "conslog.h"

#define CTL_LEN		1024	/* longest request line */
#define NOTES		16	/* notices waiting per subscriber */
#define NOTE_LEN	256
/*
 * Linux: each client's fifo holds this much, not 64 KiB, so that a client
 * reading at loopback speed is not outrun by a guest printing flat out
 * whenever the machine stalls it a few milliseconds.  The kernel holds
 * the bytes only while the client is behind: at most this much each.
 */
#define FIFO_LEN	(256 * 1024)

struct note {
	uint64_t	 at;		/* due at this stream position */
	size_t		 len;
	size_t		 off;		/* written so far; -1: not started */
	char		 text[NOTE_LEN];	/* CR LF, then the notice */
};

struct sub {
	pid_t		 pid;
	int		 fd;
	int		 writer;
	int		 blocked;	/* its fifo is full */
	int		 midline;	/* the last byte it got was not LF */
	int		 gone;
	time_t		 since;
	uint64_t	 pos;
	char		 peer[PEER_LEN];
	int		 nnotes;
	struct note	 notes[NOTES];
};

static struct sub	*subs[MAX_SUBS];
static int		 nsubs;
static int		 polled[MAX_SUBS];	/* pollfd slot to subscriber */
static struct ring	*ring;
static void		(*onnote)(const char *);
static int		 ctlfd = -1;
static char		 ctlbuf[CTL_LEN];
static size_t		 ctllen;
static int		 ctlskip;		/* inside an overlong line */
static char		 subdir[PATH_MAX], ctlpath[PATH_MAX];
static char		 whopath[PATH_MAX];

static int
path(char *buf, const char *rundir, const char *name, const char *suffix)
{
	int	 n;

	n = snprintf(buf, PATH_MAX, "%s/%s%s", rundir, name, suffix);
	if (n < 0 || n >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Remove what a previous logger of this name left (all), or only the
 * fifos whose conslet is gone.
 */
static void
clean(int all)
{
	struct dirent	*de;
	DIR		*d;
	pid_t		 pid;
	int		 dfd;

	if ((dfd = open(subdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		pid = strtonum(de->d_name, 1, INT_MAX, NULL);
		if (!all && pid != 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		(void)unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

static void
who(void)
{
	char	 tmp[PATH_MAX + 8];
	FILE	*f;
	int	 fd, i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", whopath);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	for (i = 0; i < nsubs; i++)
		if (!subs[i]->gone)
			fprintf(f, "%ld %c %lld %s\n", (long)subs[i]->pid,
			    subs[i]->writer ? 'w' : 'r',
			    (long long)subs[i]->since, subs[i]->peer);
	if (fclose(f) == 0)
		(void)rename(tmp, whopath);
}

int
fan_init(const char *rundir, const char *name, struct ring *r,
    void (*note_fn)(const char *))
{
	struct stat	 st;

	ring = r;
	onnote = note_fn;
	if (path(subdir, rundir, name, ".sub") == -1 ||
	    path(ctlpath, rundir, name, ".ctl") == -1 ||
	    path(whopath, rundir, name, ".who") == -1)
		return -1;
	if (mkdir(subdir, 0770) == -1 && errno != EEXIST)
		return -1;
	if (lstat(subdir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		errno = EPERM;
		return -1;
	}
	/* the logger's group may attach: mode 0770 whatever the umask */
	if (chmod(subdir, 0770) == -1)
		return -1;
	clean(1);
	if (unlink(ctlpath) == -1 && errno != ENOENT)
		return -1;
	if (mkfifo(ctlpath, 0660) == -1 || chmod(ctlpath, 0660) == -1)
		return -1;
	if ((ctlfd = open(ctlpath, O_RDWR | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	who();
	return 0;
}

int
fan_ctl_fd(void)
{
	return ctlfd;
}

static struct sub *
find(pid_t pid)
{
	int	 i;

	for (i = 0; i < nsubs; i++)
		if (subs[i]->pid == pid && !subs[i]->gone)
			return subs[i];
	return NULL;
}

/* Queue a notice for s, due once it has had everything up to at. */
static void
note(struct sub *s, uint64_t at, int front, const char *text)
{
	struct note	*n;
	int		 len;

	if (s->nnotes == NOTES) {
		if (!front)
			return;		/* bounded: a flood of notices drops */
		s->nnotes--;		/* but a skip is always told */
	}
	if (front) {
		memmove(&s->notes[1], &s->notes[0],
		    s->nnotes * sizeof(s->notes[0]));
		n = &s->notes[0];
	} else
		n = &s->notes[s->nnotes];
	n->text[0] = '\r';
	n->text[1] = '\n';
	if ((len = notice_fmt(n->text + 2, sizeof(n->text) - 2, "%s",
	    text)) == 0)
		return;
	n->at = at;
	n->len = len + 2;
	n->off = (size_t)-1;
	s->nnotes++;
}

/* A notice for every subscriber but skip (NULL for all). */
static void
tell_all(const struct sub *skip, const char *fmt, ...)
{
	char	 text[NOTE_LEN];
	va_list	 ap;
	int	 i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; i < nsubs; i++)
		if (subs[i] != skip && !subs[i]->gone)
			note(subs[i], ring->head, 0, text);
}

void
fan_notice(const char *fmt, ...)
{
	char	 text[NOTE_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tell_all(NULL, "%s", text);
}

/* s is now the writer; whoever was is not. */
static void
take_write(struct sub *s)
{
	int	 i, taken = 0;

	for (i = 0; i < nsubs; i++)
		if (subs[i] != s && subs[i]->writer && !subs[i]->gone) {
			subs[i]->writer = 0;
			taken = 1;
		}
	s->writer = 1;
	if (taken)
		tell_all(NULL, "write access taken by %s", s->peer);
}

static void
join(pid_t pid, int writer, size_t replay, const char *peer)
{
	char		 fifo[PATH_MAX];
	struct stat	 st;
	struct sub	*s;
	int		 fd, n;

	clean(0);
	n = snprintf(fifo, sizeof(fifo), "%s/%ld", subdir, (long)pid);
	if (n < 0 || (size_t)n >= sizeof(fifo))
		return;
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	(void)unlink(fifo);
	if (fd == -1)
		return;			/* it gave up, or was never there */
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode) ||
	    nsubs == MAX_SUBS || find(pid) != NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		if (nsubs == MAX_SUBS) {
			char	 text[128];

			logit(LOG_WARNING, "refused pid %ld: %d clients "
			    "attached already", (long)pid, MAX_SUBS);
			n = notice_fmt(text, sizeof(text), "too many clients "
			    "attached: %d", MAX_SUBS);
			(void)write(fd, text, n);
		}
		close(fd);
		return;
	}
#ifdef F_SETPIPE_SZ
	(void)fcntl(fd, F_SETPIPE_SZ, FIFO_LEN);	/* else 64 KiB */
#endif
	s->pid = pid;
	s->fd = fd;
	s->since = time(NULL);
	strlcpy(s->peer, peer, sizeof(s->peer));
	s->pos = ring_replay(ring, replay);
	subs[nsubs++] = s;
	tell_all(s, "%s joined%s", s->peer, writer ? "" : " (read-only)");
	if (writer)
		take_write(s);
	logit(LOG_INFO, "%s joined%s, pid %ld", s->peer,
	    writer ? "" : " (read-only)", (long)pid);
	who();
}

/*
 * One request line: "join PID w|r REPLAY PEER", "mode PID w|r",
 * "replay PID N" or "note PID TEXT".
 */
static void
request(char *line)
{
	char		*cmd, *pidstr, *arg, *rest = line;
	const char	*errstr;
	struct sub	*s;
	long long	 pid, n;

	cmd = strsep(&rest, " ");
	pidstr = strsep(&rest, " ");
	arg = strsep(&rest, " ");
	if (pidstr == NULL || arg == NULL)
		return;
	pid = strtonum(pidstr, 1, INT_MAX, &errstr);
	if (errstr != NULL)
		return;
	if (strcmp(cmd, "join") == 0 && rest != NULL) {
		n = strtonum(strsep(&rest, " "), 0, RING_MAX, &errstr);
		if (errstr == NULL && rest != NULL &&
		    (strcmp(arg, "w") == 0 || strcmp(arg, "r") == 0))
			join(pid, arg[0] == 'w', n, rest);
	} else if (strcmp(cmd, "mode") == 0 && (s = find(pid)) != NULL) {
		if (strcmp(arg, "w") == 0)
			take_write(s);
		else
			s->writer = 0;
		who();
	} else if (strcmp(cmd, "note") == 0 && find(pid) != NULL) {
		/* the rest of the line is the note: "note PID text..." */
		if (rest != NULL)
			arg[strlen(arg)] = ' ';
		onnote(arg);
		tell_all(NULL, "%s", arg);
	} else if (strcmp(cmd, "replay") == 0 && (s = find(pid)) != NULL) {
		n = strtonum(arg, 0, RING_MAX, &errstr);
		if (errstr == NULL)
			s->pos = ring_replay(ring, n);
	}
}

void
fan_ctl_read(void)
{
	char	*nl, *line;
	ssize_t	 n;

	while ((n = read(ctlfd, ctlbuf + ctllen, sizeof(ctlbuf) - ctllen)) >
	    0) {
		ctllen += n;
		line = ctlbuf;
		while ((nl = memchr(line, '\n', ctllen - (line - ctlbuf))) !=
		    NULL) {
			*nl = '\0';
			if (!ctlskip)
				request(line);
			ctlskip = 0;
			line = nl + 1;
		}
		ctllen -= line - ctlbuf;
		memmove(ctlbuf, line, ctllen);
		if (ctllen == sizeof(ctlbuf)) {	/* overlong: drop it */
			ctllen = 0;
			ctlskip = 1;
		}
	}
}

/* Write what s is due: 0 caught up, 1 its fifo is full, -1 it is gone. */
static int
sub_write(struct sub *s)
{
	const unsigned char	*p;
	struct note		*nt;
	uint64_t		 limit, oldest;
	char			 text[64];
	ssize_t			 w;
	size_t			 n;

	for (;;) {
		oldest = ring_oldest(ring);
		if (s->pos < oldest) {
			snprintf(text, sizeof(text), "%llu bytes skipped",
			    (unsigned long long)(oldest - s->pos));
			s->pos = oldest;
			note(s, oldest, 1, text);
		}
		if (s->nnotes > 0 && s->notes[0].at <= s->pos) {
			nt = &s->notes[0];
			if (nt->off == (size_t)-1) {	/* on a line of its own */
				nt->off = s->midline ? 0 : 2;
				s->midline = 0;
			}
			w = write(s->fd, nt->text + nt->off, nt->len - nt->off);
			if (w > 0 && (nt->off += w) == nt->len) {
				s->nnotes--;
				memmove(&s->notes[0], &s->notes[1],
				    s->nnotes * sizeof(s->notes[0]));
				continue;
			}
		} else {
			limit = s->nnotes > 0 ? s->notes[0].at : ring->head;
			if (s->pos >= limit)
				return 0;
			n = ring_peek(ring, s->pos, &p);
			if (n > limit - s->pos)
				n = limit - s->pos;
			w = write(s->fd, p, n);
			if (w > 0)
				s->midline = p[w - 1] != '\n';
			if (w > 0 && (s->pos += w, (size_t)w == n))
				continue;
		}
		if (w >= 0 || errno == EAGAIN)
			return 1;
		if (errno != EINTR)
			return -1;
	}
}

static void
leave(struct sub *s)
{
	s->gone = 1;
	close(s->fd);
	logit(LOG_INFO, "%s left, pid %ld", s->peer, (long)s->pid);
	tell_all(s, "%s left", s->peer);
}

/* Forget the subscribers that left. */
static void
reap(void)
{
	int	 i, j, changed = 0;

	for (i = j = 0; i < nsubs; i++) {
		if (subs[i]->gone) {
			free(subs[i]);
			changed = 1;
		} else
			subs[j++] = subs[i];
	}
	nsubs = j;
	if (changed)
		who();
}

static void
service(struct sub *s)
{
	int	 r;

	if ((r = sub_write(s)) == -1)
		leave(s);
	else
		s->blocked = r == 1;
}

/* Fill pfd with the subscribers; how many slots were used. */
int
fan_pollfds(struct pollfd *pfd, int max)
{
	int	 i, n = 0;

	for (i = 0; i < nsubs && n < max; i++) {
		pfd[n].fd = subs[i]->fd;
		pfd[n].events = subs[i]->blocked ? POLLOUT : 0;
		polled[n++] = i;
	}
	return n;
}

void
fan_serviced(const struct pollfd *pfd, int n)
{
	struct sub	*s;
	int		 i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0 || polled[i] >= nsubs)
			continue;
		s = subs[polled[i]];
		if (s->gone)
			continue;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			leave(s);
		else if (pfd[i].revents & POLLOUT)
			service(s);
	}
	reap();
}

/* New output or notices: give every subscriber that can take it its due. */
void
fan_flush(void)
{
	int	 i;

	for (i = 0; i < nsubs; i++)
		if (!subs[i]->gone && !subs[i]->blocked)
			service(subs[i]);
	reap();
}

void
fan_close(void)
{
	int	 i;

	for (i = 0; i < nsubs; i++) {
		if (!subs[i]->gone)
			close(subs[i]->fd);
		free(subs[i]);
	}
	nsubs = 0;
	clean(1);
	(void)rmdir(subdir);
	(void)unlink(ctlpath);
	(void)unlink(whopath);
	if (ctlfd != -1)
		close(ctlfd);
}
