/*
 * Linux nc and ping against synack in a private namespace: nc's bytes come
 * back from `synack echo-server` unchanged, also after nc half-closes (its
 * FIN first; synack keeps sending until everything is echoed, RFC 9293
 * 3.6: a half-closed connection still carries data the other way), and
 * the kernel's pings to synack's address are answered (RFC 792 echo).
 */
#include "nettest.h"

static void echo__nc_line__comes_back(void **state)
{
	struct nt *t = *state;
	nt_require(t, "nc");
	nt_server(t, "echo-server", NULL);
	char *got = nt_out("echo hello, synack | ip netns exec %s nc -N -w 5 " NT_ADDR " 7", t->ns);
	assert_string_equal(got, "hello, synack\n");
	free(got);
	/* The server saw the kernel close first and closed after echoing. */
	assert_true(nt_wait_for(t, "server.err", "ESTAB -> CLOSE-WAIT", 5000));
	assert_true(nt_wait_for(t, "server.err", "LAST-ACK -> UNCONN", 5000));
}

static void echo__kernel_half_closes_with_4mib__all_echoed(void **state)
{
	struct nt *t = *state;
	nt_require(t, "nc sha256sum");
	char path[128];
	nt_random_file(t, "in", 4, path, sizeof(path));
	nt_server(t, "echo-server", NULL);
	/* nc -N: shutdown(SHUT_WR) at the end of its input, then read on. */
	assert_int_equal(nt_sh("ip netns exec %s nc -N -w 10 " NT_ADDR " 7 < %s > %s/back",
			       t->ns, path, t->dir), 0);
	assert_int_equal(nt_sh("cmp %s %s/back", path, t->dir), 0);
}

static void icmp__kernel_pings__replies(void **state)
{
	struct nt *t = *state;
	nt_require(t, "ping");
	nt_server(t, "echo-server", NULL);
	char *out = nt_out("ip netns exec %s ping -c 3 -i 0.2 -W 2 " NT_ADDR, t->ns);
	assert_non_null(strstr(out, "3 packets transmitted, 3 received"));
	free(out);
	assert_int_equal(nt_sh("%s nstat --pid %d IcmpOutEchoReps | grep -q \"IcmpOutEchoReps  *3 \"",
			       t->bin, (int)t->pids[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(echo__nc_line__comes_back, nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(echo__kernel_half_closes_with_4mib__all_echoed, nt_setup,
						nt_teardown),
		cmocka_unit_test_setup_teardown(icmp__kernel_pings__replies, nt_setup, nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
