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
 * Signals become flags and a byte on a pipe that the poll loop watches: no
 * work is done in a handler. One flag per signal, each set by the handler
 * and read and cleared on its own by the loop: a bit mask updated with |=
 * and &= on both sides would lose a signal that came in between.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

#define NFLAGS		31	/* SIGBIT() of 1 .. 30 fits in an int */

static int			 sigfd[2] = { -1, -1 };
static volatile sig_atomic_t	 caught[NFLAGS];

static void
onsignal(int sig)
{
	int	 serrno = errno;

	if (sig > 0 && sig < NFLAGS)
		caught[sig] = 1;
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
	for (i = 0; sigs[i] != 0; i++) {
		if (sigs[i] <= 0 || sigs[i] >= NFLAGS) {
			errno = EINVAL;
			return -1;
		}
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	}
	return sigfd[0];
}

/* The signals received since the last call, as SIGBIT()s. */
int
signals_taken(void)
{
	char	 drop[64];
	int	 got = 0, sig;

	while (read(sigfd[0], drop, sizeof(drop)) > 0)
		;
	/* a signal after its flag was cleared sets it again: not lost */
	for (sig = 1; sig < NFLAGS; sig++)
		if (caught[sig]) {
			caught[sig] = 0;
			got |= SIGBIT(sig);
		}
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
