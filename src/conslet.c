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
#include <sys/resource.h>
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
#define VIEWER_NICE	10	/* a viewer yields to the logger */

extern char		**environ;

struct ids {
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
};

/* What the command line asks for, beside the session's own options. */
struct options {
	const char	*consdir;
	const char	*rundir;
	const char	*uucpdir;	/* -U */
	struct line	 line;		/* -s -c -x */
	struct ids	 id;		/* -u */
	int		 droppriv;
	int		 esc;		/* -e, -1 for none (-E) */
	int		 force;		/* -f */
	const char	*proxy;		/* -W */
	int		 web;		/* -w, -W */
	int		 listing;	/* -l */
	int		 script;	/* -H */
	int		 ask;		/* -m */
};

static struct session	 sess;
static struct console	 con;
static struct options	 opt;

static void __attribute__((__noreturn__))
usage(void)
{
	fatalx(EX_USAGE, "usage: conslet [-AEfprt] [-C consdir] [-R rundir] "
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
	fatalx(EX_USAGE, "escape character is invalid: %s", s);
}

/* -u user[:group], looked up before anything is opened. */
static void
lookup_user(struct ids *id, const char *spec)
{
	char		 buf[256], *group;
	struct passwd	*pw;
	struct group	*gr;

	if (strlcpy(buf, spec, sizeof(buf)) >= sizeof(buf))
		fatalx(EX_USAGE, "user is invalid: too long");
	if ((group = strchr(buf, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(buf)) == NULL)
		fatalx(EX_USAGE, "user is invalid: no such user: %s", buf);
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	strlcpy(id->name, pw->pw_name, sizeof(id->name));
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL)
			fatalx(EX_USAGE, "group is invalid: no such group: %s",
			    group);
		id->gid = gr->gr_gid;
	}
	if (geteuid() != 0)
		fatalx(EX_USAGE, "-u %s: only root can change user", spec);
}

static void
drop(const struct ids *id)
{
	if (setgroups(1, &id->gid) == -1 || setgid(id->gid) == -1 ||
	    setuid(id->uid) == -1)
		fatal(EX_OSERR, "cannot become %s", id->name);
	if (id->uid != 0 && setuid(0) != -1)
		fatalx(EX_OSERR, "cannot become %s: root kept", id->name);
}

/* The options, into o and s; the index of the first operand. */
static int
options(struct options *o, struct session *s, int argc, char *argv[])
{
	const char	*errstr;
	int		 ch;

	o->consdir = CONSDIR;
	o->rundir = RUNDIR;
	o->uucpdir = UUCPDIR;
	o->esc = '~';
	s->replay = REPLAY_DEFAULT;
	opterr = 0;
	while ((ch = getopt(argc, argv, OPTS)) != -1) {
		switch (ch) {
		case 'A':
			s->altbreak = 1;
			break;
		case 'C':
			o->consdir = optarg;
			break;
		case 'c':
			if ((errstr = line_format(&o->line, optarg)) != NULL)
				fatalx(EX_USAGE, "format is invalid: %s: %s",
				    optarg, errstr);
			break;
		case 'E':
			o->esc = -1;
			s->quiet = 1;	/* an 8-bit clean pipe: no notices */
			break;
		case 'e':
			o->esc = escape_char(optarg);
			break;
		case 'f':
			o->force = 1;
			break;
		case 'H':
			o->script = 1;
			break;
		case 'h':
			s->replay = strtonum(optarg, 0, 64 * 1024 * 1024,
			    &errstr);
			if (errstr != NULL)
				fatalx(EX_USAGE, "replay size is %s: %s",
				    errstr, optarg);
			break;
		case 'i':
			s->idle = strtonum(optarg, 0, IDLE_MAX, &errstr);
			if (errstr != NULL)
				fatalx(EX_USAGE, "idle timeout is %s: %s",
				    errstr, optarg);
			break;
		case 'l':
			o->listing = 1;
			break;
		case 'm':
			o->ask = 1;
			break;
		case 'R':
			o->rundir = optarg;
			break;
		case 'p':
			s->cp.allowed = 1;
			break;
		case 'r':
			s->viewer = s->readonly = 1;
			break;
		case 't':
			s->tn.on = 1;
			break;
		case 's':
			if ((errstr = line_speed(&o->line, optarg)) != NULL)
				fatalx(EX_USAGE, "speed is invalid: %s: %s",
				    optarg, errstr);
			break;
		case 'U':
			o->uucpdir = uucp_dir(optarg);
			break;
		case 'u':
			lookup_user(&o->id, optarg);
			o->droppriv = 1;
			break;
		case 'W':
			o->proxy = optarg;
			/* FALLTHROUGH */
		case 'w':
			o->web = 1;
			break;
		case 'x':
			if ((errstr = line_flow(&o->line, optarg)) != NULL)
				fatalx(EX_USAGE, "flow control is invalid: "
				    "%s: %s", optarg, errstr);
			break;
		case ':':
			fatalx(EX_USAGE, "option -%c needs a value", optopt);
		default:
			fatalx(EX_USAGE, "unknown option -%c", optopt);
		}
	}
	return optind;
}

/*
 * The console by name, its device opened (a viewer never writes, and
 * opens none) and keyed by what was opened, and the run directory.
 * Opening neither reads nor configures: a non-tty leaves no lock.
 */
static void
console_open(struct session *s, const struct options *o, const char *name)
{
	switch (console_find(&con, o->consdir, name)) {
	case CON_BADNAME:
		fatalx(EX_USAGE, "invalid console name: \"%s\"", name);
	case CON_MISSING:
		/* a viewer can watch a guest that is away: its logger waits */
		if (s->viewer && name[0] != '/' &&
		    lock_held(o->rundir, name, "logger"))
			break;
		fatalx(EX_NOINPUT, "no such console: %s", con.name);
	case CON_NOTTY:
		fatalx(EX_IOERR, "%s: %s is not a terminal device", con.name,
		    con.device);
	}
	if (s->viewer)
		s->dev = -1;
	else if ((s->dev = line_open(con.path)) == -1) {
		if (errno == ENOTTY)
			fatalx(EX_IOERR, "%s: %s is not a terminal device",
			    con.name, con.device);
		if (errno == ENOENT)
			fatalx(EX_NOINPUT, "no such console: %s", con.name);
		fatal(EX_IOERR, "%s: %s", con.name, con.device);
	}
	if (s->dev != -1 && console_key(&con, s->dev) == -1) {
		if (errno == ESTALE)
			fatalx(EX_TEMPFAIL, "%s: %s changed while it was "
			    "opened; try again", con.name, con.device);
		fatal(EX_IOERR, "%s: %s", con.name, con.device);
	}
	if (lock_dir(o->rundir) == -1)
		fatalx(EX_OSERR, "run directory %s: %s", o->rundir,
		    lock_error());
	s->con = &con;
	s->rundir = o->rundir;
	s->wfd = s->rfd = s->ffd = s->ctl = s->src = -1;
}

/* Who we are, for the locks, the logger and the other clients. */
static void
identify(struct session *s)
{
	s->me.pid = getpid();
	s->me.since = time(NULL);
	peer_describe(s->me.peer, sizeof(s->me.peer));
	strlcpy(s->me.console, s->con->name, sizeof(s->me.console));
	strlcpy(s->me.device, s->con->device, sizeof(s->me.device));
}

/*
 * Ready to relay: the writer's line settings (a viewer leaves the line
 * alone), privileges dropped once all is open, the client tuned.
 */
static void
prepare(struct session *s, struct options *o)
{
	int	 prio;

	s->line = &o->line;
	if (!s->readonly && line_setup(s->dev, &o->line) == -1)
		fatal(EX_IOERR, "%s: cannot set up %s", con.name,
		    con.device);
	if (o->droppriv) {
		uucp_give(o->id.uid);
		drop(&o->id);
	}
	escape_init(&s->esc, o->esc);
	/*
	 * A viewer yields: what it has not read waits in the logger's ring,
	 * and the guest's output waits for the logger alone.  256 viewers on
	 * two CPUs (bench/, -S) held a guest printing 1 MiB/s up for 50 and
	 * 57 ms in 4 s at the same priority, for 0 and 12 ms at this one.
	 */
	if (s->viewer) {
		errno = 0;
		if ((prio = getpriority(PRIO_PROCESS, 0)) != -1 || errno == 0)
			(void)setpriority(PRIO_PROCESS, 0, prio + VIEWER_NICE);
	}
	peer_tune(s->cin);
	if (isatty(s->cin))
		(void)term_raw(s->cin);
	setproctitle("%s %s", con.name, s->me.peer);
}

/* The session is over: said, let go of; the exit status. */
static int
done(struct session *s, int end)
{
	const struct ending	*e = session_ending(end);

	logit(LOG_INFO, "%s: detached by %s (%s), %llu bytes in, "
	    "%llu bytes out", con.name, s->me.peer, e->word, s->bytes_in,
	    s->bytes_out);
	access_release(s);
	return e->status;
}

int
main(int argc, char *argv[])
{
	struct session	*s = &sess;
	struct options	*o = &opt;
	char		 chosen[NAME_LEN + 1];
	const char	*name;
	int		 ind;

#ifdef LIBBSD_OVERLAY
	setproctitle_init(argc, argv, environ);	/* libbsd needs the space */
#endif
	msg_init("conslet", 1);
	signal(SIGPIPE, SIG_IGN);

	ind = options(o, s, argc, argv);
	argc -= ind;
	argv += ind;
	if (o->listing) {
		if (argc != 0 || o->ask)
			usage();
		if (list_consoles(stdout, o->consdir, o->rundir, o->script ?
		    LIST_SCRIPT : LIST_TABLE) == -1 || fflush(stdout) != 0)
			return EX_IOERR;
		return 0;
	}
	if (o->script)
		usage();
	s->todev.size = TODEV_LEN;
	s->cin = STDIN_FILENO;
	s->cout = STDOUT_FILENO;
	if (o->web) {
		if (argc != 0 || o->ask)
			usage();
		web_console(o->consdir, o->rundir, o->proxy, chosen,
		    sizeof(chosen));
		name = chosen;
	} else if (o->ask) {
		if (argc != 0)
			usage();
		menu(s, o->consdir, o->rundir, chosen, sizeof(chosen));
		name = chosen;
	} else if (argc == 1)
		name = argv[0];
	else
		usage();
	if (o->force && s->viewer)
		fatalx(EX_USAGE, "-f and -r exclude each other");
	if (s->cp.allowed && !s->tn.on)
		fatalx(EX_USAGE, "-p needs -t: RFC 2217 is a telnet option");

	console_open(s, o, name);
	identify(s);
	access_open(s, o->force, o->uucpdir);
	prepare(s, o);
	return done(s, relay(s));
}
