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
 * Advisory locks in the run directory, one set per device. The kernel drops
 * a flock(2) lock when its holder dies, so there is never a stale lock to
 * clean up, and the files are never removed: unlinking a lock file while
 * another process waits on it would let two holders in.
 *
 * The holder of a lock writes who it is into the file. A record is
 * believed only while the file is locked and its pid lives.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

#define RECORD_LEN	(PEER_LEN + 2 * PATH_MAX + 128)

static int
lock_path(char *buf, size_t len, const char *rundir, const struct console *c,
    const char *kind)
{
	int	 n;

	n = snprintf(buf, len, "%s/%s.%s", rundir, c->key, kind);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Who lock files and the run directory belong to when made: the user -u
 * names, so that conslets that run as that user from the start (behind
 * sshd, say) can open what those started as root made. -1: the maker.
 */
static uid_t	 owner_uid = (uid_t)-1;
static gid_t	 owner_gid = (gid_t)-1;

void
lock_owner(uid_t uid, gid_t gid)
{
	owner_uid = uid;
	owner_gid = gid;
}

static int
owned(int fd)
{
	if (fd != -1 && owner_uid != (uid_t)-1 && geteuid() == 0)
		(void)fchown(fd, owner_uid, owner_gid);
	return fd;
}

/* Make sure the run directory is there; only its last part is created. */
int
lock_dir(const char *rundir)
{
	struct stat	 st;

	if (mkdir(rundir, 0755) == 0) {
		if (owner_uid != (uid_t)-1 && geteuid() == 0)
			(void)chown(rundir, owner_uid, owner_gid);
	} else if (errno != EEXIST)
		return -1;
	if (stat(rundir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * Take the lock of kind ("w" writer, "r" reader) without waiting: the
 * descriptor, or -1 with errno EWOULDBLOCK when someone else holds it.
 */
int
lock_take(const char *rundir, const struct console *c, const char *kind)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (lock_path(path, sizeof(path), rundir, c, kind) == -1)
		return -1;
	fd = flopen(path, O_RDWR | O_CREAT | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 && errno == EAGAIN)
		errno = EWOULDBLOCK;
	return owned(fd);
}

/*
 * The lock file, open but not locked, for lock_try() now or later: a
 * client that may take write access during its session keeps it open, as
 * it may no longer be allowed to open it then.
 */
int
lock_file(const char *rundir, const struct console *c, const char *kind)
{
	char	 path[PATH_MAX];

	if (lock_path(path, sizeof(path), rundir, c, kind) == -1)
		return -1;
	return owned(open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644));
}

/* 0 when locked, -1 with errno EWOULDBLOCK when someone else holds it. */
int
lock_try(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EAGAIN)
		errno = EWOULDBLOCK;
	return -1;
}

/*
 * Is the lock held by anyone? Probes without ever taking it exclusively.
 * base is a device key, or a console name for a logger's name lock.
 */
int
lock_held(const char *rundir, const char *base, const char *kind)
{
	char	 path[PATH_MAX];
	int	 fd, held, n;

	n = snprintf(path, sizeof(path), "%s/%s.%s", rundir, base, kind);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	held = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

int
lock_record(int fd, const struct holder *h)
{
	char	 buf[RECORD_LEN];
	int	 n;

	n = snprintf(buf, sizeof(buf),
	    "pid %ld\npeer %s\nsince %lld\nconsole %s\ndevice %s\n%s",
	    (long)h->pid, h->peer, (long long)h->since, h->console,
	    h->device, h->logger ? "role logger\n" : "");
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, n, 0) != n)
		return -1;
	return 0;
}

/* On a clean release: leave no record that could be mistaken for live. */
void
lock_clear(int fd)
{
	if (fd != -1)
		(void)ftruncate(fd, 0);
}

static int
field(const char *line, const char *name, char *dst, size_t len)
{
	size_t	 n;

	n = strlen(name);
	if (strncmp(line, name, n) != 0 || line[n] != ' ')
		return 0;
	strlcpy(dst, line + n + 1, len);
	return 1;
}

/* Parse a record; the file is treated as untrusted like any input. */
static int
parse(char *buf, struct holder *h)
{
	char		 num[32], *line, *next;
	const char	*errstr;
	int		 seen = 0;

	memset(h, 0, sizeof(*h));
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) == NULL)
			return -1;		/* torn: being written */
		*next++ = '\0';
		if (field(line, "pid", num, sizeof(num))) {
			h->pid = strtonum(num, 1, INT_MAX, &errstr);
			if (errstr != NULL)
				return -1;
			seen |= 1;
		} else if (field(line, "since", num, sizeof(num))) {
			h->since = strtonum(num, 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				return -1;
			seen |= 2;
		} else if (field(line, "peer", h->peer, sizeof(h->peer)))
			seen |= 4;
		else if (field(line, "console", h->console, sizeof(h->console)))
			continue;
		else if (field(line, "device", h->device, sizeof(h->device)))
			continue;
		else if (strcmp(line, "role logger") == 0)
			h->logger = 1;
	}
	return seen == 7 ? 0 : -1;
}

/*
 * Read who holds the lock: 0 with h filled, or -1 when there is no
 * believable record (free, being written, or left by a dead holder).
 */
int
lock_who(const char *rundir, const struct console *c, const char *kind,
    struct holder *h)
{
	char	 path[PATH_MAX], buf[RECORD_LEN];
	ssize_t	 n;
	int	 fd;

	if (lock_path(path, sizeof(path), rundir, c, kind) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (parse(buf, h) == -1)
		return -1;
	if (kill(h->pid, 0) == -1 && errno == ESRCH)
		return -1;
	return 0;
}

/* "12:03:11" for today, "2026-11-24 12:03:11" before. */
void
holder_since(const struct holder *h, char *buf, size_t len)
{
	struct tm	 then, now;
	time_t		 t;

	t = time(NULL);
	if (localtime_r(&h->since, &then) == NULL ||
	    localtime_r(&t, &now) == NULL) {
		strlcpy(buf, "?", len);
		return;
	}
	if (then.tm_year == now.tm_year && then.tm_yday == now.tm_yday)
		strftime(buf, len, "%H:%M:%S", &then);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S", &then);
}
