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
 * LD_PRELOAD shim for the tests: tcsendbreak(3) fails with ENOTTY, as it
 * does on a FreeBSD nmdm(4) device, and each call is noted in the file
 * named by NOBREAK_LOG.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int
tcsendbreak(int fd, int duration)
{
	const char	*log;
	int		 lfd;

	(void)fd;
	(void)duration;
	if ((log = getenv("NOBREAK_LOG")) != NULL &&
	    (lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		(void)write(lfd, "tcsendbreak\n", 12);
		close(lfd);
	}
	errno = ENOTTY;
	return -1;
}
