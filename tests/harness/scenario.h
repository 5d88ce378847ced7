/*
 * Scenario tests (STYLE 10): one stack under test ("local", 10.0.0.1) and
 * a scripted peer ("remote", 10.0.0.2). The test injects segments at
 * virtual times and expects the exact segments the stack sends back.
 *
 *   scn_inject(t, 100, SEG(.flags = SYN, .seq = R_ISS));
 *   uint32_t iss = scn_expect_synack(t, R_ISS + 1);
 *   scn_expect(t, SEG(.flags = ACK, .seq = iss + 1, .ack = R_ISS + 1));
 *
 * expect pops exactly one emitted segment and compares flags, seq, ack,
 * window, payload length and bytes; on a mismatch it prints both in RFC
 * notation. Fields can be skipped only by name (.any_wnd, .any_ack, ...).
 */
#ifndef SYNACK_TEST_SCENARIO_H
#define SYNACK_TEST_SCENARIO_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <synack/synack.h>

#include "wire/tcp.h"

#define L_ADDR 0x0a000001u /* 10.0.0.1: the stack under test */
#define R_ADDR 0x0a000002u /* 10.0.0.2: the scripted peer */
#define L_PORT 80
#define R_PORT 40000
/* The peer's ISS sits just below 2^32 so every test crosses the wrap. */
#define R_ISS 0xfffffff0u
/* The window our segments carry by default in expectations: what the
 * fixtures' connections offer until data arrives. Linux's first window
 * at the default buffer is tcp_rmem[1] / 2 = 65536 rounded down to 1460s
 * = 64240; later offers are at most rcv_ssthresh = 65536 - advmss =
 * 64076 (rounded down to the peer's segment size), so the right edge of
 * the first window stays where it was (an offer never shrinks) until
 * data moves past it. A test that receives data states its windows. */
#define WND 64240
/* Linux's SYN window at MTU 1500: tcp_rmem[1] / 2 rounded down to 1460s
 * (44 * 1460; LINUX-SEMANTICS 9). */
#define SYN_WND 64240
/* The window the scripted peer offers by default. */
#define PEER_WND 65535

#define FIN TCP_FIN
#define SYN TCP_SYN
#define RST TCP_RST
#define PSH TCP_PSH
#define ACK TCP_ACK
#define ECE TCP_ECE
#define CWR TCP_CWR

struct seg_spec {
	uint8_t flags;
	uint32_t seq, ack;
	int32_t wnd;            /* SEG() default: PEER_WND injected, WND expected */
	const char *data;       /* payload bytes (len of them) */
	uint32_t len;           /* 0 with data: strlen(data) */
	uint16_t mss;           /* MSS option (SYN only), 0 = none */
	const struct tcp_opts *opt; /* every option (overrides mss), NULL = none */
	uint16_t sport, dport;  /* 0 = R_PORT / L_PORT as seen from the peer */
	bool any_wnd, any_ack, any_seq, any_psh;
	/* The IPv4 TOS byte: injected as given; expected exactly (ECN
	 * codepoint and DSCP) unless any_tos. */
	uint8_t tos;
	bool any_tos;
};

/* A test may override the default window by name (.wnd = 0). */
#define SEG_WND_DEFAULT (-1)
#pragma GCC diagnostic ignored "-Woverride-init"
#define SEG(...) ((struct seg_spec){.wnd = SEG_WND_DEFAULT, __VA_ARGS__})

struct scn_pkt {
	uint8_t *data;
	size_t len;
	synack_time_t at;
};

struct scn {
	struct synack_stack *st;
	struct synack_config cfg;
	synack_time_t now;
	struct scn_pkt *out;
	size_t nout, head, cap;
	/* State changes seen, for expect_states(). */
	int states[256];
	size_t nstates;
	uint64_t watch_conn;    /* 0: record every connection */
	bool verbose;
	/* The link's transmit queue is full: every packet is refused
	 * (SYNACK_XMIT_DROP, local congestion) and counted here. */
	bool refuse;
	unsigned refused;
};

/* Create a stack at time 0 (cfg NULL = Linux defaults). */
struct scn *scn_new(const struct synack_config *cfg);
void scn_free(struct scn *t);

/* Move virtual time to at_ms (absolute), running timers. */
void scn_at(struct scn *t, uint64_t at_ms);
/* Run timers up to at_ms, then deliver the segment. */
void scn_inject(struct scn *t, uint64_t at_ms, struct seg_spec s);
/* Deliver raw bytes as one IPv4 packet. */
void scn_inject_raw(struct scn *t, uint64_t at_ms, const void *pkt, size_t len);
/* Build the IPv4 packet for a spec from the peer (for malformed tests). */
size_t scn_build(const struct seg_spec *s, uint8_t *out, size_t cap);

/* Pop the next emitted packet as a parsed segment; false if none. */
bool scn_pop(struct scn *t, struct tcp_seg *seg, synack_time_t *at);
#define scn_expect(t, spec) scn_expect_at_((t), (spec), UINT64_MAX, __FILE__, __LINE__)
/* Expect the segment to have left at exactly at_ms. */
#define scn_expect_at(t, at_ms, spec) scn_expect_at_((t), (spec), (at_ms), __FILE__, __LINE__)
#define scn_expect_none(t) scn_expect_none_((t), __FILE__, __LINE__)
/* Expect a SYN-ACK acking `ack`; returns its ISS. */
#define scn_expect_synack(t, ack) scn_expect_syn_((t), true, (ack), __FILE__, __LINE__)
/* Expect a SYN; returns its ISS. */
#define scn_expect_syn(t) scn_expect_syn_((t), false, 0, __FILE__, __LINE__)

void scn_expect_at_(struct scn *t, struct seg_spec s, uint64_t at_ms, const char *file, int line);
void scn_expect_none_(struct scn *t, const char *file, int line);
uint32_t scn_expect_syn_(struct scn *t, bool synack, uint32_t ack, const char *file, int line);

/* Fixtures reached by real segments (STYLE 11). Both leave nothing
 * queued for expect and return the connected descriptor; *iss is the
 * stack's ISS. The peer's ISS is R_ISS. */
int fx_listen(struct scn *t);                       /* listening fd on L_PORT */
int fx_passive_established(struct scn *t, uint32_t *iss);
int fx_active_established(struct scn *t, uint32_t *iss);
/* A passive connection whose SYN (now) carries syn_opt and whose final
 * ACK comes ack_ms later; with timestamps in the SYN the ACK has TSval
 * syn_opt->tsval + 1 and echoes the SYN-ACK's. Returns the accepted fd. */
int fx_passive_established_opts(struct scn *t, const struct tcp_opts *syn_opt, uint64_t ack_ms,
				uint32_t *iss);
/* A passive connection whose final ACK comes ack_ms after the SYN: the
 * peer's <SYN><MSS=1460> now, our SYN-ACK (MSS 1460) checked, its ACK
 * ack_ms later draws nothing; one RTT sample of ack_ms, so RTO =
 * ack_ms + max(4 * ack_ms / 2, 200). Returns the accepted ESTABLISHED fd. */
int fx_passive_established_rtt(struct scn *t, uint64_t ack_ms, uint32_t *iss);

/* Closing states reached by real segments, from fx_passive_established at
 * the current time T (0 in a fresh scn). Each checks every segment it
 * sees and the state it reaches, leaves nothing queued, and returns the
 * connection's fd (closed already where orphan is true). `orphan` picks
 * close() over shutdown(SHUT_WR) for our FIN.
 *
 * FIN-WAIT-1: our close at T: <SEQ=iss+1><ACK=R_ISS+1><CTL=FIN,ACK>. */
int fx_fin_wait1(struct scn *t, bool orphan, uint32_t *iss);
/* CLOSING (simultaneous close): fx_fin_wait1, then at T+5 the peer's
 * <SEQ=R_ISS+1><ACK=iss+1><CTL=FIN,ACK> (not acking ours); we answer at
 * once <SEQ=iss+2><ACK=R_ISS+2><CTL=ACK> (window WND - 1). */
int fx_closing(struct scn *t, bool orphan, uint32_t *iss);
/* CLOSE-WAIT: at T+10 the peer's <SEQ=R_ISS+1><ACK=iss+1><CTL=FIN,ACK>;
 * our ACK <SEQ=iss+1><ACK=R_ISS+2> (window WND - 1) leaves at T+11 (Linux
 * tcp_fin: pingpong, the delayed ACK on the next tick). */
int fx_close_wait(struct scn *t, uint32_t *iss);
/* LAST-ACK: fx_close_wait, then our close at T+20:
 * <SEQ=iss+1><ACK=R_ISS+2><CTL=FIN,ACK> (window WND - 1). */
int fx_last_ack(struct scn *t, bool orphan, uint32_t *iss);
/* TIME-WAIT of an orphan: fx_fin_wait1 (close()), the peer's ACK of our
 * FIN <SEQ=R_ISS+1><ACK=iss+2> at T+5 (FIN-WAIT-2, nothing sent), its
 * <SEQ=R_ISS+1><ACK=iss+2><CTL=FIN,ACK> at T+1000, our
 * <SEQ=iss+2><ACK=R_ISS+2><CTL=ACK>: TIME-WAIT until T+61000. Returns the
 * listener (fx_listen's fd), which is still open. */
int fx_time_wait(struct scn *t, uint32_t *iss);

/* The state of the socket behind fd, or of the connection to the peer. */
int scn_state(struct scn *t, int fd);
int scn_conn_state(struct scn *t); /* SYNACK_CLOSE if there is none */
/* The listing's row of the connection to the peer's port rport (R_PORT
 * for scn_conn_row); false if there is none. */
bool scn_conn_row_port(struct scn *t, uint16_t rport, struct synack_sockinfo *out);
bool scn_conn_row(struct scn *t, struct synack_sockinfo *out);
/* connect() fd to the peer (expects EINPROGRESS). */
void scn_connect(struct scn *t, int fd);
/* Count a counter by nstat name. */
uint64_t scn_counter(struct scn *t, const char *name);
/* How many sockets the listing has (listeners, connections, entries). */
size_t scn_nsockets(struct scn *t);
/* The Recv-Q of fd's row in the listing (a listener's: its accept queue);
 * fails the test if fd has no row. */
uint32_t scn_recv_q(struct scn *t, int fd);
/* setsockopt / getsockopt of an int that must succeed (getsockopt with an
 * int's length). */
void scn_set_int(struct scn *t, int fd, int level, int name, int v);
int scn_get_int(struct scn *t, int fd, int level, int name);

#endif
