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

/* A session as conslet.c sets one up, for the fuzz targets. */

#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conslet.h"
#include "stubs.h"

static struct session	 sess;	/* 128 KiB of buffers: not on the stack */
static struct console	 fcon;
static struct line	 fline;
static int		 devnull = -1;

/* A fresh session on console "fuzz"; the device fd is /dev/null's. */
static struct session *
fuzz_session(int device, int readonly, int altbreak, int logger, int esc)
{
	struct session	*s = &sess;

	if (devnull == -1 &&
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		perror("/dev/null");
		abort();
	}
	stub_reset(device);
	memset(s, 0, sizeof(*s));
	memset(&fcon, 0, sizeof(fcon));
	memset(&fline, 0, sizeof(fline));
	strcpy(fcon.name, "fuzz");
	strcpy(fcon.path, "/dev/null");
	strcpy(fcon.device, "/dev/null");
	strcpy(fcon.key, "dev.1.3");
	s->con = &fcon;
	s->rundir = "/nonexistent";
	s->me.pid = getpid();
	strcpy(s->me.peer, "192.0.2.7:51234");
	s->cin = s->cout = -1;
	s->wfd = s->rfd = s->ffd = -1;
	s->dev = readonly ? -1 : devnull;
	s->src = devnull;
	s->ctl = logger ? devnull : -1;
	s->readonly = s->viewer = readonly;
	s->line = &fline;
	s->altbreak = altbreak;
	s->replay = REPLAY_DEFAULT;
	escape_init(&s->esc, esc);
	return s;
}

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz check failed: %s\n", what);
	abort();
}

#endif /* FUZZ_COMMON_H */
