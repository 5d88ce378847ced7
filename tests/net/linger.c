/*
 * SO_LINGER against the Linux kernel: synack_loop_close (the runtime's
 * blocking close) with SO_LINGER {1, t} waits, as Linux's close() does
 * (socket(7); tcp_close -> sk_stream_wait_close), until the FIN is acked
 * or t seconds pass, and returns 0 either way; synack_close never waits.
 *
 * Here the test program is the synack side: it runs the loop itself on a
 * TUN device it opens inside the test's namespace (the steps of
 * tools/synack/netns.c: setns in, open the device, give the kernel its
 * address with `ip`, setns back), against peer.py on the kernel's stack.
 */
#include "nettest.h"

#include <sched.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <arpa/inet.h>

#include <synack/runtime.h>

struct lt {
	struct nt *nt;
	struct synack_loop *l;
};

static int lt_setup(void **state)
{
	struct lt *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	void *inner;
	if (nt_setup(&inner) < 0) {
		free(x);
		return -1;
	}
	x->nt = inner;
	*state = x;
	return 0;
}

static int lt_teardown(void **state)
{
	struct lt *x = *state;
	synack_loop_free(x->l); /* closes the device before the namespace goes */
	void *inner = x->nt;
	nt_teardown(&inner);
	free(x);
	return 0;
}

/* The namespace, a peer.py in it listening on port, and the loop on a TUN
 * device in it (kernel NT_KADDR, synack NT_ADDR). */
static void start(struct lt *x, const char *script, const char *mode, const char *arg, int port)
{
	struct nt *t = x->nt;
	char cmd[256], err[256], path[300];
	assert_int_equal(nt_sh("ip netns add %s && ip -n %s link set lo up", t->ns, t->ns), 0);
	nt_spawn(t, "peer", -1, "ip netns exec %s python3 %s %s %d %s", t->ns, script, mode, port, arg);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Hltn sport = :%d | grep -q LISTEN", t->ns, port);
	assert_true(nt_wait_sh(10000, cmd));

	snprintf(path, sizeof(path), "/run/netns/%s", t->ns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(self >= 0 && target >= 0);
	assert_int_equal(setns(target, CLONE_NEWNET), 0);
	struct synack_tun *tun = synack_tun_open("", err, sizeof(err));
	int ok = 0;
	if (tun) /* `ip` inherits the namespace this thread is in */
		ok = nt_sh("echo 1 > /proc/sys/net/ipv6/conf/%s/disable_ipv6; "
			   "ip addr add " NT_KADDR "/24 dev %s && ip link set dev %s up",
			   synack_tun_name(tun), synack_tun_name(tun), synack_tun_name(tun)) == 0;
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(self);
	close(target);
	if (!tun)
		fprintf(stderr, "TUN: %s\n", err);
	assert_non_null(tun);
	if (!ok)
		synack_tun_close(tun);
	assert_true(ok);
	struct synack_loop_params p = {.seed = 7, .tun = tun};
	inet_pton(AF_INET, NT_ADDR, &p.addr);
	x->l = synack_loop_new(&p);
	assert_non_null(x->l);
}

static const char *peer_py(struct lt *x, char *buf, size_t len)
{
	snprintf(buf, len, "%s/peer.py", x->nt->src);
	return buf;
}

static int connect_to(struct lt *x, int port)
{
	struct synack_stack *st = synack_loop_stack(x->l);
	int fd = synack_socket(st, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, NT_KADDR, &sin.sin_addr);
	assert_int_equal(synack_loop_connect(x->l, fd, (struct sockaddr *)&sin, sizeof(sin), 5000), 0);
	return fd;
}

static void set_linger(struct lt *x, int fd, int secs)
{
	struct linger lg = {.l_onoff = 1, .l_linger = secs};
	assert_int_equal(synack_setsockopt(synack_loop_stack(x->l), fd, SOL_SOCKET, SO_LINGER, &lg,
					   sizeof(lg)), 0);
}

/* Send bytes and run the loop until the kernel has acked them all. */
static void send_acked(struct lt *x, int fd, size_t n)
{
	char buf[4000];
	assert_true(n <= sizeof(buf));
	memset(buf, 'x', n);
	assert_int_equal(synack_loop_send(x->l, fd, buf, n, 5000), (ssize_t)n);
	int outq = -1;
	for (int i = 0; i < 500; i++) {
		assert_int_equal(synack_ioctl(synack_loop_stack(x->l), fd, SIOCOUTQ, &outq), 0);
		if (outq == 0)
			break;
		assert_int_equal(synack_loop_run_once(x->l, 10), 0);
	}
	assert_int_equal(outq, 0);
}

/* The state of the connection to the kernel's port in synack's listing
 * (orphans included), or 0 if it has none. */
static int listed_state(struct lt *x, int port)
{
	struct synack_sockinfo rows[16];
	size_t n = synack_sockets(synack_loop_stack(x->l), rows, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (ntohs(rows[i].peer.sin_port) == port)
			return rows[i].state;
	return 0;
}

static double ms_since(synack_time_t t0)
{
	return (double)(synack_loop_clock() - t0) / 1000.0;
}

static void linger__loop_close_with_1_5__returns_0_once_fin_acked_past_fin_wait1(void **state)
{
	struct lt *x = *state;
	nt_require(x->nt, "python3 ss");
	char py[600];
	start(x, peer_py(x, py, sizeof(py)), "hold", "/nonexistent", 5010);
	int fd = connect_to(x, 5010);
	send_acked(x, fd, 1000);
	set_linger(x, fd, 5);
	synack_time_t t0 = synack_loop_clock();
	assert_int_equal(synack_loop_close(x->l, fd), 0);
	double ms = ms_since(t0);
	int s = listed_state(x, 5010);
	/* The kernel acks the FIN at once or within a delayed ACK: far under t. */
	assert_true(ms < 1000.0);
	assert_true(s == SYNACK_FIN_WAIT2 || s == SYNACK_TIME_WAIT);
	/* The descriptor is gone. */
	assert_int_equal(synack_close(synack_loop_stack(x->l), fd), -1);
	assert_int_equal(errno, EBADF);
}

static void linger__plain_close_with_1_5__returns_at_once_in_fin_wait1(void **state)
{
	struct lt *x = *state;
	nt_require(x->nt, "python3 ss");
	char py[600];
	start(x, peer_py(x, py, sizeof(py)), "hold", "/nonexistent", 5011);
	int fd = connect_to(x, 5011);
	send_acked(x, fd, 1000);
	set_linger(x, fd, 5);
	/* The core never blocks: the FIN just left, nothing has acked it yet. */
	assert_int_equal(synack_close(synack_loop_stack(x->l), fd), 0);
	assert_int_equal(listed_state(x, 5011), SYNACK_FIN_WAIT1);
	/* The orphan then finishes the close as usual. */
	for (int i = 0; i < 300 && listed_state(x, 5011) == SYNACK_FIN_WAIT1; i++)
		assert_int_equal(synack_loop_run_once(x->l, 10), 0);
	assert_int_equal(listed_state(x, 5011), SYNACK_FIN_WAIT2);
}

static void linger__loop_close_with_1_1_fin_never_acked__returns_0_after_1s(void **state)
{
	struct lt *x = *state;
	nt_require(x->nt, "python3 ss");
	char py[600];
	start(x, peer_py(x, py, sizeof(py)), "hold", "/nonexistent", 5012);
	int fd = connect_to(x, 5012);
	send_acked(x, fd, 1000);
	/* From here every packet is lost both ways: the kernel never sees the FIN. */
	synack_tun_set_drop(synack_loop_tun(x->l), 1.0, 1);
	set_linger(x, fd, 1);
	synack_time_t t0 = synack_loop_clock();
	assert_int_equal(synack_loop_close(x->l, fd), 0);
	double ms = ms_since(t0);
	assert_true(ms >= 1000.0);
	assert_true(ms < 3000.0);
	/* Closed anyway; the orphan keeps retransmitting the FIN. */
	assert_int_equal(listed_state(x, 5012), SYNACK_FIN_WAIT1);
	assert_int_equal(synack_close(synack_loop_stack(x->l), fd), -1);
	assert_int_equal(errno, EBADF);
}

static void linger__loop_close_with_unread_data__rst_at_once(void **state)
{
	struct lt *x = *state;
	nt_require(x->nt, "python3 ss");
	char py[600];
	struct nt *t = x->nt;
	char path[128];
	snprintf(path, sizeof(path), "%s/data", t->dir);
	assert_int_equal(nt_sh("head -c 100 /dev/zero > %s", path), 0);
	start(x, peer_py(x, py, sizeof(py)), "send", path, 5013);
	int fd = connect_to(x, 5013);
	struct synack_stack *st = synack_loop_stack(x->l);
	int unread = 0;
	for (int i = 0; i < 500 && unread < 100; i++) {
		assert_int_equal(synack_loop_run_once(x->l, 10), 0);
		assert_int_equal(synack_ioctl(st, fd, FIONREAD, &unread), 0);
	}
	assert_int_equal(unread, 100);
	set_linger(x, fd, 5);
	/* Linux: unread data aborts (RST, TCPAbortOnClose) before any lingering. */
	synack_time_t t0 = synack_loop_clock();
	assert_int_equal(synack_loop_close(x->l, fd), 0);
	assert_true(ms_since(t0) < 100.0);
	assert_int_equal(listed_state(x, 5013), 0);
	assert_int_equal(synack_counter(st, "TcpExtTCPAbortOnClose"), 1);
	assert_int_equal(synack_counter(st, "TcpOutRsts"), 1);
}

/* A kernel peer that never reads (a small SO_RCVBUF: its window closes)
 * and sends "late" once the file argv[3] exists. */
static const char late_py[] =
	"import os, socket, sys, time\n"
	"s = socket.socket()\n"
	"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
	"s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)\n"
	"s.bind(('0.0.0.0', int(sys.argv[2])))\n"
	"s.listen(1)\n"
	"s.settimeout(30)\n"
	"c, _ = s.accept()\n"
	"end = time.time() + 30\n"
	"while not os.path.exists(sys.argv[3]) and time.time() < end:\n"
	"    time.sleep(0.01)\n"
	"c.send(b'late')\n"
	"time.sleep(30)\n";

static void linger__data_arrives_while_lingering__rst_and_returns_0(void **state)
{
	struct lt *x = *state;
	nt_require(x->nt, "python3 ss");
	struct nt *t = x->nt;
	char py[128], trigger[128];
	snprintf(py, sizeof(py), "%s/late.py", t->dir);
	snprintf(trigger, sizeof(trigger), "%s/trigger", t->dir);
	FILE *f = fopen(py, "w");
	assert_non_null(f);
	fputs(late_py, f);
	fclose(f);
	start(x, py, "late", trigger, 5014);
	int fd = connect_to(x, 5014);
	struct synack_stack *st = synack_loop_stack(x->l);
	/* Fill the kernel's closed window and our send buffer: the FIN will
	 * wait behind data that cannot go, so it is never acked. */
	char buf[4000];
	memset(buf, 'y', sizeof(buf));
	int full = 0;
	for (int i = 0; i < 2000 && full < 20; i++) {
		if (synack_send(st, fd, buf, sizeof(buf), 0) < 0) {
			assert_int_equal(errno, EAGAIN);
			full++;
		}
		assert_int_equal(synack_loop_run_once(x->l, 10), 0);
	}
	assert_int_equal(full, 20);
	int outq = 0;
	assert_int_equal(synack_ioctl(st, fd, SIOCOUTQ, &outq), 0);
	assert_true(outq > 0);
	set_linger(x, fd, 5);
	assert_int_equal(nt_sh("touch %s", trigger), 0);
	/* close() shut the receive side first: the kernel's data draws a RST
	 * (TCPAbortOnData), which ends the wait long before t. */
	synack_time_t t0 = synack_loop_clock();
	assert_int_equal(synack_loop_close(x->l, fd), 0);
	assert_true(ms_since(t0) < 2000.0);
	assert_int_equal(listed_state(x, 5014), 0);
	assert_int_equal(synack_counter(st, "TcpExtTCPAbortOnData"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			linger__loop_close_with_1_5__returns_0_once_fin_acked_past_fin_wait1, lt_setup,
			lt_teardown),
		cmocka_unit_test_setup_teardown(linger__plain_close_with_1_5__returns_at_once_in_fin_wait1,
						lt_setup, lt_teardown),
		cmocka_unit_test_setup_teardown(
			linger__loop_close_with_1_1_fin_never_acked__returns_0_after_1s, lt_setup,
			lt_teardown),
		cmocka_unit_test_setup_teardown(linger__loop_close_with_unread_data__rst_at_once, lt_setup,
						lt_teardown),
		cmocka_unit_test_setup_teardown(linger__data_arrives_while_lingering__rst_and_returns_0,
						lt_setup, lt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
