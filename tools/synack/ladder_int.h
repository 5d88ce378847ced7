/* The ladder recorder's insides, shared by ladder.c (recording) and
 * ladder_print.c (layout). Not for other users. */
#ifndef SYNACK_TOOL_LADDER_INT_H
#define SYNACK_TOOL_LADDER_INT_H

#include "ladder.h"

#define LAD_CHAIN 4   /* states one delivery can show (then the last is replaced) */
#define LAD_NOTE 80
#define LAD_CALL 32

/* One packet a host sent, from its MEMLINK_SENT to its arrival or loss. */
struct lad_seg {
	int from;                 /* host 0 (A) or 1 (B) */
	bool tcp;                 /* false: not a TCP segment (shown as such) */
	uint32_t seq, ack, len;
	uint8_t flags;
	bool traced;              /* its SEG_OUT trace was seen */
	bool retransmit, lost, delivered;
	bool merged;              /* drawn as one row (decided when printing) */
	size_t send_ev, deliver_ev;
	unsigned char *pkt;       /* a copy while in flight, to match the arrival */
	size_t pkt_len;
};

enum lad_kind {
	LAD_START,   /* row 1: both columns' starting states */
	LAD_SEND,    /* a host sent seg */
	LAD_DELIVER, /* seg arrived at host and was processed */
	LAD_STATE,   /* a state change no segment row shows */
};

struct lad_event {
	enum lad_kind kind;
	synack_time_t t;
	int host;                 /* the host the event happened at */
	size_t seg;               /* LAD_SEND, LAD_DELIVER */
	int states[LAD_CHAIN];    /* host's state after the event, in order */
	int nstates;
	int other_state;          /* LAD_START: host 1's state */
	bool hidden;              /* a state change the next send row shows */
	char note[LAD_NOTE];
};

struct ladder {
	struct lad_event *ev;
	size_t nev, cap_ev;
	struct lad_seg *seg;
	size_t nseg, cap_seg;
	uint64_t focus[2];        /* the connection each column follows, 0 = none yet */
	int state[2];             /* its current state */
	bool begun, oom;
	/* What is running: an application call, or the delivery of a packet. */
	int app_host;             /* -1: no application call */
	char app_call[LAD_CALL];
	size_t app_first;         /* first event of the current call */
	size_t delivering[2];     /* event index + 1 of the delivery in progress */
	bool delivery_moved[2];   /* that delivery changed the state already */
	struct ladder_stats stats;
};

/* "A" or "B". */
static inline char lad_host_letter(int host)
{
	return host == 0 ? 'A' : 'B';
}

#endif
