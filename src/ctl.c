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
 * The messages of ctl.h: parsing them (all of it untrusted), and sending
 * and receiving them with a descriptor and the sender's credentials.
 */

#ifdef __linux__
#define _GNU_SOURCE		/* Linux: struct ucred, SO_PEERCRED */
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#ifdef __FreeBSD__
#include <sys/param.h>
#include <sys/ucred.h>		/* FreeBSD: struct xucred */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define MAXFDS	4	/* descriptors one message may carry; one is kept */

/* Printable ASCII only, 1 to len - 1 bytes: a peer or a note. */
static int
text_ok(const char *s, size_t n, size_t len)
{
	size_t	 i;

	if (n == 0 || n >= len)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* "w" or "r". */
static int
mode_of(const char *s, size_t n, int *writer)
{
	if (n != 1 || (s[0] != 'w' && s[0] != 'r'))
		return -1;
	*writer = s[0] == 'w';
	return 0;
}

/* A join's mode: "w" or "r", then "q" for a quiet client. */
static int
join_mode_of(const char *s, size_t n, int *writer, int *quiet)
{
	if (n == 2 && s[1] == 'q') {
		*quiet = 1;
		n = 1;
	}
	return mode_of(s, n, writer);
}

/* A decimal count from 0 to max, no sign, no leading zeros but "0". */
static int
count_of(const char *s, size_t n, size_t max, size_t *v)
{
	char		 num[24];
	const char	*errstr;
	long long	 x;
	size_t		 i;

	if (n == 0 || n >= sizeof(num) || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	x = strtonum(num, 0, max > LLONG_MAX ? LLONG_MAX : (long long)max,
	    &errstr);
	if (errstr != NULL)
		return -1;
	*v = (size_t)x;
	return 0;
}

/* The next space-separated word of p[0 .. *n): its length; p moves on. */
static size_t
word(const char **p, size_t *n, const char **w)
{
	const char	*sp;
	size_t		 len;

	*w = *p;
	if ((sp = memchr(*p, ' ', *n)) == NULL) {
		len = *n;
		*p += len;
		*n = 0;
		return len;
	}
	len = sp - *p;
	*p = sp + 1;
	*n -= len + 1;
	return len;
}

/*
 * One message into r; REQ_BAD (and r->type so) for anything malformed.
 * maxreplay bounds the replay sizes asked for.
 */
int
ctl_parse(const char *buf, size_t n, struct request *r, size_t maxreplay)
{
	const char	*p = buf, *w;
	size_t		 len;

	memset(r, 0, sizeof(*r));
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 0 || n >= CTL_LEN)
		return r->type = REQ_BAD;
	len = word(&p, &n, &w);
	if (len == 4 && memcmp(w, "join", 4) == 0) {
		len = word(&p, &n, &w);
		if (join_mode_of(w, len, &r->writer, &r->quiet) == -1)
			return r->type = REQ_BAD;
		len = word(&p, &n, &w);
		if (count_of(w, len, maxreplay, &r->replay) == -1)
			return r->type = REQ_BAD;
		if (!text_ok(p, n, sizeof(r->text)))
			return r->type = REQ_BAD;
		memcpy(r->text, p, n);
		return r->type = REQ_JOIN;
	}
	if (len == 4 && memcmp(w, "mode", 4) == 0) {
		len = word(&p, &n, &w);
		if (n != 0 || mode_of(w, len, &r->writer) == -1)
			return r->type = REQ_BAD;
		return r->type = REQ_MODE;
	}
	if (len == 6 && memcmp(w, "replay", 6) == 0) {
		len = word(&p, &n, &w);
		if (n != 0 || count_of(w, len, maxreplay, &r->replay) == -1)
			return r->type = REQ_BAD;
		return r->type = REQ_REPLAY;
	}
	if (len == 4 && memcmp(w, "note", 4) == 0 && w + len < p) {
		if (!text_ok(p, n, sizeof(r->text)))
			return r->type = REQ_BAD;
		memcpy(r->text, p, n);
		return r->type = REQ_NOTE;
	}
	if (len == 3 && memcmp(w, "who", 3) == 0 && n == 0 && w + len == p)
		return r->type = REQ_WHO;
	return r->type = REQ_BAD;
}

/*
 * Send one message, with the descriptor passfd unless it is -1. Never
 * waits: a peer that is not reading loses the message (-1, EAGAIN).
 */
int
ctl_send(int fd, int passfd, const char *fmt, ...)
{
	char		 line[CTL_LEN];
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = line;
	iov.iov_len = n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (passfd != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &passfd, sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
		return -1;
	return 0;
}

/*
 * Receive one message into buf (NUL-terminated): its length, 0 at the
 * end, -1 on an error (EMSGSIZE: too long, dropped). *fdp is the
 * descriptor it carried, or -1; any others are closed.
 */
ssize_t
ctl_recv(int fd, char *buf, size_t len, int *fdp)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(MAXFDS * sizeof(int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;
	size_t		 i, nfd;
	int		 fds[MAXFDS], flags = MSG_DONTWAIT;

	*fdp = -1;
#ifdef MSG_CMSG_CLOEXEC
	flags |= MSG_CMSG_CLOEXEC;
#endif
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len - 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(fd, &msg, flags)) == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > MAXFDS)
			nfd = MAXFDS;
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (*fdp == -1) {
				*fdp = fds[i];
				(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
			} else
				close(fds[i]);
		}
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fdp != -1)
			close(*fdp);
		*fdp = -1;
		errno = EMSGSIZE;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

/* Who is at the other end of a unix socket, as the kernel knows it. */
int
ctl_peer(int fd, uid_t *uid, pid_t *pid)
{
#if defined(SO_PEERCRED)		/* Linux */
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return -1;
	*uid = uc.uid;
	*pid = uc.pid;
	return 0;
#elif defined(LOCAL_PEERCRED)		/* FreeBSD */
	struct xucred	 xu;
	socklen_t	 len = sizeof(xu);

	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xu, &len) == -1)
		return -1;
	if (xu.cr_version != XUCRED_VERSION) {
		errno = EINVAL;
		return -1;
	}
	*uid = xu.cr_uid;
	*pid = xu.cr_pid;
	return 0;
#else
	gid_t	 gid;

	*pid = 0;
	return getpeereid(fd, uid, &gid);
#endif
}
