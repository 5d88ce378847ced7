/*
 * CLOSED (RFC 9293 3.10.7.1): a segment that reaches no connection and no
 * listener. Data is discarded; a RST is dropped; anything else draws a
 * RST built from the offending segment: <SEQ=SEG.ACK><CTL=RST> if it
 * carried an ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where
 * SYN and FIN each count one (Linux tcp_v4_send_reset does the same and
 * sends window 0).
 */
#include <arpa/inet.h>

#include "scenario.h"

static uint64_t rsts(struct scn *t) { return scn_counter(t, "TcpOutRsts"); }
static uint64_t nosock(struct scn *t) { return scn_counter(t, "TcpExtTCPDropNoSocket"); }

static void closed__syn__rst_ack_acks_syn(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 1, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(rsts(t), 1);
	assert_int_equal(nosock(t), 1);
	assert_int_equal(scn_counter(t, "TcpInSegs"), 1);
	assert_int_equal(scn_conn_state(t), SYNACK_CLOSE);
	scn_free(t);
}

static void closed__ack__rst_seq_is_seg_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = ACK, .seq = R_ISS, .ack = 0x12345678));
	scn_expect(t, SEG(.flags = RST, .seq = 0x12345678, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(rsts(t), 1);
	assert_int_equal(nosock(t), 1);
	scn_free(t);
}

/* Data without ACK: the RST acks every byte; 20 bytes from R_ISS cross 2^32. */
static void closed__data_without_ack__rst_ack_covers_data(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = PSH, .seq = R_ISS, .data = "0123456789abcdefghij"));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 20, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(R_ISS + 20, 4u); /* the wrap really happened */
	assert_int_equal(rsts(t), 1);
	scn_free(t);
}

/* Data with ACK: the RST takes its sequence number from SEG.ACK. */
static void closed__data_with_ack__rst_seq_is_seg_ack(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = PSH | ACK, .seq = R_ISS, .ack = 0xfffffffe, .data = "hello"));
	scn_expect(t, SEG(.flags = RST, .seq = 0xfffffffe, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(rsts(t), 1);
	scn_free(t);
}

/* A FIN occupies one sequence number, so the RST acks SEG.SEQ+1. */
static void closed__fin_without_ack__rst_ack_counts_fin(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = FIN, .seq = R_ISS + 15));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 16, .wnd = 0));
	scn_expect_none(t);
	scn_free(t);
}

/* SYN, data and FIN together: SEG.LEN is data + 1 + 1. */
static void closed__syn_data_fin__rst_ack_counts_all(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = SYN | FIN, .seq = R_ISS, .data = "abc"));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 5, .wnd = 0));
	scn_expect_none(t);
	scn_free(t);
}

/* A RST is never answered (RFC 9293 3.10.7.1), with or without ACK. */
static void closed__rst__nothing_sent(void **state)
{
	struct scn *t = scn_new(NULL);
	scn_inject(t, 0, SEG(.flags = RST, .seq = R_ISS));
	scn_inject(t, 1, SEG(.flags = RST | ACK, .seq = R_ISS, .ack = 77));
	scn_expect_none(t);
	assert_int_equal(rsts(t), 0);
	assert_int_equal(nosock(t), 2);
	scn_free(t);
}

/* A socket that is bound but not listening takes no segments. */
static void closed__bound_socket_not_listening__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	int fd = synack_socket(t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(L_PORT)};
	assert_int_equal(synack_bind(t->st, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .mss = 1460));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 1, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	scn_free(t);
}

/* A listener on port 80 does not answer for port 81. */
static void closed__other_port_than_listener__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	fx_listen(t);
	scn_inject(t, 0, SEG(.flags = SYN, .seq = R_ISS, .dport = 81, .mss = 1460));
	scn_expect(t, SEG(.flags = RST | ACK, .seq = 0, .ack = R_ISS + 1, .wnd = 0, .dport = 81));
	scn_expect_none(t);
	assert_int_equal(nosock(t), 1);
	scn_free(t);
}

/* Once a connection is reset it no longer exists: its old segments reach
 * CLOSED and are answered with RST. */
static void closed__segment_after_connection_reset__rst(void **state)
{
	struct scn *t = scn_new(NULL);
	uint32_t iss;
	int fd = fx_active_established(t, &iss);
	scn_inject(t, 10, SEG(.flags = RST, .seq = R_ISS + 1));
	scn_expect_none(t);
	assert_int_equal(scn_state(t, fd), SYNACK_CLOSE);
	scn_inject(t, 20, SEG(.flags = PSH | ACK, .seq = R_ISS + 1, .ack = iss + 1, .data = "late"));
	scn_expect(t, SEG(.flags = RST, .seq = iss + 1, .wnd = 0));
	scn_expect_none(t);
	assert_int_equal(rsts(t), 1);
	assert_int_equal(nosock(t), 1);
	scn_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(closed__syn__rst_ack_acks_syn),
		cmocka_unit_test(closed__ack__rst_seq_is_seg_ack),
		cmocka_unit_test(closed__data_without_ack__rst_ack_covers_data),
		cmocka_unit_test(closed__data_with_ack__rst_seq_is_seg_ack),
		cmocka_unit_test(closed__fin_without_ack__rst_ack_counts_fin),
		cmocka_unit_test(closed__syn_data_fin__rst_ack_counts_all),
		cmocka_unit_test(closed__rst__nothing_sent),
		cmocka_unit_test(closed__bound_socket_not_listening__rst),
		cmocka_unit_test(closed__other_port_than_listener__rst),
		cmocka_unit_test(closed__segment_after_connection_reset__rst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
