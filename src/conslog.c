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
 * conslog: one logger per console, the only reader of its device while it
 * runs. Every byte goes to the log, then into the ring, then to each
 * attached conslet. When the device goes away it keeps the console and
 * opens it again when it is back.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslog.h"

#ifndef LOGDIR
#define LOGDIR		"/var/log/conslet"
#endif

#ifdef __GLIBC__
#define OPTS	"+:5Tb:a:A:C:D:L:n:p:R:S:U:w:x:" /* GNU: stop at the name */
#else
#define OPTS	":5Tb:a:A:C:D:L:n:p:R:S:U:w:x:"
#endif

#define READ_LEN	65536
#define BURST		1024	/* a read this long: more may be waiting */
#define BACKOFF_MIN	100	/* ms between attempts to reopen */
#define BACKOFF_MAX	5000

extern char		**environ;

static const char	*consdir = CONSDIR, *rundir = RUNDIR, *name;
static struct console	 con;
static struct logfile	 logf;
static struct ring	 ring;
static int		 dev = -1, rfd = -1;
static int		 attached;	/* has been attached once */
static const char	*uucpdir = UUCPDIR; /* -U, NULL for none */
static pid_t		 uucp_told;	/* the holder last logged, -1 unknown */
static int		 uucp_warned;	/* no UUCP lock could be made */
static int		 notify = -1;	/* -n: readiness, once */
static struct pidfh	*pfh;		/* -p */
static long long	 next;		/* when to try the device again */
static int		 backoff;	/* ms between tries, doubling */
static int		 announced;	/* ready told: a return is news */

static void __attribute__((__noreturn__))
usage(void)
{
	fatalx(EX_USAGE, "usage: conslog [-5T] [-A file] [-a pattern] "
	    "[-b ringsize] [-C consdir] [-D socket] [-L log] [-n fd] "
	    "[-p pidfile] [-R rundir] [-S facility] [-U lockdir] "
	    "[-w priority] [-x command] console");
}

/* One logger per name: its socket, its status file and its log. */
static int
name_lock(void)
{
	char	 lname[NAME_LEN + 16], buf[64];
	long	 pid = 0;
	ssize_t	 r;
	int	 fd;

	snprintf(lname, sizeof(lname), "%s.logger", name);
	if ((fd = run_open(rundir, lname, O_RDWR, 1, 0644, S_IFREG)) == -1)
		fatalx(EX_OSERR, "run directory %s: %s", rundir, lock_error());
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			fatal(EX_OSERR, "run directory %s", rundir);
		/* for the message only: whoever holds it wrote it */
		if ((r = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[r] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			pid = strtonum(buf, 1, INT_MAX, NULL);
		}
		if (pid != 0)
			fatalx(EX_TEMPFAIL, "%s is already logged by pid %ld",
			    name, pid);
		fatalx(EX_TEMPFAIL, "%s is already logged", name);
	}
	if (ftruncate(fd, 0) == -1 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		fatal(EX_OSERR, "run directory %s", rundir);
	return fd;
}

/*
 * Open the console again from its name (the link may point somewhere new)
 * under that device's reader lock. The lock of the device that went away
 * is kept until another one is had, so that clients still find the logger
 * during the gap. 0 when attached, -1 to try later.
 */
static int
attach(void)
{
	struct console	 c;
	struct holder	 me;
	struct uucp_who	 who;
	int		 fd;

	if (console_find(&c, consdir, name) != CON_OK)
		return -1;
	/* opened first, and the lock keyed by what was opened */
	if ((dev = line_open(c.path)) == -1) {
		if (errno == ENOTTY && !attached)
			fatalx(EX_IOERR, "%s: %s is not a terminal device",
			    name, c.device);
		return -1;
	}
	if (console_key(&c, dev) == -1) {
		close(dev);
		dev = -1;
		return -1;
	}
	if (rfd != -1 && strcmp(c.key, con.key) == 0)
		fd = rfd;		/* the same device is back */
	else if ((fd = lock_take(rundir, &c, "r")) == -1) {
		close(dev);		/* a direct conslet reads it: wait */
		dev = -1;
		return -1;
	}
	memset(&me, 0, sizeof(me));
	me.pid = getpid();
	me.since = time(NULL);
	me.logger = 1;
	strlcpy(me.peer, "conslog", sizeof(me.peer));
	strlcpy(me.console, name, sizeof(me.console));
	strlcpy(me.device, c.device, sizeof(me.device));
	if (lock_record(fd, &me) == -1)
		goto busy;
	/*
	 * picocom's flock first, as conslet takes them: while picocom has
	 * the device no UUCP lock of ours comes and goes. A holder that
	 * cannot be named right after one that was is that one on its way
	 * out: nothing new to say.
	 */
	if (uucp_flock(dev, &who) == -1 && errno == EWOULDBLOCK) {
		if (who.pid != 0 ? who.pid != uucp_told : uucp_told == 0)
			logit(LOG_NOTICE, "%s: %s is in use by %s (flock), "
			    "waiting", name, c.device, who.desc);
		if (who.pid != 0 || uucp_told == 0)
			uucp_told = who.pid != 0 ? who.pid : -1;
		goto busy;
	}
	if (uucp_lock(uucpdir, c.path, &who) == -1) {
		if (errno == EBUSY) {
			/* cu or minicom has the port: wait, say so once */
			uucp_unlock();		/* our flock */
			if (who.pid != uucp_told)
				logit(LOG_NOTICE, "%s: %s is in use by %s (UUCP "
				    "lock %s in %s), waiting", name, c.device,
				    who.desc, who.lock, uucpdir);
			uucp_told = who.pid;
			goto busy;
		}
		if (!uucp_warned)
			logit(LOG_WARNING, "%s: no UUCP lock in %s: %s",
			    name, uucpdir, strerror(errno));
		uucp_warned = 1;
	}
	if (fd != rfd && rfd != -1) {
		lock_clear(rfd);
		close(rfd);
	}
	rfd = fd;
	con = c;
	status_present(1);
	fan_device(con.key);
	if (line_setup(dev, &(struct line){ 0 }) == -1)
		logit(LOG_WARNING, "%s: cannot set up %s: %s", name,
		    con.device, strerror(errno));
	attached = 1;
	return 0;

busy:			/* not now: let go of the device and a new lock */
	close(dev);
	dev = -1;
	if (fd != rfd) {
		lock_clear(fd);
		close(fd);
	}
	return -1;
}

/* The device went away; its reader lock stays ours for now. */
static void
detach(void)
{
	uucp_unlock();		/* the flock too, before the descriptor goes */
	status_present(0);
	close(dev);
	dev = -1;
	uucp_told = 0;
}

static void
log_path(const char *arg)
{
	struct stat	 st;
	int		 n;

	if (arg == NULL) {
		arg = LOGDIR;
		(void)mkdir(arg, 0750);
	}
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		n = snprintf(logf.path, sizeof(logf.path), "%s/%s.log", arg,
		    name);
	else
		n = snprintf(logf.path, sizeof(logf.path), "%s", arg);
	if (n < 0 || (size_t)n >= sizeof(logf.path))
		fatalx(EX_USAGE, "log path is too long");
}

/* A client's note (a BREAK, new line settings) goes into the log. */
static void
note(const char *text)
{
	char	 safe[512];

	msg_vis(safe, sizeof(safe), text, strlen(text));
	log_note(&logf, "%s", safe);
}

static void
ready(void)
{
	if (pfh != NULL && pidfile_write(pfh) == -1)
		logit(LOG_WARNING, "pid file: %s", strerror(errno));
	if (notify != -1) {
		(void)write(notify, "\n", 1);
		close(notify);
	}
}

/*
 * The device is away: try to open it again when it is due, backing off.
 * The ms until the next try.
 */
static int
device_return(void)
{
	if (now_ms() < next)
		return next - now_ms();
	if (attach() == 0) {
		if (announced) {
			log_note(&logf, "console reopened");
			fan_notice("console reopened");
			fan_flush();
		} else
			ready();
		announced = 1;
		backoff = 0;
		return -1;
	}
	backoff = backoff == 0 ? BACKOFF_MIN : backoff * 2 > BACKOFF_MAX ?
	    BACKOFF_MAX : backoff * 2;
	next = now_ms() + backoff;
	return backoff;
}

/* SIGHUP reopens the log; 1 when SIGTERM or SIGINT says stop. */
static int
handle_signals(void)
{
	int	 got;

	got = signals_taken();
	if (got & (SIGBIT(SIGTERM) | SIGBIT(SIGINT)))
		return 1;
	if (got & SIGBIT(SIGHUP) && log_reopen(&logf) == -1)
		logit(LOG_ERR, "log %s: %s", logf.path, strerror(errno));
	return 0;
}

/*
 * The device is readable: its output goes to the log, then the ring,
 * whence fan_flush() passes it on; or it went away.
 */
static void
device_output(void)
{
	static unsigned char	 buf[READ_LEN];
	size_t			 len = 0;
	ssize_t			 r;
	int			 gone;

	/* a pty gives at most 4 KiB a read: in a burst, read on */
	do {
		if ((r = read(dev, buf + len, sizeof(buf) - len)) > 0)
			len += r;
	} while (r >= BURST && sizeof(buf) - len >= BURST);
	/* before the log's write can change errno */
	gone = r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR);
	if (len > 0) {
		log_write(&logf, buf, len);
		slog_output(buf, len);
		fan_hold(len);		/* no client that reads is lapped */
		ring_add(&ring, buf, len);
	}
	if (gone) {
		detach();
		log_note(&logf, "console closed");
		fan_notice("console closed");
		logit(LOG_NOTICE, "%s: console closed", name);
		next = 0;
	}
}

/* The options; the console's name. */
static const char *
options(int argc, char *argv[], const char **logarg, const char **pidpath,
    long long *ringsize)
{
	const char	*errstr;
	int		 ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, OPTS)) != -1) {
		switch (ch) {
		case 'T':
			logf.stamp = 1;
			break;
		case 'b':
			*ringsize = strtonum(optarg, RING_MIN, RING_MAX,
			    &errstr);
			if (errstr != NULL)
				fatalx(EX_USAGE, "ring size is %s: %s", errstr,
				    optarg);
			break;
		case 'C':
			consdir = optarg;
			break;
		case 'L':
			*logarg = optarg;
			break;
		case 'n':
			notify = strtonum(optarg, 3, INT_MAX, &errstr);
			if (errstr != NULL || fcntl(notify, F_GETFD) == -1)
				fatalx(EX_USAGE, "notification fd is invalid: "
				    "%s", optarg);
			break;
		case 'p':
			*pidpath = optarg;
			break;
		case 'R':
			rundir = optarg;
			break;
		case 'U':
			uucpdir = uucp_dir(optarg);
			break;
		case ':':
			fatalx(EX_USAGE, "option -%c needs a value", optopt);
		default:
			if (slog_option(ch, optarg) == 0)
				break;
			fatalx(EX_USAGE, "unknown option -%c", optopt);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (!console_name_ok(argv[0]))
		fatalx(EX_USAGE, "invalid console name: \"%s\"", argv[0]);
	return argv[0];
}

/*
 * Everything before the loop, refused with a message: the console, the
 * name's lock, the log, the pid file, the ring, the signals, the socket.
 * The descriptor signals arrive on.
 */
static int
setup(const char *logarg, const char *pidpath, long long ringsize)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, 0 };
	struct holder	 other_h;
	pid_t		 other;
	int		 sigfd;

	switch (console_find(&con, consdir, name)) {
	case CON_MISSING:
		fatalx(EX_NOINPUT, "no such console: %s", name);
	case CON_NOTTY:
		fatalx(EX_IOERR, "%s: %s is not a terminal device", name,
		    con.device);
	}
	if (lock_dir(rundir) == -1)
		fatalx(EX_OSERR, "run directory %s: %s", rundir, lock_error());
	(void)name_lock();
	if (lock_held(rundir, con.key, "r") &&
	    lock_who(rundir, &con, "r", &other_h) == 0 && other_h.logger)
		fatalx(EX_TEMPFAIL, "%s: %s is already logged by pid %ld",
		    name, con.device, (long)other_h.pid);
	log_path(logarg);
	if (log_open(&logf) == -1)
		fatal(EX_OSERR, "log %s", logf.path);
	if (pidpath != NULL && (pfh = pidfile_open(pidpath, 0644, &other)) ==
	    NULL)
		fatal(EX_OSERR, "pid file %s", pidpath);
	if (ring_init(&ring, ringsize) == -1)
		fatal(EX_OSERR, "ring");
	if ((sigfd = signals_catch(sigs)) == -1)
		fatal(EX_OSERR, "signals");
	if (fan_init(rundir, name, &ring, note) == -1)
		fatalx(EX_OSERR, "run directory %s: %s", rundir, lock_error());
	slog_init(rundir, name);
	fan_device(con.key);
	return sigfd;
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[2 + 1 + 2 * MAX_SUBS];
	const char	*logarg = NULL, *pidpath = NULL;
	long long	 ringsize = RING_DEFAULT;
	int		 sigfd, nsub, timeout, t;

#ifdef LIBBSD_OVERLAY
	setproctitle_init(argc, argv, environ);	/* libbsd needs the space */
#endif
	msg_init("conslog", 0);
	signal(SIGPIPE, SIG_IGN);
	/* a log past RLIMIT_FSIZE fails with EFBIG, and the loss is counted */
	signal(SIGXFSZ, SIG_IGN);
	logf.fd = -1;

	name = options(argc, argv, &logarg, &pidpath, &ringsize);
	sigfd = setup(logarg, pidpath, ringsize);
	setproctitle("%s", name);
	logit(LOG_INFO, "%s: logging %s to %s", name, con.device, logf.path);

	for (;;) {
		timeout = dev == -1 ? device_return() : -1;
		if ((t = fan_timeout()) != -1 && (timeout == -1 || t < timeout))
			timeout = t;
		timeout = slog_timeout(timeout);
		pfd[0].fd = sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = dev;
		pfd[1].events = POLLIN;
		nsub = fan_pollfds(pfd + 2, 1 + 2 * MAX_SUBS);
		if (poll(pfd, 2 + nsub, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal(EX_OSERR, "poll");
		}
		if (pfd[0].revents & POLLIN && handle_signals())
			break;
		if (dev != -1 && pfd[1].revents != 0)
			device_output();
		fan_serviced(pfd + 2, nsub);
		fan_flush();	/* once a round: new output, replays, notices */
		slog_tick();
	}

	logit(LOG_INFO, "%s: stopped", name);
	slog_close();
	fan_close();
	if (dev != -1)
		detach();
	if (rfd != -1)
		lock_clear(rfd);
	if (pfh != NULL)
		pidfile_remove(pfh);
	return 0;
}
