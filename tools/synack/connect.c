/*
 * synack connect HOST PORT: nc over the stack. stdin goes to the peer and
 * the peer to stdout; at the end of stdin the connection is half-closed
 * (shutdown SHUT_WR, our FIN), and the program ends once the peer has
 * closed too. stdin is read only when the socket has room, so a large
 * file streams at the connection's pace.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "servers.h"
#include "srv.h"

struct conn_app {
	struct net_opts o;
	struct net_run r;
	struct sockaddr_in dst;
	uint64_t timeout_ms, linger_ms;
	int fd;
	int in_eof, peer_eof, failed;
	uint64_t in, out;
	size_t head, tail;
	char buf[SRV_CHUNK];
};

static void on_stdin(struct synack_loop *l, int osfd, uint32_t events, void *arg);
static void on_sock(struct synack_loop *l, int fd, uint32_t events, void *arg);

static void conn_fail(struct conn_app *a, const char *what, int err)
{
	if (!a->failed)
		fprintf(stderr, "synack: connect: %s: %s\n", what, strerror(err));
	a->failed = 1;
}

/* Interest follows the data: stdin while the buffer is empty, the
 * socket's EPOLLOUT while it is not. */
static void rearm(struct conn_app *a)
{
	if (a->in_eof && a->peer_eof)
		return;
	if (!a->in_eof)
		synack_loop_watch_host(a->r.loop, 0, a->head == a->tail ? EPOLLIN : 0, on_stdin, a);
	uint32_t ev = a->peer_eof ? 0 : EPOLLIN;
	if (a->head != a->tail)
		ev |= EPOLLOUT;
	synack_loop_watch(a->r.loop, a->fd, ev, on_sock, a);
}

static void flush(struct conn_app *a)
{
	while (a->head != a->tail) {
		ssize_t n = synack_send(a->r.st, a->fd, a->buf + a->head, a->tail - a->head, 0);
		if (n < 0) {
			if (errno != EAGAIN)
				conn_fail(a, "send", errno);
			return;
		}
		a->head += (size_t)n;
		a->out += (uint64_t)n;
	}
	a->head = a->tail = 0;
}

static void on_stdin(struct synack_loop *l, int osfd, uint32_t events, void *arg)
{
	struct conn_app *a = arg;
	if (a->head != a->tail || a->in_eof)
		return;
	ssize_t n = read(osfd, a->buf, sizeof(a->buf));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(a, "reading stdin", errno);
		return;
	}
	if (n == 0) {
		a->in_eof = 1;
		synack_loop_unwatch_host(l, osfd);
		synack_shutdown(a->r.st, a->fd, SHUT_WR); /* half-close: our FIN */
	} else {
		a->tail = (size_t)n;
		flush(a);
	}
	rearm(a);
}

static void on_sock(struct synack_loop *l, int fd, uint32_t events, void *arg)
{
	struct conn_app *a = arg;
	char buf[SRV_CHUNK];
	if (events & EPOLLERR) {
		int err = 0;
		socklen_t len = sizeof(err);
		synack_getsockopt(a->r.st, fd, SOL_SOCKET, SO_ERROR, &err, &len);
		conn_fail(a, "connection", err ? err : ECONNRESET);
		return;
	}
	for (int i = 0; i < 16 && !a->peer_eof && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)); i++) {
		ssize_t n = synack_recv(a->r.st, fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != EAGAIN)
				conn_fail(a, "connection", errno);
			break;
		}
		if (n == 0) {
			a->peer_eof = 1;
			break;
		}
		a->in += (uint64_t)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				conn_fail(a, "writing stdout", errno);
				return;
			}
			off += w;
		}
	}
	if (a->failed)
		return;
	if (events & EPOLLOUT)
		flush(a);
	if (!a->failed)
		rearm(a);
}

static const char connect_usage[] =
	"usage: synack connect [OPTIONS] HOST PORT\n"
	"\n"
	"Connect to HOST (an IPv4 address) port PORT over a TUN device, as nc does:\n"
	"stdin goes to the peer and the peer to stdout; at the end of stdin the\n"
	"connection is half-closed (FIN), and the program ends when the peer closes.\n"
	"Try: synack connect --netns c 10.211.0.1 8000   (after starting a server\n"
	"     with `ip netns exec c python3 -m http.server 8000` once c exists)\n"
	"\n"
	"  --timeout S         give up connecting after S seconds (10)\n"
	"  --linger S          keep the stack running S seconds after the close,\n"
	"                      to answer in TIME-WAIT (0)\n";

static int parse(struct conn_app *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		NET_LONGOPTS,
		{"timeout", required_argument, NULL, 't'},
		{"linger", required_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	const char *sub = "connect";
	double secs;
	int c;
	while ((c = cli_getopt(sub, argc, argv, "hv", longopts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == 'h') {
			printf("%s%s", connect_usage, NET_HELP);
			return CLI_OK;
		}
		if (c == 't' || c == 'L') {
			if (!cli_parse_double(optarg, 0, 86400, &secs))
				return cli_usage_error(sub, "--%s wants seconds between 0 and 86400, got '%s'",
						       c == 't' ? "timeout" : "linger", optarg);
			*(c == 't' ? &a->timeout_ms : &a->linger_ms) = (uint64_t)(secs * 1000 + 0.5);
			continue;
		}
		int rc = net_opt(&a->o, c, optarg);
		if (rc)
			return rc == 1 ? cli_usage_error(sub, "unexpected option") : rc;
	}
	if (argc - optind != 2)
		return cli_usage_error(sub, argc - optind < 2 ? "missing HOST and PORT (try 'synack "
								 "connect --help')"
							       : "unexpected argument '%s'",
				       argv[argc - 1]);
	uint64_t port;
	a->dst.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[optind], &a->dst.sin_addr) != 1)
		return cli_usage_error(sub, "HOST wants an IPv4 address, got '%s'", argv[optind]);
	if (!cli_parse_u64(argv[optind + 1], 1, 65535, &port))
		return cli_usage_error(sub, "PORT wants a port number between 1 and 65535, got '%s'",
				       argv[optind + 1]);
	a->dst.sin_port = htons((uint16_t)port);
	return net_opts_check(&a->o) ? CLI_USAGE : -1;
}

/* Run the loop alone for ms (TIME-WAIT answers), unless a signal stops it. */
static void linger(struct conn_app *a)
{
	uint64_t end = synack_loop_clock() + a->linger_ms * 1000;
	while (!synack_loop_stopped(a->r.loop)) {
		uint64_t now = synack_loop_clock();
		if (now >= end)
			break;
		synack_loop_run_once(a->r.loop, (int)((end - now + 999) / 1000));
	}
}

int connect_main(int argc, char **argv)
{
	struct conn_app *a = calloc(1, sizeof(*a));
	if (!a)
		return CLI_FAILED;
	net_opts_init(&a->o, "connect", 0);
	a->timeout_ms = 10000;
	int rc = parse(a, argc, argv);
	if (rc >= 0) {
		free(a);
		return rc;
	}
	rc = net_up(&a->r, &a->o);
	if (rc) {
		free(a);
		return rc;
	}
	a->fd = synack_socket(a->r.st, AF_INET, SOCK_STREAM, 0);
	char d[32];
	net_fmt_sin(d, sizeof(d), &a->dst);
	if (synack_loop_connect(a->r.loop, a->fd, (struct sockaddr *)&a->dst, sizeof(a->dst),
				(int)a->timeout_ms) < 0) {
		if (errno != EINTR)
			conn_fail(a, d, errno);
		a->failed = 1;
	} else {
		if (a->o.verbose)
			fprintf(stderr, "synack: connect: connected to %s\n", d);
		rearm(a);
		while (!synack_loop_stopped(a->r.loop) && !a->failed && !(a->in_eof && a->peer_eof))
			if (synack_loop_run_once(a->r.loop, -1) < 0)
				conn_fail(a, "loop", errno);
		if (a->in_eof && a->peer_eof && !a->failed) {
			synack_loop_close(a->r.loop, a->fd); /* blocks as SO_LINGER says */
			a->fd = -1;
			linger(a);
		}
	}
	if (a->fd >= 0)
		synack_close(a->r.st, a->fd);
	rc = a->failed ? CLI_FAILED : CLI_OK;
	net_down(&a->r);
	free(a);
	return rc;
}
