/*
 * The POSIX-shaped calls: argument checks and errno as Linux gives them,
 * then the transport's operation. Every call returns -1 with errno set on
 * failure, as libc does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "local/local.h"
#include "socket/errqueue.h"
#include "socket/socket.h"
#include "tcp/tcp.h"

static struct sock *sock_of(struct synack_stack *st, int fd)
{
	struct sock *sk = fd_get(&st->fds, fd, FD_SOCK);
	if (!sk)
		errno = fd_kind(&st->fds, fd) == FD_NONE ? EBADF : ENOTSOCK;
	return sk;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* AF_UNIX as Linux's unix_create: the protocol first (0 or PF_UNIX,
 * else EPROTONOSUPPORT), then the type; synack has SOCK_STREAM only, so
 * SOCK_DGRAM and SOCK_SEQPACKET are ESOCKTNOSUPPORT here. */
static struct sock *local_create(struct synack_stack *st, int type, int protocol)
{
	if (protocol != 0 && protocol != PF_UNIX) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if (type != SOCK_STREAM) {
		errno = type >= 0 && type <= SOCK_PACKET ? ESOCKTNOSUPPORT : EINVAL;
		return NULL;
	}
	struct local_sock *ls = local_sock_new(st, SOCK_STREAM);
	if (!ls) {
		errno = ENOBUFS;
		return NULL;
	}
	return &ls->sk;
}

/* sk on the lowest free descriptor, with socket()/accept4()'s
 * SOCK_NONBLOCK and SOCK_CLOEXEC; without a free one, sk is closed and
 * the result is -1. */
static int sock_install(struct synack_stack *st, struct sock *sk, int flags)
{
	int fd = fd_alloc(&st->fds, FD_SOCK, sk);
	if (fd < 0) {
		int err = errno;
		sk->ops->close(sk);
		return fail(err);
	}
	sk->fd = fd;
	sk->nonblock = flags & SOCK_NONBLOCK;
	sk->cloexec = flags & SOCK_CLOEXEC;
	return fd;
}

int synack_socketpair(struct synack_stack *st, int domain, int type, int protocol, int sv[2])
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!sv)
		return fail(EFAULT);
	if (domain == AF_INET)
		return fail(EOPNOTSUPP); /* inet has no socketpair (sock_no_socketpair) */
	if (domain != AF_UNIX)
		return fail(EAFNOSUPPORT);
	struct sock *a = local_create(st, type, protocol);
	if (!a)
		return -1;
	struct sock *b = local_create(st, type, protocol);
	if (!b) {
		int err = errno;
		a->ops->close(a);
		return fail(err);
	}
	/* Linux unix_socketpair: both ends connected, both with the caller's
	 * credentials. */
	local_cred_capture(local_sk(a));
	local_cred_capture(local_sk(b));
	local_pair(local_sk(a), local_sk(b));
	int fa = sock_install(st, a, flags);
	if (fa < 0) {
		b->ops->close(b);
		return -1;
	}
	int fb = sock_install(st, b, flags);
	if (fb < 0) {
		int err = errno;
		synack_close(st, fa);
		return fail(err);
	}
	sv[0] = fa;
	sv[1] = fb;
	return 0;
}

int synack_socket(struct synack_stack *st, int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain == AF_UNIX) {
		struct sock *sk = local_create(st, type, protocol);
		return sk ? sock_install(st, sk, flags) : -1;
	}
	if (domain != AF_INET)
		return fail(EAFNOSUPPORT);
	/* Linux: a type past SOCK_PACKET is EINVAL; one inet serves with
	 * no protocol (SEQPACKET, RDM, ...) ESOCKTNOSUPPORT. */
	if (type != SOCK_STREAM)
		return fail(type == SOCK_DGRAM || type == SOCK_RAW ? EPROTONOSUPPORT
			    : type >= 0 && type <= SOCK_PACKET ? ESOCKTNOSUPPORT : EINVAL);
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return fail(EPROTONOSUPPORT);
	struct sock *sk = tcp_socket_create(st);
	if (!sk)
		return fail(ENOBUFS);
	sk->family = AF_INET;
	return sock_install(st, sk, flags);
}

/* An AF_INET address from the caller, checked as inet_bind/inet_connect do. */
static int get_sin(const struct sockaddr *addr, socklen_t len, uint32_t *a, uint16_t *p,
		   bool allow_unspec)
{
	if (!addr)
		return fail(EFAULT);
	if (len < (socklen_t)sizeof(struct sockaddr_in)) {
		if (allow_unspec && len >= (socklen_t)sizeof(sa_family_t) && addr->sa_family == AF_UNSPEC)
			return 1;
		return fail(EINVAL);
	}
	struct sockaddr_in sin;
	memcpy(&sin, addr, sizeof(sin));
	if (sin.sin_family == AF_UNSPEC && allow_unspec)
		return 1;
	if (sin.sin_family != AF_INET)
		return fail(EAFNOSUPPORT);
	*a = ntohl(sin.sin_addr.s_addr);
	*p = ntohs(sin.sin_port);
	return 0;
}

static int put_sin(struct sockaddr *addr, socklen_t *len, uint32_t a, uint16_t p)
{
	if (!addr || !len)
		return fail(EFAULT);
	if ((int)*len < 0)
		return fail(EINVAL);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(a);
	sin.sin_port = htons(p);
	size_t n = *len < sizeof(sin) ? *len : sizeof(sin);
	memcpy(addr, &sin, n);
	*len = sizeof(sin);
	return 0;
}

int synack_bind(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sock *sk = sock_of(st, fd);
	uint32_t a;
	uint16_t p;
	if (!sk)
		return -1;
	if (sk->ops->bind_sa)
		return sk->ops->bind_sa(sk, addr, len);
	int r = get_sin(addr, len, &a, &p, true);
	if (r < 0)
		return -1;
	if (r == 1) {
		/* inet_bind: AF_UNSPEC passes as AF_INET for INADDR_ANY only. */
		struct sockaddr_in sin;
		if (len < (socklen_t)sizeof(sin))
			return fail(EINVAL);
		memcpy(&sin, addr, sizeof(sin));
		if (sin.sin_addr.s_addr != htonl(INADDR_ANY))
			return fail(EAFNOSUPPORT);
		a = INADDR_ANY;
		p = ntohs(sin.sin_port);
	}
	return sk->ops->bind(sk, a, p);
}

int synack_listen(struct synack_stack *st, int fd, int backlog)
{
	struct sock *sk = sock_of(st, fd);
	return sk ? sk->ops->listen(sk, backlog) : -1;
}

int synack_accept4(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(EINVAL);
	int err = 0;
	struct sock *child = sk->ops->accept(sk, &err);
	if (!child)
		return fail(err);
	int cfd = sock_install(st, child, flags);
	if (cfd < 0)
		return -1;
	if (addr) {
		uint32_t a = 0;
		uint16_t p = 0;
		int r;
		if (child->ops->getname_sa) {
			r = child->ops->getname_sa(child, 2, addr, len);
		} else {
			child->ops->name(child, 2, &a, &p);
			r = put_sin(addr, len, a, p);
		}
		if (r < 0) {
			/* Linux: the connection is already taken; EFAULT loses it. */
			int e = errno;
			synack_close(st, cfd);
			return fail(e);
		}
	}
	return cfd;
}

int synack_accept(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return synack_accept4(st, fd, addr, len, 0);
}

int synack_connect(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sock *sk = sock_of(st, fd);
	uint32_t a;
	uint16_t p;
	if (!sk)
		return -1;
	if (sk->ops->connect_sa)
		return sk->ops->connect_sa(sk, addr, len);
	int r = get_sin(addr, len, &a, &p, true);
	if (r < 0)
		return -1;
	if (r == 1)
		return fail(EAFNOSUPPORT); /* AF_UNSPEC disconnect is not supported */
	return sk->ops->connect(sk, a, p);
}

#define SEND_FLAGS \
	(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_CONFIRM | MSG_ZEROCOPY | MSG_FASTOPEN)
#define RECV_FLAGS (MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | MSG_TRUNC | MSG_CMSG_CLOEXEC)

/* An iovec from the caller, checked as import_iovec does: too many
 * entries EMSGSIZE, a total past SSIZE_MAX EINVAL, a missing vector or a
 * missing buffer with bytes EFAULT. Returns the total, or -1. */
static ssize_t iov_total(const struct iovec *iov, size_t n)
{
	if (n > UIO_MAXIOV) /* 1024 */
		return fail(EMSGSIZE);
	if (n && !iov)
		return fail(EFAULT);
	size_t t = 0;
	for (size_t i = 0; i < n; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - t)
			return fail(EINVAL);
		if (!iov[i].iov_base && iov[i].iov_len)
			return fail(EFAULT);
		t += iov[i].iov_len;
	}
	return (ssize_t)t;
}

ssize_t synack_send(struct synack_stack *st, int fd, const void *buf, size_t len, int flags)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	return synack_sendmsg(st, fd, &msg, flags);
}

/* sendmsg with MSG_FASTOPEN and a destination: as sendto, from the
 * entries gathered (the SYN carries at most one segment of them). */
static ssize_t sendmsg_fastopen(struct synack_stack *st, int fd, const struct msghdr *msg,
				size_t len, int flags)
{
	const struct sockaddr *to = msg->msg_name;
	if (msg->msg_iovlen <= 1)
		return synack_sendto(st, fd, msg->msg_iovlen ? msg->msg_iov[0].iov_base : NULL, len,
				     flags, to, msg->msg_namelen);
	size_t n;
	char *tmp = sock_iov_gather(msg->msg_iov, msg->msg_iovlen, len, 65536, &n);
	if (!tmp)
		return fail(ENOBUFS);
	ssize_t r = synack_sendto(st, fd, tmp, n, flags, to, msg->msg_namelen);
	free(tmp);
	return r;
}

ssize_t synack_sendmsg(struct synack_stack *st, int fd, const struct msghdr *msg, int flags)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (flags & MSG_OOB)
		return fail(EOPNOTSUPP);
	if (!msg)
		return fail(EFAULT);
	ssize_t len = iov_total(msg->msg_iov, msg->msg_iovlen);
	if (len < 0)
		return -1;
	/* Linux unix_stream_sendmsg: a stream socket takes no address. */
	if (sk->family == AF_UNIX && msg->msg_namelen)
		return fail(local_sk(sk)->state == SYNACK_ESTABLISHED ? EISCONN : EOPNOTSUPP);
	if ((flags & MSG_FASTOPEN) && msg->msg_name)
		return sendmsg_fastopen(st, fd, msg, (size_t)len, flags);
	return sk->ops->send(sk, msg->msg_iov, msg->msg_iovlen, (size_t)len, flags & SEND_FLAGS);
}

ssize_t synack_recv(struct synack_stack *st, int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	return synack_recvmsg(st, fd, &msg, flags);
}

ssize_t synack_recvmsg(struct synack_stack *st, int fd, struct msghdr *msg, int flags)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	/* AF_UNIX: as a kernel without CONFIG_AF_UNIX_OOB. */
	if ((flags & (MSG_OOB | MSG_ERRQUEUE)) == MSG_OOB)
		return fail(sk->family == AF_UNIX ? EOPNOTSUPP : EINVAL);
	if (!msg)
		return fail(EFAULT);
	ssize_t len = iov_total(msg->msg_iov, msg->msg_iovlen);
	if (len < 0)
		return -1;
	/* Linux tcp_recvmsg: the error queue first, in any state. */
	if (flags & MSG_ERRQUEUE)
		return sock_recv_errqueue(sk, msg);
	ssize_t r = sk->ops->recv(sk, msg->msg_iov, msg->msg_iovlen, (size_t)len, flags & RECV_FLAGS);
	if (r >= 0) {
		/* A stream socket names no source and sends no ancillary data. */
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
	}
	return r;
}

ssize_t synack_sendto(struct synack_stack *st, int fd, const void *buf, size_t len, int flags,
		      const struct sockaddr *to, socklen_t tolen)
{
	/* MSG_FASTOPEN: connect to the address with data in the SYN (RFC
	 * 7413); otherwise a connected stream socket ignores the address. */
	if (to && tolen) {
		struct sock *sk = sock_of(st, fd);
		if (sk && sk->family == AF_UNIX) {
			struct iovec v = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
			struct msghdr m = {.msg_name = (void *)(uintptr_t)to, .msg_namelen = tolen,
					   .msg_iov = &v, .msg_iovlen = 1};
			return synack_sendmsg(st, fd, &m, flags);
		}
	}
	if ((flags & MSG_FASTOPEN) && to) {
		struct sock *sk = sock_of(st, fd);
		uint32_t a;
		uint16_t p;
		if (!sk)
			return -1;
		if (!sk->ops->sendto_fastopen)
			return fail(EOPNOTSUPP);
		if (!buf && len)
			return fail(EFAULT);
		int r = get_sin(to, tolen, &a, &p, true);
		if (r < 0)
			return -1;
		if (r == 1)
			return fail(EOPNOTSUPP); /* Linux: AF_UNSPEC is a disconnect */
		return sk->ops->sendto_fastopen(sk, buf, len, a, p, flags);
	}
	return synack_send(st, fd, buf, len, flags);
}

ssize_t synack_recvfrom(struct synack_stack *st, int fd, void *buf, size_t len, int flags,
			struct sockaddr *from, socklen_t *fromlen)
{
	/* A stream socket does not fill in the source (Linux inet_recvmsg
	 * leaves msg_namelen 0): the length comes back 0, the buffer as is. */
	ssize_t n = synack_recv(st, fd, buf, len, flags);
	if (n >= 0 && from && fromlen)
		*fromlen = 0;
	return n;
}

ssize_t synack_read(struct synack_stack *st, int fd, void *buf, size_t len)
{
	return synack_recv(st, fd, buf, len, 0);
}

ssize_t synack_write(struct synack_stack *st, int fd, const void *buf, size_t len)
{
	return synack_send(st, fd, buf, len, 0);
}

int synack_close(struct synack_stack *st, int fd)
{
	switch (fd_kind(&st->fds, fd)) {
	case FD_SOCK: {
		struct sock *sk = fd_get(&st->fds, fd, FD_SOCK);
		fd_release(&st->fds, fd);
		sock_detach_watchers(sk);
		sk->fd = -1;
		sk->ops->close(sk);
		return 0;
	}
	case FD_EPOLL:
		epoll_inst_free(fd_get(&st->fds, fd, FD_EPOLL));
		fd_release(&st->fds, fd);
		return 0;
	default:
		return fail(EBADF);
	}
}

void socket_close_all(struct synack_stack *st)
{
	/* Epoll instances first, so sockets have no watchers left. */
	for (size_t fd = 0; fd < st->fds.size; fd++)
		if (st->fds.ent[fd].kind == FD_EPOLL)
			synack_close(st, (int)fd);
	for (size_t fd = 0; fd < st->fds.size; fd++)
		if (st->fds.ent[fd].kind == FD_SOCK) {
			struct sock *sk = st->fds.ent[fd].obj;
			fd_release(&st->fds, (int)fd);
			sk->fd = -1;
		}
}

int synack_shutdown(struct synack_stack *st, int fd, int how)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail(EINVAL);
	return sk->ops->shutdown(sk, how);
}

static int sock_name(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len,
		     bool peer)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (sk->ops->getname_sa)
		return sk->ops->getname_sa(sk, peer, addr, len);
	uint32_t a = 0;
	uint16_t p = 0;
	if (!sk->ops->name(sk, peer, &a, &p) && peer)
		return fail(ENOTCONN);
	return put_sin(addr, len, a, p);
}

int synack_getsockname(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(st, fd, addr, len, false);
}

int synack_getpeername(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(st, fd, addr, len, true);
}

int synack_setsockopt(struct synack_stack *st, int fd, int level, int name, const void *val,
		      socklen_t len)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if ((int)len < 0)
		return fail(EINVAL);
	if (!val && len)
		return fail(EFAULT);
	if (level == SOL_SOCKET)
		return sock_setsockopt(sk, name, val, len);
	return sk->ops->setsockopt(sk, level, name, val, len);
}

int synack_getsockopt(struct synack_stack *st, int fd, int level, int name, void *val,
		      socklen_t *len)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (!len || !val)
		return fail(EFAULT);
	if ((int)*len < 0)
		return fail(EINVAL);
	if (level == SOL_SOCKET)
		return sock_getsockopt(sk, name, val, len);
	return sk->ops->getsockopt(sk, level, name, val, len);
}

int synack_fcntl(struct synack_stack *st, int fd, int cmd, int arg)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (sk->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		sk->nonblock = arg & O_NONBLOCK;
		return 0;
	case F_GETFD:
		return sk->cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		sk->cloexec = arg & FD_CLOEXEC;
		return 0;
	default:
		return fail(EINVAL);
	}
}

int synack_ioctl(struct synack_stack *st, int fd, unsigned long req, void *arg)
{
	struct sock *sk = sock_of(st, fd);
	if (!sk)
		return -1;
	if (!arg)
		return fail(EFAULT);
	return sk->ops->ioctl(sk, req, arg);
}

void *sock_iov_gather(const struct iovec *iov, size_t iovcnt, size_t len, size_t max, size_t *n)
{
	size_t want = len < max ? len : max, got = 0;
	char *buf = malloc(want ? want : 1);
	if (!buf)
		return NULL;
	for (size_t i = 0; i < iovcnt && got < want; i++) {
		size_t k = iov[i].iov_len < want - got ? iov[i].iov_len : want - got;
		memcpy(buf + got, iov[i].iov_base, k);
		got += k;
	}
	*n = got;
	return buf;
}
