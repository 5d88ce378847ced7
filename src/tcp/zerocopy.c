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

static uint32_t write_seq(const struct tcp_sock *tp)
{
	return tcp_sndq_seq(tp) + tp->sndq.len; /* ISS+1 based behind a Fast Open SYN */
}

int tcp_zc_begin(struct tcp_sock *tp)
{
	/* The newest record may take this call while its data has not all
	 * left: Linux extends the uarg of the unsent tail skb. */
	struct zc_uarg *last = tp->zc_tail;
	if (last && (last->end != write_seq(tp) || !seq_gt(last->end, tp->snd_nxt)))
		last = NULL;
	struct zc_uarg *u = sock_zc_get(&tp->sk, last);
	if (!u)
		return -1;
	if (u != last) {
		u->end = write_seq(tp);
		if (tp->zc_tail)
			tp->zc_tail->next = u;
		else
			tp->zc_head = u;
		tp->zc_tail = u;
	}
	tp->zc_cur = u;
	return 0;
}

void tcp_zc_end(struct tcp_sock *tp, bool took)
{
	int e = errno;
	struct zc_uarg *u = tp->zc_cur;
	tp->zc_cur = NULL;
	if (!u)
		return;
	if (took) {
		u->end = write_seq(tp);
	} else if (sock_zc_abort(&tp->sk, u)) {
		/* The call's new record held nothing: it is the tail. */
		struct zc_uarg **pp = &tp->zc_head, *prev = NULL;
		while (*pp != u) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = NULL;
		tp->zc_tail = prev;
	}
	errno = e;
}

void tcp_zc_acked(struct tcp_sock *tp)
{
	for (unsigned guard = 0; tp->zc_head && guard < 1u << 20; guard++) {
		struct zc_uarg *u = tp->zc_head;
		if (u == tp->zc_cur || seq_gt(u->end, tp->snd_una))
			return;
		tp->zc_head = u->next;
		if (!tp->zc_head)
			tp->zc_tail = NULL;
		sock_zc_complete(&tp->sk, u);
	}
}

void tcp_zc_purge(struct tcp_sock *tp)
{
	for (unsigned guard = 0; tp->zc_head && guard < 1u << 20; guard++) {
		struct zc_uarg *u = tp->zc_head;
		tp->zc_head = u->next;
		sock_zc_complete(&tp->sk, u);
	}
	tp->zc_head = tp->zc_tail = NULL;
	tp->zc_cur = NULL;
}

void tcp_zc_free(struct tcp_sock *tp)
{
	while (tp->zc_head) {
		struct zc_uarg *u = tp->zc_head;
		tp->zc_head = u->next;
		free(u);
	}
	tp->zc_tail = tp->zc_cur = NULL;
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
			tp->zc_frags = 0;
		} else if (start != tp->zc_buf_start) {
			tp->zc_frags = 1;
			tp->zc_buf_start = start;
		}
		bool joins = open && a == tp->zc_next_addr && a % ZC_PAGE != 0;
		if (!joins) {
			if (tp->zc_frags >= max) {
				zc_buffer_full(tp);
				tp->zc_frags = 0;
			}
			tp->zc_frags++;
		}
		uint32_t got = tcp_append_data(tp, (const char *)buf + took, piece);
		took += got;
		tp->zc_next_addr = a + got;
		/* A new buffer may have started in this piece (the size goal). */
		start = tcp_skb_last_start(tp);
		if (start != tp->zc_buf_start) {
			tp->zc_buf_start = start;
			tp->zc_frags = got ? 1 : 0;
		}
		if (got < piece)
			break;
	}
	return took;
}
