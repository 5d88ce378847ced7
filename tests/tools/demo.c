/*
 * The synack program, run as a user would (popen on $SYNACK_BIN, which
 * ctest sets): the demo's ladder shows RFC 9293's state sequences, loss
 * shows retransmissions, --pcap writes a capture tshark reads, and bad
 * usage gives exit status 2 with one line on stderr.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
	int status;               /* exit status, -1 if killed */
	char *out, *err;          /* NUL-terminated */
};

static void temp_path(char *buf, size_t len, const char *what)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, len, "%s/synack-tool-%s-XXXXXX", dir && *dir ? dir : "/tmp", what);
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
}

static char *read_stream(FILE *f)
{
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	assert_non_null(buf);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	return buf;
}

static const char *synack_bin(void)
{
	const char *bin = getenv("SYNACK_BIN");
	if (!bin || access(bin, X_OK) != 0) {
		fprintf(stderr, "SYNACK_BIN is not set or not executable; build the synack target\n");
		skip();
	}
	return bin;
}

/* Run "synack ARGS"; stdout and stderr are captured apart. */
static struct run run(const char *args)
{
	char errpath[256], cmd[1024];
	temp_path(errpath, sizeof(errpath), "stderr");
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", synack_bin(), args, errpath);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct run r = {.out = read_stream(p)};
	int st = pclose(p);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	FILE *e = fopen(errpath, "r");
	assert_non_null(e);
	r.err = read_stream(e);
	fclose(e);
	unlink(errpath);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- Reading the ladder ------------------------------------------------- */

static const char *const rfc_states[] = {
	"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
};

#define MAX_SEQ 32

struct states {
	const char *v[MAX_SEQ];
	int n;
};

/* The RFC state name starting at line[col], or NULL. */
static const char *state_at(const char *line, size_t len, size_t col)
{
	if (col >= len || line[col] == ' ' || (col > 0 && line[col - 1] != ' '))
		return NULL;
	size_t w = 0;
	while (col + w < len && line[col + w] != ' ')
		w++;
	for (size_t i = 0; i < sizeof(rfc_states) / sizeof(rfc_states[0]); i++)
		if (strlen(rfc_states[i]) == w && !strncmp(line + col, rfc_states[i], w))
			return rfc_states[i];
	return NULL;
}

static void push(struct states *s, const char *name)
{
	if (!name || (s->n && s->v[s->n - 1] == name))
		return;
	assert_true(s->n < MAX_SEQ);
	s->v[s->n++] = name;
}

/* The distinct successive states of each column: the header row names
 * both columns ("TCP A ... TCP B"); the table ends at the first empty line. */
static void ladder_states(const char *out, struct states *a, struct states *b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	const char *line = out, *eol, *ha = NULL, *hb = NULL;
	for (; (eol = strchr(line, '\n')); line = eol + 1) {
		ha = strstr(line, "TCP A");
		hb = strstr(line, "TCP B");
		if (ha && hb && ha < hb && hb < eol)
			break;
	}
	assert_true(eol && ha && hb);
	size_t col_a = (size_t)(ha - line), col_b = (size_t)(hb - line);
	for (line = eol + 1; *line && *line != '\n'; line = eol + 1) {
		eol = strchr(line, '\n');
		assert_non_null(eol);
		size_t len = (size_t)(eol - line);
		push(a, state_at(line, len, col_a));
		push(b, state_at(line, len, col_b));
	}
}

static void assert_states(const struct states *got, const char *const *want, int n,
			  const char *col)
{
	bool same = got->n == n;
	for (int i = 0; same && i < n; i++)
		same = !strcmp(got->v[i], want[i]);
	if (!same) {
		fprintf(stderr, "column %s:", col);
		for (int i = 0; i < got->n; i++)
			fprintf(stderr, " %s", got->v[i]);
		fprintf(stderr, "\n");
	}
	assert_true(same);
}

#define ASSERT_STATES(got, col, ...)                                                   \
	do {                                                                           \
		static const char *const want_[] = {__VA_ARGS__};                      \
		assert_states(got, want_, (int)(sizeof(want_) / sizeof(want_[0])), col); \
	} while (0)

/* ---- demo ----------------------------------------------------------------- */

static void demo__default__both_columns_follow_rfc_close(void **state)
{
	struct run r = run("demo");
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	struct states a, b;
	ladder_states(r.out, &a, &b);
	ASSERT_STATES(&a, "A", "CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
		      "TIME-WAIT", "CLOSED");
	ASSERT_STATES(&b, "B", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK",
		      "CLOSED");
	assert_non_null(strstr(r.out, "ISS"));
	assert_non_null(strstr(r.out, "<CTL=SYN>"));
	assert_non_null(strstr(r.out, "<DATA=14>"));
	assert_non_null(strstr(r.out, "(2MSL timeout)"));
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void demo__simultaneous_close__closing_then_time_wait_on_both(void **state)
{
	struct run r = run("demo --simultaneous-close");
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	struct states a, b;
	ladder_states(r.out, &a, &b);
	ASSERT_STATES(&a, "A", "CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "CLOSING",
		      "TIME-WAIT", "CLOSED");
	ASSERT_STATES(&b, "B", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "CLOSING",
		      "TIME-WAIT", "CLOSED");
	run_free(&r);
}

/* Seed 3 loses A's first FIN. Should the stack's packets change, the
 * seeds after it are tried until one loses a segment that is resent. */
static void demo__loss__lost_segment_retransmitted_and_exit_0(void **state)
{
	bool seen = false;
	for (int seed = 3; seed < 20 && !seen; seed++) {
		char args[64];
		snprintf(args, sizeof(args), "demo --loss 0.2 --seed %d", seed);
		struct run r = run(args);
		if (r.status != 0)
			fprintf(stderr, "%s\n%s%s", args, r.out, r.err);
		assert_int_equal(r.status, 0);
		seen = strstr(r.out, "(lost)") && strstr(r.out, "retransmission");
		struct states a, b;
		ladder_states(r.out, &a, &b);
		assert_string_equal(a.v[a.n - 1], "CLOSED");
		assert_string_equal(b.v[b.n - 1], "CLOSED");
		run_free(&r);
	}
	assert_true(seen);
}

static void demo__bad_loss__exit_2_and_one_line(void **state)
{
	struct run r = run("demo --loss abc");
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "synack: demo: --loss"));
	assert_non_null(strstr(r.err, "'abc'"));
	assert_string_equal(r.out, "");
	run_free(&r);
}

static void demo__bad_usage__exit_2_and_one_line(void **state)
{
	static const char *const bad[] = {
		"demo --loss 1.5", "demo --seed -1", "demo --delay x", "demo --frobnicate",
		"demo extra", "demo --loss",
		/* --tun: what does not apply to the kernel, and what needs --tun */
		"demo --tun --simultaneous-close", "demo --tun --delay 5", "demo --tun --loss 0.6",
		"demo --tun --netns a/b", "demo --time-wait-wait", "demo --netns x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r = run(bad[i]);
		if (r.status != 2 || count_lines(r.err) != 1)
			fprintf(stderr, "%s: status %d, stderr '%s'\n", bad[i], r.status, r.err);
		assert_int_equal(r.status, 2);
		assert_int_equal(count_lines(r.err), 1);
		assert_true(!strncmp(r.err, "synack: demo: ", 14));
		run_free(&r);
	}
}

static void demo__help__exit_0_with_usage(void **state)
{
	struct run r = run("demo --help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: synack demo"));
	assert_non_null(strstr(r.out, "--simultaneous-close"));
	run_free(&r);
}

/* The number after "pcap ... FILE: " in the summary. */
static long pcap_packets(const char *out)
{
	const char *p = strstr(out, "\npcap ");
	assert_non_null(p);
	p = strstr(p, ": ");
	assert_non_null(p);
	return strtol(p + 2, NULL, 10);
}

static void demo__pcap__file_is_a_pcap_tshark_reads(void **state)
{
	char path[256], args[512];
	temp_path(path, sizeof(path), "demo-pcap");
	snprintf(args, sizeof(args), "demo --loss 0.2 --seed 3 --pcap '%s'", path);
	struct run r = run(args);
	assert_int_equal(r.status, 0);
	long packets = pcap_packets(r.out);
	assert_true(packets >= 10);

	unsigned char magic[4] = {0};
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 4, f), 4);
	fclose(f);
	static const unsigned char le[4] = {0xd4, 0xc3, 0xb2, 0xa1}, be[4] = {0xa1, 0xb2, 0xc3, 0xd4};
	assert_true(!memcmp(magic, le, 4) || !memcmp(magic, be, 4));

	if (system("command -v tshark >/dev/null 2>&1") == 0) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' 2>/dev/null", path);
		FILE *p = popen(cmd, "r");
		assert_non_null(p);
		char *listing = read_stream(p);
		assert_int_equal(pclose(p), 0);
		assert_int_equal(count_lines(listing), packets);
		assert_non_null(strstr(listing, "10.0.0.1"));
		assert_non_null(strstr(listing, "SYN"));
		free(listing);
	} else {
		fprintf(stderr, "tshark not installed: only the pcap magic was checked\n");
	}
	unlink(path);
	run_free(&r);
}

/* ---- The rest of the command line ----------------------------------------- */

static void bench__help__exit_0(void **state)
{
	struct run r = run("bench --help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: synack bench"));
	run_free(&r);
}

static void bench__bad_count__exit_2_and_one_line(void **state)
{
	struct run r = run("bench --crr lots");
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "synack: bench: --crr"));
	run_free(&r);
}

static void main__unknown_command__exit_2_and_one_line(void **state)
{
	struct run r = run("nosuch");
	assert_int_equal(r.status, 2);
	assert_int_equal(count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "nosuch"));
	run_free(&r);
}

static void main__help_and_version__exit_0(void **state)
{
	static const char *const ok[] = {"--help", "-h", "help", "version", "version --help"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct run r = run(ok[i]);
		assert_int_equal(r.status, 0);
		assert_true(strlen(r.out) > 0);
		run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo__default__both_columns_follow_rfc_close),
		cmocka_unit_test(demo__simultaneous_close__closing_then_time_wait_on_both),
		cmocka_unit_test(demo__loss__lost_segment_retransmitted_and_exit_0),
		cmocka_unit_test(demo__bad_loss__exit_2_and_one_line),
		cmocka_unit_test(demo__bad_usage__exit_2_and_one_line),
		cmocka_unit_test(demo__help__exit_0_with_usage),
		cmocka_unit_test(demo__pcap__file_is_a_pcap_tshark_reads),
		cmocka_unit_test(bench__help__exit_0),
		cmocka_unit_test(bench__bad_count__exit_2_and_one_line),
		cmocka_unit_test(main__unknown_command__exit_2_and_one_line),
		cmocka_unit_test(main__help_and_version__exit_0),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
