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
 * floor: the least a relay started per connection can be, the floor the
 * benchmark measures conslet against.  A super-server starts it with the
 * connection on fds 0 and 1; it opens the device and copies both ways in
 * one poll loop, with blocking writes: no options, no locks, no log, no
 * socket options, no terminal settings (the benchmark's pty is raw).
 */

#include <err.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

/* One read from one side, all of it written to the other; 0 at the end. */
static int
copy(int from, int to)
{
	char	 buf[16384];
	ssize_t	 n, w, off;

	if ((n = read(from, buf, sizeof(buf))) <= 0)
		return 0;
	for (off = 0; off < n; off += w)
		if ((w = write(to, buf + off, n - off)) == -1)
			return 0;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[2];
	int		 dev;

	if (argc != 2)
		errx(2, "usage: floor device");
	if ((dev = open(argv[1], O_RDWR | O_NOCTTY)) == -1)
		err(1, "%s", argv[1]);
	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = dev;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1)
			err(1, "poll");
		if (pfd[0].revents != 0 && !copy(STDIN_FILENO, dev))
			break;
		if (pfd[1].revents != 0 && !copy(dev, STDOUT_FILENO))
			break;
	}
	return 0;
}
