/*
 * Timewait entries (Linux's inet_timewait_sock): what remains of a
 * connection in TIME-WAIT, or of an orphan in FIN-WAIT-2, once the full
 * socket is gone. A small struct in a hash of its own beside the
 * connection hash (same keyed hash of the 4-tuple, so demux stays O(1)),
 * on its port's bind bucket (bind conflicts count it), with one timer.
 */
#ifndef SYNACK_TCP_TIMEWAIT_H
#define SYNACK_TCP_TIMEWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/synack.h>

#include "core/timer.h"

struct tcp_sock;
struct tcp_seg;
struct tcp_bind_bucket;
struct synack_stack;

struct tcp_tw {
	struct tcp_tw *hnext;            /* timewait hash chain */
	struct tcp_tw *bnext, **bpprev;  /* owners of its port's bind bucket */
	struct tcp_bind_bucket *bb;
	struct synack_stack *st;
	struct timer timer;              /* end of the entry */
	uint64_t id;                     /* the connection's id (traces, listing) */
	synack_time_t entry_stamp;       /* when it became an entry (tw_reuse delay) */
	synack_time_t last_oow_ack;      /* rate limit of out-of-window ACKs */
	uint32_t laddr, raddr;           /* host order */
	uint16_t lport, rport;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t rcv_wnd;                /* window offered last, unscaled bytes */
	uint32_t ts_recent, ts_offset;   /* timestamps (RFC 7323): for PAWS and reuse */
	uint32_t ts_recent_stamp;        /* when ts_recent was taken, seconds */
	bool ts_ok;                      /* the connection used timestamps */
	uint8_t rcv_wscale;
	uint8_t substate;                /* SYNACK_TIME_WAIT or SYNACK_FIN_WAIT2 */
	bool reuseaddr, reuseport;       /* the socket's, for bind conflicts */
};

/* tp is in TIME-WAIT (substate SYNACK_TIME_WAIT, for 60 s) or an orphan
 * in FIN-WAIT-2 (for timeo): a timewait entry takes its place and tp is
 * closed (freed unless the application still holds it). Over
 * tcp_max_tw_buckets there is no entry (TCPTimeWaitOverflow). */
void tcp_time_wait(struct tcp_sock *tp, int substate, synack_time_t timeo);
struct tcp_tw *tcp_tw_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
			     uint32_t raddr, uint16_t rport);
/* A segment for an entry (Linux tcp_timewait_state_process). */
void tcp_tw_input(struct tcp_tw *tw, const struct tcp_seg *seg);
/* Remove and free an entry (timer, hash, bind bucket). */
void tcp_tw_kill(struct tcp_tw *tw);
void tcp_tw_free_all(struct synack_stack *st);
/* connect() wants tw's 4-tuple: may it take it over (Linux
 * tcp_twsk_unique)? chosen: the port came from the ephemeral chooser
 * (tcp_tw_reuse and its delay apply). On yes, *isn is the ISN to use. */
bool tcp_tw_unique(const struct tcp_tw *tw, bool chosen, uint32_t *isn);
/* The listing: fill up to max rows; return the number of entries. */
size_t tcp_tw_listing(struct synack_stack *st, struct synack_sockinfo *rows, size_t max);

#endif
