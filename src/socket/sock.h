/*
 * The socket layer's view of a socket: descriptor, flags, options, errors
 * and readiness watchers. A transport embeds struct sock first in its own
 * socket (struct tcp_sock) and gives the layer a table of operations, so
 * the local stream transport can sit beside TCP later.
 */
#ifndef SYNACK_SOCKET_SOCK_H
#define SYNACK_SOCKET_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

struct synack_stack;
struct sock;
struct epitem;
struct sock_errq;

struct proto_ops {
	int (*bind)(struct sock *sk, uint32_t addr, uint16_t port);
	int (*listen)(struct sock *sk, int backlog);
	struct sock *(*accept)(struct sock *sk, int *err);
	int (*connect)(struct sock *sk, uint32_t addr, uint16_t port);
	/* len: the iovec's total, checked by the caller; entries of length
	 * 0 are skipped. */
	ssize_t (*send)(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len,
			int flags);
	ssize_t (*recv)(struct sock *sk, const struct iovec *iov, size_t iovcnt, size_t len,
			int flags);
	/* Optional: sendto/sendmsg with MSG_FASTOPEN and an address (TCP Fast Open). */
	ssize_t (*sendto_fastopen)(struct sock *sk, const void *buf, size_t len, uint32_t addr,
				   uint16_t port, int flags);
	int (*shutdown)(struct sock *sk, int how);
	/* The descriptor is gone; the transport may keep the socket (orphan). */
	void (*close)(struct sock *sk);
	uint32_t (*poll)(struct sock *sk);
	int (*setsockopt)(struct sock *sk, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(struct sock *sk, int level, int name, void *val, socklen_t *len);
	int (*ioctl)(struct sock *sk, unsigned long req, void *arg);
	/* Addresses, host order; false if there is none. */
	/* peer: 0 local, 1 peer (getpeername), 2 accept's (even if closed since), as Linux inet_getname */
	bool (*name)(struct sock *sk, int peer, uint32_t *addr, uint16_t *port);
	/* A family whose addresses are not IPv4 (AF_UNIX, src/local) sets
	 * these instead of bind, connect and name: the caller's sockaddr as
	 * given, checked by the transport; getname fills addr and *len as
	 * getsockname(2) does (peer as in name). */
	int (*bind_sa)(struct sock *sk, const struct sockaddr *addr, socklen_t len);
	int (*connect_sa)(struct sock *sk, const struct sockaddr *addr, socklen_t len);
	int (*getname_sa)(struct sock *sk, int peer, struct sockaddr *addr, socklen_t *len);
};

struct sock {
	struct synack_stack *st;
	const struct proto_ops *ops;
	struct epitem *watchers;/* epoll registrations on this socket */
	struct sock_errq *errq; /* error queue and MSG_ZEROCOPY counter (errqueue.c), NULL until used */
	int fd;                 /* -1 once closed (an orphan) */
	int type, protocol;
	int family;             /* AF_INET (tcp) or AF_UNIX (local) */
	int err;                /* pending error: SO_ERROR reads and clears it */
	int sndbuf, rcvbuf;     /* as getsockopt reports them (Linux doubles) */
	unsigned lingertime;    /* SO_LINGER l_linger, seconds (Linux keeps it unsigned) */
	int rcvlowat;           /* SO_RCVLOWAT, 0 read as 1 (Linux's default) */
	uint32_t mark;          /* SO_MARK: kept and reported; one routing table, so no effect */
	/* Flags last, as bits: every socket carries them. */
	bool nonblock : 1, cloexec : 1;
	bool reuseaddr : 1, reuseport : 1, keepalive : 1;
	bool shut_rd : 1, shut_wr : 1;
	bool sndbuf_locked : 1, rcvbuf_locked : 1;
	bool linger : 1;        /* SO_LINGER l_onoff */
	bool zerocopy : 1;      /* SO_ZEROCOPY: MSG_ZEROCOPY takes effect */
};

/* Readiness may have changed: tell epoll instances and env.event. */
void sock_wakeup(struct sock *sk);

#endif
