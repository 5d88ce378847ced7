/* IPPROTO_TCP options (tcp(7)) and TCP_INFO in Linux's layout. */
#include <errno.h>
#include <linux/tcp.h>
#include <string.h>

#include <synack/tcp_info.h>

#include "socket/socket.h"
#include "tcp/tcp.h"

#define TCP_MAX_KEEPIDLE 32767 /* Linux MAX_TCP_KEEPIDLE, also KEEPINTVL */
#define TCP_MAX_KEEPCNT 127

static int fail(int err)
{
	errno = err;
	return -1;
}

/* SO_SNDBUF/SO_RCVBUF changed: the send queue takes the size asked for
 * (the doubled figure is what getsockopt reports); the receive queue
 * follows sk.rcvbuf itself (window.c). */
static void apply_buffers(struct tcp_sock *tp)
{
	tp->sndbuf = (uint32_t)tp->sk.sndbuf / 2;
}

int tcp_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int v;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_SNDBUF:
		case SO_RCVBUF:
			apply_buffers(tp);
			tcp_output(tp);
			return 0;
		case SO_KEEPALIVE:
			tcp_reset_keepalive(tp);
			return 0;
		default:
			return fail(ENOPROTOOPT);
		}
	}
	if (level == IPPROTO_IP)
		return tcp_ip_setsockopt(tp, name, val, len);
	if (level != IPPROTO_TCP)
		return fail(ENOPROTOOPT);
	if (name == TCP_FASTOPEN || name == TCP_FASTOPEN_CONNECT || name == TCP_FASTOPEN_KEY ||
	    name == TCP_FASTOPEN_NO_COOKIE)
		return tcp_fastopen_setsockopt(tp, name, val, len);
	if (name == TCP_CONGESTION) {
		/* Linux: at most TCP_CA_NAME_MAX - 1 bytes, not necessarily
		 * NUL-terminated; an unknown name is ENOENT. */
		char ca_name[TCP_CA_NAME_MAX] = {0};
		if (!val || len < 1)
			return fail(EINVAL);
		memcpy(ca_name, val, len < TCP_CA_NAME_MAX - 1 ? len : TCP_CA_NAME_MAX - 1);
		return tcp_cc_set(tp, ca_name);
	}
	if (sockopt_get_int(val, len, &v) < 0)
		return -1;
	switch (name) {
	case TCP_NODELAY:
		/* Linux: setting it pushes pending data at once, past a cork. */
		tp->nodelay = v != 0;
		tp->force_push = tp->nodelay;
		tcp_output(tp);
		return 0;
	case TCP_CORK:
		/* Uncorking pushes; past Nagle only with TCP_NODELAY (Linux). */
		tp->cork = v != 0;
		if (!tp->cork) {
			tp->force_push = tp->nodelay;
			tcp_output(tp);
		}
		return 0;
	case TCP_QUICKACK:
		/* Linux __tcp_sock_set_quickack: 0 enters pingpong mode;
		 * nonzero leaves it and, with an ACK owed in ESTABLISHED or
		 * CLOSE-WAIT, marks it pushed and sends it if a read could
		 * (tcp_cleanup_rbuf: the receive queue is empty); an even
		 * value then re-enters pingpong mode. */
		if (!v) {
			tp->pingpong = true;
			return 0;
		}
		tp->pingpong = false;
		if ((tp->state == SYNACK_ESTABLISHED || tp->state == SYNACK_CLOSE_WAIT) &&
		    tp->delack_pending) {
			tp->ack_pushed = true;
			if (tcp_ack_after_read(tp, 1))
				tcp_send_ack(tp);
			if (!(v & 1))
				tp->pingpong = true;
		}
		return 0;
	case TCP_INQ:
		if (v < 0 || v > 1)
			return fail(EINVAL);
		tp->recv_inq = v;
		return 0;
	case TCP_USER_TIMEOUT: /* ms; replaces the tcp_retries2 give-up time */
		if (v < 0)
			return fail(EINVAL);
		tp->user_timeout_ms = (uint32_t)v;
		return 0;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		if (v < 1 || v > TCP_MAX_KEEPIDLE)
			return fail(EINVAL);
		if (name == TCP_KEEPIDLE) {
			tp->keepidle = v;
			tcp_keepalive_changed(tp);
		} else {
			tp->keepintvl = v;
		}
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > TCP_MAX_KEEPCNT)
			return fail(EINVAL);
		tp->keepcnt = v;
		return 0;
	case TCP_NOTSENT_LOWAT: /* Linux stores it unsigned; 0 = the sysctl */
		tp->notsent_lowat = (uint32_t)v;
		sock_wakeup(sk);
		return 0;
	case TCP_MAXSEG:
		/* Linux: 0 clears; otherwise TCP_MIN_MSS (88) ..
		 * MAX_TCP_WINDOW (32767). */
		if (v && (v < 88 || v > 32767))
			return fail(EINVAL);
		tp->user_mss = (uint16_t)v;
		return 0;
	case TCP_SYNCNT:
		if (v < 1 || v > 127)
			return fail(EINVAL);
		tp->syn_retries = v;
		return 0;
	case TCP_LINGER2:
		/* Linux: negative = RST instead of FIN-WAIT-2; capped at
		 * TCP_FIN_TIMEOUT_MAX (120 s); 0 = tcp_fin_timeout. */
		tp->linger2 = v < 0 ? -1 : v > TCP_FIN_TIMEOUT_MAX_S ? TCP_FIN_TIMEOUT_MAX_S : v;
		return 0;
	case TCP_DEFER_ACCEPT: /* seconds, kept as SYN-ACK timeouts (Linux) */
		tp->defer_accept = tcp_defer_secs_to_retrans(v);
		return 0;
	default:
		return fail(ENOPROTOOPT);
	}
}

/* The ca_state Linux would report (tcp_ca_state). */
static uint8_t ca_state(const struct tcp_sock *tp)
{
	if (tp->in_recovery)
		return 3; /* TCP_CA_Recovery */
	if (tp->retransmits && tcp_synchronized(tp->state))
		return 4; /* TCP_CA_Loss */
	if (tp->ca_cwr)
		return 2; /* TCP_CA_CWR: an ECN reduction (ecn.c) */
	if (tp->dupacks || tp->nsacked)
		return 1; /* TCP_CA_Disorder: duplicate ACKs or SACKed data */
	return 0;
}

static uint32_t ms_since(const struct tcp_sock *tp, synack_time_t t)
{
	return t ? (uint32_t)((tp->sk.st->now - t) / 1000) : (uint32_t)(tp->sk.st->now / 1000);
}

/* Linux tcp_get_info, for every field we keep: counters, timers and
 * the options the SYNs agreed (known only once synchronized). */
static void fill_info(const struct tcp_sock *tp, struct synack_tcp_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = (uint8_t)tp->state;
	ti->tcpi_ca_state = ca_state(tp);
	ti->tcpi_retransmits = (uint8_t)tp->retransmits;
	ti->tcpi_probes = (uint8_t)tp->probes;
	ti->tcpi_backoff = (uint8_t)tp->backoff;
	if (tp->syn_data_acked) /* kept after the connection closes (Linux) */
		ti->tcpi_options |= SYNACK_TCPI_OPT_SYN_DATA;
	if (tp->ecn_flags & TCP_ECN_OK)
		ti->tcpi_options |= SYNACK_TCPI_OPT_ECN;
	if (tp->ecn_flags & TCP_ECN_SEEN)
		ti->tcpi_options |= SYNACK_TCPI_OPT_ECN_SEEN;
	ti->tcpi_delivered_ce = tp->delivered_ce;
	if (tcp_synchronized(tp->state)) {
		if (tp->rx_opt.ts_ok)
			ti->tcpi_options |= SYNACK_TCPI_OPT_TIMESTAMPS;
		if (tp->rx_opt.sack_ok)
			ti->tcpi_options |= SYNACK_TCPI_OPT_SACK;
		if (tp->rx_opt.wscale_ok) {
			ti->tcpi_options |= SYNACK_TCPI_OPT_WSCALE;
			ti->tcpi_snd_wscale = tp->snd_wscale & 0xf;
			ti->tcpi_rcv_wscale = tp->rcv_wscale & 0xf;
		}
	}
	ti->tcpi_rto = tp->rto_us;
	ti->tcpi_ato = tp->ato_us;
	ti->tcpi_snd_mss = tp->mss;
	ti->tcpi_rcv_mss = tp->rcv_mss;
	ti->tcpi_unacked = tcp_packets_in_flight(tp);
	/* After timeouts, the flight; else the segments resent and not yet
	 * acked or SACKed (Linux retrans_out: a non-congestion loss, a
	 * Fast Open SYN's data resent, a loss probe). */
	ti->tcpi_retrans = tp->retransmits ? tcp_packets_in_flight(tp) : tcp_txl_retrans_out(tp);
	uint32_t sb_retrans;
	tcp_sb_info(tp, &ti->tcpi_sacked, &ti->tcpi_lost, &sb_retrans);
	if (tp->sack_recovery)
		ti->tcpi_retrans = sb_retrans;
	ti->tcpi_last_data_sent = ms_since(tp, tp->last_data_sent);
	ti->tcpi_last_data_recv = ms_since(tp, tp->last_data_recv);
	ti->tcpi_last_ack_recv = ms_since(tp, tp->last_ack_recv);
	ti->tcpi_pmtu = tp->pmtu_cookie ? tp->pmtu_cookie : tp->sk.st->mtu; /* icsk_pmtu_cookie */
	ti->tcpi_rcv_ssthresh = tp->rcv_ssthresh;
	ti->tcpi_rtt = tp->srtt_us;
	ti->tcpi_rttvar = tp->rttvar_us;
	ti->tcpi_snd_ssthresh = tp->ssthresh;
	ti->tcpi_snd_cwnd = tp->cwnd;
	ti->tcpi_advmss = tcp_adv_mss(tp); /* Linux tcp_mss_clamp: TCP_MAXSEG caps it */
	ti->tcpi_reordering = tp->reordering;
	ti->tcpi_reord_seen = tp->reord_seen;
	ti->tcpi_rcv_space = tp->rcvq_space; /* bytes read in the last receiver RTT */
	ti->tcpi_rcv_rtt = tp->rcv_rtt_us8 >> 3;
	ti->tcpi_total_retrans = tp->total_retrans;
	ti->tcpi_bytes_acked = tp->bytes_acked;
	ti->tcpi_bytes_received = tp->bytes_received;
	ti->tcpi_segs_out = (uint32_t)tp->segs_out;
	ti->tcpi_segs_in = (uint32_t)tp->segs_in;
	ti->tcpi_notsent_bytes = tcp_unsent(tp);
	ti->tcpi_min_rtt = tp->min_rtt_us; /* ~0U before a sample, as Linux */
	ti->tcpi_pacing_rate = tcp_pacing_rate(tp); /* sk_pacing_rate (push.c) */
	ti->tcpi_max_pacing_rate = UINT64_MAX;      /* SO_MAX_PACING_RATE unset */
	ti->tcpi_data_segs_in = (uint32_t)tp->data_segs_in;
	ti->tcpi_data_segs_out = (uint32_t)tp->data_segs_out;
	/* Linux tp->delivered: the SYN or SYN-ACK once acked (tcp_ack, or
	 * tcp_rcv_state_process in SYN-RECV), then segments cumulatively
	 * acked (bytes in whole MSS, rounded up: Linux counts each skb's
	 * segments) and those SACKed above SND.UNA. */
	if (seq_gt(tp->snd_una, tp->iss) && tp->mss)
		ti->tcpi_delivered = 1 + (uint32_t)((tp->bytes_acked + tp->mss - 1) / tp->mss) +
				     ti->tcpi_sacked;
	ti->tcpi_dsack_dups = tp->dsack_dups;
	tcp_chrono_info(tp, &ti->tcpi_busy_time, &ti->tcpi_rwnd_limited, &ti->tcpi_sndbuf_limited);
	ti->tcpi_bytes_sent = tp->bytes_sent;
	ti->tcpi_bytes_retrans = tp->bytes_retrans;
	ti->tcpi_snd_wnd = tp->snd_wnd;
	/* Linux tp->rcv_wnd: the window last advertised, counted from
	 * RCV.WUP (data since then does not shrink it). */
	ti->tcpi_rcv_wnd = seq_gt(tp->rcv_adv, tp->rcv_wup) ? tp->rcv_adv - tp->rcv_wup : 0;
}

int tcp_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	if (level == IPPROTO_IP)
		return tcp_ip_getsockopt(tp, name, val, len);
	if (level != IPPROTO_TCP)
		return fail(ENOPROTOOPT);
	switch (name) {
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_KEY:
	case TCP_FASTOPEN_NO_COOKIE:
		return tcp_fastopen_getsockopt(tp, name, val, len);
	case TCP_NODELAY:
		return sockopt_put_int(val, len, tp->nodelay);
	case TCP_CORK:
		return sockopt_put_int(val, len, tp->cork);
	case TCP_QUICKACK:
		return sockopt_put_int(val, len, !tp->pingpong);
	case TCP_INQ:
		return sockopt_put_int(val, len, tp->recv_inq);
	case TCP_USER_TIMEOUT:
		return sockopt_put_int(val, len, (int)tp->user_timeout_ms);
	case TCP_KEEPIDLE:
		return sockopt_put_int(val, len, (int)(tcp_keepalive_time(tp) / 1000000));
	case TCP_KEEPINTVL:
		return sockopt_put_int(val, len, (int)(tcp_keepalive_intvl(tp) / 1000000));
	case TCP_KEEPCNT:
		return sockopt_put_int(val, len, tcp_keepalive_probes(tp));
	case TCP_NOTSENT_LOWAT:
		return sockopt_put_int(val, len, (int)tp->notsent_lowat);
	case TCP_MAXSEG:
		/* Linux: user_mss before the connection, the live MSS after. */
		if (tcp_synchronized(tp->state) && tp->state != SYNACK_CLOSE)
			return sockopt_put_int(val, len, tp->mss);
		return sockopt_put_int(val, len, tp->user_mss ? tp->user_mss : TCP_DEFAULT_MSS);
	case TCP_SYNCNT:
		return sockopt_put_int(val, len,
				       tp->syn_retries ? tp->syn_retries : sk->st->cfg.tcp_syn_retries);
	case TCP_LINGER2:
		return sockopt_put_int(val, len, tp->linger2 < 0 ? -1
					       : tp->linger2 ? tp->linger2 : sk->st->cfg.tcp_fin_timeout);
	case TCP_DEFER_ACCEPT:
		return sockopt_put_int(val, len, tcp_defer_retrans_to_secs(tp->defer_accept));
	case TCP_CONGESTION: {
		/* Linux: min(len, TCP_CA_NAME_MAX) bytes of the NUL-padded
		 * name; len becomes that. */
		char ca_name[TCP_CA_NAME_MAX] = {0};
		if ((int)*len < 0)
			return fail(EINVAL);
		strncpy(ca_name, tp->ca_ops->name, TCP_CA_NAME_MAX - 1);
		socklen_t n = *len < TCP_CA_NAME_MAX ? *len : TCP_CA_NAME_MAX;
		memcpy(val, ca_name, n);
		*len = n;
		return 0;
	}
	case TCP_INFO: {
		struct synack_tcp_info ti;
		fill_info(tp, &ti);
		socklen_t n = *len < (socklen_t)sizeof(ti) ? *len : (socklen_t)sizeof(ti);
		memcpy(val, &ti, n);
		*len = n;
		return 0;
	}
	default:
		return fail(ENOPROTOOPT);
	}
}
