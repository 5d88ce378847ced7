/*
 * Request entries: what a listener remembers about a SYN it answered
 * (Linux's request socks, TCP_NEW_SYN_RECV), a small struct instead of a
 * full tcp_sock. They sit on their listener's SYN queue and in a hash of
 * their own, keyed by the same SipHash of the 4-tuple as the connection
 * hash, so a final ACK finds its request in O(1) after the connection
 * hash missed. Each has one timer on the stack's wheel for its SYN-ACK
 * retransmissions and its expiry.
 */
#ifndef SYNACK_TCP_REQSK_H
#define SYNACK_TCP_REQSK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/timer.h"
#include "tcp/options.h"
#include "wire/tcp.h"

struct tcp_sock;
struct synack_stack;
struct synack_sockinfo;

struct tcp_req {
	struct tcp_req *hnext;           /* request hash chain */
	struct tcp_req *qnext, *qprev;   /* listener's SYN queue */
	struct tcp_sock *lsn;
	uint64_t id;                     /* connection id; the child keeps it (0: handed over) */
	struct timer timer;              /* SYN-ACK resend and expiry */
	uint64_t snt_synack;             /* first SYN-ACK (us), the handshake's RTT sample */
	uint64_t last_oow_ack;           /* answers to strays are rate-limited (us) */
	uint32_t laddr, raddr;           /* host order */
	uint16_t lport, rport;
	uint32_t irs, iss;               /* peer's ISN, ours */
	struct tcp_syn_opts opts;        /* what the SYN offered and we answer (options.h) */
	uint16_t snd_wnd;                /* the SYN's window (never scaled) */
	uint32_t rcv_wnd;                /* our first window (the SYN-ACK shows <= 65535) */
	uint8_t num_retrans;             /* SYN-ACKs sent again (timer or SYN) */
	uint8_t num_timeout;             /* times the timer fired */
	bool acked;                      /* final ACK seen but not taken (defer, overflow) */
	bool ecn_ok;                     /* the SYN asked for ECN and we agree (ecn.c) */
};

/* All requests of a stack, by 4-tuple. */
struct tcp_reqtab {
	struct tcp_req **h;
	uint32_t size, count;
};

struct tcp_req *tcp_req_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
			       uint32_t raddr, uint16_t rport);
/* A new request on lsn's SYN queue and in the hash, timer armed for the
 * first SYN-ACK timeout; NULL if out of memory. */
struct tcp_req *tcp_req_new(struct tcp_sock *lsn, uint32_t laddr, uint16_t lport,
			    uint32_t raddr, uint16_t rport);
/* Off the queue and the hash, timer cancelled, freed. */
void tcp_req_drop(struct tcp_req *req);
/* Drop every request of a listener (it closes). */
void tcp_req_drop_all(struct tcp_sock *lsn);
void tcp_reqtab_free(struct synack_stack *st);
/* Send the request's SYN-ACK (again, if retrans). */
void tcp_req_send_synack(struct tcp_req *req, bool retrans);
/* The first SYN-ACK with a Fast Open cookie option (foc->has_tfo). */
void tcp_req_send_synack_foc(struct tcp_req *req, const struct tcp_opts *foc);
/* Linux reqsk_timeout: 1 s doubled per timeout, at most the RTO max. */
uint64_t tcp_req_timeout_us(const struct tcp_req *req);
/* Re-arm the timer to now + tcp_req_timeout_us (a SYN was answered). */
void tcp_req_rearm(struct tcp_req *req);
/* Listing rows for lsn's requests from rows[n] on; returns the new n
 * (rows past max are counted, not written). */
size_t tcp_req_rows(struct tcp_sock *lsn, struct synack_sockinfo *rows, size_t n, size_t max);

#endif
