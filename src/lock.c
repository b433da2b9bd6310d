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
 * The run directory is root's (or the user's who runs everything, as in
 * the tests): it is never given away, and nobody else may write it, unless
 * the operator made it group-writable and sticky to share it with a group.
 * Every file in it is opened relative to the checked directory, never
 * through a link, made with O_EXCL, and checked once open (its type, one
 * link, its owner) before anything is written. A holder writes who it is
 * into its lock file; that record is for people to read, never a pid to
 * signal or a path to follow.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

#define RECORD_LEN	(PEER_LEN + 2 * PATH_MAX + 128)

static int		 dirfd_ = -1;
static char		 dirpath[PATH_MAX];
static struct stat	 dirst;
static char		 why[PATH_MAX + 96];	/* the last refusal, said */

static int __attribute__((__format__ (printf, 2, 3)))
refuse(const char *name, const char *fmt, ...)
{
	char	 text[96];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (name != NULL)
		snprintf(why, sizeof(why), "%s: %s", name, text);
	else
		strlcpy(why, text, sizeof(why));
	errno = EPERM;
	return -1;
}

/* What the last failure was, in words. */
const char *
lock_error(void)
{
	return errno == EPERM && why[0] != '\0' ? why : strerror(errno);
}

/* Shared with a group: group-writable, and sticky. */
static int
shared(void)
{
	return (dirst.st_mode & S_IWGRP) && (dirst.st_mode & S_ISVTX);
}

/*
 * The run directory, checked: -1 unless it is a directory (not a link to
 * one), owned by root or by us, and writable by nobody else but a group
 * it is shared with (sticky). With create, its last part is made, 0755.
 */
int
rundir_fd(const char *rundir, int create)
{
	struct stat	 st;
	int		 fd, made = 0;

	why[0] = '\0';
	if (dirfd_ != -1 && strcmp(dirpath, rundir) == 0)
		return dirfd_;
	if (create) {
		if (mkdir(rundir, 0755) == 0)
			made = 1;
		else if (errno != EEXIST)
			return -1;
	}
	if ((fd = open(rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		/* Linux says ENOTDIR, FreeBSD EMLINK, for a link here */
		if (errno == ELOOP || errno == EMLINK || (errno == ENOTDIR &&
		    lstat(rundir, &st) == 0 && S_ISLNK(st.st_mode)))
			return refuse(NULL, "a symbolic link");
		return -1;
	}
	if (made)
		(void)fchmod(fd, 0755);		/* whatever the umask */
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		return refuse(NULL, "owned by uid %ld, not root",
		    (long)st.st_uid);
	}
	if (st.st_mode & S_IWOTH) {
		close(fd);
		return refuse(NULL, "writable by others (mode %lo)",
		    (unsigned long)(st.st_mode & 07777));
	}
	if ((st.st_mode & S_IWGRP) && !(st.st_mode & S_ISVTX)) {
		close(fd);
		return refuse(NULL, "group-writable but not sticky "
		    "(mode %lo)", (unsigned long)(st.st_mode & 07777));
	}
	if (dirfd_ != -1)
		close(dirfd_);
	dirfd_ = fd;
	dirst = st;
	strlcpy(dirpath, rundir, sizeof(dirpath));
	return fd;
}

/* Make sure the run directory is there and sound. */
int
lock_dir(const char *rundir)
{
	return rundir_fd(rundir, 1) == -1 ? -1 : 0;
}

/*
 * Open name in the run directory as a file of type (S_IFREG, S_IFIFO),
 * making it with mode when create is set and it is not there. The file
 * must be that type, have one link, and be root's, ours, or (in a shared
 * directory) the group's; else -1 with EPERM and lock_error() says why.
 */
int
run_open(const char *rundir, const char *name, int flags, int create,
    mode_t mode, mode_t type)
{
	struct stat	 st;
	int		 dfd, fd, made = 0;

	if ((dfd = rundir_fd(rundir, 0)) == -1)
		return -1;
	flags |= O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	if (create && type == S_IFIFO) {
		if (mkfifoat(dfd, name, mode) == 0)
			made = 1;
		else if (errno != EEXIST)
			return -1;
	} else if (create) {
		if ((fd = openat(dfd, name, flags | O_CREAT | O_EXCL,
		    mode)) != -1)
			made = 1;
		else if (errno != EEXIST)
			return -1;
	}
	if (!made || type == S_IFIFO)
		fd = openat(dfd, name, flags);
	if (fd == -1) {
		if (errno == ELOOP || errno == EMLINK)	/* FreeBSD: EMLINK */
			return refuse(name, "a symbolic link");
		return -1;
	}
	if (made) {
		/* ours, just made: whatever the umask, the directory's group */
		(void)fchmod(fd, mode);
		if (geteuid() == 0 && dirst.st_gid != getegid())
			(void)fchown(fd, (uid_t)-1, dirst.st_gid);
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if ((st.st_mode & S_IFMT) != type) {
		close(fd);
		return refuse(name, "not a %s", type == S_IFIFO ? "fifo" :
		    "regular file");
	}
	if (st.st_nlink != 1) {
		close(fd);
		return refuse(name, "has %ld links", (long)st.st_nlink);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() &&
	    !(shared() && st.st_gid == dirst.st_gid)) {
		close(fd);
		return refuse(name, "owned by uid %ld", (long)st.st_uid);
	}
	return fd;
}

static int
lock_name(char *buf, size_t len, const char *base, const char *kind)
{
	int	 n;

	n = snprintf(buf, len, "%s.%s", base, kind);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The lock file of kind ("w" writer, "r" reader) for c, open, made if
 * missing, not locked. */
int
lock_file(const char *rundir, const struct console *c, const char *kind)
{
	char	 name[KEY_LEN + 16];

	if (lock_name(name, sizeof(name), c->key, kind) == -1)
		return -1;
	return run_open(rundir, name, O_RDWR, 1, 0660, S_IFREG);
}

/*
 * Take the reader lock (kind "r", a flock(2) lock) without waiting: the
 * descriptor, or -1 with errno EWOULDBLOCK when someone else holds it.
 */
int
lock_take(const char *rundir, const struct console *c, const char *kind)
{
	int	 fd, serrno;

	if ((fd = lock_file(rundir, c, kind)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		serrno = errno == EAGAIN ? EWOULDBLOCK : errno;
		close(fd);
		errno = serrno;
		return -1;
	}
	return fd;
}

/*
 * The writer lock is a POSIX record lock (fcntl(2)) on the whole file, so
 * that the kernel can say which process holds it: the logger believes a
 * client's claim to write only when F_GETLK names that client. It is
 * released when the holder exits or closes any descriptor of the file:
 * the holder never opens the file a second time.
 */
static int
wrlock(int fd, int cmd, short type, pid_t *pid)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, cmd, &fl) == -1)
		return -1;
	if (pid != NULL)
		*pid = fl.l_type == F_UNLCK ? 0 : fl.l_pid;
	return 0;
}

/* Writer lock: 0 when locked, -1 with errno EWOULDBLOCK when held. */
int
lock_try(int fd)
{
	if (wrlock(fd, F_SETLK, F_WRLCK, NULL) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		errno = EWOULDBLOCK;
	return -1;
}

void
lock_release(int fd)
{
	if (fd != -1)
		(void)wrlock(fd, F_SETLK, F_UNLCK, NULL);
}

/* Which process holds the writer lock open on fd: 0 for none, -1. */
pid_t
lock_pid(int fd)
{
	pid_t	 pid;

	if (wrlock(fd, F_GETLK, F_WRLCK, &pid) == -1)
		return -1;
	return pid;
}

/*
 * Is the lock held by anyone? Probes without ever taking it exclusively.
 * base is a device key, or a console name for a logger's name lock.
 */
int
lock_held(const char *rundir, const char *base, const char *kind)
{
	char	 name[PATH_MAX];
	int	 fd, held;

	if (lock_name(name, sizeof(name), base, kind) == -1 ||
	    (fd = run_open(rundir, name, O_RDONLY, 0, 0, S_IFREG)) == -1)
		return 0;
	if (strcmp(kind, "w") == 0)
		held = lock_pid(fd) > 0;
	else
		held = flock(fd, LOCK_SH | LOCK_NB) == -1 &&
		    errno == EWOULDBLOCK;
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
 * Who holds the lock open on fd, as its record says: 0 with h filled, or
 * -1 when there is no believable record (free, or being written). It is
 * for telling people: whoever may write the file may have written it.
 */
int
lock_who_fd(int fd, struct holder *h)
{
	char	 buf[RECORD_LEN];
	ssize_t	 n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	return parse(buf, h);
}

/* The same, by the lock's name. */
int
lock_who(const char *rundir, const struct console *c, const char *kind,
    struct holder *h)
{
	char	 name[KEY_LEN + 16];
	int	 fd, r;

	if (lock_name(name, sizeof(name), c->key, kind) == -1 ||
	    (fd = run_open(rundir, name, O_RDONLY, 0, 0, S_IFREG)) == -1)
		return -1;
	r = lock_who_fd(fd, h);
	close(fd);
	return r;
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
