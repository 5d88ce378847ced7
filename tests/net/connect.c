/*
 * `synack connect` against Linux servers (tests/net/peer.py on the
 * kernel's TCP, in a namespace the test makes first): 100 MiB each way
 * byte-exact, and synack's half-close: after its FIN (end of stdin) it
 * still reads the server's answer to the end.
 */
#include "nettest.h"

/* The namespace exists before synack starts, so the Linux server can
 * listen first; synack uses it and leaves it to the teardown. */
static void start_peer(struct nt *t, const char *mode, int port, const char *arg)
{
	assert_int_equal(nt_sh("ip netns add %s && ip -n %s link set lo up", t->ns, t->ns), 0);
	nt_spawn(t, "peer", -1, "ip netns exec %s python3 %s/peer.py %s %d %s", t->ns, t->src, mode,
		 port, arg);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Hltn sport = :%d | grep -q LISTEN", t->ns, port);
	assert_true(nt_wait_sh(10000, cmd));
}

static void connect__send_100mib__linux_receives_all_then_answers(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 cmp");
	char path[128], out[128];
	nt_random_file(t, "up", 100, path, sizeof(path));
	snprintf(out, sizeof(out), "%s/received", t->dir);
	start_peer(t, "recv", 5000, out);
	char *got = nt_out("%s connect --netns %s --addr " NT_ADDR "/24 " NT_KADDR " 5000 < %s",
			   t->bin, t->ns, path);
	/* The answer came after our FIN: synack read on, half-closed. */
	assert_string_equal(got, "got 104857600\n");
	free(got);
	assert_int_equal(nt_sh("cmp %s %s", path, out), 0);
}

static void connect__receive_100mib_after_own_fin__bytes_match(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 cmp");
	char path[128];
	nt_random_file(t, "down", 100, path, sizeof(path));
	start_peer(t, "send", 5001, path);
	/* stdin is empty: synack's FIN goes first, then 100 MiB come in. */
	assert_int_equal(nt_sh("%s connect --netns %s " NT_KADDR " 5001 < /dev/null > %s/got",
			       t->bin, t->ns, t->dir), 0);
	assert_int_equal(nt_sh("cmp %s %s/got", path, t->dir), 0);
}

static void connect__nobody_listening__refused(void **state)
{
	struct nt *t = *state;
	nt_require(t, NULL);
	assert_int_equal(nt_sh("ip netns add %s", t->ns), 0);
	char *err = nt_out("%s connect --netns %s " NT_KADDR " 5999 </dev/null 2>&1; echo rc=$?",
			   t->bin, t->ns);
	assert_non_null(strstr(err, "Connection refused"));
	assert_non_null(strstr(err, "rc=1"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(connect__send_100mib__linux_receives_all_then_answers,
						nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(connect__receive_100mib_after_own_fin__bytes_match, nt_setup,
						nt_teardown),
		cmocka_unit_test_setup_teardown(connect__nobody_listening__refused, nt_setup, nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
