/*
 * 1% loss on the TUN path (the driver's --drop, both directions: netem is
 * not always built into the kernel): transfers between the kernel and
 * synack still complete byte-exact, through retransmissions on both sides
 * (RFC 6298 timeouts, RFC 5681 fast retransmit).
 */
#include "nettest.h"

static void loss__curl_8mib_from_server_with_1pct_drop__bytes_match(void **state)
{
	struct nt *t = *state;
	nt_require(t, "curl cmp");
	char path[128], extra[200];
	nt_random_file(t, "file", 8, path, sizeof(path));
	snprintf(extra, sizeof(extra), "--root %s --drop 0.01 --seed 3", t->dir);
	nt_server(t, "http-server", extra);
	assert_int_equal(nt_sh("ip netns exec %s curl -sf --max-time 90 http://" NT_ADDR "/file | cmp - %s",
			       t->ns, path), 0);
	/* Packets were lost and synack retransmitted. */
	char *n = nt_out("%s nstat --pid %d TcpRetransSegs", t->bin, (int)t->pids[0]);
	unsigned long long retrans = 0;
	char *p = strstr(n, "TcpRetransSegs");
	assert_non_null(p);
	sscanf(p, "TcpRetransSegs %llu", &retrans);
	assert_true(retrans > 0);
	free(n);
}

static void loss__connect_sends_8mib_with_1pct_drop__bytes_match(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 cmp");
	char path[128], out[128], cmd[256];
	nt_random_file(t, "up", 8, path, sizeof(path));
	snprintf(out, sizeof(out), "%s/received", t->dir);
	assert_int_equal(nt_sh("ip netns add %s && ip -n %s link set lo up", t->ns, t->ns), 0);
	nt_spawn(t, "peer", -1, "ip netns exec %s python3 %s/peer.py recv 5004 %s", t->ns, t->src, out);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Hltn sport = :5004 | grep -q LISTEN", t->ns);
	assert_true(nt_wait_sh(10000, cmd));
	char *got = nt_out("%s connect --netns %s --drop 0.01 --seed 5 " NT_KADDR " 5004 < %s", t->bin,
			   t->ns, path);
	assert_string_equal(got, "got 8388608\n");
	free(got);
	assert_int_equal(nt_sh("cmp %s %s", path, out), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loss__curl_8mib_from_server_with_1pct_drop__bytes_match,
						nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(loss__connect_sends_8mib_with_1pct_drop__bytes_match,
						nt_setup, nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
