/*
 * TCP's timers: retransmission and persist (RFC 6298, RFC 9293 3.8.6.1),
 * delayed ACK, and one for keepalive and a long FIN-WAIT-2 (timewait
 * entries have their own, timewait.c). The
 * give-up rules are Linux's: tcp_syn_retries with linear timeouts for
 * SYNs, tcp_synack_retries for SYN-ACKs, tcp_retries2 turned into time.
 */
#include <errno.h>
#include <stddef.h>

#include "socket/socket.h"
#include "tcp/tcp.h"

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* Linux TCP_RESOURCE_PROBE_INTERVAL: after the device refused a segment
 * (local congestion) the timer tries again this soon, without backoff. */
#define TCP_RESOURCE_PROBE_US 500000

/* What a timer handler left to rtx_fire. */
enum rtx_next { RTX_GONE, RTX_REARM, RTX_ARMED };

static void arm_us(struct tcp_sock *tp, struct timer *t, synack_time_t delay)
{
	struct synack_stack *st = tp->sk.st;
	timer_arm(&st->wheel, t, (st->now + delay + 999) / 1000);
}

void tcp_rtx_arm(struct tcp_sock *tp, synack_time_t delay)
{
	arm_us(tp, &tp->rtx_timer, delay);
}

/*
 * Linux's retries-as-time (tcp_model_timeout): N doublings from base b take
 * (2^(N+1)-1)*b while under the 120 s cap, then 120 s each.
 */
static synack_time_t retries_to_time(unsigned n, synack_time_t base, synack_time_t max)
{
	unsigned k = 0;
	while ((base << (k + 1)) <= max)
		k++;
	if (n <= k)
		return ((((synack_time_t)2) << n) - 1) * base;
	return ((((synack_time_t)2) << k) - 1) * base + (n - k) * max;
}

static int timeout_errno(const struct tcp_sock *tp)
{
	return tp->soft_err ? tp->soft_err : ETIMEDOUT;
}

/* Linux tcp_retransmit_timer, when the device refused the resend (local
 * congestion): no backoff (the caller restores the RTO), one
 * retransmission counted so the give-up rules run, and the next try in
 * min(RTO, 500 ms). */
static enum rtx_next refused_retransmit(struct tcp_sock *tp)
{
	if (!tp->retransmits)
		tp->retransmits = 1;
	tp->rtx_kind = RTX_RETRANS;
	arm_us(tp, &tp->rtx_timer, tp->rto_us < TCP_RESOURCE_PROBE_US ? tp->rto_us
								   : TCP_RESOURCE_PROBE_US);
	return RTX_ARMED;
}

/* SYN-SENT: SYNs at 0,1,2,3,4,5,7,11,... s; give up after syn_retries +
 * linear timeouts retransmissions, or (2^(retries+1)-1) s (Linux 6.5+). */
static enum rtx_next syn_sent_timeout(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	unsigned retries = tp->syn_retries ? (unsigned)tp->syn_retries
					   : (unsigned)st->cfg.tcp_syn_retries;
	unsigned linear = (unsigned)st->cfg.tcp_syn_linear_timeouts;
	bool expired = tp->retransmits &&
		       (tp->retransmits >= retries + linear ||
			st->now - tp->retrans_stamp >=
				retries_to_time(retries, SYNACK_SEC(1), tcp_rto_max(tp)));
	tcp_fastopen_detect_blackhole(tp, expired);
	if (expired) {
		MIB_INC(st, TCP_ABORT_ON_TIMEOUT); /* Linux tcp_write_err */
		tcp_done(tp, timeout_errno(tp), "SYN retransmissions exhausted");
		return RTX_GONE;
	}
	if (!tp->retrans_stamp)
		tp->retrans_stamp = tp->rtt_sent;
	unsigned prior_retransmits = tp->retransmits;
	uint32_t prior_rto = tp->rto_us;
	tp->retransmits++;
	tp->total_retrans++;
	tcp_fastopen_syn_timeout(tp);
	if (tp->retransmits > linear) {
		uint64_t rto = (uint64_t)tp->rto_us * 2;
		tp->rto_us = rto > tcp_rto_max(tp) ? tcp_rto_max(tp) : (uint32_t)rto;
	}
	tp->xmit_refused = false;
	tcp_send_syn(tp);
	if (tp->xmit_refused) {
		tp->retransmits = prior_retransmits;
		tp->rto_us = prior_rto;
		return refused_retransmit(tp);
	}
	return RTX_REARM;
}

/* Our SYN-ACK unacked: SYN-ACKs at 1, 3, 7, 15, 31 s, expiry at 63 s. A
 * Fast Open child (in SYN-RECEIVED, or FIN-WAIT-1 after a close())
 * resends nothing else meanwhile and gets one retry more,
 * or TCP_SYNCNT's count: ETIMEDOUT at 127 s, TCPAbortOnTimeout (Linux
 * tcp_fastopen_synack_timer, tcp_write_err). */
static bool syn_recv_timeout(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	unsigned limit = (unsigned)st->cfg.tcp_synack_retries;
	if (tp->tfo_pending)
		limit = tp->syn_retries ? (unsigned)tp->syn_retries : limit + 1;
	if (tp->retransmits >= limit) {
		if (tp->tfo_pending)
			MIB_INC(st, TCP_ABORT_ON_TIMEOUT);
		tcp_done(tp, timeout_errno(tp), "SYN-ACK retransmissions exhausted");
		return false;
	}
	tp->retransmits++;
	tp->total_retrans++;
	uint64_t rto = (uint64_t)tp->rto_us * 2;
	tp->rto_us = rto > tcp_rto_max(tp) ? tcp_rto_max(tp) : (uint32_t)rto;
	tcp_send_syn(tp);
	return true;
}

/* Synchronized states: back off, go back to SND.UNA and resend (RFC 6298
 * 5.4-5.6); give up once the time tcp_retries2 stands for has passed
 * since the first unacknowledged transmission. */
static enum rtx_next data_timeout(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	unsigned retries = (unsigned)st->cfg.tcp_retries2;
	if (tp->orphan)
		retries = st->cfg.tcp_orphan_retries ? (unsigned)st->cfg.tcp_orphan_retries : 8;
	if (!tp->retrans_stamp)
		tp->retrans_stamp = tp->last_data_sent ? tp->last_data_sent : st->now;
	/* TCP_USER_TIMEOUT (ms) replaces the time retries2 stands for. */
	synack_time_t limit = tp->user_timeout_ms
		? (synack_time_t)tp->user_timeout_ms * 1000
		: retries_to_time(retries, tcp_rto_min(tp), tcp_rto_max(tp));
	bool expired = tp->retransmits && st->now - tp->retrans_stamp >= limit;
	tcp_fastopen_detect_blackhole(tp, expired);
	if (expired) {
		MIB_INC(st, TCP_ABORT_ON_TIMEOUT);
		tcp_done(tp, timeout_errno(tp), "retransmissions exhausted");
		return RTX_GONE;
	}
	tcp_cc_on_rto(tp);
	tp->tlp_out = false; /* Linux tcp_retransmit_timer: a new tail */
	tp->total_retrans++;
	tp->rtt_sampling = false; /* Karn */
	tp->snd_nxt = tp->snd_una;
	tp->xmit_refused = false;
	/* SND.NXT goes past what was resent only: a copy cut short (SACKed
	 * data after it, or our SACK blocks in it) leaves the rest to send. */
	uint32_t sent = tcp_retransmit_at(tp, tp->snd_una);
	if (tp->xmit_refused)
		return refused_retransmit(tp);
	tp->retransmits++;
	tp->backoff++;
	uint64_t rto = (uint64_t)tp->rto_us * 2;
	tp->rto_us = rto > tcp_rto_max(tp) ? tcp_rto_max(tp) : (uint32_t)rto;
	tp->snd_nxt = seq_min(tp->snd_una + (sent ? sent : tp->mss), tp->snd_max);
	if (tp->fin_sent && tp->snd_una == tp->fin_seq)
		tp->snd_nxt = tp->fin_seq + 1;
	return RTX_REARM;
}

static uint64_t probe_clamped(const struct tcp_sock *tp, uint64_t when);

/* Linux tcp_probe_timer's limit: tcp_retries2 unanswered probes (every
 * ACK resets the count, so a peer that answers is probed for ever, RFC
 * 1122 4.2.2.17); an orphan gets tcp_orphan_retries (0 = 8 while its
 * backed-off RTO is under the maximum, none once it reached it). */
static bool probes_exhausted(const struct tcp_sock *tp)
{
	const struct synack_config *cfg = &tp->sk.st->cfg;
	unsigned max = (unsigned)cfg->tcp_retries2;
	if (tp->orphan) {
		bool alive = ((uint64_t)tp->rto_us << tp->backoff) < tcp_rto_max(tp);
		max = (unsigned)cfg->tcp_orphan_retries;
		if (tp->soft_err && !alive)
			max = 0;
		if (max == 0 && alive)
			max = 8;
		if (!alive && tp->backoff >= max)
			return true;
	}
	return tp->probes >= max;
}

/* Zero-window probing (RFC 9293 3.8.6.1): probes back off like the RTO;
 * a peer that keeps answering with a zero window is probed for ever. A
 * window too small for the next segment gets what fits instead, and the
 * retransmission timer takes over (Linux tcp_send_probe0). The same
 * timer holds data the device refused (local congestion, Linux
 * tcp_check_probe_timer): those tries count as probes but do not back
 * off, and come every 500 ms (TCP_RESOURCE_PROBE_INTERVAL). */
static enum rtx_next persist_timeout(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	/* Linux 5.12+: TCP_USER_TIMEOUT counts from the first probe timeout
	 * and ends probing even if the peer answers (icsk_probes_tstamp). */
	bool user_expired = false;
	if (!tp->probes_tstamp)
		tp->probes_tstamp = st->now;
	else if (tp->user_timeout_ms)
		user_expired = st->now - tp->probes_tstamp >= (synack_time_t)tp->user_timeout_ms * 1000;
	if (user_expired || probes_exhausted(tp)) {
		/* Linux tcp_write_err: the stored soft error or ETIMEDOUT. */
		MIB_INC(st, TCP_ABORT_ON_TIMEOUT);
		tcp_done(tp, timeout_errno(tp), "zero-window probes unanswered");
		return RTX_GONE;
	}
	enum tcp_wakeup w = tcp_write_wakeup(tp);
	if (w == TCP_WAKEUP_DATA) {
		tp->probes = 0;
		tp->backoff = 0;
		tp->probes_tstamp = 0;
		return RTX_REARM;
	}
	if (w != TCP_WAKEUP_REFUSED)
		MIB_INC(st, TCP_WIN_PROBE); /* Linux counts the probe before sending it */
	tp->probes++;
	if (w == TCP_WAKEUP_REFUSED || w == TCP_WAKEUP_PROBE_REFUSED) {
		tp->rtx_kind = RTX_PERSIST;
		arm_us(tp, &tp->rtx_timer, probe_clamped(tp, TCP_RESOURCE_PROBE_US));
		return RTX_ARMED;
	}
	if (tp->backoff < 16)
		tp->backoff++;
	return RTX_REARM;
}

/* Linux tcp_clamp_rto_to_user_timeout: while retransmitting with
 * TCP_USER_TIMEOUT, the timer fires no later than the give-up time. */
static synack_time_t rto_clamped(const struct tcp_sock *tp)
{
	synack_time_t rto = tp->rto_us;
	if (!tp->user_timeout_ms || !tp->retrans_stamp || !tcp_synchronized(tp->state))
		return rto;
	synack_time_t limit = (synack_time_t)tp->user_timeout_ms * 1000;
	synack_time_t elapsed = tp->sk.st->now - tp->retrans_stamp;
	if (elapsed >= limit)
		return 1000; /* Linux: one jiffy, at once */
	return limit - elapsed < rto ? limit - elapsed : rto;
}

static void rtx_fire(struct timer *t, uint64_t now_ms)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, rtx_timer);
	struct synack_stack *st = tp->sk.st;
	if (tp->rtx_kind == RTX_PROBE) {
		arm_us(tp, &tp->rtx_timer, tcp_tlp_fire(tp, rto_clamped(tp)));
		return;
	}
	if (tp->rtx_kind == RTX_REO) {
		/* Linux tcp_rack_reo_timeout: mark what is overdue lost,
		 * recover, then the RTO. */
		tp->rtx_kind = RTX_NONE;
		if (tcp_rack_reo_timeout(tp))
			tcp_sb_rack_timeout(tp);
		tcp_rearm_rtx(tp);
		return;
	}
	enum rtx_next next;
	if (tp->rtx_kind == RTX_PERSIST) {
		next = persist_timeout(tp);
	} else {
		MIB_INC(st, TCP_TIMEOUTS);
		switch (tp->tfo_pending ? SYNACK_SYN_RECV : tp->state) {
		case SYNACK_SYN_SENT:
			next = syn_sent_timeout(tp);
			break;
		case SYNACK_SYN_RECV:
			next = syn_recv_timeout(tp) ? RTX_REARM : RTX_GONE;
			break;
		default:
			next = data_timeout(tp);
			break;
		}
	}
	if (next == RTX_REARM) {
		tp->rtx_kind = RTX_NONE;
		tcp_rearm_rtx(tp);
	}
}

void tcp_fastopen_rearm(struct tcp_sock *tp)
{
	timer_cancel(&tp->sk.st->wheel, &tp->rtx_timer);
	tp->rtx_kind = RTX_NONE;
	if (tp->snd_max == tp->snd_una) {
		tcp_rearm_rtx(tp);
		return;
	}
	tp->rtx_kind = RTX_RETRANS;
	arm_us(tp, &tp->rtx_timer, rto_clamped(tp));
	tp->tlp_armed_max = tp->snd_max;
	tp->tfo_rto_hold = true;
}

/* Linux tcp_clamp_probe0_to_user_timeout: with TCP_USER_TIMEOUT, the
 * next probe timeout comes no later than its end (2 ms at least). */
static uint64_t probe_clamped(const struct tcp_sock *tp, uint64_t when)
{
	if (!tp->user_timeout_ms || !tp->probes_tstamp)
		return when;
	synack_time_t limit = (synack_time_t)tp->user_timeout_ms * 1000;
	synack_time_t elapsed = tp->sk.st->now - tp->probes_tstamp;
	uint64_t remaining = elapsed < limit ? limit - elapsed : 0;
	if (remaining < 2000)
		remaining = 2000;
	return remaining < when ? remaining : when;
}

void tcp_rearm_rtx(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	bool in_flight = tp->snd_max != tp->snd_una;
	if (in_flight)
		tp->probes_tstamp = 0; /* Linux tcp_probe_timer: packets out */
	if (in_flight) {
		synack_time_t pto = 0;
		if (tp->rtx_kind == RTX_REO && timer_armed(&tp->rtx_timer))
			return; /* RACK's reordering timer holds the slot */
		/* The RTO tcp_fastopen_rearm armed stands until more is sent
		 * (Linux schedules a probe only when new data leaves). */
		if (tp->tfo_rto_hold) {
			if (tp->rtx_kind == RTX_RETRANS && timer_armed(&tp->rtx_timer) &&
			    tp->tlp_armed_max == tp->snd_max)
				return;
			tp->tfo_rto_hold = false;
		}
		/* A Fast Open child's unacked SYN-ACK keeps the slot (Linux
		 * tcp_rearm_rto stays put while fastopen_rsk is set). */
		if (!tp->tfo_pending && tcp_tlp_schedule(tp, rto_clamped(tp), &pto)) {
			if (pto)
				arm_us(tp, &tp->rtx_timer, pto);
			return;
		}
		if (tp->rtx_kind != RTX_RETRANS || !timer_armed(&tp->rtx_timer)) {
			tp->rtx_kind = RTX_RETRANS;
			arm_us(tp, &tp->rtx_timer, rto_clamped(tp));
		}
		return;
	}
	/* Linux tcp_check_probe_timer: data held with nothing in flight, by
	 * the peer's window or by a cork (TCP_CORK, MSG_MORE), waits at most
	 * one probe interval; tcp_write_wakeup then sends it (tcp(7)'s
	 * "200 ms ceiling" on corking is this RTO). */
	bool waiting = tcp_unsent(tp) || (tp->fin_queued && !tp->fin_sent);
	if (waiting && tcp_synchronized(tp->state)) {
		if (tp->rtx_kind != RTX_PERSIST || !timer_armed(&tp->rtx_timer)) {
			uint64_t when = (uint64_t)tp->rto_us << tp->backoff;
			if (when > tcp_rto_max(tp))
				when = tcp_rto_max(tp);
			when = probe_clamped(tp, when);
			tp->rtx_kind = RTX_PERSIST;
			arm_us(tp, &tp->rtx_timer, when);
		}
		return;
	}
	tp->probes_tstamp = 0; /* nothing held: the window opened */
	tp->rtx_kind = RTX_NONE;
	timer_cancel(&st->wheel, &tp->rtx_timer);
}

static void delack_fire(struct timer *t, uint64_t now_ms)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, delack_timer);
	if (!tp->delack_pending)
		return;
	tp->delack_pending = false;
	/* Linux tcp_delack_timer_handler: the timer had to send the ACK, so
	 * ato was too short (double it, up to the RTO); in pingpong mode no
	 * reply came to carry it, so leave that mode and deflate ato. */
	if (!tp->pingpong) {
		uint32_t a = tp->ato_us * 2, rto = tp->rto_us / 1000 * 1000;
		tp->ato_us = a < rto ? a : rto;
	} else {
		tp->pingpong = false;
		tp->ato_us = TCP_DELACK_MIN_US;
	}
	MIB_INC(tp->sk.st, DELAYED_ACKS);
	tcp_send_ack(tp);
}

/* Keepalive (RFC 1122 4.2.3.6, Linux's 7200/75/9) and the first part of
 * a long FIN-WAIT-2 timeout of an orphan share one timer, as in Linux. */
static void keep_fire(struct timer *t, uint64_t now_ms)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, keep_timer);
	struct synack_stack *st = tp->sk.st;
	if (tp->state == SYNACK_FIN_WAIT2 && tp->orphan) {
		/* Linux tcp_keepalive_timer: an orphan that had more than 60 s
		 * to wait has waited the excess; a timewait entry waits the
		 * rest (fin_time - 60 s again, as Linux does). */
		synack_time_t fin_time = tcp_fin_time(tp);
		if (tp->linger2 >= 0 && fin_time > TCP_TIMEWAIT_US) {
			tcp_time_wait(tp, SYNACK_FIN_WAIT2, fin_time - TCP_TIMEWAIT_US);
			return;
		}
		tcp_send_rst_abort(tp);
		tcp_done(tp, 0, "FIN-WAIT-2 timeout (tcp_fin_timeout)");
		return;
	}
	if (!tp->sk.keepalive || (tp->state != SYNACK_ESTABLISHED && tp->state != SYNACK_CLOSE_WAIT))
		return;
	/* Linux: with data in flight or queued the connection is alive
	 * without keepalive (the retransmit or persist timer watches it). */
	if (tp->snd_max != tp->snd_una || tcp_unsent(tp)) {
		arm_us(tp, &tp->keep_timer, tcp_keepalive_time(tp));
		return;
	}
	synack_time_t idle = st->now - (tp->last_ack_recv > tp->last_data_recv ? tp->last_ack_recv
									     : tp->last_data_recv);
	if (idle < tcp_keepalive_time(tp) && tp->probes == 0) {
		arm_us(tp, &tp->keep_timer, tcp_keepalive_time(tp) - idle);
		return;
	}
	/* Linux tcp_keepalive_timer: with TCP_USER_TIMEOUT, the silence
	 * it allows (once a probe is out) replaces the probe count. */
	bool dead = tp->user_timeout_ms
		? tp->probes > 0 && idle >= (synack_time_t)tp->user_timeout_ms * 1000
		: tp->probes >= (unsigned)tcp_keepalive_probes(tp);
	if (dead) {
		tcp_send_rst_abort(tp);
		MIB_INC(st, TCP_ABORT_ON_TIMEOUT); /* Linux tcp_write_err */
		tcp_done(tp, timeout_errno(tp), "keepalive probes unanswered");
		return;
	}
	MIB_INC(st, TCP_KEEP_ALIVE);
	if (!tcp_send_probe(tp)) {
		/* Linux tcp_keepalive_timer: a probe lost to local congestion
		 * is not counted; try again in 500 ms. */
		arm_us(tp, &tp->keep_timer, TCP_RESOURCE_PROBE_US);
		return;
	}
	tp->probes++;
	arm_us(tp, &tp->keep_timer, tcp_keepalive_intvl(tp));
}

void tcp_timers_init(struct tcp_sock *tp)
{
	timer_init(&tp->rtx_timer, rtx_fire);
	timer_init(&tp->delack_timer, delack_fire);
	timer_init(&tp->keep_timer, keep_fire);
}

void tcp_timers_stop(struct tcp_sock *tp)
{
	struct timer_wheel *w = &tp->sk.st->wheel;
	timer_cancel(w, &tp->rtx_timer);
	timer_cancel(w, &tp->delack_timer);
	timer_cancel(w, &tp->keep_timer);
	tp->rtx_kind = RTX_NONE;
	tp->delack_pending = false;
}

void tcp_reset_keepalive(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->sk.keepalive && (tp->state == SYNACK_ESTABLISHED || tp->state == SYNACK_CLOSE_WAIT))
		arm_us(tp, &tp->keep_timer, tcp_keepalive_time(tp));
	else if (tp->state == SYNACK_ESTABLISHED || tp->state == SYNACK_CLOSE_WAIT)
		timer_cancel(&st->wheel, &tp->keep_timer);
}

synack_time_t tcp_fin_time(const struct tcp_sock *tp)
{
	const struct synack_stack *st = tp->sk.st;
	int secs = tp->linger2 > 0 ? tp->linger2 : st->cfg.tcp_fin_timeout;
	synack_time_t t = SYNACK_SEC(secs);
	synack_time_t floor = (synack_time_t)tp->rto_us * 4 - tp->rto_us / 2; /* 3.5 RTO */
	return t > floor ? t : floor;
}

/*
 * Linux tcp_close and tcp_rcv_state_process (FIN-WAIT-1 acked): the
 * FIN-WAIT-2 timeout is for orphans only. TCP_LINGER2 < 0 ends the
 * connection at once: close() sends a RST (TCPAbortOnLinger); the ACK of
 * our FIN is answered by one (TCPAbortOnData). A wait over 60 s starts on
 * the full socket's keepalive timer; a shorter one is a timewait entry's.
 */
bool tcp_fin_wait2_start(struct tcp_sock *tp, const struct tcp_seg *ack)
{
	struct synack_stack *st = tp->sk.st;
	if (!tp->orphan)
		return true; /* a socket the application holds waits for the peer */
	if (tp->linger2 < 0) {
		if (ack) {
			MIB_INC(st, TCP_ABORT_ON_DATA);
			tcp_send_rst_reply(st, ack);
			tcp_done(tp, 0, "FIN acked, TCP_LINGER2 < 0 (RST)");
		} else {
			MIB_INC(st, TCP_ABORT_ON_LINGER);
			tcp_send_rst_abort(tp);
			tcp_done(tp, 0, "close in FIN-WAIT-2, TCP_LINGER2 < 0 (RST)");
		}
		return false;
	}
	synack_time_t t = tcp_fin_time(tp);
	if (t > TCP_TIMEWAIT_US) {
		arm_us(tp, &tp->keep_timer, t - TCP_TIMEWAIT_US);
		return true;
	}
	if (!ack) {
		tcp_time_wait(tp, SYNACK_FIN_WAIT2, t);
		return false;
	}
	return true; /* tcp_tw_after_segment makes the entry */
}

void tcp_established_init(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	tcp_cc_init(tp);
	/* Linux tcp_init_transfer: an active open whose SYN went out more
	 * than twice starts with a window of 1 (RFC 5681 3.1). */
	if (!tp->parent && tp->total_retrans > 1)
		tp->cwnd = 1;
	/* Fast Open SYN data the SYN-ACK left unacked keeps the loss state
	 * tcp_fastopen_synack entered, up to its end. */
	if (!tp->sb_loss)
		tp->recover = tp->snd_una;
	tcp_sndbuf_expand(tp); /* Linux tcp_init_buffer_space */
	/* Linux tcp_finish_connect / tcp_create_openreq_child start the
	 * TCP_INFO clocks (rcv_tstamp, lrcvtime, lsndtime) here. */
	tp->last_ack_recv = tp->last_data_recv = tp->last_data_sent = st->now;
	tcp_rcvbuf_init(tp);
	tcp_reset_keepalive(tp);
}

synack_time_t tcp_keepalive_time(const struct tcp_sock *tp)
{
	return SYNACK_SEC(tp->keepidle ? tp->keepidle : tp->sk.st->cfg.tcp_keepalive_time);
}

synack_time_t tcp_keepalive_intvl(const struct tcp_sock *tp)
{
	return SYNACK_SEC(tp->keepintvl ? tp->keepintvl : tp->sk.st->cfg.tcp_keepalive_intvl);
}

int tcp_keepalive_probes(const struct tcp_sock *tp)
{
	return tp->keepcnt ? tp->keepcnt : tp->sk.st->cfg.tcp_keepalive_probes;
}

uint32_t tcp_notsent_lowat(const struct tcp_sock *tp)
{
	return tp->notsent_lowat ? tp->notsent_lowat : (uint32_t)tp->sk.st->cfg.tcp_notsent_lowat;
}

/* Linux tcp_sock_set_keepidle: with keepalive on, the timer fires when
 * the new idle time is over, counted from the last segment received. */
void tcp_keepalive_changed(struct tcp_sock *tp)
{
	if (!tp->sk.keepalive || (tp->state != SYNACK_ESTABLISHED && tp->state != SYNACK_CLOSE_WAIT))
		return;
	synack_time_t last = tp->last_ack_recv > tp->last_data_recv ? tp->last_ack_recv
								    : tp->last_data_recv;
	synack_time_t idle = tp->sk.st->now - last;
	synack_time_t t = tcp_keepalive_time(tp);
	arm_us(tp, &tp->keep_timer, idle < t ? t - idle : 0);
}
