/*
 * A CLOSE-WAIT that never ends is an application bug (it forgot to close);
 * `synack ss` makes one easy to find. A synack server that never reads
 * nor closes (discard --hold) and a Linux nc client that sends 5 bytes and
 * half-closes (-N: shutdown(SHUT_WR)), then waits: synack's row is
 * CLOSE-WAIT with Recv-Q 6 (5 bytes and the FIN, as Linux counts), -o
 * adds the time in the state as age: and the unread bytes as unread:5,
 * and --min-age selects it only once it is that old.
 */
#include "nettest.h"

/* The age: figure of the first row of out, in seconds (-1: none). */
static long age_sec(const char *out)
{
	const char *a = strstr(out, " age:");
	unsigned long v;
	char unit[8];
	if (!a || sscanf(a, " age:%lu%7[a-z]", &v, unit) != 2)
		return -1;
	return strcmp(unit, "ms") ? (long)v : 0;
}

static void close_wait__peer_half_closes_server_holds__ss_age_unread_min_age(void **state)
{
	struct nt *t = *state;
	nt_require(t, "nc ss");
	setenv("XDG_RUNTIME_DIR", t->dir, 1); /* this test's own control directory */
	pid_t srv = nt_server(t, "discard", "--port 9 --hold");
	nt_spawn(t, "client", -1,
		 "ip netns exec %s sh -c \"printf hello | timeout 30 nc -N " NT_ADDR " 9\"", t->ns);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s ss -H --pid %d state close-wait | grep -q CLOSE-WAIT", t->bin,
		 (int)srv);
	assert_true(nt_wait_sh(10000, cmd));

	/* ss's columns: Recv-Q is rcv_nxt - copied_seq, the FIN included
	 * (Linux tcp_diag); -o adds age: and unread: (no timer runs in
	 * CLOSE-WAIT: it waits on the application). */
	char *out = nt_out("%s ss -H -o --pid %d state close-wait", t->bin, (int)srv);
	assert_non_null(strstr(out, "CLOSE-WAIT 6      0 "));
	assert_non_null(strstr(out, NT_ADDR ":9"));
	assert_non_null(strstr(out, " unread:5\n"));
	assert_null(strstr(out, "timer:"));
	assert_true(age_sec(out) >= 0);
	free(out);
	/* Without -o or -e, ss's own columns only. */
	out = nt_out("%s ss -H --pid %d", t->bin, (int)srv);
	assert_non_null(strstr(out, "CLOSE-WAIT"));
	assert_null(strstr(out, "age:"));
	free(out);

	/* Older than a second: --min-age 1 finds it, -e shows the age on
	 * every row (the listener's too); --min-age 600 finds nothing. */
	nt_msleep(1500);
	out = nt_out("%s ss -H -o --min-age 1 --pid %d state close-wait", t->bin, (int)srv);
	assert_non_null(strstr(out, "CLOSE-WAIT 6      0 "));
	assert_true(age_sec(out) >= 1);
	assert_true(age_sec(out) < 60);
	free(out);
	out = nt_out("%s ss -H -a -e --pid %d", t->bin, (int)srv);
	assert_non_null(strstr(out, "LISTEN"));
	assert_non_null(strstr(out, "CLOSE-WAIT"));
	const char *l = strstr(out, "LISTEN");
	assert_true(age_sec(l) >= 1);
	free(out);
	out = nt_out("%s ss -H --min-age 600 --pid %d state close-wait", t->bin, (int)srv);
	assert_string_equal(out, "");
	free(out);
	/* The Linux side waits in FIN-WAIT-2 for our FIN, which never comes. */
	out = nt_out("ip netns exec %s ss -Htan state fin-wait-2", t->ns);
	assert_non_null(strstr(out, NT_ADDR ":9"));
	free(out);
	unsetenv("XDG_RUNTIME_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			close_wait__peer_half_closes_server_holds__ss_age_unread_min_age, nt_setup,
			nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
