/*
 * MSG_ZEROCOPY on TCP (Documentation/networking/msg_zerocopy.rst, Linux
 * tcp_sendmsg_locked): the send call's completion record (errqueue.c)
 * and the send buffers' page fragments.
 *
 * A record is released, and its notification queued, once SND.UNA passes
 * the last byte of its calls (Linux: when the skb holding them is freed,
 * which is when it is acknowledged), or when the connection ends with
 * data unacknowledged (tcp_write_queue_purge on a RST or a timeout).
 * Linux frees whole skbs, so a call whose last byte shares a buffer with
 * later bytes is released there only when those are acked too; we release
 * at the call's own last byte.
 *
 * Linux attaches a MSG_ZEROCOPY call's pages to the send buffer as
 * fragments, one per run of contiguous bytes within a page, at most
 * net.core.max_skb_frags (17) per buffer; a buffer out of fragments gets
 * PSH (tcp_mark_push) and the next bytes start a new one, which is never
 * merged with it on the way out (skb_shift refuses zerocopy skbs). The
 * buffer layout, and so the segments, follow those fragments here too
 * (zerocopy/maxfrags.pkt), although the bytes are copied.
 */
#include <errno.h>
#include <stdlib.h>

#include "socket/errqueue.h"
#include "tcp/tcp.h"

#define ZC_PAGE 4096u /* PAGE_SIZE: fragments never cross a page */

/* A socket's MSG_ZEROCOPY state, allocated at its first MSG_ZEROCOPY
 * send and freed with it (tp->zc): completion records oldest first, the
 * one of the send in progress, and the fragments of the last send buffer
 * (which starts at buf_start; the last piece ended at address next_addr). */
struct tcp_zc {
	struct zc_uarg *head, *tail, *cur;
	uint32_t buf_start;
	unsigned frags;
	uintptr_t next_addr;
};

static uint32_t write_seq(const struct tcp_sock *tp)
{
	return tcp_sndq_seq(tp) + tp->sndq.len; /* ISS+1 based behind a Fast Open SYN */
}

int tcp_zc_begin(struct tcp_sock *tp)
{
	if (!tp->zc && !(tp->zc = calloc(1, sizeof(*tp->zc)))) {
		errno = ENOBUFS;
		return -1;
	}
	struct tcp_zc *z = tp->zc;
	/* The newest record may take this call while its data has not all
	 * left: Linux extends the uarg of the unsent tail skb. */
	struct zc_uarg *last = z->tail;
	if (last && (last->end != write_seq(tp) || !seq_gt(last->end, tp->snd_nxt)))
		last = NULL;
	struct zc_uarg *u = sock_zc_get(&tp->sk, last);
	if (!u)
		return -1;
	if (u != last) {
		u->end = write_seq(tp);
		if (z->tail)
			z->tail->next = u;
		else
			z->head = u;
		z->tail = u;
	}
	z->cur = u;
	return 0;
}

void tcp_zc_end(struct tcp_sock *tp, bool took)
{
	int e = errno;
	struct tcp_zc *z = tp->zc;
	struct zc_uarg *u = z ? z->cur : NULL;
	if (!u)
		return;
	z->cur = NULL;
	if (took) {
		u->end = write_seq(tp);
	} else if (sock_zc_abort(&tp->sk, u)) {
		/* The call's new record held nothing: it is the tail. */
		struct zc_uarg **pp = &z->head, *prev = NULL;
		while (*pp != u) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = NULL;
		z->tail = prev;
	}
	errno = e;
}

void tcp_zc_acked(struct tcp_sock *tp)
{
	struct tcp_zc *z = tp->zc;
	for (unsigned guard = 0; z && z->head && guard < 1u << 20; guard++) {
		struct zc_uarg *u = z->head;
		if (u == z->cur || seq_gt(u->end, tp->snd_una))
			return;
		z->head = u->next;
		if (!z->head)
			z->tail = NULL;
		sock_zc_complete(&tp->sk, u);
	}
}

void tcp_zc_purge(struct tcp_sock *tp)
{
	struct tcp_zc *z = tp->zc;
	if (!z)
		return;
	for (unsigned guard = 0; z->head && guard < 1u << 20; guard++) {
		struct zc_uarg *u = z->head;
		z->head = u->next;
		sock_zc_complete(&tp->sk, u);
	}
	z->head = z->tail = NULL;
	z->cur = NULL;
}

void tcp_zc_free(struct tcp_sock *tp)
{
	struct tcp_zc *z = tp->zc;
	while (z && z->head) {
		struct zc_uarg *u = z->head;
		z->head = u->next;
		free(u);
	}
	free(z);
	tp->zc = NULL;
	sock_errq_free(&tp->sk);
}

/* The last buffer ran out of fragments: PSH, and it takes no more bytes
 * and no segment spans its end (a record end does both: push.c, output.c). */
static void zc_buffer_full(struct tcp_sock *tp)
{
	uint32_t end = write_seq(tp);
	tcp_mark_push(tp);
	tcp_eor_prune(tp);
	if (!tp->eor && !(tp->eor = malloc(TCP_EOR_MAX * sizeof(*tp->eor))))
		return;
	if (tp->neor < TCP_EOR_MAX && (!tp->neor || tp->eor[tp->neor - 1] != end))
		tp->eor[tp->neor++] = end;
}

/*
 * Append n bytes of one iovec entry as MSG_ZEROCOPY fragments: a piece
 * per page the entry touches, joined to the previous piece when it
 * continues it in the same page (skb_can_coalesce). A buffer that holds
 * bytes we did not count (copied ones) is one page fragment so far.
 */
uint32_t tcp_zc_append(struct tcp_sock *tp, const void *buf, uint32_t n)
{
	struct tcp_zc *z = tp->zc; /* tcp_zc_begin made it */
	unsigned max = tp->sk.st->cfg.max_skb_frags > 0 ? (unsigned)tp->sk.st->cfg.max_skb_frags : 1;
	uint32_t took = 0;
	for (unsigned guard = 0; took < n && guard < 1u << 22; guard++) {
		uintptr_t a = (uintptr_t)buf + took;
		uint32_t piece = ZC_PAGE - (uint32_t)(a % ZC_PAGE);
		if (piece > n - took)
			piece = n - took;
		bool open = tcp_skb_tail_open(tp);
		uint32_t start = tcp_skb_last_start(tp);
		if (!open) {
			z->frags = 0;
		} else if (start != z->buf_start) {
			z->frags = 1;
			z->buf_start = start;
		}
		bool joins = open && a == z->next_addr && a % ZC_PAGE != 0;
		if (!joins) {
			if (z->frags >= max) {
				zc_buffer_full(tp);
				z->frags = 0;
			}
			z->frags++;
		}
		uint32_t got = tcp_append_data(tp, (const char *)buf + took, piece);
		took += got;
		z->next_addr = a + got;
		/* A new buffer may have started in this piece (the size goal). */
		start = tcp_skb_last_start(tp);
		if (start != z->buf_start) {
			z->buf_start = start;
			z->frags = got ? 1 : 0;
		}
		if (got < piece)
			break;
	}
	return took;
}
