/*
 * synack: a user-space TCP/IPv4 stack that behaves like Linux TCP.
 *
 * One struct synack_stack is one host: its address, sockets, timers,
 * counters and random keys. Nothing is global, so a process may run many.
 *
 * The core never reads a clock and never blocks. The caller hands in
 * packets and the time (synack_input, synack_poll); synack_poll runs the
 * timers that are due and returns the next deadline. Packets leave through
 * env.send. Socket calls act at the time last handed in, and never block:
 * where Linux would sleep they return -1 with errno EAGAIN or EINPROGRESS,
 * and the caller waits for readiness (synack_epoll_wait or env.event).
 *
 * Socket calls use POSIX names, constants, structs and errno values.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Linux's values, for libcs that lack them (TCP Fast Open, RFC 7413). */
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000       /* sendto/sendmsg: connect with data in the SYN */
#endif
#ifndef TCP_FASTOPEN
#define TCP_FASTOPEN 23               /* listener: Fast Open queue length */
#endif
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30       /* connect() returns at once, the SYN goes with the first write */
#endif
#ifndef TCP_FASTOPEN_KEY
#define TCP_FASTOPEN_KEY 33           /* listener: its own 16-byte key (32: with a backup) */
#endif
#ifndef TCP_FASTOPEN_NO_COOKIE
#define TCP_FASTOPEN_NO_COOKIE 34     /* send or take SYN data without a cookie */
#endif

/* Microseconds on the caller's clock (virtual or real, any epoch). */
typedef uint64_t synack_time_t;
#define SYNACK_TIME_NEVER UINT64_MAX
#define SYNACK_MS(x) ((synack_time_t)(x) * 1000u)
#define SYNACK_SEC(x) ((synack_time_t)(x) * 1000000u)

struct synack_stack;

/* ---- Settings: Linux sysctl names, Linux defaults ---------------------- */

struct synack_config {
	int ip_default_ttl;            /* net.ipv4.ip_default_ttl 64 */
	int ip_local_port_range[2];    /* 32768 60999 */
	int ip_rt_min_pmtu;            /* net.ipv4.route.min_pmtu 552: a smaller
					* reported path MTU is raised to it and locked */
	int ip_rt_mtu_expires;         /* net.ipv4.route.mtu_expires 600 s: a learned
					* path MTU is forgotten after this */
	int somaxconn;                 /* net.core.somaxconn 4096 */
	int rmem_max, wmem_max;        /* net.core.{r,w}mem_max 212992 */
	int rmem_default, wmem_default; /* net.core.{r,w}mem_default 212992: a
					* local (AF_UNIX) socket's buffers */
	int optmem_max;                /* net.core.optmem_max 131072: per-socket
					* ancillary memory (MSG_ZEROCOPY notifications) */
	int max_skb_frags;             /* net.core.max_skb_frags 17: MSG_ZEROCOPY
					* pieces in one send buffer */
	int tcp_rmem[3];               /* 4096 131072 6291456 */
	int tcp_wmem[3];               /* 4096 16384 4194304 */
	int tcp_syn_retries;           /* 6 */
	int tcp_syn_linear_timeouts;   /* 4 */
	int tcp_synack_retries;        /* 5 */
	int tcp_retries1;              /* 3 */
	int tcp_retries2;              /* 15 */
	int tcp_orphan_retries;        /* 0 (means 8) */
	int tcp_fin_timeout;           /* 60 s */
	int tcp_keepalive_time;        /* 7200 s */
	int tcp_keepalive_intvl;       /* 75 s */
	int tcp_keepalive_probes;      /* 9 */
	int tcp_notsent_lowat;         /* Linux UINT_MAX (no limit); INT_MAX here */
	int tcp_min_tso_segs;          /* 2: least segments in a burst (TSO packet) */
	int tcp_tso_rtt_log;           /* 9: bursts grow under 2^9 us of min RTT */
	int tcp_pacing_ss_ratio;       /* 200 (%): pacing rate in slow start */
	int tcp_pacing_ca_ratio;       /* 120 (%): pacing rate after */
	int tcp_max_syn_backlog;       /* 2048 */
	int tcp_max_orphans;           /* 131072 */
	int tcp_max_tw_buckets;        /* 131072 */
	int tcp_rto_min_us;            /* 200000 */
	int tcp_rto_max_ms;            /* 120000 */
	int tcp_timestamps;            /* 1 */
	int tcp_window_scaling;        /* 1 */
	int tcp_sack;                  /* 1 */
	int tcp_dsack;                 /* 1 */
	int tcp_early_retrans;         /* 3: tail loss probe (RFC 8985 7) */
	int tcp_recovery;              /* 1: RACK loss detection (RFC 8985 6); 4: no DupThresh */
	int tcp_reordering;            /* 3: segments of reordering assumed at the start */
	int tcp_max_reordering;        /* 300: the most a connection will assume */
	int tcp_syncookies;            /* 1 */
	int tcp_abort_on_overflow;     /* 0 */
	int tcp_rfc1337;               /* 0 */
	int tcp_tw_reuse;              /* 2 */
	int tcp_tw_reuse_delay;        /* 1000 ms */
	int tcp_fastopen;              /* 1: 0x1 client, 0x2 server, 0x4 client
				        * data without cookie, 0x200 server without
				        * cookie, 0x400 every listener (RFC 7413) */
	int tcp_moderate_rcvbuf;       /* 1: the receive buffer grows to the path (DRS) */
	int tcp_fastopen_blackhole_timeout_sec; /* 0 */
	int tcp_slow_start_after_idle; /* 1: cwnd restarts after an idle RTO (RFC 5681 4.1) */
	int tcp_ecn;                   /* 2: ECN (RFC 3168) when the peer asks; 1: ask too; 0: off */
	int tcp_ecn_fallback;          /* 1: a resent SYN no longer asks for ECN */
	/* "cubic": the congestion control new sockets get (Linux
	 * net.ipv4.tcp_congestion_control); "reno" the other choice.
	 * net.ipv4.tcp_available_congestion_control reads "reno cubic". */
	char tcp_congestion_control[16];
	/* "xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx[,backup]": the server's
	 * cookie keys as 32-bit words; count 0 = a key derived from the seed. */
	uint32_t tcp_fastopen_key[8];
	int tcp_fastopen_key_count;
};

/* Fill *cfg with Linux's defaults. */
void synack_config_default(struct synack_config *cfg);
/* Set or read one setting by its sysctl name ("net.ipv4.tcp_fin_timeout"
 * or "tcp_fin_timeout"); vectors take space-separated values.
 * Return 0, or -1 with errno ENOENT (no such name) or EINVAL (bad value). */
int synack_config_set(struct synack_config *cfg, const char *name, const char *value);
int synack_config_get(const struct synack_config *cfg, const char *name, char *buf, size_t len);
/* The name of the i-th setting, NULL past the end. */
const char *synack_config_name(size_t i);

/* ---- Tracing ------------------------------------------------------------ */

enum synack_trace_kind {
	SYNACK_TRACE_STATE,   /* a connection changed state */
	SYNACK_TRACE_SEG_IN,  /* a TCP segment arrived (after validation) */
	SYNACK_TRACE_SEG_OUT, /* a TCP segment was sent */
	SYNACK_TRACE_DROP,    /* a packet was dropped: counter and reason */
};

struct synack_trace {
	enum synack_trace_kind kind;
	synack_time_t now;
	uint64_t conn;               /* connection id, 0 if none */
	int fd;                      /* socket descriptor, -1 if none */
	struct sockaddr_in local, peer;
	int old_state, new_state;    /* SYNACK_TRACE_STATE: enum synack_tcp_state */
	const char *why;             /* state change cause or drop reason */
	const char *counter;         /* SYNACK_TRACE_DROP: the counter bumped */
	/* Segments (host byte order). */
	uint32_t seq, ack, len;
	uint16_t wnd;
	uint8_t flags;               /* TH_FIN 0x01 ... TH_ACK 0x10 */
	int retransmit;              /* SEG_OUT: 1 if a retransmission */
	const void *pkt;             /* the whole IPv4 packet */
	size_t pkt_len;
};

/* ---- The stack ---------------------------------------------------------- */

struct synack_env {
	void *ctx;
	/* One IPv4 packet leaves the stack. Must not call back into the stack. */
	void (*send)(void *ctx, const void *pkt, size_t len);
	/* Optional: fd's readiness may have changed (EPOLLIN|EPOLLOUT|...). */
	void (*event)(void *ctx, int fd, uint32_t events);
	/* Optional: every state change, segment in and out, and drop. */
	void (*trace)(void *ctx, const struct synack_trace *ev);
	/* Optional, used instead of send when set: one IPv4 packet to a
	 * device that may refuse it. Return SYNACK_XMIT_OK if it took the
	 * packet, SYNACK_XMIT_DROP if its transmit queue is full (a TUN write
	 * that fails with EAGAIN/ENOBUFS; Linux's qdisc answering
	 * NET_XMIT_DROP). A refusal is local congestion: TCP does not count
	 * the segment as sent and tries again on its 500 ms resource-probe
	 * timer, as Linux does. Must not call back into the stack. */
	int (*xmit)(void *ctx, const void *pkt, size_t len);
};

/* What env.xmit answers (Linux's NET_XMIT_SUCCESS, NET_XMIT_DROP). */
enum synack_xmit_result {
	SYNACK_XMIT_OK = 0,
	SYNACK_XMIT_DROP = 1,
};

struct synack_params {
	struct in_addr addr;               /* the host's IPv4 address */
	unsigned mtu;                      /* 0 = 1500 */
	uint64_t seed;                     /* every key and ISN derives from it */
	synack_time_t now;                 /* the time at creation */
	struct synack_env env;
	const struct synack_config *config; /* NULL = Linux defaults */
};

struct synack_stack *synack_stack_new(const struct synack_params *p);
void synack_stack_free(struct synack_stack *st);

/* Hand one received IPv4 packet to the stack at time now. */
void synack_input(struct synack_stack *st, const void *pkt, size_t len, synack_time_t now);
/* Run the timers due by now; return the next deadline (SYNACK_TIME_NEVER). */
synack_time_t synack_poll(struct synack_stack *st, synack_time_t now);
/* The time the stack last saw. */
synack_time_t synack_now(const struct synack_stack *st);
struct in_addr synack_addr(const struct synack_stack *st);
const struct synack_config *synack_config(const struct synack_stack *st);
/* Change settings at run time; new sockets see them. */
int synack_sysctl_set(struct synack_stack *st, const char *name, const char *value);
/* `ip tcp_metrics flush`: forget what the stack remembers per destination
 * (the Fast Open cookie cache, path MTUs); addr (network order) one
 * destination, INADDR_ANY all. */
void synack_tcp_metrics_flush(struct synack_stack *st, struct in_addr addr);

/* ---- Sockets (POSIX shape; descriptors are the stack's own) ------------ */

/* domain AF_INET (TCP) or AF_UNIX (the local stream transport: SOCK_STREAM
 * only, protocol 0 or PF_UNIX). AF_UNIX names live inside the stack:
 * abstract names (sun_path[0] == '\0') as Linux, and path names
 * ("/run/app.sock") kept in a per-stack table, not as files: no file is
 * made, permissions are not checked, and the name is freed when its
 * socket closes (Linux leaves the file until unlink()). */
int synack_socket(struct synack_stack *st, int domain, int type, int protocol);
/* socketpair(2): a connected pair of AF_UNIX stream sockets in sv[0..1].
 * EAFNOSUPPORT for other domains, EOPNOTSUPP for AF_INET (as Linux). */
int synack_socketpair(struct synack_stack *st, int domain, int type, int protocol, int sv[2]);
/* The credentials SO_PEERCRED reports for AF_UNIX sockets. The stack has
 * no processes: connect(), listen() and socketpair() capture the stack's
 * credentials as they are at the call, which start as the creating
 * process's (getpid, geteuid, getegid) and may be changed here before
 * the call, e.g. per client a gateway serves. */
void synack_set_ucred(struct synack_stack *st, pid_t pid, uid_t uid, gid_t gid);
int synack_bind(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int synack_listen(struct synack_stack *st, int fd, int backlog);
int synack_accept(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int synack_accept4(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags);
int synack_connect(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
ssize_t synack_send(struct synack_stack *st, int fd, const void *buf, size_t len, int flags);
ssize_t synack_recv(struct synack_stack *st, int fd, void *buf, size_t len, int flags);
ssize_t synack_sendto(struct synack_stack *st, int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen);
ssize_t synack_recvfrom(struct synack_stack *st, int fd, void *buf, size_t len, int flags,
			struct sockaddr *from, socklen_t *fromlen);
/* sendmsg/recvmsg as Linux's for a connected stream socket: msg_name is
 * ignored (sendmsg) or comes back with msg_namelen 0 (recvmsg);
 * zero-length iovec entries are skipped. sendmsg takes MSG_ZEROCOPY
 * (with SO_ZEROCOPY set; Documentation/networking/msg_zerocopy.rst):
 * each call that queues data gets the next number of a per-socket 32-bit
 * counter, and once its data is acknowledged a completion [lo, hi] is
 * queued on the socket's error queue (POLLERR), merged with the one
 * before it when consecutive. synack always copies user data into its
 * send buffer, so the buffer may be reused at once and every completion
 * says SO_EE_CODE_ZEROCOPY_COPIED. recvmsg(MSG_ERRQUEUE) returns 0 bytes
 * and one SOL_IP/IP_RECVERR cmsg (struct sock_extended_err and a zeroed
 * sockaddr_in), msg_flags MSG_ERRQUEUE (| MSG_CTRUNC if msg_control is
 * short), or EAGAIN when the queue is empty. Other recvmsg calls return
 * no ancillary data (msg_controllen 0). */
ssize_t synack_sendmsg(struct synack_stack *st, int fd, const struct msghdr *msg, int flags);
ssize_t synack_recvmsg(struct synack_stack *st, int fd, struct msghdr *msg, int flags);
ssize_t synack_read(struct synack_stack *st, int fd, void *buf, size_t len);
ssize_t synack_write(struct synack_stack *st, int fd, const void *buf, size_t len);
/* close() as Linux's, except that it never blocks: with SO_LINGER
 * {1, t > 0} it returns 0 at once and the connection delivers what is
 * queued as an orphan. Linux's wait (until the FIN is acked or t passes)
 * is the runtime's synack_loop_close (synack/runtime.h); a caller with its
 * own loop does the same: shutdown(SHUT_RDWR), run until the TCP_INFO
 * state leaves FIN-WAIT-1/CLOSING/LAST-ACK or t passes, then close.
 * Unread data or SO_LINGER {1, 0}: RST, no TIME-WAIT. */
int synack_close(struct synack_stack *st, int fd);
int synack_shutdown(struct synack_stack *st, int fd, int how);
int synack_getsockname(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int synack_getpeername(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int synack_setsockopt(struct synack_stack *st, int fd, int level, int name, const void *val, socklen_t len);
int synack_getsockopt(struct synack_stack *st, int fd, int level, int name, void *val, socklen_t *len);
/* F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD. */
int synack_fcntl(struct synack_stack *st, int fd, int cmd, int arg);
/* FIONREAD (SIOCINQ), SIOCOUTQ. */
int synack_ioctl(struct synack_stack *st, int fd, unsigned long req, void *arg);

/* Readiness, as Linux epoll. timeout must be 0: the core never waits. */
int synack_epoll_create(struct synack_stack *st);
int synack_epoll_ctl(struct synack_stack *st, int epfd, int op, int fd, struct epoll_event *ev);
int synack_epoll_wait(struct synack_stack *st, int epfd, struct epoll_event *evs, int max, int timeout);
/* The EPOLL* mask fd would report now. */
uint32_t synack_poll_events(struct synack_stack *st, int fd);

/* ---- Observing ---------------------------------------------------------- */

/* TCP states, numbered as Linux numbers them (include/net/tcp_states.h). */
enum synack_tcp_state {
	SYNACK_ESTABLISHED = 1,
	SYNACK_SYN_SENT = 2,
	SYNACK_SYN_RECV = 3,
	SYNACK_FIN_WAIT1 = 4,
	SYNACK_FIN_WAIT2 = 5,
	SYNACK_TIME_WAIT = 6,
	SYNACK_CLOSE = 7,
	SYNACK_CLOSE_WAIT = 8,
	SYNACK_LAST_ACK = 9,
	SYNACK_LISTEN = 10,
	SYNACK_CLOSING = 11,
};
/* "ESTAB", "SYN-SENT", ... as ss prints them. */
const char *synack_state_ss_name(int state);
/* "ESTABLISHED", "SYN-SENT", ... as RFC 9293 names them. */
const char *synack_state_rfc_name(int state);

/* One row of the socket listing (ss -tan, plus timers). */
struct synack_sockinfo {
	int fd;                        /* -1 for connections without one */
	uint64_t conn;
	int state;
	uint32_t recv_q, send_q;
	struct sockaddr_in local, peer;
	const char *timer;             /* "on", "persist", "keepalive", "timewait", NULL (as ss -o) */
	synack_time_t timer_expires;   /* microseconds from now */
	unsigned retrans;              /* retransmissions of the current timer */
	synack_time_t state_age;       /* microseconds since it entered its state */
	uint32_t unread;               /* bytes received, not yet read: a CLOSE-WAIT
					* that stays with bytes unread or for long is
					* an application that forgot to close */
	/* AF_INET for TCP rows; AF_UNIX for local stream sockets (ss -x):
	 * state SYNACK_CLOSE (UNCONN), LISTEN or ESTABLISHED; recv_q/send_q
	 * as Linux's unix_diag (listener: queued connections and backlog;
	 * else unread bytes and the bytes charged to the send buffer);
	 * local and peer names in un_local/un_peer (length in *_len, 2 for
	 * none) and inode-like ids in conn/peer_conn. */
	int family;
	struct sockaddr_un un_local, un_peer;
	socklen_t un_local_len, un_peer_len;
	uint64_t peer_conn;
};
/* Fill up to max rows; return the number of sockets (may exceed max). */
size_t synack_sockets(struct synack_stack *st, struct synack_sockinfo *rows, size_t max);

/* Counters, named as nstat names them (IpInReceives, TcpActiveOpens,
 * TcpExtListenOverflows, ...). */
struct synack_counter {
	const char *name;
	uint64_t value;
};
/* Fill up to max rows; return the number of counters. */
size_t synack_counters(const struct synack_stack *st, struct synack_counter *rows, size_t max);
/* One counter by name, 0 if unknown. */
uint64_t synack_counter(const struct synack_stack *st, const char *name);

#ifdef __cplusplus
}
#endif
#endif
