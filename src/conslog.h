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

#ifndef CONSLOG_H
#define CONSLOG_H

#include <stdint.h>

#include "console.h"

#define RING_DEFAULT	65536
#define RING_MIN	4096
#define RING_MAX	(64 * 1024 * 1024)
#define RING_STRETCH	256	/* for a client behind, up to 256 times -b */
#define MAX_SUBS	256	/* attached conslets per logger */

/*
 * Recent output: head counts every byte ever added.  The ring holds at
 * least what -b asks, and stretches up to max while a client that keeps
 * reading is further behind than that.
 */
struct ring {
	unsigned char	*data;
	size_t		 size;		/* a power of two */
	size_t		 base;		/* -b, as a power of two */
	size_t		 max;		/* the most it stretches to */
	uint64_t	 start;		/* the oldest byte held since a resize */
	uint64_t	 head;
};

struct logfile {
	int		 fd;
	int		 stamp;		/* -T */
	int		 bol;		/* the file ends at a line start */
	uint64_t	 lost;		/* bytes not written since the last gap */
	int		 lost_errno;
	char		 path[PATH_MAX];
};

/* alert.c */
const char *alert_add(const char *);
const char *alert_file(const char *);
const char *alert_command(const char *);
void	 alert_priority(int);
void	 alert_init(const char *);
int	 alert_any(void);
int	 alert_check(const char *);
int	 alert_timeout(void);
void	 alert_tick(void);
void	 alert_close(void);

/* fanout.c */
int	 fan_init(const char *, const char *, struct ring *,
	    void (*)(const char *));
void	 fan_device(const char *);
int	 fan_pollfds(struct pollfd *, int);
int	 fan_timeout(void);
void	 fan_serviced(const struct pollfd *, int);
void	 fan_flush(void);
void	 fan_hold(size_t);
void	 fan_notice(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	 fan_close(void);

/* logfile.c */
int	 log_open(struct logfile *);
int	 log_reopen(struct logfile *);
void	 log_write(struct logfile *, const unsigned char *, size_t);
void	 log_note(struct logfile *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));

/* status.c */
void	 status_init(const char *, const char *);
void	 status_output(size_t);
void	 status_clients(int);
void	 status_skipped(unsigned long long);
void	 status_dropped(unsigned long long);
void	 status_present(int);
int	 status_timeout(void);
void	 status_tick(void);
void	 status_close(void);

/* ring.c */
int	 ring_init(struct ring *, size_t);
void	 ring_add(struct ring *, const unsigned char *, size_t);
void	 ring_hold(struct ring *, uint64_t, size_t);
void	 ring_rest(struct ring *, uint64_t);
uint64_t ring_oldest(const struct ring *);
size_t	 ring_peek(const struct ring *, uint64_t, const unsigned char **);
uint64_t ring_replay(const struct ring *, size_t);

/* syslogger.c */
int	 slog_option(int, const char *);
void	 slog_init(const char *, const char *);
void	 slog_event(int, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 slog_output(const unsigned char *, size_t);
int	 slog_timeout(int);
void	 slog_tick(void);
void	 slog_close(void);

#endif /* CONSLOG_H */
