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

#ifndef CONSLET_H
#define CONSLET_H

#include <stdio.h>

#include "console.h"

/*
 * Each direction of the relay, at most.  Toward the device the relay uses
 * TODEV_LEN of it: what a person or a paste sends, which a pty takes 4 KiB
 * a write anyway.  Toward the client all of it: the guest's output comes
 * in floods (a boot, dmesg), passed on in long writes.  The pages of a
 * buffer are memory only once used, and then each connection's own.
 */
#define BUF_LEN		65536
#define TODEV_LEN	16384
#define NOTICE_ROOM	1024	/* kept free toward the client for notices */

/* A bounded buffer: data[off .. off+len) is pending, within size. */
struct buf {
	size_t		 off;
	size_t		 len;
	size_t		 size;		/* of data in use; 0 for all of it */
	unsigned char	 data[BUF_LEN];
};

#define SB_LEN		256	/* longest subnegotiation kept */

/* Telnet mode (-t): telnet.c's. */
struct telnet {
	int		 on;		/* -t */
	int		 state;		/* decoder state, TS_* in telnet.c */
	int		 incr;		/* the client's last data byte was CR */
	int		 outcr;		/* our last byte out was a lone CR */
	unsigned char	 us[256];	/* RFC 1143 state of our side */
	unsigned char	 them[256];	/* and of the client's */
	unsigned char	 sb[SB_LEN];	/* subnegotiation being read */
	size_t		 sblen;
	int		 sbover;	/* it was longer than SB_LEN */
};

/* COM-PORT-OPTION, RFC 2217 (-p): comport.c's. */
#define TELOPT_COMPORT	44	/* not in <arpa/telnet.h> */

struct comport {
	int		 allowed;	/* -p */
	int		 suspended;	/* the client sent FLOWCONTROL-SUSPEND */
	int		 brk;		/* the line is held in BREAK */
	unsigned char	 lsmask;	/* SET-LINESTATE-MASK */
	unsigned char	 msmask;	/* SET-MODEMSTATE-MASK, 255 at first */
	int		 mstate;	/* modem lines last told */
	int		 mlines;	/* the device has modem lines */
	int		 mset;		/* DTR, RTS this client changed */
	int		 msaved;	/* what they were before it did */
	int		 refused;	/* told why RFC 2217 is refused */
};

/* Escape parser state: escape.c's. */
struct escape {
	int	 ch;		/* the escape character, -1 for none */
	int	 state;		/* ESC_* in escape.c */
};

/* Why a session ends; session.c's table says what each one means. */
enum {
	END_NONE,
	END_CLIENT,		/* the client closed the connection */
	END_ESCAPE,		/* ~. */
	END_IDLE,		/* -i timeout */
	END_SIGNAL,		/* SIGTERM, SIGHUP, SIGINT */
	END_DEVICE,		/* the console went away */
	END_LOGGER,		/* the logger we were attached to stopped */
	END_TAKEN		/* write access taken, and no logger to stay on */
};

/* How a session ends: what is said, what is still delivered, the status. */
struct ending {
	int		 end;		/* END_* */
	const char	*word;		/* syslog: "detached by PEER (word)" */
	const char	*notice;	/* for the client, or NULL */
	int		 to_client;	/* pending output still goes out */
	int		 to_device;	/* and pending input to the device */
	int		 status;	/* conslet's exit status */
};

#define MENU_LINE	256	/* -m: longest answer kept */
#define MENU_WAIT	60	/* -m: seconds to choose a console */
#define MENU_TRIES	5	/* -m: wrong answers before it gives up */

/* The forms of list_consoles(). */
enum { LIST_TABLE, LIST_SCRIPT, LIST_MENU };

#define REPLAY_DEFAULT	2048	/* -h: bytes of recent output on attach */
#define LOCK_TRIES	50	/* 10 ms apart, for a holder still writing */

/*
 * One client's session, grouped by who writes each part: main() and
 * access.c set up what it is attached to, session.c and relay.c move the
 * bytes, the protocol files keep their own state.
 */
struct session {
	/* the console and the client: main() */
	struct console	*con;
	const char	*rundir;
	struct holder	 me;		/* as recorded in the writer lock */
	int		 cin;		/* client, fd 0 */
	int		 cout;		/* client, fd 1 */
	int		 viewer;	/* -r: read-only for good */
	int		 quiet;		/* -E: no notices, 8-bit clean */
	size_t		 replay;	/* -h */
	const struct line *line;	/* -s -c -x, for the writer */
	int		 altbreak;	/* -A */
	int		 idle;		/* -i seconds, 0 for none */
	unsigned char	 pre[MENU_LINE]; /* typed after the name at -m */
	size_t		 prelen;

	/* access to the console: access.c, and share.c for the logger */
	int		 dev;		/* the device, for writing; -1 for none */
	int		 src;		/* the console's output: dev, or the logger's pipe */
	int		 wfd;		/* writer lock, held or not */
	int		 rfd;		/* reader lock, in direct mode */
	int		 ffd;		/* force fifo: the writer hears takers */
	int		 ctl;		/* the logger's socket, or -1 */
	char		 logger[NAME_LEN + 1]; /* the logger's console name */
	int		 readonly;	/* typed bytes go nowhere */

	/* the bytes: session.c and relay.c */
	int		 end;		/* END_* */
	int		 midline;	/* the console's last byte was not LF */
	unsigned long long bytes_in;	/* client to device */
	unsigned long long bytes_out;	/* device to client */
	struct buf	 tocli;		/* device to client */
	struct buf	 todev;		/* client to device */

	/* the protocols */
	struct escape	 esc;
	struct telnet	 tn;
	struct comport	 cp;
};

/* access.c */
void	 access_open(struct session *, int, const char *);
void	 access_take(struct session *);
void	 access_yield(struct session *, const char *);
void	 access_release(struct session *);

/* command.c */
int	 command_run(struct session *, int);
void	 command_help(struct session *);
void	 command_break(struct session *);
void	 command_ayt(struct session *);

/* comport.c */
void	 comport_init(struct session *);
void	 comport_agreed(struct session *);
void	 comport_refused(struct session *);
void	 comport_sb(struct session *, const unsigned char *, size_t);
void	 comport_release(struct session *, int);
int	 comport_interval(const struct session *);
void	 comport_poll(struct session *);

/* escape.c */
void	 escape_init(struct escape *, int);
void	 escape_input(struct session *, const unsigned char *, size_t);

/* list.c */
int	 list_consoles(FILE *, const char *, const char *, int);

/* menu.c */
void	 menu(struct session *, const char *, const char *, char *, size_t);

/* peer.c */
void	 peer_describe(char *, size_t);
int	 peer_trust(const char *);
void	 peer_tune(int);

/* relay.c */
int	 relay(struct session *);

/* session.c */
size_t	 buf_room(const struct buf *);
size_t	 buf_space(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_consume(struct buf *, size_t);
void	 session_send(struct session *, const void *, size_t);
void	 session_reply(struct session *, const void *, size_t);
void	 session_notice(struct session *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 session_note(struct session *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
void	 session_notes_left(struct session *, int);
void	 session_attached(struct session *);
void	 session_end(struct session *, int);
void	 session_purge_dev(struct session *);
const struct ending *session_ending(int);

/* share.c */
int	 share_logger(struct session *);
int	 share_join(struct session *, char *, size_t);
void	 share_replay(struct session *);
void	 share_note(struct session *, const char *);
void	 share_mode(struct session *);
int	 share_force(struct session *, const struct holder *);
int	 share_bell(struct session *, char *, size_t);
int	 share_who(struct session *);
int	 share_viewers(const char *, const char *);
void	 share_list(const char *, const char *);

/* telnet.c */
void	 telnet_start(struct session *);
void	 telnet_input(struct session *, const unsigned char *, size_t);
size_t	 telnet_output(struct session *, const unsigned char *, size_t,
	    unsigned char *);
int	 telnet_comport(const struct session *);

/* web.c */
void	 web_console(const char *, const char *, const char *, char *,
	    size_t);

/* term.c */
int	 term_raw(int);
void	 term_restore(void);

#endif /* CONSLET_H */
