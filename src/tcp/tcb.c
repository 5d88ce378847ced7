/* Life of a TCP control block: creation, state changes, the end. */
#include <errno.h>
#include <stdlib.h>

#include "core/siphash.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

struct tcp_sock *tcp_sock_new(struct synack_stack *st)
{
	struct tcp_sock *tp = calloc(1, sizeof(*tp));
	if (!tp)
		return NULL;
	tp->sk.st = st;
	tp->sk.ops = &tcp_proto_ops;
	tp->sk.fd = -1;
	tp->sk.type = SOCK_STREAM;
	tp->sk.protocol = IPPROTO_TCP;
	tp->id = st->next_conn_id++;
	tp->state = SYNACK_CLOSE;
	tp->created = tp->state_since = st->now;
	tp->ip_pmtudisc = 1;   /* IP_PMTUDISC_WANT (ip_no_pmtu_disc 0) */
	tcp_init_buffers(tp);
	tcp_rtt_init(tp);
	tcp_cc_init(tp);
	tp->reordering = (uint32_t)st->cfg.tcp_reordering;
	tcp_timers_init(tp);
	/* Link into the list of all sockets (for the listing). */
	tp->next = st->tcp.all;
	if (tp->next)
		tp->next->prev = tp;
	st->tcp.all = tp;
	st->tcp.all_count++;
	return tp;
}

/* MSS we advertise is MTU - 40 (RFC 9293 3.7.1); buffers from tcp_rmem and
 * tcp_wmem's defaults, reported doubled as Linux reports them. */
void tcp_init_buffers(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	tp->advmss = (uint16_t)(st->mtu - 40);
	tp->mss = TCP_DEFAULT_MSS;
	tp->rcv_mss = TCP_DEFAULT_MSS;
	tp->sndbuf = (uint32_t)st->cfg.tcp_wmem[1];
	tp->sk.sndbuf = (int)tp->sndbuf;
	/* Linux sk_rcvbuf: the queue holds half of it in data (window.c). */
	tp->sk.rcvbuf = st->cfg.tcp_rmem[1];
}

/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4-microsecond clock
 * (Linux uses a 64 ns clock; any fast clock serves the RFC's purpose). */
uint32_t tcp_isn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport)
{
	uint32_t key[3] = {laddr, raddr, (uint32_t)lport << 16 | rport};
	uint32_t f = (uint32_t)siphash24(&st->isn_key, key, sizeof(key));
	return f + (uint32_t)(st->now / 4);
}

void tcp_trace_conn_state(struct synack_stack *st, uint64_t conn, int fd, uint32_t laddr,
			  uint16_t lport, uint32_t raddr, uint16_t rport, int old, int state,
			  const char *why)
{
	if (!st->env.trace || !why)
		return;
	struct synack_trace ev = {
		.kind = SYNACK_TRACE_STATE, .now = st->now, .conn = conn, .fd = fd,
		.old_state = old, .new_state = state, .why = why,
	};
	ev.local.sin_family = ev.peer.sin_family = AF_INET;
	ev.local.sin_addr.s_addr = htonl(laddr);
	ev.local.sin_port = htons(lport);
	ev.peer.sin_addr.s_addr = htonl(raddr);
	ev.peer.sin_port = htons(rport);
	st->env.trace(st->env.ctx, &ev);
}

/* No why: the change continues one already traced (a timewait entry or a
 * request took over, or handed over). */
static void tcp_trace_state(struct tcp_sock *tp, int old, const char *why)
{
	tcp_trace_conn_state(tp->sk.st, tp->id, tp->sk.fd, tp->laddr, tp->lport, tp->raddr,
			     tp->rport, old, tp->state, why);
}

static bool counts_as_estab(int s) { return s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT; }

void tcp_set_state(struct tcp_sock *tp, int state, const char *why)
{
	struct synack_stack *st = tp->sk.st;
	int old = tp->state;
	if (old == state)
		return;
	/* Tcp MIB bookkeeping (RFC 1213 tcpCurrEstab, tcpAttemptFails,
	 * tcpEstabResets as Linux counts them). */
	if (counts_as_estab(state) && !counts_as_estab(old))
		MIB_INC(st, TCP_CURR_ESTAB);
	if (!counts_as_estab(state) && counts_as_estab(old))
		MIB_DEC(st, TCP_CURR_ESTAB);
	if (state == SYNACK_CLOSE && (old == SYNACK_SYN_SENT || old == SYNACK_SYN_RECV))
		MIB_INC(st, TCP_ATTEMPT_FAILS);
	/* Linux counts every ESTABLISHED/CLOSE-WAIT -> CLOSED move (RST
	 * received or sent, abort, timeout) as EstabResets. */
	if (state == SYNACK_CLOSE && counts_as_estab(old))
		MIB_INC(st, TCP_ESTAB_RESETS);
	/* TcpExtTW counts timewait entries (timewait.c), not this move. */
	if (old == SYNACK_LISTEN)
		tcp_listen_unhash(st, tp);
	if (tp->tfo_pending && state == SYNACK_CLOSE)
		tcp_fastopen_child_done(tp); /* gone with its SYN-ACK unacked: off the TFO queue */
	tp->state = state;
	if (state == SYNACK_LISTEN)
		tcp_listen_hash(st, tp);
	tp->state_since = st->now;
	tcp_trace_state(tp, old, why);
	sock_wakeup(&tp->sk);
}

void tcp_done(struct tcp_sock *tp, int err, const char *why)
{
	struct synack_stack *st = tp->sk.st;
	if (err)
		tp->sk.err = err;
	tcp_timers_stop(tp);
	tcp_chrono_end(tp);
	/* A child waits in the accept queue even when closed: accept()
	 * returns it with its data and error (Linux inet_csk_accept). */
	if (tp->parent && !tp->in_accept_queue)
		tcp_child_unlink(tp);
	tcp_hash_del(st, tp);
	tcp_set_state(tp, SYNACK_CLOSE, why);
	tcp_zc_purge(tp); /* tcp_write_queue_purge: unacked MSG_ZEROCOPY calls complete */
	/* Linux tcp_set_state(CLOSE): a port bind() did not name goes back. */
	if (!tp->bind_locked)
		tcp_bind_del(st, tp);
	tp->sk.shut_rd = tp->sk.shut_wr = true;
	sock_wakeup(&tp->sk);
	tcp_maybe_free(tp);
}

/* A socket without a descriptor lives only while TCP still needs it. */
void tcp_maybe_free(struct tcp_sock *tp)
{
	if (tp->sk.fd >= 0 || tp->parent || tp->state != SYNACK_CLOSE)
		return;
	tcp_sock_free(tp);
}

void tcp_sock_free(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	tcp_timers_stop(tp);
	if (tp->parent)
		tcp_child_unlink(tp);
	if (tp->lsn)
		tcp_listen_destroy(tp); /* requests and unaccepted children die with it */
	tcp_fastopen_free(tp);
	if (counts_as_estab(tp->state))
		MIB_DEC(st, TCP_CURR_ESTAB);
	if (tp->orphan)
		st->tcp.orphans--;
	tcp_hash_del(st, tp);
	tcp_listen_unhash(st, tp);
	tcp_bind_del(st, tp);
	sock_detach_watchers(&tp->sk);
	ring_free(&tp->sndq);
	rcvq_free(&tp->rcvq);
	free(tp->eor);
	free(tp->skbm);
	free(tp->txl);
	free(tp->sacked);
	free(tp->rsack);
	tcp_zc_free(tp);
	if (tp->prev)
		tp->prev->next = tp->next;
	else
		st->tcp.all = tp->next;
	if (tp->next)
		tp->next->prev = tp->prev;
	st->tcp.all_count--;
	free(tp);
}
