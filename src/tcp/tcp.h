/* What the files of src/tcp/ offer each other and the layers around them. */
#ifndef SYNACK_TCP_TCP_H
#define SYNACK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/stack.h"
#include "tcp/reqsk.h"
#include "tcp/seq.h"
#include "tcp/tcb.h"
#include "tcp/timewait.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define TCP_DEFAULT_MSS 536          /* RFC 9293 3.7.1: no MSS option */
#define TCP_MIN_MSS 48
#define TCP_INIT_CWND 10             /* RFC 6928, Linux */
#define TCP_TIMEOUT_INIT_US 1000000  /* RFC 6298 2.1: 1 s */
#define TCP_DELACK_MIN_US 40000      /* Linux TCP_DELACK_MIN */
#define TCP_DELACK_MAX_US 200000
#define TCP_TIMEWAIT_US 60000000     /* Linux TCP_TIMEWAIT_LEN: 60 s */
#define TCP_FIN_TIMEOUT_MAX_S 120    /* Linux TCP_FIN_TIMEOUT_MAX: TCP_LINGER2 cap */
#define TCP_MAX_QUICKACKS 16
#define TCP_INVALID_RATELIMIT_US 500000 /* Linux tcp_invalid_ratelimit */

/* The sequence number of the send queue's first byte: SND.UNA, or ISS+1
 * while Fast Open data waits behind our unacknowledged SYN. */
static inline uint32_t tcp_sndq_seq(const struct tcp_sock *tp)
{
	return tp->snd_una + (tp->sndq_after_syn ? 1u : 0u);
}

/* ---- input.c, input_sync.c: segment arrival (RFC 9293 3.10.7) ---------- */
void tcp_input(struct synack_stack *st, const struct ipv4_hdr *ip);
/* A parsed segment for this stack, after demux found (or not) a socket. */
void tcp_in_closed(struct synack_stack *st, const struct tcp_seg *seg);
void tcp_in_listen(struct tcp_sock *lsn, const struct tcp_seg *seg);
void tcp_in_syn_sent(struct tcp_sock *tp, const struct tcp_seg *seg);
void tcp_in_synchronized(struct tcp_sock *tp, const struct tcp_seg *seg);
/* A SYN's fields as the receiving side records them (3.10.7.2, 3.10.7.3). */
void tcp_take_syn(struct tcp_sock *tp, const struct tcp_seg *seg);
/* Children start with their listener's options. */
void tcp_inherit(struct tcp_sock *c, const struct tcp_sock *lsn);
/* ICMP error about a segment we sent (RFC 9293 3.10.7 note, RFC 5927). */
/* info: the next-hop MTU of a "fragmentation needed" (RFC 1191 4). */
void tcp_icmp_error(struct synack_stack *st, uint8_t type, uint8_t code, uint32_t info,
		    const uint8_t *inner, size_t len);

/* ---- pmtu.c: path MTU discovery (RFC 1191, Linux tcp_v4_mtu_reduced) -- */
/* The peer's address is known (connect, a child): the path MTU from the
 * stack's cache and the MSS we advertise under it. */
void tcp_pmtu_init(struct tcp_sock *tp);
/* Before a SYN: advertise at most the path MTU - 40 (tcp_advertise_mss). */
void tcp_advertise_mss(struct tcp_sock *tp);
/* Linux tcp_sync_mss: the send MSS for a path MTU. */
void tcp_sync_mss(struct tcp_sock *tp, unsigned pmtu);
/* Linux tcp_current_mss's check: the cached path MTU changed or expired. */
void tcp_mtu_check(struct tcp_sock *tp);
/* A valid "fragmentation needed" reported mtu (tcp_v4_mtu_reduced). */
void tcp_mtu_reduced(struct tcp_sock *tp, uint32_t mtu);
/* Linux's CA_Loss entered without a congestion response (until what is
 * out now is acked; cwnd kept, ssthresh at least 3/4 of it). */
void tcp_enter_loss_nocc(struct tcp_sock *tp);
/* Linux tcp_non_congestion_loss_retransmit: that, then resend from seq. */
void tcp_nocc_loss_retransmit(struct tcp_sock *tp, uint32_t seq);

/* ---- listen.c, reqsk.c, syncookie.c: listeners and their queues ------ */
/* A SYN for lsn: a request entry and a SYN-ACK, a cookie, or a counted
 * drop. isn != 0: taken over from TIME-WAIT, use it (exempt from the
 * SYN-queue limit, as Linux). */
void tcp_conn_request(struct tcp_sock *lsn, const struct tcp_seg *seg, uint32_t isn);
/* A segment for a request the demux found by its 4-tuple. */
void tcp_req_input(struct tcp_req *req, const struct tcp_seg *seg);
/* The listener closes: requests dropped, unaccepted children reset. */
void tcp_listen_destroy(struct tcp_sock *lsn);
/* TCP_DEFER_ACCEPT seconds to SYN-ACK timeouts and back (Linux). */
uint8_t tcp_defer_secs_to_retrans(int secs);
int tcp_defer_retrans_to_secs(uint8_t retrans);

/* A full socket in SYN-RECEIVED from a request and its SYN (listen.c),
 * hashed, not yet in a queue; the request stays (the caller drops it). */
struct tcp_sock *tcp_req_child(struct tcp_req *req, const struct tcp_seg *syn);

/* ---- fastopen.c: TCP Fast Open, RFC 7413, as Linux runs it ------------ */
/* Server. listen(): tcp_fastopen 0x400 gives every listener a TFO queue;
 * -1 if out of memory. */
int tcp_fastopen_listen(struct tcp_sock *lsn, int backlog);
/* A SYN with its request filled in: true if a Fast Open child took it
 * (the request is gone, the child sent the SYN-ACK and sits in the accept
 * queue); false: *foc is the cookie option the SYN-ACK carries, if any. */
bool tcp_fastopen_try(struct tcp_sock *lsn, const struct tcp_seg *seg, struct tcp_req *req,
		      struct tcp_opts *foc);
/* A Fast Open child leaves SYN-RECEIVED: off its listener's TFO queue. */
void tcp_fastopen_child_done(struct tcp_sock *c);
/* The listener stops: its children forget it. */
void tcp_fastopen_listener_gone(struct tcp_sock *lsn);
void tcp_fastopen_free(struct tcp_sock *tp);
/* Socket options TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_KEY,
 * TCP_FASTOPEN_NO_COOKIE; -1 with errno, or 0. */
int tcp_fastopen_setsockopt(struct tcp_sock *tp, int name, const void *val, socklen_t len);
int tcp_fastopen_getsockopt(struct tcp_sock *tp, int name, void *val, socklen_t *len);
/* Client. connect(): true if the SYN waits for the first write
 * (TCP_FASTOPEN_CONNECT with a cookie); sets up the cookie request. */
bool tcp_fastopen_defer_connect(struct tcp_sock *tp);
/* A Fast Open send in progress (tcp_fastopen_sendmsg down to our SYN):
 * its data, and the bytes the SYN took. Lives on the caller's stack. */
struct tcp_tfo_send {
	const void *buf;
	size_t len;
	uint32_t copied;
};
/* Our SYN (not resent): add the cookie or request, and the data of d
 * (NULL: none) it may carry (*len bytes of the send queue at ISS+1). */
void tcp_fastopen_syn(struct tcp_sock *tp, struct tcp_tfo_send *d, struct tcp_opts *o,
		      uint32_t *len);
/* The SYN-ACK arrived (SND.UNA not yet moved): cache what it taught;
 * true if data our SYN carried must go again. */
bool tcp_fastopen_synack(struct tcp_sock *tp, const struct tcp_seg *seg);
/* ...and once ESTABLISHED: take the SYN-ACK's data and FIN (Linux
 * tcp_fastopen_add_skb); others drop them (the peer sends them again). */
void tcp_fastopen_synack_data(struct tcp_sock *tp, const struct tcp_seg *seg);
/* A Fast Open child's first SYN-ACK: the cookie foc to give back. */
void tcp_fastopen_synack_opts(const struct tcp_opts *foc, struct tcp_opts *o);
/* Our SYN timed out: data it carried is dropped from the SYN (Linux
 * resends SYNs bare) and the loss remembered. */
void tcp_fastopen_syn_timeout(struct tcp_sock *tp);
/* Every retransmission timeout (Linux tcp_write_timeout): a Fast Open
 * connection's third in a row, or its last, pauses active Fast Open. */
void tcp_fastopen_detect_blackhole(struct tcp_sock *tp, bool expired);
/* close(): out-of-order data left after Fast Open pauses it too. */
void tcp_fastopen_active_close(struct tcp_sock *tp);
void tcp_fastopen_cache_free(struct synack_stack *st);
void tcp_fastopen_cache_flush(struct synack_stack *st, uint32_t daddr); /* 0: all */
/* sendto/sendmsg with MSG_FASTOPEN (Linux tcp_sendmsg_fastopen), and the
 * first write after a deferred connect: bytes the SYN took, else -1
 * (EINPROGRESS: the SYN left without data; EALREADY, EOPNOTSUPP, ...).
 * A blocking call (no O_NONBLOCK, no MSG_DONTWAIT in flags) whose SYN did
 * not take every byte goes on writing once connected (tfo_write_pending). */
ssize_t tcp_fastopen_sendmsg(struct tcp_sock *tp, const void *buf, size_t len, uint32_t addr,
			     uint16_t port, int flags);

/* ---- paws.c: RFC 7323 5 (PAWS) and ts_recent -------------------------- */
enum tcp_paws { PAWS_PASS, PAWS_DROP, PAWS_ACK_DROP };
/* Before the sequence check: drop a segment whose TSval is older than
 * ts_recent (PAWSEstab), with a rate-limited duplicate ACK. */
enum tcp_paws tcp_paws_check(struct tcp_sock *tp, const struct tcp_seg *seg);
/* After it: a segment at or before RCV.WUP updates ts_recent (RFC 7323 4.3). */
void tcp_ts_recent_update(struct tcp_sock *tp, const struct tcp_seg *seg);

/* ---- tcb.c: life of a control block ------------------------------------ */
struct tcp_sock *tcp_sock_new(struct synack_stack *st);
/* Every state change goes through here: trace, counters, timers (STYLE 6). */
void tcp_set_state(struct tcp_sock *tp, int state, const char *why);
/* The connection is over: CLOSED, error reported, freed if nobody holds it.
 * why NULL: the connection lives on elsewhere (a timewait entry took
 * over), so the move to CLOSED is not traced. */
void tcp_done(struct tcp_sock *tp, int err, const char *why);
/* Free if no descriptor and no protocol reason to live remain. */
void tcp_maybe_free(struct tcp_sock *tp);
void tcp_sock_free(struct tcp_sock *tp);
uint32_t tcp_isn(struct synack_stack *st, uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport);
/* MSS we offer (MTU - 40) and the buffer sizes a new socket starts with. */
void tcp_init_buffers(struct tcp_sock *tp);

/* ---- output.c: building and sending segments --------------------------- */
/* Send what the windows, Nagle and SWS avoidance allow, and the FIN. */
void tcp_output(struct tcp_sock *tp);
void tcp_send_ack(struct tcp_sock *tp);
void tcp_send_syn(struct tcp_sock *tp);          /* SYN or SYN-ACK by state */
/* ...the first SYN with a Fast Open send's data (d), or a Fast Open
 * child's first SYN-ACK with a cookie (foc); NULL: none. */
void tcp_send_syn_tfo(struct tcp_sock *tp, struct tcp_tfo_send *d, const struct tcp_opts *foc);
void tcp_send_rst_abort(struct tcp_sock *tp);    /* RST for a connection we abort */
/* The options of our SYN or SYN-ACK as tp would send them. */
void tcp_syn_options_of(const struct tcp_sock *tp, struct tcp_opts *o);
/* Send a segment that belongs to no socket (request SYN-ACKs, replies). */
void tcp_emit_reply(struct synack_stack *st, const struct tcp_seg *seg, bool retrans);
/* ...with a TTL (a listener's IP_TTL for its SYN-ACKs; -1 = the default). */
void tcp_emit_reply_ttl(struct synack_stack *st, const struct tcp_seg *seg, bool retrans, int ttl);
/* RST or RST-ACK answering seg when no connection wants it (3.10.7.1). */
void tcp_send_rst_reply(struct synack_stack *st, const struct tcp_seg *seg);
/* Resend the segment at seq (one MSS at most), e.g. for fast retransmit. */
/* Returns the sequence space sent (0 if none): less than an MSS when
 * SACKed data or our own SACK blocks (send MSS) cut it short. */
uint32_t tcp_retransmit_at(struct tcp_sock *tp, uint32_t seq);
/* The same, sending nothing at or past limit (data never sent). */
/* Both return 0 if the device refused the segment (tp->xmit_refused). */
uint32_t tcp_retransmit_upto(struct tcp_sock *tp, uint32_t seq, uint32_t limit);
/* Zero-window probe or keepalive: an ACK with SEQ=SND.UNA-1 (Linux).
 * false: the device refused it. */
bool tcp_send_probe(struct tcp_sock *tp);
/* The peer's window cannot take the next segment (Linux tcp_snd_wnd_test). */
bool tcp_window_blocked(const struct tcp_sock *tp);
/* The persist timer fired: send what the window takes, else probe.
 * Linux's tcp_write_wakeup answers 0 (data sent), < 0 (a probe) or > 0
 * (the device refused it: local congestion); here also which was tried. */
enum tcp_wakeup {
	TCP_WAKEUP_DATA,
	TCP_WAKEUP_PROBE,
	TCP_WAKEUP_REFUSED,        /* data, refused by the device */
	TCP_WAKEUP_PROBE_REFUSED,  /* the window probe, refused */
};
enum tcp_wakeup tcp_write_wakeup(struct tcp_sock *tp);
/* ---- window.c: the receive window we offer (Linux's rules) ------------ */
/* The data the receive queue may hold: SO_RCVBUF's window (half of it). */
uint32_t tcp_full_space(const struct tcp_sock *tp);
/* What is left of the last offer (Linux tcp_receive_window). */
uint32_t tcp_receive_window(const struct tcp_sock *tp);
/* The window the buffer allows now (Linux __tcp_select_window). */
uint32_t tcp_new_window(struct tcp_sock *tp);
/* The window to advertise, never shrinking the last (tcp_select_window). */
uint32_t tcp_select_window(struct tcp_sock *tp);
/* End of the handshake: window_clamp and rcv_ssthresh (tcp_init_buffer_space). */
void tcp_init_rcv_window(struct tcp_sock *tp);
/* Data of len bytes was queued: rcv_ssthresh grows (tcp_grow_window). */
void tcp_grow_window(struct tcp_sock *tp, uint32_t len);
/* Bytes queued but not yet sent. */
uint32_t tcp_unsent(const struct tcp_sock *tp);
/* Linux tcp_current_mss: the MSS less the SACK blocks our segments carry. */
uint32_t tcp_current_mss(const struct tcp_sock *tp);
/* Forget MSG_EOR marks the peer has acknowledged. */
void tcp_eor_prune(struct tcp_sock *tp);

/* ---- chrono.c: TCP_INFO busy_time, rwnd_limited, sndbuf_limited ------- */
enum tcp_chrono {
	TCP_CHRONO_UNSPEC,
	TCP_CHRONO_BUSY,           /* data queued or unacked */
	TCP_CHRONO_RWND_LIMITED,   /* the peer's window stopped new data */
	TCP_CHRONO_SNDBUF_LIMITED, /* all sent, the writer waits for space */
	TCP_CHRONO_MAX
};
void tcp_chrono_start(struct tcp_sock *tp, enum tcp_chrono type);
void tcp_chrono_stop(struct tcp_sock *tp, enum tcp_chrono type);
/* The connection is over: no clock runs (Linux tcp_write_queue_purge). */
void tcp_chrono_end(struct tcp_sock *tp);
/* A write took `took` of n bytes (BUSY starts; short: SOCK_NOSPACE). */
void tcp_chrono_sendmsg(struct tcp_sock *tp, uint32_t took, uint32_t n);
/* Before tcp_output sends: is there new data or a FIN never sent? */
bool tcp_chrono_pending(const struct tcp_sock *tp);
/* After it: the rwnd- and sndbuf-limited rules, and SOCK_NOSPACE cleared. */
void tcp_chrono_xmit(struct tcp_sock *tp, bool pending, bool sent);
/* An acceptable ACK was processed (BUSY stops once nothing is unacked). */
void tcp_chrono_ack(struct tcp_sock *tp);
/* The three TCP_INFO figures in microseconds, the running clock to now. */
void tcp_chrono_info(const struct tcp_sock *tp, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf);

/* ---- push.c: Linux's send buffers, PSH marks and burst size ---------- */
/* tcp_xmit_size_goal: the largest send buffer, whole MSS. */
uint32_t tcp_size_goal(const struct tcp_sock *tp);
/* Forget buffers the peer has acknowledged. */
void tcp_skbm_prune(struct tcp_sock *tp);
/* A write starts: the last unsent buffer it appends to loses PSH (true
 * if it had it); tcp_write_nothing gives it back if nothing was taken. */
bool tcp_write_begin(struct tcp_sock *tp);
void tcp_write_nothing(struct tcp_sock *tp, bool cleared);
/* n bytes were appended at end (the old queue end): fill buffers. */
void tcp_skb_grow(struct tcp_sock *tp, uint32_t end, uint32_t n);
/* Linux forced_push / tcp_mark_push (on the last buffer). */
bool tcp_forced_push(const struct tcp_sock *tp);
void tcp_mark_push(struct tcp_sock *tp);
/* Does a buffer end at seq; has the buffer holding the byte before seq PSH. */
bool tcp_skb_ends_at(const struct tcp_sock *tp, uint32_t seq);
bool tcp_skb_psh(const struct tcp_sock *tp, uint32_t seq);
/* tcp_update_pacing_rate: bytes per second, UINT64_MAX before an RTT sample. */
uint64_t tcp_pacing_rate(const struct tcp_sock *tp);
/* tcp_tso_segs: segments in one burst (a TSO packet) at most. */
uint32_t tcp_tso_segs(const struct tcp_sock *tp);
/* tcp_sendmsg's copy loop: append, pushing full buffers; bytes taken. */
uint32_t tcp_append(struct tcp_sock *tp, const void *buf, uint32_t n);
/* The last buffer: where it starts; whether appended bytes would join it. */
uint32_t tcp_skb_last_start(const struct tcp_sock *tp);
bool tcp_skb_tail_open(struct tcp_sock *tp);

/* ---- zerocopy.c: MSG_ZEROCOPY (completion records, fragments) -------- */
/* A MSG_ZEROCOPY send with data starts: -1 with ENOBUFS over optmem. */
int tcp_zc_begin(struct tcp_sock *tp);
/* It ended, having taken bytes or not (keeps errno). */
void tcp_zc_end(struct tcp_sock *tp, bool took);
/* SND.UNA moved: release the records it passed. */
void tcp_zc_acked(struct tcp_sock *tp);
/* The connection ended (tcp_done): release every record. */
void tcp_zc_purge(struct tcp_sock *tp);
/* The socket is freed: records and error queue go. */
void tcp_zc_free(struct tcp_sock *tp);
/* Append one iovec entry's bytes as zerocopy fragments; bytes taken. */
uint32_t tcp_zc_append(struct tcp_sock *tp, const void *buf, uint32_t n);

/* ---- sack.c: the receiver's SACK and D-SACK blocks (RFC 2018, 2883) -- */
/* Data wholly or partly below RCV.NXT arrived: D-SACK [seq, min(end, RCV.NXT)). */
void tcp_dsack_old(struct tcp_sock *tp, uint32_t seq, uint32_t end);
/* Before queueing [seq, seq+len): D-SACK what the out-of-order queue
 * already holds; true if it holds all of it. */
bool tcp_sack_dup_check(struct tcp_sock *tp, uint32_t seq, uint32_t len);
/* After queueing data at seq (RCV.NXT already moved): track recency. */
void tcp_sack_after_queue(struct tcp_sock *tp, uint32_t seq, bool in_order);
/* Fill the SACK option of an outgoing segment (after its timestamps). */
/* Blocks the next ACK would carry (an upper bound), for the send MSS. */
unsigned tcp_sack_blocks_pending(const struct tcp_sock *tp);
void tcp_sack_put(struct tcp_sock *tp, struct tcp_opts *o);

/* ---- scoreboard.c: the sender's SACK scoreboard and SACK-based loss
 * recovery (RFC 6675 with PRR, RFC 6937; Linux tcp_sacktag_write_queue,
 * tcp_fastretrans_alert, tcp_cwnd_reduction) ---------------------------- */
/* SACK agreed and enabled: recovery is driven by SACK, not dupacks. */
bool tcp_sb_on(const struct tcp_sock *tp);
/* An ACK arrived (before SND.UNA moves): take its SACK blocks. Returns
 * the bytes it delivered (newly acked and not SACKed before, plus newly
 * SACKed), for PRR. */
uint32_t tcp_sb_update(struct tcp_sock *tp, const struct tcp_seg *seg);
/* After the ACK is processed: enter, run or leave SACK recovery. */
void tcp_sb_after_ack(struct tcp_sock *tp, uint32_t delivered, bool advanced);
/* Bytes in flight for the congestion window: RFC 6675 pipe in recovery,
 * else SND.NXT - SND.UNA less what is SACKed below SND.NXT. */
uint32_t tcp_sb_in_flight(const struct tcp_sock *tp);
/* RFC 6937 PRR for one ACK of a window reduction (SACK recovery or ECN's
 * CWR; Linux tcp_cwnd_reduction): cwnd from pipe and what was delivered. */
void tcp_cwnd_reduction(struct tcp_sock *tp, uint32_t delivered, bool advanced);
/* SND.NXT inside a SACKed range (resending after a timeout) moves past it. */
void tcp_sb_skip(struct tcp_sock *tp);
/* n bytes from seq, cut at the next SACKed range: never resend SACKed data. */
uint32_t tcp_sb_clip(const struct tcp_sock *tp, uint32_t seq, uint32_t n);
/* The retransmission timer fired: SACK recovery ends (Linux CA_Loss). */
void tcp_sb_on_rto(struct tcp_sock *tp);
/* RACK's reordering timer fired with a segment lost: recovery. */
void tcp_sb_rack_timeout(struct tcp_sock *tp);
/* TCP_INFO: segments SACKed, marked lost, resent in SACK recovery. */
void tcp_sb_info(const struct tcp_sock *tp, uint32_t *sacked, uint32_t *lost, uint32_t *retrans);

/* ---- rack.c: transmission times, per-ACK RTT, RACK (RFC 8985 6) ------- */
/* Bytes to resend at seq for an MSS, as Linux resends skb by skb: a
 * transmission longer than the MSS is cut at it, shorter ones are joined
 * whole while they fit (tcp_retrans_try_collapse). */
uint32_t tcp_txl_resend_len(const struct tcp_sock *tp, uint32_t seq, uint32_t mss);
/* The first transmission in flight longer than mss (not SACKed): its
 * start, or false if none (tcp_simple_retransmit). */
bool tcp_txl_first_over(const struct tcp_sock *tp, uint32_t mss, uint32_t *seq);
/* In the loss state after an ACK (Linux CA_Loss: tcp_rack_mark_lost on
 * every skb, retransmissions included): resend what RACK finds lost
 * below SND.NXT; returns the segments resent. */
unsigned tcp_rack_loss_resend(struct tcp_sock *tp);
/* Segments resent and neither acked nor SACKed (Linux retrans_out). */
uint32_t tcp_txl_retrans_out(const struct tcp_sock *tp);
/* Was the segment holding seq ever retransmitted (TCPCB_EVER_RETRANS)? */
bool tcp_txl_ever_retrans(const struct tcp_sock *tp, uint32_t seq);
/* [seq, end) went out now (new, or again). */
void tcp_txl_sent(struct tcp_sock *tp, uint32_t seq, uint32_t end);
/* An ACK not beyond SND.MAX, after tcp_sb_update: RACK and RTT samples. */
void tcp_rack_on_ack(struct tcp_sock *tp, const struct tcp_seg *seg);
/* tcp_recovery bit 1 and SACK. */
bool tcp_rack_on(const struct tcp_sock *tp);
enum tcp_rack_verdict { RACK_NONE, RACK_LOST, RACK_TIMER };
/* Outside recovery, after an ACK: lost now, or the REO timer armed. */
enum tcp_rack_verdict tcp_rack_check(struct tcp_sock *tp);
/* The REO timer fired: is a segment lost now? */
bool tcp_rack_reo_timeout(struct tcp_sock *tp);

/* ---- ack.c: when to acknowledge (Linux delayed-ACK shape) -------------- */
/* Data arrived: out of order, ACK now; in order, adapt ato and leave
 * the choice to tcp_ack_snd_check, after the FIN step. */
void tcp_ack_schedule(struct tcp_sock *tp, bool in_order, uint32_t len);
/* The segment is done: an ACK it asked for goes now or on the delayed-ACK
 * timer (Linux __tcp_ack_snd_check). */
void tcp_ack_snd_check(struct tcp_sock *tp);
/* Grant quick ACKs (first data; data we already had): up to
 * TCP_MAX_QUICKACKS, or up to max (Linux tcp_incr_quickack). */
void tcp_enter_quickack_mode(struct tcp_sock *tp);
void tcp_incr_quickack(struct tcp_sock *tp, uint32_t max);
/* Data is going out: a reply within ato of the last arrival enters
 * pingpong (interactive) mode (Linux tcp_event_data_sent). */
void tcp_event_data_sent(struct tcp_sock *tp);
/* In-order data of len bytes with flags: the peer's segment size
 * estimate and the "pushed" marks (Linux tcp_measure_rcv_mss). */
void tcp_measure_rcv_mss(struct tcp_sock *tp, uint32_t len, uint8_t flags);
/* After a read: is an owed ACK due now (Linux tcp_cleanup_rbuf)? */
bool tcp_ack_after_read(const struct tcp_sock *tp, uint32_t copied);
/* An ACK went out (alone or on data): nothing is owed any more. */
void tcp_ack_sent(struct tcp_sock *tp);
/* SYN-SENT got its SYN-ACK: true if the ACK is delayed (armed) instead. */
bool tcp_synack_ack_delayed(struct tcp_sock *tp);

/* ---- timer.c ----------------------------------------------------------- */
void tcp_timers_init(struct tcp_sock *tp);
void tcp_timers_stop(struct tcp_sock *tp);
/* Arm the retransmit timer for the current RTO if data is in flight,
 * the persist timer if the peer's window is zero, or stop it. */
void tcp_rearm_rtx(struct tcp_sock *tp);
/* Arm the retransmission slot delay µs from now for tp->rtx_kind. */
void tcp_rtx_arm(struct tcp_sock *tp, synack_time_t delay);
/* A Fast Open child's SYN-ACK is acked: its timer, the SYN-ACK's until
 * now, restarts as the RTO for what is in flight, no loss probe (Linux
 * tcp_rcv_synrecv_state_fastopen's tcp_rearm_rto). */
void tcp_fastopen_rearm(struct tcp_sock *tp);

/* ---- tlp.c: tail loss probe (RFC 8985 7) ------------------------------- */
/* With data in flight: true if this decides the timer slot (a PTO, kind
 * RTX_PROBE, or a pending PTO turned into its RTO): *delay is set when
 * the timer must be (re)armed, else left alone. False: arm the RTO. */
bool tcp_tlp_schedule(struct tcp_sock *tp, synack_time_t rto, synack_time_t *delay);
/* The PTO fired: send the probe; returns the delay of the RTO to arm. */
synack_time_t tcp_tlp_fire(struct tcp_sock *tp, synack_time_t rto);
/* An ACK advanced SND.UNA to ack: end the probe episode it covers. */
void tcp_tlp_ack(struct tcp_sock *tp, uint32_t ack);
void tcp_reset_keepalive(struct tcp_sock *tp);
/* TCP_KEEPIDLE changed: rearm for what is left of the idle time (Linux). */
void tcp_keepalive_changed(struct tcp_sock *tp);
/* The socket's keepalive settings, else the sysctls (µs, µs, count). */
synack_time_t tcp_keepalive_time(const struct tcp_sock *tp);
synack_time_t tcp_keepalive_intvl(const struct tcp_sock *tp);
int tcp_keepalive_probes(const struct tcp_sock *tp);
/* Data not sent yet may be at most this (TCP_NOTSENT_LOWAT or sysctl). */
uint32_t tcp_notsent_lowat(const struct tcp_sock *tp);
/* Linux tcp_fin_time: max(TCP_LINGER2 or tcp_fin_timeout, 3.5 RTO). */
synack_time_t tcp_fin_time(const struct tcp_sock *tp);
/* An orphan reached FIN-WAIT-2 by ack (the segment) or close() found it
 * there (ack NULL): beyond 60 s the full socket waits the excess first
 * (keepalive timer); otherwise it becomes a FIN_WAIT2 timewait entry, at
 * once from close(), after the segment (tcp_tw_after_segment) otherwise.
 * false: tp is gone (an entry, or TCP_LINGER2 < 0 ended it). */
bool tcp_fin_wait2_start(struct tcp_sock *tp, const struct tcp_seg *ack);
/* After a segment or a close: a socket in TIME-WAIT, or an orphan in
 * FIN-WAIT-2 with at most 60 s to wait, becomes a timewait entry.
 * Returns true if tp is gone (or closed). */
bool tcp_tw_after_segment(struct tcp_sock *tp);
/* The handshake is over: congestion window, buffers, keepalive. */
void tcp_established_init(struct tcp_sock *tp);

/* ---- autotune.c: send and receive buffer autotuning -------------------- */
/* The send buffer holds two of the larger of the initial and current cwnd. */
void tcp_sndbuf_expand(struct tcp_sock *tp);
void tcp_sndbuf_after_ack(struct tcp_sock *tp);
void tcp_rcvbuf_init(struct tcp_sock *tp);
/* In-order data arrived: the receiver's RTT sample. */
void tcp_rcv_rtt_on_data(struct tcp_sock *tp, const struct tcp_seg *seg);
/* The application read: grow the buffer to what it takes per RTT. */
void tcp_rcvbuf_after_read(struct tcp_sock *tp);

/* ---- rtt.c: RFC 6298 --------------------------------------------------- */
void tcp_rtt_init(struct tcp_sock *tp);
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us);
/* The handshake's round trip, unless the SYN was retransmitted (Karn);
 * without a sample the RTO falls back to 3 s (RFC 6298 5.7, Linux). */
/* An ACK of new data echoed TSecr: an RTT sample (RFC 7323 4.1). */
void tcp_rtt_sample_ts(struct tcp_sock *tp, uint32_t tsecr);
void tcp_rtt_sample_syn(struct tcp_sock *tp);
/* Linux tcp_ack_update_rtt: SRTT from rtt_us, min_rtt from ca_rtt_us. */
void tcp_rtt_sample2(struct tcp_sock *tp, uint32_t rtt_us, uint32_t ca_rtt_us);
uint32_t tcp_rto_min(const struct tcp_sock *tp);
uint32_t tcp_rto_max(const struct tcp_sock *tp);

/* ---- cc_newreno.c: recovery without SACK (RFC 5681 3.2, RFC 6582) ---- */
/* SND.UNA advanced by acked bytes (with SACK: bytes delivered). */
void tcp_cc_on_ack(struct tcp_sock *tp, uint32_t acked);
/* A duplicate ACK (3.2 of RFC 5681). */
void tcp_cc_on_dupack(struct tcp_sock *tp);
/* The retransmission timer fired (Linux tcp_enter_loss). */
void tcp_cc_on_rto(struct tcp_sock *tp);
/* Segments between SND.UNA and SND.MAX (Linux packets_out). */
uint32_t tcp_packets_in_flight(const struct tcp_sock *tp);

/* ---- cc.c: congestion control glue (cc.h has the algorithms' side) ---- */
/* cwnd 10, ssthresh infinite, the algorithm (the default for a new
 * socket) initialised: at creation and at the end of the handshake. */
void tcp_cc_init(struct tcp_sock *tp);
/* The algorithm's ssthresh for a reduction starting now. */
uint32_t tcp_cc_ssthresh(struct tcp_sock *tp);
void tcp_cc_set_state(struct tcp_sock *tp, enum tcp_ca_st s);
void tcp_cc_event(struct tcp_sock *tp, enum tcp_ca_event ev);
/* Grow the window for acked segments delivered (Linux tcp_cong_avoid). */
void tcp_cong_avoid(struct tcp_sock *tp, uint32_t ack, uint32_t acked);
/* The ACK's RTT sample (tp->ca_rtt_us, from rack.c) and pkts segments
 * acked go to the algorithm, once per ACK. */
void tcp_cc_pkts_acked(struct tcp_sock *tp, uint32_t pkts);
/* Recovery ended: cwnd = ssthresh (Linux tcp_end_cwnd_reduction). */
void tcp_cc_end_reduction(struct tcp_sock *tp);
/* After tcp_output sent or found the cwnd full (Linux tcp_cwnd_validate). */
void tcp_cwnd_validate(struct tcp_sock *tp, bool is_cwnd_limited);
/* A write queues data: slow start after idle (tcp_slow_start_after_idle). */
void tcp_cc_idle_check(struct tcp_sock *tp);
/* Data is about to leave: CA_EVENT_TX_START if nothing is in flight. */
void tcp_cc_data_sent(struct tcp_sock *tp);

/* ---- ecn.c: classic ECN, RFC 3168, as Linux runs it ------------------- */
/* tp->ecn_flags (Linux's TCP_ECN_*). */
#define TCP_ECN_OK 0x1          /* agreed (or, before the SYN-ACK, asked) */
#define TCP_ECN_QUEUE_CWR 0x2   /* CWR on the next new data segment */
#define TCP_ECN_DEMAND_CWR 0x4  /* CE arrived: ECE on what we send until a CWR */
#define TCP_ECN_SEEN 0x8        /* an ECT or CE data segment arrived */
/* A listener's SYN: does the request agree to ECN (tcp_ecn_create_request)? */
bool tcp_ecn_syn_ok(const struct synack_stack *st, const struct tcp_seg *syn);
/* Our SYN: ECE|CWR with tcp_ecn 1 (not on a resend with tcp_ecn_fallback). */
void tcp_ecn_send_syn(struct tcp_sock *tp, struct tcp_seg *seg, bool retrans);
/* A SYN-ACK of a full socket (Fast Open child, simultaneous open): ECE if agreed. */
void tcp_ecn_send_synack(const struct tcp_sock *tp, struct tcp_seg *seg);
/* SYN-SENT: the SYN-ACK agrees (ECE, no CWR), or a SYN (simultaneous open). */
void tcp_ecn_rcv_synack(struct tcp_sock *tp, const struct tcp_seg *seg);
void tcp_ecn_rcv_syn(struct tcp_sock *tp, const struct tcp_seg *seg);
/* Every other segment tp sends: ECT(0) on new data, CWR, ECE (tcp_ecn_send). */
void tcp_ecn_xmit(struct tcp_sock *tp, struct tcp_seg *seg, bool retrans);
/* Data arrived, in order or not: CE starts the echo (tcp_ecn_check_ce). */
void tcp_ecn_check_ce(struct tcp_sock *tp, const struct tcp_seg *seg);
/* An ACK not older than SND.UNA, before it is processed: its ECE, and a
 * CWR that ends our echo (tcp_ecn_accept_cwr). */
void tcp_ecn_ack_begin(struct tcp_sock *tp, const struct tcp_seg *seg);
/* Outside recovery, before cong_avoid: ends CWR past cwr_high; true if
 * the window must not grow on this ACK. */
bool tcp_ecn_cc_hold(struct tcp_sock *tp);
/* After the ACK (delivered: bytes acked or SACKed): an ECE starts CWR;
 * in CWR, PRR sets cwnd. */
void tcp_ecn_ack_end(struct tcp_sock *tp, uint32_t delivered, bool advanced);
/* Recovery starts: true if it takes over a CWR reduction (ssthresh kept). */
bool tcp_ecn_cwr_to_recovery(struct tcp_sock *tp);
/* A reduction (recovery, timeout): CWR on the next new data. */
void tcp_ecn_queue_cwr(struct tcp_sock *tp);

/* ---- ip_sockopt.c: IPPROTO_IP options of a TCP socket ---------------- */
int tcp_ip_setsockopt(struct tcp_sock *tp, int name, const void *val, socklen_t len);
int tcp_ip_getsockopt(struct tcp_sock *tp, int name, void *val, socklen_t *len);

/* ---- socket.c: the socket operations of TCP ---------------------------- */
extern const struct proto_ops tcp_proto_ops;
struct sock *tcp_socket_create(struct synack_stack *st);
/* connect(); d: a Fast Open send whose data the SYN may carry, or NULL. */
int tcp_connect_tfo(struct tcp_sock *tp, uint32_t addr, uint16_t port, struct tcp_tfo_send *d);
/* Append bytes as tcp_sendmsg does (TCP_NOTSENT_LOWAT or not); bytes taken. */
uint32_t tcp_append_data(struct tcp_sock *tp, const void *buf, uint32_t n);
/* A child reached ESTABLISHED: move it to its listener's accept queue. */
void tcp_child_established(struct tcp_sock *child);
/* Take a child out of its listener's queues (RST, timeout, close). */
void tcp_child_unlink(struct tcp_sock *child);

/* ---- sockopt.c: IPPROTO_TCP options and TCP_INFO --------------------- */
int tcp_setsockopt(struct sock *sk, int level, int name, const void *val, socklen_t len);
int tcp_getsockopt(struct sock *sk, int level, int name, void *val, socklen_t *len);

/* One SYNACK_TRACE_STATE event (nothing without a trace hook or a why). */
void tcp_trace_conn_state(struct synack_stack *st, uint64_t conn, int fd, uint32_t laddr,
			  uint16_t lport, uint32_t raddr, uint16_t rport, int old, int state,
			  const char *why);

/* ---- trace ------------------------------------------------------------- */
void tcp_trace_seg(struct tcp_sock *tp, struct synack_stack *st, enum synack_trace_kind kind,
		   const struct tcp_seg *seg, const void *pkt, size_t len, bool retrans);

#endif
