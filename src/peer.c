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
 * Who is on the other end of fd 0, from what the launcher says (UCSPI,
 * systemd, websocketd, sshd) or what the socket says, and the socket
 * options a console connection wants.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conslet.h"

#define KEEPIDLE	60	/* s of silence before the first probe */
#define KEEPINTVL	15	/* s between probes */
#define KEEPCNT		4	/* unanswered probes before the peer is dead */

static char	 proxy[INET6_ADDRSTRLEN];	/* -W: trusted, canonical */

/* "192.0.2.7:51234" or "[2001:db8::1]:51234"; v4-mapped shown as v4. */
static int
addr_fmt(char *buf, size_t len, int af, const void *a, unsigned int port)
{
	char			 txt[INET6_ADDRSTRLEN];
	const struct in6_addr	*a6 = a;

	if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6)) {
		af = AF_INET;
		a = &a6->s6_addr[12];
	}
	if (inet_ntop(af, a, txt, sizeof(txt)) == NULL)
		return -1;
	if (af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", txt, port);
	else
		snprintf(buf, len, "%s:%u", txt, port);
	return 0;
}

/* An address and port from the environment, strictly checked. */
static int
env_addr(char *buf, size_t len, const char *ip, const char *port)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*errstr;
	long long	 p;

	if (ip == NULL || port == NULL)
		return -1;
	p = strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL)
		return -1;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return addr_fmt(buf, len, AF_INET, &a4, p);
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return addr_fmt(buf, len, AF_INET6, &a6, p);
	return -1;
}

/* An address in the one text inet_ntop(3) gives it, or -1. */
static int
addr_canon(char *buf, size_t len, const char *ip)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		return inet_ntop(AF_INET, &a4, buf, len) == NULL ? -1 : 0;
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return inet_ntop(AF_INET, &a6.s6_addr[12], buf, len) ==
			    NULL ? -1 : 0;
		return inet_ntop(AF_INET6, &a6, buf, len) == NULL ? -1 : 0;
	}
	return -1;
}

/* -W: the reverse proxy whose X-Forwarded-For is believed. */
int
peer_trust(const char *ip)
{
	return addr_canon(proxy, sizeof(proxy), ip);
}

/*
 * Behind the trusted proxy, the client is the last address of
 * X-Forwarded-For, the one the proxy itself added (websocketd passes the
 * header as HTTP_X_FORWARDED_FOR): "198.51.100.7 via 127.0.0.1:40222".
 * From anywhere else the header is the client's own word, and ignored.
 */
static int
fwd_addr(char *buf, size_t len)
{
	char		 via[PEER_LEN], from[INET6_ADDRSTRLEN];
	char		 client[INET6_ADDRSTRLEN], last[128];
	const char	*ip, *hdr, *p;
	size_t		 n;

	if (proxy[0] == '\0' || (ip = getenv("REMOTE_ADDR")) == NULL ||
	    addr_canon(from, sizeof(from), ip) == -1 ||
	    strcmp(from, proxy) != 0 ||
	    (hdr = getenv("HTTP_X_FORWARDED_FOR")) == NULL)
		return -1;
	if ((p = strrchr(hdr, ',')) == NULL)
		p = hdr;
	else
		p++;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	if (n >= sizeof(last) || p[n + strspn(p + n, " \t")] != '\0')
		return -1;
	memcpy(last, p, n);
	last[n] = '\0';
	if (addr_canon(client, sizeof(client), last) == -1 ||
	    env_addr(via, sizeof(via), ip, getenv("REMOTE_PORT")) == -1)
		return -1;
	snprintf(buf, len, "%s via %s", client, via);
	return 0;
}

/* SSH_CLIENT is "address port localport". */
static int
ssh_addr(char *buf, size_t len, const char *v)
{
	char	 copy[128], *ip, *port, *rest;

	if (v == NULL || strlcpy(copy, v, sizeof(copy)) >= sizeof(copy))
		return -1;
	rest = copy;
	ip = strsep(&rest, " ");
	port = strsep(&rest, " ");
	if (rest == NULL || strchr(rest, ' ') != NULL)
		return -1;
	return env_addr(buf, len, ip, port);
}

static int
sock_addr(char *buf, size_t len, int fd)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	switch (ss.ss_family) {
	case AF_INET:
		return addr_fmt(buf, len, AF_INET, &sin->sin_addr,
		    ntohs(sin->sin_port));
	case AF_INET6:
		return addr_fmt(buf, len, AF_INET6, &sin6->sin6_addr,
		    ntohs(sin6->sin6_port));
	case AF_UNIX:
		strlcpy(buf, "local socket", len);
		return 0;
	}
	return -1;
}

static const char *
user(void)
{
	struct passwd	*pw;

	return (pw = getpwuid(getuid())) != NULL ? pw->pw_name : "?";
}

/* Describe the peer on fd 0 for locks, messages and logs. */
void
peer_describe(char *buf, size_t len)
{
	char		 addr[PEER_LEN];
	const char	*proto, *tty;

	proto = getenv("PROTO");
	if (proto != NULL && strcmp(proto, "TCP6") == 0) {
		if (env_addr(buf, len, getenv("TCP6REMOTEIP"),
		    getenv("TCP6REMOTEPORT")) == 0)
			return;
	} else if (env_addr(buf, len, getenv("TCPREMOTEIP"),
	    getenv("TCPREMOTEPORT")) == 0)
		return;
	if (fwd_addr(buf, len) == 0)
		return;
	if (env_addr(buf, len, getenv("REMOTE_ADDR"),
	    getenv("REMOTE_PORT")) == 0)
		return;
	if (ssh_addr(addr, sizeof(addr), getenv("SSH_CLIENT")) == 0) {
		snprintf(buf, len, "%s@%s", user(), addr);
		return;
	}
	if (sock_addr(buf, len, STDIN_FILENO) == 0)
		return;
	if ((tty = ttyname(STDIN_FILENO)) != NULL) {
		snprintf(buf, len, "%s on %s", user(), tty);
		return;
	}
	strlcpy(buf, "unknown", len);
}

/*
 * On a TCP socket: no Nagle delay, and keepalives tight enough that a
 * client whose network died lets go of the console within minutes, not
 * hours.
 *
 * Nagle holds a small segment while an earlier one is unacknowledged,
 * and the client holds its ACK for up to its delayed-ACK timer when it
 * has nothing to send (40 ms on Linux, 100 to 200 ms elsewhere): the
 * second of two writes the guest makes in quick succession, the rest of
 * a line or a prompt after its CR LF, would wait that long.  A console
 * wants each byte out as soon as it is read, so TCP_NODELAY, as sshd and
 * telnetd do for a terminal.  On loopback the medians are the same
 * either way (bench/'s split writes), but with Nagle a few samples in
 * thousands wait the 40 ms, and none without; what NODELAY costs is a
 * segment, and a wake-up of the client, for each read of the device,
 * which the relay keeps to one write a read.
 */
void
peer_tune(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	int			 on = 1, v;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
#ifdef TCP_KEEPIDLE
	v = KEEPIDLE;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
	v = KEEPINTVL;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, sizeof(v));
	v = KEEPCNT;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v));
#endif
#ifdef TCP_USER_TIMEOUT
	/* Linux: keepalives are not sent while output waits unacknowledged */
	v = (KEEPIDLE + KEEPINTVL * KEEPCNT) * 1000;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v));
#endif
	(void)v;
}
