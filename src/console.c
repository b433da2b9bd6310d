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

/* Console names, and from a name to its device. */

#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>	/* Linux: major(), minor() */
#endif

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"

/*
 * A name may come from a client (an ssh forced command), so it is held to
 * [A-Za-z0-9._-], 1 to NAME_LEN bytes, no leading dot or dash: it can name
 * nothing outside the console directory, nothing hidden in it, and is never
 * taken for an option.
 */
int
console_name_ok(const char *s)
{
	size_t	 i;

	if (s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= NAME_LEN)
			return 0;
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-')
			continue;
		return 0;
	}
	return 1;
}

/*
 * Fill c for arg, a name in consdir or an absolute path. The device is not
 * opened here: only what stat(2) tells is checked.
 */
int
console_find(struct console *c, const char *consdir, const char *arg)
{
	struct stat	 st;
	ssize_t		 n;
	int		 len;

	memset(c, 0, sizeof(*c));
	if (strlcpy(c->name, arg, sizeof(c->name)) >= sizeof(c->name))
		return CON_BADNAME;
	if (arg[0] == '/') {
		strlcpy(c->path, arg, sizeof(c->path));
		strlcpy(c->device, arg, sizeof(c->device));
	} else {
		if (!console_name_ok(arg))
			return CON_BADNAME;
		len = snprintf(c->path, sizeof(c->path), "%s/%s", consdir, arg);
		if (len < 0 || (size_t)len >= sizeof(c->path))
			return CON_MISSING;
		n = readlink(c->path, c->device, sizeof(c->device) - 1);
		if (n >= 0)
			c->device[n] = '\0';
		else if (errno == EINVAL)	/* not a link: the node itself */
			strlcpy(c->device, c->path, sizeof(c->device));
		else
			return CON_MISSING;
	}
	if (stat(c->path, &st) == -1)
		return CON_MISSING;
	if (!S_ISCHR(st.st_mode))
		return CON_NOTTY;
	snprintf(c->key, sizeof(c->key), "dev.%lu.%lu",
	    (unsigned long)major(st.st_rdev), (unsigned long)minor(st.st_rdev));
	return CON_OK;
}

/*
 * The key from the device as opened, not as stat(2) saw it before: a
 * link switched in between must not put two writers on one device. 0
 * when it is the one console_find() saw, -1 (ESTALE) when it is not.
 */
int
console_key(struct console *c, int fd)
{
	struct stat	 st;
	char		 key[KEY_LEN];

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISCHR(st.st_mode)) {
		errno = ENOTTY;
		return -1;
	}
	snprintf(key, sizeof(key), "dev.%lu.%lu",
	    (unsigned long)major(st.st_rdev), (unsigned long)minor(st.st_rdev));
	if (strcmp(key, c->key) != 0) {
		errno = ESTALE;
		return -1;
	}
	return 0;
}
