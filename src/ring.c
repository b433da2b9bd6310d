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
 * The ring of recent output. Positions are absolute byte counts since the
 * logger started, so a reader that fell behind knows exactly how much it
 * missed: everything below ring_oldest().
 */

#include <sys/types.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "conslog.h"

int
ring_init(struct ring *r, size_t want)
{
	size_t	 size;

	for (size = RING_MIN; size < want; size <<= 1)
		;
	if ((r->data = malloc(size)) == NULL)
		return -1;
	r->size = size;
	r->head = 0;
	return 0;
}

void
ring_add(struct ring *r, const unsigned char *p, size_t n)
{
	size_t	 at, first;

	if (n > r->size) {		/* only the last size bytes stay */
		r->head += n - r->size;
		p += n - r->size;
		n = r->size;
	}
	at = r->head & (r->size - 1);
	first = r->size - at < n ? r->size - at : n;
	memcpy(r->data + at, p, first);
	memcpy(r->data, p + first, n - first);
	r->head += n;
}

uint64_t
ring_oldest(const struct ring *r)
{
	return r->head > r->size ? r->head - r->size : 0;
}

/* The contiguous bytes held from pos on; pos must be in the ring. */
size_t
ring_peek(const struct ring *r, uint64_t pos, const unsigned char **p)
{
	size_t	 at, n;

	if (pos < ring_oldest(r) || pos >= r->head)
		return 0;
	at = pos & (r->size - 1);
	n = r->size - at;
	if (n > r->head - pos)
		n = r->head - pos;
	*p = r->data + at;
	return n;
}

/*
 * Where a replay of about want bytes starts: at a line start, unless the
 * window holds no line end at all.
 */
uint64_t
ring_replay(const struct ring *r, size_t want)
{
	const unsigned char	*p;
	uint64_t		 start, pos;
	size_t			 n, i;

	if (want == 0)
		return r->head;
	start = r->head > want ? r->head - want : 0;
	if (start < ring_oldest(r))
		start = ring_oldest(r);
	if (start == 0 || r->data[(start - 1) & (r->size - 1)] == '\n')
		return start;
	for (pos = start; (n = ring_peek(r, pos, &p)) > 0; pos += n)
		for (i = 0; i < n; i++)
			if (p[i] == '\n')
				return pos + i + 1 < r->head ?
				    pos + i + 1 : start;
	return start;
}
