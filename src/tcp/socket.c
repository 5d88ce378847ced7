/*
 * TCP's socket operations: the user calls of RFC 9293 3.10 (OPEN, SEND,
 * RECEIVE, CLOSE, ABORT, STATUS) with Linux's errno and readiness rules
 * (LINUX-SEMANTICS 7).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "socket/errqueue.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

static int fail(int err)
{
	errno = err;
	return -1;
}

struct sock *tcp_socket_create(struct synack_stack *st)
{
	struct tcp_sock *tp = tcp_sock_new(st);
	return tp ? &tp->sk : NULL;
}

static int tcp_bind(struct sock *sk, uint32_t addr, uint16_t port)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct synack_stack *st = sk->st;
	if (tp->bound || tp->state != SYNACK_CLOSE)
		return fail(EINVAL);
	if (addr != INADDR_ANY && addr != st->addr)
		return fail(EADDRNOTAVAIL);
	/* Linux SOCK_BINDPORT_LOCK: a port the application named stays
	 * bound after the connection closes; a chosen one goes back. */
	tp->bind_locked = port != 0;
	if (port == 0) {
		int p = tcp_pick_bind_port(st, tp, addr);
		if (p < 0)
			return -1;
		port = (uint16_t)p;
	} else if (tcp_bind_conflict(st, tp, addr, port, true)) {
		return fail(EADDRINUSE);
	}
	tp->laddr = addr;
	tp->lport = port;
	tcp_bind_add(st, tp);
	return 0;
}

static int tcp_listen(struct sock *sk, int backlog)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct synack_stack *st = sk->st;
	/* Linux: min((unsigned)backlog, somaxconn), so negative means the max. */
	unsigned b = (unsigned)backlog;
	if (b > (unsigned)st->cfg.somaxconn)
		b = (unsigned)st->cfg.somaxconn;
	if (tp->state == SYNACK_LISTEN) {
		tp->lsn->backlog = (int)b;
		return 0;
	}
	if (tp->state != SYNACK_CLOSE || tp->hashed)
		return fail(EINVAL);
	if (!tp->bound && tcp_bind(sk, INADDR_ANY, 0) < 0)
		return -1;
	/* Linux inet_csk_listen_start checks the port again: a listener
	 * clashes with any owner its address overlaps, SO_REUSEADDR or not,
	 * unless both have SO_REUSEPORT (LINUX-SEMANTICS 6). */
	if (tcp_bind_conflict(st, tp, tp->laddr, tp->lport, true))
		return fail(EADDRINUSE);
	tp->lsn = calloc(1, sizeof(*tp->lsn));
	if (!tp->lsn)
		return fail(ENOBUFS);
	tp->lsn->backlog = (int)b;
	if (tcp_fastopen_listen(tp, backlog) < 0) {
		free(tp->lsn);
		tp->lsn = NULL;
		return fail(ENOBUFS);
	}
	tcp_set_state(tp, SYNACK_LISTEN, "listen()");
	return 0;
}

void tcp_child_unlink(struct tcp_sock *c)
{
	struct tcp_sock *lsn = c->parent;
	if (!lsn)
		return;
	struct tcp_listen *l = lsn->lsn;
	struct tcp_sock *prev = NULL;
	/* Only the accept queue holds sockets; the SYN queue holds requests. */
	for (struct tcp_sock **pp = &l->acc_head; c->in_accept_queue && *pp;
	     prev = *pp, pp = &(*pp)->qnext) {
		if (*pp != c)
			continue;
		*pp = c->qnext;
		if (l->acc_tail == c)
			l->acc_tail = prev;
		l->accept_len--;
		break;
	}
	c->qnext = NULL;
	c->parent = NULL;
	c->in_accept_queue = false;
}

/* The handshake of a passive child completed: it moves to the accept
 * queue's tail and the listener becomes readable. */
void tcp_child_established(struct tcp_sock *c)
{
	struct tcp_sock *lsn = c->parent;
	struct tcp_listen *l = lsn->lsn;
	tcp_child_unlink(c);
	c->parent = lsn;
	c->in_accept_queue = true;
	c->qnext = NULL;
	if (l->acc_tail)
		l->acc_tail->qnext = c;
	else
		l->acc_head = c;
	l->acc_tail = c;
	l->accept_len++;
	MIB_INC(lsn->sk.st, TCP_PASSIVE_OPENS);
	sock_wakeup(&lsn->sk);
}

static struct sock *tcp_accept(struct sock *sk, int *err)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (tp->state != SYNACK_LISTEN) {
		*err = EINVAL;
		return NULL;
	}
	struct tcp_sock *c = tp->lsn->acc_head;
	if (!c) {
		*err = EAGAIN;
		return NULL;
	}
	tcp_child_unlink(c);
	return &c->sk;
}

int tcp_connect_tfo(struct tcp_sock *tp, uint32_t addr, uint16_t port, struct tcp_tfo_send *d)
{
	struct sock *sk = &tp->sk;
	struct synack_stack *st = sk->st;
	switch (tp->state) {
	case SYNACK_SYN_SENT:
		/* Linux __inet_stream_connect: a TCP_FASTOPEN_CONNECT connect
		 * that waits for the first write counts as connected. */
		if (tp->defer_connect)
			return fail(EISCONN);
		return fail(EALREADY);
	case SYNACK_SYN_RECV:
		return fail(EALREADY);
	case SYNACK_CLOSE:
		break;
	default:
		/* Linux: the first call after a non-blocking connect completed
		 * reports success; later ones EISCONN. */
		if (tp->state != SYNACK_LISTEN && !tp->connect_reported) {
			tp->connect_reported = true;
			return 0;
		}
		return fail(EISCONN);
	}
	if (tp->hashed || tp->connect_reported) {
		/* A failed connect leaves its error for this call once. */
		int e = sk->err;
		if (e) {
			sk->err = 0;
			return fail(e);
		}
	} else if (tp->rport) {
		/* Linux inet_stream_connect: a connect that ended (RST, timeout,
		 * ICMP) reports its error here once, ECONNABORTED if SO_ERROR
		 * took it; the socket is then disconnected and may connect anew. */
		int e = sk->err ? sk->err : ECONNABORTED;
		sk->err = 0;
		tp->raddr = 0;
		tp->rport = 0;
		sk->shut_rd = sk->shut_wr = false;
		return fail(e);
	}
	if (addr == INADDR_ANY || addr == INADDR_BROADCAST || (addr >> 28) == 0xe)
		return fail(ENETUNREACH);
	if (port == 0)
		return fail(ECONNREFUSED);
	if (tp->laddr == INADDR_ANY)
		tp->laddr = st->addr;
	uint32_t tw_isn = 0;
	/* Linux: a new connect starts with no ts_recent unless it recycles
	 * a TIME-WAIT tuple (tuple_free in bind.c copies the entry's). */
	tp->rx_opt.ts_recent = 0;
	tp->ts_recent_stamp = 0;
	if (!tp->bound) {
		if (tcp_pick_ephemeral(st, tp, addr, port, &tw_isn) < 0)
			return -1;
	} else if (!tcp_connect_tuple_free(st, tp, addr, port, &tw_isn)) {
		return fail(EADDRNOTAVAIL);
	}
	tp->raddr = addr;
	tp->rport = port;
	tcp_pmtu_init(tp);
	/* A recycled TIME-WAIT tuple continues past the old sequence space. */
	tp->iss = tw_isn ? tw_isn : tcp_isn(st, tp->laddr, tp->lport, addr, port);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->snd_sml = tp->iss;
	tp->pushed_seq = tp->iss + 1; /* Linux: write_seq once the SYN is queued */
	tp->connect_reported = false;
	sk->err = 0;
	sk->shut_rd = sk->shut_wr = false;
	tcp_hash_add(st, tp);
	tcp_set_state(tp, SYNACK_SYN_SENT, "connect()");
	if (tcp_fastopen_defer_connect(tp))
		return 0; /* TCP_FASTOPEN_CONNECT: the SYN goes with the first write */
	tcp_send_syn_tfo(tp, d, NULL);
	return fail(EINPROGRESS);
}

static int tcp_connect(struct sock *sk, uint32_t addr, uint16_t port)
{
	return tcp_connect_tfo(tcp_sk(sk), addr, port, NULL);
}

/*
 * Linux tcp_sendmsg with TCP_NOTSENT_LOWAT: bytes go into buffers of the
 * size goal (half the peer's largest window in whole MSS, at most 64 KB:
 * tcp_bound_to_half_wnd), and a new buffer is started only while
 * sk_stream_memory_free holds, i.e. unsent bytes (write_seq - snd_nxt)
 * are below the threshold. A full buffer is pushed before the next check,
 * as tcp_push_one does. So a write may fill the buffer it started even
 * past the threshold; nothing is taken (EAGAIN) if the first new buffer
 * is refused. The unsent tail counts as buffers laid from SND.NXT.
 */
static uint32_t tcp_append_lowat(struct tcp_sock *tp, const void *buf, uint32_t n)
{
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS;
	uint32_t goal = tp->max_window / 2 < 65536 ? tp->max_window / 2 : 65536;
	goal = goal < mss ? mss : goal / mss * mss;
	uint32_t took = 0;
	for (unsigned guard = 0; took < n && guard < 1u << 20; guard++) {
		uint32_t unsent = tcp_unsent(tp);
		uint32_t room = unsent % goal ? goal - unsent % goal : 0;
		if (room == 0 && took) {
			/* A full buffer: push it; what is left unsent of it is
			 * still a buffer with room (Linux splits the skb). */
			if (tcp_forced_push(tp))
				tcp_mark_push(tp);
			tcp_output(tp);
			unsent = tcp_unsent(tp);
			room = unsent % goal ? goal - unsent % goal : 0;
		}
		if (room == 0) {
			if (unsent >= tcp_notsent_lowat(tp))
				break;
			room = goal;
		}
		uint32_t want = n - took < room ? n - took : room;
		uint32_t end = tcp_sndq_seq(tp) + tp->sndq.len;
		uint32_t got = ring_append(&tp->sndq, tp->sndbuf, (const char *)buf + took, want);
		tcp_skb_grow(tp, end, got);
		took += got;
		if (got < want)
			break;
	}
	return took;
}

uint32_t tcp_append_data(struct tcp_sock *tp, const void *buf, uint32_t n)
{
	return tcp_notsent_lowat(tp) < (uint32_t)INT_MAX ? tcp_append_lowat(tp, buf, n)
							  : tcp_append(tp, buf, n);
}

/* The iovec's bytes, entry by entry (entries of length 0 add nothing,
 * as Linux's iov_iter skips them); stops where the buffer is full. */
static uint32_t append_iov(struct tcp_sock *tp, const struct iovec *iov, size_t iovcnt,
			   uint32_t n, bool zc)
{
	uint32_t took = 0;
	for (size_t i = 0; i < iovcnt && took < n; i++) {
		uint32_t want = iov[i].iov_len < n - took ? (uint32_t)iov[i].iov_len : n - took;
		if (!want)
			continue;
		uint32_t got = zc ? tcp_zc_append(tp, iov[i].iov_base, want)
				  : tcp_append_data(tp, iov[i].iov_base, want);
		took += got;
		if (got < want)
			break;
	}
	return took;
}

/* A Fast Open send from an iovec: the SYN carries at most one segment,
 * taken from the front of the entries (Linux copies from the iterator). */
static ssize_t fastopen_iov(struct tcp_sock *tp, const struct iovec *iov, size_t iovcnt,
			    size_t len, uint32_t addr, uint16_t port, int flags)
{
	if (iovcnt <= 1)
		return tcp_fastopen_sendmsg(tp, iovcnt ? iov[0].iov_base : NULL, len, addr, port,
					    flags);
	size_t n;
	char *tmp = sock_iov_gather(iov, iovcnt, len, 65536, &n);
	if (!tmp)
		return fail(ENOBUFS);
	ssize_t r = tcp_fastopen_sendmsg(tp, tmp, n, addr, port, flags);
	free(tmp);
	return r;
}

/* tcp_sendmsg's order of checks (LINUX-SEMANTICS 7). */
static ssize_t tcp_send_locked(struct sock *sk, const struct iovec *iov, size_t iovcnt,
			       size_t len, int flags, bool zc)
{
	struct tcp_sock *tp = tcp_sk(sk);
	/* Linux tcp_sendmsg: a Fast Open child may send in SYN-RECEIVED. */
	bool tfo_recv = tp->state == SYNACK_SYN_RECV && tp->tfo_child;
	if (tp->defer_connect || (flags & MSG_FASTOPEN)) {
		if (tp->defer_connect || tp->state == SYNACK_CLOSE || tp->state == SYNACK_SYN_SENT)
			return fastopen_iov(tp, iov, iovcnt, len, tp->raddr, tp->rport, flags);
	}
	if (tp->state != SYNACK_ESTABLISHED && tp->state != SYNACK_CLOSE_WAIT && !tfo_recv) {
		if (sk->err) {
			int e = sk->err;
			sk->err = 0;
			return fail(e);
		}
		if (tp->state != SYNACK_SYN_SENT && tp->state != SYNACK_SYN_RECV)
			return fail(EPIPE);
		return fail(EAGAIN);
	}
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		return fail(e);
	}
	if (sk->shut_wr)
		return fail(EPIPE);
	if (len == 0)
		return 0;
	uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	tcp_eor_prune(tp);
	if ((flags & MSG_EOR) && tp->neor == TCP_EOR_MAX)
		return fail(EAGAIN); /* our limit on queued records */
	if ((flags & MSG_EOR) && !tp->eor && !(tp->eor = malloc(TCP_EOR_MAX * sizeof(*tp->eor))))
		return fail(ENOBUFS);
	tcp_cc_idle_check(tp); /* Linux tcp_skb_entail: slow start after idle */
	bool cleared = tcp_write_begin(tp);
	uint32_t took = append_iov(tp, iov, iovcnt, n, zc);
	tcp_chrono_sendmsg(tp, took, n);
	if (took == 0) {
		tcp_write_nothing(tp, cleared);
		return fail(EAGAIN);
	}
	uint32_t end = tcp_sndq_seq(tp) + tp->sndq.len;
	/* Linux tcp_push: a send without MSG_MORE, one cut short by a full
	 * buffer (wait_for_space drops MSG_MORE), or a forced push marks PSH
	 * on its last buffer and pushes; with MSG_MORE this call is corked.
	 * MSG_EOR ends a record (only when all of it was taken). */
	if (!(flags & MSG_MORE) || took < n || tcp_forced_push(tp))
		tcp_mark_push(tp);
	if ((flags & MSG_EOR) && took == n)
		tp->eor[tp->neor++] = end;
	tp->more = flags & MSG_MORE;
	tcp_output(tp);
	tp->more = false;
	return took;
}

/* Linux tcp_sendmsg_locked takes the MSG_ZEROCOPY record first (so
 * ENOBUFS comes before any state error) and gives its number back if
 * the call queues nothing. Without SO_ZEROCOPY, or with no bytes, the
 * flag is ignored (msg_zerocopy.rst: legacy callers may pass it). */
static ssize_t tcp_send(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len,
			int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool zc = (flags & MSG_ZEROCOPY) && sk->zerocopy && len;
	if (zc && tcp_zc_begin(tp) < 0)
		return -1;
	ssize_t r = tcp_send_locked(sk, iov, iovcnt, len, flags, zc);
	if (zc)
		tcp_zc_end(tp, r > 0);
	return r;
}

static ssize_t tcp_sendto_fastopen(struct sock *sk, const void *buf, size_t len, uint32_t addr,
				   uint16_t port, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (tp->state != SYNACK_CLOSE && tp->state != SYNACK_SYN_SENT && !tp->defer_connect) {
		struct iovec v = {(void *)buf, len}; /* connected: the address is ignored */
		return tcp_send(sk, &v, 1, len, 0);
	}
	/* Linux tcp_sendmsg_locked takes the MSG_ZEROCOPY record before the
	 * Fast Open connect, so SYN data gets a notification too; a SYN
	 * that carried none gives the number back. */
	bool zc = (flags & MSG_ZEROCOPY) && sk->zerocopy && len;
	if (zc && tcp_zc_begin(tp) < 0)
		return -1;
	ssize_t r = tcp_fastopen_sendmsg(tp, buf, len, addr, port, flags);
	if (zc)
		tcp_zc_end(tp, r > 0);
	return r;
}

/* RFC 1122 4.2.3.3 / Linux tcp_cleanup_rbuf: after a read, announce a
 * window that has at least doubled, so a stalled sender resumes; only
 * while what is left of the offer is at most half the clamp, and not
 * once nothing more can arrive (FIN received or SHUT_RD). */
static void tcp_window_after_read(struct tcp_sock *tp, uint32_t copied)
{
	if (!tcp_synchronized(tp->state) || tp->state == SYNACK_SYN_RECV)
		return;
	if (tcp_ack_after_read(tp, copied)) {
		tcp_send_ack(tp);
		return;
	}
	if (tp->fin_rcvd || tp->sk.shut_rd || copied == 0)
		return;
	uint32_t now_wnd = tcp_receive_window(tp);
	if ((uint64_t)2 * now_wnd > tp->window_clamp)
		return;
	uint32_t new_wnd = tcp_new_window(tp);
	if (new_wnd && new_wnd >= 2 * now_wnd)
		tcp_send_ack(tp);
}

static ssize_t tcp_recv(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len,
			int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (tp->state == SYNACK_LISTEN)
		return fail(ENOTCONN);
	uint32_t have = rcvq_len(&tp->rcvq);
	if (have && len) {
		uint32_t n = len < have ? (uint32_t)len : have;
		for (size_t i = 0, off = 0; i < iovcnt && off < n; i++) {
			uint32_t c = iov[i].iov_len < n - off ? (uint32_t)iov[i].iov_len
							      : (uint32_t)(n - off);
			if (c)
				ring_peek(&tp->rcvq.r, (uint32_t)off, iov[i].iov_base, c);
			off += c;
		}
		if (!(flags & MSG_PEEK)) {
			rcvq_consume(&tp->rcvq, n);
			tcp_rcvbuf_after_read(tp);
			tcp_window_after_read(tp, n);
		}
		return n;
	}
	if (have)
		return 0; /* len == 0 */
	if (tp->fin_rcvd) {
		if (!(flags & MSG_PEEK))
			tp->eof_read = true;
		return 0;
	}
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		return fail(e);
	}
	if (sk->shut_rd)
		return 0;
	if (tp->state == SYNACK_CLOSE)
		return fail(ENOTCONN);
	return fail(EAGAIN);
}

/* RFC 9293 3.10.4 CLOSE for our sending side: ESTABLISHED and SYN-RECEIVED
 * go to FIN-WAIT-1, CLOSE-WAIT to LAST-ACK; the FIN follows queued data. */
static void tcp_close_send_side(struct tcp_sock *tp)
{
	switch (tp->state) {
	case SYNACK_ESTABLISHED:
	case SYNACK_SYN_RECV:
		tp->fin_queued = true;
		tcp_set_state(tp, SYNACK_FIN_WAIT1, "close");
		break;
	case SYNACK_CLOSE_WAIT:
		tp->fin_queued = true;
		tcp_set_state(tp, SYNACK_LAST_ACK, "close");
		break;
	default:
		return;
	}
	tcp_chrono_start(tp, TCP_CHRONO_BUSY); /* the FIN is queued (tcp_send_fin) */
	tcp_output(tp);
}

/* Stop listening: established children nobody accepted are reset (Linux
 * inet_csk_listen_stop); requests go silently (the peer's ACK then finds
 * no socket and draws a RST). */
static void tcp_stop_listening(struct tcp_sock *tp)
{
	tcp_listen_destroy(tp);
	tcp_set_state(tp, SYNACK_CLOSE, "listener closed");
}

static int tcp_shutdown(struct sock *sk, int how)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool rd = how == SHUT_RD || how == SHUT_RDWR;
	bool wr = how == SHUT_WR || how == SHUT_RDWR;
	switch (tp->state) {
	case SYNACK_CLOSE:
		sk->shut_rd |= rd;
		sk->shut_wr |= wr;
		return fail(ENOTCONN);
	case SYNACK_LISTEN:
		if (rd)
			tcp_stop_listening(tp);
		return 0;
	case SYNACK_SYN_SENT:
		tcp_done(tp, 0, "shutdown in SYN-SENT");
		return 0;
	default:
		break;
	}
	sk->shut_rd |= rd;
	if (wr && !sk->shut_wr) {
		sk->shut_wr = true;
		tcp_close_send_side(tp);
	}
	sock_wakeup(sk);
	return 0;
}

/* Linux tcp_disconnect's test: does the peer know of us, so an abort
 * must tell it with a RST? */
static bool abort_needs_rst(struct tcp_sock *tp)
{
	switch (tp->state) {
	case SYNACK_ESTABLISHED:
	case SYNACK_CLOSE_WAIT:
	case SYNACK_FIN_WAIT1:
	case SYNACK_FIN_WAIT2:
	case SYNACK_SYN_RECV:
		return true;
	case SYNACK_CLOSING:
	case SYNACK_LAST_ACK:
		return tcp_unsent(tp) != 0;
	default:
		return false;
	}
}

/*
 * RFC 9293 3.10.4 CLOSE as Linux's __tcp_close: unread data aborts with a
 * RST (RFC 2525 2.17, TCPAbortOnClose); SO_LINGER {1, 0} aborts with a
 * RST too and skips TIME-WAIT (TCPAbortOnData); otherwise the FIN goes
 * after queued data and the connection finishes as an orphan, unless
 * orphans are over tcp_max_orphans (RST, TCPAbortOnMemory). close()
 * never blocks here: SO_LINGER {1, t > 0} returns at once too, and the
 * orphan delivers what is queued (Linux's wait before orphaning, until the
 * FIN is acked or t passes, is the runtime's synack_loop_close).
 */
static void tcp_close(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct synack_stack *st = sk->st;
	sk->shut_rd = sk->shut_wr = true;
	switch (tp->state) {
	case SYNACK_LISTEN:
		tcp_stop_listening(tp);
		tcp_maybe_free(tp);
		return;
	case SYNACK_CLOSE:
		tcp_maybe_free(tp);
		return;
	default:
		break;
	}
	if (rcvq_len(&tp->rcvq)) {
		MIB_INC(st, TCP_ABORT_ON_CLOSE);
		tcp_send_rst_abort(tp);
		tcp_done(tp, 0, "close with unread data (RST)");
		return;
	}
	if (sk->linger && sk->lingertime == 0) {
		MIB_INC(st, TCP_ABORT_ON_DATA);
		if (abort_needs_rst(tp))
			tcp_send_rst_abort(tp);
		tcp_done(tp, 0, "close with SO_LINGER 0 (abort)");
		return;
	}
	if (tp->state == SYNACK_SYN_SENT) {
		tcp_done(tp, 0, "close in SYN-SENT");
		return;
	}
	tp->orphan = true;
	st->tcp.orphans++;
	tcp_close_send_side(tp);
	if (tp->state == SYNACK_FIN_WAIT2 && !tcp_fin_wait2_start(tp, NULL))
		return;
	if (st->tcp.orphans > (uint32_t)st->cfg.tcp_max_orphans) {
		MIB_INC(st, TCP_ABORT_ON_MEMORY);
		tcp_send_rst_abort(tp);
		tcp_done(tp, 0, "too many orphans (tcp_max_orphans): RST");
		return;
	}
	tcp_maybe_free(tp);
}

/* Readiness as Linux's tcp_poll reports it (LINUX-SEMANTICS 7). */
static uint32_t tcp_poll(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t m = 0;
	if (tp->state == SYNACK_LISTEN)
		return tp->lsn->acc_head ? EPOLLIN | EPOLLRDNORM : 0;
	if (sk->shut_wr && (sk->shut_rd || tp->fin_rcvd))
		m |= EPOLLHUP;
	if (tp->state == SYNACK_CLOSE)
		m |= EPOLLHUP;
	if (sk->shut_rd || tp->fin_rcvd)
		m |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	/* A Fast Open child is readable and writable in SYN-RECEIVED. */
	if ((tp->state != SYNACK_SYN_SENT || tp->defer_connect) &&
	    (tp->state != SYNACK_SYN_RECV || tp->tfo_child)) {
		/* Linux tcp_stream_is_readable: SO_RCVLOWAT bytes at least;
		 * tcp_stream_memory_free: 2 x unsent below TCP_NOTSENT_LOWAT. */
		uint32_t have = rcvq_len(&tp->rcvq);
		if (have && have >= (uint32_t)(sk->rcvlowat ? sk->rcvlowat : 1))
			m |= EPOLLIN | EPOLLRDNORM;
		if (!sk->shut_wr) {
			if (tp->sndq.len < tp->sndbuf &&
			    ((uint64_t)tcp_unsent(tp) << 1) < tcp_notsent_lowat(tp))
				m |= EPOLLOUT | EPOLLWRNORM;
		} else {
			m |= EPOLLOUT | EPOLLWRNORM; /* a write would not block (EPIPE) */
		}
	}
	/* Linux tcp_poll: a pending error, or anything on the error queue
	 * (MSG_ZEROCOPY completions). */
	if (sk->err || sock_errq_ready(sk))
		m |= EPOLLERR;
	return m;
}

static bool tcp_name(struct sock *sk, int peer, uint32_t *addr, uint16_t *port)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (peer) {
		if (!tp->rport || (peer == 1 && (!tcp_synchronized(tp->state) ||
						 tp->state == SYNACK_CLOSE)))
			return false;
		*addr = tp->raddr;
		*port = tp->rport;
		return true;
	}
	*addr = tp->laddr;
	*port = tp->lport;
	return true;
}

static int tcp_ioctl(struct sock *sk, unsigned long req, void *arg)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int v;
	switch (req) {
	case FIONREAD: /* SIOCINQ */
		if (tp->state == SYNACK_LISTEN)
			return fail(EINVAL);
		v = (int)rcvq_len(&tp->rcvq);
		break;
	case SIOCOUTQ:
		if (tp->state == SYNACK_LISTEN)
			return fail(EINVAL);
		v = (int)tp->sndq.len;
		break;
	case SIOCOUTQNSD:
		if (tp->state == SYNACK_LISTEN)
			return fail(EINVAL);
		v = (int)tcp_unsent(tp);
		break;
	default:
		return fail(ENOTTY);
	}
	memcpy(arg, &v, sizeof(v));
	return 0;
}

const struct proto_ops tcp_proto_ops = {
	.bind = tcp_bind,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.connect = tcp_connect,
	.send = tcp_send,
	.sendto_fastopen = tcp_sendto_fastopen,
	.recv = tcp_recv,
	.shutdown = tcp_shutdown,
	.close = tcp_close,
	.poll = tcp_poll,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.ioctl = tcp_ioctl,
	.name = tcp_name,
};
