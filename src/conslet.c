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
 * conslet: one serial console per connection. A super-server starts it
 * with the connection on fds 0 and 1; it takes the console's locks, opens
 * the device and relays until either side goes.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslet.h"

#ifdef __GLIBC__
#define OPTS	"+:AC:c:Ee:fHh:i:lmpR:rs:tU:u:W:wx:" /* GNU: stop at the name */
#else
#define OPTS	":AC:c:Ee:fHh:i:lmpR:rs:tU:u:W:wx:"
#endif

#define IDLE_MAX	2592000	/* 30 days */

extern char		**environ;

static struct session	 sess;
static struct console	 con;

static void __attribute__((__noreturn__))
usage(void)
{
	fatal(EX_USAGE, "usage: conslet [-AEfprt] [-C consdir] [-R rundir] "
	    "[-U lockdir] [-c format] [-e char] [-h bytes] [-i seconds] "
	    "[-s speed] [-u user[:group]] [-x flow] console | -m | -w | "
	    "-W proxy | -l [-H]");
}

/* A single character, or ^X for a control character. */
static int
escape_char(const char *s)
{
	if (s[0] != '\0' && s[1] == '\0')
		return (unsigned char)s[0];
	if (s[0] == '^' && s[1] != '\0' && s[2] == '\0') {
		if (s[1] == '?')
			return 0x7f;
		if (s[1] >= '@' && s[1] <= '_')
			return s[1] ^ 0x40;
		if (s[1] >= 'a' && s[1] <= 'z')
			return s[1] - 'a' + 1;
	}
	fatal(EX_USAGE, "escape character is invalid: %s", s);
}

struct ids {
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
};

/* -u user[:group], looked up before anything is opened. */
static void
lookup_user(struct ids *id, const char *spec)
{
	char		 buf[256], *group;
	struct passwd	*pw;
	struct group	*gr;

	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		fatal(EX_USAGE, "user is invalid: too long");
	if ((group = strchr(buf, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(buf)) == NULL)
		fatal(EX_USAGE, "user is invalid: no such user: %s", buf);
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	strlcpy(id->name, pw->pw_name, sizeof(id->name));
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			fatal(EX_USAGE, "group is invalid: no such group: %s",
			    group);
		id->gid = gr->gr_gid;
	}
	if (geteuid() != 0)
		fatal(EX_USAGE, "-u %s: only root can change user", spec);
}

static void
drop(const struct ids *id)
{
	if (setgroups(1, &id->gid) == -1 || setgid(id->gid) == -1 ||
	    setuid(id->uid) == -1)
		fatal(EX_OSERR, "cannot become %s: %s", id->name,
		    strerror(errno));
	if (id->uid != 0 && setuid(0) != -1)
		fatal(EX_OSERR, "cannot become %s: root kept", id->name);
}

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
			fatal(EX_OSERR, "run directory %s: %s", s->rundir,
			    strerror(errno));
		known = lock_who_fd(s->wfd, &h) == 0;
		if (force) {
			if (share_force(s, known ? &h : NULL) == -1)
				fatal(EX_TEMPFAIL, "%s: cannot take write "
				    "access from %s (pid %ld): %s",
				    s->con->name, known ? h.peer : "its holder",
				    known ? (long)h.pid : 0L, strerror(errno));
			logit(LOG_INFO, "%s: write access taken from %s by %s",
			    s->con->name, known ? h.peer : "its holder",
			    s->me.peer);
			return;
		}
		if (known) {
			holder_since(&h, since, sizeof(since));
			if (!share_logger(s))
				fatal(EX_TEMPFAIL, "%s is in use by %s (pid %ld) "
				    "since %s", s->con->name, h.peer,
				    (long)h.pid, since);
			s->readonly = 1;
			session_notice(s, "read-only: %s is in use by %s "
			    "(pid %ld) since %s", s->con->name, h.peer,
			    (long)h.pid, since);
			return;
		}
		/* held, but no record yet: the holder is still writing it */
		if (tries == LOCK_TRIES)
			fatal(EX_TEMPFAIL, "%s is in use", s->con->name);
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
			fatal(EX_TEMPFAIL, "%s is in use by %s (flock on %s)",
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
	fatal(EX_TEMPFAIL, "%s is in use by %s (UUCP lock %s in %s)",
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
			fatal(EX_OSERR, "run directory %s: %s", s->rundir,
			    strerror(errno));
		if (share_logger(s))
			return;		/* a logger came up meanwhile */
		if (tries == LOCK_TRIES) {	/* a reader that is letting go */
			if (lock_who(s->rundir, s->con, "r", &h) == 0)
				fatal(EX_TEMPFAIL, "%s is being read by pid "
				    "%ld", s->con->name, (long)h.pid);
			fatal(EX_TEMPFAIL, "%s is being read", s->con->name);
		}
		poll(NULL, 0, 10);
	}
	if (lock_record(s->rfd, &s->me) == -1)
		fatal(EX_OSERR, "run directory %s: %s", s->rundir,
		    strerror(errno));
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
				fatal(EX_TEMPFAIL, "%s: its logger went away",
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
			fatal(EX_TEMPFAIL, "%s: cannot attach to its logger: "
			    "%s", s->con->name, why);
		}
		if (!s->viewer)
			s->logger[0] = '\0';
		poll(NULL, 0, 10);
	}
}

int
main(int argc, char *argv[])
{
	struct session	*s = &sess;
	struct line	 line;
	struct ids	 id;
	const char	*consdir = CONSDIR, *rundir = RUNDIR, *errstr;
	const char	*uucpdir = UUCPDIR, *proxy = NULL;
	char		 chosen[NAME_LEN + 1], fname[KEY_LEN + 8];
	int		 ch, listing = 0, esc = '~', altbreak = 0, idle = 0;
	int		 droppriv = 0, force = 0, end, script = 0, ask = 0;
	int		 web = 0;

#ifdef LIBBSD_OVERLAY
	setproctitle_init(argc, argv, environ);	/* libbsd needs the space */
#endif
	msg_init("conslet", 1);
	signal(SIGPIPE, SIG_IGN);
	memset(&line, 0, sizeof(line));
	s->replay = REPLAY_DEFAULT;

	opterr = 0;
	while ((ch = getopt(argc, argv, OPTS)) != -1) {
		switch (ch) {
		case 'A':
			altbreak = 1;
			break;
		case 'C':
			consdir = optarg;
			break;
		case 'c':
			if ((errstr = line_format(&line, optarg)) != NULL)
				fatal(EX_USAGE, "format is invalid: %s: %s",
				    optarg, errstr);
			break;
		case 'E':
			esc = -1;
			s->quiet = 1;	/* an 8-bit clean pipe: no notices */
			break;
		case 'e':
			esc = escape_char(optarg);
			break;
		case 'f':
			force = 1;
			break;
		case 'H':
			script = 1;
			break;
		case 'h':
			s->replay = strtonum(optarg, 0, 64 * 1024 * 1024,
			    &errstr);
			if (errstr != NULL)
				fatal(EX_USAGE, "replay size is %s: %s",
				    errstr, optarg);
			break;
		case 'i':
			idle = strtonum(optarg, 0, IDLE_MAX, &errstr);
			if (errstr != NULL)
				fatal(EX_USAGE, "idle timeout is %s: %s",
				    errstr, optarg);
			break;
		case 'l':
			listing = 1;
			break;
		case 'm':
			ask = 1;
			break;
		case 'R':
			rundir = optarg;
			break;
		case 'p':
			s->tn.comport = 1;
			break;
		case 'r':
			s->viewer = s->readonly = 1;
			break;
		case 't':
			s->tn.on = 1;
			break;
		case 's':
			if ((errstr = line_speed(&line, optarg)) != NULL)
				fatal(EX_USAGE, "speed is invalid: %s: %s",
				    optarg, errstr);
			break;
		case 'U':
			uucpdir = uucp_dir(optarg);
			break;
		case 'u':
			lookup_user(&id, optarg);
			droppriv = 1;
			break;
		case 'W':
			proxy = optarg;
			/* FALLTHROUGH */
		case 'w':
			web = 1;
			break;
		case 'x':
			if ((errstr = line_flow(&line, optarg)) != NULL)
				fatal(EX_USAGE, "flow control is invalid: "
				    "%s: %s", optarg, errstr);
			break;
		case ':':
			fatal(EX_USAGE, "option -%c needs a value", optopt);
		default:
			fatal(EX_USAGE, "unknown option -%c", optopt);
		}
	}
	argc -= optind;
	argv += optind;

	if (listing) {
		if (argc != 0 || ask)
			usage();
		if (list_consoles(stdout, consdir, rundir, script ?
		    LIST_SCRIPT : LIST_TABLE) == -1 || fflush(stdout) != 0)
			return EX_IOERR;
		return 0;
	}
	if (script)
		usage();
	s->cin = STDIN_FILENO;
	s->cout = STDOUT_FILENO;
	if (web) {
		if (argc != 0 || ask)
			usage();
		web_console(consdir, rundir, proxy, chosen, sizeof(chosen));
		argv[0] = chosen;
		argc = 1;
	}
	if (ask) {
		if (argc != 0)
			usage();
		s->idle = idle;
		menu(s, consdir, rundir, chosen, sizeof(chosen));
		argv[0] = chosen;
		argc = 1;
	}
	if (argc != 1)
		usage();
	if (force && s->viewer)
		fatal(EX_USAGE, "-f and -r exclude each other");
	if (s->tn.comport && !s->tn.on)
		fatal(EX_USAGE, "-p needs -t: RFC 2217 is a telnet option");

	switch (console_find(&con, consdir, argv[0])) {
	case CON_BADNAME:
		fatal(EX_USAGE, "invalid console name: \"%s\"", argv[0]);
	case CON_MISSING:
		/* a viewer can watch a guest that is away: its logger waits */
		if (s->viewer && argv[0][0] != '/' &&
		    lock_held(rundir, argv[0], "logger"))
			break;
		fatal(EX_NOINPUT, "no such console: %s", con.name);
	case CON_NOTTY:
		fatal(EX_IOERR, "%s: %s is not a terminal device", con.name,
		    con.device);
	}

	/* Opening neither reads nor configures: a non-tty leaves no lock. */
	if (s->viewer)
		s->dev = -1;		/* a viewer never writes */
	else if ((s->dev = line_open(con.path)) == -1) {
		if (errno == ENOTTY)
			fatal(EX_IOERR, "%s: %s is not a terminal device",
			    con.name, con.device);
		if (errno == ENOENT)
			fatal(EX_NOINPUT, "no such console: %s", con.name);
		fatal(EX_IOERR, "%s: %s: %s", con.name, con.device,
		    strerror(errno));
	}
	if (s->dev != -1 && console_key(&con, s->dev) == -1) {
		if (errno == ESTALE)
			fatal(EX_TEMPFAIL, "%s: %s changed while it was "
			    "opened; try again", con.name, con.device);
		fatal(EX_IOERR, "%s: %s: %s", con.name, con.device,
		    strerror(errno));
	}
	if (lock_dir(rundir) == -1)
		fatal(EX_OSERR, "run directory %s: %s", rundir, lock_error());
	s->con = &con;
	s->rundir = rundir;
	s->wfd = s->rfd = s->ffd = s->ctl = s->src = -1;
	s->me.pid = getpid();
	s->me.since = time(NULL);
	peer_describe(s->me.peer, sizeof(s->me.peer));
	strlcpy(s->me.console, con.name, sizeof(s->me.console));
	strlcpy(s->me.device, con.device, sizeof(s->me.device));

	if (s->viewer) {
		if (lock_held(rundir, con.name, "logger"))
			strlcpy(s->logger, con.name, sizeof(s->logger));
		else if (con.key[0] == '\0' || !share_logger(s))
			fatal(EX_TEMPFAIL, "%s: read-only access needs "
			    "conslog, and none runs", con.name);
	} else {
		snprintf(fname, sizeof(fname), "%s.f", con.key);
		if ((s->wfd = lock_file(rundir, &con, "w")) == -1 ||
		    (s->ffd = run_open(rundir, fname, O_RDWR, 1, 0660,
		    S_IFIFO)) == -1)
			fatal(EX_OSERR, "run directory %s: %s", rundir,
			    lock_error());
		writer_lock(s, force);
		if (!s->readonly && lock_record(s->wfd, &s->me) == -1)
			fatal(EX_OSERR, "run directory %s: %s", rundir,
			    strerror(errno));
	}
	attach(s, uucpdir);
	if (s->viewer)
		viewer_hello(s);

	/* the writer's line settings; a viewer leaves the line alone */
	s->line = &line;
	if (!s->readonly && line_setup(s->dev, &line) == -1)
		fatal(EX_IOERR, "%s: cannot set up %s: %s", con.name,
		    con.device, strerror(errno));
	if (droppriv) {
		uucp_give(id.uid);
		drop(&id);
	}

	s->altbreak = altbreak;
	s->idle = idle;
	escape_init(&s->esc, esc);
	peer_tune(s->cin);
	if (isatty(s->cin))
		(void)term_raw(s->cin);
	setproctitle("%s %s", con.name, s->me.peer);
	logit(LOG_INFO, "%s: attached by %s", con.name, s->me.peer);

	end = relay(s);

	logit(LOG_INFO, "%s: detached by %s (%s), %llu bytes in, "
	    "%llu bytes out", con.name, s->me.peer,
	    end == END_ESCAPE ? "escape" : end == END_IDLE ? "idle" :
	    end == END_SIGNAL ? "signal" : end == END_DEVICE ?
	    "console closed" : end == END_LOGGER ? "logger stopped" :
	    end == END_TAKEN ? "write access taken" : "client closed",
	    s->bytes_in, s->bytes_out);
	/* what we hold only: a viewer's record is nobody's */
	if (s->rfd != -1)
		lock_clear(s->rfd);
	if (!s->readonly)
		lock_clear(s->wfd);
	uucp_unlock();
	return end == END_DEVICE || end == END_LOGGER ? EX_IOERR : 0;
}
