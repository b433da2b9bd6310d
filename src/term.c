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
 * The local terminal, when conslet is run by hand or under ssh -t: raw
 * while the session lasts, restored on every way out. SIGTERM, SIGHUP and
 * SIGINT end the relay loop normally, and exit(3) runs term_restore().
 */

#include <sys/types.h>

#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "conslet.h"

static struct termios	 saved;
static int		 saved_fd = -1;

int
term_raw(int fd)
{
	struct termios	 t;

	if (tcgetattr(fd, &saved) == -1)
		return -1;
	saved_fd = fd;
	if (atexit(term_restore) != 0)
		return -1;
	t = saved;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSAFLUSH, &t);
}

void
term_restore(void)
{
	if (saved_fd != -1) {
		(void)tcsetattr(saved_fd, TCSADRAIN, &saved);
		saved_fd = -1;
	}
}
