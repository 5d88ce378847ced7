/*
 * Round-trip time and the retransmission timeout, RFC 6298 with Linux's
 * constants: RTO starts at 1 s, is at least rto_min (200 ms) above SRTT
 * (Linux keeps RTTVAR >= rto_min), at most 120 s.
 */
#include "tcp/tcp.h"

#define TCP_TIMEOUT_FALLBACK_US 3000000

uint32_t tcp_rto_min(const struct tcp_sock *tp) { return (uint32_t)tp->sk.st->cfg.tcp_rto_min_us; }

uint32_t tcp_rto_max(const struct tcp_sock *tp)
{
	return (uint32_t)tp->sk.st->cfg.tcp_rto_max_ms * 1000u;
}

void tcp_rtt_init(struct tcp_sock *tp)
{
	tp->srtt_us = 0;
	tp->rttvar_us = 0;
	tp->rto_us = TCP_TIMEOUT_INIT_US;
	tp->min_rtt_us = UINT32_MAX;
	tp->ato_us = 0; /* Linux icsk_ack.ato: 0 until the first data */
}

static void tcp_set_rto(struct tcp_sock *tp)
{
	uint32_t var = tp->rttvar_us * 4;
	if (var < tcp_rto_min(tp))
		var = tcp_rto_min(tp);
	uint64_t rto = (uint64_t)tp->srtt_us + var;
	if (rto > tcp_rto_max(tp))
		rto = tcp_rto_max(tp);
	tp->rto_us = (uint32_t)rto;
}

static void rtt_estimate(struct tcp_sock *tp, uint32_t r);

/* RFC 6298 2.2 and 2.3 (alpha 1/8, beta 1/4). */
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t r)
{
	tcp_rtt_sample2(tp, r, r);
}

void tcp_rtt_sample2(struct tcp_sock *tp, uint32_t r, uint32_t ca)
{
	if (r == 0)
		r = 1;
	if (ca == 0)
		ca = 1;
	if (ca < tp->min_rtt_us)
		tp->min_rtt_us = ca;
	tp->ca_rtt_us = ca < INT32_MAX ? (int32_t)ca : INT32_MAX; /* for pkts_acked (cc.c) */
	rtt_estimate(tp, r);
}

static void rtt_estimate(struct tcp_sock *tp, uint32_t r)
{
	if (tp->srtt_us == 0) {
		tp->srtt_us = r;
		tp->rttvar_us = r / 2;
	} else {
		uint32_t diff = tp->srtt_us > r ? tp->srtt_us - r : r - tp->srtt_us;
		tp->rttvar_us = (3 * tp->rttvar_us + diff) / 4;
		tp->srtt_us = (7 * tp->srtt_us + r) / 8;
	}
	tcp_set_rto(tp);
}

/*
 * RFC 7323 4.1, as Linux tcp_ack_update_rtt: an ACK of new data that
 * echoes one of our TSvals times the round trip, retransmitted data
 * included (the echo names the transmission, so Karn's ambiguity is
 * gone). Linux takes it when the sequence-based sample is missing; 1 ms
 * resolution, at least 1 ms.
 */
void tcp_rtt_sample_ts(struct tcp_sock *tp, uint32_t tsecr)
{
	if (!tp->rx_opt.ts_ok || tsecr == 0)
		return;
	uint32_t delta = tcp_ts_now(tp->sk.st, tp->ts_offset) - tsecr;
	if (delta >= INT32_MAX / 1000)
		return; /* an echo from the future, or garbage */
	tcp_rtt_sample(tp, (delta ? delta : 1) * 1000u);
}

void tcp_rtt_sample_syn(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->rtt_sampling && tp->retransmits == 0) {
		tcp_rtt_sample(tp, (uint32_t)(st->now - tp->rtt_sent));
	} else if (tp->srtt_us == 0) {
		tp->rto_us = TCP_TIMEOUT_FALLBACK_US;
	}
	tp->rtt_sampling = false;
}
