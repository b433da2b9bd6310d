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
 * What conslet and conslog share: console names and lookup, the locks in
 * the run directory, the device line, and where messages go.
 */

#ifndef CONSOLE_H
#define CONSOLE_H

#include <sys/types.h>

#include <limits.h>
#include <time.h>

#ifndef CONSDIR
#define CONSDIR		"/usr/local/etc/conslet/consoles"
#endif
#ifndef RUNDIR
#define RUNDIR		"/var/run/conslet"
#endif
#ifndef UUCPDIR
#ifdef __linux__
#define UUCPDIR		"/var/lock"		/* Linux: the FHS */
#else
#define UUCPDIR		"/var/spool/lock"	/* BSD: _PATH_UUCPLOCK */
#endif
#endif

#define NAME_LEN	64	/* longest console name */
#define PEER_LEN	128	/* longest peer description */
#define KEY_LEN		48	/* "dev.MAJOR.MINOR" */

struct console {
	char	 name[PATH_MAX];	/* as given: a NAME or a path */
	char	 path[PATH_MAX];	/* what is opened */
	char	 device[PATH_MAX];	/* what it points at, for people */
	char	 key[KEY_LEN];		/* names the locks: one per device */
};

/* Results of console_find(). */
enum {
	CON_OK,
	CON_BADNAME,		/* not a valid name */
	CON_MISSING,		/* no such entry, or it points nowhere */
	CON_NOTTY		/* not a character device */
};

/* Who holds a lock, as recorded in the lock file. */
struct holder {
	pid_t	 pid;
	int	 logger;		/* held by conslog */
	time_t	 since;
	char	 peer[PEER_LEN];
	char	 console[PATH_MAX];
	char	 device[PATH_MAX];
};

/* Another program that holds a device, as uucp.c finds it. */
struct uucp_who {
	pid_t	 pid;			/* 0: not known */
	char	 desc[64];		/* "minicom, pid 976, uid 1000" */
	char	 lock[NAME_MAX + 1];	/* the lock file it holds */
};

/* Line settings; zero means "leave as the device has it". */
struct line {
	long	 speed;		/* bit/s */
	int	 databits;	/* 5 to 8 */
	int	 parity;	/* 'n', 'e', 'o' */
	int	 stopbits;	/* 1 or 2 */
	int	 flow;		/* FLOW_* */
};

enum { FLOW_UNSET, FLOW_NONE, FLOW_RTSCTS, FLOW_XONXOFF };

/* What line_break() did. */
enum { BRK_SENT, BRK_ALT };

/* console.c */
int	 console_name_ok(const char *);
int	 console_find(struct console *, const char *, const char *);
int	 console_key(struct console *, int);

/* lock.c */
int	 rundir_fd(const char *, int);
int	 run_open(const char *, const char *, int, int, mode_t, mode_t);
const char *lock_error(void);
int	 lock_dir(const char *);
int	 lock_take(const char *, const struct console *, const char *);
int	 lock_file(const char *, const struct console *, const char *);
int	 lock_try(int);
void	 lock_release(int);
pid_t	 lock_pid(int);
int	 lock_held(const char *, const char *, const char *);
int	 lock_record(int, const struct holder *);
void	 lock_clear(int);
int	 lock_who(const char *, const struct console *, const char *,
	    struct holder *);
int	 lock_who_fd(int, struct holder *);
void	 holder_since(const struct holder *, char *, size_t);

/* line.c */
const char *line_speed(struct line *, const char *);
const char *line_format(struct line *, const char *);
const char *line_flow(struct line *, const char *);
int	 line_open(const char *);
int	 line_setup(int, const struct line *);
int	 line_break(int, int);
int	 line_get(int, struct line *);
int	 line_break_hold(int, int);
int	 line_modem(int, int, int);
int	 line_modem_get(int);

/* uucp.c */
const char *uucp_dir(const char *);
int	 uucp_lock(const char *, const char *, struct uucp_who *);
void	 uucp_give(uid_t);
void	 uucp_unlock(void);
int	 uucp_flock(int, struct uucp_who *);

/* signals.c */
#define SIGBIT(s)	(1 << (s))
int	 signals_catch(const int *);
int	 signals_taken(void);
long long now_ms(void);

/* msg.c */
void	 msg_init(const char *, int);
void	 msg_vis(char *, size_t, const char *, size_t);
void	 msg_write(const void *, size_t);
void	 msg_until(long long);
void	 msg_sink(void (*)(int, const char *));
void	 logit(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 fatal(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3), __noreturn__));
void	 fatalx(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3), __noreturn__));
void	 tell(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
int	 notice_fmt(char *, size_t, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));

#endif /* CONSOLE_H */
