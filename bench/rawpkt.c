#include <string.h>

#include "rawpkt.h"

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v); }

/* RFC 1071: the one's-complement sum, folded and inverted. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t bench_tcp_packet(uint8_t *out, uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			uint16_t mss)
{
	size_t tcp_len = mss ? 24 : 20, len = 20 + tcp_len;
	memset(out, 0, len);
	out[0] = 0x45;
	put16(out + 2, (uint32_t)len);
	out[8] = 64;
	out[9] = 6;
	put32(out + 12, saddr);
	put32(out + 16, daddr);
	put16(out + 10, csum_fold(csum_add(0, out, 20)));
	uint8_t *t = out + 20;
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(tcp_len / 4) << 4;
	t[13] = flags;
	put16(t + 14, wnd);
	if (mss) {
		t[20] = 2, t[21] = 4;
		put16(t + 22, mss);
	}
	uint32_t pseudo = (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) + 6 +
			  (uint32_t)tcp_len;
	put16(t + 16, csum_fold(csum_add(pseudo, t, tcp_len)));
	return len;
}
