/*
 * Segment output: what may be sent now (windows, Nagle, SWS avoidance,
 * RFC 9293 3.8.6.2.1 and RFC 1122 4.2.3.4), and the building of every
 * segment TCP sends.
 */
#include <errno.h>
#include <string.h>

#include "ipv4/ipv4.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

void tcp_trace_seg(struct tcp_sock *tp, struct synack_stack *st, enum synack_trace_kind kind,
		   const struct tcp_seg *seg, const void *pkt, size_t len, bool retrans)
{
	if (!st->env.trace)
		return;
	struct synack_trace ev = {
		.kind = kind, .now = st->now, .conn = tp ? tp->id : 0, .fd = tp ? tp->sk.fd : -1,
		.old_state = tp ? tp->state : SYNACK_CLOSE, .new_state = tp ? tp->state : SYNACK_CLOSE,
		.seq = seg->seq, .ack = seg->ack, .len = seg->len, .wnd = seg->wnd,
		.flags = seg->flags, .retransmit = retrans, .pkt = pkt, .pkt_len = len,
	};
	bool out = kind == SYNACK_TRACE_SEG_OUT;
	ev.local.sin_family = ev.peer.sin_family = AF_INET;
	ev.local.sin_addr.s_addr = htonl(out ? seg->saddr : seg->daddr);
	ev.local.sin_port = htons(out ? seg->sport : seg->dport);
	ev.peer.sin_addr.s_addr = htonl(out ? seg->daddr : seg->saddr);
	ev.peer.sin_port = htons(out ? seg->dport : seg->sport);
	st->env.trace(st->env.ctx, &ev);
}

/* Emit seg as an IPv4 packet; counts OutSegs or RetransSegs. Returns
 * false if the device refused it (local congestion). Linux counts a
 * segment and its tcp_info figures before handing it to IP
 * (__tcp_transmit_skb), so a refused one is counted too; a refused
 * retransmission also counts TCPRetransFail (__tcp_retransmit_skb). */
static bool tcp_emit_ttl(struct synack_stack *st, struct tcp_sock *tp, const struct tcp_seg *seg,
			 bool retrans, int ttl)
{
	size_t n = tcp_seg_emit(seg, IPV4_PAYLOAD(st), STACK_TX_MAX - IPV4_HDR_LEN);
	if (n == 0)
		return true;
	if (retrans)
		MIB_INC(st, TCP_RETRANS_SEGS);
	else
		MIB_INC(st, TCP_OUT_SEGS);
	if (seg->flags & TCP_RST)
		MIB_INC(st, TCP_OUT_RSTS);
	int rc = ipv4_output_tos(st, seg->daddr, IPPROTO_TCP_, n, seg->tos, ttl);
	if (tp) {
		/* TCP_INFO counters, as Linux's tcp_info: every segment, the
		 * data ones, payload bytes sent and resent. */
		tp->segs_out++;
		if (seg->len) {
			tp->data_segs_out++;
			tp->bytes_sent += seg->len;
			if (retrans)
				tp->bytes_retrans += seg->len;
		}
		tp->xmit_refused = rc == -ENOBUFS;
	}
	if (rc == -ENOBUFS) {
		if (retrans)
			MIB_INC(st, TCP_RETRANS_FAIL);
		return false;
	}
	tcp_trace_seg(tp, st, SYNACK_TRACE_SEG_OUT, seg, st->tx, rc == 0 ? n + IPV4_HDR_LEN : 0,
		      retrans);
	return true;
}

static bool tcp_emit(struct synack_stack *st, struct tcp_sock *tp, const struct tcp_seg *seg,
		     bool retrans)
{
	return tcp_emit_ttl(st, tp, seg, retrans, tp && tp->ip_ttl ? tp->ip_ttl : -1);
}

/* The window field for an offer of wnd bytes (RFC 7323 2.3). */
static uint16_t wnd_field(const struct tcp_sock *tp, uint32_t wnd)
{
	uint32_t max = 65535u << tp->rcv_wscale;
	return (uint16_t)((wnd < max ? wnd : max) >> tp->rcv_wscale);
}

static void put_ts(const struct tcp_sock *tp, struct tcp_seg *seg);

/* Fill the header fields every segment of tp shares. */
static void seg_init(const struct tcp_sock *tp, struct tcp_seg *seg, uint32_t seq, uint8_t flags)
{
	memset(seg, 0, sizeof(*seg));
	seg->saddr = tp->laddr;
	seg->daddr = tp->raddr;
	seg->sport = tp->lport;
	seg->dport = tp->rport;
	seg->seq = seq;
	seg->flags = flags;
	seg->tos = tp->ip_tos & (uint8_t)~IP_ECN_MASK_; /* IP_TOS's DSCP; TCP owns ECN */
}

/* Linux tcp_current_mss: the data one segment may carry once the SACK
 * blocks it will also carry have their option space (NOP NOP kind len
 * and 8 bytes a block, RFC 2018 3), so no segment outgrows the MTU. */
static uint32_t send_mss(const struct tcp_sock *tp)
{
	unsigned n = tcp_sack_blocks_pending(tp);
	uint32_t opt = n ? 4 + 8 * n : 0;
	return tp->mss > opt + TCP_MIN_MSS ? tp->mss - opt : TCP_MIN_MSS;
}

uint32_t tcp_current_mss(const struct tcp_sock *tp)
{
	return send_mss(tp);
}

/* Send one segment of tp: seq, flags, and len bytes of the send queue.
 * false: the device refused it (tp->xmit_refused). */
static bool tcp_xmit(struct tcp_sock *tp, uint32_t seq, uint8_t flags, uint32_t len, bool retrans)
{
	struct synack_stack *st = tp->sk.st;
	struct tcp_seg seg;
	seg_init(tp, &seg, seq, flags);
	if (flags & TCP_ACK) {
		uint32_t wnd = tcp_select_window(tp);
		seg.ack = tp->rcv_nxt;
		seg.wnd = wnd_field(tp, wnd);
		tp->rcv_adv = tp->rcv_nxt + wnd;
		tp->rcv_wup = tp->rcv_nxt;
		tcp_ack_sent(tp);
	}
	put_ts(tp, &seg);
	if (flags & TCP_ACK)
		tcp_sack_put(tp, &seg.opt); /* RFC 2018 4: on every ACK */
	if (len || (flags & TCP_FIN))
		tcp_txl_sent(tp, seq, seq + len + !!(flags & TCP_FIN));
	if (len) {
		ring_peek(&tp->sndq, seq - tcp_sndq_seq(tp), st->scratch, len);
		seg.data = st->scratch;
		seg.len = len;
		tcp_cc_data_sent(tp); /* before lsndtime moves: CA_EVENT_TX_START */
		tp->last_data_sent = st->now;
		tcp_event_data_sent(tp);
	}
	tcp_ecn_xmit(tp, &seg, retrans); /* RFC 3168: ECT(0), CWR, ECE */
	return tcp_emit(st, tp, &seg, retrans);
}

uint32_t tcp_unsent(const struct tcp_sock *tp)
{
	uint32_t end = tcp_sndq_seq(tp) + tp->sndq.len;
	return seq_gt(end, tp->snd_nxt) ? end - tp->snd_nxt : 0;
}

/* States in which queued data and our FIN may go out. */
static bool can_send_data(const struct tcp_sock *tp)
{
	int state = tp->state;
	/* A Fast Open child may send before the handshake ends (RFC 7413 4.2.2). */
	if (state == SYNACK_SYN_RECV && tp->tfo_child)
		return true;
	return state == SYNACK_ESTABLISHED || state == SYNACK_CLOSE_WAIT ||
	       state == SYNACK_FIN_WAIT1 || state == SYNACK_CLOSING || state == SYNACK_LAST_ACK;
}

/*
 * Sender-side rules for a segment of n < MSS bytes (RFC 9293 3.8.6.2.1,
 * RFC 896 in Minshall's variant, as Linux runs it): the tail of the queue
 * goes out unless Nagle is on and an earlier small segment is still
 * unacknowledged (the FIN lifts the hold); a piece cut short by the
 * window goes only if it fills half the largest window the peer offered.
 */
static bool small_segment_ok(const struct tcp_sock *tp, uint32_t n, uint32_t unsent)
{
	if (n == unsent) {
		/* Linux tcp_nagle_test: a push (TCP_NODELAY just set) or the
		 * FIN sends; a cork (TCP_CORK, MSG_MORE) holds; else Nagle. */
		if (tp->force_push || tp->fin_queued)
			return true;
		if (tp->cork || tp->more)
			return false;
		return tp->nodelay || !seq_gt(tp->snd_sml, tp->snd_una) ||
		       seq_gt(tp->snd_sml, tp->snd_nxt);
	}
	return n >= tp->max_window / 2;
}

/* The first MSG_EOR mark after seq, dropping those already acked; 0
 * bytes = none. A segment ends there (Linux's EOR skb takes no more). */
void tcp_eor_prune(struct tcp_sock *tp)
{
	unsigned k = 0;
	while (k < tp->neor && !seq_gt(tp->eor[k], tp->snd_una))
		k++;
	if (k) {
		memmove(tp->eor, tp->eor + k, (tp->neor - k) * sizeof(tp->eor[0]));
		tp->neor -= k;
	}
}

static uint32_t eor_room(struct tcp_sock *tp, uint32_t seq)
{
	tcp_eor_prune(tp);
	for (unsigned i = 0; i < tp->neor; i++)
		if (seq_gt(tp->eor[i], seq))
			return tp->eor[i] - seq;
	return 0;
}

/*
 * PSH for the segment of n bytes at SND.NXT (push.c): Linux sends bursts
 * (TSO packets of at most tcp_tso_segs segments and half the cwnd,
 * tcp_cwnd_test) and the device puts a packet's flags on its last
 * segment. unsent, room and cwnd_room are counted from SND.NXT before
 * this segment; *burst counts the segments of the current burst.
 */
static bool seg_psh(struct tcp_sock *tp, uint32_t n, uint32_t unsent, uint32_t room,
		    uint32_t cwnd_room, unsigned *burst)
{
	uint32_t end = tp->snd_nxt + n;
	/* Resent after a timeout: PSH where a pushed buffer ends (Linux
	 * resends its skbs, cut to the cwnd by tcp_fragment, PSH last). */
	if (seq_lt(tp->snd_nxt, tp->snd_max))
		return tcp_skb_ends_at(tp, end) && tcp_skb_psh(tp, end);
	uint32_t half = tp->cwnd / 2 ? tp->cwnd / 2 : 1;
	uint32_t limit = tcp_tso_segs(tp);
	if (limit > half)
		limit = half;
	uint32_t left = unsent - n, next = left < send_mss(tp) ? left : send_mss(tp);
	/* Will the loop stop after this segment (end of data, windows, a
	 * held tail)? Then the burst ends here. */
	bool stop = !left || room - n < next || cwnd_room - n < next ||
		    (next == left && next < send_mss(tp) && !small_segment_ok(tp, next, left));
	/* A burst stops at a record's end only: Linux 6.10+ tcp_grow_skb
	 * pulls the next buffer's bytes into the packet being sent. */
	bool rec_end = false;
	for (unsigned i = 0; i < tp->neor; i++)
		rec_end |= tp->eor[i] == end;
	if (++*burst < limit && !stop && !rec_end)
		return false;
	unsigned segs = *burst;
	*burst = 0;
	/* __tcp_transmit_skb forces PSH on every packet of more than one
	 * segment (to flush the receiver's GRO); one segment has PSH only
	 * where a pushed buffer ends (tcp_mark_push; tcp_fragment keeps it
	 * on the tail). */
	return segs > 1 || (tcp_skb_ends_at(tp, end) && tcp_skb_psh(tp, end));
}

/* Send n bytes at SND.NXT (new, or again after a timeout rewound it).
 * false: the device refused them (local congestion); as Linux's
 * tcp_write_xmit, they stay unsent and SND.NXT does not move. */
static bool xmit_data(struct tcp_sock *tp, uint32_t n, uint8_t flags)
{
	bool retrans = seq_lt(tp->snd_nxt, tp->snd_max);
	if (!tcp_xmit(tp, tp->snd_nxt, flags, n, retrans))
		return false;
	if (!retrans)
		MIB_INC(tp->sk.st, TCP_ORIG_DATA_SENT);
	if (retrans) {
		/* Go-back-N after a loss (Linux resends lost skbs in CA_Loss:
		 * TCPSlowStartRetrans, total_retrans per segment). */
		tp->total_retrans++;
		MIB_INC(tp->sk.st, TCP_SLOW_START_RETRANS);
	}
	if (!retrans && (tp->sack_recovery || tp->ca_cwr))
		tp->prr_out++; /* RFC 6937: new data counts as sent in a reduction */
	tp->snd_nxt += n;
	if (n < send_mss(tp) && !retrans)
		tp->snd_sml = tp->snd_nxt; /* Minshall: the last small segment's end (new data) */
	return true;
}

/* Send data from SND.NXT while the windows allow; returns segments sent. */
static unsigned send_data(struct tcp_sock *tp)
{
	unsigned sent = 0, burst = 0;
	tcp_skbm_prune(tp);
	for (;;) {
		tcp_sb_skip(tp); /* resending after a timeout: not what is SACKed */
		uint32_t unsent = tcp_unsent(tp);
		if (unsent == 0)
			return sent;
		/* cwnd bounds what is in flight: with SACK, less what is
		 * SACKed, or RFC 6675's pipe in recovery (Linux
		 * tcp_packets_in_flight); else SND.NXT - SND.UNA. */
		uint32_t cwnd_bytes = tp->cwnd * tp->mss;
		uint32_t flight = tcp_sb_in_flight(tp);
		uint32_t cwnd_room = cwnd_bytes > flight ? cwnd_bytes - flight : 0;
		uint32_t wnd_end = seq_min(tp->snd_una + tp->snd_wnd, tp->snd_nxt + cwnd_room);
		if (!seq_gt(wnd_end, tp->snd_nxt))
			return sent;
		uint32_t room = wnd_end - tp->snd_nxt;
		uint32_t mss = send_mss(tp);
		uint32_t n = unsent < mss ? unsent : mss;
		/* Resending: Linux's skb boundaries (rack.c); a piece they
		 * cut short goes as is. */
		bool resend = seq_lt(tp->snd_nxt, tp->snd_max);
		uint32_t piece = resend ? tcp_txl_resend_len(tp, tp->snd_nxt, mss) : n;
		if (piece < n)
			n = piece;
		uint32_t whole = tcp_sb_clip(tp, tp->snd_nxt, n);
		/* A hole before SACKed data goes as is; so does a resend
		 * (Nagle is for new data only, Linux tcp_write_xmit). */
		bool clipped = resend || whole < n;
		n = whole;
		/* A segment stops at a record's end; one that is not the
		 * queue's tail goes out as a full one would (Linux applies
		 * Nagle and cork to the last skb only). */
		uint32_t rec = eor_room(tp, tp->snd_nxt);
		bool rec_end = rec && rec <= n;
		if (rec_end)
			n = rec;
		if (n > room) {
			n = room;
			rec_end = false;
		}
		if (n < mss && !clipped && !(rec_end && n < unsent) && !small_segment_ok(tp, n, unsent))
			return sent;
		uint8_t flags = TCP_ACK;
		if (seg_psh(tp, n, unsent, room, cwnd_room, &burst))
			flags |= TCP_PSH;
		/* The FIN rides on the last data segment when it fits. */
		bool fin = n == unsent && tp->fin_queued && room > n;
		if (fin)
			flags |= TCP_FIN;
		if (!xmit_data(tp, n, flags))
			return sent; /* local congestion: the probe timer retries */
		if (fin) {
			tp->fin_sent = true;
			tp->fin_seq = tp->snd_nxt;
			tp->snd_nxt++;
		}
		tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
		sent++;
	}
}

/* A FIN alone once every byte before it is out (it needs one byte of
 * window, as its sequence number does). */
static bool send_fin(struct tcp_sock *tp)
{
	if (!tp->fin_queued || tcp_unsent(tp) || (tp->fin_sent && tp->snd_nxt != tp->fin_seq))
		return false;
	if (!seq_gt(tp->snd_una + tp->snd_wnd, tp->snd_nxt))
		return false; /* zero window: the persist timer probes */
	bool retrans = tp->fin_sent;
	if (!tcp_xmit(tp, tp->snd_nxt, TCP_FIN | TCP_ACK, 0, retrans))
		return false; /* refused: the FIN waits, as an unsent skb would */
	tp->fin_sent = true;
	tp->fin_seq = tp->snd_nxt;
	tp->snd_nxt++;
	tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	return true;
}

/* Linux tcp_snd_wnd_test: the next segment (an MSS, or all that is
 * queued, or the FIN alone) does not fit in the peer's window. */
bool tcp_window_blocked(const struct tcp_sock *tp)
{
	uint32_t end = tp->snd_una + tp->snd_wnd;
	uint32_t room = seq_gt(end, tp->snd_nxt) ? end - tp->snd_nxt : 0;
	uint32_t unsent = tcp_unsent(tp);
	uint32_t mss = send_mss(tp);
	uint32_t need = unsent ? (unsent < mss ? unsent : mss) : 1;
	return room < need;
}

/* Linux tcp_write_wakeup, when the persist timer fires: if the window
 * takes some bytes, send what fits (an MSS at most) with PSH; else a
 * window probe. Says which, and whether the device refused it. */
enum tcp_wakeup tcp_write_wakeup(struct tcp_sock *tp)
{
	uint32_t unsent = tcp_unsent(tp);
	uint32_t end = tp->snd_una + tp->snd_wnd;
	if (!unsent || !can_send_data(tp) || !seq_gt(end, tp->snd_nxt))
		return tcp_send_probe(tp) ? TCP_WAKEUP_PROBE : TCP_WAKEUP_PROBE_REFUSED;
	uint32_t n = end - tp->snd_nxt;
	if (n > unsent)
		n = unsent;
	if (n > send_mss(tp))
		n = send_mss(tp);
	if (!xmit_data(tp, n, TCP_ACK | TCP_PSH))
		return TCP_WAKEUP_REFUSED;
	tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	return TCP_WAKEUP_DATA;
}

void tcp_output(struct tcp_sock *tp)
{
	bool sent = false;
	tcp_mtu_check(tp); /* Linux tcp_current_mss: the path MTU changed */
	if (can_send_data(tp)) {
		bool pending = tcp_chrono_pending(tp);
		sent = send_data(tp) > 0;
		/* Linux tcp_write_xmit: is_cwnd_limited once in flight
		 * reaches the cwnd; then tcp_cwnd_validate. */
		uint32_t in_flight = (tcp_sb_in_flight(tp) + tp->mss - 1) / tp->mss;
		bool cwnd_limited = in_flight >= tp->cwnd;
		if (sent || cwnd_limited)
			tcp_cwnd_validate(tp, cwnd_limited);
		sent |= send_fin(tp);
		tcp_chrono_xmit(tp, pending, sent);
	}
	tp->force_push = false;
	if (tp->ack_now && !sent)
		tcp_send_ack(tp);
	tcp_rearm_rtx(tp);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. While a timeout has pulled SND.NXT
 * back for retransmission, the ACK carries the highest sequence number
 * sent instead, as Linux's never-rewound snd_nxt does: an older one would
 * fall below the peer's RCV.NXT and be rejected. */
void tcp_send_ack(struct tcp_sock *tp)
{
	if (tp->state == SYNACK_CLOSE || tp->state == SYNACK_LISTEN || tp->state == SYNACK_SYN_SENT)
		return;
	tcp_xmit(tp, tp->snd_max, TCP_ACK, 0, false);
}

/*
 * The options of a SYN or SYN-ACK (options.c): the MSS we accept (RFC
 * 9293 3.7.1) and what the SYNs agreed. A listener answers for its
 * requests with everything the settings enable (the request keeps only
 * what its SYN offered), TSval without a per-flow offset.
 */
static void syn_options(const struct tcp_sock *tp, struct tcp_opts *o)
{
	struct synack_stack *st = tp->sk.st;
	if (tp->state == SYNACK_LISTEN) {
		struct tcp_syn_opts n;
		uint32_t space = tcp_full_space(tp), wnd;
		uint32_t clamp = tp->sk.rcvbuf_locked ? space : 0;
		uint8_t ws;
		tcp_syn_opts_offer(&n, &st->cfg);
		tcp_select_initial_window(&st->cfg, space, tcp_adv_mss(tp), n.wscale_ok, &clamp, &wnd, &ws);
		tcp_syn_opts_build(o, &n, tcp_adv_mss(tp), ws, tcp_ts_now(st, 0));
		return;
	}
	tcp_syn_opts_build(o, &tp->rx_opt, tcp_adv_mss(tp), tp->rcv_wscale,
			   tcp_ts_now(st, tp->ts_offset));
}

/* RFC 7323 3: with timestamps agreed, every segment after the SYN
 * carries TSval (our clock) and TSecr (the peer's latest TSval). */
static void put_ts(const struct tcp_sock *tp, struct tcp_seg *seg)
{
	if (!tp->rx_opt.ts_ok || tp->state == SYNACK_SYN_SENT)
		return;
	seg->opt.has_ts = true;
	seg->opt.tsval = tcp_ts_now(tp->sk.st, tp->ts_offset);
	seg->opt.tsecr = tp->rx_opt.ts_recent;
}

void tcp_syn_options_of(const struct tcp_sock *tp, struct tcp_opts *o)
{
	syn_options(tp, o);
}

void tcp_emit_reply(struct synack_stack *st, const struct tcp_seg *seg, bool retrans)
{
	tcp_emit(st, NULL, seg, retrans);
}

void tcp_emit_reply_ttl(struct synack_stack *st, const struct tcp_seg *seg, bool retrans, int ttl)
{
	tcp_emit_ttl(st, NULL, seg, retrans, ttl);
}

/* SYN in SYN-SENT, SYN-ACK in SYN-RECEIVED (or while a Fast Open
 * child's is unacked, tfo_pending); always at ISS. */
void tcp_send_syn(struct tcp_sock *tp)
{
	tcp_send_syn_tfo(tp, NULL, NULL);
}

void tcp_send_syn_tfo(struct tcp_sock *tp, struct tcp_tfo_send *d, const struct tcp_opts *foc)
{
	struct synack_stack *st = tp->sk.st;
	struct tcp_seg seg;
	bool synack = tp->state == SYNACK_SYN_RECV || tp->tfo_pending;
	bool retrans = tp->snd_max != tp->iss;
	tcp_advertise_mss(tp); /* the path MTU may have dropped (pmtu.c) */
	if (!synack && !retrans)
		tcp_opts_connect_init(tp);
	seg_init(tp, &seg, tp->iss, synack ? TCP_SYN | TCP_ACK : TCP_SYN);
	syn_options(tp, &seg.opt);
	if (synack)
		tcp_ecn_send_synack(tp, &seg);
	else
		tcp_ecn_send_syn(tp, &seg, retrans);
	/* Linux's first window (tcp_select_initial_window), never scaled in
	 * a SYN (RFC 7323 2.2): the field shows at most 65535 of it, yet
	 * the whole first window counts as offered (Linux tp->rcv_wnd). */
	uint32_t wnd = tp->rcv_wnd_init;
	seg.wnd = (uint16_t)(wnd < 65535 ? wnd : 65535);
	if (synack) {
		seg.ack = tp->rcv_nxt;
		tp->rcv_adv = tp->rcv_nxt + wnd;
		tp->rcv_wup = tp->rcv_nxt;
	}
	uint32_t syn_data = 0;
	if (!synack && !retrans) { /* Fast Open: cookie and data (fastopen.c) */
		tcp_fastopen_syn(tp, d, &seg.opt, &syn_data);
		if (syn_data) {
			ring_peek(&tp->sndq, 0, st->scratch, syn_data);
			seg.data = st->scratch;
			seg.len = syn_data;
		}
	} else if (synack && !retrans && foc) {
		tcp_fastopen_synack_opts(foc, &seg.opt);
	}
	if (retrans)
		MIB_INC(st, TCP_SYN_RETRANS);
	else if (!synack)
		MIB_INC(st, TCP_ACTIVE_OPENS);
	if (!tp->rtt_sampling && !retrans) {
		tp->rtt_sampling = true;
		tp->rtt_seq = tp->iss;
		tp->rtt_sent = st->now;
	}
	tcp_emit(st, tp, &seg, retrans);
	/* A SYN-ACK resent leaves what a Fast Open child sent after it in
	 * flight (Linux resends the request's SYN-ACK alone). */
	tp->snd_nxt = synack ? seq_max(tp->snd_nxt, tp->iss + 1) : tp->iss + 1 + syn_data;
	tp->snd_max = seq_max(tp->snd_max, tp->snd_nxt);
	tcp_rearm_rtx(tp);
}

/* An abort: <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.4 ABORT). */
void tcp_send_rst_abort(struct tcp_sock *tp)
{
	struct tcp_seg seg;
	seg_init(tp, &seg, tp->snd_max, TCP_RST | TCP_ACK);
	seg.ack = tp->rcv_nxt;
	/* Linux tcp_send_active_reset goes through tcp_transmit_skb, which
	 * fills in the current window; SEQ is the highest sent, as Linux's
	 * never-rewound snd_nxt. */
	seg.wnd = wnd_field(tp, tcp_select_window(tp));
	put_ts(tp, &seg);
	tcp_ecn_xmit(tp, &seg, false);
	tcp_emit(tp->sk.st, tp, &seg, false);
}

void tcp_send_rst_reply(struct synack_stack *st, const struct tcp_seg *in)
{
	struct tcp_seg seg;
	memset(&seg, 0, sizeof(seg));
	seg.saddr = in->daddr;
	seg.daddr = in->saddr;
	seg.sport = in->dport;
	seg.dport = in->sport;
	if (in->flags & TCP_ACK) {
		seg.seq = in->ack;
		seg.flags = TCP_RST;
	} else {
		seg.seq = 0;
		seg.ack = in->seq + in->len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
		seg.flags = TCP_RST | TCP_ACK;
	}
	tcp_emit(st, NULL, &seg, false);
}

uint32_t tcp_retransmit_at(struct tcp_sock *tp, uint32_t seq)
{
	return tcp_retransmit_upto(tp, seq, tcp_sndq_seq(tp) + tp->sndq.len);
}

uint32_t tcp_retransmit_upto(struct tcp_sock *tp, uint32_t seq, uint32_t limit)
{
	uint32_t qend = tcp_sndq_seq(tp) + tp->sndq.len;
	uint32_t end = seq_lt(limit, qend) ? limit : qend;
	uint32_t n = 0;
	if (seq_lt(seq, tp->snd_una))
		return 0;
	tcp_mtu_check(tp);
	if (seq_lt(seq, end)) {
		uint32_t want = tcp_txl_resend_len(tp, seq, send_mss(tp));
		n = tcp_sb_clip(tp, seq, end - seq < want ? end - seq : want);
		/* Linux resends skb by skb and never joins one ending a
		 * MSG_EOR record to the next (tcp_skb_can_collapse). */
		uint32_t rec = eor_room(tp, seq);
		if (rec && rec < n)
			n = rec;
		/* PSH where the queue or a pushed buffer ends (Linux resends
		 * the skb with the flags tcp_mark_push gave it). */
		bool psh = seq + n == qend || (tcp_skb_ends_at(tp, seq + n) && tcp_skb_psh(tp, seq + n));
		uint8_t flags = TCP_ACK | (psh ? TCP_PSH : 0);
		if (!tcp_xmit(tp, seq, flags, n, true))
			n = 0;
	} else if (tp->fin_sent && seq == tp->fin_seq) {
		n = tcp_xmit(tp, seq, TCP_FIN | TCP_ACK, 0, true) ? 1 : 0;
	}
	tp->rtt_sampling = false; /* Karn: no sample across a retransmission */
	return n;
}

/* Linux's window probe and keepalive: an ACK one below SND.UNA, which the
 * peer must answer with its current ACK and window. */
bool tcp_send_probe(struct tcp_sock *tp)
{
	return tcp_xmit(tp, tp->snd_una - 1, TCP_ACK, 0, false);
}
