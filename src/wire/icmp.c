/* ICMP messages (RFC 792): an 8-byte header (type, code, checksum, four
 * type-specific bytes) and a body, checksummed as a whole. */
#include "wire/icmp.h"

#include <string.h>

#include "wire/checksum.h"

#define ICMP_HDR_LEN 8

int icmp_parse(struct icmp_msg *m, const uint8_t *p, size_t len)
{
	if (len < ICMP_HDR_LEN)
		return -1;
	/* RFC 792: the checksum covers the whole ICMP message. */
	if (csum_fold(csum_partial(p, len, 0)) != 0)
		return -1;
	m->type = p[0];
	m->code = p[1];
	m->rest = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	m->body = p + ICMP_HDR_LEN;
	m->body_len = len - ICMP_HDR_LEN;
	return 0;
}

/* body may overlap out (an echo reply built in place), hence memmove. */
size_t icmp_emit(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest,
		 const uint8_t *body, size_t body_len)
{
	uint16_t c;

	if (body_len)
		memmove(out + ICMP_HDR_LEN, body, body_len);
	out[0] = type;
	out[1] = code;
	out[2] = 0;
	out[3] = 0;
	out[4] = (uint8_t)(rest >> 24);
	out[5] = (uint8_t)(rest >> 16);
	out[6] = (uint8_t)(rest >> 8);
	out[7] = (uint8_t)rest;
	c = csum_fold(csum_partial(out, ICMP_HDR_LEN + body_len, 0));
	out[2] = (uint8_t)(c >> 8);
	out[3] = (uint8_t)c;
	return ICMP_HDR_LEN + body_len;
}
