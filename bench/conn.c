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
 * The client's side of a relay: a connection on TCP (or the pty itself,
 * for the direct relay), the guest's echo, and the time to a first echo.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bench.h"

void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void
rawmode(int fd)
{
	struct termios	 t;

	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
}

int
tcp_connect(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nonblock(fd);
	return fd;
}

/*
 * Telnet, as little as works: the data the benchmark sends has no IAC
 * (0xff) and no CR, so every IAC the client sees starts a command, which
 * is dropped; options are left as the server has them.
 */
static size_t
tn_filter(struct tn *t, unsigned char *p, size_t n)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (t->st) {
		case 0:
			if (c == 255)
				t->st = 1;
			else
				p[o++] = c;
			break;
		case 1:		/* after IAC */
			if (c == 255) {
				p[o++] = c;
				t->st = 0;
			} else if (c >= 251)
				t->st = 2;
			else if (c == 250)
				t->st = 3;
			else
				t->st = 0;
			break;
		case 2:		/* option of WILL/WONT/DO/DONT */
			t->st = 0;
			break;
		case 3:		/* in SB */
			if (c == 255)
				t->st = 4;
			break;
		case 4:
			t->st = c == 240 ? 0 : 3;
			break;
		}
	}
	return o;
}

ssize_t
cread(struct conn *c, unsigned char *buf, size_t len)
{
	ssize_t	 n;

	n = read(c->fd, buf, len);
	if (n > 0 && c->telnet && (n = tn_filter(&c->tn, buf, n)) == 0) {
		errno = EAGAIN;		/* telnet commands only */
		return -1;
	}
	return n;
}

/* Echo what the guest reads back to the client, until byte b arrives. */
int
echo_until(struct relay *r, struct conn *c, unsigned char b)
{
	unsigned char	 buf[4096];
	struct pollfd	 pfd[2];
	ssize_t		 n, i;

	for (;;) {
		pfd[0].fd = r->master;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, TIMEOUT) <= 0) {
			warnx("no echo");
			return -1;
		}
		if (pfd[0].revents & POLLIN &&
		    (n = read(r->master, buf, sizeof(buf))) > 0)
			if (write(r->master, buf, n) != n)
				return -1;
		if (pfd[1].revents) {
			n = cread(c, buf, sizeof(buf));
			if (n == 0) {
				warnx("echo: EOF");
				return -1;
			}
			if (n == -1 && errno != EAGAIN) {
				warn("echo");
				return -1;
			}
			for (i = 0; i < n; i++)
				if (buf[i] == b)
					return 0;
		}
	}
}

int
conn_open(struct relay *r, struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->telnet = r->kind == K_TELNET;
	if (r->kind == K_DIRECT) {
		if ((c->fd = open(r->slave, O_RDWR | O_NOCTTY | O_NONBLOCK))
		    == -1)
			return -1;
		rawmode(c->fd);
		return 0;
	}
	return (c->fd = tcp_connect(r->port)) == -1 ? -1 : 0;
}

/* Close and wait until the relay has let go of the console. */
void
conn_close(struct relay *r, struct conn *c)
{
	unsigned char	 buf[4096];
	struct pollfd	 pfd;
	double		 end = now_us() + TIMEOUT * 1e3;

	if (r->kind != K_DIRECT) {
		shutdown(c->fd, SHUT_WR);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		while (now_us() < end && poll(&pfd, 1, TIMEOUT) > 0 &&
		    read(c->fd, buf, sizeof(buf)) != 0)
			if (errno != EAGAIN && errno != EINTR && errno != 0)
				break;
	}
	close(c->fd);
	if (r->server > 0 && r->kind != K_SER2NET && r->kind != K_SER2NET_ND)
		wait_no_children(r->server);
	/* whatever a relay left in the pty */
	while (read(r->master, buf, sizeof(buf)) > 0)
		;
}

/*
 * Reset the connection (RST, not FIN) and wait until the relay has let
 * go of the console: conslet hears a client's end of input out for half
 * a second, which is no part of connecting, and would make the connects
 * the longest part of the run.
 */
static void
conn_reset(struct relay *r, struct conn *c)
{
	struct linger	 l = { 1, 0 };
	unsigned char	 buf[4096];

	if (r->kind != K_DIRECT)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(c->fd);
	if (r->server > 0 && r->kind != K_SER2NET && r->kind != K_SER2NET_ND)
		wait_no_children(r->server);
	while (read(r->master, buf, sizeof(buf)) > 0)
		;
}

/* connect() until the echo of a first byte; -1 on failure. */
double
connect_once(struct relay *r, struct conn *c, int keep)
{
	unsigned char	 b = 'C';
	double		 t0, t;

	t0 = now_us();
	if (conn_open(r, c) == -1)
		return -1;
	if (write(c->fd, &b, 1) != 1 || echo_until(r, c, b) == -1) {
		close(c->fd);
		return -1;
	}
	t = now_us() - t0;
	if (!keep)
		conn_reset(r, c);
	return t;
}

void
find_pids(struct relay *r, struct conn *c)
{
	c->npid = 0;
	switch (r->kind) {
	case K_DIRECT:
		break;
	case K_SER2NET:
	case K_SER2NET_ND:
		c->pids[c->npid++] = r->server;
		break;
	default:
		c->npid = children(r->server, c->pids, MAXPID);
		break;
	}
}

double
pids_cpu(struct relay *r, struct conn *c)
{
	double	 t = 0;
	int	 i;

	for (i = 0; i < c->npid; i++)
		t += cpu_ms(c->pids[i]);
	if (r->logger > 0)
		t += cpu_ms(r->logger);
	return t;
}
