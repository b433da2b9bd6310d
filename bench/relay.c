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
 * Setting up each kind of relay on a pty of its own, and stopping it:
 * direct (no relay), the floor (bench/floor under tcpserver, static and
 * dynamic), conslet (raw or telnet, under tcpserver), conslog, socat
 * (under tcpserver) and ser2net.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF)
		err(1, "%s", path);
}

static int
free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1)
		err(1, "bind");
	close(fd);
	return ntohs(sin.sin_port);
}

/* tcpserver ... floor /dev/pts/N */
static void
start_floor(struct relay *r)
{
	char	 prog[PATH_MAX];
	char	*cmd[] = { prog, r->slave, NULL };

	snprintf(prog, sizeof(prog), "%s/%s", benchdir,
	    r->kind == K_FLOOR_STATIC ? "floor-static" : "floor");
	r->server = tcpserver(&r->port, cmd);
}

/* tcpserver ... conslet -E NAME, raw or with -t. */
static void
start_conslet(struct relay *r, char *prog, char *cons, char *run)
{
	char *cmd[] = { prog, "-C", cons, "-R", run, "-E",
	    r->kind == K_TELNET ? "-t" : "-E", r->cname, NULL };

	r->server = tcpserver(&r->port, cmd);
}

/* A conslog on the console; conslets for a client and for viewers. */
static void
start_conslog(struct relay *r, const char *dir, char *prog, char *cons,
    char *run)
{
	char	 lprog[PATH_MAX], pidf[PATH_MAX], log[PATH_MAX], errf[PATH_MAX];
	char	*lcmd[] = { lprog, "-C", cons, "-R", run, "-L", log,
	    "-p", pidf, r->cname, NULL };
	char	*cmd[] = { prog, "-C", cons, "-R", run, "-E", "-h", "0",
	    r->cname, NULL };
	char	*vcmd[] = { prog, "-C", cons, "-R", run, "-E", "-r", "-h",
	    "0", r->cname, NULL };
	double	 end;

	snprintf(lprog, sizeof(lprog), "%s/conslog", dir);
	snprintf(log, sizeof(log), "%s/log/%s.log", work, r->cname);
	snprintf(pidf, sizeof(pidf), "%s/%s.pid", work, r->cname);
	snprintf(errf, sizeof(errf), "%s/conslog.err", work);
	r->logger = spawn(-1, errf, lcmd);
	end = now_us() + TIMEOUT * 1e3;
	while (access(pidf, F_OK) == -1 && now_us() < end)
		usleep(2000);
	if (access(pidf, F_OK) == -1)
		errx(1, "conslog is not ready (see %s)", errf);
	r->server = tcpserver(&r->port, cmd);
	r->vserver = tcpserver(&r->vport, vcmd);
}

/* tcpserver ... socat - FILE:/dev/pts/N,raw,echo=0 */
static void
start_socat(struct relay *r)
{
	char	 file[128];
	char	*cmd[] = { "socat", "-", file, NULL };

	snprintf(file, sizeof(file), "FILE:%s,raw,echo=0", r->slave);
	r->server = tcpserver(&r->port, cmd);
}

/* ser2net 4, a tcp accepter on a serialdev connector. */
static void
start_ser2net(struct relay *r)
{
	char	 conf[PATH_MAX], pidf[PATH_MAX], errf[PATH_MAX], text[1024];
	char	*cmd[] = { "ser2net", "-n", "-d", "-u", "-c", conf, "-P",
	    pidf, NULL };
	double	 end;
	int	 fd;

	r->port = free_port();
	snprintf(conf, sizeof(conf), "%s/%s.yaml", work, r->name);
	snprintf(pidf, sizeof(pidf), "%s/%s.pid", work, r->name);
	snprintf(text, sizeof(text),
	    "%%YAML 1.1\n---\n"
	    "connection: &bench\n"
	    "  accepter: tcp,127.0.0.1,%d\n"
	    "  connector: serialdev,%s,115200n81,local\n"
	    "  options:\n"
	    "    kickolduser: true\n"
	    "%s", r->port, r->slave,
	    r->kind == K_SER2NET_ND ? "    chardelay: false\n" : "");
	write_file(conf, text);
	snprintf(errf, sizeof(errf), "%s/%s.err", work, r->name);
	r->server = spawn(-1, errf, cmd);
	end = now_us() + TIMEOUT * 1e3;
	while ((fd = tcp_connect(r->port)) == -1 && now_us() < end)
		usleep(5000);
	if (fd == -1)
		errx(1, "ser2net does not listen (see %s)", errf);
	close(fd);	/* the next connection waits for its end */
	usleep(50000);
}

/* The guest's pty, the console's name for it, and the relay on it. */
void
relay_start(struct relay *r)
{
	char	 path[PATH_MAX], prog[PATH_MAX], cons[1024], run[1024];
	const char *dir;
	int	 slave;

	if (openpty(&r->master, &slave, r->slave, NULL, NULL) == -1)
		err(1, "openpty");
	rawmode(slave);
	r->hold = slave;
	nonblock(r->master);
	snprintf(r->cname, sizeof(r->cname), "b-%s", r->name);
	snprintf(cons, sizeof(cons), "%s/consoles", work);
	snprintf(run, sizeof(run), "%s", rundir);
	snprintf(path, sizeof(path), "%s/%s", cons, r->cname);
	if (symlink(r->slave, path) == -1)
		err(1, "symlink %s", path);
	/* conslet-b and conslog-b: the build in -B dir */
	dir = r->kind == K_CONSLET_B || r->kind == K_CONSLOG_B ? altdir :
	    bindir;
	snprintf(prog, sizeof(prog), "%s/conslet", dir);

	switch (r->kind) {
	case K_DIRECT:
		break;
	case K_FLOOR_STATIC:
	case K_FLOOR:
		start_floor(r);
		break;
	case K_CONSLET:
	case K_TELNET:
	case K_CONSLET_B:
		start_conslet(r, prog, cons, run);
		break;
	case K_CONSLOG:
	case K_CONSLOG_B:
		start_conslog(r, dir, prog, cons, run);
		break;
	case K_SOCAT:
		start_socat(r);
		break;
	case K_SER2NET:
	case K_SER2NET_ND:
		start_ser2net(r);
		break;
	}
}

void
relay_stop(struct relay *r)
{
	pid_t	 pids[3] = { r->vserver, r->server, r->logger };
	int	 i;

	for (i = 0; i < 3; i++)
		if (pids[i] > 0) {
			kill(-pids[i], SIGTERM);
			waitpid(pids[i], NULL, 0);
		}
}
