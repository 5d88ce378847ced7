/*
 * ECN end to end (RFC 3168): two stacks over memlink, a 10 Mbit/s
 * bottleneck with 5 ms each way and a step AQM that marks ECN-capable
 * packets CE once 20 KB are queued (and drops the others there). With
 * ECN agreed (the client asks, net.ipv4.tcp_ecn 1; the server accepts,
 * the default 2) CE marks replace the losses: 2 MB arrive intact with no
 * retransmission, the receiver counts the marks (IpExtInCEPkts), the
 * sender its CWR reductions (tcpi_delivered_ce). Without ECN the same
 * path drops, and the sender retransmits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <synack/memlink.h>
#include <synack/synack.h>
#include <synack/tcp_info.h>

#define TOTAL (2u << 20)

struct run {
	struct memlink *net;
	struct synack_stack *cli, *srv;
	int cfd, sfd;
	size_t sent, got;
	uint8_t *buf;
};

/* Pump the transfer 1 ms at a time; bounded by virtual time. */
static void transfer(struct run *r, int client_ecn)
{
	struct synack_config cfg;
	synack_config_default(&cfg);
	cfg.tcp_ecn = client_ecn;
	r->net = memlink_new(3, 0);
	r->cli = memlink_stack_add(r->net, "10.7.0.1", &cfg, NULL, NULL);
	synack_config_default(&cfg); /* the server: Linux's default tcp_ecn 2 */
	r->srv = memlink_stack_add(r->net, "10.7.0.2", &cfg, NULL, NULL);
	struct memlink_path fwd = {.delay = SYNACK_MS(5), .rate_bps = 10000000,
				   .queue_limit = 200000, .ecn_mark = 20000};
	struct memlink_path back = {.delay = SYNACK_MS(5)};
	memlink_set_path(r->net, 0, 1, &fwd);
	memlink_set_path(r->net, 1, 0, &back);
	int lfd = synack_socket(r->srv, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(5001)};
	assert_int_equal(synack_bind(r->srv, lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(r->srv, lfd, 4), 0);
	r->cfd = synack_socket(r->cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "10.7.0.2", &sin.sin_addr);
	assert_int_equal(synack_connect(r->cli, r->cfd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
	r->sfd = -1;
	r->buf = malloc(65536);
	assert_non_null(r->buf);
	for (unsigned i = 0; i < 65536; i++)
		r->buf[i] = (uint8_t)(i * 7);
	r->sent = r->got = 0;
	for (synack_time_t t = SYNACK_MS(1); t < SYNACK_SEC(60) && r->got < TOTAL; t += SYNACK_MS(1)) {
		memlink_run_until(r->net, t);
		if (r->sfd < 0)
			r->sfd = synack_accept(r->srv, lfd, NULL, NULL);
		while (r->sent < TOTAL) {
			size_t off = r->sent % 65536, n = 65536 - off;
			if (n > TOTAL - r->sent)
				n = TOTAL - r->sent;
			ssize_t k = synack_send(r->cli, r->cfd, r->buf + off, n, 0);
			if (k <= 0)
				break;
			r->sent += (size_t)k;
		}
		if (r->sfd >= 0) {
			uint8_t in[65536];
			ssize_t k;
			while ((k = synack_recv(r->srv, r->sfd, in, sizeof(in), 0)) > 0) {
				for (ssize_t i = 0; i < k; i++)
					assert_int_equal(in[i], (uint8_t)((r->got + (size_t)i) % 65536 * 7));
				r->got += (size_t)k;
			}
		}
	}
	assert_int_equal(r->got, TOTAL);
}

static struct synack_tcp_info info_of(struct synack_stack *st, int fd)
{
	struct synack_tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(synack_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	return ti;
}

static void bulk_ecn__ce_marks__no_retransmissions(void **state)
{
	(void)state;
	struct run r;
	transfer(&r, 1);
	struct memlink_stats ms;
	memlink_get_stats(r.net, &ms);
	assert_int_equal(ms.lost, 0);
	assert_true(ms.ce_marked > 0);
	assert_int_equal(synack_counter(r.cli, "TcpRetransSegs"), 0);
	assert_int_equal(synack_counter(r.srv, "IpExtInCEPkts"), ms.ce_marked);
	assert_true(synack_counter(r.srv, "IpExtInECT0Pkts") > 1000);
	struct synack_tcp_info ti = info_of(r.cli, r.cfd);
	assert_true(ti.tcpi_options & SYNACK_TCPI_OPT_ECN);
	assert_true(ti.tcpi_delivered_ce > 0);
	assert_true(info_of(r.srv, r.sfd).tcpi_options & SYNACK_TCPI_OPT_ECN_SEEN);
	free(r.buf);
	memlink_free(r.net);
}

/* The control: the same path without ECN loses packets at the mark. */
static void bulk_no_ecn__same_path__losses_and_retransmissions(void **state)
{
	(void)state;
	struct run r;
	transfer(&r, 2);
	struct memlink_stats ms;
	memlink_get_stats(r.net, &ms);
	assert_int_equal(ms.ce_marked, 0);
	assert_true(ms.lost > 0);
	assert_true(synack_counter(r.cli, "TcpRetransSegs") > 0);
	assert_int_equal(synack_counter(r.srv, "IpExtInECT0Pkts"), 0);
	free(r.buf);
	memlink_free(r.net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bulk_ecn__ce_marks__no_retransmissions),
		cmocka_unit_test(bulk_no_ecn__same_path__losses_and_retransmissions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
