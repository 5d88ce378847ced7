/* The socket listing (ss -tan): queue columns as ss computes them
 * (LINUX-SEMANTICS 1) and each socket's active timer (ss -o). */
#include <string.h>

#include "local/local.h"
#include "tcp/tcp.h"

static uint32_t recv_q(const struct tcp_sock *tp)
{
	if (tp->state == SYNACK_LISTEN)
		return tp->lsn->accept_len;
	if (tp->state == SYNACK_TIME_WAIT)
		return 0; /* Linux timewait entries show `0 0` */
	/* rcv_nxt - copied_seq: an unread FIN counts one. */
	return rcvq_len(&tp->rcvq) + (tp->fin_rcvd && !tp->eof_read);
}

static uint32_t send_q(const struct tcp_sock *tp)
{
	if (tp->state == SYNACK_LISTEN)
		return (uint32_t)tp->lsn->backlog;
	if (tp->state == SYNACK_TIME_WAIT)
		return 0;
	/* write_seq - snd_una: an unacked SYN or FIN counts one. */
	uint32_t q = tp->sndq.len;
	if ((tp->state == SYNACK_SYN_SENT || tp->state == SYNACK_SYN_RECV) && tp->snd_una == tp->iss)
		q++;
	if (tp->fin_queued && !(tp->fin_sent && seq_gt(tp->snd_una, tp->fin_seq)))
		q++;
	return q;
}

static void timer_info(struct tcp_sock *tp, struct synack_sockinfo *r)
{
	synack_time_t now = tp->sk.st->now;
	const struct timer *t = NULL;
	if (timer_armed(&tp->rtx_timer)) {
		t = &tp->rtx_timer;
		r->timer = tp->rtx_kind == RTX_PERSIST ? "persist" : "on";
		r->retrans = tp->rtx_kind == RTX_PERSIST ? tp->probes : tp->retransmits;
	} else if (timer_armed(&tp->keep_timer)) {
		t = &tp->keep_timer;
		r->timer = tp->state == SYNACK_TIME_WAIT ? "timewait" : "keepalive";
		r->retrans = tp->state == SYNACK_TIME_WAIT ? 0 : tp->probes;
	}
	/* A pending delayed ACK is not shown: Linux's inet_diag reports the
	 * retransmit, probe and sk_timer (keepalive) timers only. */
	if (t) {
		synack_time_t at = (synack_time_t)t->expires * 1000;
		r->timer_expires = at > now ? at - now : 0;
	}
}

static void set_sin(struct sockaddr_in *s, uint32_t a, uint16_t p)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(a);
	s->sin_port = htons(p);
}

/* Timewait entries come first: an application that still holds a socket
 * whose connection went on as an entry sees it CLOSED behind the entry. */
size_t synack_sockets(struct synack_stack *st, struct synack_sockinfo *rows, size_t max)
{
	size_t n = tcp_tw_listing(st, rows, max);
	for (struct tcp_sock *tp = st->tcp.all; tp; tp = tp->next, n++) {
		if (n >= max)
			continue;
		struct synack_sockinfo *r = &rows[n];
		memset(r, 0, sizeof(*r));
		r->fd = tp->sk.fd;
		r->conn = tp->id;
		r->state = tp->state;
		r->recv_q = recv_q(tp);
		r->send_q = send_q(tp);
		set_sin(&r->local, tp->laddr, tp->lport);
		set_sin(&r->peer, tp->raddr, tp->rport);
		timer_info(tp, r);
		r->state_age = st->now - tp->state_since;
		r->unread = tp->state == SYNACK_LISTEN ? 0 : rcvq_len(&tp->rcvq);
	}
	for (struct tcp_sock *tp = st->tcp.all; tp; tp = tp->next)
		if (tp->state == SYNACK_LISTEN)
			n = tcp_req_rows(tp, rows, n, max);
	for (size_t i = 0; i < n && i < max; i++)
		rows[i].family = AF_INET;
	return local_listing(st, rows, n, max); /* AF_UNIX rows (ss -x) after TCP's */
}

const char *synack_state_ss_name(int s)
{
	static const char *const names[] = {
		[SYNACK_ESTABLISHED] = "ESTAB", [SYNACK_SYN_SENT] = "SYN-SENT",
		[SYNACK_SYN_RECV] = "SYN-RECV", [SYNACK_FIN_WAIT1] = "FIN-WAIT-1",
		[SYNACK_FIN_WAIT2] = "FIN-WAIT-2", [SYNACK_TIME_WAIT] = "TIME-WAIT",
		[SYNACK_CLOSE] = "UNCONN", [SYNACK_CLOSE_WAIT] = "CLOSE-WAIT",
		[SYNACK_LAST_ACK] = "LAST-ACK", [SYNACK_LISTEN] = "LISTEN",
		[SYNACK_CLOSING] = "CLOSING",
	};
	return s > 0 && s <= SYNACK_CLOSING ? names[s] : "UNKNOWN";
}

const char *synack_state_rfc_name(int s)
{
	static const char *const names[] = {
		[SYNACK_ESTABLISHED] = "ESTABLISHED", [SYNACK_SYN_SENT] = "SYN-SENT",
		[SYNACK_SYN_RECV] = "SYN-RECEIVED", [SYNACK_FIN_WAIT1] = "FIN-WAIT-1",
		[SYNACK_FIN_WAIT2] = "FIN-WAIT-2", [SYNACK_TIME_WAIT] = "TIME-WAIT",
		[SYNACK_CLOSE] = "CLOSED", [SYNACK_CLOSE_WAIT] = "CLOSE-WAIT",
		[SYNACK_LAST_ACK] = "LAST-ACK", [SYNACK_LISTEN] = "LISTEN",
		[SYNACK_CLOSING] = "CLOSING",
	};
	return s > 0 && s <= SYNACK_CLOSING ? names[s] : "UNKNOWN";
}
