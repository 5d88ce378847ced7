/*
 * Segment arrival in the synchronized states (and SYN-RECEIVED), RFC 9293
 * 3.10.7.4: one function per step, in the RFC's order. Each step returns
 * a verdict that the dispatcher acts on (STYLE 5).
 */
#include <errno.h>

#include "socket/socket.h"
#include "tcp/tcp.h"

enum verdict {
	V_CONTINUE,  /* go on to the next step */
	V_DROP,      /* stop; nothing to send */
	V_ACK_DROP,  /* stop; send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
	V_CLOSED,    /* the connection is gone: touch nothing */
};

/* The window we last offered, from RCV.NXT. */
static uint32_t rcv_wnd(const struct tcp_sock *tp)
{
	return seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
}

static uint32_t seg_seqlen(const struct tcp_seg *seg)
{
	return seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
}

static void challenge_ack(struct tcp_sock *tp)
{
	MIB_INC(tp->sk.st, TCP_CHALLENGE_ACK);
	tcp_send_ack(tp);
}

/*
 * Linux tcp_oow_rate_limited: answers to out-of-window segments without
 * data are limited to one per tcp_invalid_ratelimit (500 ms), so two
 * confused ends cannot ping-pong ACKs for ever. Data segments always get
 * their duplicate ACK.
 */
static bool oow_ack_limited(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if ((seg->len || (seg->flags & TCP_FIN)) && !(seg->flags & TCP_SYN))
		return false; /* Linux: SEG.SEQ != end_seq, so a FIN counts as data */
	if (tp->last_oow_ack && st->now - tp->last_oow_ack < TCP_INVALID_RATELIMIT_US) {
		MIB_INC(st, TCP_ACK_SKIPPED_SEQ);
		return true;
	}
	tp->last_oow_ack = st->now;
	return false;
}

/* Linux tcp_reset_check: once the peer's FIN is in (CLOSE-WAIT, LAST-ACK,
 * CLOSING), a RST at RCV.NXT - 1, the FIN's own number, resets too. */
static bool rst_at_fin_seq(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	return (seg->flags & TCP_RST) && seg->seq == tp->rcv_nxt - 1 &&
	       (tp->state == SYNACK_CLOSE_WAIT || tp->state == SYNACK_LAST_ACK ||
		tp->state == SYNACK_CLOSING);
}

/*
 * A SYN at IRS in SYN-RECEIVED is the peer's SYN again. A passive child
 * answers a bare one with its SYN-ACK again (Linux tcp_check_req); an
 * active socket in a simultaneous open takes the peer's SYN-ACK (no data,
 * acking all we sent: Linux's snd_nxt, our SND.MAX, which covers Fast
 * Open SYN data) as the ACK of its SYN (Linux tcp_validate_incoming,
 * RFC 9293 figure 8). The sequence check would call both old.
 */
/* A listener's child (accepted or not, for Fast Open), not a simultaneous open. */
static bool passive_child(const struct tcp_sock *tp)
{
	return tp->parent || tp->tfo_child;
}

/* Our SYN-ACK is unacknowledged: SYN-RECEIVED, or a Fast Open child that
 * close() or shutdown() moved to FIN-WAIT-1 before the ACK came (Linux
 * keeps tp->fastopen_rsk there; tfo_pending holds in any state). */
static bool synack_unacked(const struct tcp_sock *tp)
{
	return tp->state == SYNACK_SYN_RECV || tp->tfo_pending;
}

static bool syn_recv_repeat(const struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!synack_unacked(tp) || seg->seq != tp->irs ||
	    (seg->flags & (TCP_SYN | TCP_RST)) != TCP_SYN)
		return false;
	if (passive_child(tp))
		return !(seg->flags & TCP_ACK);
	return (seg->flags & TCP_ACK) && !(seg->flags & TCP_FIN) && seg->len == 0 &&
	       seg->ack == tp->snd_max;
}

/*
 * RFC 9293 3.10.7.4 (first, check sequence number): the four cases of the
 * acceptability test; an unacceptable segment gets an ACK unless it is a
 * RST. With a zero window, a segment at RCV.NXT still has its ACK and RST
 * processed (the RFC's "special allowance"); its data is dropped later.
 * Acceptable segments are trimmed to the window.
 */
static enum verdict check_seq(struct tcp_sock *tp, struct tcp_seg *seg)
{
	uint32_t wnd = rcv_wnd(tp), len = seg_seqlen(seg), nxt = tp->rcv_nxt;
	bool ok;
	if (syn_recv_repeat(tp, seg))
		return V_CONTINUE; /* check_syn takes it */
	if (len == 0) /* Linux takes the right edge itself (tcp_sequence) */
		ok = wnd == 0 ? seg->seq == nxt : seq_in(seg->seq, nxt, nxt + wnd + 1);
	else if (wnd == 0)
		ok = seg->seq == nxt;
	else
		ok = seq_in(seg->seq, nxt, nxt + wnd) ||
		     seq_in(seg->seq + len - 1, nxt, nxt + wnd);
	if (!ok) {
		if (rst_at_fin_seq(tp, seg))
			return V_CONTINUE; /* check_rst takes it */
		if (seg->flags & TCP_RST) {
			DROP(tp->sk.st, TCP_OOW_DROP, "RST outside the window");
			return V_DROP;
		}
		if (seg->len && seq_lt(seg->seq, nxt)) {
			/* Linux tcp_send_dupack: data we already had means our
			 * ACK was lost; ACK at once and go back to quick ACKs. */
			MIB_INC(tp->sk.st, DELAYED_ACK_LOST);
			tcp_enter_quickack_mode(tp);
			tcp_dsack_old(tp, seg->seq, seg->seq + seg->len); /* RFC 2883 4.1 */
		}
		DROP(tp->sk.st, TCP_OOW_DROP, "segment outside the window");
		return oow_ack_limited(tp, seg) ? V_DROP : V_ACK_DROP;
	}
	/* Trim what lies before RCV.NXT (a SYN there is a duplicate). */
	if (seq_lt(seg->seq, nxt)) {
		uint32_t cut = nxt - seg->seq;
		if (seg->flags & TCP_SYN) {
			seg->flags &= (uint8_t)~TCP_SYN;
			seg->seq++;
			cut--;
		}
		if (cut > seg->len)
			cut = seg->len;
		tcp_dsack_old(tp, seg->seq, seg->seq + cut); /* RFC 2883 4.1.1 */
		seg->data += cut;
		seg->len -= cut;
		seg->seq += cut;
		tp->ack_now = true; /* duplicate data: tell the sender at once */
		if (cut)
			MIB_INC(tp->sk.st, DELAYED_ACK_LOST);
	}
	/* Trim what lies past the window; a FIN beyond it is not ours yet. */
	uint32_t room = seq_gt(nxt + wnd, seg->seq) ? nxt + wnd - seg->seq : 0;
	if (seg->len > room) {
		seg->len = room;
		seg->flags &= (uint8_t)~TCP_FIN;
		tp->ack_now = true; /* Linux: data past the window is acked at once */
		if (wnd == 0)
			MIB_INC(tp->sk.st, TCP_ZERO_WINDOW_DROP);
	}
	return V_CONTINUE;
}

/* The errno a peer's RST leaves behind (Linux tcp_reset). */
static int rst_errno(const struct tcp_sock *tp)
{
	switch (tp->state) {
	case SYNACK_SYN_SENT:
	case SYNACK_SYN_RECV:
		return ECONNREFUSED;
	case SYNACK_CLOSE_WAIT:
		return EPIPE;
	default:
		return ECONNRESET;
	}
}

/*
 * RFC 9293 3.10.7.4 (second, check the RST bit), with RFC 5961 3.2: a RST
 * exactly at RCV.NXT resets the connection; one elsewhere in the window
 * gets a challenge ACK. A passive SYN-RECEIVED child just goes away (its
 * listener stays in LISTEN), on any RST in the window: Linux's request
 * sockets (tcp_check_req) do not challenge. Every other state closes with
 * an error.
 */
static enum verdict check_rst(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!(seg->flags & TCP_RST))
		return V_CONTINUE;
	bool embryonic = tp->state == SYNACK_SYN_RECV && tp->parent && !tp->tfo_child;
	/* Linux tcp_check_req: while a Fast Open child's SYN-ACK is
	 * unacked, any RST in the window resets it, unchallenged. */
	if (seg->seq != tp->rcv_nxt && !rst_at_fin_seq(tp, seg) && !embryonic &&
	    !tp->tfo_pending) {
		challenge_ack(tp);
		return V_DROP;
	}
	if (embryonic) {
		MIB_INC(tp->sk.st, EMBRYONIC_RSTS);
		tcp_done(tp, 0, "RST in SYN-RECEIVED (back to LISTEN)");
		return V_CLOSED;
	}
	tcp_done(tp, tp->tfo_child && tp->state == SYNACK_SYN_RECV ? ECONNRESET : rst_errno(tp),
		 "RST received");
	return V_CLOSED;
}

/*
 * RFC 9293 3.10.7.4 (fourth, check the SYN bit), with RFC 5961 4: a SYN in
 * a synchronized state gets a challenge ACK and is dropped. In SYN-RECEIVED
 * the peer's SYN again is answered by syn_recv_repeat's rules; any other
 * SYN in a passive child's window resets it, answered with a RST (Linux
 * tcp_check_req's embryonic reset).
 */
static enum verdict check_syn(struct tcp_sock *tp, struct tcp_seg *seg)
{
	if (!(seg->flags & TCP_SYN))
		return V_CONTINUE;
	if (syn_recv_repeat(tp, seg)) {
		if (passive_child(tp)) {
			tcp_send_syn(tp);
			return V_DROP;
		}
		/* Simultaneous open: an ACK now. Its SYN lies below RCV.NXT,
		 * which Linux's tcp_data_queue treats as a duplicate once the
		 * ACK made us ESTABLISHED: an ACK at once (DelayedACKLost,
		 * quick ACKs) with a D-SACK of the SYN's number (RFC 2883). */
		MIB_INC(tp->sk.st, DELAYED_ACK_LOST);
		tcp_enter_quickack_mode(tp);
		tcp_dsack_old(tp, seg->seq, seg->seq + 1);
		tp->ack_now = true;
		seg->flags &= (uint8_t)~TCP_SYN;
		seg->seq++;
		return V_CONTINUE;
	}
	if (tp->tfo_pending) {
		/* Linux tcp_check_req's embryonic reset for Fast Open: the
		 * SYN gets a RST, but the child, maybe accepted already, is
		 * not reset by an unproven segment. */
		MIB_INC(tp->sk.st, TCP_ATTEMPT_FAILS);
		tcp_send_rst_reply(tp->sk.st, seg);
		return V_DROP;
	}
	if (tp->state == SYNACK_SYN_RECV && passive_child(tp)) {
		tcp_send_rst_reply(tp->sk.st, seg);
		MIB_INC(tp->sk.st, EMBRYONIC_RSTS);
		tcp_done(tp, 0, "SYN in SYN-RECEIVED (request reset)");
		return V_CLOSED;
	}
	MIB_INC(tp->sk.st, TCP_SYN_CHALLENGE);
	challenge_ack(tp);
	return V_DROP;
}

/*
 * Our SYN is acked (3.10.7.4 fifth): SYN-RECEIVED → ESTABLISHED. A Fast
 * Open child that close() moved on before the ACK stays in its state
 * (FIN-WAIT-1) and only leaves the TFO queue; its retransmission timer, the
 * SYN-ACK's until now, restarts for any data or FIN in flight (Linux
 * tcp_rcv_synrecv_state_fastopen). There an unacceptable ACK is left to
 * the usual checks (Linux sends a RST only from SYN-RECEIVED).
 */
static enum verdict ack_syn_recv(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (!seq_gt(seg->ack, tp->snd_una) || seq_gt(seg->ack, tp->snd_max)) {
		if (tp->state != SYNACK_SYN_RECV)
			return V_CONTINUE;
		tcp_send_rst_reply(tp->sk.st, seg);
		DROP(tp->sk.st, TCP_BAD_ACK_DROP, "syn-recv: unacceptable ACK (RST sent)");
		return V_DROP;
	}
	/* A passive child exists only once its request found room in the
	 * accept queue (listen.c), so there is no overflow check here. */
	tcp_rtt_sample_syn(tp);
	/* Fast Open data behind the SYN: only the SYN is taken here, the
	 * bytes are acked as data below (ack_advance). */
	tp->snd_una = tp->sndq_after_syn ? tp->iss + 1 : seg->ack;
	tp->sndq_after_syn = false;
	tp->snd_wnd = (uint32_t)seg->wnd << tp->snd_wscale;
	tp->max_window = tp->snd_wnd > tp->max_window ? tp->snd_wnd : tp->max_window;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = seg->ack;
	tp->retransmits = 0;
	tp->retrans_stamp = 0;
	bool tfo = tp->tfo_pending;
	if (tfo)
		tcp_fastopen_child_done(tp);
	if (tp->state != SYNACK_SYN_RECV) {
		tcp_fastopen_rearm(tp);
		return V_CONTINUE;
	}
	tcp_timers_stop(tp);
	tcp_set_state(tp, SYNACK_ESTABLISHED, "ACK of SYN received");
	if (tp->tfo_child) {
		/* A Fast Open child began at its SYN (fastopen.c). */
		if (tfo)
			tcp_fastopen_rearm(tp);
		else
			tcp_rearm_rtx(tp);
		return V_CONTINUE;
	}
	tcp_established_init(tp);
	if (tp->parent)
		tcp_child_established(tp);
	return V_CONTINUE;
}

/* SND.UNA advances: drop acked bytes, time the round trip, grow cwnd. */
static void ack_advance(struct tcp_sock *tp, uint32_t ack, const struct tcp_seg *seg,
			uint32_t delivered)
{
	uint32_t acked = ack - tp->snd_una;
	uint32_t data = acked;
	if (tp->fin_sent && seq_gt(ack, tp->fin_seq))
		data--; /* the FIN's sequence number holds no byte */
	if (data > tp->sndq.len)
		data = tp->sndq.len;
	ring_consume(&tp->sndq, data);
	tp->snd_una = ack;
	if (seq_lt(tp->snd_nxt, ack))
		tp->snd_nxt = ack;
	tp->bytes_acked += data;
	tp->retransmits = 0;
	tp->backoff = 0;
	tp->retrans_stamp = 0;
	/* With SACK, cwnd grows by what this ACK delivered: bytes SACKed
	 * before counted then (Linux tcp_cong_avoid's acked_sacked). */
	tcp_cc_on_ack(tp, tcp_sb_on(tp) ? delivered : acked);
	if (data)
		tcp_sndbuf_after_ack(tp);
	/* RFC 6298 5.3: an ACK of new data restarts the timer (Linux
	 * tcp_rearm_rto). */
	if (tp->rtx_kind == RTX_RETRANS || tp->rtx_kind == RTX_PROBE || tp->rtx_kind == RTX_REO)
		tp->rtx_kind = RTX_NONE;
	tcp_tlp_ack(tp, ack);
	tcp_rearm_rtx(tp);
	if (tp->zc)
		tcp_zc_acked(tp);
	if (data)
		sock_wakeup(&tp->sk);
}

/* RFC 9293 3.10.7.4 (fifth, the window update rule with SND.WL1/WL2). */
static void ack_window(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (seq_lt(tp->snd_wl1, seg->seq) ||
	    (tp->snd_wl1 == seg->seq && seq_leq(tp->snd_wl2, seg->ack))) {
		uint32_t old = tp->snd_wnd;
		tp->snd_wnd = (uint32_t)seg->wnd << tp->snd_wscale;
		if (tp->snd_wnd > tp->max_window)
			tp->max_window = tp->snd_wnd;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = seg->ack;
		if (old != tp->snd_wnd && tcp_unsent(tp))
			tcp_cc_idle_check(tp); /* Linux tcp_ack_update_window */
		if (old == 0 && tp->snd_wnd)
			tcp_rearm_rtx(tp); /* leave persist mode */
	}
}

/* The FIN we sent is acked. */
static bool fin_acked(const struct tcp_sock *tp)
{
	return tp->fin_sent && seq_gt(tp->snd_una, tp->fin_seq);
}

/*
 * RFC 9293 3.10.7.4 (fifth, check the ACK field). No ACK: drop. An ACK
 * past SND.NXT is answered with an ACK and dropped; one older than
 * SND.UNA - MAX.SND.WND gets a challenge ACK (RFC 5961 5.2). Then the
 * per-state effects of our FIN being acked.
 */
static enum verdict check_ack(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if (!(seg->flags & TCP_ACK)) {
		DROP(st, TCP_IN_ERRS, "segment without ACK");
		return V_DROP;
	}
	if (synack_unacked(tp)) {
		enum verdict v = ack_syn_recv(tp, seg);
		if (v != V_CONTINUE)
			return v;
	}
	if (seq_gt(seg->ack, tp->snd_max)) {
		/* The RFC's ACK, sent as a challenge ACK as Linux 6.18 tcp_ack does. */
		challenge_ack(tp);
		DROP(st, TCP_BAD_ACK_DROP, "ACK for data never sent");
		return V_DROP;
	}
	if (seq_lt(seg->ack, tp->snd_una - tp->max_window)) {
		challenge_ack(tp);
		DROP(st, TCP_BAD_ACK_DROP, "ACK too old (RFC 5961 5.2)");
		return V_DROP;
	}
	tp->last_ack_recv = st->now;
	tp->probes = 0;
	tp->soft_err = 0; /* Linux tcp_ack: something worked */
	uint32_t old_wnd = tp->snd_wnd;
	/* Linux tcp_ack leaves an old ACK before its ECN steps. */
	bool ecn_steps = !seq_lt(seg->ack, tp->snd_una);
	uint32_t prior_una = tp->snd_una;
	if (ecn_steps)
		tcp_ecn_ack_begin(tp, seg); /* RFC 3168 ECE and CWR */
	uint32_t delivered = tcp_sb_update(tp, seg); /* RFC 2018 SACK blocks */
	tcp_rack_on_ack(tp, seg); /* RTT samples, RACK (RFC 8985 6.2) */
	bool advanced = seq_gt(seg->ack, tp->snd_una);
	if (advanced) {
		ack_advance(tp, seg->ack, seg, delivered);
	} else if (seg->ack == tp->snd_una && seg->len == 0 &&
		   !(seg->flags & (TCP_SYN | TCP_FIN)) &&
		   ((uint32_t)seg->wnd << tp->snd_wscale) == old_wnd &&
		   tp->snd_max != tp->snd_una) {
		tcp_cc_on_dupack(tp); /* RFC 5681 2: a duplicate ACK */
	}
	tcp_cc_pkts_acked(tp, 0); /* an RTT sample from SACKed data (HyStart) */
	tcp_sb_after_ack(tp, delivered, advanced); /* RFC 6675 recovery */
	if (ecn_steps) /* RFC 3168 6.1.2: one reduction per window (CWR) */
		tcp_ecn_ack_end(tp, tcp_sb_on(tp) ? delivered : tp->snd_una - prior_una, advanced);
	if (seq_leq(tp->snd_una, seg->ack))
		ack_window(tp, seg);
	tcp_chrono_ack(tp);

	switch (tp->state) {
	case SYNACK_FIN_WAIT1:
		if (fin_acked(tp)) {
			tcp_set_state(tp, SYNACK_FIN_WAIT2, "ACK of FIN received");
			if (!tcp_fin_wait2_start(tp, seg))
				return V_CLOSED;
		}
		break;
	case SYNACK_CLOSING:
		if (fin_acked(tp)) {
			tcp_set_state(tp, SYNACK_TIME_WAIT, "ACK of FIN received");
			return V_DROP;
		}
		break;
	case SYNACK_LAST_ACK:
		if (fin_acked(tp)) {
			tcp_done(tp, 0, "ACK of FIN received");
			return V_CLOSED;
		}
		break;
	default:
		break;
	}
	return V_CONTINUE;
}

/* Can this state still take data from the peer? (3.10.7.4 seventh) */
static bool takes_text(int state)
{
	return state == SYNACK_ESTABLISHED || state == SYNACK_FIN_WAIT1 ||
	       state == SYNACK_FIN_WAIT2;
}

/*
 * RFC 9293 3.10.7.4 (seventh, process the segment text): in ESTABLISHED
 * and FIN-WAIT-1/2, data goes to the receive queue at its offset; bytes
 * that join the in-order data move RCV.NXT. After CLOSE-WAIT the peer has
 * sent its FIN, so text is ignored. Urgent data (sixth) is taken inline.
 */
static enum verdict do_text(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	if (seg->len == 0 || !takes_text(tp->state))
		return V_CONTINUE;
	if (tp->sk.shut_rd && tp->state != SYNACK_ESTABLISHED) {
		/* Linux (RFC 1122 4.2.2.13): new data after close() or SHUT_RD
		 * in FIN-WAIT-1/2 is answered <SEQ=SEG.ACK><CTL=RST>. */
		MIB_INC(st, TCP_ABORT_ON_DATA);
		tcp_send_rst_reply(st, seg);
		tcp_done(tp, ECONNRESET, "data after the receive side was shut");
		return V_CLOSED;
	}
	uint32_t off = seg->seq - tp->rcv_nxt;
	uint32_t advanced;
	bool in_order = off == 0;
	bool held = tcp_sack_dup_check(tp, seg->seq, seg->len); /* RFC 2883 4.1.2 */
	if (!rcvq_write(&tp->rcvq, tcp_full_space(tp), off, seg->data, seg->len, &advanced)) {
		DROP(st, TCP_OFO_DROP, "out-of-order queue full");
		tp->ack_now = true;
		return V_CONTINUE;
	}
	if (held)
		MIB_INC(st, TCP_OFO_MERGE);
	else if (!in_order)
		MIB_INC(st, TCP_OFO_QUEUE);
	bool filled_hole = in_order && advanced > seg->len;
	tp->rcv_nxt += advanced;
	tcp_sack_after_queue(tp, seg->seq, in_order);
	tp->bytes_received += advanced;
	if (in_order) {
		tcp_measure_rcv_mss(tp, seg->len, seg->flags);
		tcp_rcv_rtt_on_data(tp, seg);
	}
	tcp_ecn_check_ce(tp, seg); /* RFC 3168 6.1.3: CE is echoed */
	tcp_ack_schedule(tp, in_order && !filled_hole, seg->len); /* reads the last arrival */
	tp->last_data_recv = st->now;
	if (advanced)
		sock_wakeup(&tp->sk);
	return V_CONTINUE;
}

/* The peer's FIN is consumed at RCV.NXT: the per-state moves (eighth). */
static enum verdict fin_arrives(struct tcp_sock *tp)
{
	tp->rcv_nxt++;
	tp->fin_rcvd = true;
	tp->ooo_fin = false;
	switch (tp->state) {
	case SYNACK_SYN_RECV:
	case SYNACK_ESTABLISHED:
		/* Linux tcp_fin: CLOSE-WAIT in pingpong mode, so the FIN's
		 * ACK waits (delayed ACK) for our reply or close() to carry
		 * it, unless over one segment is unacked or a hole was filled
		 * (tcp_ack_snd_check). */
		tp->pingpong = true;
		tp->ack_sched = true;
		tcp_set_state(tp, SYNACK_CLOSE_WAIT, "FIN received");
		break;
	case SYNACK_FIN_WAIT1:
		tp->ack_now = true; /* Linux tcp_fin: tcp_send_ack at once */
		if (fin_acked(tp)) {
			tcp_set_state(tp, SYNACK_TIME_WAIT, "FIN received (our FIN acked)");
		} else {
			tcp_set_state(tp, SYNACK_CLOSING, "FIN received (simultaneous close)");
		}
		break;
	case SYNACK_FIN_WAIT2:
		tp->ack_now = true;
		tcp_set_state(tp, SYNACK_TIME_WAIT, "FIN received");
		break;
	default:
		tp->ack_now = true;
		break;
	}
	sock_wakeup(&tp->sk);
	return V_CONTINUE;
}

/*
 * RFC 9293 3.10.7.4 (eighth, check the FIN bit): a FIN counts once all
 * data before it has arrived; one that came early waits (ooo_fin).
 * CLOSE-WAIT, CLOSING and LAST-ACK stay where they are; TIME-WAIT is a
 * timewait entry's (timewait.c).
 */
static enum verdict do_fin(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	if (seg->flags & TCP_FIN) {
		uint32_t fin_seq = seg->seq + seg->len;
		if (tp->fin_rcvd) {
			tp->ack_now = true; /* a retransmitted FIN: ACK it again */
			return V_CONTINUE;
		}
		if (fin_seq != tp->rcv_nxt) {
			tp->ooo_fin = true;
			tp->ooo_fin_seq = fin_seq;
			return V_CONTINUE;
		}
		return fin_arrives(tp);
	}
	if (tp->ooo_fin && tp->ooo_fin_seq == tp->rcv_nxt && !tp->fin_rcvd)
		return fin_arrives(tp);
	return V_CONTINUE;
}

void tcp_in_synchronized(struct tcp_sock *tp, const struct tcp_seg *in)
{
	struct tcp_seg seg = *in;
	enum verdict v;
	switch (tcp_paws_check(tp, &seg)) { /* Linux: PAWS before the sequence check */
	case PAWS_PASS:
		v = check_seq(tp, &seg);
		break;
	case PAWS_DROP:
		v = V_DROP;
		break;
	default:
		v = V_ACK_DROP;
		break;
	}
	if (v == V_CONTINUE)
		tcp_ts_recent_update(tp, in);
	if (v == V_CONTINUE)
		v = check_rst(tp, &seg);
	if (v == V_CONTINUE)
		v = check_syn(tp, &seg);
	if (v == V_CONTINUE)
		v = check_ack(tp, &seg);
	if (v == V_CONTINUE)
		v = do_text(tp, &seg);
	if (v == V_CONTINUE)
		v = do_fin(tp, &seg);
	switch (v) {
	case V_CLOSED:
		return;
	case V_ACK_DROP:
		tcp_send_ack(tp);
		break;
	case V_DROP:
		if (tp->ack_now)
			tcp_send_ack(tp);
		break;
	case V_CONTINUE:
		tcp_ack_snd_check(tp);
		tcp_output(tp);
		break;
	}
	/* TIME-WAIT, or an orphan's short FIN-WAIT-2, goes on as a timewait
	 * entry once the segment is done (Linux tcp_time_wait). */
	tcp_tw_after_segment(tp);
}
