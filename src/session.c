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
 * A session's bytes: the two bounded buffers and what goes into them.
 * The console's output, notices and protocol answers go to the client in
 * order; what the client types goes to the device unless it is
 * read-only. Notes go to the log, and through the logger to every client.
 * How a session ends is one table, for relay.c and main().
 */

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include "conslet.h"

#define NOTE_BURST	5	/* notes a session may make at once, */
#define NOTE_EVERY	1000	/* then one every this many ms */

/*
 * What each end means: the word for syslog, the notice for the client,
 * whether what is pending still goes out to the client and to the device,
 * and the exit status. conslet(8), EXIT STATUS and DIAGNOSTICS, says the
 * same, and a test holds the two together.
 */
static const struct ending endings[] = {
	{ END_CLIENT, "client closed", NULL,		0, 1, 0 },
	{ END_ESCAPE, "escape", "disconnected",	1, 1, 0 },
	{ END_IDLE, "idle", "idle timeout",		1, 1, 0 },
	{ END_SIGNAL, "signal", "terminated",		1, 0, 0 },
	{ END_DEVICE, "console closed", "console closed", 1, 0, EX_IOERR },
	{ END_LOGGER, "logger stopped", "logger stopped", 1, 0, EX_IOERR },
	{ END_TAKEN, "write access taken", NULL,	1, 0, 0 },
};

const struct ending *
session_ending(int end)
{
	size_t	 i;

	for (i = 0; i < sizeof(endings) / sizeof(endings[0]); i++)
		if (endings[i].end == end)
			return &endings[i];
	return &endings[0];	/* END_NONE: as if the client closed */
}

/* The session ends for this reason, unless it has one already. */
void
session_end(struct session *s, int end)
{
	if (s->end == END_NONE)
		s->end = end;
}

/*
 * What was typed for the device and not yet read by the guest is not to
 * be sent: RFC 2217 PURGE-DATA, and write access taken.
 */
void
session_purge_dev(struct session *s)
{
	s->todev.len = 0;
	s->todev.off = 0;
	if (s->dev != -1)
		(void)tcflush(s->dev, TCOFLUSH);
}

static void
buf_compact(struct buf *b)
{
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
}

static size_t
buf_size(const struct buf *b)
{
	return b->size != 0 ? b->size : sizeof(b->data);
}

size_t
buf_room(const struct buf *b)
{
	return buf_size(b) - b->len;
}

void
buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

/* Room after the pending bytes, without moving them. */
static size_t
buf_tail(const struct buf *b)
{
	return buf_size(b) - b->off - b->len;
}

/*
 * Room at the end for the next read.  The pending bytes move to the
 * front only when that costs no more than the room it gains, so a
 * reader that drains a little at a time (a pty takes about 4 KiB a
 * write) does not cost a copy of all that waits on every read.
 */
size_t
buf_space(struct buf *b)
{
	if (b->off >= b->len)
		buf_compact(b);
	return buf_tail(b);
}

/*
 * Append what fits; the caller has made sure it does.  The pending
 * bytes move to the front only when the end has no room: a slow reader
 * must not cost a copy of what waits for it on every append.
 */
void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n > buf_room(b))
		n = buf_room(b);
	if (n > buf_tail(b))
		buf_compact(b);
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
}

/* Bytes for the device, from the client or from an escape command. */
void
session_send(struct session *s, const void *p, size_t n)
{
	if (!s->readonly)
		buf_add(&s->todev, p, n);
}

/* A bracketed line for the client, in order with the console's output. */
void
session_notice(struct session *s, const char *fmt, ...)
{
	char	 text[NOTICE_ROOM], line[NOTICE_ROOM];
	va_list	 ap;
	int	 n;

	if (s->quiet)		/* -E: nothing but the console's bytes */
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* telnet, not binary: a CR already sent must not stand alone */
	if (s->tn.outcr) {
		s->tn.outcr = 0;
		if (buf_room(&s->tocli) > 0)
			buf_add(&s->tocli, "", 1);
	}
	/* a line of its own, also after output that ended mid-line */
	line[0] = '\r';
	line[1] = '\n';
	n = notice_fmt(line + 2, sizeof(line) - 2, "%s", text);
	if (n > 0 && (size_t)n + 2 <= buf_room(&s->tocli)) {
		if (s->midline)
			buf_add(&s->tocli, line, n + 2);
		else
			buf_add(&s->tocli, line + 2, n);
		s->midline = 0;
	}
}

/* Protocol bytes for the client, as they are (telnet negotiation). */
void
session_reply(struct session *s, const void *p, size_t n)
{
	if (n <= buf_room(&s->tocli))	/* a client that floods and does */
		buf_add(&s->tocli, p, n); /* not read loses its answers */
}

/*
 * The limit on a session's notes, a token bucket: a client that sends
 * BREAK after BREAK must not write the log and syslog full. One session
 * a process, so the state is this file's.
 */
static struct {
	long long		 credit;	/* ms; a note costs NOTE_EVERY */
	long long		 at;		/* when credit was last counted */
	unsigned long long	 left;		/* notes left out since */
	char			 last[NOTICE_ROOM / 4]; /* the last of them */
} notes;

/* Take one note's worth of the limit; 0 if there is none. */
static int
note_credit(void)
{
	long long	 now = now_ms();

	if (notes.at == 0)
		notes.credit = NOTE_BURST * NOTE_EVERY;
	else
		notes.credit += now - notes.at;
	if (notes.credit > NOTE_BURST * NOTE_EVERY)
		notes.credit = NOTE_BURST * NOTE_EVERY;
	notes.at = now;
	if (notes.credit < NOTE_EVERY)
		return 0;
	notes.credit -= NOTE_EVERY;
	return 1;
}

static void
note_out(struct session *s, const char *text)
{
	logit(LOG_NOTICE, "%s: %s", s->con->name, text);
	share_note(s, text);
}

/*
 * The attach, on record: relay() says it after its first round (or at
 * once when nothing is waiting), so that syslog's work, and the daemon's,
 * comes after the first byte, not before it.
 */
void
session_attached(struct session *s)
{
	logit(LOG_INFO, "%s: attached by %s", s->con->name, s->me.peer);
}

/* The notes left out, in one note: once the limit allows, or at the end. */
void
session_notes_left(struct session *s, int end)
{
	char	 text[NOTICE_ROOM / 2];

	if (notes.left == 0 || (!end && !note_credit()))
		return;
	snprintf(text, sizeof(text), "%llu more notes by %s left out, "
	    "the last: %s", notes.left, s->me.peer, notes.last);
	notes.left = 0;
	note_out(s, text);
}

/*
 * Something operators want on record: a BREAK, a change of line settings.
 * With a logger it goes into the log and to every client; syslog always.
 * Past the limit it is only counted.
 */
void
session_note(struct session *s, const char *fmt, ...)
{
	char	 text[NOTICE_ROOM / 2];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (notes.left > 0 || !note_credit()) {
		notes.left++;
		strlcpy(notes.last, text, sizeof(notes.last));
		return;
	}
	note_out(s, text);
}

