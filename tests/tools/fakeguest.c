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
 * fakeguest: a simulated guest serial console on a pseudo-terminal, the
 * device end that conslet's tests and demo talk to.
 *
 *	fakeguest [-de] [-p pidfile] -l link -r recordfile -o outfifo
 *
 * The guest is the pty master; link points at the slave, where clients
 * attach.  Every byte a client writes is appended to recordfile; every byte
 * written into outfifo is sent to the client.  -e echoes what it receives;
 * -d plays a small login session for people.  SIGUSR1 hangs the line up,
 * SIGHUP brings a new pty (the link follows), SIGTERM and SIGINT end it.
 * On stdout: "ready /dev/pts/N" when the console is up, "hangup ..." when
 * it was hung up.
 */

#if defined(__linux__)
#define _GNU_SOURCE		/* posix_openpt, cfmakeraw */
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ		(64 * 1024)	/* fifo bytes held for the master */
#define RESERVE		(16 * 1024)	/* extra room for echo and demo output */
#define BUFCAP		(BUFSZ + RESERVE)
#define READSZ		4096
#define DEMO_MAXREAD	16		/* typed bytes handled per read */
#define DEMO_MAXOUT	512		/* most output one typed byte causes */
#define MAXREOPEN	100		/* slave reopens in a row before giving up */

struct buf {
	unsigned char	 data[BUFCAP];
	size_t		 off;
	size_t		 len;
};

enum dstate { D_LOGIN, D_PASSWORD, D_SHELL };

static volatile sig_atomic_t	 gotterm, gotusr1, gothup;
static int			 sigfd[2] = { -1, -1 };

static const char	*linkpath, *pidpath;
static int		 mfd = -1, sfd = -1, rfd = -1, ofd = -1;
static char		 slavename[PATH_MAX];
static int		 dflag, eflag;
static int		 reopens;
static struct buf	 out;	/* bytes for the master, kept over a hang-up */

static enum dstate	 dstate;
static char		 dline[64], duser[32];
static size_t		 dlen;
static int		 dlastcr, desc;
static time_t		 boottime;

static void
usage(void)
{
	fprintf(stderr, "usage: fakeguest [-de] [-p pidfile] -l link "
	    "-r recordfile -o outfifo\n");
	exit(2);
}

static void
onsignal(int sig)
{
	ssize_t	 n;
	int	 saved = errno;

	if (sig == SIGTERM || sig == SIGINT)
		gotterm = 1;
	else if (sig == SIGUSR1)
		gotusr1 = 1;
	else if (sig == SIGHUP)
		gothup = 1;
	n = write(sigfd[1], "", 1);	/* full pipe: a wakeup is pending */
	(void)n;
	errno = saved;
}

static void
ptyclose(void)
{
	if (mfd != -1)
		close(mfd);
	if (sfd != -1)
		close(sfd);
	mfd = sfd = -1;
}

static void
cleanup(void)
{
	ptyclose();
	unlink(linkpath);
	if (pidpath != NULL)
		unlink(pidpath);
}

static void
die(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	cleanup();
	va_start(ap, fmt);
	errno = saved;
	verr(1, fmt, ap);
}

/* A temporary name beside path, hidden so that directory listings skip it. */
static void
tmpname(char *buf, size_t bufsz, const char *path)
{
	const char	*base;
	int		 dirlen, n;

	if ((base = strrchr(path, '/')) != NULL) {
		dirlen = (int)(base - path + 1);
		base++;
	} else {
		dirlen = 0;
		base = path;
	}
	n = snprintf(buf, bufsz, "%.*s.fakeguest.%s.%ld", dirlen, path,
	    base, (long)getpid());
	if (n < 0 || (size_t)n >= bufsz)
		die("%s: path too long", path);
}

static void
atomic_symlink(const char *target, const char *path)
{
	char	 tmp[PATH_MAX];

	tmpname(tmp, sizeof(tmp), path);
	unlink(tmp);
	if (symlink(target, tmp) == -1)
		die("symlink %s", tmp);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		die("rename %s", path);
	}
}

static void
write_pidfile(void)
{
	char	 tmp[PATH_MAX], line[32];
	int	 fd, n;

	if (pidpath == NULL)
		return;
	tmpname(tmp, sizeof(tmp), pidpath);
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		die("%s", tmp);
	if (write(fd, line, n) != n || close(fd) == -1)
		die("%s", tmp);
	if (rename(tmp, pidpath) == -1)
		die("rename %s", pidpath);
}

/* Hold the slave open and raw: no hangup between clients, no echo. */
static int
openslave(void)
{
	struct termios	 t;
	int		 fd;

	if ((fd = open(slavename, O_RDWR | O_NOCTTY)) == -1)
		return -1;
	if (tcgetattr(fd, &t) == -1) {
		close(fd);
		return -1;
	}
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) == -1) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static void
appendout(const void *p, size_t n)
{
	if (out.off > 0 && out.off + out.len + n > BUFCAP) {
		memmove(out.data, out.data + out.off, out.len);
		out.off = 0;
	}
	if (n > BUFCAP - out.off - out.len)
		n = BUFCAP - out.off - out.len;	/* demo text only */
	memcpy(out.data + out.off + out.len, p, n);
	out.len += n;
}

static void
demo_puts(const char *s)
{
	appendout(s, strlen(s));
}

static void
demo_login(void)
{
	dstate = D_LOGIN;
	dlen = 0;
	desc = 0;
	demo_puts("\r\ndemo login: ");
}

static void
demo_boot(void)
{
	char	 line[DEMO_MAXOUT];

	boottime = time(NULL);
	demo_puts("\r\n>> FakeOS/amd64 boot\r\n"
	    "Booting kernel...\r\n"
	    "FakeOS 1.0 (GENERIC) #0: Thu Jan  1 00:00:00 UTC 2026\r\n"
	    "real memory  = 268435456 (256 MB)\r\n"
	    "cpu0: Virtual CPU @ 2.00GHz\r\n");
	snprintf(line, sizeof(line), "uart0: console on %.64s (115200,n,8,1)\r\n"
	    "root on vtbd0a (ffs)\r\n"
	    "Starting syslogd.\r\n", slavename);
	demo_puts(line);
	demo_login();
}

static void
demo_command(const char *cmd)
{
	char		 line[DEMO_MAXOUT], when[64];
	time_t		 now;

	now = time(NULL);
	if (strcmp(cmd, "") == 0)
		line[0] = '\0';
	else if (strcmp(cmd, "help") == 0)
		snprintf(line, sizeof(line), "commands: help uname uptime "
		    "date whoami exit\r\n");
	else if (strcmp(cmd, "uname") == 0)
		snprintf(line, sizeof(line), "FakeOS demo 1.0 GENERIC amd64"
		    "\r\n");
	else if (strcmp(cmd, "uptime") == 0)
		snprintf(line, sizeof(line), "up %lld seconds, 1 user\r\n",
		    (long long)(now - boottime));
	else if (strcmp(cmd, "date") == 0) {
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Z %Y",
		    localtime(&now));
		snprintf(line, sizeof(line), "%s\r\n", when);
	} else if (strcmp(cmd, "whoami") == 0)
		snprintf(line, sizeof(line), "%s\r\n", duser);
	else if (strcmp(cmd, "exit") == 0) {
		demo_puts("logout\r\n");
		demo_login();
		return;
	} else
		snprintf(line, sizeof(line), "%.32s: not found (try help)\r\n",
		    cmd);
	demo_puts(line);
	demo_puts("$ ");
}

static void
demo_line(void)
{
	char	*cmd, *end;

	dline[dlen] = '\0';
	dlen = 0;
	switch (dstate) {
	case D_LOGIN:
		if (dline[0] == '\0') {
			demo_puts("demo login: ");
			break;
		}
		snprintf(duser, sizeof(duser), "%.*s",
		    (int)sizeof(duser) - 1, dline);
		dstate = D_PASSWORD;
		demo_puts("Password:");
		break;
	case D_PASSWORD:
		dstate = D_SHELL;
		demo_puts("\r\nWelcome to the fake guest. Nothing here is "
		    "real; type help.\r\n$ ");
		break;
	case D_SHELL:
		for (cmd = dline; *cmd == ' ' || *cmd == '\t'; cmd++)
			;
		end = cmd + strlen(cmd);
		while (end > cmd && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		demo_command(cmd);
		break;
	}
}

/* One byte typed on the console, as a line discipline would take it. */
static void
demo_input(unsigned char c)
{
	int	 wascr = dlastcr;

	dlastcr = (c == '\r');
	if (desc == 1) {		/* after ESC: skip CSI and SS3 keys */
		desc = (c == '[' || c == 'O') ? 2 : 0;
		return;
	}
	if (desc == 2) {
		if (c >= 0x40 && c <= 0x7e)
			desc = 0;
		return;
	}
	if (c == '\n' && wascr)
		return;
	if (c == '\r' || c == '\n') {
		demo_puts("\r\n");
		demo_line();
	} else if (c == 0x08 || c == 0x7f) {
		if (dlen > 0) {
			dlen--;
			if (dstate != D_PASSWORD)
				demo_puts("\b \b");
		}
	} else if (c == 0x03) {
		demo_puts("^C\r\n");
		if (dstate == D_SHELL) {
			dlen = 0;
			demo_puts("$ ");
		} else
			demo_login();
	} else if (c == 0x1b)
		desc = 1;
	else if (c < 0x20 || c > 0x7e)
		;
	else if (dlen < sizeof(dline) - 1) {
		dline[dlen++] = c;
		if (dstate != D_PASSWORD)
			appendout(&c, 1);
	} else
		demo_puts("\a");
}

static void
ptyopen(void)
{
	const char	*name;

	if ((mfd = posix_openpt(O_RDWR | O_NOCTTY)) == -1)
		die("posix_openpt");
	if (grantpt(mfd) == -1 || unlockpt(mfd) == -1)
		die("grantpt");
	if ((name = ptsname(mfd)) == NULL)
		die("ptsname");
	if (strlen(name) >= sizeof(slavename))
		die("%s: name too long", name);
	memcpy(slavename, name, strlen(name) + 1);
	if (fcntl(mfd, F_SETFL, fcntl(mfd, F_GETFL) | O_NONBLOCK) == -1)
		die("fcntl");
	fcntl(mfd, F_SETFD, FD_CLOEXEC);
	if ((sfd = openslave()) == -1)
		die("%s", slavename);
	reopens = 0;
	atomic_symlink(slavename, linkpath);
	write_pidfile();
	if (dflag)
		demo_boot();
	printf("ready %s\n", slavename);
	fflush(stdout);
}

/* Close the pty, leaving the link dangling, and say so. */
static void
hangup(void)
{
	if (mfd == -1)
		return;
	ptyclose();
	printf("hangup %s\n", slavename);
	fflush(stdout);
}

/*
 * Our slave descriptor was hung up (vhangup(2), revoke(2); the line's
 * settings are reset too) or the master sees the slave closed: open the
 * slave again, raw, so the console lives on.
 */
static void
reslave(void)
{
	if (sfd != -1)
		close(sfd);
	sfd = -1;
	if (++reopens > MAXREOPEN || (sfd = openslave()) == -1) {
		warnx("%s: lost the slave", slavename);
		hangup();
	}
}

static void
record(const unsigned char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(rfd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die("record");
		}
		p += w;
		n -= w;
	}
}

static void
readmaster(void)
{
	unsigned char	 b[READSZ];
	size_t		 max, i;
	ssize_t		 n;

	max = sizeof(b);
	if (dflag)
		max = DEMO_MAXREAD;
	else if (eflag && max > BUFCAP - out.len)
		max = BUFCAP - out.len;
	if ((n = read(mfd, b, max)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == EIO) {
			reslave();
			return;
		}
		die("read %s", slavename);
	}
	if (n == 0) {
		reslave();
		return;
	}
	reopens = 0;
	record(b, n);
	if (dflag)
		for (i = 0; i < (size_t)n; i++)
			demo_input(b[i]);
	else if (eflag)
		appendout(b, n);
}

static void
writemaster(void)
{
	ssize_t	 n;

	if ((n = write(mfd, out.data + out.off, out.len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == EIO) {
			reslave();
			return;
		}
		die("write %s", slavename);
	}
	out.off += n;
	out.len -= n;
	if (out.len == 0)
		out.off = 0;
}

static void
readfifo(void)
{
	ssize_t	 n;

	if (out.off > 0) {
		memmove(out.data, out.data + out.off, out.len);
		out.off = 0;
	}
	n = read(ofd, out.data + out.len, BUFSZ - out.len);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("read fifo");
	}
	out.len += n;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	struct pollfd		 pfd[4];
	const char		*recpath = NULL, *fifopath = NULL;
	char			 junk[64];
	int			 ch, i, om, os;

	while ((ch = getopt(argc, argv, "del:o:p:r:")) != -1) {
		switch (ch) {
		case 'd':
			dflag = 1;
			break;
		case 'e':
			eflag = 1;
			break;
		case 'l':
			linkpath = optarg;
			break;
		case 'o':
			fifopath = optarg;
			break;
		case 'p':
			pidpath = optarg;
			break;
		case 'r':
			recpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc != optind || linkpath == NULL || recpath == NULL ||
	    fifopath == NULL || (dflag && eflag))
		usage();

	if ((rfd = open(recpath, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		err(1, "%s", recpath);
	if (mkfifo(fifopath, 0644) == -1 && errno != EEXIST)
		err(1, "%s", fifopath);
	/* Read-write: the fifo never reads EOF when its writers come and go. */
	if ((ofd = open(fifopath, O_RDWR | O_NONBLOCK)) == -1)
		err(1, "%s", fifopath);

	if (pipe(sigfd) == -1)
		err(1, "pipe");
	for (i = 0; i < 2; i++) {
		fcntl(sigfd[i], F_SETFL, O_NONBLOCK);
		fcntl(sigfd[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = onsignal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	ptyopen();

	for (;;) {
		if (gotterm) {
			cleanup();
			exit(0);
		}
		if (gotusr1) {
			gotusr1 = 0;
			hangup();
		}
		if (gothup) {
			/* New pty first, so a live old one is not reused. */
			gothup = 0;
			om = mfd;
			os = sfd;
			ptyopen();
			if (om != -1)
				close(om);
			if (os != -1)
				close(os);
		}

		pfd[0].fd = sigfd[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = ofd;
		/* Buffer full: leave the fifo alone until the master drains. */
		pfd[1].events = out.len < BUFSZ ? POLLIN : 0;
		pfd[2].fd = mfd;		/* -1 while hung up: ignored */
		pfd[2].events = 0;
		if (out.len > 0)
			pfd[2].events |= POLLOUT;
		if (dflag ? BUFCAP - out.len >= DEMO_MAXREAD * DEMO_MAXOUT :
		    !eflag || out.len < BUFCAP)
			pfd[2].events |= POLLIN;
		pfd[3].fd = sfd;		/* only to learn of a hang-up */
		pfd[3].events = 0;

		if (poll(pfd, 4, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents & POLLIN)
			while (read(sigfd[0], junk, sizeof(junk)) > 0)
				;
		if (gotterm || gotusr1 || gothup)
			continue;
		if (pfd[3].revents & (POLLHUP | POLLERR))
			reslave();
		else if (pfd[2].revents & POLLIN)
			readmaster();
		else if (pfd[2].revents & (POLLHUP | POLLERR))
			reslave();
		if (mfd != -1 && out.len > 0 && (pfd[2].revents & POLLOUT))
			writemaster();
		if (pfd[1].revents & POLLIN)
			readfifo();
	}
}
