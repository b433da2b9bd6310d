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
 * LD_PRELOAD shim for the tests: a Linux pty that passes for a serial
 * port. stat and fstat show a pty slave (majors 136 to 143) with the major of
 * the 8250 driver's ttyS (4), minor kept, so that conslet takes the
 * device for one that can send a BREAK and calls tcsendbreak, as it
 * would on a real port. Only for a conslet without a logger: the lock
 * names follow the device numbers, and the logger would see others.
 */

#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dlfcn.h>
#include <stddef.h>

/* A pty slave as a ttyS: the same minor under the 8250 driver's major. */
static int
serial(int r, struct stat *st)
{
	if (r == 0 && S_ISCHR(st->st_mode) &&
	    major(st->st_rdev) >= 136 && major(st->st_rdev) <= 143)
		st->st_rdev = makedev(4, minor(st->st_rdev));
	return r;
}

#define REAL(name, type)	do {					\
	if (real == NULL)						\
		real = (type)dlsym(RTLD_NEXT, name);			\
} while (0)

int
fstat(int fd, struct stat *st)
{
	static int	(*real)(int, struct stat *);

	REAL("fstat", int (*)(int, struct stat *));
	return serial(real(fd, st), st);
}

int
stat(const char *path, struct stat *st)
{
	static int	(*real)(const char *, struct stat *);

	REAL("stat", int (*)(const char *, struct stat *));
	return serial(real(path, st), st);
}

int
lstat(const char *path, struct stat *st)
{
	static int	(*real)(const char *, struct stat *);

	REAL("lstat", int (*)(const char *, struct stat *));
	return serial(real(path, st), st);
}

int
fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	static int	(*real)(int, const char *, struct stat *, int);

	REAL("fstatat", int (*)(int, const char *, struct stat *, int));
	return serial(real(dfd, path, st, flags), st);
}
