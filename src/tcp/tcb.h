/*
 * The TCP control block (RFC 9293 3.3.1), one per connection or listener.
 * struct sock comes first so the socket layer can hold either.
 */
#ifndef SYNACK_TCP_TCB_H
#define SYNACK_TCP_TCB_H

#include <stdbool.h>
#include <stdint.h>

#include <synack/synack.h>

#include "core/timer.h"
#include "socket/sock.h"
#include "tcp/buf.h"
#include "tcp/cc.h"
#include "tcp/options.h"
#include "wire/tcp.h"

/* States are Linux's numbers (enum synack_tcp_state). */
typedef enum synack_tcp_state tcp_state_t;

/* Has the connection seen both SYNs? (RFC 9293 3.10.7.4's "synchronized") */
static inline bool tcp_synchronized(int s)
{
	return s != SYNACK_CLOSE && s != SYNACK_LISTEN && s != SYNACK_SYN_SENT;
}

/* SACKed ranges the sender keeps; past it the highest are forgotten
 * (that data may be sent again, which is harmless). */
#define TCP_SB_MAX 8

/* MSG_EOR marks a socket keeps queued at once (more: EAGAIN). */
#define TCP_EOR_MAX 32

/* Send buffers (Linux write-queue skbs) whose ends we remember (push.c);
 * past it the oldest are forgotten (they only decide a resend's PSH). */
#define TCP_SKBM_MAX 64

struct tcp_skb_mark {
	uint32_t end;                    /* sequence number after its last byte */
	bool psh;                        /* Linux tcp_mark_push set TCPHDR_PSH */
};

/* Transmissions the sender remembers (rack.c): one record a segment
 * sent, oldest first; past it the two oldest are merged. */
#define TCP_TXL_MAX 512

struct tcp_txrec {
	uint32_t end;                    /* after its last sequence number */
	synack_time_t sent;              /* its last (re)transmission */
	bool retrans;                    /* ever retransmitted (Linux TCPCB_EVER_RETRANS) */
	bool sacked;                     /* delivered by a SACK block */
};

struct tcp_listen;
struct tcp_bind_bucket;
struct tcp_req;
struct tcp_zc;
struct tcp_sack_rcv;
struct tcp_fastopen_sock;

/*
 * Layout: the idle cost of a connection is mostly this struct (bench
 * --idle), so flags are one-bit fields, small counts are as narrow as
 * their bound (said where it is not obvious), each group keeps its wider
 * members first, and what only some sockets use lives in side structures
 * allocated at first use: Fast Open (tfo), MSG_ZEROCOPY (zc), a
 * listener's queues (lsn), MSG_EOR marks, PSH marks and transmission
 * records while data is unacknowledged.
 */
/* What rtx_timer is armed for. RTX_PROBE: the tail loss probe timer
 * (tlp.c) holds the slot; RTX_REO: RACK's reordering timer (rack.c). */
enum tcp_rtx_kind { RTX_NONE, RTX_RETRANS, RTX_PERSIST, RTX_PROBE, RTX_REO };

struct tcp_sock {
	struct sock sk;
	uint64_t id;
	synack_time_t created, state_since;
	int state;

	/* Addresses, host order. */
	uint32_t laddr, raddr;
	uint16_t lport, rport;

	/* Table links. */
	struct tcp_sock *hnext;          /* connection hash chain */
	struct tcp_sock *bnext, **bpprev; /* owners of the port's bind bucket */
	struct tcp_bind_bucket *bb;      /* the port held, NULL if none */
	struct tcp_sock *lnext;          /* listener chain (LISTEN only) */
	struct tcp_sock *next, *prev;    /* every socket of the stack */

	/* Listener side. */
	struct tcp_listen *lsn;          /* set on a listener */
	struct tcp_sock *parent;         /* listener of a not-yet-accepted child */
	struct tcp_sock *qnext;          /* SYN or accept queue link */

	bool hashed : 1, bound : 1;
	bool listen_hashed : 1;
	bool bind_locked : 1;            /* bind() named the port: kept after CLOSE (Linux) */
	bool in_accept_queue : 1;
	bool orphan : 1;                 /* the application closed it; TCP finishes */
	uint8_t defer_accept;            /* TCP_DEFER_ACCEPT as SYN-ACK timeouts (Linux) */

	/* Send sequence space (RFC 9293 3.3.1). */
	uint8_t snd_wscale, rcv_wscale;
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_sml;                /* end of the last segment below one MSS */
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_window;
	uint16_t mss;                    /* effective send MSS */
	uint16_t advmss;                 /* MSS we advertise */
	uint16_t user_mss;               /* TCP_MAXSEG, 0 = none */
	uint16_t rcv_mss;                /* estimate of the peer's segment size */
	/* Path MTU discovery (RFC 1191, pmtu.c): the path MTU the MSS was
	 * last computed from (Linux icsk_pmtu_cookie, tcpi_pmtu), and the
	 * cache generation and expiry it was read at. */
	uint16_t pmtu_cookie;
	uint32_t pmtu_gen;
	synack_time_t pmtu_expires;
	/* Options the SYNs agreed (options.h): before the peer's SYN, what
	 * ours offers. With timestamps every segment carries NOP NOP TS. */
	struct tcp_syn_opts rx_opt;
	synack_time_t ts_recent_stamp;   /* when rx_opt.ts_recent was taken (PAWS) */
	uint32_t ts_offset;              /* our TSvals: 1 ms clock + this */
	uint32_t window_clamp;           /* largest window we will offer */
	uint32_t rcv_wnd_init;           /* our first window (the SYN or SYN-ACK shows <= 65535 of it) */
	uint32_t rcv_ssthresh;           /* the offer grows up to here (window.c, Linux rcv_ssthresh) */

	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_wup, rcv_adv;

	/* Queues. */
	struct ring sndq;                /* from SND.UNA on */
	struct rcvq rcvq;
	uint32_t sndbuf;                 /* send queue limit in bytes; the receive
					  * queue's is tcp_full_space (window.c) */
	/* Receive buffer autotuning (autotune.c): the receiver's RTT (x8, us)
	 * and the bytes read in the last such RTT. */
	uint32_t rcv_rtt_us8, rcv_rtt_seq, rcv_rtt_last_tsecr;
	synack_time_t rcv_rtt_time;
	uint32_t rcvq_space, rcvq_seq;
	synack_time_t rcvq_time;
	uint32_t fin_seq;
	bool fin_queued : 1;             /* application closed its sending side */
	bool fin_sent : 1;               /* our FIN has a sequence number (fin_seq) */
	bool fin_rcvd : 1;               /* peer's FIN is in order and consumed */
	bool eof_read : 1;               /* the application has read that FIN */
	bool ooo_fin : 1;                /* peer's FIN arrived out of order at ooo_fin_seq */
	bool dsack : 1;
	/* Receiver SACK (sack.c): out-of-order blocks, most recent first
	 * (Linux selective_acks), and whether a D-SACK block is owed in the
	 * next ACK; the blocks are in rsack, allocated while any is owed. */
	uint8_t nsack_recent;
	struct tcp_sack_rcv *rsack;
	uint32_t ooo_fin_seq;

	/* Retransmission (RFC 6298) and congestion control (RFC 5681/6582). */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t min_rtt_us;
	uint32_t rtt_seq;
	synack_time_t rtt_sent;
	synack_time_t retrans_stamp;     /* first unacked transmission, 0 = none */
	unsigned retransmits;            /* consecutive timeouts */
	unsigned backoff;
	unsigned total_retrans;
	uint32_t cwnd, ssthresh;         /* segments */
	uint32_t cwnd_cnt;               /* Linux snd_cwnd_cnt */
	/* Congestion control (cc.h): the algorithm, whether TCP_CONGESTION
	 * chose it (Linux icsk_ca_setsockopt), and its private state. */
	const struct tcp_cc_ops *ca_ops;
	uint64_t ca_priv[TCP_CA_PRIV_U64];
	int32_t ca_rtt_us;               /* this ACK's RTT for pkts_acked, -1 = none */
	/* Linux tcp_cwnd_validate (cc.c): was the cwnd the limit in the
	 * last window, the most in flight then, and RFC 2861's use record. */
	uint32_t max_packets_out, cwnd_usage_seq, snd_cwnd_used;
	synack_time_t snd_cwnd_stamp;
	unsigned dupacks;
	uint32_t recover;
	bool rtt_sampling : 1;
	bool ca_setsockopt : 1;
	bool is_cwnd_limited : 1;
	bool in_recovery : 1;
	bool sack_recovery : 1;          /* in_recovery entered by SACK */
	bool sb_loss : 1;                /* timed out, until RECOVER is acked (Linux CA_Loss) */
	bool rack_advanced : 1;          /* see RACK below */
	bool xmit_refused : 1;           /* the device refused our last segment */
	/* Sender SACK scoreboard (scoreboard.c): the SACKed ranges above
	 * SND.UNA, sorted and disjoint (Linux's TCPCB_SACKED_ACKED marks),
	 * RFC 6675 HighRxt and PRR's counts (RFC 6937, in segments). */
	uint8_t nsacked;
	uint8_t rtx_kind;                /* enum tcp_rtx_kind: what rtx_timer is for */
	struct tcp_sack_block *sacked;   /* TCP_SB_MAX entries while any range is SACKed */
	uint32_t high_rxt;
	uint32_t prr_delivered, prr_out, prior_cwnd;
	/* Each unacknowledged segment's transmission (rack.c), from the
	 * one holding SND.UNA on; allocated while data is in flight. */
	struct tcp_txrec *txl;
	unsigned ntxl;
	/* RACK (RFC 8985 6.2, Linux tp->rack): the most recently sent
	 * segment delivered (its send time, end, and RTT), and whether it
	 * moved since loss was last looked for (rack_advanced). */
	uint32_t rack_end, rack_rtt_us;
	unsigned probes;                 /* zero-window or keepalive probes */
	synack_time_t rack_xmit;
	synack_time_t probes_tstamp;     /* first zero-window probe timeout, 0 = none */

	/* ACK policy. */
	uint32_t ato_us;                 /* delayed-ACK timeout, adapts (ack.c) */
	uint16_t last_seg_size;          /* Linux icsk_ack.last_seg_size */
	uint8_t quickack;                /* quick ACKs left, at most TCP_MAX_QUICKACKS */
	bool ack_now : 1;                /* an ACK is owed at once */
	bool ack_sched : 1;              /* in-order data or a FIN wants an ACK (tcp_ack_snd_check) */
	bool delack_pending : 1;
	bool ato_started : 1;            /* data seen: ato adapts from here */
	/* A short segment (PSH or tiny) arrived since the last ACK; twice
	 * (Linux ICSK_ACK_PUSHED, PUSHED2): a read that drains the queue
	 * then sends the owed ACK (tcp_cleanup_rbuf). */
	bool ack_pushed : 1, ack_pushed2 : 1;
	/* Tail loss probe flags (see below). */
	bool tlp_out : 1, tlp_retrans : 1;
	synack_time_t lrcvtime;          /* last in-order data (Linux icsk_ack.lrcvtime) */

	/* Timers: retransmit/persist, delayed ACK, keepalive/FIN-WAIT-2/TIME-WAIT. */
	struct timer rtx_timer, delack_timer, keep_timer;
	/* Tail loss probe (RFC 8985 7, Linux tlp_high_seq): a probe is out
	 * (tlp_out) until SND.UNA reaches tlp_high_seq; tlp_rto_at is when
	 * the RTO the probe stands in for would fire; tlp_armed_max is
	 * SND.MAX when the PTO was armed (new data sent re-arms it, as
	 * tcp_write_xmit does), tlp_tail_sent when that tail went out. */
	uint32_t tlp_high_seq, tlp_armed_max;
	synack_time_t tlp_rto_at, tlp_tail_sent;

	/* Options and errors. */
	int soft_err;                    /* ICMP error seen, reported on timeout */
	uint32_t dsack_dups;             /* segments D-SACKed by the peer (Linux tcp_dsack_seen) */
	synack_time_t last_oow_ack;      /* last ACK for an out-of-window segment */
	synack_time_t last_data_sent, last_data_recv, last_ack_recv;
	uint64_t bytes_acked, bytes_received;
	uint64_t bytes_sent, bytes_retrans;   /* payload sent, incl. / only resent */
	/* Segment counts, 32 bits as Linux's tp->segs_in, segs_out,
	 * data_segs_in, data_segs_out (and TCP_INFO's fields): they wrap alike. */
	uint32_t segs_in, segs_out;
	uint32_t data_segs_in, data_segs_out; /* segments with payload (TCP_INFO) */
	uint32_t user_timeout_ms;        /* TCP_USER_TIMEOUT, 0 = retries2 rule */
	uint32_t notsent_lowat;          /* TCP_NOTSENT_LOWAT, 0 = tcp_notsent_lowat */
	/* TCP_KEEP*, 0 = the sysctl; setsockopt bounds them as Linux does:
	 * idle and interval 1..32767 s (MAX_TCP_KEEPIDLE), count 1..127. */
	int16_t keepidle, keepintvl;
	int8_t keepcnt;
	uint8_t syn_retries;             /* TCP_SYNCNT (1..127), 0 = sysctl */
	int8_t linger2;                  /* TCP_LINGER2 seconds (capped at 120): 0 = tcp_fin_timeout, -1 = RST */
	bool nodelay : 1;
	bool connect_reported : 1;       /* EINPROGRESS outcome taken */
	bool ip_recverr : 1;             /* IP_RECVERR (ip_sockopt.c) */
	uint32_t reordering;             /* reordering assumed, in segments (Linux tp->reordering) */
	uint32_t reord_seen;             /* times reordering was detected */
	/* Send-side options (tcp(7), sockopt.c, output.c). A small tail is
	 * held while corked (TCP_CORK, or MSG_MORE for the send that set
	 * more); TCP_NODELAY pushes once past the cork (force_push), as
	 * Linux's TCP_NAGLE_PUSH. */
	bool cork : 1, more : 1, force_push : 1;
	bool pingpong : 1;               /* TCP_QUICKACK 0 (reads back 0) */
	bool recv_inq : 1;               /* TCP_INQ */
	/* Linux's SOCK_NOSPACE: a write found the send buffer full. */
	bool nospace : 1;
	/* Linux's write-queue skbs as the wire sees them (push.c): each
	 * unacknowledged buffer's end and PSH mark, oldest first; the last
	 * ends at the queue's end. pushed_seq is Linux's tp->pushed_seq. */
	struct tcp_skb_mark *skbm;       /* TCP_SKBM_MAX entries while data is unacked */
	/* MSG_EOR record ends still queued: no segment spans one (Linux never
	 * appends to an skb marked EOR); oldest first. TCP_EOR_MAX entries,
	 * allocated at the first MSG_EOR so other connections pay nothing. */
	uint32_t *eor;
	uint32_t pushed_seq;
	uint8_t nskbm;                   /* at most TCP_SKBM_MAX */
	uint8_t neor;                    /* at most TCP_EOR_MAX */
	/* TCP_INFO's busy / rwnd-limited / sndbuf-limited clocks (chrono.c,
	 * Linux chrono_type, chrono_start, chrono_stat). */
	uint8_t chrono_type;
	uint8_t ecn_flags;
	synack_time_t chrono_start;
	uint64_t chrono_stat[3];
	/* MSG_ZEROCOPY (zerocopy.c): completion records and the last send
	 * buffer's fragments, from the first MSG_ZEROCOPY send on. */
	struct tcp_zc *zc;

	/* Fast Open, RFC 7413 (fastopen.c). */
	struct tcp_fastopen_sock *tfo;   /* a listener's TFO queue size and keys, a
					  * passive child's listener: at first use */
	uint16_t tfo_syn_data;           /* bytes our SYN carried (below our MSS) */
	uint8_t tfo_client_fail;         /* TCP_INFO fastopen_client_fail */
	bool sndq_after_syn : 1;         /* data queued behind our unacked SYN: the
					  * send queue starts at ISS+1, not SND.UNA */
	bool tfo_child : 1;              /* a passive child Fast Open made */
	bool tfo_pending : 1;            /* ...its SYN-ACK unacked (any state; Linux
					  * fastopen_rsk), on its listener's TFO queue */
	bool syn_data_acked : 1;         /* TCPI_OPT_SYN_DATA */
	bool fastopen_connect : 1;       /* TCP_FASTOPEN_CONNECT */
	bool fastopen_no_cookie : 1;     /* TCP_FASTOPEN_NO_COOKIE */
	bool defer_connect : 1;          /* connect() done, the SYN waits for the first write */
	bool syn_fastopen : 1;           /* our SYN carried data or a cookie (request) */
	bool syn_fastopen_exp : 1;       /* ...in the experimental option */
	bool tfo_paused : 1;             /* active Fast Open paused (blackhole) at our SYN */
	bool tfo_check_reset : 1;        /* ...was paused before: a clean end resets that */
	bool tfo_synack_ok : 1;          /* the SYN-ACK acked all our Fast Open SYN */
	bool tfo_rto_hold : 1;           /* the RTO a child's SYN-ACK ACK restarted stands
					  * (no loss probe) until more is sent (timer.c) */
	bool tfo_write_pending : 1;      /* a blocking Fast Open send waits to write the
					  * rest (Linux sk_write_pending) */
	/* Classic ECN, RFC 3168 (ecn.c): Linux's ecn_flags (beside chrono_type),
	 * the CWR congestion state (TCP_CA_CWR: one reduction per window,
	 * until SND.UNA passes cwr_high, Linux high_seq) and TCP_INFO's
	 * delivered_ce. ecn_ece_ack: the ACK being processed echoes CE. */
	bool ca_cwr : 1, ecn_ece_ack : 1;
	/* IP-level options (ip_sockopt.c): IP_TOS (TCP owns its ECN bits),
	 * IP_TTL (1..255 as Linux allows; 0: net.ipv4.ip_default_ttl),
	 * IP_RECVERR (ip_recverr, beside connect_reported), IP_MTU_DISCOVER. */
	uint8_t ip_tos;
	uint8_t ip_pmtudisc;
	uint8_t ip_ttl;
	uint32_t cwr_high;
	uint32_t delivered_ce;
};

/* The narrow counts above hold their arrays' bounds. */
_Static_assert(TCP_SKBM_MAX <= UINT8_MAX && TCP_EOR_MAX <= UINT8_MAX && TCP_SB_MAX <= UINT8_MAX,
	       "nskbm, neor and nsacked are uint8_t");

/* A listening socket's queues (LINUX-SEMANTICS 3). The SYN queue holds
 * request entries (reqsk.h), not sockets; the accept queue holds children
 * whose handshake is over, until accept(). */
struct tcp_listen {
	int backlog;                     /* min(listen()'s n, somaxconn) */
	unsigned qlen, young;            /* requests; those whose timer never fired */
	unsigned accept_len;
	struct tcp_req *req_head;        /* SYN queue */
	struct tcp_sock *acc_head, *acc_tail;
	uint64_t last_overflow;          /* last SYN cookie sent (us); cookies checked 2 min */
	bool overflowed;                 /* last_overflow is set */
	bool synflood_warned;            /* one "possible SYN flooding" trace per listener */
	unsigned tfo_qlen;               /* Fast Open children in SYN-RECEIVED (fastopen.c) */
};

static inline struct tcp_sock *tcp_sk(struct sock *sk) { return (struct tcp_sock *)sk; }

#endif
