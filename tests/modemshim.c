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
 * LD_PRELOAD shim for the tests: a pty with modem lines. TIOCMGET answers
 * the number in the file named by MODEM_LINES (TIOCM_* bits, decimal), so
 * a test can raise and drop CD, RI, DSR and CTS; every other ioctl is the
 * real one.
 */

#define _GNU_SOURCE
#include <sys/ioctl.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

int
ioctl(int fd, unsigned long req, ...)
{
	static int	(*real)(int, unsigned long, ...);
	const char	*path;
	char		 buf[32];
	va_list		 ap;
	void		*arg;
	ssize_t		 n;
	int		 lfd;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == TIOCMGET && (path = getenv("MODEM_LINES")) != NULL &&
	    (lfd = open(path, O_RDONLY)) != -1) {
		n = read(lfd, buf, sizeof(buf) - 1);
		close(lfd);
		buf[n > 0 ? n : 0] = '\0';
		*(int *)arg = atoi(buf);
		return 0;
	}
	if (real == NULL)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
		    "ioctl");
	return real(fd, req, arg);
}
