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
 * Telnet mode (-t): the few options that make a telnet client behave like
 * a terminal on a serial line (RFC 854-858), negotiated by the Q method of
 * RFC 1143 so that no client can push it into a loop, and everything else
 * refused. Decoded data goes on to the escape parser; RFC 2217 (option 44)
 * is comport.c's.
 */

#include <sys/types.h>

#include <arpa/telnet.h>
#include <stdio.h>
#include <string.h>

#include "conslet.h"

/* Option states, RFC 1143; Q_OPPOSITE is the one-deep queue. */
#define Q_NO		0
#define Q_YES		1
#define Q_WANTNO	2
#define Q_WANTYES	3
#define Q_STATE		3
#define Q_OPPOSITE	4

enum { TS_DATA, TS_IAC, TS_WILL, TS_WONT, TS_DO, TS_DONT, TS_SB, TS_SBIAC };

static void
send3(struct session *s, int cmd, int opt)
{
	unsigned char	 b[3] = { IAC, cmd, opt };

	session_reply(s, b, 3);
}

/* May our side (WILL) or the client's (DO) have this option? */
static int
allowed(const struct session *s, int opt, int ours)
{
	switch (opt) {
	case TELOPT_BINARY:
	case TELOPT_SGA:
		return 1;
	case TELOPT_ECHO:
		return ours;	/* the guest echoes; the client must not */
	case TELOPT_COMPORT:
		return s->cp.allowed && !s->readonly;
	}
	return 0;
}

/*
 * An offer or a refusal from the client about one side of an option:
 * q is that side's state, yes the byte that agrees (WILL for the client's
 * side, DO for ours) and enable whether this message enables.
 */
static void
negotiate(struct session *s, unsigned char *q, int opt, int ours, int enable)
{
	int	 on = ours ? WILL : DO, off = ours ? WONT : DONT;
	int	 was = telnet_comport(s);

	switch (*q & Q_STATE) {
	case Q_NO:
		if (enable && allowed(s, opt, ours)) {
			*q = Q_YES;
			send3(s, on, opt);
		} else if (enable) {
			send3(s, off, opt);
			if (opt == TELOPT_COMPORT)
				comport_refused(s);
		}
		break;
	case Q_YES:
		if (!enable) {
			*q = Q_NO;
			send3(s, off, opt);
		}
		break;
	case Q_WANTNO:
		if (*q & Q_OPPOSITE) {
			if (enable)
				*q = Q_YES;
			else {
				*q = Q_WANTYES;
				send3(s, on, opt);
			}
		} else
			*q = Q_NO;	/* an enable here is an error: no */
		break;
	case Q_WANTYES:
		if (*q & Q_OPPOSITE) {
			if (enable) {
				*q = Q_WANTNO;
				send3(s, off, opt);
			} else
				*q = Q_NO;
		} else
			*q = enable ? Q_YES : Q_NO;
		break;
	}
	/* RFC 2217 agreed, either way: the client hears the modem lines */
	if (opt == TELOPT_COMPORT && !was && telnet_comport(s))
		comport_agreed(s);
}

/* Ask for an option to be on, on our side or the client's. */
static void
ask(struct session *s, unsigned char *q, int opt, int ours)
{
	if ((*q & Q_STATE) == Q_NO) {
		*q = Q_WANTYES;
		send3(s, ours ? WILL : DO, opt);
	}
}

void
telnet_start(struct session *s)
{
	struct telnet	*t = &s->tn;

	ask(s, &t->us[TELOPT_ECHO], TELOPT_ECHO, 1);
	ask(s, &t->us[TELOPT_SGA], TELOPT_SGA, 1);
	ask(s, &t->them[TELOPT_SGA], TELOPT_SGA, 0);
	ask(s, &t->us[TELOPT_BINARY], TELOPT_BINARY, 1);
	ask(s, &t->them[TELOPT_BINARY], TELOPT_BINARY, 0);
	comport_init(s);
}

/* The client sends 8-bit data (its WILL BINARY is in effect). */
static int
binary_in(const struct session *s)
{
	return (s->tn.them[TELOPT_BINARY] & Q_STATE) == Q_YES;
}

static int
binary_out(const struct session *s)
{
	return (s->tn.us[TELOPT_BINARY] & Q_STATE) == Q_YES;
}

/* COM-PORT-OPTION is in effect, on either side, for a client that writes. */
int
telnet_comport(const struct session *s)
{
	return s->cp.allowed && !s->readonly &&
	    ((s->tn.them[TELOPT_COMPORT] & Q_STATE) == Q_YES ||
	    (s->tn.us[TELOPT_COMPORT] & Q_STATE) == Q_YES);
}

static void
subneg(struct session *s, int opt, const unsigned char *p, size_t n)
{
	if (opt != TELOPT_COMPORT)
		return;
	if (telnet_comport(s))
		comport_sb(s, p, n);
	else
		comport_refused(s);
}

/* A command that is not about options. */
static void
command(struct session *s, int c, unsigned char *data, size_t *nd)
{
	switch (c) {
	case IAC:
		data[(*nd)++] = IAC;
		return;
	case IP:		/* what a terminal sends for these */
		data[(*nd)++] = 0x03;
		return;
	case EC:
		data[(*nd)++] = 0x7f;
		return;
	case EL:
		data[(*nd)++] = 0x15;
		return;
	}
	/* what comes next acts on its own: what came before goes first */
	escape_input(s, data, *nd);
	*nd = 0;
	switch (c) {
	case BREAK:
		command_break(s);
		break;
	case AYT:
		command_ayt(s);
		break;
	default:		/* NOP, DM, GA, AO, a stray SE: nothing */
		break;
	}
}

/*
 * Decode the client's bytes. Data goes to the escape parser in runs; in
 * non-binary mode CR NUL and CR LF become one CR, as a telnet client's
 * Enter should reach the guest.
 */
void
telnet_input(struct session *s, const unsigned char *p, size_t n)
{
	struct telnet	*t = &s->tn;
	unsigned char	 data[TODEV_LEN];	/* passed on when full */
	size_t		 i, nd = 0;
	int		 c;

	for (i = 0; i < n && s->end == END_NONE; i++) {
		c = p[i];
		switch (t->state) {
		case TS_DATA:
			if (c == IAC) {
				t->state = TS_IAC;
				break;
			}
			if (t->incr) {
				t->incr = 0;
				if (c == '\n' || c == '\0')
					break;
			}
			if (c == '\r' && !binary_in(s))
				t->incr = 1;
			data[nd++] = c;
			break;
		case TS_IAC:
			t->state = TS_DATA;
			switch (c) {
			case WILL:
				t->state = TS_WILL;
				break;
			case WONT:
				t->state = TS_WONT;
				break;
			case DO:
				t->state = TS_DO;
				break;
			case DONT:
				t->state = TS_DONT;
				break;
			case SB:
				t->state = TS_SB;
				t->sblen = 0;
				t->sbover = 0;
				break;
			default:
				t->incr = 0;
				command(s, c, data, &nd);
				break;
			}
			break;
		case TS_WILL:
		case TS_WONT:
			negotiate(s, &t->them[c], c, 0, t->state == TS_WILL);
			t->state = TS_DATA;
			break;
		case TS_DO:
		case TS_DONT:
			negotiate(s, &t->us[c], c, 1, t->state == TS_DO);
			t->state = TS_DATA;
			break;
		case TS_SB:
			if (c == IAC)
				t->state = TS_SBIAC;
			else if (t->sblen < sizeof(t->sb))
				t->sb[t->sblen++] = c;
			else
				t->sbover = 1;	/* overlong: dropped whole */
			break;
		case TS_SBIAC:
			if (c == IAC) {
				t->state = TS_SB;
				if (t->sblen < sizeof(t->sb))
					t->sb[t->sblen++] = c;
				else
					t->sbover = 1;
				break;
			}
			t->state = TS_DATA;
			if (c == SE) {
				if (!t->sbover && t->sblen > 0) {
					escape_input(s, data, nd);
					nd = 0;
					subneg(s, t->sb[0], t->sb + 1,
					    t->sblen - 1);
				}
				break;
			}
			/* IAC and not SE inside SB: the SB was broken off */
			t->state = TS_IAC;
			i--;
			break;
		}
		if (nd == sizeof(data)) {
			escape_input(s, data, nd);
			nd = 0;
		}
	}
	if (nd > 0 && s->end == END_NONE)
		escape_input(s, data, nd);
}

/*
 * The console's bytes for a telnet client: IAC doubled, and in non-binary
 * mode a CR not followed by LF sent as CR NUL. out holds 2 * n + 1 bytes.
 */
size_t
telnet_output(struct session *s, const unsigned char *in, size_t n,
    unsigned char *out)
{
	struct telnet	*t = &s->tn;
	size_t		 i, o = 0;
	int		 bin = binary_out(s);

	for (i = 0; i < n; i++) {
		if (t->outcr) {
			t->outcr = 0;
			if (in[i] != '\n')
				out[o++] = '\0';
		}
		out[o++] = in[i];
		if (in[i] == IAC)
			out[o++] = IAC;
		else if (in[i] == '\r' && !bin)
			t->outcr = 1;
	}
	return o;
}
