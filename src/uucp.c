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
 * The locks other serial programs look for. cu(1) and tip on FreeBSD,
 * Taylor cu on Linux and minicom mark a port in use with a UUCP lock file,
 * LCK..NAME in the lock directory, NAME the device's last path component,
 * holding the owner's pid as ten ASCII digits and a newline; picocom takes
 * flock(2) on the device itself. conslet's own locks (lock.c) are what
 * keep conslets apart; these only keep the others out, and show when
 * one of them is in.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "console.h"

static char	 held[PATH_MAX];	/* the lock file this process made */
static pid_t	 heldby;

/* -U: an absolute path, or "none" (NULL) for no UUCP locks. */
const char *
uucp_dir(const char *arg)
{
	if (strcmp(arg, "none") == 0)
		return NULL;
	if (arg[0] != '/')
		fatal(EX_USAGE, "UUCP lock directory is invalid: %s: not an "
		    "absolute path", arg);
	return arg;
}

/* DIR/LCK..NAME for the device path points at; -1 if it has no name. */
static int
uucp_path(char *buf, size_t len, const char *dir, const char *path)
{
	char		 real[PATH_MAX];
	const char	*base;
	int		 n;

	if (realpath(path, real) == NULL)
		return -1;
	base = strrchr(real, '/');
	base = base == NULL ? real : base + 1;
	if (base[0] == '\0' || base[0] == '.')
		return -1;
	n = snprintf(buf, len, "%s/LCK..%s", dir, base);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The pid a lock file names: ASCII (HDB), or a binary int (old V2). */
static pid_t
uucp_pid(const char *lock)
{
	char		 buf[32], *p, *q;
	const char	*errstr;
	long long	 pid;
	ssize_t		 n;
	int		 fd, bin;

	if ((fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == (ssize_t)sizeof(int)) {
		memcpy(&bin, buf, sizeof(bin));
		return bin > 0 ? bin : 0;
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; *p == ' '; p++)
		;
	for (q = p; *q >= '0' && *q <= '9'; q++)
		;
	*q = '\0';
	pid = strtonum(p, 1, INT_MAX, &errstr);
	return errstr == NULL ? (pid_t)pid : 0;
}

/* The lock is ours: it goes when we do, on any exit. */
static int
taken(const char *lock)
{
	static int	 registered;

	strlcpy(held, lock, sizeof(held));
	heldby = getpid();
	if (!registered && atexit(uucp_unlock) == 0)
		registered = 1;
	return 0;
}

static int
alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/*
 * Take the UUCP lock for the device path names, in dir, for owner (-1:
 * unchanged) so that it can be removed after privileges are dropped. 0
 * when taken or when dir does not exist; -1 with errno EBUSY and *pid set
 * when a live process holds it, or another errno when it cannot be made.
 * A lock whose pid is dead, or names no pid, is removed.
 */
int
uucp_lock(const char *dir, const char *path, uid_t owner, pid_t *pid)
{
	char		 lock[PATH_MAX], tmp[PATH_MAX];
	struct stat	 st;
	pid_t		 other;
	int		 fd, n, tries;

	*pid = 0;
	if (dir == NULL)
		return 0;
	if (stat(dir, &st) == -1 && errno == ENOENT)
		return 0;
	if (uucp_path(lock, sizeof(lock), dir, path) == -1)
		return -1;
	if (held[0] != '\0' && strcmp(held, lock) == 0)
		return 0;
	n = snprintf(tmp, sizeof(tmp), "%s/LTMP.%ld", dir, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		return -1;
	if (dprintf(fd, "%10ld\n", (long)getpid()) < 0 ||
	    (owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1) == -1)) {
		n = errno;
		close(fd);
		(void)unlink(tmp);
		errno = n;
		return -1;
	}
	close(fd);
	for (tries = 0; tries < 2; tries++) {
		if (link(tmp, lock) == 0) {
			(void)unlink(tmp);
			return taken(lock);
		}
		if (errno != EEXIST)
			break;
		other = uucp_pid(lock);
		if (other == getpid())
			break;		/* ours, from before: keep it */
		if (other > 0 && alive(other)) {
			*pid = other;
			errno = EBUSY;
			break;
		}
		(void)unlink(lock);	/* stale */
	}
	n = errno;
	(void)unlink(tmp);
	if (n == EEXIST && uucp_pid(lock) == getpid())
		return taken(lock);
	errno = n;
	return -1;
}

/* Who holds the UUCP lock of path in dir: a live pid, or 0. */
pid_t
uucp_holder(const char *dir, const char *path)
{
	char	 lock[PATH_MAX];
	pid_t	 pid;

	if (dir == NULL || uucp_path(lock, sizeof(lock), dir, path) == -1)
		return 0;
	if ((pid = uucp_pid(lock)) > 0 && alive(pid))
		return pid;
	return 0;
}

/* Remove the lock this process made, if it still names us. */
void
uucp_unlock(void)
{
	if (held[0] == '\0' || heldby != getpid())
		return;
	if (uucp_pid(held) == heldby)
		(void)unlink(held);
	held[0] = '\0';
}

/* flock(2) on the device, as picocom does; quietly nothing if it can't. */
void
uucp_flock(int fd)
{
	if (fd != -1)
		(void)flock(fd, LOCK_EX | LOCK_NB);
}
