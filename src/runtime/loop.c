/*
 * The runtime's event loop (include/synack/runtime.h). This is not the
 * core: it reads CLOCK_MONOTONIC and sleeps in epoll_wait. The core's
 * rules still hold for the stack it drives: time is handed in with each
 * packet and the loop sleeps no longer than synack_poll's deadline.
 */
#include <synack/runtime.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <synack/pcap.h>

#include "runtime/runtime_int.h"

/* Packets read per device wake-up before the stack's timers and the
 * application get a turn. */
#define LOOP_RX_BATCH 64
#define LOOP_EVENTS 64
#define TUN_TAG UINT64_MAX

synack_time_t synack_loop_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u;
}

static void capture(struct synack_loop *l, const void *pkt, size_t len)
{
	if (!l->pcap)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* pcap readers expect wall-clock times */
	synack_pcap_write(l->pcap, (synack_time_t)ts.tv_sec * 1000000u + (synack_time_t)ts.tv_nsec / 1000u,
			  pkt, len);
}

/* env.xmit: straight to the device; it never calls back into the stack.
 * A write the kernel refuses for lack of room (EAGAIN, ENOBUFS) is local
 * congestion, which TCP retries as Linux does; other errors lose the
 * packet as the wire would. */
static int loop_xmit(void *ctx, const void *pkt, size_t len)
{
	struct synack_loop *l = ctx;
	if (synack_tun_write(l->tun, pkt, len) < 0 && (errno == EAGAIN || errno == ENOBUFS))
		return SYNACK_XMIT_DROP;
	capture(l, pkt, len);
	return SYNACK_XMIT_OK;
}

static void loop_rx(void *ctx, const void *pkt, size_t len)
{
	struct synack_loop *l = ctx;
	capture(l, pkt, len);
	synack_input(l->st, pkt, len, synack_loop_clock());
}

struct synack_loop *synack_loop_new(const struct synack_loop_params *p)
{
	struct synack_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->tun = p->tun;
	l->pcap = p->pcap;
	l->control_fd = -1;
	l->osep = epoll_create1(EPOLL_CLOEXEC);
	if (l->osep < 0)
		goto fail;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TUN_TAG};
	if (epoll_ctl(l->osep, EPOLL_CTL_ADD, synack_tun_fd(p->tun), &ev) < 0)
		goto fail;
	uint64_t seed = p->seed;
	if (!seed && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = synack_loop_clock() ^ (uint64_t)getpid() << 32;
	struct synack_params sp = {
		.addr = p->addr,
		.mtu = synack_tun_mtu(p->tun),
		.seed = seed,
		.now = synack_loop_clock(),
		.env = {.ctx = l, .xmit = loop_xmit, .trace = p->trace},
		.config = p->config,
	};
	/* The trace hook gets the application's context, not the loop. */
	l->trace = p->trace;
	l->trace_ctx = p->trace_ctx;
	if (p->trace)
		sp.env.trace = loop_trace;
	l->st = synack_stack_new(&sp);
	if (!l->st)
		goto fail;
	l->ep = synack_epoll_create(l->st);
	if (l->ep < 0)
		goto fail;
	return l;
fail:;
	int e = errno;
	if (l->st)
		synack_stack_free(l->st);
	if (l->osep >= 0)
		close(l->osep);
	free(l);
	errno = e;
	return NULL;
}

void loop_trace(void *ctx, const struct synack_trace *ev)
{
	struct synack_loop *l = ctx;
	l->trace(l->trace_ctx, ev);
}

void synack_loop_free(struct synack_loop *l)
{
	if (!l)
		return;
	loop_control_close(l);
	synack_stack_free(l->st);
	synack_tun_close(l->tun);
	if (l->pcap)
		synack_pcap_close(l->pcap);
	close(l->osep);
	free(l->watch);
	free(l->host);
	free(l);
}

struct synack_stack *synack_loop_stack(struct synack_loop *l) { return l->st; }
struct synack_tun *synack_loop_tun(struct synack_loop *l) { return l->tun; }
void synack_loop_stop(struct synack_loop *l) { l->stop = 1; }
int synack_loop_stopped(const struct synack_loop *l) { return l->stop; }

int synack_loop_watch(struct synack_loop *l, int fd, uint32_t events, synack_loop_cb cb, void *arg)
{
	if (fd < 0 || !cb) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)fd >= l->nwatch) {
		size_t n = (size_t)fd * 2 + 16;
		struct loop_watch *w = realloc(l->watch, n * sizeof(*w));
		if (!w)
			return -1;
		memset(w + l->nwatch, 0, (n - l->nwatch) * sizeof(*w));
		l->watch = w;
		l->nwatch = n;
	}
	struct loop_watch *w = &l->watch[fd];
	struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)fd};
	if (synack_epoll_ctl(l->st, l->ep, w->cb ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	*w = (struct loop_watch){.fd = fd, .events = events, .cb = cb, .arg = arg};
	return 0;
}

int synack_loop_unwatch(struct synack_loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatch || !l->watch[fd].cb) {
		errno = ENOENT;
		return -1;
	}
	l->watch[fd].cb = NULL;
	/* A closed descriptor already left the epoll set: ignore EBADF. */
	synack_epoll_ctl(l->st, l->ep, EPOLL_CTL_DEL, fd, NULL);
	return 0;
}

static struct loop_watch *find_host(struct synack_loop *l, int osfd)
{
	for (size_t i = 0; i < l->nhost; i++)
		if (l->host[i].cb && l->host[i].fd == osfd)
			return &l->host[i];
	return NULL;
}

int synack_loop_watch_host(struct synack_loop *l, int osfd, uint32_t events, synack_loop_cb cb,
			   void *arg)
{
	struct loop_watch *w = find_host(l, osfd);
	int op = w ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (!w) {
		for (size_t i = 0; i < l->nhost && !w; i++)
			if (!l->host[i].cb)
				w = &l->host[i];
		if (!w) {
			struct loop_watch *h = realloc(l->host, (l->nhost + 1) * sizeof(*h));
			if (!h)
				return -1;
			l->host = h;
			w = &l->host[l->nhost++];
		}
		memset(w, 0, sizeof(*w));
	}
	int always = w->always;
	if (!always) {
		struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)osfd};
		if (epoll_ctl(l->osep, op, osfd, &ev) < 0) {
			if (errno != EPERM)
				return -1;
			always = 1; /* a regular file: always ready, as poll() says */
		}
	}
	*w = (struct loop_watch){.fd = osfd, .events = events, .cb = cb, .arg = arg, .always = always};
	return 0;
}

int synack_loop_unwatch_host(struct synack_loop *l, int osfd)
{
	struct loop_watch *w = find_host(l, osfd);
	if (!w) {
		errno = ENOENT;
		return -1;
	}
	if (!w->always)
		epoll_ctl(l->osep, EPOLL_CTL_DEL, osfd, NULL);
	w->cb = NULL;
	return 0;
}

/* Call back every ready stack socket; returns how many were ready. */
static int dispatch_stack(struct synack_loop *l)
{
	struct epoll_event evs[LOOP_EVENTS];
	int n = synack_epoll_wait(l->st, l->ep, evs, LOOP_EVENTS, 0);
	for (int i = 0; i < n; i++) {
		int fd = (int)evs[i].data.u64;
		/* An earlier callback may have unwatched or closed it. */
		if ((size_t)fd < l->nwatch && l->watch[fd].cb && (evs[i].events & (l->watch[fd].events |
									     EPOLLERR | EPOLLHUP)))
			l->watch[fd].cb(l, fd, evs[i].events, l->watch[fd].arg);
	}
	return n > 0 ? n : 0;
}

static int always_ready(const struct synack_loop *l)
{
	for (size_t i = 0; i < l->nhost; i++)
		if (l->host[i].cb && l->host[i].always && l->host[i].events)
			return 1;
	return 0;
}

static int sleep_ms(struct synack_loop *l, synack_time_t deadline, int timeout_ms)
{
	if (deadline == SYNACK_TIME_NEVER)
		return timeout_ms;
	synack_time_t now = synack_loop_clock();
	/* Round up: waking a little late is harmless, early means a spin. */
	synack_time_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
	if (ms > 60000)
		ms = 60000;
	if (timeout_ms >= 0 && (synack_time_t)timeout_ms < ms)
		return timeout_ms;
	return (int)ms;
}

static void dispatch_host(struct synack_loop *l, int osfd, uint32_t events)
{
	struct loop_watch *w = find_host(l, osfd);
	if (w && (events & (w->events | EPOLLERR | EPOLLHUP)))
		w->cb(l, osfd, events, w->arg);
}

int synack_loop_run_once(struct synack_loop *l, int timeout_ms)
{
	synack_time_t deadline = synack_poll(l->st, synack_loop_clock());
	int busy = dispatch_stack(l);
	if (l->stop)
		return 0;
	int t = busy || always_ready(l) ? 0 : sleep_ms(l, deadline, timeout_ms);
	struct epoll_event evs[LOOP_EVENTS];
	int n = epoll_wait(l->osep, evs, LOOP_EVENTS, t);
	if (n < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 == TUN_TAG) {
			if (synack_tun_read_batch(l->tun, LOOP_RX_BATCH, loop_rx, l) < 0)
				return -1;
		} else {
			dispatch_host(l, (int)evs[i].data.u64, evs[i].events);
		}
	}
	for (size_t i = 0; i < l->nhost; i++) {
		struct loop_watch *w = &l->host[i];
		if (w->cb && w->always && w->events)
			w->cb(l, w->fd, w->events & (EPOLLIN | EPOLLOUT), w->arg);
	}
	synack_poll(l->st, synack_loop_clock());
	dispatch_stack(l);
	return 0;
}

int synack_loop_run(struct synack_loop *l)
{
	while (!l->stop)
		if (synack_loop_run_once(l, -1) < 0)
			return -1;
	return 0;
}
