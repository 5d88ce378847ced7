/*
 * `synack ss` and `synack nstat` against a running server: the listener
 * and an established connection appear with ss's columns and state names,
 * the counters with nstat's names; another user gets nothing, whether the
 * directory keeps it out (0700) or, with the permissions loosened, the
 * server's SO_PEERCRED check does.
 */
#include "nettest.h"

static void control__running_server__ss_rows_and_nstat_counters(void **state)
{
	struct nt *t = *state;
	nt_require(t, "nc");
	setenv("XDG_RUNTIME_DIR", t->dir, 1); /* this test's own control directory */
	pid_t srv = nt_server(t, "echo-server", "--port 7");
	/* A Linux client that stays connected (its stdin stays open for 5 s). */
	nt_spawn(t, "client", -1, "ip netns exec %s sh -c \"sleep 5 | nc " NT_ADDR " 7\"", t->ns);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s ss -H --pid %d | grep -q ESTAB", t->bin, (int)srv);
	assert_true(nt_wait_sh(5000, cmd));

	char *out = nt_out("%s ss --pid %d", t->bin, (int)srv);
	assert_non_null(strstr(out, "State      Recv-Q Send-Q"));
	assert_non_null(strstr(out, "ESTAB"));
	assert_non_null(strstr(out, NT_ADDR ":7"));
	assert_non_null(strstr(out, NT_KADDR ":"));
	assert_null(strstr(out, "LISTEN")); /* ss's default leaves listeners out */
	free(out);
	out = nt_out("%s ss -l --pid %d", t->bin, (int)srv);
	assert_non_null(strstr(out, "LISTEN"));
	assert_non_null(strstr(out, "0.0.0.0:*"));
	assert_null(strstr(out, "ESTAB"));
	free(out);
	out = nt_out("%s ss -tanoi --pid %d state established", t->bin, (int)srv);
	assert_non_null(strstr(out, "ESTAB"));
	assert_non_null(strstr(out, "mss:1460"));
	assert_null(strstr(out, "LISTEN"));
	free(out);
	out = nt_out("%s ss -H --pid %d exclude established exclude listening", t->bin, (int)srv);
	assert_string_equal(out, "");
	free(out);

	out = nt_out("%s nstat --pid %d", t->bin, (int)srv);
	assert_non_null(strstr(out, "#synack pid"));
	assert_non_null(strstr(out, "TcpPassiveOpens                 1 "));
	assert_non_null(strstr(out, "TcpCurrEstab                    1 "));
	assert_null(strstr(out, "TcpActiveOpens")); /* zero: left out, as nstat */
	free(out);
	out = nt_out("%s nstat -z --pid %d TcpActiveOpens", t->bin, (int)srv);
	assert_non_null(strstr(out, "TcpActiveOpens                  0 "));
	free(out);

	/* Another user: the 0700 directory keeps it out. */
	out = nt_out("setpriv --reuid=nobody --regid=nogroup --clear-groups %s ss -a --pid %d 2>&1; "
		     "echo rc=$?", t->bin, (int)srv);
	assert_null(strstr(out, "ESTAB"));
	assert_non_null(strstr(out, "rc=1"));
	free(out);
	/* Loosen the permissions: the server's SO_PEERCRED check still refuses. */
	assert_int_equal(nt_sh("chmod 755 %s/synack && chmod 666 %s/synack/%d.sock", t->dir, t->dir,
			       (int)srv), 0);
	out = nt_out("setpriv --reuid=nobody --regid=nogroup --clear-groups %s nstat --pid %d 2>&1; "
		     "echo rc=$?", t->bin, (int)srv);
	assert_null(strstr(out, "TcpPassiveOpens"));
	assert_non_null(strstr(out, "answers only the user who runs it"));
	assert_non_null(strstr(out, "rc=1"));
	free(out);
	unsetenv("XDG_RUNTIME_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(control__running_server__ss_rows_and_nstat_counters,
						nt_setup, nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
