/* memlink's event heap and integer map (see memlink_queue.h). */
#include "link/memlink_queue.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- Event heap --------------------------------------------------------- */

static bool pkt_before(const struct ml_pkt *a, const struct ml_pkt *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

int ml_heap_push(struct ml_heap *h, struct ml_pkt *p)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct ml_pkt **v = realloc(h->v, cap * sizeof(*v));
		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!pkt_before(p, h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = p;
	return 0;
}

struct ml_pkt *ml_heap_top(const struct ml_heap *h)
{
	return h->len ? h->v[0] : NULL;
}

struct ml_pkt *ml_heap_pop(struct ml_heap *h)
{
	if (!h->len)
		return NULL;
	struct ml_pkt *top = h->v[0];
	struct ml_pkt *last = h->v[--h->len];
	size_t i = 0, n = h->len;
	/* Sift the last element down from the root. */
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pkt_before(h->v[c + 1], h->v[c]))
			c++;
		if (!pkt_before(h->v[c], last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (n)
		h->v[i] = last;
	return top;
}

void ml_heap_free(struct ml_heap *h)
{
	for (size_t i = 0; i < h->len; i++)
		free(h->v[i]);
	free(h->v);
	h->v = NULL;
	h->len = h->cap = 0;
}

/* ---- Integer map -------------------------------------------------------- */

static size_t map_slot(unsigned bits, uint64_t key)
{
	/* Fibonacci hashing: the high bits of the product mix every key bit. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - bits));
}

uint32_t ml_map_get(const struct ml_map *m, uint64_t key)
{
	if (!m->bits)
		return ML_MAP_NONE;
	size_t mask = ((size_t)1 << m->bits) - 1;
	for (size_t i = map_slot(m->bits, key);; i = (i + 1) & mask) {
		if (m->vals[i] == ML_MAP_NONE)
			return ML_MAP_NONE;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

/* Insert into a table known to have room (load stays at most 1/2). */
static void map_insert(uint64_t *keys, uint32_t *vals, unsigned bits, uint64_t key, uint32_t val,
		       size_t *len)
{
	size_t mask = ((size_t)1 << bits) - 1;
	size_t i = map_slot(bits, key);
	while (vals[i] != ML_MAP_NONE && keys[i] != key)
		i = (i + 1) & mask;
	if (vals[i] == ML_MAP_NONE)
		(*len)++;
	keys[i] = key;
	vals[i] = val;
}

static int map_grow(struct ml_map *m)
{
	unsigned bits = m->bits ? m->bits + 1 : 4;
	size_t cap = (size_t)1 << bits;
	uint64_t *keys = malloc(cap * sizeof(*keys));
	uint32_t *vals = malloc(cap * sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		errno = ENOMEM;
		return -1;
	}
	memset(vals, 0xff, cap * sizeof(*vals)); /* every slot ML_MAP_NONE */
	size_t len = 0;
	if (m->bits) {
		size_t old = (size_t)1 << m->bits;
		for (size_t i = 0; i < old; i++)
			if (m->vals[i] != ML_MAP_NONE)
				map_insert(keys, vals, bits, m->keys[i], m->vals[i], &len);
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->bits = bits;
	m->len = len;
	return 0;
}

int ml_map_put(struct ml_map *m, uint64_t key, uint32_t val)
{
	if ((m->len + 1) * 2 > ((size_t)1 << m->bits))
		if (map_grow(m) < 0)
			return -1;
	map_insert(m->keys, m->vals, m->bits, key, val, &m->len);
	return 0;
}

void ml_map_clear(struct ml_map *m)
{
	if (m->bits)
		memset(m->vals, 0xff, ((size_t)1 << m->bits) * sizeof(*m->vals));
	m->len = 0;
}

void ml_map_free(struct ml_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
