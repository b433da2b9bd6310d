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
 * Where messages go. The client hears short bracketed lines on fd 1; the
 * operator reads syslog, and stderr when stderr is neither the client's
 * socket (inetd hands the socket over as fd 2 too) nor, for routine
 * messages, the terminal a local user is typing on.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#define LIBBSD_NETBSD_VIS	/* libbsd: take FreeBSD's vis prototypes */
#include <vis.h>

#include "console.h"

#define MSG_LEN		1024
#define TELL_WAIT	5000	/* ms a refusal may wait for the client */

static const char	*progname = "conslet";
static int		 err_ok;	/* stderr: open and not a socket */
static int		 err_quiet;	/* stderr: a terminal */
static int		 err_is_client;	/* stderr is the file fd 1 is */
static int		 has_client;	/* fd 1 is a client's connection */
static long long	 until;		/* msg_write gives up then; 0: never */
static void		(*sink)(int, const char *); /* else syslog(3) */

void
msg_init(const char *name, int client)
{
	struct stat	 st1, st2;

	progname = name;
	has_client = client;
	openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (fstat(STDERR_FILENO, &st2) == -1 || S_ISSOCK(st2.st_mode))
		return;
	/* sshd without a terminal: stderr is the client's too, not a log */
	if (client && getenv("SSH_CONNECTION") != NULL &&
	    !isatty(STDERR_FILENO))
		return;
	err_ok = 1;
	err_quiet = isatty(STDERR_FILENO);
	if (fstat(STDOUT_FILENO, &st1) == 0 && st1.st_dev == st2.st_dev &&
	    st1.st_ino == st2.st_ino)
		err_is_client = 1;
}

/* Operational messages go to fn rather than to syslog(3). */
void
msg_sink(void (*fn)(int, const char *))
{
	sink = fn;
}

/* Make text safe for any terminal and log: no control or 8-bit bytes. */
void
msg_vis(char *dst, size_t dlen, const char *src, size_t len)
{
	size_t	 i;

	/* printable ASCII but \ is itself: spare strnvisx its multibyte work */
	for (i = 0; i < len; i++)
		if (src[i] < ' ' || src[i] > '~' || src[i] == '\\')
			break;
	if (i == len && dlen > 0) {
		if (len >= dlen)
			len = dlen - 1;	/* truncated, still terminated */
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	if (strnvisx(dst, dlen, src, len, VIS_CSTYLE | VIS_TAB | VIS_NL |
	    VIS_OCTAL) == -1)
		dst[dlen - 1] = '\0';	/* truncated, still terminated */
}

static void
vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	char	 raw[MSG_LEN];
	int	 n;

	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	msg_vis(buf, len, raw, n);
}

static void
vlogit(int prio, int quiet, const char *fmt, va_list ap)
{
	char	 buf[MSG_LEN * 4];

	vformat(buf, sizeof(buf), fmt, ap);
	if (sink != NULL)
		sink(prio, buf);
	else
		syslog(prio, "%s", buf);
	if (err_ok && !quiet)
		dprintf(STDERR_FILENO, "%s: %s\n", progname, buf);
}

/* An operational message: syslog, and stderr where that is a log. */
void
logit(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlogit(prio, err_quiet, fmt, ap);
	va_end(ap);
}

/* Format "[conslet: text]" CR LF into buf; the length, or 0. */
int
notice_fmt(char *buf, size_t len, const char *fmt, ...)
{
	char	 text[MSG_LEN * 4];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	vformat(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(buf, len, "[conslet: %s]\r\n", text);
	if (n < 0 || (size_t)n >= len)
		return 0;
	return n;
}

/* A monotonic clock in milliseconds, as now_ms() in conslet. */
static long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * From now on msg_write waits for the client no later than deadline (a
 * CLOCK_MONOTONIC time in ms), besides TELL_WAIT a wait; 0 undoes it.
 */
void
msg_until(long long deadline)
{
	until = deadline;
}

/*
 * Write all of p to fd 1, waiting a bounded time for a slow client
 * (where fd 1 is non-blocking; msg_until bounds the whole).
 */
void
msg_write(const void *p, size_t len)
{
	const char	*buf = p;
	struct pollfd	 pfd;
	ssize_t		 n;
	long long	 wait;

	pfd.fd = STDOUT_FILENO;
	pfd.events = POLLOUT;
	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n > 0) {
			buf += n;
			len -= n;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN) {
			wait = TELL_WAIT;
			if (until != 0 && (wait = until - clock_ms()) <= 0)
				return;
			if (wait > TELL_WAIT)
				wait = TELL_WAIT;
			if (poll(&pfd, 1, (int)wait) <= 0)
				return;
		} else
			return;
	}
}

static void
vtell(const char *fmt, va_list ap)
{
	char	 text[MSG_LEN * 4], buf[MSG_LEN * 4 + 16];
	int	 n;

	vformat(text, sizeof(text), fmt, ap);
	n = snprintf(buf, sizeof(buf), "[conslet: %s]\r\n", text);
	if (n > 0 && (size_t)n < sizeof(buf))
		msg_write(buf, n);
}

/* A bracketed line straight to the client, outside the relay. */
void
tell(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vtell(fmt, ap);
	va_end(ap);
}

static void __attribute__((__noreturn__))
vfatal(int status, const char *fmt, va_list ap)
{
	va_list	 aq;

	if (has_client && !err_is_client) {
		va_copy(aq, ap);
		vtell(fmt, aq);
		va_end(aq);
	}
	vlogit(LOG_NOTICE, 0, fmt, ap);
	exit(status);
}

/*
 * A refusal or failure: the client hears it, the operator reads it, and
 * the program exits with status. fatal() adds what errno says, as err(3)
 * does; fatalx() does not, as errx(3).
 */
void
fatal(int status, const char *fmt, ...)
{
	char	 buf[MSG_LEN];
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatalx(status, "%s: %s", buf, strerror(e));
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfatal(status, fmt, ap);
	va_end(ap);
}
