#include <stdlib.h>
#include <string.h>

#include "tcp/buf.h"

#define RING_MIN 4096u /* the first block; small queues stay small */

/*
 * Make the block hold at least need bytes (need <= max): memory follows
 * what is queued, doubling up to max, so a connection whose buffer
 * autotuning allowed megabytes holds only what it really queues. The
 * first keep bytes from the head (in-order data and, in a receive queue,
 * out-of-order data stored past it) move to the new block.
 */
static bool ring_reserve(struct ring *r, uint32_t need, uint32_t keep, uint32_t max)
{
	if (r->mem && r->cap >= need)
		return true;
	uint32_t size = r->cap ? r->cap : r->hint > RING_MIN ? r->hint : RING_MIN;
	if (size > max)
		size = max;
	while (size < need && size < max)
		size = size > max / 2 ? max : size * 2;
	if (size < need)
		size = need;
	uint8_t *mem = malloc(size);
	if (!mem)
		return false;
	if (r->mem) {
		ring_peek(r, 0, mem, keep);
		free(r->mem);
	}
	r->mem = mem;
	r->cap = size;
	r->head = 0;
	return true;
}

static void ring_copy_in(struct ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->mem + pos, src, first);
	memcpy(r->mem, (const uint8_t *)src + first, n - first);
}

uint32_t ring_append(struct ring *r, uint32_t cap, const void *src, uint32_t n)
{
	if (cap < r->len)
		cap = r->len;
	uint32_t room = cap - r->len;
	if (n > room)
		n = room;
	if (n == 0 || !ring_reserve(r, r->len + n, r->len, cap))
		return 0;
	ring_copy_in(r, r->len, src, n);
	r->len += n;
	return n;
}

void ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
	if (n == 0)
		return;
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(dst, r->mem + pos, first);
	memcpy((uint8_t *)dst + first, r->mem, n - first);
}

void ring_consume(struct ring *r, uint32_t n)
{
	if (n >= r->len) {
		ring_free(r);
		return;
	}
	r->head = (r->head + n) % r->cap;
	r->len -= n;
}

void ring_free(struct ring *r)
{
	free(r->mem);
	r->mem = NULL;
	if (r->cap)
		r->hint = r->cap;
	r->cap = r->head = r->len = 0;
}

/* Insert [s, e) into the sorted, disjoint range list, merging neighbours. */
static bool ooo_insert(struct rcvq *q, uint32_t s, uint32_t e)
{
	unsigned i = 0;
	while (i < q->nooo && q->ooo[i].end < s)
		i++;
	unsigned j = i;
	while (j < q->nooo && q->ooo[j].start <= e) {
		if (q->ooo[j].start < s)
			s = q->ooo[j].start;
		if (q->ooo[j].end > e)
			e = q->ooo[j].end;
		j++;
	}
	if (i == j && q->nooo == OOO_MAX)
		return false;
	/* Ranges i..j-1 collapse into one at i. */
	unsigned removed = j - i;
	if (removed == 0) {
		memmove(&q->ooo[i + 1], &q->ooo[i], (q->nooo - i) * sizeof(q->ooo[0]));
		q->nooo++;
	} else if (removed > 1) {
		memmove(&q->ooo[i + 1], &q->ooo[j], (q->nooo - j) * sizeof(q->ooo[0]));
		q->nooo -= removed - 1;
	}
	q->ooo[i].start = s;
	q->ooo[i].end = e;
	return true;
}

bool rcvq_write(struct rcvq *q, uint32_t cap, uint32_t off, const void *src, uint32_t n,
		uint32_t *advanced)
{
	*advanced = 0;
	if (n == 0)
		return true;
	/* Out-of-order bytes sit past the in-order ones up to the last
	 * range's end; all of it survives a move to a bigger block. */
	uint32_t keep = q->r.len + (q->nooo ? q->ooo[q->nooo - 1].end : 0);
	uint32_t need = q->r.len + off + n;
	if (need < keep)
		need = keep;
	if (!ring_reserve(&q->r, need, keep, cap < need ? need : cap))
		return false;
	if (off == 0 && q->nooo == 0) {
		/* The common case: in order, no holes. */
		ring_copy_in(&q->r, q->r.len, src, n);
		q->r.len += n;
		*advanced = n;
		return true;
	}
	if (!q->ooo && !(q->ooo = malloc(OOO_MAX * sizeof(*q->ooo))))
		return false;
	if (!ooo_insert(q, off, off + n))
		return false;
	ring_copy_in(&q->r, q->r.len + off, src, n);
	if (q->ooo[0].start != 0)
		return true;
	/* The first range now touches in-order data: it joins it, and every
	 * other offset shifts down by the same amount. */
	uint32_t k = q->ooo[0].end;
	memmove(&q->ooo[0], &q->ooo[1], (q->nooo - 1) * sizeof(q->ooo[0]));
	q->nooo--;
	for (unsigned i = 0; i < q->nooo; i++) {
		q->ooo[i].start -= k;
		q->ooo[i].end -= k;
	}
	q->r.len += k;
	*advanced = k;
	return true;
}

void rcvq_consume(struct rcvq *q, uint32_t n)
{
	if (n >= q->r.len && q->nooo == 0) {
		rcvq_free(q);
		return;
	}
	if (n > q->r.len)
		n = q->r.len;
	q->r.head = (q->r.head + n) % q->r.cap;
	q->r.len -= n;
}

void rcvq_free(struct rcvq *q)
{
	ring_free(&q->r);
	free(q->ooo);
	q->ooo = NULL;
	q->nooo = 0;
}
