/* The Internet checksum (RFC 1071) and the TCP/UDP pseudo-header sum. */
#ifndef SYNACK_WIRE_CHECKSUM_H
#define SYNACK_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's-complement sum of data, folded to 16 bits, added to sum (not inverted). */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);
/* Fold and invert: the value that goes into a header. */
uint16_t csum_fold(uint32_t sum);
/* Sum of the IPv4 pseudo header (addresses host order). */
uint32_t csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len);

#endif
