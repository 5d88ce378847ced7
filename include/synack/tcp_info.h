/*
 * TCP_INFO (getsockopt(IPPROTO_TCP, 11)) in Linux's struct tcp_info layout
 * (LINUX-SEMANTICS 10), written from the documented offsets so callers
 * need no kernel headers and get the same bytes as from Linux 6.18 (280
 * bytes). getsockopt copies min(the caller's length, sizeof) and returns
 * that length, as Linux does, so older and shorter layouts keep working.
 * Times: rto, ato, rtt, rttvar, rcv_rtt, min_rtt, busy_time,
 * rwnd_limited and sndbuf_limited in microseconds; last_* in
 * milliseconds.
 */
#ifndef SYNACK_TCP_INFO_H
#define SYNACK_TCP_INFO_H

#include <stddef.h>
#include <stdint.h>

/* tcpi_options bits. */
#define SYNACK_TCPI_OPT_TIMESTAMPS 1
#define SYNACK_TCPI_OPT_SACK 2
#define SYNACK_TCPI_OPT_WSCALE 4
#define SYNACK_TCPI_OPT_ECN 8
#define SYNACK_TCPI_OPT_ECN_SEEN 16
#define SYNACK_TCPI_OPT_SYN_DATA 32

/* tcpi_ca_state values. */
enum { SYNACK_CA_OPEN, SYNACK_CA_DISORDER, SYNACK_CA_CWR, SYNACK_CA_RECOVERY, SYNACK_CA_LOSS };

struct synack_tcp_info {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4; /* low nibble: snd */
	uint8_t tcpi_delivery_rate_app_limited : 1, tcpi_fastopen_client_fail : 2;

	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;

	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;

	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;

	uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked, tcpi_bytes_received;
	uint32_t tcpi_segs_out, tcpi_segs_in;

	uint32_t tcpi_notsent_bytes, tcpi_min_rtt;
	uint32_t tcpi_data_segs_in, tcpi_data_segs_out;

	uint64_t tcpi_delivery_rate;
	uint64_t tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;

	uint32_t tcpi_delivered, tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups, tcpi_reord_seen;
	uint32_t tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd, tcpi_rcv_wnd;
	uint32_t tcpi_rehash;
	uint16_t tcpi_total_rto, tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;
	/* 6.18: AccECN counters and flags; we do not do AccECN (zero). */
	uint32_t tcpi_accecn_reserved[8];
};

/* The table of LINUX-SEMANTICS 10. */
_Static_assert(offsetof(struct synack_tcp_info, tcpi_options) == 5, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_rto) == 8, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_fackets) == 40, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_last_data_sent) == 44, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_pmtu) == 60, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_total_retrans) == 100, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_pacing_rate) == 104, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_bytes_acked) == 120, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_segs_out) == 136, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_data_segs_out) == 156, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_delivery_rate) == 160, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_delivered) == 192, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_bytes_sent) == 200, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_dsack_dups) == 216, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_snd_wnd) == 228, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_total_rto) == 240, "tcp_info layout");
_Static_assert(offsetof(struct synack_tcp_info, tcpi_total_rto_time) == 244, "tcp_info layout");
_Static_assert(sizeof(struct synack_tcp_info) == 280, "tcp_info size (Linux 6.18)");

#endif
