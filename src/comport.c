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
 * RFC 2217, COM-PORT-OPTION: a telnet client sets the line's speed and
 * format, flow control, BREAK and modem lines. Every change goes through
 * the same line code as the command line options, and every answer is
 * what the device has now: a Linux pty keeps 8 bits and no parity
 * whatever is asked, and has no modem lines, and the client is told so.
 * The client hears the modem lines as ser2net and pyserial's server tell
 * them: all of them at first, once the option is agreed, on every change
 * and when it asks. What it did to the line (a BREAK held, DTR or RTS
 * changed) is undone when its session ends or loses write access.
 */

#include <sys/types.h>
#include <sys/ioctl.h>

#include <arpa/telnet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include "conslet.h"

enum {
	CP_SIGNATURE, CP_BAUDRATE, CP_DATASIZE, CP_PARITY, CP_STOPSIZE,
	CP_CONTROL, CP_NOTIFY_LINESTATE, CP_NOTIFY_MODEMSTATE,
	CP_FLOW_SUSPEND, CP_FLOW_RESUME, CP_LINESTATE_MASK,
	CP_MODEMSTATE_MASK, CP_PURGE
};
#define CP_REPLY	100	/* the server's answer to command c is c + 100 */
#define MODEM_POLL	1000	/* ms between looks at the modem lines */

/* IAC SB COM-PORT-OPTION code value IAC SE, with IAC in value doubled. */
static void
answer(struct session *s, int code, const unsigned char *v, size_t n)
{
	unsigned char	 b[2 * 64 + 8];
	size_t		 i, o = 0;

	b[o++] = IAC;
	b[o++] = SB;
	b[o++] = TELOPT_COMPORT;
	b[o++] = code;
	for (i = 0; i < n && i < 64; i++) {
		b[o++] = v[i];
		if (v[i] == IAC)
			b[o++] = IAC;
	}
	b[o++] = IAC;
	b[o++] = SE;
	session_reply(s, b, o);
}

static void
answer1(struct session *s, int cmd, int value)
{
	unsigned char	 v = value;

	answer(s, cmd + CP_REPLY, &v, 1);
}

/*
 * Apply l; a change is noted for the log and the viewers, a setting the
 * device has already is not. The client hears the outcome in the answer.
 */
static void
apply(struct session *s, struct line *l, const char *what)
{
	struct line	 was, now;

	if (line_get(s->dev, &was) == -1 || line_setup(s->dev, l) == -1)
		logit(LOG_NOTICE, "%s: cannot set %s: %s", s->con->name, what,
		    strerror(errno));
	else if (line_get(s->dev, &now) == 0 && (now.speed != was.speed ||
	    now.databits != was.databits || now.parity != was.parity ||
	    now.stopbits != was.stopbits || now.flow != was.flow))
		session_note(s, "%s by %s", what, s->me.peer);
}

static void
baudrate(struct session *s, struct line *cur, const unsigned char *v,
    size_t n)
{
	unsigned char	 b[4];
	char		 num[16], what[32];
	unsigned long	 bps;
	struct line	 want = *cur;

	if (n != 4)
		return;
	bps = (unsigned long)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
	if (bps != 0) {
		snprintf(num, sizeof(num), "%lu", bps);
		if (line_speed(&want, num) == NULL) {
			snprintf(what, sizeof(what), "speed %lu", bps);
			apply(s, &want, what);
		}
		(void)line_get(s->dev, cur);
	}
	bps = cur->speed;
	b[0] = bps >> 24;
	b[1] = bps >> 16;
	b[2] = bps >> 8;
	b[3] = bps;
	answer(s, CP_BAUDRATE + CP_REPLY, b, 4);
}

/* The parity codes of RFC 2217 and ours. */
static const char	 parities[] = { 0, 'n', 'o', 'e' };

static int
parity_code(int p)
{
	return p == 'o' ? 2 : p == 'e' ? 3 : 1;
}

static void
format(struct session *s, struct line *cur, int cmd, int v)
{
	struct line	 want = *cur;
	char		 what[32];
	int		 ok = 0;

	switch (cmd) {
	case CP_DATASIZE:
		if ((ok = v >= 5 && v <= 8))
			want.databits = v;
		snprintf(what, sizeof(what), "data bits %d", v);
		break;
	case CP_PARITY:
		if ((ok = v >= 1 && v <= 3))
			want.parity = parities[v];
		snprintf(what, sizeof(what), "parity %c",
		    ok ? want.parity : '?');
		break;
	case CP_STOPSIZE:
		if ((ok = v == 1 || v == 2))
			want.stopbits = v;
		snprintf(what, sizeof(what), "stop bits %d", v);
		break;
	}
	if (ok) {
		apply(s, &want, what);
		(void)line_get(s->dev, cur);
	}
	answer1(s, cmd, cmd == CP_DATASIZE ? cur->databits :
	    cmd == CP_PARITY ? parity_code(cur->parity) : cur->stopbits);
}

static const char *
modem_name(int bit)
{
	return bit == TIOCM_DTR ? "DTR" : "RTS";
}

/*
 * A modem line on or off; the answer is the state it has after. What it
 * was before the client's first change is kept, to be put back.
 */
static int
modem(struct session *s, int bit, int on, int yes, int no)
{
	int	 bits, before;

	if (on != -1) {
		before = line_modem_get(s->dev);
		if (line_modem(s->dev, bit, on) == 0) {
			if (before != -1 && !(s->cp.mset & bit)) {
				s->cp.mset |= bit;
				s->cp.msaved = (s->cp.msaved & ~bit) |
				    (before & bit);
			}
			/* noted only when it changed */
			if (before == -1 || ((before & bit) != 0) != on)
				session_note(s, "%s %s by %s", modem_name(bit),
				    on ? "on" : "off", s->me.peer);
		}
	}
	/* a device without modem lines (a pty) has them as if on */
	bits = line_modem_get(s->dev);
	return bits == -1 || bits & bit ? yes : no;
}

static int
flow_code(int flow)
{
	return flow == FLOW_XONXOFF ? 2 : flow == FLOW_RTSCTS ? 3 : 1;
}

static void
control(struct session *s, struct line *cur, int v)
{
	static const int	 flows[] = { 0, FLOW_NONE, FLOW_XONXOFF,
	    FLOW_RTSCTS };
	struct line		 want = *cur;
	int			 a = v;

	switch (v) {
	case 1: case 2: case 3:			/* set outbound flow */
	case 14: case 15: case 16:		/* inbound: the same here */
		want.flow = flows[v > 3 ? v - 13 : v];
		apply(s, &want, want.flow == FLOW_NONE ? "flow control none" :
		    want.flow == FLOW_XONXOFF ? "flow control xonxoff" :
		    "flow control rtscts");
		(void)line_get(s->dev, cur);
		/* FALLTHROUGH */
	case 0:
	case 13:
		a = flow_code(cur->flow) + (v >= 13 ? 13 : 0);
		break;
	case 4:					/* BREAK state */
		a = s->cp.brk ? 5 : 6;
		break;
	case 5:
		if (line_break_hold(s->dev, 1) == 0) {
			s->cp.brk = 1;
			session_note(s, "BREAK on by %s", s->me.peer);
		} else {
			/* nmdm cannot: the alternate break sequence */
			session_send(s, "\r~\002", 3);
			session_note(s, "BREAK sent as CR ~ ^B by %s",
			    s->me.peer);
		}
		a = s->cp.brk ? 5 : 6;
		break;
	case 6:
		if (s->cp.brk && line_break_hold(s->dev, 0) == 0) {
			s->cp.brk = 0;
			session_note(s, "BREAK off by %s", s->me.peer);
		}
		a = s->cp.brk ? 5 : 6;
		break;
	case 7: case 8: case 9:
		a = modem(s, TIOCM_DTR, v == 7 ? -1 : v == 8, 8, 9);
		break;
	case 10: case 11: case 12:
		a = modem(s, TIOCM_RTS, v == 10 ? -1 : v == 11, 11, 12);
		break;
	default:				/* DCD, DTR, DSR flow: no */
		a = flow_code(cur->flow) + 13;
		break;
	}
	answer1(s, CP_CONTROL, a);
}

/* CD, RI, DSR, CTS in RFC 2217's bits, from the device's modem lines. */
static int
modemstate(struct session *s)
{
	int	 bits, st = 0;

	if ((bits = line_modem_get(s->dev)) == -1)
		return 0;
	if (bits & TIOCM_CD)
		st |= 0x80;
	if (bits & TIOCM_RI)
		st |= 0x40;
	if (bits & TIOCM_DSR)
		st |= 0x20;
	if (bits & TIOCM_CTS)
		st |= 0x10;
	return st;
}

/*
 * Tell the client the modem lines, with what changed since it was last
 * told, as its mask asks: on a change, or always when it polls.
 */
static void
notify(struct session *s, int polled)
{
	int	 st, was = s->cp.mstate, delta = 0;

	st = modemstate(s);
	if (st == was && !polled)
		return;
	s->cp.mstate = st;
	if ((st ^ was) & 0x80)
		delta |= 0x08;		/* DCD changed */
	if (was & 0x40 && !(st & 0x40))
		delta |= 0x04;		/* RI trailing edge */
	if ((st ^ was) & 0x20)
		delta |= 0x02;		/* DSR changed */
	if ((st ^ was) & 0x10)
		delta |= 0x01;		/* CTS changed */
	if (polled || (st | delta) & s->cp.msmask)
		answer1(s, CP_NOTIFY_MODEMSTATE, (st | delta) &
		    s->cp.msmask);
}

static void
purge(struct session *s, int v)
{
	if (v == 1 || v == 3)
		(void)tcflush(s->dev, TCIFLUSH);
	if (v == 2 || v == 3) {
		session_purge_dev(s);
	}
	answer1(s, CP_PURGE, v);
}

/* Telnet mode starts: every modem line is of interest until told not. */
void
comport_init(struct session *s)
{
	s->cp.msmask = 0xff;
	s->cp.lsmask = 0;
}

/*
 * The option is agreed: the client hears the modem lines now, unasked,
 * as it would from ser2net; a device without them says none is up.
 */
void
comport_agreed(struct session *s)
{
	if (s->dev == -1)
		return;
	s->cp.mlines = line_modem_get(s->dev) != -1;
	s->cp.mstate = modemstate(s);
	answer1(s, CP_NOTIFY_MODEMSTATE, s->cp.mstate & s->cp.msmask);
}

/*
 * A read-only client asked for RFC 2217 or sent it a command: it is told
 * why it is refused, once, in the data stream, where it can see it.
 */
void
comport_refused(struct session *s)
{
	if (!s->cp.allowed || !s->readonly || s->cp.refused)
		return;
	s->cp.refused = 1;
	if (s->viewer)
		session_notice(s, "read-only: this port is for viewers, "
		    "RFC 2217 port control is refused");
	else
		session_notice(s, "read-only: %s is in use by another client, "
		    "RFC 2217 port control is refused", s->con->name);
}

/* One COM-PORT-OPTION subnegotiation from the client. */
void
comport_sb(struct session *s, const unsigned char *p, size_t n)
{
	struct line	 cur;
	char		 sig[NAME_LEN + 16];
	int		 v;

	if (n == 0 || s->dev == -1 || line_get(s->dev, &cur) == -1)
		return;
	v = n > 1 ? p[1] : 0;
	switch (p[0]) {
	case CP_SIGNATURE:
		if (n == 1) {
			snprintf(sig, sizeof(sig), "conslet %.*s", NAME_LEN,
			    s->con->name);
			answer(s, CP_SIGNATURE + CP_REPLY,
			    (const unsigned char *)sig, strlen(sig));
		}
		break;
	case CP_BAUDRATE:
		baudrate(s, &cur, p + 1, n - 1);
		break;
	case CP_DATASIZE:
	case CP_PARITY:
	case CP_STOPSIZE:
		if (n == 2)
			format(s, &cur, p[0], v);
		break;
	case CP_CONTROL:
		if (n == 2)
			control(s, &cur, v);
		break;
	case CP_NOTIFY_LINESTATE:	/* a poll, as pyserial makes them */
		answer1(s, CP_NOTIFY_LINESTATE, 0);	/* none is seen */
		break;
	case CP_NOTIFY_MODEMSTATE:	/* a poll: the lines now */
		notify(s, 1);
		break;
	case CP_FLOW_SUSPEND:
		s->cp.suspended = 1;
		break;
	case CP_FLOW_RESUME:
		s->cp.suspended = 0;
		break;
	case CP_LINESTATE_MASK:
		s->cp.lsmask = v;
		answer1(s, CP_LINESTATE_MASK, v);
		break;
	case CP_MODEMSTATE_MASK:
		s->cp.msmask = v;
		answer1(s, CP_MODEMSTATE_MASK, v);
		s->cp.mlines = line_modem_get(s->dev) != -1;
		s->cp.mstate = modemstate(s);
		answer1(s, CP_NOTIFY_MODEMSTATE, s->cp.mstate & v);
		break;
	case CP_PURGE:
		if (n == 2 && v >= 1 && v <= 3)
			purge(s, v);
		break;
	}
}

/*
 * How often the modem lines are looked at, while the option is in effect:
 * when the client's mask is not zero and the device has modem lines. -1
 * for never.
 */
int
comport_interval(const struct session *s)
{
	return s->cp.msmask != 0 && s->cp.mlines && s->dev != -1 ?
	    MODEM_POLL : -1;
}

/* Tell the client what changed on the modem lines, as its mask asks. */
void
comport_poll(struct session *s)
{
	notify(s, 0);
}

/*
 * Undo what the client did to the line: a BREAK it left on is let go,
 * DTR and RTS go back to what they were before it changed them. When
 * the session ends, and when its write access is taken (taken). One
 * note says all of it, so that a logger's limit on notes cannot keep
 * part of it out of the log.
 */
void
comport_release(struct session *s, int taken)
{
	static const int	 lines[] = { TIOCM_DTR, TIOCM_RTS };
	char			 done[64];
	size_t			 i;
	int			 bit, bits, on;

	done[0] = '\0';
	if (s->dev != -1 && s->cp.brk && line_break_hold(s->dev, 0) == 0)
		strlcat(done, ", BREAK off", sizeof(done));
	for (i = 0; s->dev != -1 && i < sizeof(lines) / sizeof(lines[0]);
	    i++) {
		bit = lines[i];
		if (!(s->cp.mset & bit))
			continue;
		on = (s->cp.msaved & bit) != 0;
		bits = line_modem_get(s->dev);
		if (bits != -1 && ((bits & bit) != 0) != on &&
		    line_modem(s->dev, bit, on) == 0) {
			strlcat(done, bit == TIOCM_DTR ? ", DTR " : ", RTS ",
			    sizeof(done));
			strlcat(done, on ? "on" : "off", sizeof(done));
		}
	}
	s->cp.brk = 0;
	s->cp.mset = 0;
	if (done[0] != '\0' && taken)
		session_note(s, "%s, as before %s had write access", done + 2,
		    s->me.peer);
	else if (done[0] != '\0')
		session_note(s, "%s, as before the session of %s", done + 2,
		    s->me.peer);
}
