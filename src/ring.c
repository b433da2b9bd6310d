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
 * missed: everything below ring_oldest().  Its size is what -b asks for;
 * while a reader is further behind, it stretches (ring_hold), and it
 * comes back when the caller says (ring_rest): the memory it took goes
 * back to the system at once.
 */

#include <sys/types.h>
#include <sys/mman.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "conslog.h"

/*
 * The ring's mapping: max bytes of address space, of which only the
 * first size are memory (the rest is PROT_NONE: no memory, nothing
 * charged for it), so that the ring stretches in place.
 */
static unsigned char *
ring_map(size_t max, size_t size)
{
	void	*p;

	p = mmap(NULL, max, PROT_NONE, MAP_PRIVATE | MAP_ANON, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, size, PROT_READ | PROT_WRITE) == -1) {
		(void)munmap(p, max);
		return NULL;
	}
	return p;
}

int
ring_init(struct ring *r, size_t want)
{
	size_t	 size;

	for (size = RING_MIN; size < want; size <<= 1)
		;
	r->max = size <= RING_MAX / RING_STRETCH ? size * RING_STRETCH :
	    RING_MAX;
	if (r->max < size)
		r->max = size;
	if ((r->data = ring_map(r->max, size)) == NULL)
		return -1;
	r->size = r->base = size;
	r->start = r->head = 0;
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
	uint64_t	 o = r->head > r->size ? r->head - r->size : 0;

	return o > r->start ? o : r->start;
}

/*
 * Twice the size, in place: a byte at pos sits at pos mod size, and goes
 * to pos mod 2 size, the same place or size further, in the new half.
 */
static int
ring_double(struct ring *r)
{
	size_t		 size = r->size, at, n;
	uint64_t	 pos;

	if (mprotect(r->data + size, size, PROT_READ | PROT_WRITE) == -1)
		return -1;
	r->start = ring_oldest(r);
	for (pos = r->start; pos < r->head; pos += n) {
		at = pos & (size - 1);
		n = size - at < r->head - pos ? size - at : r->head - pos;
		if (pos & size)
			memcpy(r->data + size + at, r->data + at, n);
	}
	r->size = size * 2;
	return 0;
}

/* Back to its own size, in a new mapping: the memory goes back. */
static int
ring_back(struct ring *r)
{
	const unsigned char	*p;
	unsigned char		*data;
	uint64_t		 start, pos;
	size_t			 size = r->base, n, at, first;

	if ((data = ring_map(r->max, size)) == NULL)
		return -1;
	start = ring_oldest(r);
	if (r->head - start > size)
		start = r->head - size;
	for (pos = start; (n = ring_peek(r, pos, &p)) > 0; pos += n) {
		at = pos & (size - 1);
		first = size - at < n ? size - at : n;
		memcpy(data + at, p, first);
		memcpy(data, p + first, n - first);
	}
	(void)munmap(r->data, r->max);
	r->data = data;
	r->size = size;
	r->start = start;
	return 0;
}

/*
 * Room for n more bytes without losing any from keep on: the ring
 * doubles, up to max, while keep is further behind than it holds.
 * Without the memory to stretch it stays as it is, and the reader that
 * is behind skips, as it would at max.
 */
void
ring_hold(struct ring *r, uint64_t keep, size_t n)
{
	uint64_t	 need = r->head - keep + n;

	while (r->size < need && r->size < r->max)
		if (ring_double(r) == -1)
			break;
}

/* Back to its own size, if keep is within half of that. */
void
ring_rest(struct ring *r, uint64_t keep)
{
	if (r->size > r->base && r->head - keep <= r->base / 2)
		(void)ring_back(r);
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
	/* the byte before start says; before the oldest, none is held */
	if (start == 0 || (start > ring_oldest(r) &&
	    r->data[(start - 1) & (r->size - 1)] == '\n'))
		return start;
	for (pos = start; (n = ring_peek(r, pos, &p)) > 0; pos += n)
		for (i = 0; i < n; i++)
			if (p[i] == '\n')
				return pos + i + 1 < r->head ?
				    pos + i + 1 : start;
	return start;
}
