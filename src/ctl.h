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
 * The requests between conslet and its console's logger. A conslet
 * connects to RUNDIR/NAME.sock, a unix SOCK_SEQPACKET socket: one message
 * a request, and who sent it is the connection itself, which the kernel
 * vouches for (peer credentials). No request names a pid.
 *
 *   conslet -> conslog
 *	join w|r[q] REPLAY PEER	attach; "w" with the writer lock's descriptor;
 *				"q": quiet, no notices in its output (-E)
 *	mode w|r		took (with the descriptor) or gave up writing
 *	replay N		the last N bytes again
 *	note TEXT		a BREAK or new line settings (the writer only)
 *	who			the writer and viewers, as notices
 *   conslog -> conslet
 *	ok KEY			attached to device KEY, with the read end of
 *				the pipe the console's output comes through
 *	no REASON		refused
 *
 * A conslet that is not quiet sends the join of old, "join w" or "join r",
 * so that a logger started before "q" existed still takes it.
 *
 * A writer proves what it claims by passing its writer lock's descriptor:
 * the logger checks that it is RUNDIR's lock file of its own device, and
 * that the lock is held through that very open file.
 *
 * Two files in RUNDIR carry the rest, one line a record:
 *
 *   NAME.who, the logger's clients (conslog writes it whole and renames
 *   it into place; conslet -l and the -m menu read it)
 *	PID w|r SINCE PEER	a client, the writer or a viewer, attached
 *				since SINCE (seconds since the epoch)
 *   dev.M.N.f, the device's force fifo (a client taking write access
 *   writes, in one atomic write; the writer reads)
 *	take PID PEER		let go of write access, if PID is you (0:
 *				whoever writes), as PEER takes it
 */

#ifndef CTL_H
#define CTL_H

#include <sys/types.h>

#define CTL_LEN		512	/* longest message; fits PIPE_BUF anywhere */
#define CTL_TEXT	256	/* longest note or peer */

#define WHO_SUFFIX	".who"
#define WHO_FMT		"%ld %c %lld %s\n"	/* PID w|r SINCE PEER */
#define BELL_FMT	"take %ld %s\n"		/* PID PEER */
#define BELL_LEN	512	/* longest force request: < PIPE_BUF */

enum {
	REQ_BAD,
	REQ_JOIN,
	REQ_MODE,
	REQ_REPLAY,
	REQ_NOTE,
	REQ_WHO
};

struct request {
	int		 type;		/* REQ_* */
	int		 writer;	/* join, mode: "w" */
	int		 quiet;		/* join: "q", no notices */
	size_t		 replay;	/* join, replay */
	char		 text[CTL_TEXT]; /* join: the peer; note: the note */
};

int	 ctl_parse(const char *, size_t, struct request *, size_t);
int	 ctl_send(int, int, const char *, ...)
	    __attribute__((__format__ (printf, 3, 4)));
ssize_t	 ctl_recv(int, char *, size_t, int *);
int	 ctl_peer(int, uid_t *, pid_t *);

#endif /* CTL_H */
