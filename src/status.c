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
 * The logger's counters, for conslet -l -H and whatever graphs them:
 * RUNDIR/NAME.stat, one "key value" a line, rewritten (a new file renamed
 * over the old) within a STAT_EVERY of a change.  It is rewritten in the
 * round of the loop that made the change when the last rewrite is half
 * a STAT_EVERY old, so that a guest printing a line a second costs its
 * logger one wake-up a second, not one for the line and one for the file.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conslog.h"

#define STAT_EVERY	1000	/* ms */

static const char	*rundir;
static char		 statname[NAME_LEN + 8];
static struct {
	unsigned long long	 logged;	/* bytes read from the device */
	time_t			 output;	/* when the last came */
	int			 clients;	/* attached now */
	unsigned long long	 skipped;	/* bytes viewers skipped */
	unsigned long long	 dropped;	/* messages syslog did not get */
	time_t			 present;	/* the device open since; 0 */
} st;
static int		 dirty;
static long long	 last = -STAT_EVERY;	/* ms: the last write */

void
status_init(const char *dir, const char *name)
{
	rundir = dir;
	snprintf(statname, sizeof(statname), "%s.stat", name);
	dirty = 1;
}

void
status_output(size_t n)
{
	if (n == 0)
		return;
	st.logged += n;
	st.output = time(NULL);
	dirty = 1;
}

void
status_clients(int delta)
{
	st.clients += delta;
	dirty = 1;
}

void
status_skipped(unsigned long long n)
{
	st.skipped += n;
	dirty = 1;
}

void
status_dropped(unsigned long long n)
{
	st.dropped += n;
	dirty = 1;
}

/* The device is open (1) or away (0). */
void
status_present(int on)
{
	st.present = on ? time(NULL) : 0;
	dirty = 1;
	last = -STAT_EVERY;	/* said at once */
}

static void
write_status(void)
{
	char	 tmp[NAME_LEN + 16];
	FILE	*f;
	int	 dfd, fd;

	if (rundir == NULL || (dfd = rundir_fd(rundir, 0)) == -1)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", statname);
	(void)unlinkat(dfd, tmp, 0);
	if ((fd = run_open(rundir, tmp, O_WRONLY, 1, 0644, S_IFREG)) == -1)
		return;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	fprintf(f, "logged %llu\noutput %lld\nclients %d\nskipped %llu\n"
	    "dropped %llu\npresent %lld\n", st.logged, (long long)st.output,
	    st.clients, st.skipped, st.dropped, (long long)st.present);
	if (fclose(f) == 0)
		(void)renameat(dfd, tmp, dfd, statname);
}

/* How long until the file is due at the latest; -1 if nothing changed. */
int
status_timeout(void)
{
	long long	 left;

	if (!dirty)
		return -1;
	left = last + STAT_EVERY - now_ms();
	return left < 0 ? 0 : (int)left;
}

void
status_tick(void)
{
	long long	 now;

	if (!dirty || (now = now_ms()) < last + STAT_EVERY / 2)
		return;
	write_status();
	dirty = 0;
	last = now;
}

void
status_close(void)
{
	int	 dfd;

	if (rundir != NULL && (dfd = rundir_fd(rundir, 0)) != -1)
		(void)unlinkat(dfd, statname, 0);
}
