/*
 * The network subcommands' command lines (no root needed): every bad
 * argument gives exit status 2 and exactly one line on stderr, naming the
 * subcommand; --help prints usage and exits 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *bin(void)
{
	const char *b = getenv("SYNACK_BIN");
	if (!b || access(b, X_OK) != 0) {
		fprintf(stderr, "SKIP: SYNACK_BIN is not set or not executable\n");
		skip();
	}
	return b;
}

/* Run "synack ARGS" with stdin from /dev/null; exit status, stderr in err. */
static int run(const char *args, char *err, size_t len)
{
	char cmd[1024], path[] = "/tmp/synack-netcmds-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "timeout 10 %s %s </dev/null >/dev/null 2>%s", bin(), args, path);
	int st = system(cmd);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(err, 1, len - 1, f);
	err[n] = '\0';
	fclose(f);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void usage__bad_arguments__one_line_exit_2(void **state)
{
	static const char *const bad[] = {
		"echo-server --port 0",
		"echo-server --port abc",
		"echo-server --addr 300.1.1.1/24",
		"echo-server --addr 10.211.0.2/31",
		"echo-server --addr 10.211.0.1/24",
		"echo-server --addr 10.211.0.2/24 --kernel-addr 10.9.9.9",
		"echo-server --tun this-name-is-too-long",
		"echo-server --netns a/b",
		"echo-server --bogus",
		"echo-server extra",
		"http-server --size 12Q",
		"http-server --root /nonexistent/dir",
		"http-server --root / --size 1K",
		"http-server --port",
		"discard --drop 2",
		"discard --seed -1",
		"source --bytes lots",
		"connect",
		"connect 10.211.0.1",
		"connect example.org 80",
		"connect 10.211.0.1 70000",
		"connect --timeout -1 10.211.0.1 80",
		"connect 10.211.0.1 80 extra",
		"ss state bogus",
		"ss --pid x",
		"ss foo",
		"ss state",
		"nstat --pid 0",
		"nstat --bogus",
	};
	char err[4096];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run(bad[i], err, sizeof(err));
		char *nl = strchr(err, '\n');
		if (rc != 2 || !nl || nl[1] != '\0' || strncmp(err, "synack: ", 8)) {
			fprintf(stderr, "'synack %s': exit %d, stderr:\n%s\n", bad[i], rc, err);
			fail();
		}
		char sub[32];
		snprintf(sub, sizeof(sub), "synack: %.*s: ", (int)strcspn(bad[i], " "), bad[i]);
		assert_true(strncmp(err, sub, strlen(sub)) == 0);
	}
}

static void usage__help__exit_0(void **state)
{
	static const char *const subs[] = {"echo-server", "http-server", "discard", "source",
					   "connect", "ss", "nstat"};
	char err[4096];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char args[64];
		snprintf(args, sizeof(args), "%s --help", subs[i]);
		assert_int_equal(run(args, err, sizeof(err)), 0);
		assert_string_equal(err, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usage__bad_arguments__one_line_exit_2),
		cmocka_unit_test(usage__help__exit_0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
