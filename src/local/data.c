/*
 * The data path, as Linux's unix_stream_sendmsg and
 * unix_stream_read_generic: a send cuts its bytes into messages and puts
 * each straight on the peer's receive queue, charged to the sender's
 * send buffer (sk_wmem_alloc) at Linux's truesize until the reader has
 * taken its last byte. A send may start while the charge is below
 * SO_SNDBUF (so it may pass it by one message); the socket is writable
 * (EPOLLOUT) while the charge is at most a quarter of it. The peer's
 * SO_RCVBUF plays no part, as in Linux. No header, checksum, sequence
 * number, window, timer or congestion control: that is the point.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"
#include "socket/socket.h"

#define PAGE 4096u
/* SKB_MAX_HEAD(0) on x86-64: a page less the aligned skb_shared_info. */
#define SKB_MAX_HEAD0 3776u
#define SHINFO_ALIGNED 320u        /* SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) */
#define SKBUFF_ALIGNED 256u        /* SKB_DATA_ALIGN(sizeof(struct sk_buff)) */
#define UNIX_SKB_FRAGS_SZ 32768u   /* PAGE_SIZE << get_order(32768) */

static int fail(int err)
{
	errno = err;
	return -1;
}

/* kmalloc's size classes up to a page (the head never needs more). */
static uint32_t kmalloc_size(uint32_t n)
{
	static const uint32_t cls[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
	for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++)
		if (n <= cls[i])
			return cls[i];
	return (n + PAGE - 1) & ~(PAGE - 1);
}

/* Linux: up to SKB_MAX_HEAD(0) bytes live in a kmalloc'd head, the rest
 * in whole pages (sock_alloc_send_pskb with data_len = min(size,
 * PAGE_ALIGN(size - SKB_MAX_HEAD(0)))), and truesize counts the head's
 * slab object, the sk_buff and the pages. Measured on 6.18: 1 byte 768,
 * 1000 bytes 2304, 36544 bytes 37120. */
uint32_t local_truesize(uint32_t len)
{
	uint32_t data_len = len > SKB_MAX_HEAD0 ? len - SKB_MAX_HEAD0 : 0;
	data_len = (data_len + PAGE - 1) & ~(PAGE - 1);
	if (data_len > len)
		data_len = len;
	uint32_t head = len - data_len;
	uint32_t pages = (data_len + PAGE - 1) & ~(PAGE - 1);
	return kmalloc_size(((head + 63) & ~63u) + SHINFO_ALIGNED) + SKBUFF_ALIGNED + pages;
}

/* "Keep two messages in the pipe": half the send buffer less 64, and no
 * more than a head and UNIX_SKB_FRAGS_SZ of pages. */
uint32_t local_msg_max(int sndbuf)
{
	uint32_t m = (uint32_t)sndbuf / 2 - 64;
	return m < SKB_MAX_HEAD0 + UNIX_SKB_FRAGS_SZ ? m : SKB_MAX_HEAD0 + UNIX_SKB_FRAGS_SZ;
}

/* Messages of a page or more come from and go back to a small cache. */
static struct local_msg *msg_alloc(struct local_ns *ns, uint32_t n)
{
	if (n >= PAGE) {
		for (unsigned i = ns->nmsg_cache; i-- > 0;) {
			struct local_msg *m = ns->msg_cache[i];
			if (m->cap >= n) {
				ns->msg_cache[i] = ns->msg_cache[--ns->nmsg_cache];
				return m;
			}
		}
	}
	struct local_msg *m = malloc(sizeof(*m) + n);
	if (m)
		m->cap = n;
	return m;
}

static void msg_release(struct local_ns *ns, struct local_msg *m)
{
	if (m->cap >= PAGE && ns->nmsg_cache < LOCAL_MSG_CACHE)
		ns->msg_cache[ns->nmsg_cache++] = m;
	else
		free(m);
}

/* A message leaves a receive queue: its sender gets the room back (and
 * a wakeup if that makes it writable, unix_write_space). */
static void msg_free(struct local_msg *m)
{
	struct local_sock *from = m->from;
	bool was = local_writable(from);
	from->wmem -= m->truesize;
	msg_release(from->sk.st->local, m);
	if (!was && local_writable(from))
		sock_wakeup(&from->sk);
	local_put(from);
}

void local_purge(struct local_sock *ls)
{
	while (ls->rq_head) {
		struct local_msg *m = ls->rq_head;
		ls->rq_head = m->next;
		msg_free(m);
	}
	ls->rq_tail = NULL;
	ls->rq_bytes = 0;
}

/* Copy n bytes from the iovec, starting *pos bytes in (pos[0] entry,
 * pos[1] offset in it). */
static void iov_take(const struct iovec *iov, size_t pos[2], unsigned char *dst, size_t n)
{
	while (n) {
		size_t room = iov[pos[0]].iov_len - pos[1];
		if (!room) {
			pos[0]++;
			pos[1] = 0;
			continue;
		}
		size_t c = room < n ? room : n;
		memcpy(dst, (const unsigned char *)iov[pos[0]].iov_base + pos[1], c);
		dst += c;
		n -= c;
		pos[1] += c;
	}
}

/* Linux unix_stream_sendmsg: ENOTCONN without a peer, EPIPE once our
 * sending side or the peer's receiving side is shut (the peer closing
 * shuts both); EAGAIN when the first message finds the buffer full;
 * otherwise the bytes queued (short when the buffer filled). */
ssize_t local_send(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len, int flags)
{
	struct local_sock *ls = local_sk(sk);
	struct local_sock *peer = ls->peer;
	(void)flags; (void)iovcnt;
	if (!peer)
		return fail(ENOTCONN);
	if (sk->shut_wr)
		return fail(EPIPE);
	size_t sent = 0, pos[2] = {0, 0};
	uint32_t cap = local_msg_max(sk->sndbuf);
	int err = 0;
	while (sent < len) {
		if (ls->wmem >= (uint64_t)sk->sndbuf) {
			err = EAGAIN;
			break;
		}
		if (peer->released || peer->sk.shut_rd) {
			err = EPIPE;
			break;
		}
		uint32_t n = len - sent < cap ? (uint32_t)(len - sent) : cap;
		struct local_msg *m = msg_alloc(sk->st->local, n);
		if (!m) {
			err = ENOBUFS;
			break;
		}
		iov_take(iov, pos, m->data, n);
		m->next = NULL;
		m->from = ls;
		m->len = n;
		m->off = 0;
		m->truesize = local_truesize(n);
		local_hold(ls);
		ls->wmem += m->truesize;
		if (peer->rq_tail)
			peer->rq_tail->next = m;
		else
			peer->rq_head = m;
		peer->rq_tail = m;
		peer->rq_bytes += n;
		sent += n;
	}
	if (sent) {
		sock_wakeup(&peer->sk);
		return (ssize_t)sent;
	}
	if (len == 0)
		return 0;
	return fail(err);
}

/* Copy up to len bytes from the queue into the iovec; with MSG_PEEK
 * nothing is taken. Messages are joined as Linux's stream read does. */
static size_t copy_out(struct local_sock *ls, const struct iovec *iov, size_t iovcnt, size_t len,
		       bool peek)
{
	size_t done = 0, vi = 0, voff = 0;
	struct local_msg *m = ls->rq_head;
	uint32_t moff = m ? m->off : 0;
	while (m && done < len && vi < iovcnt) {
		size_t room = iov[vi].iov_len - voff;
		if (!room) {
			vi++;
			voff = 0;
			continue;
		}
		size_t c = m->len - moff;
		if (c > room)
			c = room;
		if (c > len - done)
			c = len - done;
		memcpy((unsigned char *)iov[vi].iov_base + voff, m->data + moff, c);
		voff += c;
		moff += (uint32_t)c;
		done += c;
		if (moff < m->len)
			continue;
		struct local_msg *next = m->next;
		if (!peek) {
			ls->rq_head = next;
			if (!next)
				ls->rq_tail = NULL;
			msg_free(m);
		}
		m = next;
		moff = m ? m->off : 0;
	}
	if (!peek && m && m == ls->rq_head)
		m->off = moff;
	if (!peek)
		ls->rq_bytes -= (uint32_t)done;
	return done;
}

/* Linux unix_stream_read_generic: EINVAL unless connected (a listener
 * too); queued bytes first, even after the peer has gone; then a
 * pending error (ECONNRESET, once), then 0 once our receiving side is
 * shut, else EAGAIN (the core never waits: MSG_WAITALL and SO_RCVLOWAT
 * return what is there, as a non-blocking Linux read does). */
ssize_t local_recv(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len, int flags)
{
	struct local_sock *ls = local_sk(sk);
	if (ls->state != SYNACK_ESTABLISHED)
		return fail(EINVAL);
	if (ls->rq_head) {
		if (!len)
			return 0;
		return (ssize_t)copy_out(ls, iov, iovcnt, len, flags & MSG_PEEK);
	}
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		return fail(e);
	}
	if (sk->shut_rd)
		return 0;
	return fail(EAGAIN);
}
