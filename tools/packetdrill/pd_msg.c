/* readv, writev, recvmsg and sendmsg: gathered into one buffer so the
 * stack sees one call, as a kernel's sendmsg sees one message. sendmsg
 * hands the vector itself to synack_sendmsg first (MSG_ZEROCOPY lays
 * buffers out by its entries' pages), and recvmsg(MSG_ERRQUEUE) goes to
 * synack_recvmsg, which fills msg_control with the IP_RECVERR cmsg. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/tcp.h>

#include <synack/tcp_info.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pd_call.h"

/* Total bytes of iov, or -1 with EINVAL for a bad vector (as Linux). */
static ssize_t iov_total(const struct iovec *iov, int n)
{
	size_t t = 0;
	if (n < 0 || n > IOV_MAX || (n && !iov)) {
		errno = n < 0 || n > IOV_MAX ? EINVAL : EFAULT;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - t) {
			errno = EINVAL;
			return -1;
		}
		t += iov[i].iov_len;
	}
	return (ssize_t)t;
}

/* The vector's bytes from offset skip on, gathered and sent as a
 * blocking send would (pd_do_sendto: to is a Fast Open destination). */
static ssize_t gather_send_from(struct pd *pd, int fd, const struct iovec *iov, int n,
				int flags, size_t skip, const struct sockaddr *to, socklen_t tolen)
{
	int sfd = pd_sfd(pd, fd);
	ssize_t total = sfd < 0 ? -1 : iov_total(iov, n);
	if (total < 0)
		return -1;
	char *buf = malloc(total ? (size_t)total : 1);
	if (!buf) {
		errno = ENOBUFS;
		return -1;
	}
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		if (iov[i].iov_len)
			memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	ssize_t r = pd_do_sendto(pd, sfd, buf + skip, (size_t)total - skip, flags, to, tolen);
	free(buf);
	return r;
}

static ssize_t gather_send(struct pd *pd, int fd, const struct iovec *iov, int n, int flags,
			   const struct sockaddr *to, socklen_t tolen)
{
	return gather_send_from(pd, fd, iov, n, flags, 0, to, tolen);
}

static ssize_t scatter_recv(struct pd *pd, int fd, const struct iovec *iov, int n, int flags,
			    struct sockaddr *from, socklen_t *fromlen)
{
	int sfd = pd_sfd(pd, fd);
	ssize_t total = sfd < 0 ? -1 : iov_total(iov, n);
	if (total < 0)
		return -1;
	char *buf = malloc(total ? (size_t)total : 1);
	if (!buf) {
		errno = ENOBUFS;
		return -1;
	}
	ssize_t r = pd_do_recv(pd, sfd, buf, (size_t)total, flags, from, fromlen);
	size_t off = 0;
	for (int i = 0; r > 0 && i < n && off < (size_t)r; i++) {
		size_t c = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len : (size_t)r - off;
		memcpy(iov[i].iov_base, buf + off, c);
		off += c;
	}
	free(buf);
	return r;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int n)
{
	struct pd *pd = ud;
	pd_enter(pd);
	ssize_t r = scatter_recv(pd, fd, iov, n, 0, NULL, NULL);
	PD_RETURN(pd, r);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int n)
{
	struct pd *pd = ud;
	pd_enter(pd);
	ssize_t r = gather_send(pd, fd, iov, n, 0, NULL, 0);
	PD_RETURN(pd, r);
}

/* TCP_INQ on: one TCP_CM_INQ cmsg with the bytes left to read (Linux
 * tcp_recvmsg); otherwise no ancillary data. */
static void put_inq(struct pd *pd, int fd, struct msghdr *msg)
{
	int sfd = pd_sfd(pd, fd), on = 0, inq = 0;
	socklen_t l = sizeof(on);
	size_t room = msg->msg_controllen;
	msg->msg_controllen = 0;
	if (sfd < 0 || synack_getsockopt(pd->st, sfd, IPPROTO_TCP, TCP_INQ, &on, &l) < 0 || !on)
		return;
	if (!msg->msg_control || room < CMSG_SPACE(sizeof(int))) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	synack_ioctl(pd->st, sfd, FIONREAD, &inq);
	struct synack_tcp_info ti;
	l = sizeof(ti);
	if (inq == 0 && synack_getsockopt(pd->st, sfd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 &&
	    (ti.tcpi_state == SYNACK_CLOSE_WAIT || ti.tcpi_state == SYNACK_LAST_ACK ||
	     ti.tcpi_state == SYNACK_CLOSING || ti.tcpi_state == SYNACK_TIME_WAIT))
		inq = 1; /* Linux: the peer's FIN reads as one byte (SOCK_DONE) */
	struct cmsghdr *c = msg->msg_control;
	c->cmsg_level = IPPROTO_TCP;
	c->cmsg_type = TCP_CM_INQ;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &inq, sizeof(int));
	msg->msg_controllen = CMSG_SPACE(sizeof(int));
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	ssize_t r;
	if (!msg) {
		errno = EFAULT;
		r = -1;
	} else if (flags & MSG_ERRQUEUE) {
		int sfd = pd_sfd(pd, fd);
		r = sfd < 0 ? -1 : synack_recvmsg(pd->st, sfd, msg, flags);
	} else {
		socklen_t fl = msg->msg_namelen;
		r = scatter_recv(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags,
				 msg->msg_name, msg->msg_name ? &fl : NULL);
		if (r >= 0) {
			msg->msg_namelen = msg->msg_name ? fl : 0;
			msg->msg_flags = 0;
			put_inq(pd, fd, msg);
		}
	}
	PD_RETURN(pd, r);
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	struct pd *pd = ud;
	pd_enter(pd);
	ssize_t r;
	if (!msg) {
		errno = EFAULT;
		r = -1;
	} else {
		if (flags & MSG_FASTOPEN) {
			/* Connect and send: the destination rides along. */
			r = gather_send(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags,
					msg->msg_name, msg->msg_namelen);
			PD_RETURN(pd, r);
		}
		/* One call as the script made it; if it would block (or took
		 * part) and the socket blocks, the gathered rest waits. */
		int sfd = pd_sfd(pd, fd);
		ssize_t total = sfd < 0 ? -1 : iov_total(msg->msg_iov, (int)msg->msg_iovlen);
		r = total < 0 ? -1 : synack_sendmsg(pd->st, sfd, msg, flags);
		if (total >= 0 && pd_blocking(pd, sfd, flags) &&
		    ((r < 0 && errno == EAGAIN) || (r >= 0 && r < total))) {
			size_t done = r > 0 ? (size_t)r : 0;
			ssize_t rest = gather_send_from(pd, fd, msg->msg_iov, (int)msg->msg_iovlen,
							flags, done, NULL, 0);
			r = rest < 0 ? (done ? (ssize_t)done : -1) : (ssize_t)done + rest;
		}
	}
	PD_RETURN(pd, r);
}

void pd_msg_fill(struct pd_iface *ifc)
{
	ifc->readv = pd_readv;
	ifc->writev = pd_writev;
	ifc->recvmsg = pd_recvmsg;
	ifc->sendmsg = pd_sendmsg;
}
