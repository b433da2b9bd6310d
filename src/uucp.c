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
 * The locks other serial programs look for, and the names they give them.
 *
 * A UUCP lock is a file LCK..NAME in the lock directory holding the
 * owner's pid, as ten ASCII digits and a newline (HDB), as digits with
 * no padding or with more after a space (gtkterm, older minicoms: "976
 * minicom alice"), or as a 4-byte binary int (V2, old Kermit). Each
 * program makes NAME from the path it was given, and they disagree about
 * devices below /dev:
 *
 *	/dev/pts/2		LCK..2       Taylor cu (Linux), cu and tip
 *				             (BSD uu_lock(3)), picocom built
 *				             with UUCP locks
 *				LCK..pts_2   minicom 2.8, gtkterm: the path
 *				             below /dev, '/' made '_'
 *				LCK..pts:2   lockdev (older minicom builds):
 *				             '/' made ':'
 *	/dev/ttyS0, ttyUSB0,	LCK..ttyS0   everyone: the names agree for a
 *	nmdm0B, cuau0, ttyu0	             device right in /dev
 *	/dev/serial/by-id/X	LCK..X, LCK..serial_by-id_X, LCK..serial:by-id:X
 *				             for that path; the device it
 *				             leads to has its own name
 *
 * So the lock is taken under every name those give for the path the
 * console's link names and for the device it resolves to, and any of
 * them held keeps us out. FreeBSD's cuauN and ttyuN are one port, but
 * the kernel does not let one be opened while the other is, so each
 * goes by its own name only. picocom (Debian builds) takes
 * no UUCP lock but flock(2) on the device, which uucp_flock() takes too.
 *
 * conslet and conslog run as root in a directory anyone may write
 * (/run/lock is 1777), so a lock is believed only when it is plausible:
 * a regular file with one link, not a symbolic link, naming a live
 * process, and owned by root or by that process's user (minicom run by
 * alice: respected). Anything else is stale: it is removed by its name,
 * never through a link, and said so. A lock made with a temporary file
 * and link(2), as cu makes it, has two links for a moment, and one of
 * ours is given to the -u user just before the drop: such a state is
 * looked at again for a little while before it is judged. conslet's own
 * lock files are born whole: on Linux an O_TMPFILE linked into place, so
 * that a crash leaves nothing; elsewhere LTMP.pid, and one left by a
 * process that died is removed by the next taker.
 */

#ifdef __linux__
#define _GNU_SOURCE		/* Linux: O_TMPFILE, AT_EMPTY_PATH */
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/file.h>
#ifdef __FreeBSD__
#include <sys/param.h>
#include <sys/sysctl.h>
#include <sys/user.h>
#endif
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "console.h"

#define UUCP_NAMES	6	/* lock names of one device, at most */
#define SETTLE_TRIES	10	/* 10 ms apart, for a lock being made */
#define SWEEP_MAX	4096	/* directory entries looked at for LTMP */

/* What the system says of a live process. */
struct procinfo {
	uid_t	 ruid, euid;	/* (uid_t)-1: not known */
	char	 comm[20];
};

/* What judge() finds. */
enum { LK_NONE, LK_BELIEVED, LK_STALE, LK_UNSURE };

static char	 lockdir[PATH_MAX];	/* the directory lockfd is */
static int	 lockfd = -1;
static struct {
	char	 name[NAME_MAX + 1];
	int	 fd;			/* the lock file: ours while the name is it */
} held[UUCP_NAMES];
static int	 nheld;
static pid_t	 heldby;
static int	 flocked = -1;		/* the device we hold flock(2) on */

/* -U: an absolute path, or "none" (NULL) for no UUCP locks. */
const char *
uucp_dir(const char *arg)
{
	if (strcmp(arg, "none") == 0)
		return NULL;
	if (arg[0] != '/')
		fatalx(EX_USAGE, "UUCP lock directory is invalid: %s: not an "
		    "absolute path", arg);
	return arg;
}

/* ---- platform: who a process is ---------------------------------- */

/* 0 and pi filled in while pid lives (not a zombie); -1 when it does not. */
#if defined(__linux__)
static int
proc_get(pid_t pid, struct procinfo *pi)
{
	char		 path[64], buf[1024], *line, *next, *tok;
	const char	*errstr;
	long long	 id[2];
	ssize_t		 n;
	int		 fd, i;

	pi->ruid = pi->euid = (uid_t)-1;
	pi->comm[0] = '\0';
	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ESRCH)
			return -1;
		return kill(pid, 0) == 0 || errno == EPERM ? 0 : -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;		/* gone while we read */
	buf[n] = '\0';
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "Name:\t", 6) == 0)
			strlcpy(pi->comm, line + 6, sizeof(pi->comm));
		else if (strncmp(line, "State:\t", 7) == 0 &&
		    (line[7] == 'Z' || line[7] == 'X'))
			return -1;
		else if (strncmp(line, "Uid:\t", 5) == 0) {
			line += 5;
			for (i = 0; i < 2; i++) {
				tok = strsep(&line, "\t");
				id[i] = tok == NULL ? -1 :
				    strtonum(tok, 0, UINT_MAX - 1, &errstr);
				if (tok == NULL || errstr != NULL)
					return 0;	/* uid not known */
			}
			pi->ruid = (uid_t)id[0];
			pi->euid = (uid_t)id[1];
		}
	}
	return 0;
}
#elif defined(__FreeBSD__)
static int
proc_get(pid_t pid, struct procinfo *pi)
{
	struct kinfo_proc	 kp;
	size_t			 len = sizeof(kp);
	int			 mib[4] = { CTL_KERN, KERN_PROC, KERN_PROC_PID, 0 };

	pi->ruid = pi->euid = (uid_t)-1;
	pi->comm[0] = '\0';
	mib[3] = (int)pid;
	if (sysctl(mib, 4, &kp, &len, NULL, 0) == -1) {
		if (errno == ESRCH)
			return -1;
		return kill(pid, 0) == 0 || errno == EPERM ? 0 : -1;
	}
	if (len < sizeof(kp) || kp.ki_stat == SZOMB)
		return -1;
	pi->ruid = kp.ki_ruid;
	pi->euid = kp.ki_uid;
	strlcpy(pi->comm, kp.ki_comm, sizeof(pi->comm));
	return 0;
}
#else
static int
proc_get(pid_t pid, struct procinfo *pi)
{
	pi->ruid = pi->euid = (uid_t)-1;	/* not known here */
	pi->comm[0] = '\0';
	return kill(pid, 0) == 0 || errno == EPERM ? 0 : -1;
}
#endif

/* ---- end of platform code ----------------------------------------- */

/* who: "minicom, pid 976, uid 1000", as much as is known. */
static void
describe(struct uucp_who *who, pid_t pid, const struct procinfo *pi)
{
	char	 comm[sizeof(pi->comm)], *p;

	strlcpy(comm, pi->comm, sizeof(comm));
	for (p = comm; *p != '\0'; p++)		/* the process chose it */
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("._+-", *p) == NULL)
			*p = '?';
	who->pid = pid;
	(void)snprintf(who->desc, sizeof(who->desc), "%s%spid %ld", comm,
	    comm[0] != '\0' ? ", " : "", (long)pid);
	if (pi->ruid != (uid_t)-1) {
		p = who->desc + strlen(who->desc);
		(void)snprintf(p, sizeof(who->desc) - (p - who->desc),
		    ", uid %u", (unsigned)pi->ruid);
	}
}

/* The lock names the tools above give path, added to names[*n]. */
static void
names_of(const char *path, char names[][NAME_MAX + 1], int *n)
{
	char		 name[NAME_MAX + 1], *p;
	const char	*base;
	int		 kind, i, len;

	if (path[0] != '/')
		return;
	base = strrchr(path, '/') + 1;
	for (kind = 0; kind < 3; kind++) {
		if (kind > 0 && strncmp(path, "/dev/", 5) != 0)
			break;
		len = snprintf(name, sizeof(name), "LCK..%s",
		    kind == 0 ? base : path + 5);
		if (len < 0 || (size_t)len >= sizeof(name))
			continue;
		for (p = name + 5; *p != '\0'; p++)
			if (*p == '/')
				*p = kind == 1 ? '_' : ':';
		if (name[5] == '\0' || name[5] == '.')
			continue;
		for (i = 0; i < *n && strcmp(names[i], name) != 0; i++)
			;
		if (i == *n && *n < UUCP_NAMES)
			strlcpy(names[(*n)++], name, sizeof(names[0]));
	}
}

/* The names of the lock of the device path (a console's link) leads to. */
static int
lock_names(const char *path, char names[][NAME_MAX + 1])
{
	char	 link[PATH_MAX], real[PATH_MAX];
	ssize_t	 len;
	int	 n = 0;

	if (strncmp(path, "/dev/", 5) == 0)
		names_of(path, names, &n);
	if ((len = readlink(path, link, sizeof(link) - 1)) > 0) {
		link[len] = '\0';
		names_of(link, names, &n);
	}
	if (realpath(path, real) != NULL)
		names_of(real, names, &n);
	return n;
}

/*
 * The pid a lock holds: ASCII first (spaces, digits, then a newline, a
 * space or the end), a binary int only when the 4 bytes are not that.
 */
static pid_t
uucp_pid_of(char *buf, size_t n)
{
	const char	*errstr;
	char		*p, *q;
	long long	 pid;
	int		 bin;

	buf[n] = '\0';
	for (p = buf; *p == ' '; p++)
		;
	for (q = p; *q >= '0' && *q <= '9'; q++)
		;
	if (q > p && q - p <= 10 && (*q == '\n' || *q == ' ' ||
	    q == buf + n)) {
		*q = '\0';
		pid = strtonum(p, 1, INT_MAX, &errstr);
		return errstr == NULL ? (pid_t)pid : 0;
	}
	if (n == sizeof(bin)) {
		memcpy(&bin, buf, sizeof(bin));
		return bin > 0 ? bin : 0;
	}
	return 0;
}

/*
 * Judge the lock file name: believed (who filled in), stale (why says
 * why), unsure (it may be in the making), or none. st gets what was
 * judged, for clear(). -1 with errno if it cannot be looked at.
 */
static int
judge(const char *name, struct uucp_who *who, struct stat *st, char *why,
    size_t whylen)
{
	struct procinfo	 pi;
	struct stat	 fst;
	char		 buf[64];
	ssize_t		 n;
	pid_t		 pid;
	int		 fd;

	if (fstatat(lockfd, name, st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? LK_NONE : -1;
	if (S_ISLNK(st->st_mode)) {
		strlcpy(why, "a symbolic link", whylen);
		return LK_STALE;
	}
	if (!S_ISREG(st->st_mode)) {
		strlcpy(why, "not a regular file", whylen);
		return LK_STALE;
	}
	if ((fd = openat(lockfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ELOOP ? LK_UNSURE : -1;
	if (fstat(fd, &fst) == -1) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino)
		return LK_UNSURE;	/* replaced meanwhile */
	*st = fst;
	if (fst.st_nlink != 1) {
		(void)snprintf(why, whylen, "%ld links to it",
		    (long)fst.st_nlink);
		return LK_UNSURE;
	}
	if (n <= 0) {
		strlcpy(why, "empty", whylen);
		return LK_UNSURE;
	}
	if ((pid = uucp_pid_of(buf, n)) == 0) {
		strlcpy(why, "no pid in it", whylen);
		return LK_STALE;
	}
	if (pid == getpid()) {
		strlcpy(why, "it names this process", whylen);
		return LK_STALE;
	}
	if (proc_get(pid, &pi) == -1) {
		(void)snprintf(why, whylen, "pid %ld is not running",
		    (long)pid);
		return LK_STALE;
	}
	if (fst.st_uid != 0 && pi.ruid != (uid_t)-1 &&
	    fst.st_uid != pi.ruid && fst.st_uid != pi.euid) {
		(void)snprintf(why, whylen, "owned by uid %u, and pid %ld "
		    "runs as uid %u", (unsigned)fst.st_uid, (long)pid,
		    (unsigned)pi.ruid);
		/* root may be handing it to the user it becomes */
		return pi.ruid == 0 || pi.euid == 0 ? LK_UNSURE : LK_STALE;
	}
	describe(who, pid, &pi);
	strlcpy(who->lock, name, sizeof(who->lock));
	return LK_BELIEVED;
}

/* judge(), giving a lock in the making a little while to be made. */
static int
check(const char *name, struct uucp_who *who, struct stat *st, char *why,
    size_t whylen)
{
	int	 tries, v;

	for (tries = 0;; tries++) {
		if ((v = judge(name, who, st, why, whylen)) != LK_UNSURE)
			return v;
		if (tries == SETTLE_TRIES)
			return LK_STALE;
		poll(NULL, 0, 10);
	}
}

/* Remove the stale lock name, if it is still what was judged. */
static void
clear(const char *name, const struct stat *st, const char *why)
{
	struct stat	 now;

	if (fstatat(lockfd, name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return;
	if (unlinkat(lockfd, name, 0) == 0)
		logit(LOG_NOTICE, "removed stale UUCP lock %s/%s: %s",
		    lockdir, name, why);
}

/* Remove LTMP.pid files that processes left when they died making a lock. */
static void
sweep(void)
{
	struct procinfo	 pi;
	struct dirent	*de;
	struct stat	 st;
	const char	*errstr;
	DIR		*d;
	pid_t		 pid;
	int		 fd, seen = 0;

	if ((fd = openat(lockfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL && seen++ < SWEEP_MAX) {
		if (strncmp(de->d_name, "LTMP.", 5) != 0)
			continue;
		pid = strtonum(de->d_name + 5, 1, INT_MAX, &errstr);
		if (errstr != NULL || pid == getpid() ||
		    proc_get(pid, &pi) == 0)
			continue;	/* not a pid, or still making it */
		if (fstatat(lockfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISREG(st.st_mode) ||
		    (st.st_uid != 0 && st.st_uid != geteuid()))
			continue;
		if (unlinkat(lockfd, de->d_name, 0) == 0)
			logit(LOG_NOTICE, "removed %s/%s: pid %ld died making "
			    "a UUCP lock", lockdir, de->d_name, (long)pid);
	}
	closedir(d);
}

/*
 * A new lock file holding our pid, linked in as name, whole from the
 * start; its descriptor in *fdp. -1 with errno EEXIST when there is one.
 */
static int
make(const char *name, int *fdp)
{
	char	 tmp[32];
	int	 fd = -1, r, serrno;

	tmp[0] = '\0';
#ifdef O_TMPFILE
	fd = openat(lockfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
#endif
	if (fd == -1) {
		(void)snprintf(tmp, sizeof(tmp), "LTMP.%ld", (long)getpid());
		(void)unlinkat(lockfd, tmp, 0);
		if ((fd = openat(lockfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644)) == -1)
			return -1;
	}
	if (dprintf(fd, "%10ld\n", (long)getpid()) < 0)
		r = -1;
	else if (tmp[0] != '\0')
		r = linkat(lockfd, tmp, lockfd, name, 0);
	else {
#ifdef O_TMPFILE
		char	 proc[64];

		/* AT_EMPTY_PATH wants privilege; /proc does not */
		r = linkat(fd, "", lockfd, name, AT_EMPTY_PATH);
		if (r == -1 && errno != EEXIST) {
			(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d",
			    fd);
			r = linkat(AT_FDCWD, proc, lockfd, name,
			    AT_SYMLINK_FOLLOW);
		}
#else
		r = -1;
#endif
	}
	serrno = errno;
	if (tmp[0] != '\0')
		(void)unlinkat(lockfd, tmp, 0);
	if (r == -1) {
		close(fd);
		errno = serrno;
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* Take the lock name: 0, or -1 with errno (EBUSY: who holds it). */
static int
take(const char *name, struct uucp_who *who)
{
	struct stat	 st;
	char		 why[128];
	int		 fd, tries;

	for (tries = 0; tries < 3; tries++) {
		if (make(name, &fd) == 0) {
			strlcpy(held[nheld].name, name, sizeof(held[0].name));
			held[nheld++].fd = fd;
			return 0;
		}
		if (errno != EEXIST)
			return -1;
		switch (check(name, who, &st, why, sizeof(why))) {
		case LK_NONE:
			break;		/* gone meanwhile: again */
		case LK_BELIEVED:
			errno = EBUSY;
			return -1;
		case LK_STALE:
			clear(name, &st, why);
			break;
		default:
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

/* Remove the lock files this process made, where they are still its own. */
static void
release(void)
{
	struct stat	 st, now;
	int		 i;

	for (i = 0; i < nheld; i++) {
		if (heldby == getpid() && fstat(held[i].fd, &st) == 0 &&
		    fstatat(lockfd, held[i].name, &now,
		    AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
		    now.st_ino == st.st_ino)
			(void)unlinkat(lockfd, held[i].name, 0);
		close(held[i].fd);
	}
	nheld = 0;
}

/* Let go of the UUCP locks and the flock; on any exit too. */
void
uucp_unlock(void)
{
	if (flocked != -1 && heldby == getpid())
		(void)flock(flocked, LOCK_UN);
	flocked = -1;
	release();
}

/* What this process takes it lets go of when it exits. */
static void
mine(void)
{
	static int	 registered;

	heldby = getpid();
	if (!registered && atexit(uucp_unlock) == 0)
		registered = 1;
}

/*
 * Take the UUCP locks of the device path leads to, in dir. 0 when taken
 * or when dir does not exist; -1 with errno EBUSY and who filled in when
 * a live process holds one, or another errno when they cannot be made.
 * Stale locks are removed.
 */
int
uucp_lock(const char *dir, const char *path, struct uucp_who *who)
{
	char	 names[UUCP_NAMES][NAME_MAX + 1];
	int	 fd, i, n, serrno;

	memset(who, 0, sizeof(*who));
	if (dir == NULL)
		return 0;
	if (lockfd == -1 || strcmp(lockdir, dir) != 0) {
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			return errno == ENOENT ? 0 : -1;
		if (strlcpy(lockdir, dir, sizeof(lockdir)) >= sizeof(lockdir)) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		if (lockfd != -1)
			close(lockfd);
		lockfd = fd;
	}
	if ((n = lock_names(path, names)) == 0) {
		errno = EINVAL;		/* a device with no name */
		return -1;
	}
	if (nheld > 0 && heldby == getpid() && strcmp(held[0].name,
	    names[0]) == 0)
		return 0;		/* ours already */
	release();
	sweep();
	mine();
	for (i = 0; i < n; i++)
		if (take(names[i], who) == -1) {
			serrno = errno;
			release();
			errno = serrno;
			return -1;
		}
	return 0;
}

/* Give the locks to uid, who removes them: just before becoming uid. */
void
uucp_give(uid_t uid)
{
	int	 i;

	for (i = 0; i < nheld; i++)
		(void)fchown(held[i].fd, uid, (gid_t)-1);
}

#ifdef __linux__
/* Who holds flock(2) on what fd is open on, from /proc/locks. */
static void
flock_holder(int fd, struct uucp_who *who)
{
	struct procinfo	 pi;
	struct stat	 st;
	const char	*errstr;
	char		 line[256], dev[64], *p, *tok[6];
	FILE		*f;
	pid_t		 pid;
	int		 i;

	if (fstat(fd, &st) == -1 || (f = fopen("/proc/locks", "re")) == NULL)
		return;
	(void)snprintf(dev, sizeof(dev), "%02x:%02x:%llu",
	    major(st.st_dev), minor(st.st_dev),
	    (unsigned long long)st.st_ino);
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:19:3 0 EOF" */
		p = line;
		for (i = 0; i < 6; i++)
			while ((tok[i] = strsep(&p, " \t\n")) != NULL &&
			    *tok[i] == '\0')
				;
		if (tok[5] == NULL || strcmp(tok[1], "FLOCK") != 0 ||
		    strcmp(tok[5], dev) != 0)
			continue;
		pid = strtonum(tok[4], 1, INT_MAX, &errstr);
		if (errstr == NULL && pid != getpid() &&
		    proc_get(pid, &pi) == 0) {
			describe(who, pid, &pi);
			break;
		}
	}
	fclose(f);
}
#endif

/*
 * flock(2) on the device, as picocom takes it, held until uucp_unlock().
 * 0 when taken; -1 with errno EWOULDBLOCK when another open of the device
 * holds it (who says who, where the system tells), or another errno when
 * the device takes no flock.
 */
int
uucp_flock(int fd, struct uucp_who *who)
{
	memset(who, 0, sizeof(*who));
	strlcpy(who->desc, "another program", sizeof(who->desc));
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		flocked = fd;
		mine();
		return 0;
	}
#ifdef __linux__
	if (errno == EWOULDBLOCK) {
		flock_holder(fd, who);
		errno = EWOULDBLOCK;
	}
#endif
	return -1;
}
