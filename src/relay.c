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
 * The relay: one poll loop, one bounded buffer per direction. A full
 * buffer takes its source out of the poll set, so a peer that does not
 * read slows only the other side's reading, and memory never grows.
 * Signals become a byte on a pipe the loop reads.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conslet.h"

#define FLUSH_MS	5000	/* how long pending bytes may take at the end */
/*
 * After the client's end of input (nc -N, a script piped in) the console
 * is heard out until it has been quiet this long: enough for a shell to
 * answer the last command, while a client that closed altogether (its
 * end of input looks the same) keeps a quiet console's session no more
 * than half a second.
 */
#define QUIET_MS	500
#define READ_MIN	(BUF_LEN / 4)	/* least room worth a read */
#define CLIENT_MIN	(TODEV_LEN / 4)	/* and of the client */
#define BURST		1024	/* a read this long: more may be waiting */

enum { P_SIG, P_CIN, P_COUT, P_DEV, P_SRC, P_BELL, P_MAX };

/*
 * Read from the client: the escape parser decides what reaches the device.
 * -1 at the end of its input.
 */
static int
client_read(struct session *s)
{
	unsigned char	 in[TODEV_LEN];
	size_t		 want;
	ssize_t		 n;

	/*
	 * What is read must fit in todev once expanded: ~B (or a telnet
	 * BRK) is 2 bytes that can become the 3 of CR ~ ^B, and a ~ held
	 * from the last read comes back as one more.
	 */
	want = (buf_space(&s->todev) - 4) / 3 * 2;
	/* telnet: room for the answers, at least NOTICE_ROOM / 2 */
	if (s->tn.on && want > buf_room(&s->tocli) - NOTICE_ROOM / 2)
		want = buf_room(&s->tocli) - NOTICE_ROOM / 2;
	n = read(s->cin, in, want);
	if (n > 0) {
		s->bytes_in += n;
		if (s->tn.on)
			telnet_input(s, in, n);
		else
			escape_input(s, in, n);
	} else if (n == 0)
		return -1;
	else if (errno != EAGAIN && errno != EINTR)
		s->end = END_CLIENT;
	return 0;
}

/* Read the console's output, leaving room for notices. */
static void
source_read(struct session *s)
{
	struct buf	*b = &s->tocli;
	ssize_t		 n;

	unsigned char	 raw[BUF_LEN / 2], *end;
	size_t		 want, got;

	want = buf_space(b) - NOTICE_ROOM;
	end = b->data + b->off + b->len;
	if (!s->tn.on) {
		/*
		 * A pty gives at most 4 KiB a read: in a burst, read on
		 * and pass on the lot at once.  An end of file or error
		 * after some bytes is seen again on the next round.
		 */
		got = 0;
		do {
			if ((n = read(s->src, end + got, want - got)) > 0)
				got += n;
		} while (n >= BURST && want - got >= BURST);
		if (got > 0)
			n = got;
	} else if ((n = read(s->src, raw, (want - 1) / 2)) > 0)
		/* IAC doubled, CR NUL: at most 2 * n + 1 bytes */
		b->len += telnet_output(s, raw, n, end) - n;
	if (n > 0) {
		b->len += n;
		s->bytes_out += n;
		s->midline = b->data[b->off + b->len - 1] != '\n';
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		s->end = s->src == s->dev ? END_DEVICE : END_LOGGER;
}

/* Write some of b to fd; -1 when fd is gone. */
static int
drain(int fd, struct buf *b)
{
	ssize_t	 n;

	n = write(fd, b->data + b->off, b->len);
	if (n > 0)
		buf_consume(b, n);
	else if (n == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}

/*
 * A terminal too (sshd -t, or conslet run by hand): a client that stops
 * reading must not hold the loop in write(2), past ~. and -i. The flags
 * are put back at the end, for the shell that may share the terminal.
 */
static int
nonblock(int fd, int *saved)
{
	if ((*saved = fcntl(fd, F_GETFL)) == -1)
		return -1;
	return fcntl(fd, F_SETFL, *saved | O_NONBLOCK);
}

/*
 * Half-closed at eof: how long (ms) to go on with the console's output
 * last heard at heard, 0 to end now. It ends once that output has been
 * quiet for QUIET_MS and is all written, or FLUSH_MS after eof.
 */
static long long
linger(const struct session *s, long long eof, long long heard)
{
	long long	 now, left, quiet;

	now = now_ms();
	left = eof + FLUSH_MS - now;
	quiet = heard + QUIET_MS - now;
	if (left <= 0 || (quiet <= 0 && s->tocli.len == 0))
		return 0;
	return quiet > 0 && quiet < left ? quiet : left;
}

/* After the end: deliver what is pending, within FLUSH_MS. */
static void
flush(struct session *s, int client_ok, int device_ok)
{
	struct pollfd	 pfd[2];
	long long	 deadline;
	int		 left;

	deadline = now_ms() + FLUSH_MS;
	if (!client_ok)
		s->tocli.len = 0;
	if (!device_ok)
		s->todev.len = 0;
	while (s->tocli.len > 0 || s->todev.len > 0) {
		if ((left = deadline - now_ms()) <= 0)
			break;
		pfd[0].fd = s->tocli.len > 0 ? s->cout : -1;
		pfd[0].events = POLLOUT;
		pfd[1].fd = s->todev.len > 0 ? s->dev : -1;
		pfd[1].events = POLLOUT;
		if (poll(pfd, 2, left) == -1 && errno != EINTR)
			break;
		if (pfd[0].revents != 0 && drain(s->cout, &s->tocli) == -1)
			s->tocli.len = 0;
		if (pfd[1].revents != 0 && drain(s->dev, &s->todev) == -1)
			s->todev.len = 0;
	}
}

/* The last word to the client, and what is pending, as the end says. */
static void
farewell(struct session *s)
{
	const struct ending	*e = session_ending(s->end);

	if (e->notice != NULL)
		session_notice(s, "%s", e->notice);
	flush(s, e->to_client, e->to_device);
}

/* Relay until either side goes; the reason (END_*). */
int
relay(struct session *s)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, 0 };
	struct pollfd	 pfd[P_MAX];
	char		 taker[PEER_LEN];
	long long	 last, left, nextm = 0, eof = 0, heard = 0;
	int		 cinfl, coutfl, timeout, sigfd, room, fresh = 0;
	int		 n, told = 0;	/* the attach: 0, 1 due, 2 said */

	if ((sigfd = signals_catch(sigs)) == -1 ||
	    nonblock(s->cin, &cinfl) == -1 ||
	    nonblock(s->cout, &coutfl) == -1) {
		session_attached(s);
		logit(LOG_ERR, "%s: relay setup: %s", s->con->name,
		    strerror(errno));
		return END_CLIENT;
	}
	if (s->tn.on)
		telnet_start(s);
	if (s->prelen > 0) {		/* typed on after the -m answer */
		s->bytes_in += s->prelen;
		if (s->tn.on)
			telnet_input(s, s->pre, s->prelen);
		else
			escape_input(s, s->pre, s->prelen);
		s->prelen = 0;
	}
	last = now_ms();
	while (s->end == END_NONE) {
		session_notes_left(s, 0);
		pfd[P_SIG].fd = sigfd;
		pfd[P_SIG].events = POLLIN;
		/* stop reading the client until both its buffers have room */
		pfd[P_CIN].fd = eof == 0 ? s->cin : -1;
		pfd[P_CIN].events = buf_space(&s->todev) >= CLIENT_MIN &&
		    buf_room(&s->tocli) >= NOTICE_ROOM ? POLLIN : 0;
		pfd[P_COUT].fd = s->cout;
		pfd[P_COUT].events = s->tocli.len > 0 && !s->cp.suspended ?
		    POLLOUT : 0;
		/* the console's output: from the device, or the logger's pipe */
		room = buf_space(&s->tocli) >= NOTICE_ROOM + READ_MIN;
		pfd[P_SRC].fd = s->src;
		pfd[P_SRC].events = room ? POLLIN : 0;
		/*
		 * Direct: one slot for both ways. Attached: the writer's
		 * device, to write and to see it go away (POLLHUP).
		 */
		pfd[P_DEV].fd = s->src == s->dev || s->readonly ? -1 : s->dev;
		pfd[P_DEV].events = s->todev.len > 0 ? POLLOUT : 0;
		if (s->src == s->dev && s->todev.len > 0)
			pfd[P_SRC].events |= POLLOUT;
		/* the writer hears here that someone takes write access */
		pfd[P_BELL].fd = s->readonly ? -1 : s->ffd;
		pfd[P_BELL].events = POLLIN;

		timeout = -1;
		/*
		 * RFC 2217: a look at the modem lines now and then; a
		 * session that did not agree to it is never woken.
		 */
		if (s->tn.on && telnet_comport(s) &&
		    (left = comport_interval(s)) != -1) {
			if (nextm == 0 || now_ms() >= nextm) {
				comport_poll(s);
				nextm = now_ms() + left;
			}
			timeout = nextm - now_ms();
		}
		if (s->idle > 0) {
			left = last + s->idle * 1000LL - now_ms();
			if (left <= 0) {
				s->end = END_IDLE;
				break;
			}
			if (left > 3600000)
				left = 3600000;
			if (timeout == -1 || left < timeout)
				timeout = left;
		}
		if (eof != 0) {
			/* half-closed: the answer to what it sent, then end */
			if ((left = linger(s, eof, heard)) == 0) {
				s->end = END_CLIENT;
				break;
			}
			if (timeout == -1 || left < timeout)
				timeout = left;
		}
		/*
		 * The attach goes on record after the first round's bytes, or
		 * at once when there are none: syslog's work (and the
		 * daemon's) comes after the first byte, not before it.
		 */
		if (told == 1) {
			session_attached(s);
			told = 2;
		}
		n = poll(pfd, P_MAX, told == 2 ? timeout : 0);
		if (told == 0 && n == 0) {
			session_attached(s);
			told = 2;
			n = poll(pfd, P_MAX, timeout);
		} else if (told == 0)
			told = 1;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			logit(LOG_ERR, "%s: poll: %s", s->con->name,
			    strerror(errno));
			s->end = END_CLIENT;
			break;
		}

		if (pfd[P_SIG].revents & POLLIN && signals_taken()) {
			s->end = END_SIGNAL;
			break;
		}
		if (pfd[P_BELL].revents & POLLIN &&
		    share_bell(s, taker, sizeof(taker)) == 1) {
			access_yield(s, taker);
			if (s->end != END_NONE)
				break;
		}
		if (pfd[P_COUT].revents & (POLLOUT | POLLERR | POLLHUP) &&
		    (s->tocli.len == 0 || drain(s->cout, &s->tocli) == -1)) {
			s->end = END_CLIENT;	/* gone, or an error */
			break;
		}
		if ((pfd[P_DEV].revents | (s->src == s->dev ?
		    pfd[P_SRC].revents : 0)) & POLLOUT &&
		    drain(s->dev, &s->todev) == -1) {
			s->end = END_DEVICE;
			break;
		}
		if (pfd[P_DEV].revents & (POLLERR | POLLHUP) &&
		    !(pfd[P_DEV].revents & POLLOUT)) {
			s->end = END_DEVICE;
			break;
		}
		if (pfd[P_SRC].revents & (POLLIN | POLLERR | POLLHUP)) {
			if (pfd[P_SRC].events & POLLIN) {
				source_read(s);
				heard = now_ms();
				fresh = 1;
			} else if (!(pfd[P_SRC].revents & POLLIN))
				s->end = s->src == s->dev ? END_DEVICE :
				    END_LOGGER;	/* hung up */
		}
		if (s->end == END_NONE &&
		    pfd[P_CIN].revents & (POLLIN | POLLERR | POLLHUP)) {
			if (pfd[P_CIN].events & POLLIN) {
				if (client_read(s) == -1)
					eof = heard = now_ms();
				last = now_ms();
				fresh = 1;
			} else if (!(pfd[P_CIN].revents & POLLIN))
				s->end = END_CLIENT;	/* hung up */
		}
		/*
		 * What was just read goes out now, not after one more poll:
		 * a keystroke's echo costs two polls, not four.  What does
		 * not fit waits for POLLOUT as before.
		 */
		if (!fresh || s->end != END_NONE)
			continue;
		fresh = 0;
		if (s->todev.len > 0 && drain(s->dev, &s->todev) == -1)
			s->end = END_DEVICE;
		if (s->end == END_NONE && s->tocli.len > 0 &&
		    !s->cp.suspended && drain(s->cout, &s->tocli) == -1)
			s->end = END_CLIENT;
	}
	if (told != 2)
		session_attached(s);
	comport_release(s, 0);		/* a BREAK, DTR, RTS the client set */
	session_notes_left(s, 1);
	farewell(s);
	/* fd 1 first: where both are one open file, fd 0 had it first */
	if (coutfl != -1)
		(void)fcntl(s->cout, F_SETFL, coutfl);
	if (cinfl != -1)
		(void)fcntl(s->cin, F_SETFL, cinfl);
	return s->end;
}
