/*
 * Pluggable congestion control, in the shape of Linux's struct
 * tcp_congestion_ops (include/net/tcp.h, net/ipv4/tcp_cong.c). The
 * recovery machinery (NewReno in cc_newreno.c, SACK/PRR in scoreboard.c,
 * RACK, the RTO) decides when the window is cut; the algorithm decides by
 * how much (ssthresh) and how it grows again (cong_avoid). Windows are in
 * segments, as Linux counts them.
 *
 * Algorithms: "reno" (cc_reno.c) and "cubic" (cc_cubic.c, the default, as
 * Linux's net.ipv4.tcp_congestion_control). A socket picks one with
 * setsockopt(IPPROTO_TCP, TCP_CONGESTION); the ops table is constant, the
 * algorithm's state lives in the socket (tp->ca_priv, Linux icsk_ca_priv).
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_sock;

#define TCP_CA_NAME_MAX 16           /* Linux TCP_CA_NAME_MAX, with the NUL */
/* The algorithms' private state in the socket: Linux's ICSK_CA_PRIV_SIZE
 * is 104 bytes for BBR and others; ours need 64 at most (cubic's 60,
 * checked by a static_assert), and every connection pays for it. */
#define TCP_CA_PRIV_U64 8
#define TCP_INFINITE_SSTHRESH 0x7fffffffu

/* Linux enum tcp_ca_st (also TCP_INFO's tcpi_ca_state). */
enum tcp_ca_st {
	CA_ST_OPEN = 0,
	CA_ST_DISORDER = 1,
	CA_ST_CWR = 2,
	CA_ST_RECOVERY = 3,
	CA_ST_LOSS = 4,
};

/* Linux enum tcp_ca_event (the ones we raise). */
enum tcp_ca_event {
	CA_EVENT_TX_START,          /* data goes out with nothing in flight */
	CA_EVENT_CWND_RESTART,      /* slow start after idle (tcp_cwnd_restart) */
	CA_EVENT_COMPLETE_CWR,      /* a window reduction (recovery) ended */
	CA_EVENT_LOSS,              /* the retransmission timer fired */
};

struct tcp_cc_ops {
	const char *name;
	/* The connection is established (or the algorithm was changed on
	 * a live one): set up the private state. */
	void (*init)(struct tcp_sock *tp);
	/* The new slow start threshold on a loss (required). */
	uint32_t (*ssthresh)(struct tcp_sock *tp);
	/* An ACK delivered acked segments in the Open state (required). */
	void (*cong_avoid)(struct tcp_sock *tp, uint32_t ack, uint32_t acked);
	/* The congestion state changes (only CA_ST_LOSS is raised). */
	void (*set_state)(struct tcp_sock *tp, enum tcp_ca_st new_state);
	void (*cwnd_event)(struct tcp_sock *tp, enum tcp_ca_event ev);
	/* Every acceptable ACK: segments newly acked and the RTT of the
	 * newest one delivered (Linux ca_rtt_us), -1 without a sample. */
	void (*pkts_acked)(struct tcp_sock *tp, uint32_t pkts, int32_t rtt_us);
	/* The cwnd to go back to if the reduction proves spurious. */
	uint32_t (*undo_cwnd)(struct tcp_sock *tp);
};

extern const struct tcp_cc_ops tcp_reno_ops;
extern const struct tcp_cc_ops tcp_cubic_ops;

/* The algorithm named name, NULL if there is none. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* The names, space-separated, in Linux's order ("reno cubic"). */
const char *tcp_cc_available(void);
/* The stack's default (net.ipv4.tcp_congestion_control), cubic if unset. */
const struct tcp_cc_ops *tcp_cc_default(const struct tcp_sock *tp);
/* Switch tp to the algorithm name (Linux tcp_set_congestion_control):
 * 0, or -1 with ENOENT for an unknown name. */
int tcp_cc_set(struct tcp_sock *tp, const char *name);

/* Linux tcp_in_slow_start, tcp_is_cwnd_limited, tcp_slow_start,
 * tcp_cong_avoid_ai: the building blocks the algorithms share. */
bool tcp_in_slow_start(const struct tcp_sock *tp);
bool tcp_is_cwnd_limited(const struct tcp_sock *tp);
uint32_t tcp_slow_start(struct tcp_sock *tp, uint32_t acked);
void tcp_cong_avoid_ai(struct tcp_sock *tp, uint32_t w, uint32_t acked);
/* Linux's Reno pieces, which other algorithms borrow. */
uint32_t tcp_reno_ssthresh(struct tcp_sock *tp);
void tcp_reno_cong_avoid(struct tcp_sock *tp, uint32_t ack, uint32_t acked);
uint32_t tcp_reno_undo_cwnd(struct tcp_sock *tp);

/* Linux TCP_CA_Loss: after a timeout, until what was out then is acked. */
bool tcp_ca_loss(const struct tcp_sock *tp);

/* Milliseconds (Linux jiffies at HZ=1000) of the virtual clock. */
uint32_t tcp_jiffies32(const struct tcp_sock *tp);
/* A time of the virtual clock (us) on that jiffies clock. */
uint32_t tcp_jiffies_of(uint64_t t);

#endif
