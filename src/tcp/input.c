/*
 * Segment arrival, RFC 9293 3.10.7: validation and demultiplexing, then the
 * states without a synchronized connection (CLOSED, SYN-SENT). LISTEN and
 * the SYN queue are in listen.c, the synchronized states in input_sync.c.
 */
#include <errno.h>

#include "socket/socket.h"
#include "tcp/tcp.h"

void tcp_input(struct synack_stack *st, const struct ipv4_hdr *ip)
{
	struct tcp_seg seg;
	MIB_INC(st, TCP_IN_SEGS);
	switch (tcp_seg_parse(&seg, ip->saddr, ip->daddr, ip->payload, ip->payload_len)) {
	case TCP_PARSE_OK:
		break;
	case TCP_PARSE_CHECKSUM:
		MIB_INC(st, TCP_IN_CSUM_ERRORS);
		DROP(st, TCP_IN_ERRS, "tcp: bad checksum");
		return;
	case TCP_PARSE_TRUNCATED:
		DROP(st, TCP_IN_ERRS, "tcp: shorter than a header");
		return;
	case TCP_PARSE_DOFF:
		DROP(st, TCP_IN_ERRS, "tcp: data offset below 5 or past the end");
		return;
	}
	seg.tos = ip->tos; /* the ECN field (RFC 3168) matters to TCP */
	/* RFC 1122 4.2.3.10: segments to or from broadcast/multicast are ignored. */
	if (seg.dport == 0 || seg.sport == 0) {
		DROP(st, TCP_IN_ERRS, "tcp: port 0");
		return;
	}
	const uint8_t *pkt = ip->payload - ip->ihl;
	size_t pkt_len = ip->ihl + ip->payload_len;
	struct tcp_sock *tp = tcp_lookup_conn(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
	if (!tp) {
		/* Then timewait entries (Linux keeps them in the same hash). */
		struct tcp_tw *tw = tcp_tw_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
		if (tw) {
			tcp_trace_seg(NULL, st, SYNACK_TRACE_SEG_IN, &seg, pkt, pkt_len, false);
			tcp_tw_input(tw, &seg);
			return;
		}
		/* Then the SYN queues (Linux keeps requests in the same hash). */
		struct tcp_req *req = tcp_req_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
		if (req) {
			tcp_trace_seg(NULL, st, SYNACK_TRACE_SEG_IN, &seg, pkt, pkt_len, false);
			tcp_req_input(req, &seg);
			return;
		}
		struct tcp_sock *lsn = tcp_lookup_listener4(st, seg.daddr, seg.dport, seg.saddr,
							    seg.sport);
		tcp_trace_seg(lsn, st, SYNACK_TRACE_SEG_IN, &seg, pkt, pkt_len, false);
		if (lsn)
			tcp_in_listen(lsn, &seg);
		else
			tcp_in_closed(st, &seg);
		return;
	}
	tcp_trace_seg(tp, st, SYNACK_TRACE_SEG_IN, &seg, pkt, pkt_len, false);
	tp->segs_in++;
	if (seg.len)
		tp->data_segs_in++;
	if (tp->state == SYNACK_SYN_SENT)
		tcp_in_syn_sent(tp, &seg);
	else
		tcp_in_synchronized(tp, &seg);
}

/*
 * RFC 9293 3.10.7.1 (CLOSED): all data is discarded. A RST is dropped; any
 * other segment gets a RST: <SEQ=SEG.ACK><CTL=RST> if it had an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
void tcp_in_closed(struct synack_stack *st, const struct tcp_seg *seg)
{
	if (seg->flags & TCP_RST) {
		DROP(st, TCP_DROP_NO_SOCKET, "tcp: RST for no connection");
		return;
	}
	tcp_send_rst_reply(st, seg);
	DROP(st, TCP_DROP_NO_SOCKET, "tcp: no socket (answered with RST)");
}

/* The peer's SYN options: MSS (RFC 9293 3.7.1), window scale and
 * timestamps (RFC 7323), SACK-permitted (RFC 2018), as options.c agrees them. */
static void tcp_take_syn_options(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	tcp_opts_take_syn(tp, seg);
}

/* A SYN's fields as the receiving side records them (3.10.7.2, 3.10.7.3). */
void tcp_take_syn(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_wup = tp->rcv_adv = tp->rcv_nxt;
	tp->snd_wnd = seg->wnd; /* never scaled in a SYN (RFC 7323 2.2) */
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = seg->ack;
	tcp_take_syn_options(tp, seg);
}

/* Children start with their listener's options. */
void tcp_inherit(struct tcp_sock *c, const struct tcp_sock *lsn)
{
	c->sk.reuseaddr = lsn->sk.reuseaddr;
	c->sk.reuseport = lsn->sk.reuseport;
	c->sk.keepalive = lsn->sk.keepalive;
	c->sk.sndbuf = lsn->sk.sndbuf;
	c->sk.rcvbuf = lsn->sk.rcvbuf;
	/* Linux sk_userlocks: SO_SNDBUF/SO_RCVBUF set on the listener stay
	 * fixed on the child (no autotuning; the clamp and shift its SYN-ACK
	 * announced). */
	c->sk.sndbuf_locked = lsn->sk.sndbuf_locked;
	c->sk.rcvbuf_locked = lsn->sk.rcvbuf_locked;
	c->sndbuf = lsn->sndbuf;
	c->nodelay = lsn->nodelay;
	c->user_mss = lsn->user_mss;
	c->linger2 = lsn->linger2;
	c->sk.linger = lsn->sk.linger;
	c->sk.lingertime = lsn->sk.lingertime;
	/* Linux clones the whole listener: per-socket timeouts and
	 * thresholds carry over to the child too. */
	c->sk.rcvlowat = lsn->sk.rcvlowat;
	c->user_timeout_ms = lsn->user_timeout_ms;
	c->keepidle = lsn->keepidle;
	c->keepintvl = lsn->keepintvl;
	c->keepcnt = lsn->keepcnt;
	c->notsent_lowat = lsn->notsent_lowat;
	c->recv_inq = lsn->recv_inq;
	c->sk.zerocopy = lsn->sk.zerocopy;
	c->sk.mark = lsn->sk.mark;
	/* IP-level options clone with the listener (Linux inet_sk). */
	c->ip_tos = lsn->ip_tos;
	c->ip_ttl = lsn->ip_ttl;
	c->ip_recverr = lsn->ip_recverr;
	c->ip_pmtudisc = lsn->ip_pmtudisc;
	/* Linux tcp_ca_openreq_child: TCP_CONGESTION on the listener
	 * carries over; otherwise the child takes the default. */
	if (lsn->ca_setsockopt) {
		c->ca_ops = lsn->ca_ops;
		c->ca_setsockopt = true;
	}
	tcp_bind_inherit(c, lsn); /* the child holds the listener's port too */
}

/* A connecting socket learns the outcome (errno for SO_ERROR/connect). */
static void tcp_connect_failed(struct tcp_sock *tp, int err, const char *why)
{
	tcp_done(tp, err, why);
}

/*
 * RFC 9293 3.10.7.3 (SYN-SENT), in the RFC's order: check the ACK, then
 * RST, then SYN; a segment with neither SYN nor RST is dropped.
 */
void tcp_in_syn_sent(struct tcp_sock *tp, const struct tcp_seg *seg)
{
	struct synack_stack *st = tp->sk.st;
	bool ack = seg->flags & TCP_ACK;
	/* first: an ACK outside (ISS, SND.NXT] is unacceptable. */
	if (ack && (seq_leq(seg->ack, tp->iss) || seq_gt(seg->ack, tp->snd_max))) {
		if (!(seg->flags & TCP_RST))
			tcp_send_rst_reply(st, seg);
		DROP(st, TCP_BAD_ACK_DROP, "syn-sent: unacceptable ACK");
		return;
	}
	/* Linux tcp_rcv_synsent_state_process: with timestamps on our SYN,
	 * an ACK whose TSecr is not one of our TSvals since connect() (RFC
	 * 7323 5.5: a SYN-ACK of an older incarnation) is answered with a
	 * RST, even one that also carries RST. */
	if (ack && tp->rx_opt.ts_ok && seg->opt.has_ts && seg->opt.tsecr) {
		uint32_t from = (uint32_t)(tp->state_since / 1000) + tp->ts_offset;
		uint32_t to = tcp_ts_now(st, tp->ts_offset);
		if (seg->opt.tsecr - from > to - from) {
			if (!(seg->flags & TCP_RST))
				tcp_send_rst_reply(st, seg);
			DROP(st, PAWS_ACTIVE, "syn-sent: TSecr not ours (PAWS)");
			return;
		}
	}
	/* second: a RST counts only with an acceptable ACK (RFC 5961 3.2). */
	if (seg->flags & TCP_RST) {
		if (!ack) {
			DROP(st, TCP_IN_ERRS, "syn-sent: RST without ACK");
			return;
		}
		tcp_connect_failed(tp, ECONNREFUSED, "RST in SYN-SENT: connection refused");
		return;
	}
	/* fourth: the SYN. */
	if (!(seg->flags & TCP_SYN)) {
		DROP(st, TCP_IN_ERRS, "syn-sent: neither SYN nor RST");
		return;
	}
	tcp_take_syn(tp, seg);
	if (ack)
		tcp_ecn_rcv_synack(tp, seg);
	else
		tcp_ecn_rcv_syn(tp, seg);
	if (ack) {
		/* Our SYN is acked: ESTABLISHED, and <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
		tcp_rtt_sample_syn(tp);
		if (!tcp_fastopen_synack(tp, seg)) /* Fast Open moves SND.UNA itself */
			tp->snd_una = seg->ack;
		tcp_timers_stop(tp);
		tp->retransmits = 0;
		tp->retrans_stamp = 0;
		/* Our SYN's whole first window counts as offered (Linux
		 * tp->rcv_wnd from tcp_connect_init). */
		tp->rcv_adv = tp->rcv_nxt + tp->rcv_wnd_init;
		tcp_set_state(tp, SYNACK_ESTABLISHED, "SYN,ACK received");
		tcp_established_init(tp);
		/* Linux (unlike the RFC's sixth step) frees a SYN-ACK's data and
		 * FIN unless it sent SYN data (Fast Open): the ACK covers only the
		 * SYN and the peer sends them again. */
		tcp_fastopen_synack_data(tp, seg);
		if (tcp_synack_ack_delayed(tp))
			return;
		tp->ack_now = true;
		tcp_output(tp);
		return;
	}
	/* Simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
	tcp_set_state(tp, SYNACK_SYN_RECV, "SYN received in SYN-SENT (simultaneous open)");
	tp->snd_nxt = tp->iss;
	tcp_send_syn(tp);
}
