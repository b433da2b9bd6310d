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
 * The log: every byte the console prints, appended as it is read. When the
 * disk refuses, the bytes are counted, syslog hears it once, and the next
 * write that succeeds first records how many bytes are missing.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conslog.h"

int
log_open(struct logfile *l)
{
	struct stat	 st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (l->fd == -1)
		return -1;
	/* a line start unless the file ends inside a line */
	l->bol = 1;
	if (fstat(l->fd, &st) == 0 && st.st_size > 0) {
		char	 c;

		if (pread(l->fd, &c, 1, st.st_size - 1) == 1 && c != '\n')
			l->bol = 0;
	}
	return 0;
}

/* SIGHUP: the old file was renamed away; start a new one at the path. */
int
log_reopen(struct logfile *l)
{
	int	 old = l->fd;

	if (log_open(l) == -1) {
		l->fd = old;
		return -1;
	}
	if (old != -1)
		close(old);
	return 0;
}

/* Write it all or count what could not be written. */
static int
put(struct logfile *l, const void *p, size_t n, int counted)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(l->fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			if (l->lost == 0 && l->lost_errno == 0) {
				logit(LOG_ERR, "log %s: %s; counting what is "
				    "lost", l->path, strerror(errno));
				slog_event(LOG_ERR, "log %s: %s; counting what "
				    "is lost", l->path, strerror(errno));
			}
			l->lost_errno = errno;
			if (counted)
				l->lost += n;
			return -1;
		}
		if (w > 0)
			l->bol = s[w - 1] == '\n';
		s += w;
		n -= w;
	}
	return 0;
}

static void	 stamp(struct logfile *);

/* After a gap: say on a line of its own how much is missing. */
static int
gap(struct logfile *l)
{
	char	 buf[160];
	int	 n;

	if (l->lost_errno == 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "[conslog: %llu bytes lost: %s]\n",
	    (unsigned long long)l->lost, strerror(l->lost_errno));
	if (!l->bol && put(l, "\n", 1, 0) == -1)
		return -1;
	if (l->stamp)
		stamp(l);
	if (put(l, buf, n, 0) == -1)
		return -1;
	logit(LOG_NOTICE, "log %s: writing again, %llu bytes lost", l->path,
	    (unsigned long long)l->lost);
	slog_event(LOG_NOTICE, "log %s: writing again, %llu bytes lost",
	    l->path, (unsigned long long)l->lost);
	l->lost = 0;
	l->lost_errno = 0;
	return 0;
}

static void
stamp(struct logfile *l)
{
	char		 buf[32];
	struct tm	 tm;
	time_t		 t;
	size_t		 n;

	t = time(NULL);
	if (localtime_r(&t, &tm) == NULL)
		return;
	n = strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S ", &tm);
	(void)put(l, buf, n, 0);
}

void
log_write(struct logfile *l, const unsigned char *p, size_t n)
{
	const unsigned char	*nl;
	size_t			 len;

	if (l->fd == -1 || n == 0)
		return;
	if (gap(l) == -1) {
		l->lost += n;
		return;
	}
	if (!l->stamp) {
		(void)put(l, p, n, 1);
		return;
	}
	while (n > 0) {
		nl = memchr(p, '\n', n);
		len = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (l->bol)
			stamp(l);
		if (put(l, p, len, 1) == -1) {
			l->lost += n - len;
			return;
		}
		p += len;
		n -= len;
	}
}

/* "[conslog: text]" on a line of its own. */
void
log_note(struct logfile *l, const char *fmt, ...)
{
	char	 text[512], buf[600];
	va_list	 ap;
	int	 n;

	if (l->fd == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	slog_event(LOG_NOTICE, "%s", text);
	n = snprintf(buf, sizeof(buf), "[conslog: %s]\n", text);
	if (n < 0 || (size_t)n >= sizeof(buf) || gap(l) == -1)
		return;
	if (!l->bol && put(l, "\n", 1, 0) == -1)
		return;
	if (l->stamp)
		stamp(l);
	(void)put(l, buf, n, 0);
}
