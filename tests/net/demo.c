/*
 * `synack demo --tun`: the demo's echo exchange against the Linux kernel
 * in a namespace, drawn with both sides' states; the kernel's read from
 * its own `ss`. RFC 9293 3.6 Figure 12 (normal close), synack closing
 * first: A goes SYN-SENT, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT;
 * B (the kernel) LISTEN, SYN-RECV (may be too brief to see), ESTAB,
 * CLOSE-WAIT (its echo server waits 200 ms after end of file, but a slow
 * machine may still miss it), LAST-ACK (sampled as its FIN arrives, before
 * A acknowledges it, so always seen), then no socket (CLOSED).
 */
#include "nettest.h"

#define MAX_STATES 32

struct seq {
	char s[MAX_STATES][16];
	int n;
};

/* The word starting at column col of line (empty if blank there). */
static void word_at(const char *line, size_t col, char *out, size_t len)
{
	out[0] = '\0';
	if (strlen(line) <= col || line[col] == ' ')
		return;
	size_t n = strcspn(line + col, " \n");
	if (n >= len)
		n = len - 1;
	memcpy(out, line + col, n);
	out[n] = '\0';
}

/* Add a state unless it repeats the last one; skips non-states. */
static void push(struct seq *q, const char *w)
{
	if (!w[0] || w[0] == '(' || w[0] == '?')
		return;
	if (q->n && !strcmp(q->s[q->n - 1], w))
		return;
	assert_true(q->n < MAX_STATES);
	snprintf(q->s[q->n++], sizeof(q->s[0]), "%s", w);
}

/* Read the ladder's two state columns, at the header's "TCP A" and "TCP B";
 * fin_b: B's state on the row of B's FIN arriving. */
static void columns(const char *out, struct seq *a, struct seq *b, char *fin_b, size_t fin_len)
{
	const char *head = strstr(out, "  ms  TCP A");
	assert_non_null(head);
	const char *eol = strchr(head, '\n');
	assert_non_null(eol);
	const char *bol = head;
	while (bol > out && bol[-1] != '\n')
		bol--;
	size_t ca = (size_t)(strstr(head, "TCP A") - bol), cb = (size_t)(strstr(head, "TCP B") - bol);
	assert_true(cb < (size_t)(eol - bol));
	char line[512], w[32];
	for (const char *p = eol + 1; *p && *p != '\n';) {
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		word_at(line, ca, w, sizeof(w));
		push(a, w);
		word_at(line, cb, w, sizeof(w));
		push(b, w);
		if (strstr(line, "<-- <SEQ=") && strstr(line, "<CTL=FIN,ACK>"))
			snprintf(fin_b, fin_len, "%s", w);
		p += n + (p[n] == '\n');
	}
}

static int index_of(const struct seq *q, const char *s)
{
	for (int i = 0; i < q->n; i++)
		if (!strcmp(q->s[i], s))
			return i;
	return -1;
}

static void print_seq(const char *who, const struct seq *q)
{
	fprintf(stderr, "%s:", who);
	for (int i = 0; i < q->n; i++)
		fprintf(stderr, " %s", q->s[i]);
	fprintf(stderr, "\n");
}

static void demo__tun_synack_closes_first__both_columns_follow_figure_12(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 ss");
	int rc = nt_sh("%s demo --tun --netns %s > %s/out 2> %s/err", t->bin, t->ns, t->dir, t->dir);
	char *out = nt_out("cat %s/out", t->dir), *err = nt_out("cat %s/err", t->dir);
	if (rc != 0)
		fprintf(stderr, "exit %d\n%s\n%s\n", rc, out, err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "\"hello, synack\\n\" came back intact"));
	assert_non_null(strstr(out, "final states  A TIME-WAIT"));

	struct seq a = {0}, b = {0};
	char fin_b[32] = "";
	columns(out, &a, &b, fin_b, sizeof(fin_b));
	print_seq("A", &a);
	print_seq("B", &b);
	/* Ours: exactly Figure 12's left column. */
	static const char *const ours[] = {"CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1",
					   "FIN-WAIT-2", "TIME-WAIT"};
	assert_int_equal(a.n, 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(a.s[i], ours[i]);
	/* The kernel's: in this order, each at most once; some may be missed. */
	static const char *const order[] = {"LISTEN", "SYN-RECV", "ESTAB", "CLOSE-WAIT", "LAST-ACK",
					    "CLOSED"};
	int last = -1;
	for (int i = 0; i < b.n; i++) {
		int k = -1;
		for (int j = 0; j < 6; j++)
			if (!strcmp(b.s[i], order[j]))
				k = j;
		assert_true(k > last); /* a known state, later than the previous */
		last = k;
	}
	assert_int_equal(index_of(&b, "LISTEN"), 0);
	assert_true(index_of(&b, "ESTAB") > 0);
	assert_true(index_of(&b, "LAST-ACK") > 0);
	assert_int_equal(index_of(&b, "CLOSED"), b.n - 1);
	/* B's FIN arrives while the kernel is in LAST-ACK; our ACK closes it. */
	assert_string_equal(fin_b, "LAST-ACK");
	free(out);
	free(err);
	/* The namespace the demo made is gone. */
	assert_int_not_equal(nt_sh("ip netns list | grep -qw %s", t->ns), 0);
}

static void demo__tun_not_root__skipped_with_77(void **state)
{
	struct nt *t = *state;
	nt_require(t, "setpriv");
	int rc = nt_sh("setpriv --reuid 65534 --regid 65534 --clear-groups %s demo --tun "
		       "> %s/out 2> %s/err", t->bin, t->dir, t->dir);
	char *err = nt_out("cat %s/err", t->dir);
	assert_int_equal(rc, 77);
	assert_non_null(strstr(err, "synack: demo: --tun cannot run here: it needs root"));
	assert_non_null(strstr(err, "(skipped)\n"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			demo__tun_synack_closes_first__both_columns_follow_figure_12, nt_setup,
			nt_teardown),
		cmocka_unit_test_setup_teardown(demo__tun_not_root__skipped_with_77, nt_setup,
						nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
