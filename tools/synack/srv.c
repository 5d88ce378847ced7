/* The servers' shared parts (srv.h). */
#include "srv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

void srv_pattern_fill(char *buf, size_t len, uint64_t off)
{
	size_t k = (size_t)(off % SRV_PATTERN_LEN);
	for (size_t i = 0; i < len; i++) {
		buf[i] = SRV_PATTERN[k];
		if (++k == SRV_PATTERN_LEN)
			k = 0;
	}
}

struct srv_listener {
	struct net_run *r;
	srv_conn_fn fn;
	void *arg;
};

static void on_listen(struct synack_loop *l, int lfd, uint32_t events, void *arg)
{
	struct srv_listener *sl = arg;
	/* Take the whole accept queue: bounded by the backlog. */
	for (int i = 0; i < 4096; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = synack_accept4(sl->r->st, lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		sl->fn(sl->r, fd, &peer, sl->arg);
	}
}

int srv_listen(struct net_run *r, srv_conn_fn fn, void *arg)
{
	static const int one = 1;
	struct srv_listener *sl = NULL;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = r->o->addr,
				.sin_port = htons((uint16_t)r->o->port)};
	int fd = synack_socket(r->st, AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || synack_setsockopt(r->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    synack_bind(r->st, fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    synack_listen(r->st, fd, 4096) < 0) {
		fprintf(stderr, "synack: %s: cannot listen on port %u: %s\n", r->o->sub, r->o->port,
			strerror(errno));
		return CLI_FAILED;
	}
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return CLI_FAILED;
	r->owned = sl; /* net_down frees it */
	*sl = (struct srv_listener){.r = r, .fn = fn, .arg = arg};
	synack_loop_watch(r->loop, fd, EPOLLIN, on_listen, sl);
	char s[32];
	net_fmt_sin(s, sizeof(s), &a);
	char k[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &r->o->kaddr, k, sizeof(k));
	fprintf(stderr, "synack: %s: listening on %s (device %s, kernel side %s%s%s)\n", r->o->sub, s,
		r->o->tun, k, r->o->netns ? ", netns " : "", r->o->netns ? r->o->netns : "");
	return CLI_OK;
}

void srv_report(const struct net_run *r, const struct sockaddr_in *peer, uint64_t in,
		uint64_t out, uint64_t start_us)
{
	char p[32];
	net_fmt_sin(p, sizeof(p), peer);
	double secs = (double)(synack_loop_clock() - start_us) / 1e6;
	double rate = secs > 0 ? (double)(in > out ? in : out) * 8 / secs / 1e6 : 0;
	fprintf(stderr, "synack: %s: %s closed: %llu bytes in, %llu bytes out, %.3f s, %.1f Mbit/s\n",
		r->o->sub, p, (unsigned long long)in, (unsigned long long)out, secs, rate);
}

int srv_main(const struct net_opts *o, srv_conn_fn fn, void *arg)
{
	struct net_run r;
	int rc = net_up(&r, o);
	if (rc)
		return rc;
	rc = srv_listen(&r, fn, arg);
	if (rc == CLI_OK && synack_loop_run(r.loop) < 0) {
		fprintf(stderr, "synack: %s: %s\n", o->sub, strerror(errno));
		rc = CLI_FAILED;
	}
	net_down(&r);
	return rc;
}
