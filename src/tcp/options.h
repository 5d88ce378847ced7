/*
 * SYN option negotiation (RFC 9293 3.7.1 MSS, RFC 7323 window scale and
 * timestamps, RFC 2018 SACK-permitted) as Linux does it, in small
 * functions on plain values so that a full socket and a listener's
 * request entry negotiate alike. The wire layout is wire/options.c's.
 */
#ifndef SYNACK_TCP_OPTIONS_H
#define SYNACK_TCP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include <synack/synack.h>

#include "wire/tcp.h"

struct synack_stack;

#define TCP_MAX_WSCALE 14            /* RFC 7323 2.3: larger shifts mean 14 */
#define TCP_TS_ALIGNED 12            /* NOP NOP TS on every segment after the SYN */

/* What a SYN exchange agreed (Linux's tcp_options_received). On our side
 * before the peer's SYN is seen: what we offer. */
struct tcp_syn_opts {
	uint16_t mss;                    /* the peer's MSS; 536 if it sent none */
	uint8_t snd_wscale;              /* the peer's shift, clamped to 14 */
	bool wscale_ok : 1, sack_ok : 1, ts_ok : 1; /* bits: 8 bytes in all, in every
					  * socket and SYN-queue entry */
	uint32_t ts_recent;              /* the peer's last TSval we took */
};

/* What our SYN offers: every option the settings enable (tcp_window_scaling,
 * tcp_sack, tcp_timestamps != 0). */
void tcp_syn_opts_offer(struct tcp_syn_opts *n, const struct synack_config *cfg);
/*
 * The peer's SYN or SYN-ACK arrived with options in: keep what both sides
 * allow. For a SYN-ACK, `offered` is what our SYN offered (an option the
 * peer answers is used only if we asked); for a SYN pass NULL (we answer
 * what it offers and our settings enable). Window scale > 14 means 14.
 */
void tcp_syn_opts_take(struct tcp_syn_opts *n, const struct synack_config *cfg,
		       const struct tcp_opts *in, const struct tcp_syn_opts *offered);
/*
 * The options of our SYN or SYN-ACK: MSS mss, SACK-permitted, timestamps
 * (TSval tsval, TSecr n->ts_recent: 0 in a SYN, except one recycling a
 * TIME-WAIT tuple, as Linux) and window scale
 * rcv_wscale, each as n allows. tcp_opts_emit lays them out in Linux's
 * order (mss, sackOK, TS, nop, wscale).
 */
void tcp_syn_opts_build(struct tcp_opts *o, const struct tcp_syn_opts *n, uint16_t mss,
			uint8_t rcv_wscale, uint32_t tsval);

/* The window a receive buffer of rcvbuf bytes (as SO_RCVBUF reports it)
 * offers: half of it, Linux's starting tcp_win_from_space ratio. */
uint32_t tcp_win_from_space(uint32_t rcvbuf);
/*
 * Linux tcp_select_initial_window: the first window (space rounded down to
 * a multiple of mss, at most 65535 in the SYN) and our shift (from the
 * largest buffer we may grow to: max(tcp_rmem[2], rmem_max), bounded by
 * *clamp, less 15 bits, 0..14). *clamp (0 = none) becomes at most
 * 65535 << shift.
 */
void tcp_select_initial_window(const struct synack_config *cfg, uint32_t space, uint32_t mss,
			       bool wscale_ok, uint32_t *clamp, uint32_t *rcv_wnd,
			       uint8_t *rcv_wscale);

/* Linux secure_tcp_ts_off: a per-host-pair offset for our TSvals keyed by
 * a stack secret (RFC 7323 5.4); 0 with tcp_timestamps = 2. */
uint32_t tcp_ts_offset(const struct synack_stack *st, uint32_t laddr, uint32_t raddr);
/* Our TSval now: Linux's 1 ms clock plus the flow's offset. */
uint32_t tcp_ts_now(const struct synack_stack *st, uint32_t offset);

#endif

/* ---- The same negotiation on a full socket (struct tcp_sock) ---------- */
struct tcp_sock;
/* Active open, before the first SYN: what we offer, our TSval offset, our
 * first window and shift (Linux tcp_connect_init). */
void tcp_opts_connect_init(struct tcp_sock *tp);
/*
 * The peer's SYN (passive, or simultaneous open) or SYN-ACK (active) is
 * in: the agreed options, the send MSS (the peer's MSS, our MTU's and
 * TCP_MAXSEG's, less 12 with timestamps, as Linux tcp_sync_mss), and for a
 * SYN our first window and shift.
 */
void tcp_opts_take_syn(struct tcp_sock *tp, const struct tcp_seg *seg);
/* The MSS our SYN or SYN-ACK advertises (MTU - 40, or TCP_MAXSEG's). */
uint16_t tcp_adv_mss(const struct tcp_sock *tp);
