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
 * a test can raise and drop CD, RI, DSR and CTS. With MODEM_OUT as well,
 * the lines the program drives live in that file, as the words "dtr",
 * "rts" and "break": TIOCMBIS, TIOCMBIC and TIOCMSET change DTR and RTS
 * there, TIOCSBRK and TIOCCBRK the BREAK (after the real call, which a
 * pty accepts), and TIOCMGET adds DTR and RTS from it. The file is
 * replaced whole (rename), so a reader never sees half of it. Every
 * other ioctl is the real one.
 */

#define _GNU_SOURCE
#include <sys/ioctl.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BREAK	0x10000		/* not a TIOCM_* bit */

static int	(*real)(int, unsigned long, ...);

/* The small file at path, as a string; "" when there is none. */
static void
slurp(const char *path, char *buf, size_t len)
{
	ssize_t	 n = -1;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) != -1) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

static int
out_get(const char *path)
{
	char	 buf[64];
	int	 bits = 0;

	slurp(path, buf, sizeof(buf));
	if (strstr(buf, "dtr") != NULL)
		bits |= TIOCM_DTR;
	if (strstr(buf, "rts") != NULL)
		bits |= TIOCM_RTS;
	if (strstr(buf, "break") != NULL)
		bits |= OUT_BREAK;
	return bits;
}

static int
out_put(const char *path, int bits)
{
	char	 tmp[4096], buf[64];
	int	 fd, n, ok;

	snprintf(buf, sizeof(buf), "%s%s%s\n", bits & TIOCM_DTR ? " dtr" : "",
	    bits & TIOCM_RTS ? " rts" : "", bits & OUT_BREAK ? " break" : "");
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return -1;
	n = strlen(buf);
	ok = write(fd, buf, n) == n;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
ioctl(int fd, unsigned long req, ...)
{
	const char	*path, *out;
	char		 buf[32];
	va_list		 ap;
	void		*arg;
	int		 bits, r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (real == NULL)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT,
		    "ioctl");
	path = getenv("MODEM_LINES");
	out = getenv("MODEM_OUT");
	if (req == TIOCMGET && path != NULL && access(path, R_OK) == 0) {
		slurp(path, buf, sizeof(buf));
		bits = atoi(buf);
		if (out != NULL)
			bits = (bits & ~(TIOCM_DTR | TIOCM_RTS)) |
			    (out_get(out) & (TIOCM_DTR | TIOCM_RTS));
		*(int *)arg = bits;
		return 0;
	}
	if (out == NULL)
		return real(fd, req, arg);
	switch (req) {
	case TIOCMBIS:
	case TIOCMBIC:
	case TIOCMSET:
		bits = out_get(out);
		r = *(int *)arg & (TIOCM_DTR | TIOCM_RTS);
		if (req == TIOCMBIS)
			bits |= r;
		else if (req == TIOCMBIC)
			bits &= ~r;
		else
			bits = (bits & OUT_BREAK) | r;
		return out_put(out, bits);
	case TIOCSBRK:
	case TIOCCBRK:
		if ((r = real(fd, req, arg)) == -1)
			return r;
		bits = out_get(out);
		bits = req == TIOCSBRK ? bits | OUT_BREAK : bits & ~OUT_BREAK;
		return out_put(out, bits);
	}
	return real(fd, req, arg);
}
