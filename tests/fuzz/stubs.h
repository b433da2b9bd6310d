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

/* The fuzz targets' view of stubs.c: what the session gave out, and the line. */

#ifndef STUBS_H
#define STUBS_H

/* The device the line model plays. */
enum { DEV_PTY, DEV_SERIAL, DEV_NMDM, DEV_BAD };

struct stub {
	int		 device;	/* DEV_* */
	struct line	 line;		/* its settings now */
	int		 modem;		/* TIOCM_* bits, DEV_SERIAL */
	int		 brk;		/* the line is held in BREAK */
	size_t		 budget;	/* bytes one call may send the device */
	unsigned char	 sent[1 << 16];	/* what reached the device */
	size_t		 nsent;
	size_t		 toclient;	/* bytes to the client */
	size_t		 replied;	/* of them, telnet commands */
	size_t		 negotiations;	/* IAC WILL/WONT/DO/DONT replies */
	size_t		 subnegotiations;
	size_t		 setups;
};

extern struct stub	 stub;

void	 stub_reset(int);
void	 stub_begin(size_t);
void	 stub_collect(struct session *);

#endif /* STUBS_H */
