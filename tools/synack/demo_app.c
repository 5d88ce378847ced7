/*
 * The demo's applications, written as non-blocking event loops that run
 * between memlink steps: A connects, writes DEMO_MSG, reads the echo and
 * closes; B accepts, echoes until end of file and closes. With
 * --simultaneous-close both close at the instant A has read the echo.
 */
#include "demo_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int demo_fail(struct demo *d, const char *fmt, ...)
{
	if (!d->why[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->why, sizeof(d->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct sockaddr_in sin_of(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

/* Socket calls are bracketed so the ladder can name what caused a row. */
static void call_begin(struct demo_host *h, const char *call)
{
	ladder_app_begin(h->d->lad, h->id, call);
}

static void call_end(struct demo_host *h)
{
	ladder_app_end(h->d->lad);
}

static int app_close(struct demo_host *h, int *fd, const char *call)
{
	call_begin(h, call);
	int rc = synack_close(h->st, *fd);
	call_end(h);
	*fd = -1;
	if (rc < 0)
		return demo_fail(h->d, "%c: close: %s", h->id ? 'B' : 'A', strerror(errno));
	return 0;
}

int demo_listen(struct demo *d)
{
	struct demo_host *b = &d->host[1];
	struct sockaddr_in sin = sin_of("0.0.0.0", DEMO_PORT);
	b->lfd = synack_socket(b->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (b->lfd < 0)
		return demo_fail(d, "B: socket: %s", strerror(errno));
	if (synack_bind(b->st, b->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return demo_fail(d, "B: bind: %s", strerror(errno));
	call_begin(b, "listen()");
	int rc = synack_listen(b->st, b->lfd, 8);
	call_end(b);
	if (rc < 0)
		return demo_fail(d, "B: listen: %s", strerror(errno));
	return 0;
}

/* Read what is there into h->buf; sets h->eof. Returns bytes read, -1. */
static ssize_t app_read(struct demo_host *h)
{
	if (h->got == sizeof(h->buf))
		return demo_fail(h->d, "%c: more bytes arrived than were sent", h->id ? 'B' : 'A');
	call_begin(h, "read()");
	ssize_t n = synack_read(h->st, h->fd, h->buf + h->got, sizeof(h->buf) - h->got);
	call_end(h);
	if (n > 0)
		h->got += (size_t)n;
	else if (n == 0)
		h->eof = true;
	else if (errno != EAGAIN)
		return demo_fail(h->d, "%c: read: %s", h->id ? 'B' : 'A', strerror(errno));
	return n > 0 ? n : 0;
}

/* Write data[h->put..len); returns bytes written or -1. */
static ssize_t app_write(struct demo_host *h, const char *data, size_t len)
{
	if (h->put >= len)
		return 0;
	char call[32];
	snprintf(call, sizeof(call), "write(%zu)", len - h->put);
	call_begin(h, call);
	ssize_t n = synack_write(h->st, h->fd, data + h->put, len - h->put);
	call_end(h);
	if (n < 0)
		return errno == EAGAIN ? 0 : demo_fail(h->d, "%c: write: %s", h->id ? 'B' : 'A',
							strerror(errno));
	h->put += (size_t)n;
	return n;
}

/* A's steps. Each returns 1 if it made progress, 0 if not, -1 on failure. */
static int a_connect(struct demo *d, struct demo_host *a)
{
	struct sockaddr_in to = sin_of(DEMO_ADDR_B, DEMO_PORT);
	a->fd = synack_socket(a->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (a->fd < 0)
		return demo_fail(d, "A: socket: %s", strerror(errno));
	call_begin(a, "connect()");
	int rc = synack_connect(a->st, a->fd, (struct sockaddr *)&to, sizeof(to));
	call_end(a);
	if (rc < 0 && errno != EINPROGRESS)
		return demo_fail(d, "A: connect: %s", strerror(errno));
	a->phase = PH_CONNECTING;
	return 1;
}

static int a_connecting(struct demo *d, struct demo_host *a)
{
	uint32_t ev = synack_poll_events(a->st, a->fd);
	if (ev & (EPOLLERR | EPOLLHUP)) {
		int err = 0;
		socklen_t len = sizeof(err);
		synack_getsockopt(a->st, a->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		return demo_fail(d, "A: connect: %s", strerror(err ? err : ECONNREFUSED));
	}
	if (!(ev & EPOLLOUT))
		return 0;
	a->phase = PH_TALKING;
	return 1;
}

static int a_talk(struct demo *d, struct demo_host *a)
{
	ssize_t w = app_write(a, DEMO_MSG, DEMO_MSG_LEN);
	ssize_t r = w < 0 ? -1 : app_read(a);
	if (w < 0 || r < 0)
		return -1;
	if (a->eof && a->got < DEMO_MSG_LEN)
		return demo_fail(d, "A: the connection ended after %zu of %zu echoed bytes", a->got,
				 DEMO_MSG_LEN);
	if (a->got >= DEMO_MSG_LEN && !d->opt.simultaneous_close) {
		if (app_close(a, &a->fd, "close()") < 0)
			return -1;
		a->phase = PH_DONE;
		return 1;
	}
	return w > 0 || r > 0;
}

/* A, the client. */
static int run_a(struct demo *d)
{
	struct demo_host *a = &d->host[0];
	switch (a->phase) {
	case PH_IDLE:
		return a_connect(d, a);
	case PH_CONNECTING:
		return a_connecting(d, a);
	case PH_TALKING:
		return a_talk(d, a);
	case PH_DONE:
		break;
	}
	return 0;
}

/* B is done with its connection: close it, then the listener. */
static int b_finish(struct demo_host *b)
{
	if (app_close(b, &b->fd, "close()") < 0 || app_close(b, &b->lfd, "close(listener)") < 0)
		return -1;
	b->phase = PH_DONE;
	return 1;
}

/* B, the echo server. Returns 1 on progress, 0 if none, -1 on failure. */
static int run_b(struct demo *d)
{
	struct demo_host *b = &d->host[1];
	switch (b->phase) {
	case PH_IDLE:
		call_begin(b, "accept()");
		b->fd = synack_accept(b->st, b->lfd, NULL, NULL);
		call_end(b);
		if (b->fd < 0)
			return errno == EAGAIN ? 0 : demo_fail(d, "B: accept: %s", strerror(errno));
		b->phase = PH_TALKING;
		return 1;
	case PH_TALKING: {
		ssize_t r = app_read(b);
		ssize_t w = r < 0 ? -1 : app_write(b, b->buf, b->got);
		if (r < 0 || w < 0)
			return -1;
		if (b->eof && b->put == b->got)
			return b_finish(b);
		return r > 0 || w > 0;
	}
	case PH_CONNECTING:
	case PH_DONE:
		break;
	}
	return 0;
}

/* --simultaneous-close: once A has the whole echo, both close now. */
static int run_both_close(struct demo *d)
{
	struct demo_host *a = &d->host[0], *b = &d->host[1];
	if (!d->opt.simultaneous_close || a->phase != PH_TALKING || a->got < DEMO_MSG_LEN ||
	    b->phase != PH_TALKING || b->put != b->got)
		return 0;
	if (app_close(a, &a->fd, "close()") < 0)
		return -1;
	a->phase = PH_DONE;
	return b_finish(b);
}

/* Run the applications until none makes progress at this instant. */
static int run_apps(struct demo *d)
{
	for (int round = 0; round < 100; round++) {
		int pa = run_a(d);
		int pb = pa < 0 ? -1 : run_b(d);
		int pc = pb < 0 ? -1 : run_both_close(d);
		if (pa < 0 || pb < 0 || pc < 0)
			return -1;
		if (!pa && !pb && !pc)
			return 0;
	}
	return 0;
}

static bool finished(const struct demo *d)
{
	for (int i = 0; i < 2; i++) {
		const struct demo_host *h = &d->host[i];
		if (h->phase != PH_DONE || ladder_state(d->lad, i) != SYNACK_CLOSE ||
		    synack_sockets(h->st, NULL, 0) != 0)
			return false;
	}
	return true;
}

int demo_drive(struct demo *d)
{
	synack_time_t limit = memlink_now(d->net) + DEMO_TIME_LIMIT;
	for (d->steps = 0;; d->steps++) {
		if (run_apps(d) < 0)
			return -1;
		if (finished(d))
			return 0;
		if (d->steps >= DEMO_STEP_LIMIT)
			return demo_fail(d, "gave up after %u network steps", DEMO_STEP_LIMIT);
		bool more = memlink_step(d->net, limit);
		ladder_step_end(d->lad);
		if (!more && memlink_now(d->net) >= limit)
			return demo_fail(d, "not finished after %llu s of virtual time",
					 (unsigned long long)(DEMO_TIME_LIMIT / 1000000u));
		if (!more)
			return demo_fail(d, "the network went quiet before the exchange finished");
	}
}
