/*
 * libFuzzer harness: arbitrary bytes as IPv4 packets into a stack that has
 * a listener, a connection in progress and an established one, so every
 * input path (IPv4, ICMP, TCP in each state) sees hostile data. Each
 * packet's length prefix has a flag that makes the harness fill in valid
 * IPv4, TCP and ICMP checksums, so inputs reach past the checksum checks
 * into option parsing and the state machine instead of stopping there.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSYNACK_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_input && build-fuzz/fuzz_input -max_total_time=60
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <synack/synack.h>

#include "wire/checksum.h"

static void drop_packet(void *ctx, const void *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_sum(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Valid checksums for an IPv4 packet as far as its headers allow. */
static void fix_checksums(uint8_t *pkt, size_t n)
{
	if (n < 20 || pkt[0] >> 4 != 4)
		return;
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	if (ihl < 20 || ihl > n)
		return;
	put_sum(pkt + 10, 0);
	put_sum(pkt + 10, csum_fold(csum_partial(pkt, ihl, 0)));
	uint8_t *l4 = pkt + ihl;
	size_t len = n - ihl;
	if (pkt[9] == 6 && len >= 20) {
		put_sum(l4 + 16, 0);
		uint32_t sum = csum_pseudo(be32(pkt + 12), be32(pkt + 16), 6, (uint16_t)len);
		put_sum(l4 + 16, csum_fold(csum_partial(l4, len, sum)));
	} else if (pkt[9] == 1 && len >= 4) {
		put_sum(l4 + 2, 0);
		put_sum(l4 + 2, csum_fold(csum_partial(l4, len, 0)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synack_params p = {
		.addr = {htonl(0x0a000001)},
		.seed = 7,
		.env = {.send = drop_packet},
	};
	struct synack_stack *st = synack_stack_new(&p);
	if (!st)
		return 0;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	int lfd = synack_socket(st, AF_INET, SOCK_STREAM, 0);
	synack_bind(st, lfd, (struct sockaddr *)&sin, sizeof(sin));
	synack_listen(st, lfd, 8);
	int cfd = synack_socket(st, AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(0x0a000002);
	sin.sin_port = htons(40000);
	synack_connect(st, cfd, (struct sockaddr *)&sin, sizeof(sin));
	/* Split the input into packets at a length prefix, with time moving. */
	synack_time_t now = 0;
	while (size >= 2) {
		bool fix = data[0] & 0x80;
		size_t n = (size_t)((data[0] & 0x7f) << 8 | data[1]) % 1600;
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		now += 1000;
		uint8_t pkt[1600];
		memcpy(pkt, data, n);
		if (fix)
			fix_checksums(pkt, n);
		synack_input(st, pkt, n, now);
		synack_poll(st, now);
		data += n;
		size -= n;
	}
	char buf[256];
	synack_recv(st, cfd, buf, sizeof(buf), 0);
	synack_accept(st, lfd, NULL, NULL);
	synack_poll(st, now + SYNACK_SEC(200));
	synack_stack_free(st);
	return 0;
}
