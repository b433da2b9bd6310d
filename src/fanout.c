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
 * Fan-out: each attached conslet reads its own pipe, and has its own place
 * in the ring. Writes never block: a subscriber that is behind is written
 * to as its pipe drains, and one that falls more than the ring behind is
 * told how much it missed and goes on from the oldest byte held. Neither
 * the log nor any other subscriber waits for it.
 *
 * The pipe is what the system gives (64 KiB at most on FreeBSD, where it
 * cannot be set), and the ring, not the pipe, is what a subscriber that is
 * behind has to catch up from: while one that keeps reading is further
 * behind than the ring holds, the ring stretches (up to RING_STRETCH
 * times its size), so that a client reading at network speed keeps up
 * with a guest printing flat out through the pauses a busy machine makes.
 * One whose pipe took nothing for STALL_MS is not waited for: it skips.
 *
 * Notices: a subscriber hears of the others (joins, leaves, takeovers) and
 * of the writer's notes, but not of its own notes, which it has answered
 * itself. A quiet one (conslet -E, an 8-bit clean pipe) hears nothing at
 * all, not even what it skipped: that goes to syslog instead.
 *
 * A conslet attaches by connecting to RUNDIR/NAME.sock and asking to join
 * (ctl.h); the logger answers with the read end of a pipe it made. The
 * connection is the subscriber's identity: the kernel tells its pid and
 * uid, its requests speak only for itself, and when it closes, the
 * subscriber is gone. Nothing is left in the run directory either way.
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

#include "conslog.h"
#include "ctl.h"

#define NOTES		16	/* notices waiting per subscriber */
#define NOTE_LEN	384
#define JOIN_MS		5000	/* a connection has this long to join */
/*
 * Notes a writer may make at once, and one more every NOTE_EVERY ms:
 * twice what conslet itself sends (5, then one a second), so that only a
 * client that is not conslet is ever held to it.
 */
#define NOTE_BURST	10
#define NOTE_EVERY	500
#define STALL_MS	1000	/* a pipe that took nothing this long: no wait */
/*
 * How long every reader is near the head before a stretched ring comes
 * back to its size: in a flood a reader is caught up now and behind the
 * next moment, and each stretch after a return costs the pages anew.
 */
#define RING_REST	2000

struct note {
	uint64_t	 at;		/* due at this stream position */
	size_t		 len;
	size_t		 off;		/* written so far; -1: not started */
	char		 text[NOTE_LEN];	/* CR LF, then the notice */
};

struct sub {
	pid_t		 pid;		/* as the kernel tells */
	uid_t		 uid;
	int		 sock;		/* its connection */
	int		 fd;		/* its pipe; -1 until it joined */
	long long	 joinby;	/* ms: when it must have joined */
	int		 writer;
	int		 quiet;		/* no notices in its pipe */
	int		 blocked;	/* its pipe is full */
	long long	 moved;		/* ms: when its pipe last took bytes */
	int		 midline;	/* the last byte it got was not LF */
	int		 gone;
	int		 warned;	/* a bad request was logged */
	int		 tokens;	/* notes it may make now */
	long long	 refill;	/* ms: when it gets one more */
	unsigned	 dropped;	/* notes over the limit */
	time_t		 since;
	uint64_t	 pos;
	char		 peer[PEER_LEN];
	int		 nnotes;
	struct note	 notes[NOTES];
};

static struct sub	*subs[MAX_SUBS];
static int		 nsubs;
static int		 polled[2 * MAX_SUBS + 1]; /* pollfd slot to sub */
static struct ring	*ring;
static void		(*onnote)(const char *);
static int		 lsock = -1;	/* the listening socket */
static int		 spare = -1;	/* a descriptor kept for EMFILE */
static const char	*rundir;
static char		 sockname[NAME_LEN + 8], whoname[NAME_LEN + 8];
static char		 lname[NAME_LEN + 1];
static char		 key[KEY_LEN];	/* the device logged now */
static struct sub	*lastw;		/* the last to have written */
static long long	 calm;		/* ms: since when the stretch idles */

static void	 tell_all(const struct sub *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

/* The run directory is the working directory while a name is bound. */
static int
bind_here(int s, const char *name)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 cwd, r, serrno;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, name, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fchdir(rundir_fd(rundir, 0)) == -1) {
		close(cwd);
		return -1;
	}
	old = umask(0117);		/* 0660: us and the directory's group */
	r = bind(s, (struct sockaddr *)&sun, sizeof(sun));
	serrno = errno;
	umask(old);
	if (fchdir(cwd) == -1)
		r = -1;
	close(cwd);
	errno = serrno;
	return r;
}

/* Rewrite NAME.who: a line for each subscriber, for conslet -l. */
static void
who(void)
{
	char	 tmp[NAME_LEN + 16];
	FILE	*f;
	int	 dfd, fd, i;

	if ((dfd = rundir_fd(rundir, 0)) == -1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", whoname);
	(void)unlinkat(dfd, tmp, 0);
	if ((fd = run_open(rundir, tmp, O_WRONLY, 1, 0644, S_IFREG)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	for (i = 0; i < nsubs; i++)
		if (!subs[i]->gone && subs[i]->fd != -1)
			fprintf(f, WHO_FMT, (long)subs[i]->pid,
			    subs[i]->writer ? 'w' : 'r',
			    (long long)subs[i]->since, subs[i]->peer);
	if (fclose(f) == 0)
		(void)renameat(dfd, tmp, dfd, whoname);
}

int
fan_init(const char *dir, const char *name, struct ring *r,
    void (*note_fn)(const char *))
{
	struct stat	 st;
	int		 dfd;

	ring = r;
	onnote = note_fn;
	rundir = dir;
	strlcpy(lname, name, sizeof(lname));
	snprintf(sockname, sizeof(sockname), "%s.sock", name);
	snprintf(whoname, sizeof(whoname), "%s" WHO_SUFFIX, name);
	if ((dfd = rundir_fd(rundir, 0)) == -1)
		return -1;
	/* ours: we hold the name lock, and nobody else writes here */
	if (unlinkat(dfd, sockname, 0) == -1 && errno != ENOENT)
		return -1;
	if ((lsock = socket(AF_UNIX, SOCK_SEQPACKET, 0)) == -1 ||
	    fcntl(lsock, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(lsock, F_SETFL, O_NONBLOCK) == -1 ||
	    bind_here(lsock, sockname) == -1 || listen(lsock, 64) == -1)
		return -1;
	/* the directory's group may attach, as with every file here */
	if (geteuid() == 0 && fstat(dfd, &st) == 0 && st.st_gid != getegid())
		(void)fchownat(dfd, sockname, (uid_t)-1, st.st_gid,
		    AT_SYMLINK_NOFOLLOW);
	spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	who();
	return 0;
}

/* The device now logged: what joining clients are told, and checked. */
void
fan_device(const char *k)
{
	strlcpy(key, k, sizeof(key));
}

static struct sub *
find_writer(void)
{
	int	 i;

	for (i = 0; i < nsubs; i++)
		if (subs[i]->writer && !subs[i]->gone)
			return subs[i];
	return NULL;
}

/* Queue a notice for s, due once it has had everything up to at. */
static void
note(struct sub *s, uint64_t at, int front, const char *text)
{
	struct note	*n;
	int		 len;

	if (s->fd == -1 || s->quiet)
		return;
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

/*
 * Does s hold the writer lock of the device? The kernel says which
 * process holds it; what a client says of itself is not enough.
 */
static int
holds_writer(const struct sub *s)
{
	char	 name[KEY_LEN + 8];
	pid_t	 pid;
	int	 fd;

	snprintf(name, sizeof(name), "%s.w", key);
	if (key[0] == '\0' || s->pid <= 0 ||
	    (fd = run_open(rundir, name, O_RDONLY, 0, 0, S_IFREG)) == -1)
		return 0;
	pid = lock_pid(fd);
	close(fd);
	return pid == s->pid;
}

/* A request that is not what it claims, said once a client. */
static void
bad(struct sub *s, const char *what)
{
	if (s->warned++)
		return;
	logit(LOG_WARNING, "%s: refused %s from pid %ld uid %ld", lname, what,
	    (long)s->pid, (long)s->uid);
}

/*
 * s is now the writer; whoever was is not. Everyone is told when it took
 * write access from a client that is still here, which may have let go
 * already (it gives up before the taker can have the lock).
 */
static void
take_write(struct sub *s)
{
	int	 i;

	for (i = 0; i < nsubs; i++)
		if (subs[i] != s)
			subs[i]->writer = 0;
	s->writer = 1;
	if (lastw != NULL && lastw != s && !lastw->gone) {
		tell_all(NULL, "write access taken by %s", s->peer);
		slog_event(LOG_NOTICE, "write access taken by %s, pid %ld",
		    s->peer, (long)s->pid);
	}
	lastw = s;
}

static void
refuse_join(struct sub *s, const char *why)
{
	(void)ctl_send(s->sock, -1, "no %s", why);
	logit(LOG_WARNING, "%s: refused pid %ld uid %ld: %s", lname,
	    (long)s->pid, (long)s->uid, why);
	s->gone = 1;
}

static void
join(struct sub *s, const struct request *r)
{
	char	 why[128];
	int	 p[2];

	if (pipe(p) == -1) {
		snprintf(why, sizeof(why), "cannot make a pipe: %s",
		    strerror(errno));
		refuse_join(s, why);
		return;
	}
	(void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
	(void)fcntl(p[1], F_SETFL, O_NONBLOCK);
	if (ctl_send(s->sock, p[0], "ok %s", key) == -1) {
		close(p[0]);
		close(p[1]);
		s->gone = 1;
		return;
	}
	close(p[0]);
	s->fd = p[1];
	s->moved = now_ms();
	s->since = time(NULL);
	strlcpy(s->peer, r->text, sizeof(s->peer));
	s->pos = ring_replay(ring, r->replay);
	s->writer = 0;
	s->quiet = r->quiet;
	if (r->writer && !holds_writer(s)) {
		bad(s, "a claim of write access");
		note(s, ring->head, 0, "read-only: the writer lock is not "
		    "yours");
	}
	tell_all(s, "%s joined%s", s->peer, r->writer && holds_writer(s) ?
	    "" : " (read-only)");
	if (r->writer && holds_writer(s))
		take_write(s);
	logit(LOG_INFO, "%s joined%s%s, pid %ld", s->peer,
	    s->writer ? "" : " (read-only)", s->quiet ? " (quiet)" : "",
	    (long)s->pid);
	slog_event(LOG_NOTICE, "%s joined%s, pid %ld", s->peer,
	    s->writer ? "" : " (read-only)", (long)s->pid);
	status_clients(1);
	who();
}

/* ~w: the writer and the viewers, told to s alone. */
static void
tell_who(struct sub *s)
{
	struct holder	 h;
	char		 text[NOTE_LEN + PEER_LEN], when[32];
	int		 i;

	for (i = 0; i < nsubs; i++) {
		if (subs[i]->gone || subs[i]->fd == -1)
			continue;
		h.since = subs[i]->since;
		holder_since(&h, when, sizeof(when));
		snprintf(text, sizeof(text), "%s: %s %s (pid %ld) since %s%s",
		    lname, subs[i]->writer ? "writer" : "viewer",
		    subs[i]->peer, (long)subs[i]->pid, when,
		    subs[i] == s ? " (you)" : "");
		note(s, ring->head, 0, text);
	}
}

/* Notes of s over the limit, counted: said in the log and to syslog. */
static void
log_dropped(struct sub *s)
{
	char	 text[NOTE_LEN];

	snprintf(text, sizeof(text), "%u notes by %s dropped", s->dropped,
	    s->fd != -1 ? s->peer : "a client");
	onnote(text);
	logit(LOG_NOTICE, "%s: %s", lname, text);
	s->dropped = 0;
}

/* May s make a note now? A burst, then one a NOTE_EVERY. */
static int
note_allowed(struct sub *s)
{
	long long	 now = now_ms();

	if (s->tokens < NOTE_BURST && now >= s->refill) {
		s->tokens += 1 + (now - s->refill) / NOTE_EVERY;
		if (s->tokens > NOTE_BURST)
			s->tokens = NOTE_BURST;
		s->refill = now + NOTE_EVERY;
	}
	if (s->tokens == 0) {
		s->dropped++;
		return 0;
	}
	s->tokens--;
	return 1;
}

static void
request(struct sub *s, const char *msg, size_t len)
{
	struct request	 r;
	char		 text[NOTE_LEN + 64];

	if (ctl_parse(msg, len, &r, RING_MAX) == REQ_BAD) {
		bad(s, "a malformed request");
		return;
	}
	if (s->fd == -1) {		/* first of all, it joins */
		if (r.type != REQ_JOIN) {
			bad(s, "a request before joining");
			s->gone = 1;
		} else
			join(s, &r);
		return;
	}
	switch (r.type) {
	case REQ_JOIN:
		bad(s, "a second join");
		break;
	case REQ_MODE:
		if (!r.writer) {
			s->writer = 0;
		} else if (holds_writer(s))
			take_write(s);
		else
			bad(s, "a claim of write access");
		who();
		break;
	case REQ_NOTE:
		if (!s->writer || find_writer() != s) {
			bad(s, "a note from a client that does not write");
			break;
		}
		if (!note_allowed(s))
			break;
		if (s->dropped > 0)
			log_dropped(s);
		strlcpy(text, r.text, sizeof(text));
		onnote(text);
		tell_all(s, "%s", text);	/* it answered its client itself */
		break;
	case REQ_REPLAY:
		s->pos = ring_replay(ring, r.replay);
		break;
	case REQ_WHO:
		tell_who(s);
		break;
	}
}

/* New connections: subscribers to be, until they join. */
static void
accept_all(void)
{
	struct sub	*s;
	int		 fd;
	uid_t		 uid;
	pid_t		 pid;

	for (;;) {
		if ((fd = accept(lsock, NULL, NULL)) == -1) {
			if ((errno != EMFILE && errno != ENFILE) ||
			    spare == -1)
				return;
			/*
			 * Out of descriptors (Linux says so even with none
			 * waiting): tell whoever waits, rather than nothing.
			 */
			close(spare);
			fd = accept(lsock, NULL, NULL);
			if (fd != -1) {
				(void)ctl_send(fd, -1, "no out of file "
				    "descriptors");
				close(fd);
				logit(LOG_WARNING, "%s: refused a client: %s",
				    lname, strerror(EMFILE));
			}
			spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd == -1)
				return;
			continue;
		}
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
		if (ctl_peer(fd, &uid, &pid) == -1) {
			close(fd);
			continue;
		}
		if (nsubs == MAX_SUBS || (s = calloc(1, sizeof(*s))) == NULL) {
			(void)ctl_send(fd, -1, "no too many clients attached: "
			    "%d", MAX_SUBS);
			logit(LOG_WARNING, "%s: refused pid %ld: %d clients "
			    "attached already", lname, (long)pid, MAX_SUBS);
			close(fd);
			continue;
		}
		s->sock = fd;
		s->fd = -1;
		s->pid = pid;
		s->uid = uid;
		s->tokens = NOTE_BURST;
		s->refill = now_ms() + NOTE_EVERY;
		s->joinby = now_ms() + JOIN_MS;
		subs[nsubs++] = s;
	}
}

/* Read what s asks, message by message. */
static void
sub_read(struct sub *s)
{
	char	 msg[CTL_LEN + 1];
	ssize_t	 n;
	int	 fd;

	while (!s->gone) {
		n = ctl_recv(s->sock, msg, sizeof(msg), &fd);
		if (fd != -1)
			close(fd);	/* nothing a client sends us has one */
		if (n > 0)
			request(s, msg, n);
		else if (n == 0 || (errno != EAGAIN && errno != EINTR &&
		    errno != EMSGSIZE))
			s->gone = 1;
		else if (errno == EMSGSIZE)
			bad(s, "an overlong request");
		else
			return;
	}
}

/* Write what s is due: 0 caught up, 1 its pipe is full, -1 it is gone. */
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
			status_skipped(oldest - s->pos);
			slog_event(LOG_WARNING, "%s for %s, pid %ld", text,
			    s->peer, (long)s->pid);
			s->pos = oldest;
			if (s->quiet)
				logit(LOG_WARNING, "%s: %s for %s, pid %ld",
				    lname, text, s->peer, (long)s->pid);
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
			if (w > 0) {
				s->midline = p[w - 1] != '\n';
				s->moved = now_ms();
			}
			if (w > 0 && (s->pos += w, (size_t)w == n))
				continue;
		}
		if (w >= 0 || errno == EAGAIN)
			return 1;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Forget the subscribers that left, and tell the others: all are told
 * first, while every entry is still there to be looked at, and only then
 * are the ones that left freed (several may leave in one round).
 */
static void
reap(void)
{
	int	 i, j, changed = 0;

	for (i = 0; i < nsubs; i++) {
		if (!subs[i]->gone)
			continue;
		if (subs[i]->dropped > 0) {
			log_dropped(subs[i]);
			changed = 1;
		}
		if (subs[i]->fd != -1) {
			close(subs[i]->fd);
			subs[i]->fd = -1;
			logit(LOG_INFO, "%s left, pid %ld", subs[i]->peer,
			    (long)subs[i]->pid);
			tell_all(subs[i], "%s left", subs[i]->peer);
			slog_event(LOG_NOTICE, "%s left, pid %ld",
			    subs[i]->peer, (long)subs[i]->pid);
			status_clients(-1);
			changed = 1;
		}
	}
	for (i = j = 0; i < nsubs; i++) {
		if (!subs[i]->gone) {
			subs[j++] = subs[i];
			continue;
		}
		close(subs[i]->sock);
		if (subs[i] == lastw)
			lastw = NULL;
		free(subs[i]);
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
		s->gone = 1;
	else
		s->blocked = r == 1;
}

/*
 * The oldest byte a subscriber still needs: the ring keeps it for one
 * that keeps reading; one whose full pipe took nothing for STALL_MS
 * skips when it reads again, and one lapped skips anyway.
 */
static uint64_t
keep(void)
{
	uint64_t	 k = ring->head, oldest = ring_oldest(ring);
	long long	 now = now_ms();
	int		 i;

	for (i = 0; i < nsubs; i++) {
		if (subs[i]->gone || subs[i]->fd == -1 ||
		    (subs[i]->blocked && now - subs[i]->moved > STALL_MS))
			continue;
		if (subs[i]->pos < k)
			k = subs[i]->pos;
	}
	return k > oldest ? k : oldest;
}

/* A stretched ring back to its size, once it has not been needed a while. */
static void
rest(void)
{
	uint64_t	 k;
	long long	 now;

	if (ring->size == ring->base || ring->head - (k = keep()) >
	    ring->base / 2) {
		calm = 0;
		return;
	}
	now = now_ms();
	if (calm == 0)
		calm = now;
	else if (now - calm >= RING_REST) {
		ring_rest(ring, k);
		calm = 0;
	}
}

/* n bytes are about to go into the ring: room, so no reader is lapped. */
void
fan_hold(size_t n)
{
	ring_hold(ring, keep(), n);
}

/* Fill pfd: the listener, then each subscriber's connection and pipe. */
int
fan_pollfds(struct pollfd *pfd, int max)
{
	int	 i, n = 0;

	if (max < 1)
		return 0;
	pfd[n].fd = lsock;
	pfd[n].events = nsubs < MAX_SUBS || spare != -1 ? POLLIN : 0;
	polled[n++] = -1;
	for (i = 0; i < nsubs && n + 2 <= max; i++) {
		pfd[n].fd = subs[i]->sock;
		pfd[n].events = POLLIN;
		polled[n++] = i;
		if (subs[i]->fd == -1)
			continue;
		pfd[n].fd = subs[i]->fd;
		pfd[n].events = subs[i]->blocked ? POLLOUT : 0;
		polled[n++] = i;
	}
	return n;
}

/* How long until a connection that has not joined is dropped; -1. */
int
fan_timeout(void)
{
	long long	 t, next = -1, now = now_ms();
	int		 i;

	for (i = 0; i < nsubs; i++) {
		if (subs[i]->fd != -1)
			continue;
		t = subs[i]->joinby - now;
		if (next == -1 || t < next)
			next = t < 0 ? 0 : t;
	}
	if (calm != 0) {		/* the ring's return is due */
		t = calm + RING_REST - now;
		if (next == -1 || t < next)
			next = t < 0 ? 0 : t;
	}
	return (int)next;
}

void
fan_serviced(const struct pollfd *pfd, int n)
{
	struct sub	*s;
	long long	 now;
	int		 i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (polled[i] == -1) {
			accept_all();
			continue;
		}
		if (polled[i] >= nsubs)
			continue;
		s = subs[polled[i]];
		if (s->gone)
			continue;
		if (pfd[i].fd == s->sock) {
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				sub_read(s);
		} else if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			s->gone = 1;
		else if (pfd[i].revents & POLLOUT)
			service(s);
	}
	now = now_ms();
	for (i = 0; i < nsubs; i++)
		if (subs[i]->fd == -1 && !subs[i]->gone &&
		    now >= subs[i]->joinby) {
			bad(subs[i], "a connection that never joined");
			subs[i]->gone = 1;
		}
	reap();
}

/* New output or notices: give every subscriber that can take it its due. */
void
fan_flush(void)
{
	int	 i;

	for (i = 0; i < nsubs; i++)
		if (!subs[i]->gone && subs[i]->fd != -1 && !subs[i]->blocked)
			service(subs[i]);
	reap();
	rest();
}

void
fan_close(void)
{
	int	 dfd, i;

	for (i = 0; i < nsubs; i++) {
		if (subs[i]->fd != -1)
			close(subs[i]->fd);
		close(subs[i]->sock);
		free(subs[i]);
	}
	nsubs = 0;
	if ((dfd = rundir_fd(rundir, 0)) != -1) {
		(void)unlinkat(dfd, sockname, 0);
		(void)unlinkat(dfd, whoname, 0);
	}
	if (lsock != -1)
		close(lsock);
	if (spare != -1)
		close(spare);
}
