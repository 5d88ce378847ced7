/* memlink's internal containers: the event heap that orders packets in
 * flight, and a small integer map (address -> host, path -> state). */
#ifndef SYNACK_LINK_MEMLINK_QUEUE_H
#define SYNACK_LINK_MEMLINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <synack/synack.h>

/* One packet in flight, owned by the heap until popped. */
struct ml_pkt {
	synack_time_t time;   /* arrival */
	uint64_t seq;         /* insertion order: equal times pop FIFO */
	int from, to;
	size_t len;
	unsigned char data[];
};

/* Binary min-heap keyed by (time, seq). */
struct ml_heap {
	struct ml_pkt **v;
	size_t len, cap;
};

/* 0, or -1 with errno ENOMEM (p is not taken then). */
int ml_heap_push(struct ml_heap *h, struct ml_pkt *p);
/* The earliest packet, NULL if empty. */
struct ml_pkt *ml_heap_top(const struct ml_heap *h);
struct ml_pkt *ml_heap_pop(struct ml_heap *h);
/* Free the heap and every packet still in it. */
void ml_heap_free(struct ml_heap *h);

/* Open-addressing map from 64-bit keys to 32-bit values. No deletion:
 * callers clear and re-insert, which never needs to grow. */
#define ML_MAP_NONE UINT32_MAX

struct ml_map {
	uint64_t *keys;
	uint32_t *vals;   /* ML_MAP_NONE marks an empty slot */
	unsigned bits;    /* capacity is 1 << bits, 0 when unallocated */
	size_t len;
};

uint32_t ml_map_get(const struct ml_map *m, uint64_t key);
/* Insert or replace; val must not be ML_MAP_NONE. 0, or -1 with ENOMEM. */
int ml_map_put(struct ml_map *m, uint64_t key, uint32_t val);
/* Remove every entry, keeping the storage. */
void ml_map_clear(struct ml_map *m);
void ml_map_free(struct ml_map *m);

#endif
