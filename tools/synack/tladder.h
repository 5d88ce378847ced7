/*
 * The ladder of `synack demo --tun`: one TCP conversation between synack
 * (TCP A) and the Linux kernel (TCP B) over a TUN device, in the style of
 * RFC 9293's figures, recorded from one side only:
 *
 *        ms  TCP A (synack)                                   TCP B (Linux, ss)
 *   1. 0.000 CLOSED                                           LISTEN
 *   2. 0.120 SYN-SENT     --> <SEQ=100><CTL=SYN>          --> SYN-RECV
 *
 * A's column is synack's state (RFC names) after the segment left or
 * after it processed the segment that arrived; B's column is the first
 * column of the kernel's own `ss` in B's namespace, run right after the
 * segment was written to the device (the kernel has processed it) or
 * right as it was read (the kernel has sent it), so it shows ss's names
 * verbatim. Unlike the memlink ladder (ladder.h) nothing here knows when
 * a packet reached the kernel, so every segment is one row. A row may
 * also be a state change of one side alone (a timer, an application call,
 * or a change ss showed between segments).
 */
#ifndef SYNACK_TOOL_TLADDER_H
#define SYNACK_TOOL_TLADDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <synack/synack.h>

#define TL_CHAIN 4    /* A's states one arrival can show */
#define TL_KSTATE 16  /* an ss state name */
#define TL_NOTE 96

enum tl_dir { TL_NONE, TL_OUT, TL_IN };

struct tl_row {
	synack_time_t t;
	enum tl_dir dir;            /* TL_NONE: a state row */
	uint32_t seq, ack, len;
	uint8_t flags;
	bool lost;                  /* dropped on the way (--loss) */
	int ours[TL_CHAIN];         /* A's states, in order; none for a B-only row */
	int nours;
	char kernel[TL_KSTATE];     /* B's state as ss showed it; "" not shown */
	char note[TL_NOTE];
};

struct tladder {
	struct tl_row *v;
	size_t n, cap;
	synack_time_t t0;
	bool oom;
};

/* Append a row at time t (rows are numbered in order); NULL when out of
 * memory (tl->oom is set). The row starts empty (no states, no note). */
struct tl_row *tl_add(struct tladder *tl, synack_time_t t, enum tl_dir dir);
/* Add text to a row's note, "; " between items. */
void tl_note(struct tl_row *row, const char *text);
/* Set A's state on a row: the first call sets it, later ones chain. */
void tl_ours(struct tl_row *row, int state, bool chain);
void tl_free(struct tladder *tl);

/* Print the table (header line first); ends with an empty line. */
void tl_print(const struct tladder *tl, FILE *out);

#endif
