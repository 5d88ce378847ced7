/*
 * "cubic": RFC 9438 as Linux's net/ipv4/tcp_cubic.c runs it (the
 * default congestion control). After a loss the window follows
 *
 *   W_cubic(t) = C * (t - K)^3 + W_max,   K = cbrt(W_max * (1 - beta) / C)
 *
 * with C = 0.4 (Linux bic_scale 41/1024 scaled by 10) and beta = 0.7
 * (717/1024); t counts from the start of the epoch (the first ACK in
 * congestion avoidance after the reduction) plus the least RTT seen.
 * Linux evaluates it in integers: time in 1/1024 s, one update of the
 * per-ACK increment ("cnt": one segment per cnt segments acked) per
 * jiffy (1 ms), and K from a cube root of (W_max - cwnd) * 2^40 / 410.
 * Also, as Linux:
 * - fast convergence (RFC 9438 4.7): a loss below the last W_max lowers
 *   W_max to cwnd * (1 + beta) / 2;
 * - the Reno-friendly region (RFC 9438 4.3): an estimate W_est grows by
 *   one segment per 8 * cwnd * (1 - beta) / (3 * (1 + beta)) segments
 *   acked (Linux beta_scale = 15 / 8 of the cwnd), and the window grows
 *   at least as fast as it;
 * - at most one segment per two acked (cwnd * 1.5 per RTT), and 5% per
 *   RTT before any loss (no W_max yet);
 * - idle periods shift the epoch so the curve does not jump (TX_START);
 * - HyStart (Ha and Rhee), Linux 6.x tuning: from a cwnd of 16, slow
 *   start ends (ssthresh = cwnd) when ACKs of one round keep arriving
 *   closely spaced (<= 2 ms apart) for more than half the least RTT
 *   (ACK train), or when the least RTT of the round's first 8 samples
 *   exceeds the least RTT overall by an eighth of it, clamped to 4..16 ms
 *   (delay increase).
 * Linux's cube root is a table guess plus one Newton step (~0.2% off);
 * ours is the exact integer root, so K may differ from Linux's by that.
 */
#include <assert.h>
#include <string.h>

#include "tcp/tcp.h"

#define BETA 717u                 /* beta * 1024 */
#define BETA_SCALE 1024u
#define CUBE_RTT_SCALE 410u       /* Linux bic_scale (41) * 10: C * 1024 / 0.1 s */
#define CUBE_FACTOR (((uint64_t)1 << 40) / 410u) /* 2^40 / C: K's cube in 2^-30 s^3 */
#define FRIENDLY_SCALE 15u        /* 8 * (1024 + 717) / 3 / (1024 - 717) */
#define CUBIC_HZ 1000u            /* jiffies per second */
#define HYSTART_LOW_WINDOW 16u
#define HYSTART_ACK_DELTA_US 2000u
#define HYSTART_MIN_SAMPLES 8u
#define HYSTART_DELAY_MIN_US 4000u
#define HYSTART_DELAY_MAX_US 16000u
#define GSO_MAX_SIZE 65536u       /* the device's largest TSO packet */

struct cubic {
	uint32_t cnt;             /* cwnd grows by one per cnt segments acked */
	uint32_t last_max_cwnd;   /* W_max */
	uint32_t last_cwnd;       /* cwnd at the last update of cnt */
	uint32_t last_time;       /* jiffies of that update */
	uint32_t origin_point;    /* the curve's plateau */
	uint32_t k;               /* K, in 1/1024 s */
	uint32_t delay_min;       /* least RTT, us */
	uint32_t epoch_start;     /* jiffies, 0 = no epoch */
	uint32_t ack_cnt;         /* segments acked for the Reno estimate */
	uint32_t tcp_cwnd;        /* W_est, the Reno estimate */
	/* HyStart: reset each round (a window of data). */
	uint8_t sample_cnt;
	bool found;               /* slow start's exit point was found */
	uint32_t round_start;     /* us */
	uint32_t end_seq;         /* the round ends when this is acked */
	uint32_t last_ack;        /* us of the last closely spaced ACK */
	uint32_t curr_rtt;        /* least RTT of this round's first samples */
};

static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_sock *)0)->ca_priv),
	      "cubic state fits the socket's private area");

static struct cubic *ca(struct tcp_sock *tp)
{
	return (struct cubic *)(void *)tp->ca_priv;
}

static uint32_t clock_us(const struct tcp_sock *tp)
{
	return (uint32_t)tp->sk.st->now;
}

/* Everything but HyStart's round (Linux bictcp_reset). */
static void cubic_reset(struct cubic *c)
{
	uint8_t samples = c->sample_cnt;
	uint32_t rs = c->round_start, es = c->end_seq, la = c->last_ack, cr = c->curr_rtt;
	memset(c, 0, sizeof(*c));
	c->sample_cnt = samples;
	c->round_start = rs, c->end_seq = es, c->last_ack = la, c->curr_rtt = cr;
}

static void hystart_reset(struct tcp_sock *tp)
{
	struct cubic *c = ca(tp);
	c->round_start = c->last_ack = clock_us(tp);
	c->end_seq = tp->snd_nxt;
	c->curr_rtt = UINT32_MAX;
	c->sample_cnt = 0;
}

static void cubic_init(struct tcp_sock *tp)
{
	cubic_reset(ca(tp));
	hystart_reset(tp);
}

/* The exact integer cube root: floor(cbrt(a)). A power-of-two guess
 * above the root, then Newton's step x = (2x + a/x^2) / 3, which comes
 * down monotonically to it. */
static uint32_t cubic_root(uint64_t a)
{
	if (a < 8)
		return a ? 1 : 0;
	unsigned bits = 64 - (unsigned)__builtin_clzll(a);
	uint64_t x = (uint64_t)1 << ((bits + 2) / 3); /* >= cbrt(a) */
	for (unsigned guard = 0; guard < 64; guard++) {
		uint64_t y = (2 * x + a / (x * x)) / 3;
		if (y >= x)
			break;
		x = y;
	}
	while (x * x * x > a)
		x--;
	while ((x + 1) * (x + 1) * (x + 1) <= a)
		x++;
	return (uint32_t)x;
}

/* Linux bictcp_update: the increment for this ACK from the cubic curve
 * and the Reno estimate. */
static void cubic_update(struct tcp_sock *tp, uint32_t cwnd, uint32_t acked)
{
	struct cubic *c = ca(tp);
	uint32_t now = tcp_jiffies32(tp);
	c->ack_cnt += acked;
	if (c->last_cwnd == cwnd && (int32_t)(now - c->last_time) <= (int32_t)(CUBIC_HZ / 32))
		return;
	/* The curve is evaluated at most once a jiffy; a reduction clears
	 * epoch_start and forces it. */
	if (!(c->epoch_start && now == c->last_time)) {
		c->last_cwnd = cwnd;
		c->last_time = now;
		if (c->epoch_start == 0) {
			c->epoch_start = now;
			c->ack_cnt = acked;
			c->tcp_cwnd = cwnd;
			if (c->last_max_cwnd <= cwnd) {
				c->k = 0;
				c->origin_point = cwnd;
			} else {
				c->k = cubic_root(CUBE_FACTOR * (c->last_max_cwnd - cwnd));
				c->origin_point = c->last_max_cwnd;
			}
		}
		/* t since the epoch plus the least RTT, in 1/1024 s
		 * (usecs_to_jiffies rounds up). */
		uint64_t t = (uint64_t)(uint32_t)(int32_t)(now - c->epoch_start) +
			     (c->delay_min + 999) / 1000;
		t = (t << 10) / CUBIC_HZ;
		uint64_t offs = t < c->k ? c->k - t : t - c->k;
		uint32_t delta = (uint32_t)((CUBE_RTT_SCALE * offs * offs * offs) >> 40);
		uint32_t target = t < c->k ? c->origin_point - delta : c->origin_point + delta;
		c->cnt = target > cwnd ? cwnd / (target - cwnd) : 100 * cwnd;
		if (c->last_max_cwnd == 0 && c->cnt > 20)
			c->cnt = 20; /* no loss yet: 5% per RTT at most */
	}
	/* RFC 9438 4.3: the Reno-friendly estimate. */
	uint32_t per = (cwnd * FRIENDLY_SCALE) >> 3;
	if (per == 0)
		per = 1;
	if (c->ack_cnt > per) {
		uint32_t n = c->ack_cnt / per;
		if (c->ack_cnt % per == 0)
			n--; /* Linux's loop stops at ack_cnt == per */
		c->ack_cnt -= n * per;
		c->tcp_cwnd += n;
	}
	if (c->tcp_cwnd > cwnd) {
		uint32_t max_cnt = cwnd / (c->tcp_cwnd - cwnd);
		if (c->cnt > max_cnt)
			c->cnt = max_cnt;
	}
	if (c->cnt < 2)
		c->cnt = 2;
}

static void cubic_cong_avoid(struct tcp_sock *tp, uint32_t ack, uint32_t acked)
{
	(void)ack;
	if (!tcp_is_cwnd_limited(tp))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	cubic_update(tp, tp->cwnd, acked);
	tcp_cong_avoid_ai(tp, ca(tp)->cnt, acked);
}

/* RFC 9438 4.6 and 4.7: W_max (lowered by fast convergence), and the
 * window times beta, at least 2. */
static uint32_t cubic_ssthresh(struct tcp_sock *tp)
{
	struct cubic *c = ca(tp);
	c->epoch_start = 0;
	if (tp->cwnd < c->last_max_cwnd)
		c->last_max_cwnd = (uint32_t)((uint64_t)tp->cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE));
	else
		c->last_max_cwnd = tp->cwnd;
	uint32_t w = (uint32_t)((uint64_t)tp->cwnd * BETA / BETA_SCALE);
	return w > 2 ? w : 2;
}

/* A timeout forgets the curve and HyStart's round (Linux cubictcp_state). */
static void cubic_set_state(struct tcp_sock *tp, enum tcp_ca_st s)
{
	if (s == CA_ST_LOSS) {
		cubic_reset(ca(tp));
		hystart_reset(tp);
	}
}

/* Sending again after the application left the connection idle: the
 * epoch moves by the idle time, so the curve resumes where it stopped. */
static void cubic_cwnd_event(struct tcp_sock *tp, enum tcp_ca_event ev)
{
	if (ev != CA_EVENT_TX_START)
		return;
	struct cubic *c = ca(tp);
	uint32_t now = tcp_jiffies32(tp);
	int32_t delta = (int32_t)(now - tcp_jiffies_of(tp->last_data_sent)); /* Linux lsndtime */
	if (c->epoch_start && delta > 0) {
		c->epoch_start += (uint32_t)delta;
		if ((int32_t)(c->epoch_start - now) > 0)
			c->epoch_start = now;
	}
}

/* Linux hystart_ack_delay: a cushion for TSO/GRO batching, the time of
 * four 64 KiB packets at the pacing rate, at most 1 ms. */
static uint32_t hystart_ack_delay(const struct tcp_sock *tp)
{
	uint64_t rate = tcp_pacing_rate(tp);
	if (!rate)
		return 0;
	uint64_t d = (uint64_t)GSO_MAX_SIZE * 4 * 1000000 / rate;
	return d < 1000 ? (uint32_t)d : 1000;
}

static void hystart_found(struct tcp_sock *tp, bool train)
{
	struct synack_stack *st = tp->sk.st;
	ca(tp)->found = true;
	if (train) {
		MIB_INC(st, TCP_HYSTART_TRAIN_DETECT);
		MIB_ADD(st, TCP_HYSTART_TRAIN_CWND, tp->cwnd);
	} else {
		MIB_INC(st, TCP_HYSTART_DELAY_DETECT);
		MIB_ADD(st, TCP_HYSTART_DELAY_CWND, tp->cwnd);
	}
	tp->ssthresh = tp->cwnd;
}

static void hystart_update(struct tcp_sock *tp, uint32_t delay)
{
	struct cubic *c = ca(tp);
	if (seq_gt(tp->snd_una, c->end_seq))
		hystart_reset(tp);
	if (tp->cwnd < HYSTART_LOW_WINDOW)
		return;
	/* ACK train: closely spaced ACKs for more than half the least RTT
	 * (we never pace in slow start, Linux SK_PACING_NONE). */
	uint32_t now = clock_us(tp);
	if ((int32_t)(now - c->last_ack) <= (int32_t)HYSTART_ACK_DELTA_US) {
		c->last_ack = now;
		uint32_t threshold = (c->delay_min + hystart_ack_delay(tp)) >> 1;
		if ((int32_t)(now - c->round_start) > (int32_t)threshold) {
			hystart_found(tp, true);
			return;
		}
	}
	/* Delay increase over the round's first samples. */
	if (c->curr_rtt > delay)
		c->curr_rtt = delay;
	if (c->sample_cnt < HYSTART_MIN_SAMPLES) {
		c->sample_cnt++;
		return;
	}
	uint32_t thresh = c->delay_min >> 3;
	thresh = thresh < HYSTART_DELAY_MIN_US ? HYSTART_DELAY_MIN_US
		 : thresh > HYSTART_DELAY_MAX_US ? HYSTART_DELAY_MAX_US : thresh;
	if (c->curr_rtt > c->delay_min + thresh)
		hystart_found(tp, false);
}

static void cubic_pkts_acked(struct tcp_sock *tp, uint32_t pkts, int32_t rtt_us)
{
	(void)pkts;
	struct cubic *c = ca(tp);
	if (rtt_us < 0)
		return;
	/* Samples right after a reduction are discarded (a second). */
	if (c->epoch_start && (int32_t)(tcp_jiffies32(tp) - c->epoch_start) < (int32_t)CUBIC_HZ)
		return;
	uint32_t delay = rtt_us ? (uint32_t)rtt_us : 1;
	if (c->delay_min == 0 || c->delay_min > delay)
		c->delay_min = delay;
	if (!c->found && tcp_in_slow_start(tp))
		hystart_update(tp, delay);
}

const struct tcp_cc_ops tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
	.set_state = cubic_set_state,
	.cwnd_event = cubic_cwnd_event,
	.pkts_acked = cubic_pkts_acked,
	.undo_cwnd = tcp_reno_undo_cwnd,
};
