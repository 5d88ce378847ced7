/*
 * TCP Fast Open end to end (RFC 7413): two stacks over memlink, 10 ms
 * each way. The first connection fetches the cookie; the second carries
 * its request in the SYN, the server reads it before the handshake ends
 * and answers, and the client has the reply one round trip after its
 * sendto() -- where a plain handshake needs two.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include <synack/memlink.h>
#include <synack/synack.h>

#define ONE_WAY SYNACK_MS(10)

struct pair {
	struct memlink *net;
	struct synack_stack *cli, *srv;
	int lfd;
	struct sockaddr_in to;
};

static void pair_init(struct pair *p)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_fastopen = 0x403; /* client, server, every listener */
	p->net = memlink_new(7, 0);
	p->cli = memlink_stack_add(p->net, "10.9.0.1", &cfg, NULL, NULL);
	p->srv = memlink_stack_add(p->net, "10.9.0.2", &cfg, NULL, NULL);
	struct memlink_path path = {.delay = ONE_WAY};
	memlink_set_path(p->net, -1, -1, &path);
	p->lfd = synack_socket(p->srv, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
	assert_int_equal(synack_bind(p->srv, p->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(p->srv, p->lfd, 16), 0);
	p->to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(8080)};
	inet_pton(AF_INET, "10.9.0.2", &p->to.sin_addr);
}

/* Run in 1 ms steps until the server can accept (bounded); the fd. */
static int accept_within(struct pair *p, synack_time_t limit)
{
	for (synack_time_t t = memlink_now(p->net); t <= limit; t += SYNACK_MS(1)) {
		memlink_run_until(p->net, t);
		int fd = synack_accept(p->srv, p->lfd, NULL, NULL);
		if (fd >= 0)
			return fd;
		assert_int_equal(errno, EAGAIN);
	}
	return -1;
}

static void fastopen__second_connection__reply_after_one_rtt(void **state)
{
	struct pair p;
	pair_init(&p);
	/* 1: no cookie yet; the SYN asks for one (nothing sent with it). */
	int c1 = synack_socket(p.cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(synack_sendto(p.cli, c1, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&p.to,
				       sizeof(p.to)), -1);
	assert_int_equal(errno, EINPROGRESS);
	int s1 = accept_within(&p, memlink_now(p.net) + SYNACK_MS(100));
	assert_true(s1 >= 0);
	assert_int_equal(synack_counter(p.srv, "TcpExtTCPFastOpenCookieReqd"), 1);
	synack_close(p.cli, c1);
	synack_close(p.srv, s1);
	memlink_run_until(p.net, memlink_now(p.net) + SYNACK_MS(200));

	/* 2: the cookie is cached; data rides in the SYN. */
	synack_time_t t0 = memlink_now(p.net);
	int c2 = synack_socket(p.cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(synack_sendto(p.cli, c2, "hello", 5, MSG_FASTOPEN,
				       (struct sockaddr *)&p.to, sizeof(p.to)), 5);
	int s2 = accept_within(&p, t0 + SYNACK_MS(50));
	assert_true(s2 >= 0);
	assert_int_equal(memlink_now(p.net), t0 + ONE_WAY); /* the SYN's arrival */
	char b[16];
	assert_int_equal(synack_recv(p.srv, s2, b, sizeof(b), 0), 5);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(synack_send(p.srv, s2, "world", 5, 0), 5);
	ssize_t n = -1;
	synack_time_t t;
	for (t = t0; t <= t0 + SYNACK_MS(100) && n < 0; t += SYNACK_MS(1)) {
		memlink_run_until(p.net, t);
		n = synack_recv(p.cli, c2, b, sizeof(b), 0);
	}
	assert_int_equal(n, 5);
	assert_memory_equal(b, "world", 5);
	assert_true(memlink_now(p.net) <= t0 + 2 * ONE_WAY + SYNACK_MS(1)); /* one RTT */
	assert_int_equal(synack_counter(p.srv, "TcpExtTCPFastOpenPassive"), 1);
	assert_int_equal(synack_counter(p.cli, "TcpExtTCPFastOpenActive"), 1);
	memlink_free(p.net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fastopen__second_connection__reply_after_one_rtt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
