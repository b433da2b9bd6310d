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
 * Access to a console, the policy in one place: who writes (the writer
 * lock, taken over with -f or ~f through the force fifo), who reads the
 * device (a logger, or this process under the reader lock and the locks
 * cu and minicom look for), and letting go of all of it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslet.h"

/*
 * Write access: the writer lock, taken from its holder with -f. Busy, a
 * client joins read-only where a logger lets it share the console, and is
 * refused, told who has it, where not.
 */
static void
writer_lock(struct session *s, int force)
{
	struct holder	 h;
	char		 since[32];
	int		 tries, known;

	for (tries = 0;; tries++) {
		if (lock_try(s->wfd) == 0)
			return;
		if (errno != EWOULDBLOCK)
			fatal(EX_OSERR, "run directory %s", s->rundir);
		known = lock_who_fd(s->wfd, &h) == 0;
		if (force) {
			if (share_force(s, known ? &h : NULL) == -1)
				fatal(EX_TEMPFAIL, "%s: cannot take write "
				    "access from %s (pid %ld)",
				    s->con->name, known ? h.peer : "its holder",
				    known ? (long)h.pid : 0L);
			logit(LOG_INFO, "%s: write access taken from %s by %s",
			    s->con->name, known ? h.peer : "its holder",
			    s->me.peer);
			return;
		}
		if (known) {
			holder_since(&h, since, sizeof(since));
			if (!share_logger(s))
				fatalx(EX_TEMPFAIL, "%s is in use by %s "
				    "(pid %ld) since %s", s->con->name, h.peer,
				    (long)h.pid, since);
			s->readonly = 1;
			session_notice(s, "read-only: %s is in use by %s "
			    "(pid %ld) since %s", s->con->name, h.peer,
			    (long)h.pid, since);
			return;
		}
		/* held, but no record yet: the holder is still writing it */
		if (tries == LOCK_TRIES)
			fatalx(EX_TEMPFAIL, "%s is in use", s->con->name);
		poll(NULL, 0, 10);
	}
}

/* A viewer (-r) is told that it is one, and who writes, as it attaches. */
static void
viewer_hello(struct session *s)
{
	struct holder	 h;
	char		 since[32];

	if (s->con->key[0] != '\0' && lock_held(s->rundir, s->con->key, "w") &&
	    lock_who(s->rundir, s->con, "w", &h) == 0) {
		holder_since(&h, since, sizeof(since));
		session_notice(s, "read-only: %s is in use by %s (pid %ld) "
		    "since %s", s->con->name, h.peer, (long)h.pid, since);
	} else
		session_notice(s, "read-only: nobody has write access to %s",
		    s->con->name);
}

/*
 * Reading the device ourselves, the locks cu, tip, minicom and picocom
 * look for. With a logger, the logger holds them for the console.
 */
static void
uucp_take(struct session *s, const char *dir)
{
	struct uucp_who	 who;

	if (uucp_flock(s->dev, &who) == -1) {
		if (errno == EWOULDBLOCK)
			fatalx(EX_TEMPFAIL, "%s is in use by %s (flock on %s)",
			    s->con->name, who.desc, s->con->device);
		logit(LOG_WARNING, "%s: no flock on %s: %s", s->con->name,
		    s->con->device, strerror(errno));
	}
	if (uucp_lock(dir, s->con->path, &who) == 0)
		return;
	if (errno != EBUSY) {
		logit(LOG_WARNING, "%s: no UUCP lock in %s: %s", s->con->name,
		    dir, strerror(errno));
		return;
	}
	fatalx(EX_TEMPFAIL, "%s is in use by %s (UUCP lock %s in %s)",
	    s->con->name, who.desc, who.lock, dir);
}

/* Without a logger this process reads the device, under its reader lock. */
static void
reader_lock(struct session *s, const char *uucpdir)
{
	struct holder	 h;
	int		 tries;

	for (tries = 0;; tries++) {
		if ((s->rfd = lock_take(s->rundir, s->con, "r")) != -1)
			break;
		if (errno != EWOULDBLOCK)
			fatal(EX_OSERR, "run directory %s", s->rundir);
		if (share_logger(s))
			return;		/* a logger came up meanwhile */
		if (tries == LOCK_TRIES) {	/* a reader that is letting go */
			if (lock_who(s->rundir, s->con, "r", &h) == 0)
				fatalx(EX_TEMPFAIL, "%s is being read by pid "
				    "%ld", s->con->name, (long)h.pid);
			fatalx(EX_TEMPFAIL, "%s is being read", s->con->name);
		}
		poll(NULL, 0, 10);
	}
	if (lock_record(s->rfd, &s->me) == -1)
		fatal(EX_OSERR, "run directory %s", s->rundir);
	s->src = s->dev;
	if (!s->readonly)
		uucp_take(s, uucpdir);
}

/*
 * The console's output: through its logger, or from the device itself
 * when none runs. A logger that goes away while we join (killed, or
 * restarting) is looked for again: a new one, or the device is free.
 */
static void
attach(struct session *s, const char *uucpdir)
{
	char	 why[256];
	int	 tries;

	for (tries = 0;; tries++) {
		if (s->logger[0] == '\0' && !share_logger(s)) {
			if (s->readonly)
				fatalx(EX_TEMPFAIL, "%s: its logger went away",
				    s->con->name);
			reader_lock(s, uucpdir);
		}
		if (s->src != -1)
			return;
		switch (share_join(s, why, sizeof(why))) {
		case 0:
			return;
		case -2:		/* it went away meanwhile */
			if (tries < LOCK_TRIES)
				break;
			/* FALLTHROUGH */
		default:
			fatalx(EX_TEMPFAIL, "%s: cannot attach to its logger: "
			    "%s", s->con->name, why);
		}
		if (!s->viewer)
			s->logger[0] = '\0';
		poll(NULL, 0, 10);
	}
}

/*
 * Access as the options ask: a viewer finds the logger; a writer takes
 * the writer lock (from its holder with force), or joins read-only where
 * it is busy. Then the console's output, through the logger or from the
 * device. Whatever is refused ends the program with a message.
 */
void
access_open(struct session *s, int force, const char *uucpdir)
{
	char	 fname[KEY_LEN + 8];

	if (s->viewer) {
		if (lock_held(s->rundir, s->con->name, "logger"))
			strlcpy(s->logger, s->con->name, sizeof(s->logger));
		else if (s->con->key[0] == '\0' || !share_logger(s))
			fatalx(EX_TEMPFAIL, "%s: read-only access needs "
			    "conslog, and none runs", s->con->name);
	} else {
		snprintf(fname, sizeof(fname), "%s.f", s->con->key);
		if ((s->wfd = lock_file(s->rundir, s->con, "w")) == -1 ||
		    (s->ffd = run_open(s->rundir, fname, O_RDWR, 1, 0660,
		    S_IFIFO)) == -1)
			fatalx(EX_OSERR, "run directory %s: %s", s->rundir,
			    lock_error());
		writer_lock(s, force);
		if (!s->readonly && lock_record(s->wfd, &s->me) == -1)
			fatal(EX_OSERR, "run directory %s", s->rundir);
	}
	attach(s, uucpdir);
	if (s->viewer)
		viewer_hello(s);
}

/* ~f: a read-only client takes write access. */
void
access_take(struct session *s)
{
	struct holder	 h;
	int		 known;

	if (!s->readonly) {
		session_notice(s, "you have write access already");
		return;
	}
	if (s->viewer || s->wfd == -1) {
		session_notice(s, "read-only: this port is for viewers");
		return;
	}
	if (lock_try(s->wfd) == -1) {
		known = lock_who_fd(s->wfd, &h) == 0;
		if (share_force(s, known ? &h : NULL) == -1) {
			if (known)
				session_notice(s, "cannot take write access "
				    "from %s (pid %ld): %s", h.peer,
				    (long)h.pid, strerror(errno));
			else
				session_notice(s, "cannot take write access: "
				    "%s", strerror(errno));
			return;
		}
	}
	s->me.since = time(NULL);
	(void)lock_record(s->wfd, &s->me);
	s->readonly = 0;
	if (line_setup(s->dev, s->line) == -1)
		session_notice(s, "cannot set up %s: %s", s->con->device,
		    strerror(errno));
	share_mode(s);
	logit(LOG_INFO, "%s: write access taken by %s", s->con->name,
	    s->me.peer);
}

/* Someone takes write access: let go of it, and of what we typed. */
void
access_yield(struct session *s, const char *peer)
{
	/* while we still write: the logger takes notes from the writer */
	comport_release(s, 1);
	/* typed, written, not yet read by the guest: not ours to send now */
	session_purge_dev(s);
	lock_clear(s->wfd);
	uucp_unlock();		/* before the taker can look for it */
	lock_release(s->wfd);
	s->readonly = 1;
	if (s->ctl != -1) {
		share_mode(s);
		return;		/* the logger tells everyone, us too */
	}
	/* no logger to stay attached to: leave, and let go of the device */
	lock_clear(s->rfd);
	close(s->rfd);
	s->rfd = -1;
	session_notice(s, "write access taken by %s", peer);
	session_end(s, END_TAKEN);
}

/* The end: what we hold, let go; a viewer's record is nobody's. */
void
access_release(struct session *s)
{
	if (s->rfd != -1)
		lock_clear(s->rfd);
	if (!s->readonly)
		lock_clear(s->wfd);
	uucp_unlock();
}
