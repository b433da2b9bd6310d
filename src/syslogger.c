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
 * The console's output, line by line, and the logger's events, to the
 * local syslog daemon (conslog -S).
 *
 * The datagrams are written here rather than with syslog(3): glibc's
 * syslog(3) always uses /dev/log and blocks when the daemon stops reading,
 * and a logger that blocks holds up the log and every client. Here the
 * socket is ours and never waits: what the daemon does not take at once
 * waits in a bounded queue (a burst of boot messages), the oldest making
 * room for the newest, and what is dropped is counted and the count told
 * once the daemon reads again. Its path can be chosen (-D). The format is
 * that of syslog(3), RFC 3164 as the local socket has it, which rsyslog,
 * syslog-ng, journald and FreeBSD's syslogd all parse; -5 writes RFC 5424
 * for the daemons that take it.
 *
 * A line is what a person calls one: it ends at LF, CR LF or a lone CR. It
 * is made visible with vis(3) (no control byte or escape sequence reaches
 * a collector), cut when longer than LINE_TEXT (the piece ends with a lone
 * backslash, which vis never writes alone), and a line that stays
 * unfinished for QUIET_MS (a prompt) is sent as it is.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <paths.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#define LIBBSD_NETBSD_VIS	/* libbsd: take FreeBSD's vis prototypes */
#include <vis.h>

#include "conslog.h"

#ifndef _PATH_LOG
#define _PATH_LOG	"/dev/log"
#endif

#define LINE_TEXT	1024	/* longest line sent, made visible */
#define DGRAM_LEN	(LINE_TEXT + NAME_LEN + 192)
#define QUIET_MS	500	/* an unfinished line waits this long */
#define RETRY_MS	1000	/* between attempts to reach a daemon gone */
#define QUEUE_LEN	(128 * 1024)	/* messages waiting for the daemon */
#define DRAIN_MS	50	/* between attempts to send them */
#define VIS_FLAGS	(VIS_OCTAL | VIS_TAB | VIS_NL)

struct code {
	const char	*name;
	int		 code;
};

static const struct code facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
	{ "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 }, { NULL, 0 }
};

static const struct code priorities[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG }, { NULL, 0 }
};

static const char	*lname;		/* the console */
static const char	*path = _PATH_LOG;
static int		 facility = -1;	/* -S; -1: no lines, no events */
static int		 rfc5424;	/* -5 */
static int		 own;		/* -S or -D: logit() comes here too */
static int		 sock = -1;
static long long	 retry;		/* ms: when to try connecting again */
static unsigned long long dropped;	/* not yet told */
static unsigned char	 queue[QUEUE_LEN]; /* a 2-byte length, a message */
static size_t		 qhead, qlen;	/* where the oldest is; bytes held */
static char		 host[256] = "-";

/* The line being put together. */
static char		 text[LINE_TEXT + 1];
static size_t		 tlen;
static int		 cr;		/* the last byte was a CR */
static long long	 lastbyte;	/* ms */

static int
lookup(const char *s, const struct code *t)
{
	for (; t->name != NULL; t++)
		if (strcmp(s, t->name) == 0)
			return t->code;
	return -1;
}

static void
connect_log(void)
{
	struct sockaddr_un	 sun;

	if (sock == -1 && ((sock = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    fcntl(sock, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(sock, F_SETFL, O_NONBLOCK) == -1)) {
		if (sock != -1)
			close(sock);
		sock = -1;
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(sock);
		sock = -1;
		retry = now_ms() + RETRY_MS;
	}
}

/* The header of a datagram at pri, with msgid for RFC 5424. */
static int
header(char *buf, size_t len, int pri, const char *msgid)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 when[40], zone[8];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (localtime_r(&ts.tv_sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (!rfc5424) {
		strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
		return snprintf(buf, len, "<%d>%s conslog[%ld]: ", pri, when,
		    (long)getpid());
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);	/* +hhmm */
	return snprintf(buf, len,
	    "<%d>1 %s.%06ld%.3s:%.2s %s conslog %ld %s - ", pri, when,
	    ts.tv_nsec / 1000, zone, zone + 3, host, (long)getpid(), msgid);
}

/* Put one datagram together: its length. */
static size_t
dgram(char *buf, size_t len, int pri, const char *msgid, const char *who,
    const char *msg)
{
	int	 h, n;

	if ((h = header(buf, len, pri, msgid)) < 0 || (size_t)h >= len)
		return 0;
	if (who != NULL)
		n = snprintf(buf + h, len - h, "%s: %s", who, msg);
	else
		n = snprintf(buf + h, len - h, "%s", msg);
	if (n < 0)
		return 0;
	return (size_t)h + n >= len ? len - 1 : (size_t)h + n;
}

/* Send, never waiting; -1 when the daemon did not take it. */
static int
put(const char *buf, size_t n)
{
	if (sock == -1) {
		if (now_ms() < retry)
			return -1;
		connect_log();
		if (sock == -1)
			return -1;
	}
	if (send(sock, buf, n, MSG_DONTWAIT) != -1)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS &&
	    errno != EINTR) {
		close(sock);		/* gone: connect again, later */
		sock = -1;
		retry = now_ms() + RETRY_MS;
	}
	return -1;
}

/* The queue is a ring of bytes: n bytes in or out at a place in it. */
static void
ring_in(size_t at, const void *p, size_t n)
{
	size_t	 first;

	at %= sizeof(queue);
	first = sizeof(queue) - at < n ? sizeof(queue) - at : n;
	memcpy(queue + at, p, first);
	memcpy(queue, (const char *)p + first, n - first);
}

static void
ring_out(void *p, size_t at, size_t n)
{
	size_t	 first;

	at %= sizeof(queue);
	first = sizeof(queue) - at < n ? sizeof(queue) - at : n;
	memcpy(p, queue + at, first);
	memcpy((char *)p + first, queue, n - first);
}

/* The oldest message waiting, into buf: its length. */
static size_t
oldest(char *buf)
{
	unsigned char	 len[2];
	size_t		 n;

	ring_out(len, qhead, 2);
	n = len[0] << 8 | len[1];
	ring_out(buf, qhead + 2, n);
	return n;
}

static void
forget_oldest(void)
{
	unsigned char	 len[2];
	size_t		 n;

	ring_out(len, qhead, 2);
	n = len[0] << 8 | len[1];
	qhead = (qhead + 2 + n) % sizeof(queue);
	qlen -= 2 + n;
}

/*
 * Keep a message for when the daemon reads again. The queue is bounded:
 * the oldest messages make room for the newest, which tell most (the
 * panic at the end), and are counted.
 */
static void
enqueue(const char *buf, size_t n)
{
	unsigned char	 len[2];

	if (n == 0 || n >= DGRAM_LEN)
		return;
	while (qlen + 2 + n > sizeof(queue)) {
		forget_oldest();
		dropped++;
		status_dropped(1);
	}
	len[0] = n >> 8;
	len[1] = n & 0xff;
	ring_in(qhead + qlen, len, 2);
	ring_in(qhead + qlen + 2, buf, n);
	qlen += 2 + n;
}

/*
 * Send what waits as long as the daemon takes it: first how many messages
 * were dropped, all of them older than those that wait.
 */
static void
drain(void)
{
	char	 buf[DGRAM_LEN], count[64];
	size_t	 n;

	if (dropped > 0) {
		snprintf(count, sizeof(count), "%llu messages to syslog "
		    "dropped", dropped);
		n = dgram(buf, sizeof(buf), (facility != -1 ? facility :
		    LOG_DAEMON) | LOG_WARNING, "event", lname, count);
		if (put(buf, n) == -1)
			return;
		dropped = 0;
	}
	while (qlen > 0) {
		n = oldest(buf);
		if (put(buf, n) == -1)
			return;
		forget_oldest();
	}
}

/*
 * One message: sent at once, or queued while the daemon does not read;
 * the queue is tried again once a round of the loop (slog_tick).
 */
static void
send_dgram(int pri, const char *msgid, const char *who, const char *msg)
{
	char	 buf[DGRAM_LEN];
	size_t	 n;

	n = dgram(buf, sizeof(buf), pri, msgid, who, msg);
	if (qlen == 0 && dropped == 0 && put(buf, n) == 0)
		return;
	enqueue(buf, n);
}

/* logit() with -S or -D: what it would give syslog(3), never waiting. */
static void
sink(int prio, const char *msg)
{
	int	 serrno = errno;	/* as syslog(3) keeps it */

	send_dgram(LOG_DAEMON | prio, "-", NULL, msg);
	errno = serrno;
}

/* conslog's options of this file and alert.c: 0 if ch is one. */
int
slog_option(int ch, const char *arg)
{
	const char	*why;
	int		 p;

	switch (ch) {
	case '5':
		rfc5424 = 1;
		break;
	case 'a':
		if ((why = alert_add(arg)) != NULL)
			fatalx(EX_USAGE, "pattern is invalid: %s: %s", arg, why);
		break;
	case 'A':
		if ((why = alert_file(arg)) != NULL)
			fatalx(EX_USAGE, "pattern file %s: %s", arg, why);
		break;
	case 'D':
		if (strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			fatalx(EX_USAGE, "syslog socket path is too long: %s",
			    arg);
		path = arg;
		own = 1;
		break;
	case 'S':
		if ((facility = lookup(arg, facilities)) == -1)
			fatalx(EX_USAGE, "facility is invalid: %s", arg);
		break;
	case 'w':
		if ((p = lookup(arg, priorities)) == -1)
			fatalx(EX_USAGE, "priority is invalid: %s", arg);
		alert_priority(p);
		break;
	case 'x':
		if ((why = alert_command(arg)) != NULL)
			fatalx(EX_USAGE, "alert command %s: %s", arg, why);
		break;
	default:
		return -1;
	}
	return 0;
}

/* Console name known, options read: start. */
void
slog_init(const char *rundir, const char *name)
{
	lname = name;
	status_init(rundir, name);
	alert_init(name);
	if (facility == -1 && !own && !alert_any())
		return;
	if (rfc5424 && gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "-", sizeof(host));
	host[strcspn(host, " ")] = '\0';
	if (host[0] == '\0')
		strlcpy(host, "-", sizeof(host));
	own = 1;
	connect_log();
	msg_sink(sink);
}

/* An event of the console, at prio, when lines and events are sent. */
void
slog_event(int prio, const char *fmt, ...)
{
	char	 msg[LINE_TEXT], safe[LINE_TEXT];
	va_list	 ap;
	int	 serrno = errno;	/* the caller may say it next */

	if (facility == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg_vis(safe, sizeof(safe), msg, strlen(msg));
	send_dgram(facility | prio, "event", lname, safe);
	errno = serrno;
}

/* The line so far, cut or not (cut: it goes on in the next one). */
static void
line_out(int cut)
{
	int	 prio, fac;

	text[tlen] = '\0';
	prio = alert_check(text);
	fac = facility != -1 ? facility : LOG_DAEMON;
	if (prio != -1 || facility != -1) {
		if (cut)
			text[tlen++] = '\\';
		text[tlen] = '\0';
		send_dgram(fac | (prio != -1 ? prio : LOG_INFO),
		    prio != -1 ? "alert" : "line", lname, text);
	}
	tlen = 0;
}

static void
line_end(void)
{
	if (tlen > 0)
		line_out(0);	/* an empty line is not sent */
}

/* Bytes the console printed, in order. */
void
slog_output(const unsigned char *p, size_t n)
{
	char	 enc[8];
	size_t	 i, len;

	status_output(n);
	if (facility == -1 && !alert_any())
		return;
	lastbyte = now_ms();
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!cr)
				line_end();
			cr = 0;
			continue;
		}
		cr = p[i] == '\r';
		if (cr) {
			line_end();
			continue;
		}
		vis(enc, p[i], VIS_FLAGS, 0);
		len = strlen(enc);
		if (tlen + len > LINE_TEXT - 1)	/* room for the mark */
			line_out(1);
		memcpy(text + tlen, enc, len);
		tlen += len;
	}
}

/* How long poll may wait, given that it would wait t (-1: forever). */
int
slog_timeout(int t)
{
	long long	 left;
	int		 s;

	if (tlen > 0) {
		left = lastbyte + QUIET_MS - now_ms();
		if (left < 0)
			left = 0;
		if (t == -1 || left < t)
			t = (int)left;
	}
	if ((qlen > 0 || dropped > 0) && (t == -1 || DRAIN_MS < t))
		t = DRAIN_MS;
	if ((s = alert_timeout()) != -1 && (t == -1 || s < t))
		t = s;
	if ((s = status_timeout()) != -1 && (t == -1 || s < t))
		t = s;
	return t;
}

/* Once a loop: an unfinished line that has waited long enough goes. */
void
slog_tick(void)
{
	if (tlen > 0 && now_ms() >= lastbyte + QUIET_MS)
		line_out(0);
	if (qlen > 0 || dropped > 0)
		drain();
	alert_tick();
	status_tick();
}

/* At the end: what is left of a line goes, and the counters go away. */
void
slog_close(void)
{
	if (tlen > 0)
		line_out(0);
	alert_close();
	if (qlen > 0 || dropped > 0)
		drain();	/* what the daemon takes now; no waiting */
	status_close();
}
