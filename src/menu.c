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
 * conslet -m: one port for every console. The client is asked for a
 * console's name and the session carries on as if conslet had been
 * started with it; "?" or an empty line lists the consoles. Behind sshd
 * the name is the command the client asked for (SSH_ORIGINAL_COMMAND),
 * held to a name like any other: never a path, never an option.
 */

#include <sys/types.h>

#include <arpa/telnet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "conslet.h"

#define MENU_PROMPT	"console (? for a list): "

/* Telnet, when the menu is in front of -t: commands are skipped. */
enum { M_DATA, M_IAC, M_OPT, M_SB, M_SBIAC };

struct answer {
	char		 line[MENU_LINE];
	size_t		 len;
	int		 toolong;
	int		 tstate;	/* M_* */
	int		 telnet;
};

/* One byte of telnet: 1 if it is data. */
static int
telnet_byte(struct answer *a, unsigned char c)
{
	switch (a->tstate) {
	case M_IAC:
		if (c == IAC) {
			a->tstate = M_DATA;
			return 1;
		}
		a->tstate = c == SB ? M_SB : c >= WILL && c <= DONT ? M_OPT :
		    M_DATA;
		return 0;
	case M_OPT:
		a->tstate = M_DATA;
		return 0;
	case M_SB:
		if (c == IAC)
			a->tstate = M_SBIAC;
		return 0;
	case M_SBIAC:
		a->tstate = c == SE ? M_DATA : M_SB;
		return 0;
	}
	if (a->telnet && c == IAC) {
		a->tstate = M_IAC;
		return 0;
	}
	return 1;
}

static int	 outfd = -1, outfl = -1;	/* fd 1 and its flags before */

/* fd 1 as it was before the menu, also on the way out through exit(3). */
static void
out_restore(void)
{
	if (outfl != -1)
		(void)fcntl(outfd, F_SETFL, outfl);
	outfl = -1;
	msg_until(0);
}

/*
 * Everything written to the client until the menu is done waits for it
 * until the deadline at most: the prompt and the list are written again
 * for every empty line, and a client that sends them without reading
 * would otherwise hold this process in write(2) for good.
 */
static void
out_bound(int fd, long long deadline)
{
	static int	 registered;

	if (!registered && atexit(out_restore) == 0)
		registered = 1;
	outfd = fd;
	if ((outfl = fcntl(fd, F_GETFL)) != -1 &&
	    fcntl(fd, F_SETFL, outfl | O_NONBLOCK) == -1)
		outfl = -1;
	msg_until(deadline);
}

/*
 * Read one line by deadline. 1 with a->line set, 0 at the client's end,
 * -1 at the deadline. Bytes after the line are kept for the console.
 */
static int
read_answer(struct session *s, struct answer *a, long long deadline)
{
	unsigned char	 in[MENU_LINE];
	struct pollfd	 pfd;
	ssize_t		 n;
	size_t		 i;
	long long	 left;
	int		 cr = 0, done = 0;

	a->len = 0;
	a->toolong = 0;
	pfd.fd = s->cin;
	pfd.events = POLLIN;
	for (;;) {
		/* also for lines typed ahead: a flood of them ends here too */
		if ((left = deadline - now_ms()) <= 0)
			return -1;
		if (s->prelen > 0) {	/* typed ahead, after the last line */
			memcpy(in, s->pre, s->prelen);
			n = s->prelen;
			s->prelen = 0;
		} else {
			if (poll(&pfd, 1, (int)left) == -1) {
				if (errno == EINTR)
					continue;
				return 0;
			}
			if (pfd.revents == 0)
				continue;
			if ((n = read(s->cin, in, sizeof(in))) == -1 &&
			    (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)
				return 0;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (!telnet_byte(a, in[i]))
				continue;
			if (in[i] == '\r' || in[i] == '\n') {
				cr = in[i] == '\r';
				done = 1;
				i++;
				break;
			}
			if (in[i] == 0x03 || in[i] == 0x04)	/* ^C ^D */
				return 0;
			if (in[i] == 0x08 || in[i] == 0x7f) {
				if (a->len > 0)
					a->len--;
			} else if (a->len < sizeof(a->line) - 1)
				a->line[a->len++] = in[i];
			else
				a->toolong = 1;
		}
		if (done)
			break;
	}
	a->line[a->len] = '\0';
	/* CR LF and CR NUL are one end of line; what follows is typed on */
	if (cr && i == (size_t)n && poll(&pfd, 1, 0) == 1 &&
	    (n = read(s->cin, in, sizeof(in))) > 0)
		i = 0;
	if (cr && i < (size_t)n && (in[i] == '\n' || in[i] == '\0'))
		i++;
	s->prelen = 0;
	if (i < (size_t)n) {
		memcpy(s->pre, in + i, n - i);
		s->prelen = n - i;
	}
	return 1;
}

static void
menu_list(const char *consdir, const char *rundir)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return;
	if (list_consoles(fp, consdir, rundir, LIST_MENU) == -1)
		fprintf(fp, "[conslet: no consoles]\r\n");
	if (fclose(fp) == 0)
		msg_write(buf, len);
	free(buf);
}

/* A console name that the session can go on with. */
static int
usable(struct session *s, const char *consdir, const char *rundir,
    const char *name)
{
	struct console	 c;

	switch (console_find(&c, consdir, name)) {
	case CON_BADNAME:
		tell("invalid console name: \"%s\"", name);
		return 0;
	case CON_MISSING:
		if (s->viewer && lock_held(rundir, name, "logger"))
			return 1;	/* its logger waits for the guest */
		tell("no such console: %s", name);
		return 0;
	}
	return 1;
}

/*
 * The console the client chooses, into name. Without an answer in
 * MENU_WAIT seconds (or the idle timeout, if shorter), or after
 * MENU_TRIES wrong ones, the client is told and conslet exits. Writing
 * to the client counts against the same deadline.
 */
void
menu(struct session *s, const char *consdir, const char *rundir,
    char *name, size_t len)
{
	struct answer	 a;
	const char	*cmd;
	long long	 deadline;
	int		 tries = 0, wait = MENU_WAIT, r;

	if (s->idle > 0 && s->idle < wait)
		wait = s->idle;
	deadline = now_ms() + wait * 1000LL;
	out_bound(s->cout, deadline);
	if ((cmd = getenv("SSH_ORIGINAL_COMMAND")) != NULL && cmd[0] != '\0') {
		if (strcmp(cmd, "?") == 0) {
			menu_list(consdir, rundir);
			exit(0);
		}
		if (!console_name_ok(cmd))
			fatalx(EX_USAGE, "invalid console name: \"%s\"", cmd);
		strlcpy(name, cmd, len);
		out_restore();
		return;
	}
	memset(&a, 0, sizeof(a));
	a.telnet = s->tn.on;
	for (;;) {
		msg_write(MENU_PROMPT, sizeof(MENU_PROMPT) - 1);
		if ((r = read_answer(s, &a, deadline)) == 0) {
			logit(LOG_INFO, "menu: left without a choice");
			exit(0);
		}
		if (r == -1)
			fatalx(EX_TEMPFAIL, "no console chosen in %d s", wait);
		if (a.len == 0 || strcmp(a.line, "?") == 0) {
			menu_list(consdir, rundir);
			continue;
		}
		if (a.toolong || !console_name_ok(a.line))
			tell("invalid console name: \"%s\"", a.line);
		else if (usable(s, consdir, rundir, a.line)) {
			strlcpy(name, a.line, len);
			out_restore();
			return;
		}
		if (++tries == MENU_TRIES)
			fatalx(EX_USAGE, "%d wrong answers: bye", tries);
	}
}
