/* The runtime's insides, shared by loop.c, block.c and control.c. */
#ifndef SYNACK_RUNTIME_INT_H
#define SYNACK_RUNTIME_INT_H

#include <stddef.h>
#include <synack/runtime.h>

struct loop_watch {
	int fd;
	uint32_t events;
	synack_loop_cb cb;           /* NULL: slot free */
	void *arg;
	int always;                  /* host fd epoll refuses (a regular file) */
};

struct synack_loop {
	struct synack_stack *st;
	struct synack_tun *tun;
	struct synack_pcap *pcap;
	int ep;                      /* the stack's epoll instance */
	int osep;                    /* the host's: the device and host fds */
	int stop;
	struct loop_watch *watch;    /* stack sockets, indexed by fd */
	size_t nwatch;
	struct loop_watch *host;     /* host descriptors */
	size_t nhost;
	void (*trace)(void *ctx, const struct synack_trace *ev);
	void *trace_ctx;
	int control_fd;              /* -1: no control socket */
	char control_path[108];
};

void loop_trace(void *ctx, const struct synack_trace *ev);
void loop_control_close(struct synack_loop *l);

#endif
