/*
 * synack echo-server, discard and source: the classic inetd services
 * (RFC 862 echo, RFC 863 discard, and a chargen-like bulk source) over
 * the stack, event-driven on the runtime loop.
 *   echo-server  sends back what it reads; closes once the peer has
 *                closed its side and everything was echoed (half-close
 *                aware: a peer that shuts down writing still gets it all)
 *   discard      reads and throws away, and reports the rate per connection;
 *                with --hold never reads nor closes (the bug behind a
 *                CLOSE-WAIT that never ends, to look at with `synack ss`)
 *   source       sends "synack\n" repeated (--bytes N, then closes; without
 *                it, until the peer closes), and reads and throws away
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srv.h"
#include "servers.h"

enum svc { SVC_ECHO, SVC_DISCARD, SVC_SOURCE };

struct svc_app;

struct svc_conn {
	struct svc_app *app;
	struct svc_conn *prev, *next;
	int fd;
	struct sockaddr_in peer;
	uint64_t in, out, start;
	size_t head, tail;          /* echo: pending bytes buf[head..tail) */
	int eof;                    /* 1: the peer closed its side, 2: failed */
	int shut;                   /* source: our FIN is queued */
	char buf[SRV_CHUNK];
};

struct svc_app {
	enum svc kind;
	uint64_t bytes;             /* source: how much to send, 0 = unbounded */
	bool hold;                  /* discard --hold: leave each connection alone */
	struct svc_conn *conns;
	struct net_opts o;
	struct net_run *run;
};

static void conn_close(struct net_run *r, struct svc_conn *c)
{
	synack_loop_unwatch(r->loop, c->fd);
	synack_close(r->st, c->fd);
	srv_report(r, &c->peer, c->in, c->out, c->start);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->app->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/* Read what is there (bounded by one buffer per pass). For echo, into the
 * pending buffer; otherwise thrown away. Returns -1 on a hard error. */
static int svc_read(struct net_run *r, struct svc_conn *c)
{
	for (int i = 0; i < 16 && !c->eof; i++) {
		char *p = c->buf;
		size_t room = sizeof(c->buf);
		if (c->app->kind == SVC_ECHO) {
			if (c->tail == sizeof(c->buf))
				return 0; /* full: wait until the peer takes its echo */
			p = c->buf + c->tail;
			room = sizeof(c->buf) - c->tail;
		}
		ssize_t n = synack_recv(r->st, c->fd, p, room, 0);
		if (n == 0)
			c->eof = 1;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->in += (uint64_t)n;
		if (c->app->kind == SVC_ECHO)
			c->tail += (size_t)n;
	}
	return 0;
}

static int svc_write(struct net_run *r, struct svc_conn *c)
{
	struct svc_app *a = c->app;
	for (int i = 0; i < 16; i++) {
		if (a->kind == SVC_SOURCE && c->head == c->tail) {
			uint64_t left = a->bytes ? a->bytes - c->out : SRV_CHUNK;
			size_t n = left < SRV_CHUNK ? (size_t)left : SRV_CHUNK;
			srv_pattern_fill(c->buf, n, c->out);
			c->head = 0;
			c->tail = n;
		}
		if (c->head == c->tail)
			return 0;
		ssize_t n = synack_send(r->st, c->fd, c->buf + c->head, c->tail - c->head, 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->head += (size_t)n;
		c->out += (uint64_t)n;
		if (c->head == c->tail)
			c->head = c->tail = 0;
	}
	return 0;
}

static void on_conn_event(struct synack_loop *l, int fd, uint32_t events, void *arg);

static void rearm(struct net_run *r, struct svc_conn *c)
{
	struct svc_app *a = c->app;
	int done_sending = a->kind == SVC_SOURCE ? a->bytes && c->out == a->bytes
						 : c->head == c->tail;
	if (a->kind == SVC_SOURCE && done_sending && !c->shut) {
		/* All sent: our FIN; keep reading until the peer's. */
		synack_shutdown(r->st, c->fd, SHUT_WR);
		c->shut = 1;
	}
	if (c->eof && (done_sending || a->kind != SVC_ECHO)) {
		conn_close(r, c);
		return;
	}
	uint32_t ev = 0;
	if (!c->eof && (a->kind != SVC_ECHO || c->tail < sizeof(c->buf)))
		ev |= EPOLLIN;
	if (!done_sending)
		ev |= EPOLLOUT;
	synack_loop_watch(r->loop, c->fd, ev, on_conn_event, c);
}

static void on_conn_event(struct synack_loop *l, int fd, uint32_t events, void *arg)
{
	struct svc_conn *c = arg;
	struct net_run *r = c->app->run;
	if ((events & EPOLLIN) && svc_read(r, c) < 0)
		c->eof = 2;
	if (c->eof != 2 && (events & EPOLLOUT) && svc_write(r, c) < 0)
		c->eof = 2;
	if (events & EPOLLERR)
		c->eof = 2;
	if (c->eof == 2) { /* reset or failed: nothing more to do */
		conn_close(r, c);
		return;
	}
	/* Echo: try to send what was just read without waiting a pass. */
	if (c->app->kind == SVC_ECHO && c->head != c->tail && svc_write(r, c) < 0) {
		conn_close(r, c);
		return;
	}
	rearm(r, c);
}

static void svc_new_conn(struct net_run *r, int fd, const struct sockaddr_in *peer, void *arg)
{
	struct svc_app *a = arg;
	struct svc_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		synack_close(r->st, fd);
		return;
	}
	a->run = r;
	c->app = a;
	c->fd = fd;
	c->peer = *peer;
	c->start = synack_loop_clock();
	c->next = a->conns;
	if (a->conns)
		a->conns->prev = c;
	a->conns = c;
	if (a->hold)
		return; /* never read, never closed: CLOSE-WAIT once the peer closes */
	rearm(r, c);
}

static const char echo_usage[] =
	"usage: synack echo-server [--port N] [OPTIONS]\n"
	"\n"
	"An echo server (RFC 862) on synack's address, over a TUN device: sends back\n"
	"what it reads, and closes once the peer has closed its side and all of it\n"
	"was echoed. Try: synack echo-server --netns echo &\n"
	"                 ip netns exec echo nc -N 10.211.0.2 7 <<< hello\n"
	"\n"
	"  --port N            the port to listen on (7)\n";
static const char discard_usage[] =
	"usage: synack discard [--port N] [OPTIONS]\n"
	"\n"
	"A discard server (RFC 863): reads and throws away, and prints each\n"
	"connection's byte count and rate on stderr when it closes. A bulk sink for\n"
	"throughput: ip netns exec NS sh -c 'head -c 100M /dev/zero | nc -N A 9'\n"
	"\n"
	"  --port N            the port to listen on (9)\n"
	"  --hold              accept, then never read nor close: a peer that closes\n"
	"                      leaves a CLOSE-WAIT with its bytes unread, as an\n"
	"                      application that forgot to close does (see it with\n"
	"                      synack ss -o state close-wait)\n";
static const char source_usage[] =
	"usage: synack source [--port N] [--bytes N] [OPTIONS]\n"
	"\n"
	"A bulk source: sends \"synack\\n\" repeated to each connection (the same bytes\n"
	"as `yes synack`), then closes; reads and throws away what the peer sends.\n"
	"\n"
	"  --port N            the port to listen on (19)\n"
	"  --bytes N           how much to send per connection (K, M, G suffixes:\n"
	"                      KiB, MiB, GiB); 0 or unset: until the peer closes\n";

static int svc_main(enum svc kind, const char *sub, const char *usage, unsigned port, int argc,
		    char **argv)
{
	static const struct option longopts[] = {
		NET_LONGOPTS,
		{"port", required_argument, NULL, NET_OPT_PORT},
		{"bytes", required_argument, NULL, 'b'},
		{"hold", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	struct svc_app a = {.kind = kind};
	net_opts_init(&a.o, sub, port);
	int c;
	while ((c = cli_getopt(sub, argc, argv, "hv", longopts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == 'h') {
			printf("%s%s", usage, NET_HELP);
			return CLI_OK;
		}
		if (c == 'b' && kind == SVC_SOURCE) {
			if (!cli_parse_bytes(optarg, &a.bytes))
				return cli_usage_error(sub, "--bytes wants a byte count (1048576, 1M), got "
							    "'%s'", optarg);
			continue;
		}
		if (c == 'b')
			return cli_usage_error(sub, "unknown option '--bytes' (try 'synack %s --help')", sub);
		if (c == 'H' && kind == SVC_DISCARD) {
			a.hold = true;
			continue;
		}
		if (c == 'H')
			return cli_usage_error(sub, "unknown option '--hold' (try 'synack %s --help')", sub);
		int rc = net_opt(&a.o, c, optarg);
		if (rc)
			return rc == 1 ? cli_usage_error(sub, "unexpected option") : rc;
	}
	if (cli_no_operands(sub, argc, argv) || net_opts_check(&a.o))
		return CLI_USAGE;
	int rc = srv_main(&a.o, svc_new_conn, &a);
	while (a.conns) { /* the loop is gone: just free */
		struct svc_conn *n = a.conns->next;
		free(a.conns);
		a.conns = n;
	}
	return rc;
}

int echo_main(int argc, char **argv)
{
	return svc_main(SVC_ECHO, "echo-server", echo_usage, 7, argc, argv);
}

int discard_main(int argc, char **argv)
{
	return svc_main(SVC_DISCARD, "discard", discard_usage, 9, argc, argv);
}

int source_main(int argc, char **argv)
{
	return svc_main(SVC_SOURCE, "source", source_usage, 19, argc, argv);
}
