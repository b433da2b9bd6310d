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
 * Signals become bits and a byte on a pipe that the poll loop watches: no
 * work is done in a handler.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

static int			 sigfd[2] = { -1, -1 };
static volatile sig_atomic_t	 pending;

static void
onsignal(int sig)
{
	int	 serrno = errno;

	pending |= SIGBIT(sig);
	(void)write(sigfd[1], "", 1);
	errno = serrno;
}

/* Catch the signals in the 0-terminated list; the fd to poll for them. */
int
signals_catch(const int *sigs)
{
	struct sigaction	 sa;
	int			 i;

	if (sigfd[0] == -1) {
		if (pipe(sigfd) == -1)
			return -1;
		for (i = 0; i < 2; i++)
			if (fcntl(sigfd[i], F_SETFL, O_NONBLOCK) == -1 ||
			    fcntl(sigfd[i], F_SETFD, FD_CLOEXEC) == -1)
				return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onsignal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; sigs[i] != 0; i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	return sigfd[0];
}

/* The signals received since the last call, as SIGBIT()s. */
int
signals_taken(void)
{
	char	 drop[64];
	int	 got;

	while (read(sigfd[0], drop, sizeof(drop)) > 0)
		;
	got = pending;
	pending &= ~got;
	return got;
}

/* A monotonic clock in milliseconds, for the loops' deadlines. */
long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
