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
 * What telnet.c, comport.c, escape.c and command.c call beyond the files
 * the fuzz targets link for real (session.c, msg.c, signals.c), for the
 * targets: the logger (share.c), taking write access (access.c), a
 * record's time (lock.c) and the device line (line.c). Nothing does I/O;
 * everything checks what it is handed and aborts on what the real
 * function could not take:
 *
 * - share_note: the note is a readable string.
 * - line_setup: only values the line code knows (5-8 data bits, parity
 *   n/e/o, 1 or 2 stop bits, a FLOW_*, a termios speed).
 *
 * stub_collect() takes what the session's buffers hold after each call:
 * the bytes for the device, kept for the targets to compare with a model,
 * never more than the relay keeps room for (half as much again as it
 * read, plus 4 bytes: ~B and a telnet BRK turn 2 bytes into the 3 of
 * CR ~ ^B); and what went to the client, where every IAC starts a whole
 * telnet command (IAC WILL/WONT/DO/DONT opt, IAC SB ... IAC SE with every
 * IAC inside doubled, IAC and a command) and the rest is notice text.
 *
 * The line is a model of one of four devices, chosen by the target: a
 * Linux pty (keeps speed, stop bits and flow; forces 8 bits and no
 * parity; no modem lines), a real serial port (keeps everything, has DTR
 * and RTS, and keeps whether it is held in BREAK), an nmdm(4) node
 * (cannot BREAK: ENOTTY) and a device gone bad
 * (every call fails with EIO).
 */

#include <sys/types.h>
#include <sys/ioctl.h>

#include <arpa/telnet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conslet.h"
#include "stubs.h"


struct stub	 stub;

static const long speeds[] = {
	50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600,
	19200, 38400, 57600, 115200, 230400, 460800, 500000, 921600,
	1000000, 1500000, 2000000, 3000000, 4000000
};

#define NSPEEDS	(sizeof(speeds) / sizeof(speeds[0]))

static void
die(const char *what)
{
	fprintf(stderr, "stub check failed: %s\n", what);
	abort();
}

/* Read every byte, so that ASan sees a pointer that is not n bytes long. */
static unsigned
touch(const void *p, size_t n)
{
	const volatile unsigned char	*b = p;
	unsigned			 sum = 0;
	size_t				 i;

	if (n > 0 && p == NULL)
		die("NULL with a length");
	for (i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

void
stub_reset(int device)
{
	memset(&stub, 0, sizeof(stub));
	stub.device = device;
	stub.line.speed = 9600;
	stub.line.databits = 8;
	stub.line.parity = 'n';
	stub.line.stopbits = 1;
	stub.line.flow = FLOW_NONE;
	stub.modem = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
}

void
stub_begin(size_t n)
{
	/* relay.c reads at most 2/3 of what todev has room for, less 4 */
	stub.budget = n + n / 2 + 4;
}

static void
check_session(const struct session *s)
{
	if (s == NULL)
		die("no session");
	if (s->con == NULL)
		die("no console");
}

/* What the telnet decoder sent the client: whole commands and text. */
static void
check_client(const unsigned char *b, size_t n)
{
	size_t	 i, st;

	for (i = 0; i < n;) {
		if (b[i] != IAC) {		/* notice text */
			i++;
			continue;
		}
		st = i;
		if (i + 1 >= n)
			die("to the client: a lone IAC");
		if (b[i + 1] >= WILL && b[i + 1] <= DONT) {
			if (i + 2 >= n)
				die("to the client: option missing");
			stub.negotiations++;
			i += 3;
		} else if (b[i + 1] == SB) {
			for (i += 2; i < n; i++) {
				if (b[i] != IAC)
					continue;
				if (i + 1 >= n)
					die("to the client: lone IAC in SB");
				if (b[i + 1] == SE)
					break;
				if (b[i + 1] != IAC)
					die("to the client: IAC in SB not "
					    "doubled");
				i++;
			}
			if (i >= n)
				die("to the client: SB without IAC SE");
			stub.subnegotiations++;
			i += 2;
		} else if (b[i + 1] == IAC) {
			die("to the client: data (IAC IAC) as a reply");
		} else
			i += 2;
		stub.replied += i - st;
	}
}

void
stub_collect(struct session *s)
{
	struct buf	*d = &s->todev, *c = &s->tocli;
	size_t		 n = d->len;

	check_session(s);
	if (stub.budget > 0 && n > stub.budget) {
		fprintf(stderr, "%zu bytes for the device from %zu read\n",
		    n, (stub.budget - 4) * 2 / 3);
		die("more for the device than the relay keeps room for");
	}
	if (n > sizeof(stub.sent) - stub.nsent)
		n = sizeof(stub.sent) - stub.nsent;
	memcpy(stub.sent + stub.nsent, d->data + d->off, n);
	stub.nsent += n;
	buf_consume(d, d->len);
	check_client(c->data + c->off, c->len);
	stub.toclient += c->len;
	buf_consume(c, c->len);
}

int
share_who(struct session *s)
{
	check_session(s);
	if (s->ctl == -1)
		die("share_who without a logger");
	return 0;
}

void
access_take(struct session *s)
{
	check_session(s);
}

void
holder_since(const struct holder *h, char *buf, size_t len)
{
	(void)h;
	snprintf(buf, len, "00:00:00");
}

void
share_replay(struct session *s)
{
	check_session(s);
	if (s->ctl == -1)
		die("share_replay without a logger");
}

void
share_note(struct session *s, const char *text)
{
	check_session(s);
	touch(text, strlen(text));
}

/* The device line. */

static int
line_fails(void)
{
	if (stub.device == DEV_BAD) {
		errno = EIO;
		return 1;
	}
	return 0;
}

static int
speed_known(long bps)
{
	size_t	 i;

	for (i = 0; i < NSPEEDS; i++)
		if (speeds[i] == bps)
			return 1;
	return 0;
}

const char *
line_speed(struct line *l, const char *str)
{
	char	*end;
	long	 v;

	if (l == NULL || str == NULL)
		die("line_speed: NULL");
	touch(str, strlen(str));
	errno = 0;
	v = strtol(str, &end, 10);
	if (end == str || *end != '\0' || errno != 0 || v < 1 || v > 4000000)
		return "invalid";
	if (!speed_known(v))
		return "not a speed the terminal driver knows";
	l->speed = v;
	return NULL;
}

int
line_get(int fd, struct line *l)
{
	if (fd < 0 || l == NULL)
		die("line_get: no device");
	if (line_fails())
		return -1;
	*l = stub.line;
	return 0;
}

int
line_setup(int fd, const struct line *l)
{
	if (fd < 0 || l == NULL)
		die("line_setup: no device");
	if (l->databits != 0 && (l->databits < 5 || l->databits > 8))
		die("line_setup: data bits");
	if (l->parity != 0 && l->parity != 'n' && l->parity != 'e' &&
	    l->parity != 'o')
		die("line_setup: parity");
	if (l->stopbits != 0 && l->stopbits != 1 && l->stopbits != 2)
		die("line_setup: stop bits");
	if (l->flow < FLOW_UNSET || l->flow > FLOW_XONXOFF)
		die("line_setup: flow");
	if (l->speed < 0)
		die("line_setup: speed");
	if (line_fails())
		return -1;
	if (l->speed != 0 && !speed_known(l->speed)) {
		errno = EINVAL;
		return -1;
	}
	stub.setups++;
	if (l->speed != 0)
		stub.line.speed = l->speed;
	if (l->databits != 0) {
		stub.line.stopbits = l->stopbits == 2 ? 2 : 1;
		if (stub.device == DEV_PTY) {	/* CS8, no parity, always */
			stub.line.databits = 8;
			stub.line.parity = 'n';
		} else {
			stub.line.databits = l->databits;
			stub.line.parity = l->parity == 0 ? 'n' : l->parity;
		}
	}
	if (l->flow != FLOW_UNSET)
		stub.line.flow = l->flow;
	return 0;
}

int
line_break(int fd, int alt)
{
	if (alt)
		return BRK_ALT;
	if (fd < 0)
		die("line_break: no device");
	if (line_fails())
		return -1;
	return stub.device == DEV_NMDM ? BRK_ALT : BRK_SENT;
}

int
line_break_hold(int fd, int on)
{
	if (fd < 0 || (on != 0 && on != 1))
		die("line_break_hold: arguments");
	if (line_fails())
		return -1;
	if (stub.device == DEV_NMDM) {
		errno = ENOTTY;
		return -1;
	}
	stub.brk = on;
	return 0;
}

int
line_modem(int fd, int bits, int on)
{
	if (fd < 0 || (on != 0 && on != 1) ||
	    (bits & ~(TIOCM_DTR | TIOCM_RTS)) != 0 || bits == 0)
		die("line_modem: arguments");
	if (line_fails())
		return -1;
	if (stub.device != DEV_SERIAL) {
		errno = ENOTTY;
		return -1;
	}
	if (on)
		stub.modem |= bits;
	else
		stub.modem &= ~bits;
	return 0;
}

int
line_modem_get(int fd)
{
	if (fd < 0)
		die("line_modem_get: no device");
	if (line_fails())
		return -1;
	if (stub.device != DEV_SERIAL) {
		errno = ENOTTY;
		return -1;
	}
	return stub.modem;
}
