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
 * The device line: opening it without waiting for carrier, raw mode, and
 * the settings an operator (or later a client) asks for.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>	/* Linux: major() */
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"

/* The speeds termios can name; on the BSDs B9600 is 9600 itself. */
static const struct {
	long	 bps;
	speed_t	 code;
} speeds[] = {
	{ 50, B50 }, { 75, B75 }, { 110, B110 }, { 134, B134 },
	{ 150, B150 }, { 200, B200 }, { 300, B300 }, { 600, B600 },
	{ 1200, B1200 }, { 1800, B1800 }, { 2400, B2400 }, { 4800, B4800 },
	{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 },
	{ 57600, B57600 }, { 115200, B115200 }, { 230400, B230400 },
#ifdef B460800
	{ 460800, B460800 },
#endif
#ifdef B500000
	{ 500000, B500000 },
#endif
#ifdef B921600
	{ 921600, B921600 },
#endif
#ifdef B1000000
	{ 1000000, B1000000 },
#endif
#ifdef B1500000
	{ 1500000, B1500000 },
#endif
#ifdef B2000000
	{ 2000000, B2000000 },
#endif
#ifdef B3000000
	{ 3000000, B3000000 },
#endif
#ifdef B4000000
	{ 4000000, B4000000 },
#endif
};

#define NSPEEDS	(sizeof(speeds) / sizeof(speeds[0]))

/* Each parser returns NULL, or why the value is refused. */
const char *
line_speed(struct line *l, const char *s)
{
	const char	*errstr;
	long long	 v;
	size_t		 i;

	v = strtonum(s, 1, 4000000, &errstr);
	if (errstr != NULL)
		return errstr;
	for (i = 0; i < NSPEEDS; i++)
		if (speeds[i].bps == v) {
			l->speed = v;
			return NULL;
		}
	return "not a speed the terminal driver knows";
}

/* Data bits, parity, stop bits: "8N1", "7E1", "8N2". */
const char *
line_format(struct line *l, const char *s)
{
	if (strlen(s) != 3)
		return "not of the form 8N1";
	if (s[0] < '5' || s[0] > '8')
		return "data bits must be 5 to 8";
	switch (tolower((unsigned char)s[1])) {
	case 'n':
	case 'e':
	case 'o':
		break;
	default:
		return "parity must be N, E or O";
	}
	if (s[2] != '1' && s[2] != '2')
		return "stop bits must be 1 or 2";
	l->databits = s[0] - '0';
	l->parity = tolower((unsigned char)s[1]);
	l->stopbits = s[2] - '0';
	return NULL;
}

const char *
line_flow(struct line *l, const char *s)
{
	if (strcmp(s, "none") == 0)
		l->flow = FLOW_NONE;
	else if (strcmp(s, "rtscts") == 0)
		l->flow = FLOW_RTSCTS;
	else if (strcmp(s, "xonxoff") == 0)
		l->flow = FLOW_XONXOFF;
	else
		return "must be none, rtscts or xonxoff";
	return NULL;
}

/*
 * Open the device for reading and writing without becoming its
 * controlling terminal and without waiting for carrier (an nmdm B side
 * would otherwise block until bhyve opens A). -1 with errno; ENOTTY for
 * anything that is not a terminal.
 */
int
line_open(const char *path)
{
	struct stat	 st;
	int		 fd, serrno;

	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode) || !isatty(fd)) {
		serrno = errno == EBADF ? errno : ENOTTY;
		close(fd);
		errno = serrno;
		return -1;
	}
	return fd;
}

/* Raw, 8 bits clean, carrier ignored, then what l asks for. */
int
line_setup(int fd, const struct line *l)
{
	struct termios	 t;
	size_t		 i;

	if (tcgetattr(fd, &t) == -1)
		return -1;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (l->speed != 0) {
		for (i = 0; i < NSPEEDS; i++)
			if (speeds[i].bps == l->speed)
				break;
		if (i == NSPEEDS || cfsetspeed(&t, speeds[i].code) == -1) {
			errno = EINVAL;
			return -1;
		}
	}
	if (l->databits != 0) {
		t.c_cflag &= ~CSIZE;
		switch (l->databits) {
		case 5: t.c_cflag |= CS5; break;
		case 6: t.c_cflag |= CS6; break;
		case 7: t.c_cflag |= CS7; break;
		default: t.c_cflag |= CS8; break;
		}
		t.c_cflag &= ~(PARENB | PARODD);
		if (l->parity == 'e')
			t.c_cflag |= PARENB;
		else if (l->parity == 'o')
			t.c_cflag |= PARENB | PARODD;
		if (l->stopbits == 2)
			t.c_cflag |= CSTOPB;
		else
			t.c_cflag &= ~CSTOPB;
	}
	if (l->flow != FLOW_UNSET) {
		t.c_cflag &= ~CRTSCTS;
		t.c_iflag &= ~(IXON | IXOFF);
		if (l->flow == FLOW_RTSCTS)
			t.c_cflag |= CRTSCTS;
		else if (l->flow == FLOW_XONXOFF)
			t.c_iflag |= IXON | IXOFF;
	}
	return tcsetattr(fd, TCSANOW, &t);
}

#ifdef __linux__
/*
 * Linux: a pty takes a BREAK, tcsendbreak and TIOCSBRK succeed, and
 * nothing reaches the other side (the pty driver has no break_ctl). Its
 * slaves have the UNIX98 majors 136 to 143, or 3 for the old BSD ptys.
 */
static int
ignores_break(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode))
		return 0;
	return (major(st.st_rdev) >= 136 && major(st.st_rdev) <= 143) ||
	    major(st.st_rdev) == 3;
}
#else
/* FreeBSD's nmdm(4) and ptys say ENOTTY themselves. */
#define ignores_break(fd)	0
#endif

/*
 * Send a BREAK, or say that the caller must send the alternate break
 * sequence instead: always with alt, and where the driver cannot break
 * (nmdm(4) answers ENOTTY, a Linux pty would take it and do nothing).
 */
int
line_break(int fd, int alt)
{
	if (alt || ignores_break(fd))
		return BRK_ALT;
	if (tcsendbreak(fd, 0) == 0)
		return BRK_SENT;
	if (errno == ENOTTY || errno == EINVAL || errno == ENODEV)
		return BRK_ALT;
	return -1;
}

/* The line's current settings, in the terms of struct line. */
int
line_get(int fd, struct line *l)
{
	struct termios	 t;
	speed_t		 sp;
	size_t		 i;

	if (tcgetattr(fd, &t) == -1)
		return -1;
	memset(l, 0, sizeof(*l));
	sp = cfgetospeed(&t);
	for (i = 0; i < NSPEEDS; i++)
		if (speeds[i].code == sp)
			l->speed = speeds[i].bps;
	switch (t.c_cflag & CSIZE) {
	case CS5: l->databits = 5; break;
	case CS6: l->databits = 6; break;
	case CS7: l->databits = 7; break;
	default: l->databits = 8; break;
	}
	l->parity = !(t.c_cflag & PARENB) ? 'n' :
	    (t.c_cflag & PARODD) ? 'o' : 'e';
	l->stopbits = t.c_cflag & CSTOPB ? 2 : 1;
	l->flow = t.c_cflag & CRTSCTS ? FLOW_RTSCTS :
	    t.c_iflag & IXON ? FLOW_XONXOFF : FLOW_NONE;
	return 0;
}

/* Hold the line in BREAK, or let it go: -1 where the driver cannot. */
int
line_break_hold(int fd, int on)
{
	if (ignores_break(fd)) {
		errno = ENOTTY;
		return -1;
	}
	return ioctl(fd, on ? TIOCSBRK : TIOCCBRK);
}

/* Raise or drop modem control lines (TIOCM_DTR, TIOCM_RTS). */
int
line_modem(int fd, int bits, int on)
{
	return ioctl(fd, on ? TIOCMBIS : TIOCMBIC, &bits);
}

/* The modem lines now, or -1 where the device has none (a pty). */
int
line_modem_get(int fd)
{
	int	 bits;

	return ioctl(fd, TIOCMGET, &bits) == -1 ? -1 : bits;
}
