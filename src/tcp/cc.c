/*
 * Congestion control glue, as Linux's tcp_cong.c and the cwnd parts of
 * tcp_output.c: the table of algorithms, the choice per socket, the
 * helpers algorithms share (slow start and additive increase, RFC 5681
 * 3.1 with Linux's byte-counting flavour, RFC 3465), and the window
 * checks around idle periods: cwnd validation (RFC 7661's predecessor
 * RFC 2861, Linux tcp_cwnd_validate) and slow start after idle (RFC 5681
 * 4.1, Linux tcp_cwnd_restart, net.ipv4.tcp_slow_start_after_idle).
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp.h"

/* Linux registers reno first (built in), then cubic. */
static const struct tcp_cc_ops *const cc_table[] = {&tcp_reno_ops, &tcp_cubic_ops};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cc_table) / sizeof(cc_table[0]); i++)
		if (strcmp(cc_table[i]->name, name) == 0)
			return cc_table[i];
	return NULL;
}

const char *tcp_cc_available(void)
{
	return "reno cubic";
}

const struct tcp_cc_ops *tcp_cc_default(const struct tcp_sock *tp)
{
	const struct tcp_cc_ops *ops = tcp_cc_find(tp->sk.st->cfg.tcp_congestion_control);
	return ops ? ops : &tcp_cubic_ops;
}

/* Linux INITIAL_JIFFIES: jiffies start 5 minutes before wrapping. */
#define TCP_INITIAL_JIFFIES ((uint32_t)-300000)

uint32_t tcp_jiffies_of(synack_time_t t)
{
	return (uint32_t)(t / 1000) + TCP_INITIAL_JIFFIES;
}

uint32_t tcp_jiffies32(const struct tcp_sock *tp)
{
	return tcp_jiffies_of(tp->sk.st->now);
}

/* icsk_rto in jiffies: Linux's usecs_to_jiffies rounds up. */
static uint32_t rto_jiffies(const struct tcp_sock *tp)
{
	return (tp->rto_us + 999) / 1000;
}

static void cc_start(struct tcp_sock *tp)
{
	memset(tp->ca_priv, 0, sizeof(tp->ca_priv));
	if (tp->ca_ops->init)
		tp->ca_ops->init(tp);
}

/* A new socket, and again at the end of the handshake (Linux
 * tcp_init_transfer: tcp_init_congestion_control): initial window 10
 * (RFC 6928), no threshold yet. A socket takes the default algorithm
 * when it is created (tcp_assign_congestion_control). */
void tcp_cc_init(struct tcp_sock *tp)
{
	tp->cwnd = TCP_INIT_CWND;
	tp->ssthresh = TCP_INFINITE_SSTHRESH;
	tp->cwnd_cnt = 0;
	tp->dupacks = 0;
	tp->in_recovery = false;
	tp->ca_rtt_us = -1;
	tp->snd_cwnd_stamp = tp->sk.st->now;
	tp->snd_cwnd_used = 0;
	if (!tp->ca_ops)
		tp->ca_ops = tcp_cc_default(tp);
	cc_start(tp);
}

/* Linux tcp_set_congestion_control / tcp_reinit_congestion_control: a
 * live connection's algorithm starts afresh; the window stays. */
int tcp_cc_set(struct tcp_sock *tp, const char *name)
{
	const struct tcp_cc_ops *ops = tcp_cc_find(name);
	if (!ops) {
		errno = ENOENT;
		return -1;
	}
	tp->ca_setsockopt = true;
	if (ops == tp->ca_ops)
		return 0;
	tp->ca_ops = ops;
	if (tp->state != SYNACK_CLOSE && tp->state != SYNACK_LISTEN)
		cc_start(tp);
	return 0;
}

uint32_t tcp_cc_ssthresh(struct tcp_sock *tp)
{
	return tp->ca_ops->ssthresh(tp);
}

void tcp_cc_set_state(struct tcp_sock *tp, enum tcp_ca_st s)
{
	if (tp->ca_ops->set_state)
		tp->ca_ops->set_state(tp, s);
}

void tcp_cc_event(struct tcp_sock *tp, enum tcp_ca_event ev)
{
	if (tp->ca_ops->cwnd_event)
		tp->ca_ops->cwnd_event(tp, ev);
}

/* Linux tcp_cong_avoid: the algorithm grows the window; the network
 * was fed now. */
void tcp_cong_avoid(struct tcp_sock *tp, uint32_t ack, uint32_t acked)
{
	tp->ca_ops->cong_avoid(tp, ack, acked);
	tp->snd_cwnd_stamp = tp->sk.st->now;
}

/* Linux tcp_clean_rtx_queue's pkts_acked call, once per ACK, with the
 * RTT rack.c took from it (ca_rtt_us). */
void tcp_cc_pkts_acked(struct tcp_sock *tp, uint32_t pkts)
{
	int32_t rtt = tp->ca_rtt_us;
	if (rtt < 0 && !pkts)
		return;
	tp->ca_rtt_us = -1;
	if (tp->ca_ops->pkts_acked)
		tp->ca_ops->pkts_acked(tp, pkts, rtt);
}

bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tp->cwnd < tp->ssthresh;
}

/* Segments sent and not yet acknowledged (Linux packets_out). */
static uint32_t packets_out(const struct tcp_sock *tp)
{
	return tcp_packets_in_flight(tp);
}

/* Linux tcp_is_cwnd_limited: the cwnd was the limit in the last window,
 * or (slow start) it is below twice the most that was in flight, so an
 * application-limited sender does not grow its window without bound. */
bool tcp_is_cwnd_limited(const struct tcp_sock *tp)
{
	if (tp->is_cwnd_limited)
		return true;
	if (tcp_in_slow_start(tp))
		return tp->cwnd < 2 * tp->max_packets_out;
	return false;
}

/* RFC 5681 3.1 slow start, counting segments delivered (Linux
 * tcp_slow_start): up to ssthresh; what is left over goes to
 * congestion avoidance. */
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked)
{
	uint64_t want = (uint64_t)tp->cwnd + acked;
	uint32_t cwnd = want < tp->ssthresh ? (uint32_t)want : tp->ssthresh;
	if (cwnd < tp->cwnd)
		cwnd = tp->cwnd; /* ssthresh below cwnd: nothing to do here */
	acked -= cwnd - tp->cwnd;
	tp->cwnd = cwnd;
	return acked;
}

/* One segment per w segments acked (Linux tcp_cong_avoid_ai): credit
 * earned under a larger w is spent first; several segments may be added
 * at once for a stretch ACK. */
void tcp_cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked)
{
	if (w == 0)
		w = 1;
	if (tp->cwnd_cnt >= w) {
		tp->cwnd_cnt = 0;
		tp->cwnd++;
	}
	tp->cwnd_cnt += acked;
	if (tp->cwnd_cnt >= w) {
		uint32_t delta = tp->cwnd_cnt / w;
		tp->cwnd_cnt -= delta * w;
		tp->cwnd += delta;
	}
}

bool tcp_ca_loss(const struct tcp_sock *tp)
{
	return tp->sb_loss && seq_lt(tp->snd_una, tp->recover);
}

/* The congestion state as Linux keeps it: Recovery (or CWR), Loss after
 * a timeout until what was out then is acked, Disorder with duplicate
 * ACKs or SACKed data. */
static bool ca_open(const struct tcp_sock *tp)
{
	return !tp->in_recovery && !tp->ca_cwr && !tcp_ca_loss(tp) && !tp->dupacks && !tp->nsacked;
}

/* Linux tcp_current_ssthresh: in a reduction, ssthresh; else at least
 * three quarters of the cwnd, remembering how far it had got. */
static uint32_t current_ssthresh(const struct tcp_sock *tp)
{
	if (tp->in_recovery || tp->ca_cwr)
		return tp->ssthresh;
	uint32_t q = (tp->cwnd >> 1) + (tp->cwnd >> 2);
	return tp->ssthresh > q ? tp->ssthresh : q;
}

/* RFC 2861 (Linux tcp_cwnd_application_limited): the sender used less
 * than its window for an RTO; the window comes down halfway to what was
 * used (at least the initial window). Not when the writer is blocked on
 * the send buffer: that is our limit, not the application's. */
static void cwnd_application_limited(struct tcp_sock *tp)
{
	if (ca_open(tp) && !tp->nospace) {
		uint32_t used = tp->snd_cwnd_used > TCP_INIT_CWND ? tp->snd_cwnd_used : TCP_INIT_CWND;
		if (used < tp->cwnd) {
			tp->ssthresh = current_ssthresh(tp);
			tp->cwnd = (tp->cwnd + used) >> 1;
		}
		tp->snd_cwnd_used = 0;
	}
	tp->snd_cwnd_stamp = tp->sk.st->now;
}

/* Linux tcp_cwnd_validate, after tcp_write_xmit sent something or found
 * the cwnd full: remember whether the cwnd was the limit in this window
 * (until SND.UNA passes what was sent now) and the most in flight. */
void tcp_cwnd_validate(struct tcp_sock *tp, bool is_cwnd_limited)
{
	uint32_t out = packets_out(tp);
	if (!seq_lt(tp->snd_una, tp->cwnd_usage_seq) || is_cwnd_limited ||
	    (!tp->is_cwnd_limited && out > tp->max_packets_out)) {
		tp->is_cwnd_limited = is_cwnd_limited;
		tp->max_packets_out = out;
		tp->cwnd_usage_seq = tp->snd_nxt;
	}
	if (tcp_is_cwnd_limited(tp)) {
		tp->snd_cwnd_used = 0;
		tp->snd_cwnd_stamp = tp->sk.st->now;
		return;
	}
	if (out > tp->snd_cwnd_used)
		tp->snd_cwnd_used = out;
	if (tp->sk.st->cfg.tcp_slow_start_after_idle &&
	    (int32_t)(tcp_jiffies32(tp) - tcp_jiffies_of(tp->snd_cwnd_stamp)) >= (int32_t)rto_jiffies(tp))
		cwnd_application_limited(tp);
}

/* Linux tcp_cwnd_restart: after idle, the window halves for every RTO
 * of idleness, down to the initial window at most. */
static void cwnd_restart(struct tcp_sock *tp, int32_t delta)
{
	tcp_cc_event(tp, CA_EVENT_CWND_RESTART);
	tp->ssthresh = current_ssthresh(tp);
	uint32_t restart = TCP_INIT_CWND < tp->cwnd ? TCP_INIT_CWND : tp->cwnd;
	uint32_t cwnd = tp->cwnd;
	int32_t rto = (int32_t)rto_jiffies(tp);
	for (unsigned guard = 0; guard < 32 && (delta -= rto) > 0 && cwnd > restart; guard++)
		cwnd >>= 1;
	tp->cwnd = cwnd > restart ? cwnd : restart;
	tp->snd_cwnd_stamp = tp->sk.st->now;
	tp->snd_cwnd_used = 0;
}

/* Linux tcp_slow_start_after_idle_check (a write queues new data):
 * nothing in flight and idle for more than an RTO since data last went
 * out. */
void tcp_cc_idle_check(struct tcp_sock *tp)
{
	if (!tp->sk.st->cfg.tcp_slow_start_after_idle || tp->snd_una != tp->snd_max ||
	    !tcp_synchronized(tp->state))
		return;
	int32_t delta = (int32_t)(tcp_jiffies32(tp) - tcp_jiffies_of(tp->last_data_sent));
	if (delta > (int32_t)rto_jiffies(tp))
		cwnd_restart(tp, delta);
}

/* Linux tcp_event_data_sent: data leaves with nothing in flight. */
void tcp_cc_data_sent(struct tcp_sock *tp)
{
	if (tp->snd_una == tp->snd_max)
		tcp_cc_event(tp, CA_EVENT_TX_START);
}

/* Linux tcp_end_cwnd_reduction: recovery is over. */
void tcp_cc_end_reduction(struct tcp_sock *tp)
{
	tp->cwnd = tp->ssthresh;
	tp->cwnd_cnt = 0;
	tp->snd_cwnd_stamp = tp->sk.st->now;
	tcp_cc_event(tp, CA_EVENT_COMPLETE_CWR);
}
