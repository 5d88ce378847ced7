/*
 * The packetdrill driver's nstat (tools/packetdrill/pd_nstat.c): a
 * script's `nstat` calls read the stack's counters in nstat's format,
 * with nstat's history (deltas since the last call that updated it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/packetdrill/pd_nstat.c"

#include "scenario.h"

struct fx {
	struct scn *t;
	struct pd *pd;
	struct pd_nstat_files files;
	char out[4096];
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->t = scn_new(NULL);
	f->pd = calloc(1, sizeof(*f->pd));
	assert_non_null(f->pd);
	f->pd->st = f->t->st;
	return f;
}

static void fx_free(struct fx *f)
{
	pd_nstat_cleanup(&f->files);
	free(f->pd);
	scn_free(f->t);
	free(f);
}

/* Rewrite cmd; expect the result and read call i's file into f->out. */
static void rewrite(struct fx *f, const char *cmd, const char *want_fmt)
{
	pd_nstat_cleanup(&f->files);
	char *r = pd_nstat_rewrite(f->pd, cmd, &f->files);
	assert_non_null(r);
	assert_int_equal(f->files.n, 1);
	char want[256];
	snprintf(want, sizeof(want), want_fmt, f->files.path[0]);
	assert_string_equal(r, want);
	free(r);
	FILE *in = fopen(f->files.path[0], "r");
	assert_non_null(in);
	size_t n = fread(f->out, 1, sizeof(f->out) - 1, in);
	f->out[n] = '\0';
	fclose(in);
}

static void line_of(char *buf, size_t cap, const char *name, unsigned long long v)
{
	snprintf(buf, cap, "%-32s%-16llu%6.1f\n", name, v, 0.0);
}

/* A RST from a closed port moves TcpOutRsts (and a few others). */
static void closed_port_segment(struct fx *f, uint64_t at_ms)
{
	scn_inject(f->t, at_ms, SEG(.flags = SYN, .seq = R_ISS));
	struct tcp_seg s;
	assert_true(scn_pop(f->t, &s, NULL));
	assert_int_equal(s.flags, RST | ACK);
}

/* The first call prints every non-zero counter as it stands (no history
 * yet) and sets the history; the next prints what changed since, only. */
static void nstat__history__deltas_since_last_call(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	closed_port_segment(f, 0);
	rewrite(f, "nstat > /dev/null", "cat %s > /dev/null");
	char line[128];
	line_of(line, sizeof(line), "TcpOutRsts", 1);
	assert_non_null(strstr(f->out, line));
	assert_int_equal(strncmp(f->out, "#kernel\n", 8), 0);

	rewrite(f, "nstat | grep TcpOutRsts > /dev/null", "cat %s | grep TcpOutRsts > /dev/null");
	assert_string_equal(f->out, "#kernel\n"); /* nothing moved */

	closed_port_segment(f, 10);
	closed_port_segment(f, 20);
	rewrite(f, "nstat TcpOutRsts", "cat %s ");
	char want[300];
	line_of(line, sizeof(line), "TcpOutRsts", 2);
	snprintf(want, sizeof(want), "#kernel\n%s", line);
	assert_string_equal(f->out, want);
	assert_int_equal(scn_counter(f->t, "TcpOutRsts"), 3);
	fx_free(f);
}

/* -a: absolute; -s: the history stays; -z: zeros too; -n: nothing
 * printed, history updated; patterns are fnmatch()ed, case ignored. */
static void nstat__options__as_nstat(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	closed_port_segment(f, 0);
	rewrite(f, "nstat -n", "cat %s ");
	assert_string_equal(f->out, "");
	closed_port_segment(f, 10);
	rewrite(f, "nstat -a -s tcpoutrsts", "cat %s ");
	char line[128], want[300];
	line_of(line, sizeof(line), "TcpOutRsts", 2);
	snprintf(want, sizeof(want), "#kernel\n%s", line);
	assert_string_equal(f->out, want);
	rewrite(f, "nstat -sz TcpOutRsts TcpExtListenOverflows", "cat %s ");
	char l2[128];
	line_of(line, sizeof(line), "TcpOutRsts", 1);
	line_of(l2, sizeof(l2), "TcpExtListenOverflows", 0);
	snprintf(want, sizeof(want), "#kernel\n%s%s", line, l2);
	assert_string_equal(f->out, want);
	rewrite(f, "nstat 'X'x; nstat Tcp*Rsts", "nstat 'X'x; cat %s ");
	fx_free(f);
}

/* Not nstat, or not understood: the command runs as it is. */
static void nstat__other_commands__unchanged(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	const char *keep[] = {"ip tcp_metrics flush", "instat", "nstatx -a", "nstat -j",
			      "nstat \"TcpOutRsts\"", "nstat $X"};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		assert_null(pd_nstat_rewrite(f->pd, keep[i], &f->files));
		assert_int_equal(f->files.n, 0);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nstat__history__deltas_since_last_call),
		cmocka_unit_test(nstat__options__as_nstat),
		cmocka_unit_test(nstat__other_commands__unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
