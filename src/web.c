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
 * conslet -w: behind websocketd, one WebSocket per session. The console's
 * name is the path of the WebSocket's URL, which websocketd hands over
 * decoded in PATH_INFO: held to a name like any other, never a path or an
 * option. The bare path lists the consoles and their state, as the -m
 * prompt does, and ends.
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conslet.h"

void
web_console(const char *consdir, const char *rundir, const char *proxy,
    char *name, size_t len)
{
	const char	*path;

	if (proxy != NULL && peer_trust(proxy) == -1)
		fatalx(EX_USAGE, "proxy address is invalid: %s", proxy);
	if ((path = getenv("PATH_INFO")) == NULL)
		fatalx(EX_USAGE, "-w: no PATH_INFO: not started by websocketd");
	if (path[0] == '/')
		path++;
	if (path[0] == '\0') {
		if (list_consoles(stdout, consdir, rundir, LIST_MENU) == -1)
			fatalx(EX_NOINPUT, "no consoles");
		exit(fflush(stdout) == 0 ? 0 : EX_IOERR);
	}
	if (!console_name_ok(path))
		fatalx(EX_USAGE, "invalid console name: \"%s\"", path);
	strlcpy(name, path, len);
}
