/*
 * A ladder diagram of one TCP conversation between two hosts on memlink,
 * in the style of RFC 9293's figures (section 3.5, Figures 6 to 13):
 *
 *       ms  TCP A                                              TCP B
 *   1.   0  CLOSED                                             LISTEN
 *   2.   0  SYN-SENT     --> <SEQ=100><CTL=SYN>            --> SYN-RECEIVED
 *
 * The recorder is fed by both stacks' trace hooks (state changes, the
 * retransmit flag of a segment) and by the memlink tap (when a packet left,
 * arrived or was lost), plus markers from the driver saying when an
 * application call runs and when a memlink step ends. Hosts are memlink
 * host ids 0 (TCP A) and 1 (TCP B); each column follows one connection:
 * A's first, and on B the listener until its first child appears.
 *
 * A row is one segment when nothing else happens at the receiver while it
 * is in flight: the sender's state right after sending it, and the
 * receiver's right after processing it. Otherwise (segments that cross)
 * it takes two rows, "--> seg ..." when sent and "... seg -->" on arrival,
 * as RFC 9293 Figure 7 draws a simultaneous close. The time at the left is
 * the virtual time of the row's first event (for a segment, its sending).
 * A delivery that moved a state several times lists each on its own line.
 */
#ifndef SYNACK_TOOL_LADDER_H
#define SYNACK_TOOL_LADDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/memlink.h>
#include <synack/synack.h>

struct ladder;

struct ladder_stats {
	uint64_t segs[2];        /* packets each host sent (host 0 = A) */
	uint64_t retrans[2];     /* of which retransmissions */
	uint64_t lost[2];        /* of which lost on the way */
	bool have_iss[2];
	uint32_t iss[2];         /* the sequence number of each host's SYN */
	struct sockaddr_in addr[2]; /* each column's address and port */
};

/* NULL on memory exhaustion. */
struct ladder *ladder_new(void);
void ladder_free(struct ladder *lad);

/* Feed: a trace event of host 0 or 1, and a memlink tap event. */
void ladder_trace(struct ladder *lad, int host, const struct synack_trace *ev);
void ladder_tap(struct ladder *lad, synack_time_t now, enum memlink_fate fate, int from, int to,
		const void *pkt, size_t len);
/* The application of host is about to call call (e.g. "close()"); state
 * changes and segments until ladder_app_end() are annotated with it. */
void ladder_app_begin(struct ladder *lad, int host, const char *call);
void ladder_app_end(struct ladder *lad);
/* memlink_step() returned: what follows is not part of a delivery. */
void ladder_step_end(struct ladder *lad);

/* Start drawing at now: row 1 shows each column's current state. Events
 * before this (setting up the listener) only set the starting states. */
void ladder_begin(struct ladder *lad, synack_time_t now);

/* The state each column shows now (enum synack_tcp_state). */
int ladder_state(const struct ladder *lad, int host);
void ladder_get_stats(const struct ladder *lad, struct ladder_stats *out);
/* False if memory ran out while recording (the diagram is incomplete). */
bool ladder_ok(const struct ladder *lad);

/* Print the diagram; the table ends with an empty line. */
void ladder_print(const struct ladder *lad, FILE *out);

#endif
