/*
 * Readiness in epoll's shape (epoll(7)). Each registration sits on its
 * socket's watcher list; a wakeup puts it on its instance's ready list,
 * and epoll_wait asks the socket for its mask. Level-triggered entries
 * stay on the list while ready; edge-triggered ones are reported once per
 * wakeup; EPOLLONESHOT disables an entry until EPOLL_CTL_MOD.
 */
#include <errno.h>
#include <stdlib.h>

#include "socket/socket.h"

struct epoll_inst;

struct epitem {
	struct epoll_inst *ep;
	struct sock *sk;
	int fd;
	struct epoll_event ev;
	bool on_ready;
	struct epitem *sk_next;            /* the socket's watchers */
	struct epitem *ep_next, *ep_prev;  /* the instance's registrations */
	struct epitem *rd_next;            /* the ready list */
};

struct epoll_inst {
	struct epitem *items;
	struct epitem *rd_head, *rd_tail;
};

static void ready_push(struct epoll_inst *ep, struct epitem *it)
{
	if (it->on_ready)
		return;
	it->on_ready = true;
	it->rd_next = NULL;
	if (ep->rd_tail)
		ep->rd_tail->rd_next = it;
	else
		ep->rd_head = it;
	ep->rd_tail = it;
}

static void ready_remove(struct epoll_inst *ep, struct epitem *it)
{
	if (!it->on_ready)
		return;
	struct epitem **pp = &ep->rd_head, *prev = NULL;
	while (*pp && *pp != it) {
		prev = *pp;
		pp = &(*pp)->rd_next;
	}
	if (*pp)
		*pp = it->rd_next;
	if (ep->rd_tail == it)
		ep->rd_tail = prev;
	it->on_ready = false;
	it->rd_next = NULL;
}

void sock_wakeup(struct sock *sk)
{
	for (struct epitem *it = sk->watchers; it; it = it->sk_next)
		ready_push(it->ep, it);
	struct synack_stack *st = sk->st;
	if (st->env.event && sk->fd >= 0)
		st->env.event(st->env.ctx, sk->fd, sk->ops->poll(sk));
}

static void item_unlink(struct epitem *it)
{
	struct epoll_inst *ep = it->ep;
	ready_remove(ep, it);
	for (struct epitem **pp = &it->sk->watchers; *pp; pp = &(*pp)->sk_next)
		if (*pp == it) {
			*pp = it->sk_next;
			break;
		}
	if (it->ep_prev)
		it->ep_prev->ep_next = it->ep_next;
	else
		ep->items = it->ep_next;
	if (it->ep_next)
		it->ep_next->ep_prev = it->ep_prev;
	free(it);
}

void sock_detach_watchers(struct sock *sk)
{
	while (sk->watchers)
		item_unlink(sk->watchers);
}

int synack_epoll_create(struct synack_stack *st)
{
	struct epoll_inst *ep = calloc(1, sizeof(*ep));
	if (!ep) {
		errno = ENOMEM;
		return -1;
	}
	int fd = fd_alloc(&st->fds, FD_EPOLL, ep);
	if (fd < 0)
		free(ep);
	return fd;
}

void epoll_inst_free(struct epoll_inst *ep)
{
	while (ep->items)
		item_unlink(ep->items);
	free(ep);
}

static struct epitem *find_item(struct epoll_inst *ep, int fd)
{
	for (struct epitem *it = ep->items; it; it = it->ep_next)
		if (it->fd == fd)
			return it;
	return NULL;
}

int synack_epoll_ctl(struct synack_stack *st, int epfd, int op, int fd, struct epoll_event *ev)
{
	struct epoll_inst *ep = fd_get(&st->fds, epfd, FD_EPOLL);
	if (!ep) {
		errno = fd_kind(&st->fds, epfd) == FD_NONE ? EBADF : EINVAL;
		return -1;
	}
	if (fd == epfd) {
		errno = EINVAL;
		return -1;
	}
	struct sock *sk = fd_get(&st->fds, fd, FD_SOCK);
	if (!sk) {
		errno = fd_kind(&st->fds, fd) == FD_NONE ? EBADF : EPERM;
		return -1;
	}
	if (op != EPOLL_CTL_DEL && !ev) {
		errno = EFAULT;
		return -1;
	}
	struct epitem *it = find_item(ep, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			errno = EEXIST;
			return -1;
		}
		it = calloc(1, sizeof(*it));
		if (!it) {
			errno = ENOMEM;
			return -1;
		}
		it->ep = ep;
		it->sk = sk;
		it->fd = fd;
		it->ev = *ev;
		it->sk_next = sk->watchers;
		sk->watchers = it;
		it->ep_next = ep->items;
		if (ep->items)
			ep->items->ep_prev = it;
		ep->items = it;
		ready_push(ep, it); /* as Linux: check readiness at once */
		return 0;
	case EPOLL_CTL_MOD:
		if (!it) {
			errno = ENOENT;
			return -1;
		}
		it->ev = *ev;
		ready_push(ep, it);
		return 0;
	case EPOLL_CTL_DEL:
		if (!it) {
			errno = ENOENT;
			return -1;
		}
		item_unlink(it);
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

int synack_epoll_wait(struct synack_stack *st, int epfd, struct epoll_event *evs, int max, int timeout)
{
	struct epoll_inst *ep = fd_get(&st->fds, epfd, FD_EPOLL);
	if (!ep) {
		errno = fd_kind(&st->fds, epfd) == FD_NONE ? EBADF : EINVAL;
		return -1;
	}
	if (max <= 0 || !evs) {
		errno = max <= 0 ? EINVAL : EFAULT;
		return -1;
	}
	(void)timeout; /* the core never waits; the runtime does */
	int n = 0;
	/* Walk the ready list once; level-triggered items go back on the tail. */
	struct epitem *tail = ep->rd_tail;
	while (n < max && ep->rd_head) {
		struct epitem *it = ep->rd_head;
		bool last = it == tail;
		ready_remove(ep, it);
		uint32_t want = it->ev.events | EPOLLERR | EPOLLHUP;
		uint32_t mask = it->sk->ops->poll(it->sk) & want;
		if (mask && (it->ev.events & ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE))) {
			evs[n].events = mask;
			evs[n].data = it->ev.data;
			n++;
			if (it->ev.events & EPOLLONESHOT)
				it->ev.events = 0;
			else if (!(it->ev.events & EPOLLET))
				ready_push(ep, it);
		}
		if (last)
			break;
	}
	return n;
}

uint32_t synack_poll_events(struct synack_stack *st, int fd)
{
	struct sock *sk = fd_get(&st->fds, fd, FD_SOCK);
	return sk ? sk->ops->poll(sk) : 0x20; /* POLLNVAL */
}
