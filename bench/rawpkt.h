/* Hand-built IPv4/TCP packets for the benchmarks that play many peers
 * without a second stack (bench/ sees only the public API, so the bytes
 * are laid out here). */
#ifndef SYNACK_BENCH_RAWPKT_H
#define SYNACK_BENCH_RAWPKT_H

#include <stddef.h>
#include <stdint.h>

/* One packet (addresses host order) with valid checksums into out (at
 * least 44 bytes); mss != 0 adds the MSS option. Returns its length. */
size_t bench_tcp_packet(uint8_t *out, uint32_t saddr, uint32_t daddr, uint16_t sport,
			uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
			uint16_t mss);

#endif
