/*
 * libFuzzer harness: arbitrary bytes as IPv4 packets into a stack that has
 * a listener, a connection in progress and an established one, so every
 * input path (IPv4, ICMP, TCP in each state) sees hostile data.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSYNACK_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz_input && build-fuzz/fuzz_input -max_total_time=60
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <synack/synack.h>

static void drop_packet(void *ctx, const void *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
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
		size_t n = (size_t)(data[0] << 8 | data[1]) % 1600;
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		now += 1000;
		synack_input(st, data, n, now);
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
