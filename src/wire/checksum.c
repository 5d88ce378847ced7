/*
 * The Internet checksum (RFC 1071): the one's-complement sum of 16-bit
 * big-endian words. Sums are kept as numbers in host order, so a folded
 * result is stored into a header as a big-endian 16-bit field.
 */
#include "wire/checksum.h"

/* Fold the carries of a wide sum back into 16 bits (RFC 1071 4.1:
 * end-around carry), leaving a value <= 0xffff. */
static uint32_t fold16(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

/*
 * An odd trailing byte is the high half of a last word padded with zero
 * (RFC 1071 4.1), so only the final piece of a chained sum may be odd.
 * The 64-bit accumulator cannot overflow for any size_t length a packet
 * has (2^48 words of 0xffff).
 */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	return fold16(s);
}

uint16_t csum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

/* RFC 9293 3.1: source, destination, zero + protocol, TCP length. */
uint32_t csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len)
{
	uint64_t s = 0;

	s += saddr >> 16;
	s += saddr & 0xffff;
	s += daddr >> 16;
	s += daddr & 0xffff;
	s += proto;
	s += len;
	return fold16(s);
}
