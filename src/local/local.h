/*
 * The local stream transport: AF_UNIX SOCK_STREAM as Linux's
 * net/unix/af_unix.c runs it, inside one stack. A send is a message put
 * straight on the peer's receive queue and charged to the sender's
 * SO_SNDBUF until it is read: no headers, checksums, sequence numbers,
 * windows, timers or congestion control (LINUX-SEMANTICS 11).
 *
 * Files: sock.c (creation, socketpair, close, shutdown, poll, options,
 * ioctls), name.c (bound names: abstract and path names in a per-stack
 * table, autobind, sockaddr in and out), conn.c (listen, connect,
 * accept, the backlog and connects waiting on it), data.c (send, recv,
 * Linux's per-message truesize), listing.c (ss -x rows).
 */
#ifndef SYNACK_LOCAL_LOCAL_H
#define SYNACK_LOCAL_LOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/stack.h"
#include "socket/sock.h"

#define LOCAL_MSG_CACHE 16

/* One send's worth of bytes on a receive queue (Linux's skb). */
struct local_msg {
	struct local_msg *next;
	struct local_sock *from;       /* charged: from->wmem holds truesize */
	uint32_t len, off;             /* bytes, and bytes already read */
	uint32_t truesize;
	uint32_t cap;                  /* bytes data[] can hold */
	unsigned char data[];
};

/* A bound name as getsockname reports it. */
struct local_name {
	socklen_t len;                 /* offsetof(sun_path) + name bytes (+1 NUL for paths) */
	struct sockaddr_un sa;
};

struct local_cred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

struct local_sock {
	struct sock sk;                /* first: the socket layer's view */
	int state;                     /* SYNACK_CLOSE, SYNACK_LISTEN, SYNACK_ESTABLISHED */
	uint64_t id;                   /* inode-like number for the listing */
	int refs;                      /* descriptor or accept queue, peer, charged messages */
	bool released;                 /* closed: no descriptor, queues purged */
	bool connecting;               /* a blocking connect waits for backlog room */
	struct local_sock *peer;       /* held: stays after the peer closes (getpeername) */
	struct local_sock *all_next, *all_prev; /* every socket of the stack (listing) */
	struct local_name *name;       /* NULL: unbound */
	struct local_sock *name_next;  /* name table chain */
	struct local_msg *rq_head, *rq_tail;
	uint32_t rq_bytes;             /* unread bytes on the receive queue */
	uint64_t wmem;                 /* truesize of our messages not yet read */
	struct local_cred cred;        /* SO_PEERCRED */
	bool has_cred;
	/* A listener: embryos (connected, not accepted) and waiting connects. */
	struct local_sock *acc_head, *acc_tail;
	uint32_t acc_len;
	int backlog;
	struct local_sock *wait_head, *wait_tail;
	/* An embryo's link in its listener's queue, or a waiter's in the
	 * wait list; parent is that listener. */
	struct local_sock *qnext, *parent;
	synack_time_t state_since;
};

/* Per-stack state of the transport, made on first use. */
struct local_ns {
	struct local_sock **names;     /* bound names, hashed */
	size_t nnames;
	struct siphash_key name_key;
	struct local_sock *all;
	struct local_cred cred;        /* what connect/listen/socketpair capture */
	uint32_t autobind_next;
	/* Freed large messages kept for reuse: a bulk writer's messages are
	 * freed in bursts, and giving them back to the allocator each time
	 * made it return and re-fault the pages (malloc trimming). */
	struct local_msg *msg_cache[LOCAL_MSG_CACHE];
	unsigned nmsg_cache;
};

static inline struct local_sock *local_sk(struct sock *sk) { return (struct local_sock *)sk; }

extern const struct proto_ops local_proto_ops;

/* ---- sock.c ---------------------------------------------------------- */
struct local_ns *local_ns_get(struct synack_stack *st);
/* A new unconnected socket (refs 1: its owner), or NULL (ENOMEM). */
struct local_sock *local_sock_new(struct synack_stack *st, int type);
void local_hold(struct local_sock *ls);
void local_put(struct local_sock *ls);
/* The socket is gone (close, or an embryo whose listener closed):
 * Linux unix_release_sock. embryo: the peer sees ECONNRESET. */
void local_release(struct local_sock *ls, bool embryo);
void local_set_state(struct local_sock *ls, int state);
void local_cred_capture(struct local_sock *ls);
void local_ns_free(struct synack_stack *st);

/* ---- name.c ---------------------------------------------------------- */
int local_bind(struct sock *sk, const struct sockaddr *addr, socklen_t len);
int local_getname(struct sock *sk, int peer, struct sockaddr *addr, socklen_t *len);
/* Check a connect()'s address as unix_validate_addr and find the
 * socket bound to it: NULL with *err ENOENT (no such path) or
 * ECONNREFUSED (no such abstract name). */
struct local_sock *local_lookup(struct synack_stack *st, const struct sockaddr *addr,
				socklen_t len, int *err);
int local_check_addr(const struct sockaddr *addr, socklen_t len);
void local_unbind(struct local_sock *ls);
/* Fill sa/len with ls's name ({AF_UNIX}, 2, when unbound). */
void local_name_copy(const struct local_sock *ls, struct sockaddr_un *sa, socklen_t *len);

/* ---- conn.c ---------------------------------------------------------- */
int local_listen(struct sock *sk, int backlog);
int local_connect(struct sock *sk, const struct sockaddr *addr, socklen_t len);
struct sock *local_accept(struct sock *sk, int *err);
/* A listener stops (close or SHUT_RD): embryos die, waiters are refused. */
void local_listen_stop(struct local_sock *lsn);
/* A listener shut for reading: waiting connects get ECONNREFUSED. */
void local_waiters_refuse(struct local_sock *lsn);
/* A waiting connect gives up (its socket closes). */
void local_wait_cancel(struct local_sock *ls);
/* Connect two fresh sockets to each other (socketpair, and the embryo). */
void local_pair(struct local_sock *a, struct local_sock *b);

/* ---- data.c ---------------------------------------------------------- */
ssize_t local_send(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len, int flags);
ssize_t local_recv(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len, int flags);
/* Linux's skb->truesize for one message of len bytes (unix_stream_sendmsg). */
uint32_t local_truesize(uint32_t len);
/* Bytes one message may carry with this send buffer. */
uint32_t local_msg_max(int sndbuf);
/* Free every message on ls's receive queue (its senders get the room). */
void local_purge(struct local_sock *ls);
/* Linux unix_writable: the charge is at most a quarter of SO_SNDBUF. */
bool local_writable(const struct local_sock *ls);

/* ---- listing.c ------------------------------------------------------- */
size_t local_listing(struct synack_stack *st, struct synack_sockinfo *rows, size_t n, size_t max);

#endif
