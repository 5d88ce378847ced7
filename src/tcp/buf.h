/*
 * Byte queues of a connection. Memory is taken when data exists and given
 * back when drained, so an idle connection holds no buffer.
 *
 * The send queue holds bytes from SND.UNA on (sent-unacked, then unsent).
 * The receive queue holds in-order bytes the application has not read,
 * and after them, at their offsets, out-of-order bytes that arrived
 * inside the window; `ooo` lists those ranges (RFC 9293 3.10.7.4, the
 * reassembly the RFC leaves to the implementation).
 */
#ifndef SYNACK_TCP_BUF_H
#define SYNACK_TCP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OOO_MAX 32

struct ring {
	uint8_t *mem;
	uint32_t cap, head, len; /* valid bytes [head, head+len) mod cap */
	uint32_t hint;           /* the block size last used: a queue that drains
				  * and refills starts there, not at the minimum */
};

/* Out-of-order ranges, relative to the end of in-order data, sorted. */
struct ooo_range {
	uint32_t start, end;
};

struct rcvq {
	struct ring r;
	unsigned nooo;
	struct ooo_range *ooo;   /* OOO_MAX entries, allocated at the first hole */
};

/* Append up to n bytes (growing to at most cap); returns bytes taken. */
uint32_t ring_append(struct ring *r, uint32_t cap, const void *src, uint32_t n);
/* Copy n bytes at offset off from the front, without consuming. */
void ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n);
/* Drop n bytes from the front; free the memory when empty. */
void ring_consume(struct ring *r, uint32_t n);
void ring_free(struct ring *r);

/*
 * Store n received bytes at offset off past the in-order data (0 = they
 * are next in order); off + n <= cap - len is the caller's window check.
 * Ranges that now touch the in-order data join it. *advanced gets the
 * bytes that became in-order (the caller moves RCV.NXT by them).
 * Returns false, storing nothing, if out-of-order ranges are exhausted.
 */
bool rcvq_write(struct rcvq *q, uint32_t cap, uint32_t off, const void *src, uint32_t n,
		uint32_t *advanced);
/* The application read n in-order bytes; keeps memory while out-of-order
 * bytes are held. */
void rcvq_consume(struct rcvq *q, uint32_t n);
void rcvq_free(struct rcvq *q);
/* Readable in-order bytes. */
static inline uint32_t rcvq_len(const struct rcvq *q) { return q ? q->r.len : 0; }
/* Bytes held out of order (they take buffer space as Linux's ofo skbs do). */
static inline uint32_t rcvq_ooo_bytes(const struct rcvq *q)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < q->nooo; i++)
		n += q->ooo[i].end - q->ooo[i].start;
	return n;
}

#endif
