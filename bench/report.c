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
 * The printed tables: for each figure and relay, the median [min..max]
 * and the ratio to the best of the peers; the same medians as ratios to
 * the floor; then the product's targets.
 */

#include <stdio.h>

#include "bench.h"

static const char *figname[] = {
	"connect to first echo (us)",
	"keystroke round trip (us)",
	"split write, one way (us)",
	"  the second half, apart (us)",
	"guest to client (MiB/s)",
	"  skipped by the logger (%)",
	"client to guest (MiB/s)",
	"peak RSS per connection (KiB)",
	"private memory per connection (KiB)",
	"PSS per connection (KiB)",
	"CPU guest to client (ms/MiB)",
	"  of which conslog's (ms/MiB)",
	"CPU client to guest (ms/MiB)",
	"conslog peak RSS (KiB)",
	"conslog private, idle (KiB)",
};
static const int higher_better[F_NFIG] = { [F_G2C] = 1, [F_C2G] = 1 };
/* pooled samples (latencies) or one value per repetition */
static const int pooled[F_NFIG] = { [F_CONNECT] = 1, [F_KEY] = 1,
    [F_SPLIT] = 1, [F_APART] = 1 };

static struct relay *
relay_of(enum kind k)
{
	int	 i;

	for (i = 0; i < nrelay; i++)
		if (relays[i].kind == k)
			return &relays[i];
	return NULL;
}

/* "N of M": the samples over limit (a Nagle stall is 40 ms or more). */
static const char *
over(struct samples *s, double limit)
{
	static char	 cell[32];
	size_t		 i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->v[i] > limit)
			n++;
	snprintf(cell, sizeof(cell), "%zu of %zu", n, s->n);
	return cell;
}

static void
target(const char *what, double v, double limit, int atleast)
{
	if (v < 0)
		return;
	printf("  %-58s %6.2f %s %5.2f  %s\n", what, v, atleast ? ">=" : "<=",
	    limit, (atleast ? v >= limit : v <= limit) ? "met" : "MISSED");
}

/* a / b of the medians of figure f, -1 if either has none */
static double
ratio(struct relay *a, struct relay *b, enum fig f)
{
	double	 x = med(a, f), y = med(b, f);

	return x < 0 || y <= 0 ? -1 : x / y;
}

/* The product's targets, from the medians of this run. */
static void
targets(struct relay *cl, struct relay *lg)
{
	struct relay	*so = relay_of(K_SOCAT), *di = relay_of(K_DIRECT);
	struct relay	*s2 = relay_of(K_SER2NET), *s3 = relay_of(K_SER2NET_ND);
	struct relay	*fl = relay_of(K_FLOOR);
	double		 best[2] = { -1, -1 }, v;
	int		 f, i;

	if (cl == NULL)
		return;
	printf("\ntargets (%s raw under tcpserver unless said):\n",
	    cl->name);
	if (fl != NULL) {
		target("split write / the floor's", ratio(cl, fl, F_SPLIT),
		    1.2, 0);
		target("split write, apart / the floor's",
		    ratio(cl, fl, F_APART), 1.2, 0);
		target("keystroke round trip / the floor's",
		    ratio(cl, fl, F_KEY), 1.1, 0);
		target("keystroke round trip p99 / the floor's p99",
		    quantile(&cl->s[F_KEY], 0.99) /
		    quantile(&fl->s[F_KEY], 0.99), 1.3, 0);
		target("connect to first echo / the dynamic floor's",
		    ratio(cl, fl, F_CONNECT), 1.3, 0);
		target("PSS per connection / the dynamic floor's",
		    ratio(cl, fl, F_PSS), 1.5, 0);
	}
	if (so != NULL) {
		target("connect to first echo / tcpserver+socat's",
		    med(cl, F_CONNECT) / med(so, F_CONNECT), 0.4, 0);
		target("keystroke round trip / socat's",
		    med(cl, F_KEY) / med(so, F_KEY), 1.0, 0);
		target("peak RSS per connection / socat's",
		    med(cl, F_RSS) / med(so, F_RSS), 0.5, 0);
	}
	target("keystroke round trip p99 / its median",
	    quantile(&cl->s[F_KEY], 0.99) / med(cl, F_KEY), 1.3, 0);
	for (i = 0, f = F_G2C; i < 2; i++, f = F_C2G) {
		struct relay *p[3] = { so, s2, s3 };
		int j;

		for (j = 0; j < 3; j++)
			if ((v = med(p[j], f)) > best[i])
				best[i] = v;
	}
	if (best[0] > 0)
		target("guest to client / best peer's", med(cl, F_G2C) /
		    best[0], 0.95, 1);
	if (best[1] > 0)
		target("client to guest / best peer's", med(cl, F_C2G) /
		    best[1], 0.95, 1);
	if (lg == NULL)
		return;
	if (di != NULL)
		target("through conslog, guest to client / direct pty's",
		    ratio(lg, di, F_G2C), 0.9, 1);
	target("through conslog, connect / conslet's without it",
	    ratio(lg, cl, F_CONNECT), 1.5, 0);
	target("through conslog, skipped by the logger (%, worst run)",
	    quantile(&lg->s[F_LOST], 1), 0, 0);
	target("conslog private memory, idle, default ring (MiB)",
	    med(lg, F_LOGPRIV) / 1024, 1.0, 0);
}

/* Every median as a ratio to the dynamic floor's. */
static void
floor_ratios(void)
{
	struct relay	*fl = relay_of(K_FLOOR);
	int		 f, i;

	if (fl == NULL)
		return;
	printf("\nthe same medians as ratios to the floor's (dynamic):\n");
	printf("%-36s", "figure");
	for (i = 0; i < nrelay; i++)
		printf(" %12.12s", relays[i].name);
	printf("\n");
	for (f = 0; f < F_NFIG; f++) {
		if (med(fl, f) <= 0)
			continue;
		printf("%-36s", figname[f]);
		for (i = 0; i < nrelay; i++) {
			double	 v = ratio(&relays[i], fl, f);

			if (v < 0)
				printf(" %12s", "-");
			else
				printf(" %11.2fx", v);
		}
		printf("\n");
	}
}

void
report(void)
{
	double	 md[NKIND][F_NFIG];
	int	 f, i;

	printf("\n%-36s", "figure");
	for (i = 0; i < nrelay; i++)
		printf(" %26s", relays[i].name);
	printf("\n");
	for (f = 0; f < F_NFIG; f++) {
		double	 best = -1;
		int	 any = 0;

		for (i = 0; i < nrelay; i++) {
			struct relay *r = &relays[i];

			md[i][f] = quantile(&r->s[f], 0.5);
			if (r->s[f].n > 0)
				any = 1;
			/* the peers: socat and ser2net */
			if (r->kind < K_SOCAT || r->s[f].n == 0)
				continue;
			if (best < 0 || (higher_better[f] ?
			    md[i][f] > best : md[i][f] < best))
				best = md[i][f];
		}
		if (!any)
			continue;
		printf("%-36s", figname[f]);
		for (i = 0; i < nrelay; i++) {
			struct relay *r = &relays[i];
			char	 cell[64], ratio[16] = "";

			if (r->s[f].n == 0) {
				printf(" %26s", "-");
				continue;
			}
			if (best > 0)
				snprintf(ratio, sizeof(ratio), " %.2fx",
				    md[i][f] / best);
			snprintf(cell, sizeof(cell), "%.4g [%.4g..%.4g]%s",
			    md[i][f], quantile(&r->s[f], 0),
			    quantile(&r->s[f], 1), ratio);
			printf(" %26s", cell);
		}
		printf("\n");
		if (f == F_KEY || f == F_CONNECT || f == F_SPLIT ||
		    f == F_APART) {
			printf("%-36s", "  p99");
			for (i = 0; i < nrelay; i++) {
				struct relay *r = &relays[i];
				char	 cell[64];

				if (r->s[f].n == 0) {
					printf(" %26s", "-");
					continue;
				}
				snprintf(cell, sizeof(cell), "%.4g (%.2fx median)",
				    quantile(&r->s[f], 0.99),
				    quantile(&r->s[f], 0.99) / md[i][f]);
				printf(" %26s", cell);
			}
			printf("\n");
			printf("%-36s", "  samples over 30 ms");
			for (i = 0; i < nrelay; i++)
				printf(" %26s", relays[i].s[f].n == 0 ? "-" :
				    over(&relays[i].s[f], 30000));
			printf("\n");
		}
	}
	printf("\nmedian [min..max] over %s; ratio: to the best of socat "
	    "and ser2net\n", "all samples (latencies) or repetitions");
	for (i = 0; i < nrelay; i++)
		if (relays[i].failed)
			printf("%s: %d failed sessions\n", relays[i].name,
			    relays[i].failed);
	(void)pooled;
	floor_ratios();
	targets(relay_of(K_CONSLET), relay_of(K_CONSLOG));
	targets(relay_of(K_CONSLET_B), relay_of(K_CONSLOG_B));
}
