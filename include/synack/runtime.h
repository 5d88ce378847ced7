/*
 * The runtime: an event loop that owns one stack, its TUN device and its
 * timers, on the host's CLOCK_MONOTONIC in microseconds. Unlike the core,
 * it reads the clock and blocks: it sleeps in epoll_wait on the device
 * (and any host descriptors the application adds) until a packet arrives
 * or the stack's next deadline, then feeds the stack and calls the
 * application's callbacks for the sockets that became ready.
 *
 * Two ways to use it:
 *  - callbacks: synack_loop_watch(fd, events, cb) for the stack's sockets,
 *    synack_loop_watch_host(osfd, ...) for host descriptors (stdin, ...),
 *    then synack_loop_run() until synack_loop_stop();
 *  - blocking calls for simple programs: synack_loop_connect, _accept,
 *    _recv, _send wait (running the loop, callbacks included) until the
 *    socket is ready or the timeout passes (errno ETIMEDOUT);
 *    synack_loop_close lingers as SO_LINGER says.
 * Library users with their own loop do not need this file: they call
 * synack_input and synack_poll themselves.
 */
#ifndef SYNACK_RUNTIME_H
#define SYNACK_RUNTIME_H

#include <stdint.h>
#include <synack/synack.h>
#include <synack/tun.h>

#ifdef __cplusplus
extern "C" {
#endif

struct synack_loop;
struct synack_pcap;

struct synack_loop_params {
	struct in_addr addr;               /* the stack's address */
	uint64_t seed;                     /* 0: from getrandom() */
	const struct synack_config *config; /* NULL: Linux defaults */
	struct synack_tun *tun;            /* the link; the loop closes it */
	struct synack_pcap *pcap;          /* NULL, or every packet in and out; closed by the loop */
	/* Optional: the stack's trace hook (state changes, segments, drops). */
	void (*trace)(void *ctx, const struct synack_trace *ev);
	void *trace_ctx;
};

/* The host's CLOCK_MONOTONIC in microseconds: the stack's time. */
synack_time_t synack_loop_clock(void);

/* NULL with errno on failure. The stack's MTU is the device's. */
struct synack_loop *synack_loop_new(const struct synack_loop_params *p);
/* Closes the stack, the device and the capture. */
void synack_loop_free(struct synack_loop *l);
struct synack_stack *synack_loop_stack(struct synack_loop *l);
struct synack_tun *synack_loop_tun(struct synack_loop *l);

/* Called with the EPOLL* events that are ready on a watched descriptor. */
typedef void (*synack_loop_cb)(struct synack_loop *l, int fd, uint32_t events, void *arg);

/* Watch a stack socket (level-triggered; events as in epoll); calling it
 * again on the same fd changes events, cb and arg. 0 or -1 with errno. */
int synack_loop_watch(struct synack_loop *l, int fd, uint32_t events, synack_loop_cb cb, void *arg);
int synack_loop_unwatch(struct synack_loop *l, int fd);
/* The same for a host descriptor. A regular file, which epoll refuses,
 * is reported ready on every pass. */
int synack_loop_watch_host(struct synack_loop *l, int osfd, uint32_t events, synack_loop_cb cb,
			   void *arg);
int synack_loop_unwatch_host(struct synack_loop *l, int osfd);

/* One pass: sleep at most timeout_ms (-1: until the stack's deadline or
 * a packet), feed the stack, run callbacks. 0, or -1 with errno. */
int synack_loop_run_once(struct synack_loop *l, int timeout_ms);
/* Passes until synack_loop_stop; 0, or -1 with errno. */
int synack_loop_run(struct synack_loop *l);
void synack_loop_stop(struct synack_loop *l);
int synack_loop_stopped(const struct synack_loop *l);

/* Blocking calls: timeout_ms -1 waits forever. They return as the
 * non-blocking calls do, or -1 with ETIMEDOUT, or EINTR once
 * synack_loop_stop was called. */
int synack_loop_connect(struct synack_loop *l, int fd, const struct sockaddr *addr, socklen_t len,
			int timeout_ms);
int synack_loop_accept(struct synack_loop *l, int fd, struct sockaddr *addr, socklen_t *len,
		       int timeout_ms);
ssize_t synack_loop_recv(struct synack_loop *l, int fd, void *buf, size_t len, int timeout_ms);
/* Sends all of buf, or fails (a short count if the connection failed midway). */
ssize_t synack_loop_send(struct synack_loop *l, int fd, const void *buf, size_t len, int timeout_ms);
/* Wait until fd reports one of events (or an error/hang-up). */
int synack_loop_wait(struct synack_loop *l, int fd, uint32_t events, int timeout_ms);
/* close() as Linux's, blocking where Linux blocks: with SO_LINGER
 * {1, t > 0} and nothing unread, shut both directions (data arriving
 * meanwhile draws a RST), run the loop until the FIN is acknowledged (the
 * state leaves FIN-WAIT-1, CLOSING, LAST-ACK) or t seconds pass, then
 * synack_close. Returns 0 either way, with O_NONBLOCK too and after
 * synack_loop_stop (socket(7)); an unacked FIN is then finished by the
 * orphan. Otherwise it is synack_close (RST for unread data or {1, 0}). */
int synack_loop_close(struct synack_loop *l, int fd);

/*
 * The control socket that `synack ss` and `synack nstat` talk to: a Unix
 * socket in synack_control_dir() named <pid>.sock, mode 0600 in a 0700
 * directory, and only the owner's uid (SO_PEERCRED) is answered. Served by
 * the loop. 0 or -1 with errno; the socket is removed by synack_loop_free.
 */
int synack_loop_control_open(struct synack_loop *l);
/* $XDG_RUNTIME_DIR/synack, else /run/synack for root, else /tmp/synack-<uid>. */
void synack_control_dir(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
