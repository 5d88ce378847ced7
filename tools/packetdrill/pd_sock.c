/*
 * The socket calls of packetdrill's table, mapped onto synack_*. Where
 * Linux would sleep (a blocking socket, no MSG_DONTWAIT) the call waits
 * for the stack to change and tries again, as a kernel's wait queue would.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <synack/tcp_info.h>

#include "pd.h"
#include "pd_call.h"

#define PD_WAIT_LIMIT 1000000  /* bound on waits inside one blocking call */

void pd_enter(struct pd *pd)
{
	pd_lock(pd);
	if (pd_is_main(pd))
		pd_wait_bg_quiet(pd);
	else
		pd->bg_calls++;
}

void pd_leave(struct pd *pd)
{
	if (!pd_is_main(pd)) {
		pd->bg_calls--;
		pthread_cond_broadcast(&pd->cv);
	}
	pd_unlock(pd);
}

bool pd_blocking(struct pd *pd, int sfd, int flags)
{
	if (flags & MSG_DONTWAIT)
		return false;
	int fl = synack_fcntl(pd->st, sfd, F_GETFL, 0);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* Wait for a change before retrying a call that would block; false when
 * the bound is reached (the call then fails with EAGAIN). */
bool pd_block(struct pd *pd, int *waits)
{
	if (++*waits > PD_WAIT_LIMIT)
		return false;
	/* The driving thread blocked with nothing that could ever happen
	 * gives up after ~100 idle waits (a script bug, not a real wait). */
	if (!pd_wait(pd, SYNACK_TIME_NEVER) && pd_is_main(pd))
		*waits += PD_WAIT_LIMIT / 100;
	return true;
}

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct pd *pd = ud;
	pd_enter(pd);
	pd_load_sysctls(pd);
	int rfd = -1, sfd = synack_socket(pd->st, domain, type, protocol);
	if (sfd >= 0) {
		rfd = pd_new_fd(pd, sfd);
		if (rfd < 0) {
			int err = errno;
			synack_close(pd->st, sfd);
			errno = err;
		}
	}
	pd_leave(pd);
	return rfd;
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_bind(pd->st, sfd, addr, len);
	PD_RETURN(pd, r);
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_listen(pd->st, sfd, backlog);
	PD_RETURN(pd, r);
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *len)
{
	struct pd *pd = ud;
	int waits = 0, r;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	if (sfd < 0)
		PD_RETURN(pd, -1);
	for (;;) {
		r = synack_accept(pd->st, sfd, addr, len);
		if (r >= 0 || errno != EAGAIN || !pd_blocking(pd, sfd, 0) || !pd_block(pd, &waits))
			break;
	}
	if (r >= 0) {
		int c = r;
		r = pd_new_fd(pd, c);
		if (r < 0)
			synack_close(pd->st, c);
	}
	PD_RETURN(pd, r);
}

/* Wait for a connect's handshake to end: 0, or -1 with its error
 * (SO_ERROR) in errno. */
static int wait_connected(struct pd *pd, int sfd)
{
	int waits = 0;
	while (!(synack_poll_events(pd->st, sfd) & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		if (!pd_block(pd, &waits))
			return -1;
	int err = 0;
	socklen_t el = sizeof(err);
	synack_getsockopt(pd->st, sfd, SOL_SOCKET, SO_ERROR, &err, &el);
	errno = err;
	return err ? -1 : 0;
}

/* A blocking connect waits for the handshake's outcome. */
static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_connect(pd->st, sfd, addr, len);
	if (r < 0 && errno == EINPROGRESS && pd_blocking(pd, sfd, 0))
		r = wait_connected(pd, sfd);
	PD_RETURN(pd, r);
}

ssize_t pd_do_recv(struct pd *pd, int sfd, void *buf, size_t n, int flags,
		   struct sockaddr *from, socklen_t *fromlen)
{
	int waits = 0;
	ssize_t r;
	for (;;) {
		r = synack_recvfrom(pd->st, sfd, buf, n, flags, from, fromlen);
		if (r >= 0 || errno != EAGAIN || !pd_blocking(pd, sfd, flags) || !pd_block(pd, &waits))
			return r;
	}
}

/* A send that started a Fast Open connect (MSG_FASTOPEN, or the first
 * write after TCP_FASTOPEN_CONNECT) leaves the socket in SYN-SENT. A
 * blocking one then waits for the handshake, as Linux's
 * tcp_sendmsg_fastopen does, and fails with its error (-1, errno). */
static int fastopen_wait(struct pd *pd, int sfd, ssize_t r, int flags)
{
	struct synack_tcp_info ti;
	socklen_t l = sizeof(ti);
	if (r < 0 && errno != EINPROGRESS)
		return -1;
	if (!pd_blocking(pd, sfd, flags) ||
	    synack_getsockopt(pd->st, sfd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 ||
	    ti.tcpi_state != SYNACK_SYN_SENT)
		return r < 0 ? -1 : 0;
	return wait_connected(pd, sfd);
}

/* Linux's blocking send returns once every byte is queued (or on error
 * after some were: the count so far). */
ssize_t pd_do_send(struct pd *pd, int sfd, const void *buf, size_t n, int flags)
{
	int waits = 0;
	size_t done = 0;
	for (bool first = true;; first = false) {
		ssize_t r = synack_send(pd->st, sfd, (const char *)buf + done, n - done, flags);
		if (first && (r > 0 || (r < 0 && errno == EINPROGRESS))) {
			if (fastopen_wait(pd, sfd, r, flags) < 0)
				return -1;
			if (r < 0)
				continue; /* blocking (else fastopen_wait failed) and connected */
			flags &= ~MSG_FASTOPEN;
			/* Connected now: write the rest at once (Linux goes on
			 * in tcp_sendmsg_locked after the connect wait). */
			done += (size_t)r;
			if (done == n || !pd_blocking(pd, sfd, flags))
				return (ssize_t)done;
			continue;
		}
		if (r > 0)
			done += (size_t)r;
		if (r >= 0 && (done == n || !pd_blocking(pd, sfd, flags)))
			return (ssize_t)done;
		if (r < 0 && (errno != EAGAIN || !pd_blocking(pd, sfd, flags)))
			return done ? (ssize_t)done : -1;
		if (!pd_block(pd, &waits))
			return done ? (ssize_t)done : -1;
	}
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t n, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	ssize_t r = sfd < 0 ? -1 : pd_do_recv(pd, sfd, buf, n, flags, from, fromlen);
	PD_RETURN(pd, r);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t n, int flags)
{
	return pd_recvfrom(ud, fd, buf, n, flags, NULL, NULL);
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t n)
{
	struct pd *pd = ud;
	pd_lock(pd);
	bool ours = pd_fd_ok(fd) && pd->map[fd];
	pd_unlock(pd);
	if (!ours)
		return read(fd, buf, n);
	return pd_recvfrom(ud, fd, buf, n, 0, NULL, NULL);
}

/* sendto: with MSG_FASTOPEN and an address, the Fast Open connect, then
 * (blocking) the rest as a send; otherwise a send. */
ssize_t pd_do_sendto(struct pd *pd, int sfd, const void *buf, size_t n, int flags,
		     const struct sockaddr *to, socklen_t tolen)
{
	ssize_t r;
	if (to && (flags & MSG_FASTOPEN)) {
		pd_load_sysctls(pd); /* Linux reads tcp_fastopen at the call */
		r = synack_sendto(pd->st, sfd, buf, n, flags, to, tolen);
		if (fastopen_wait(pd, sfd, r, flags) < 0)
			return -1;
		if (pd_blocking(pd, sfd, flags) && (size_t)(r < 0 ? 0 : r) < n) {
			size_t done = r < 0 ? 0 : (size_t)r;
			ssize_t s = pd_do_send(pd, sfd, (const char *)buf + done, n - done,
					       flags & ~MSG_FASTOPEN);
			r = s < 0 ? (done ? (ssize_t)done : -1) : (ssize_t)(done + (size_t)s);
		}
		return r;
	}
	/* A stream socket ignores the address (synack_sendto): a send, which
	 * blocks as one (also the first write after TCP_FASTOPEN_CONNECT). */
	return pd_do_send(pd, sfd, buf, n, flags);
}

static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *to, socklen_t tolen)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	ssize_t r = sfd < 0 ? -1 : pd_do_sendto(pd, sfd, buf, n, flags, to, tolen);
	PD_RETURN(pd, r);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t n, int flags)
{
	return pd_sendto(ud, fd, buf, n, flags, NULL, 0);
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t n)
{
	struct pd *pd = ud;
	pd_lock(pd);
	bool ours = pd_fd_ok(fd) && pd->map[fd];
	pd_unlock(pd);
	if (!ours)
		return write(fd, buf, n);
	return pd_sendto(ud, fd, buf, n, 0, NULL, 0);
}

static int pd_close(void *ud, int fd)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r;
	if (sfd < 0) {
		r = pd_real_close(fd);
	} else {
		r = synack_close(pd->st, sfd);
		pd_drop_fd(pd, fd);
	}
	PD_RETURN(pd, r);
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_shutdown(pd->st, sfd, how);
	PD_RETURN(pd, r);
}

#define PD_TCP_CC_INFO 26          /* Linux TCP_CC_INFO */
#define PD_SO_MEMINFO 55           /* Linux SO_MEMINFO */
#define PD_SK_MEMINFO_VARS 10

/* packetdrill's %{ }% checks also read TCP_CC_INFO (Linux: empty for
 * cubic and reno, which report nothing) and SO_MEMINFO (zeros here: the
 * stack keeps no skb memory accounting). */
int pd_do_getsockopt(struct pd *pd, int fd, int level, int name, void *val, socklen_t *len)
{
	int sfd = pd_sfd(pd, fd);
	if (sfd < 0)
		return -1;
	if (level == IPPROTO_TCP && name == PD_TCP_CC_INFO && len) {
		*len = 0;
		return 0;
	}
	if (level == SOL_SOCKET && name == PD_SO_MEMINFO && len && val) {
		uint32_t mem[PD_SK_MEMINFO_VARS] = {0};
		socklen_t n = *len < (socklen_t)sizeof(mem) ? *len : (socklen_t)sizeof(mem);
		memcpy(val, mem, n);
		*len = n;
		return 0;
	}
	return synack_getsockopt(pd->st, sfd, level, name, val, len);
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int r = pd_do_getsockopt(pd, fd, level, name, val, len);
	PD_RETURN(pd, r);
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	if (level == IPPROTO_TCP && name == TCP_FASTOPEN_CONNECT)
		pd_load_sysctls(pd); /* Linux reads tcp_fastopen at the call */
	int r = sfd < 0 ? -1 : synack_setsockopt(pd->st, sfd, level, name, val, len);
	PD_RETURN(pd, r);
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	struct pd *pd = ud;
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r;
	if (sfd < 0)
		r = fcntl(fd, cmd, arg);
	else
		r = synack_fcntl(pd->st, sfd, cmd, (int)arg);
	PD_RETURN(pd, r);
}

static int pd_ioctl(void *ud, int fd, unsigned long req, ...)
{
	struct pd *pd = ud;
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	pd_enter(pd);
	int sfd = pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_ioctl(pd->st, sfd, req, arg);
	PD_RETURN(pd, r);
}

void pd_sock_fill(struct pd_iface *ifc)
{
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->read = pd_read;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->write = pd_write;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
	ifc->close = pd_close;
	ifc->shutdown = pd_shutdown;
	ifc->getsockopt = pd_getsockopt;
	ifc->setsockopt = pd_setsockopt;
	pd_msg_fill(ifc);
}
