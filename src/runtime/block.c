/*
 * Blocking calls on the loop: where the stack's call says EAGAIN or
 * EINPROGRESS, run the loop (other callbacks included) until the socket
 * reports readiness, the timeout passes (ETIMEDOUT) or the loop is
 * stopped (EINTR), as a blocking Linux socket with SO_RCVTIMEO would.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <sys/ioctl.h>

#include "runtime/runtime_int.h"

int synack_loop_wait(struct synack_loop *l, int fd, uint32_t events, int timeout_ms)
{
	synack_time_t end = timeout_ms < 0 ? SYNACK_TIME_NEVER
					   : synack_loop_clock() + (synack_time_t)timeout_ms * 1000u;
	for (;;) {
		/* Timers first, so a connection that timed out reports it. */
		synack_poll(l->st, synack_loop_clock());
		if (synack_poll_events(l->st, fd) & (events | EPOLLERR | EPOLLHUP))
			return 0;
		if (l->stop) {
			errno = EINTR;
			return -1;
		}
		synack_time_t now = synack_loop_clock();
		if (now >= end) {
			errno = ETIMEDOUT;
			return -1;
		}
		int ms = end == SYNACK_TIME_NEVER ? -1 : (int)((end - now + 999) / 1000);
		if (synack_loop_run_once(l, ms) < 0)
			return -1;
	}
}

int synack_loop_connect(struct synack_loop *l, int fd, const struct sockaddr *addr, socklen_t len,
			int timeout_ms)
{
	if (synack_connect(l->st, fd, addr, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (synack_loop_wait(l, fd, EPOLLOUT, timeout_ms) < 0)
		return -1;
	int err = 0;
	socklen_t elen = sizeof(err);
	if (synack_getsockopt(l->st, fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int synack_loop_accept(struct synack_loop *l, int fd, struct sockaddr *addr, socklen_t *len,
		       int timeout_ms)
{
	for (;;) {
		int c = synack_accept(l->st, fd, addr, len);
		if (c >= 0 || errno != EAGAIN)
			return c;
		if (synack_loop_wait(l, fd, EPOLLIN, timeout_ms) < 0)
			return -1;
	}
}

ssize_t synack_loop_recv(struct synack_loop *l, int fd, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		ssize_t n = synack_recv(l->st, fd, buf, len, 0);
		if (n >= 0 || errno != EAGAIN)
			return n;
		if (synack_loop_wait(l, fd, EPOLLIN | EPOLLRDHUP, timeout_ms) < 0)
			return -1;
	}
}

ssize_t synack_loop_send(struct synack_loop *l, int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = synack_send(l->st, fd, p + done, len - done, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return done ? (ssize_t)done : -1;
		if (synack_loop_wait(l, fd, EPOLLOUT, timeout_ms) < 0)
			return done ? (ssize_t)done : -1;
	}
	return (ssize_t)done;
}

/* The socket's TCP state (enum synack_tcp_state), or 0 if it has none. */
static int tcp_state(struct synack_stack *st, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (synack_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_state;
}

/* Linux's closing(): our FIN is out and not yet acknowledged. */
static int fin_unacked(int state)
{
	return state == SYNACK_FIN_WAIT1 || state == SYNACK_CLOSING || state == SYNACK_LAST_ACK;
}

/*
 * close() as Linux's tcp_close with SO_LINGER {1, t > 0} (socket(7)): shut
 * both directions, as close does first (data arriving meanwhile draws a
 * RST), then wait as sk_stream_wait_close does until the FIN is acked or t
 * seconds pass, and close. Linux counts l_linger as unsigned seconds and
 * returns 0 whether or not the FIN was acked, with O_NONBLOCK too, and
 * after a signal (here: synack_loop_stop) as well. Unread data, {1, 0} and
 * {0, *} go straight to synack_close (RST or an orphan's FIN).
 */
int synack_loop_close(struct synack_loop *l, int fd)
{
	struct linger lg = {0};
	socklen_t len = sizeof(lg);
	int unread = 0;
	int state = tcp_state(l->st, fd);
	if (synack_getsockopt(l->st, fd, SOL_SOCKET, SO_LINGER, &lg, &len) < 0 || !lg.l_onoff ||
	    lg.l_linger == 0 || !state || state == SYNACK_LISTEN ||
	    synack_ioctl(l->st, fd, FIONREAD, &unread) < 0 || unread > 0)
		return synack_close(l->st, fd);
	/* close() takes the descriptor out of epoll sets at once, so no callback
	 * for it runs while it lingers. */
	if ((size_t)fd < l->nwatch && l->watch[fd].cb)
		synack_loop_unwatch(l, fd);
	if (state == SYNACK_ESTABLISHED || state == SYNACK_SYN_RECV || state == SYNACK_CLOSE_WAIT ||
	    fin_unacked(state))
		synack_shutdown(l->st, fd, SHUT_RDWR);
	synack_time_t end = synack_loop_clock() + SYNACK_SEC((unsigned)lg.l_linger);
	for (;;) {
		synack_poll(l->st, synack_loop_clock());
		if (!fin_unacked(tcp_state(l->st, fd)) || l->stop)
			break;
		synack_time_t now = synack_loop_clock();
		if (now >= end)
			break;
		synack_time_t ms = (end - now + 999) / 1000;
		if (synack_loop_run_once(l, ms > 60000 ? 60000 : (int)ms) < 0)
			break;
	}
	return synack_close(l->st, fd);
}
