/*
 * Close sequences between synack and the Linux kernel, each side's states
 * read from its own listing: the kernel's `ss` in the namespace and
 * `synack ss` (plus the state log of `synack connect -v`).
 * RFC 9293 3.6, Figure 12 (normal close sequence), from both ends:
 *  - synack closes first: synack FIN-WAIT-2 while the kernel is in
 *    CLOSE-WAIT; the kernel in LAST-ACK (synack frozen before it can ACK)
 *    and then synack in TIME-WAIT;
 *  - the kernel closes first: the mirror.
 */
#include "nettest.h"

/* Namespace, and a Linux peer.py holding one connection on port. */
static void start_hold(struct nt *t, int port, int close_at_once)
{
	char cmd[256];
	assert_int_equal(nt_sh("ip netns add %s && ip -n %s link set lo up", t->ns, t->ns), 0);
	if (close_at_once)
		assert_int_equal(nt_sh("touch %s/trigger", t->dir), 0);
	nt_spawn(t, "peer", -1, "ip netns exec %s python3 %s/peer.py hold %d %s/trigger", t->ns,
		 t->src, port, t->dir);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Hltn sport = :%d | grep -q LISTEN", t->ns, port);
	assert_true(nt_wait_sh(10000, cmd));
}

/* synack connect with stdin from a pipe; returns the pipe's write end. */
static int start_connect(struct nt *t, int port, pid_t *pid)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	*pid = nt_spawn(t, "connect", p[0], "%s connect --netns %s --linger 3 -v " NT_KADDR " %d", t->bin,
			t->ns, port);
	close(p[0]);
	assert_true(nt_wait_for(t, "connect.err", "SYN-SENT -> ESTAB", 10000));
	return p[1];
}

static int kernel_in(struct nt *t, const char *state, int port)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Htan state %s \"( sport = :%d )\" | grep -q .",
		 t->ns, state, port);
	return nt_wait_sh(5000, cmd);
}

static int synack_in(struct nt *t, pid_t pid, const char *state, int port)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "%s ss -H --pid %d state %s | grep -q " NT_KADDR ":%d", t->bin,
		 (int)pid, state, port);
	return nt_wait_sh(5000, cmd);
}

static void close__synack_first__fin_wait2_close_wait_then_time_wait_last_ack(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 ss");
	pid_t pid;
	start_hold(t, 5002, 0);
	int in = start_connect(t, 5002, &pid);
	close(in); /* end of stdin: synack's FIN */
	assert_true(kernel_in(t, "close-wait", 5002));
	assert_true(synack_in(t, pid, "fin-wait-2", 5002));
	/* Freeze synack, let the kernel close: its FIN waits unacknowledged. */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	assert_int_equal(nt_sh("touch %s/trigger", t->dir), 0);
	assert_true(kernel_in(t, "last-ack", 5002));
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_true(synack_in(t, pid, "time-wait", 5002));
	/* Our ACK of its FIN closed the kernel's side: no row left but the listener's. */
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "ip netns exec %s ss -Htan \"( sport = :5002 )\" | grep -v LISTEN | "
		 "grep -q .", t->ns);
	assert_int_not_equal(nt_sh("%s", cmd), 0);
	assert_int_equal(nt_join(t, pid, 10000), 0);
	assert_true(nt_wait_for(t, "connect.err", "ESTAB -> FIN-WAIT-1", 0));
	assert_true(nt_wait_for(t, "connect.err", "FIN-WAIT-1 -> FIN-WAIT-2", 0));
	assert_true(nt_wait_for(t, "connect.err", "FIN-WAIT-2 -> TIME-WAIT", 0));
}

static void close__kernel_first__close_wait_fin_wait2_then_last_ack_time_wait(void **state)
{
	struct nt *t = *state;
	nt_require(t, "python3 ss");
	pid_t pid;
	start_hold(t, 5003, 1); /* the kernel closes as soon as it accepts */
	int in = start_connect(t, 5003, &pid);
	assert_true(kernel_in(t, "fin-wait-2", 5003));
	assert_true(synack_in(t, pid, "close-wait", 5003));
	close(in); /* now synack closes: LAST-ACK, then the kernel's TIME-WAIT */
	assert_true(kernel_in(t, "time-wait", 5003));
	assert_int_equal(nt_join(t, pid, 10000), 0);
	assert_true(nt_wait_for(t, "connect.err", "ESTAB -> CLOSE-WAIT", 0));
	assert_true(nt_wait_for(t, "connect.err", "CLOSE-WAIT -> LAST-ACK", 0));
	assert_true(nt_wait_for(t, "connect.err", "LAST-ACK -> UNCONN", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			close__synack_first__fin_wait2_close_wait_then_time_wait_last_ack, nt_setup,
			nt_teardown),
		cmocka_unit_test_setup_teardown(
			close__kernel_first__close_wait_fin_wait2_then_last_ack_time_wait, nt_setup,
			nt_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
