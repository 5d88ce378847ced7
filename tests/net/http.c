/*
 * Linux curl against `synack http-server` in a private namespace: files of
 * 1 MiB and 100 MiB arrive byte-exact (sha256), the generated body is
 * `yes synack`, and keep-alive serves several requests on one connection.
 */
#include "nettest.h"

static void http__curl_1mib_and_100mib__bytes_match(void **state)
{
	struct nt *t = *state;
	nt_require(t, "curl sha256sum");
	char small[128], big[128], extra[160];
	nt_random_file(t, "small", 1, small, sizeof(small));
	nt_random_file(t, "big", 100, big, sizeof(big));
	snprintf(extra, sizeof(extra), "--port 8080 --root %s", t->dir);
	nt_server(t, "http-server", extra);
	assert_int_equal(nt_sh("ip netns exec %s curl -sf http://" NT_ADDR ":8080/small | sha256sum "
			       "| cut -d\" \" -f1 > %s/got1; sha256sum < %s | cut -d\" \" -f1 | "
			       "cmp - %s/got1", t->ns, t->dir, small, t->dir), 0);
	assert_int_equal(nt_sh("ip netns exec %s curl -sf http://" NT_ADDR ":8080/big | sha256sum "
			       "| cut -d\" \" -f1 > %s/got2; sha256sum < %s | cut -d\" \" -f1 | "
			       "cmp - %s/got2", t->ns, t->dir, big, t->dir), 0);
	/* Missing files and climbing out of the root are refused. */
	char *code = nt_out("ip netns exec %s curl -s -o /dev/null -w %%{http_code} "
			    "--path-as-is http://" NT_ADDR ":8080/../etc/passwd", t->ns);
	assert_string_equal(code, "403");
	free(code);
	code = nt_out("ip netns exec %s curl -s -o /dev/null -w %%{http_code} "
		      "http://" NT_ADDR ":8080/nothing", t->ns);
	assert_string_equal(code, "404");
	free(code);
}

static void http__generated_body_keepalive__one_connection(void **state)
{
	struct nt *t = *state;
	nt_require(t, "curl");
	nt_server(t, "http-server", "--size 100K");
	/* Three requests on one connection: curl reuses it ("Re-using"), and
	 * the server saw one passive open. */
	char *v = nt_out("ip netns exec %s curl -sv -o %s/a -o %s/b -o %s/c http://" NT_ADDR "/1 "
			 "http://" NT_ADDR "/2 http://" NT_ADDR "/3 2>&1", t->ns, t->dir, t->dir, t->dir);
	assert_non_null(strstr(v, "Content-Length: 102400"));
	assert_non_null(strstr(v, "Re-using existing connection"));
	free(v);
	for (const char *f = "abc"; *f; f++)
		assert_int_equal(nt_sh("yes synack | head -c 102400 | cmp - %s/%c", t->dir, *f), 0);
	assert_int_equal(nt_sh("%s nstat --pid %d TcpPassiveOpens | grep -q \"TcpPassiveOpens  *1 \"",
			       t->bin, (int)t->pids[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(http__curl_1mib_and_100mib__bytes_match, nt_setup, nt_teardown),
		cmocka_unit_test_setup_teardown(http__generated_body_keepalive__one_connection, nt_setup,
						nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
