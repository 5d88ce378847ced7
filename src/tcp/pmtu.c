/*
 * Path MTU discovery for TCP (RFC 1191, RFC 1122 4.2.2.6), as Linux:
 * every segment goes with DF; an ICMP "fragmentation needed" quoting a
 * sequence number in [SND.UNA, SND.NXT] (tcp.c's tcp_icmp_error checks
 * it) lowers the destination's path MTU in the stack's cache
 * (ipv4/route.c, Linux ip_rt_update_pmtu), the connection's MSS follows
 * (tcp_v4_mtu_reduced, tcp_sync_mss), and what no longer fits is resent
 * at once at the new size without a congestion response
 * (tcp_simple_retransmit). New connections to that destination start
 * from the cached MTU until it expires; then the MSS grows back
 * (tcp_current_mss re-syncs when the route's MTU changes).
 */
#include <errno.h>

#include "ipv4/ipv4.h"
#include "tcp/tcp.h"

#define IP_TCP_HDRS 40      /* IPv4 + TCP headers without options */
#define TCP_MIN_ADVMSS 256  /* Linux ip_rt_min_advmss */

/* The route's path MTU (and whether min_pmtu locked it), noting its
 * generation and expiry so tcp_mtu_check sees the next change. */
static unsigned route_mtu(struct tcp_sock *tp, bool *locked)
{
	struct synack_stack *st = tp->sk.st;
	uint64_t expires;
	unsigned mtu = ipv4_route_mtu(st, tp->raddr, locked, &expires);
	tp->pmtu_gen = st->pmtu_gen;
	tp->pmtu_expires = expires;
	return mtu;
}

void tcp_advertise_mss(struct tcp_sock *tp)
{
	unsigned mtu = route_mtu(tp, NULL);
	/* Linux ipv4_default_advmss: path MTU - 40, at least 256. */
	unsigned adv = mtu > IP_TCP_HDRS + TCP_MIN_ADVMSS ? mtu - IP_TCP_HDRS : TCP_MIN_ADVMSS;
	if (adv < tp->advmss)
		tp->advmss = (uint16_t)adv;
}

void tcp_pmtu_init(struct tcp_sock *tp)
{
	tcp_advertise_mss(tp);
	tp->pmtu_cookie = (uint16_t)route_mtu(tp, NULL);
}

void tcp_sync_mss(struct tcp_sock *tp, unsigned pmtu)
{
	tp->pmtu_cookie = (uint16_t)pmtu;
	/* Before the peer's SYN its MSS (Linux mss_clamp) is unknown. */
	if (tp->state == SYNACK_SYN_SENT || tp->state == SYNACK_CLOSE ||
	    tp->state == SYNACK_LISTEN)
		return;
	/* Linux __tcp_mtu_to_mss: MTU - 40, at most the peer's MSS and
	 * TCP_MAXSEG, at least tcp_min_snd_mss (48); then less the
	 * timestamps every segment carries. */
	uint32_t mss = pmtu > IP_TCP_HDRS ? pmtu - IP_TCP_HDRS : 0;
	uint32_t clamp = tp->rx_opt.mss;
	if (tp->user_mss && tp->user_mss < clamp)
		clamp = tp->user_mss;
	if (mss > clamp)
		mss = clamp;
	if (mss < TCP_MIN_MSS)
		mss = TCP_MIN_MSS;
	if (tp->rx_opt.ts_ok)
		mss -= TCP_TS_ALIGNED;
	/* tcp_bound_to_half_wnd: no segment above half the largest window
	 * the peer offered (the whole of one under 536 bytes). */
	uint32_t cutoff = tp->max_window > TCP_DEFAULT_MSS ? tp->max_window / 2 : tp->max_window;
	if (cutoff && mss > cutoff) {
		uint32_t floor = 68 - 20 - (tp->rx_opt.ts_ok ? TCP_TS_ALIGNED : 0);
		mss = cutoff > floor ? cutoff : floor;
	}
	tp->mss = (uint16_t)mss;
}

void tcp_mtu_check(struct tcp_sock *tp)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->pmtu_gen == st->pmtu_gen && !(tp->pmtu_expires && st->now >= tp->pmtu_expires))
		return;
	unsigned mtu = route_mtu(tp, NULL);
	if (mtu != tp->pmtu_cookie && tcp_synchronized(tp->state))
		tcp_sync_mss(tp, mtu);
}

void tcp_enter_loss_nocc(struct tcp_sock *tp)
{
	/* Linux enters CA_Loss up to what is out now (high_seq), keeping
	 * cwnd: the units changed, not the congestion; ssthresh becomes at
	 * least 3/4 of cwnd outside a reduction (tcp_current_ssthresh). */
	if (!tp->sb_loss) {
		if (!tp->in_recovery) {
			uint32_t q = (tp->cwnd >> 1) + (tp->cwnd >> 2);
			if (tp->ssthresh < q)
				tp->ssthresh = q;
		}
		tp->in_recovery = false;
		tp->sack_recovery = false;
		tp->dupacks = 0;
		tp->recover = tp->snd_max;
		/* The SACK sender's loss state (scoreboard.c) ends once
		 * RECOVER is acked; without SACK, NewReno's RECOVER alone. */
		tp->sb_loss = tcp_sb_on(tp);
	}
}

void tcp_nocc_loss_retransmit(struct tcp_sock *tp, uint32_t seq)
{
	tcp_enter_loss_nocc(tp);
	if (seq_lt(seq, tp->snd_nxt))
		tp->snd_nxt = seq;
	uint32_t before = tp->snd_nxt;
	tcp_output(tp);
	if (before == tp->snd_una && tp->snd_nxt != before && tp->snd_una != tp->snd_max) {
		/* The head went again: a fresh RTO (tcp_xmit_retransmit_queue). */
		tp->rtx_kind = RTX_RETRANS;
		tcp_rtx_arm(tp, tp->rto_us);
	}
}

/* Linux tcp_simple_retransmit: what is longer than the new MSS was
 * dropped on the way; resend it now, in pieces of the new size. */
static void simple_retransmit(struct tcp_sock *tp)
{
	if (tp->state == SYNACK_SYN_SENT) {
		/* A Fast Open SYN with data: the SYN goes again at once,
		 * bare (retransmitted SYNs carry no data) and advertising
		 * the new MSS; the data follows the SYN-ACK (fastopen.c). */
		if (!tp->tfo_syn_data || !tp->sndq_after_syn)
			return;
		if (!tp->retrans_stamp)
			tp->retrans_stamp = tp->rtt_sent;
		tp->total_retrans++;
		tcp_send_syn(tp);
		/* The head of the queue went again: a fresh RTO
		 * (tcp_xmit_retransmit_queue). */
		tp->rtx_kind = RTX_RETRANS;
		tcp_rtx_arm(tp, tp->rto_us);
		return;
	}
	uint32_t seq;
	if (!tcp_synchronized(tp->state) || !tcp_txl_first_over(tp, tcp_current_mss(tp), &seq))
		return;
	tcp_nocc_loss_retransmit(tp, seq);
}

void tcp_mtu_reduced(struct tcp_sock *tp, uint32_t info)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->state == SYNACK_CLOSE || tp->state == SYNACK_LISTEN)
		return;
	ipv4_update_pmtu(st, tp->raddr, info);
	bool locked;
	unsigned mtu = route_mtu(tp, &locked);
	/* A report below what the route keeps (raised to min_pmtu) while
	 * DF is still set: remembered in case the connection fails. */
	if (info < mtu && !locked)
		tp->soft_err = EMSGSIZE;
	if (tp->pmtu_cookie > mtu) {
		tcp_sync_mss(tp, mtu);
		simple_retransmit(tp);
	}
}
