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
 * LD_PRELOAD shim for the tests: the first open(2) of the path named by
 * SWAPLINK_PATH first replaces that symbolic link with one to
 * SWAPLINK_TO, as someone who can change the console directory could do
 * between a stat(2) of the link and its open.
 */

#define _GNU_SOURCE		/* RTLD_NEXT */

#include <sys/types.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	 swapped;

static void
swap(const char *path)
{
	const char	*p, *to;
	char		 tmp[4096];

	p = getenv("SWAPLINK_PATH");
	to = getenv("SWAPLINK_TO");
	if (swapped || p == NULL || to == NULL || strcmp(path, p) != 0)
		return;
	swapped = 1;
	snprintf(tmp, sizeof(tmp), "%s.swap", p);
	(void)unlink(tmp);
	if (symlink(to, tmp) == 0)
		(void)rename(tmp, p);
}

static int
real_open(const char *name, const char *path, int flags, mode_t mode)
{
	int	(*fn)(const char *, int, ...);

	swap(path);
	if ((fn = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
	    name)) == NULL)
		return -1;
	return fn(path, flags, mode);
}

/* open(2) and open64, the same but for the name. */
#define OPEN_WRAPPER(name)						\
int									\
name(const char *path, int flags, ...)					\
{									\
	va_list	 ap;							\
	mode_t	 mode = 0;						\
									\
	if (flags & O_CREAT) {						\
		va_start(ap, flags);					\
		mode = va_arg(ap, int);					\
		va_end(ap);						\
	}								\
	return real_open(#name, path, flags, mode);			\
}

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
