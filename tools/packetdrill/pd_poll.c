/* epoll, poll and pipe for packetdrill, on synack's readiness API. A wait
 * with a timeout runs on virtual time: the driving thread moves the clock
 * to the next timer or the deadline, the syscall thread sleeps. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "pd_call.h"

/* The virtual deadline of a timeout in milliseconds (< 0: none). */
static synack_time_t deadline_of(struct pd *pd, int timeout_ms)
{
	return timeout_ms < 0 ? SYNACK_TIME_NEVER : pd->now + (synack_time_t)timeout_ms * 1000u;
}

static int pd_epoll_create(void *ud, int size)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int r = -1;
	if (size <= 0) {
		errno = EINVAL; /* Linux epoll_create: size must be positive */
	} else {
		int sfd = synack_epoll_create(pd->st);
		if (sfd >= 0)
			r = pd_new_fd(pd, sfd);
	}
	PD_RETURN(pd, r);
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sep = pd_sfd(pd, epfd), sfd = sep < 0 ? -1 : pd_sfd(pd, fd);
	int r = sfd < 0 ? -1 : synack_epoll_ctl(pd->st, sep, op, sfd, ev);
	PD_RETURN(pd, r);
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *evs, int max, int timeout)
{
	struct pd *pd = ud;
	pd_enter(pd);
	int sep = pd_sfd(pd, epfd), r = -1, waits = 0;
	synack_time_t end = deadline_of(pd, timeout);
	while (sep >= 0) {
		r = synack_epoll_wait(pd->st, sep, evs, max, 0);
		if (r != 0 || pd->now >= end)
			break;
		pd_wait(pd, end);
		if (++waits > 1000000)
			break;
	}
	PD_RETURN(pd, r);
}

/* One pollfd: ours through the stack, others through the kernel. */
static short poll_one(struct pd *pd, const struct pollfd *p)
{
	if (p->fd < 0)
		return 0;
	int sfd = pd_fd_ok(p->fd) ? pd->map[p->fd] - 1 : -1;
	if (sfd < 0) {
		struct pollfd q = *p;
		return poll(&q, 1, 0) > 0 ? q.revents : 0;
	}
	/* EPOLL* and POLL* bits have the same values on Linux. */
	uint32_t ev = synack_poll_events(pd->st, sfd);
	return (short)(ev & ((uint32_t)(uint16_t)p->events | POLLERR | POLLHUP | POLLNVAL));
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout)
{
	struct pd *pd = ud;
	pd_enter(pd);
	synack_time_t end = deadline_of(pd, timeout);
	int r = 0;
	if (n && !fds) {
		errno = EFAULT;
		PD_RETURN(pd, -1);
	}
	for (int waits = 0; waits < 1000000; waits++) {
		r = 0;
		for (nfds_t i = 0; i < n; i++) {
			fds[i].revents = poll_one(pd, &fds[i]);
			r += fds[i].revents != 0;
		}
		if (r || pd->now >= end)
			break;
		pd_wait(pd, end);
	}
	PD_RETURN(pd, r);
}

static int pd_pipe(void *ud, int fds[2])
{
	return pipe(fds);
}

static int pd_splice(void *ud, int in, loff_t *off_in, int out, loff_t *off_out, size_t n,
		     unsigned int flags)
{
	errno = EINVAL; /* TCP splice is not offered */
	return -1;
}

void pd_poll_fill(struct pd_iface *ifc)
{
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
	ifc->poll = pd_poll;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
}
