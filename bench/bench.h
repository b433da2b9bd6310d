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

/* bench: what the files of the benchmark share. */

#ifndef BENCH_H
#define BENCH_H

#include <sys/types.h>

/* The peers (socat, ser2net) come last: the ratios take the best of them. */
enum kind { K_DIRECT, K_FLOOR_STATIC, K_FLOOR, K_CONSLET, K_TELNET, K_CONSLOG,
    K_CONSLET_B, K_CONSLOG_B, K_SOCAT, K_SER2NET, K_SER2NET_ND };
#define NKIND	11

#define MAXPID	8
#define MAX_VIEWERS	256	/* a conslog's MAX_SUBS */
/*
 * Not a power of two: a slip shows.  Longer than a logger's ring ever
 * stretches: where a quiet client's stream goes on after a skip it was
 * not told of is then the last place the pattern matches before what
 * the guest wrote.
 */
#define PATLEN	(16 * 1048576 + 13)
#define SPLIT	32		/* each half of the split write */
#define TIMEOUT	10000		/* ms without progress that is a failure */

/* Figures: index into struct relay's sample arrays. */
enum fig { F_CONNECT, F_KEY, F_SPLIT, F_APART, F_G2C, F_LOST, F_C2G, F_RSS, F_PRIV,
    F_PSS, F_CPUG2C, F_CPULOG, F_CPUC2G, F_LOGHWM, F_LOGPRIV, F_NFIG };

struct samples {
	double	*v;
	size_t	 n, cap;
};

struct relay {
	enum kind	 kind;
	const char	*name;
	int		 master;	/* the guest's side */
	int		 hold;		/* a slave fd, so the pty never hangs up */
	char		 slave[64];
	char		 cname[32];	/* console name */
	pid_t		 server;	/* tcpserver or ser2net */
	pid_t		 logger;
	pid_t		 vserver;	/* tcpserver for viewers */
	int		 port, vport;
	int		 failed;
	struct samples	 s[F_NFIG];
};

struct tn {
	int	 st;		/* telnet filter state */
};

struct conn {
	int		 fd;
	struct tn	 tn;
	int		 telnet;
	pid_t		 pids[MAXPID];	/* processes serving it */
	int		 npid;
};

/* Checking a stream against the pattern (pattern.c). */
struct check {
	size_t		 got;		/* stream position, skipped included */
	size_t		 skipped;
	int		 silent;	/* skips may come untold (conslet -E) */
	size_t		 sent;		/* what the guest wrote so far */
	int		 silenced;	/* skips that came untold */
	unsigned char	 carry[128];	/* a notice cut by a read */
	size_t		 ncarry;
};

/* bench.c */
extern char	 work[512];
extern char	 bindir[512];
extern char	 altdir[512];	/* -B: a second build, for conslet-b */
extern char	 benchdir[512];	/* where the floor relays are */
extern char	 rundir[520];	/* the relays' -R */
extern int	 mib, keys, connects, splits, fanmib;
extern struct relay relays[NKIND];
extern int	 nrelay;

/* conn.c */
void	 nonblock(int);
void	 rawmode(int);
int	 tcp_connect(int);
ssize_t	 cread(struct conn *, unsigned char *, size_t);
int	 echo_until(struct relay *, struct conn *, unsigned char);
int	 conn_open(struct relay *, struct conn *);
void	 conn_close(struct relay *, struct conn *);
double	 connect_once(struct relay *, struct conn *, int);
void	 find_pids(struct relay *, struct conn *);
double	 pids_cpu(struct relay *, struct conn *);

/* fanout.c */
void	 fanout(struct relay *, int, int);

/* figures.c */
double	 now_us(void);
void	 add(struct samples *, double);
double	 quantile(struct samples *, double);
double	 med(struct relay *, enum fig);

/* latency.c */
void	 latency_rounds(void);

/* pattern.c */
extern unsigned char	*pat;
void	 pattern_init(void);
int	 check_feed(struct check *, const unsigned char *, size_t);

/* process.c */
pid_t	 spawn(int, const char *, char *const []);
pid_t	 tcpserver(int *, char *const []);
int	 children(pid_t, pid_t *, int);
void	 wait_no_children(pid_t);
long	 status_kb(pid_t, const char *);
long	 private_kb(pid_t);
long	 pss_kb(pid_t);
double	 cpu_ns(pid_t);
void	 hogs_start(int);
void	 hogs_stop(void);
double	 cpu_ms(pid_t);

/* relay.c */
void	 relay_start(struct relay *);
void	 relay_stop(struct relay *);

/* report.c */
void	 report(void);

/* scale.c */
void	 scale(int, int, int);
void	 scale_stop(void);

/* throughput.c */
void	 one_session(struct relay *);

#endif /* BENCH_H */
