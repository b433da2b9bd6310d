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
 * The consoles of the console directory and their state: for people
 * (conslet -l), for programs (-l -H: one line a console, fields split by
 * tabs), and for the client at the -m prompt.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conslet.h"

enum { ST_FREE, ST_BUSY, ST_MISSING, ST_NOTTY, ST_UNKNOWN };

static const char *const st_word[] = { "free", "busy", "missing", "notty",
    "unknown" };

struct status {
	int		 state;		/* ST_* */
	int		 known;		/* w holds the writer's record */
	struct holder	 w;
	pid_t		 logger;	/* its pid, 0 for none */
	char		 lname[NAME_LEN + 1]; /* the name it logs under */
	int		 viewers;
	char		 counters[6][24]; /* of NAME.stat, or "-" */
};

/* The logger's counters (conslog's NAME.stat), in the order of -H. */
static const char *const counter_key[] = { "logged", "output", "clients",
    "skipped", "dropped", "present" };

static void
counters_of(struct status *st, const char *rundir)
{
	char		 path[NAME_LEN + 8], line[64], *v;
	const char	*errstr;
	long long	 n;
	FILE		*fp;
	int		 fd, i;

	snprintf(path, sizeof(path), "%s.stat", st->lname);
	if (st->logger == 0 ||
	    (fd = run_open(rundir, path, O_RDONLY, 0, 0, S_IFREG)) == -1)
		return;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((v = strchr(line, ' ')) == NULL)
			continue;
		*v++ = '\0';
		n = strtonum(v, 0, LLONG_MAX, &errstr);
		/* the times (output, present) are 0 for none */
		for (i = 0; i < 6 && errstr == NULL; i++)
			if (strcmp(line, counter_key[i]) == 0 &&
			    (n > 0 || (i != 1 && i != 5)))
				snprintf(st->counters[i],
				    sizeof(st->counters[i]), "%lld", n);
	}
	fclose(fp);
}

static void
status_of(struct status *st, const char *rundir, struct console *c,
    int found)
{
	struct holder	 r;
	char		 name[KEY_LEN + 8];
	int		 fd;

	memset(st, 0, sizeof(*st));
	for (fd = 0; fd < 6; fd++)
		strlcpy(st->counters[fd], "-", sizeof(st->counters[fd]));
	if (found != CON_OK) {
		st->state = found == CON_NOTTY ? ST_NOTTY : ST_MISSING;
		return;
	}
	/* the run directory is root's: a user outside its group sees nothing */
	snprintf(name, sizeof(name), "%s.w", c->key);
	if ((fd = run_open(rundir, name, O_RDONLY, 0, 0, S_IFREG)) != -1)
		close(fd);
	else if (errno == EACCES) {
		st->state = ST_UNKNOWN;
		return;
	}
	if (lock_held(rundir, c->key, "r") &&
	    lock_who(rundir, c, "r", &r) == 0 && r.logger &&
	    console_name_ok(r.console)) {
		st->logger = r.pid;
		strlcpy(st->lname, r.console, sizeof(st->lname));
		st->viewers = share_viewers(rundir, r.console);
	}
	counters_of(st, rundir);
	st->state = ST_FREE;
	if (lock_held(rundir, c->key, "w")) {
		st->state = ST_BUSY;
		st->known = lock_who(rundir, c, "w", &st->w) == 0;
	}
}

/* The state, as people read it. */
static void
status_text(char *buf, size_t len, const struct status *st)
{
	char	 since[32], more[64] = "";

	if (st->state == ST_MISSING) {
		strlcpy(buf, "missing", len);
		return;
	}
	if (st->state == ST_NOTTY) {
		strlcpy(buf, "not a terminal device", len);
		return;
	}
	if (st->state == ST_UNKNOWN) {
		strlcpy(buf, "unknown: the run directory is not yours to read",
		    len);
		return;
	}
	if (st->logger != 0 && st->viewers > 0)
		snprintf(more, sizeof(more), ", %d viewer%s (logged)",
		    st->viewers, st->viewers == 1 ? "" : "s");
	else if (st->logger != 0)
		strlcpy(more, " (logged)", sizeof(more));
	if (st->state == ST_FREE)
		snprintf(buf, len, "free%s", more);
	else if (!st->known)
		snprintf(buf, len, "in use%s", more);
	else {
		holder_since(&st->w, since, sizeof(since));
		snprintf(buf, len, "in use by %s (pid %ld) since %s%s",
		    st->w.peer, (long)st->w.pid, since, more);
	}
}

static void
vis(char *buf, size_t len, const char *s)
{
	msg_vis(buf, len, s, strlen(s));
}

static void
line_script(FILE *fp, const struct console *c, const struct status *st)
{
	char	 vname[NAME_LEN * 4 + 1], vdev[PATH_MAX * 4 + 1];
	char	 vpeer[PEER_LEN * 4 + 1], pid[24] = "-", since[24] = "-";
	char	 logger[24] = "-";

	vis(vname, sizeof(vname), c->name);
	vis(vdev, sizeof(vdev), c->device[0] != '\0' ? c->device : "-");
	strlcpy(vpeer, "-", sizeof(vpeer));
	if (st->state == ST_BUSY && st->known) {
		snprintf(pid, sizeof(pid), "%ld", (long)st->w.pid);
		snprintf(since, sizeof(since), "%lld",
		    (long long)st->w.since);
		if (st->w.peer[0] != '\0')
			vis(vpeer, sizeof(vpeer), st->w.peer);
	}
	if (st->logger != 0)
		snprintf(logger, sizeof(logger), "%ld", (long)st->logger);
	fprintf(fp, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t"
	    "%s\n", vname, vdev, st_word[st->state], pid, vpeer, since, logger,
	    st->viewers, st->counters[0], st->counters[1], st->counters[2],
	    st->counters[3], st->counters[4], st->counters[5]);
}

/*
 * Every console in consdir, in the form how asks for, to fp. The
 * console directory unreadable is fatal for -l and an error for -m.
 */
int
list_consoles(FILE *fp, const char *consdir, const char *rundir, int how)
{
	struct dirent	**ents;
	struct console	  c;
	struct status	  st;
	char		  text[PEER_LEN + 192], vname[NAME_LEN * 4 + 1];
	char		  vdev[PATH_MAX * 4 + 1], vtext[sizeof(text) * 4 + 1];
	const char	 *eol = how == LIST_MENU ? "\r\n" : "\n";
	int		  i, n, found;

	if ((n = scandir(consdir, &ents, NULL, alphasort)) == -1) {
		if (how != LIST_MENU)
			fatal(EX_NOINPUT, "console directory %s", consdir);
		return -1;
	}
	if (how == LIST_TABLE)
		fprintf(fp, "%-16s %-24s %s\n", "NAME", "DEVICE", "STATE");
	for (i = 0; i < n; i++) {
		if (console_name_ok(ents[i]->d_name)) {
			found = console_find(&c, consdir, ents[i]->d_name);
			status_of(&st, rundir, &c, found);
			if (how == LIST_SCRIPT)
				line_script(fp, &c, &st);
			else {
				status_text(text, sizeof(text), &st);
				vis(vname, sizeof(vname), c.name);
				vis(vtext, sizeof(vtext), text);
				if (how == LIST_MENU)
					fprintf(fp, "  %-16s %s%s", vname,
					    vtext, eol);
				else {
					vis(vdev, sizeof(vdev), c.device);
					fprintf(fp, "%-16s %-24s %s%s", vname,
					    vdev, vtext, eol);
				}
				if (how == LIST_TABLE && st.logger != 0)
					share_list(rundir, st.lname);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}
