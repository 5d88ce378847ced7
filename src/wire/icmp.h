/* ICMP for IPv4 (RFC 792): parse the messages TCP cares about, emit
 * echo replies and unreachables. */
#ifndef SYNACK_WIRE_ICMP_H
#define SYNACK_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

enum {
	ICMP_ECHOREPLY_ = 0,
	ICMP_DEST_UNREACH_ = 3,
	ICMP_ECHO_ = 8,
	ICMP_TIME_EXCEEDED_ = 11,
	ICMP_PARAMETERPROB_ = 12,
};
enum {
	ICMP_NET_UNREACH_ = 0,
	ICMP_HOST_UNREACH_ = 1,
	ICMP_PROT_UNREACH_ = 2,
	ICMP_PORT_UNREACH_ = 3,
	ICMP_FRAG_NEEDED_ = 4,
	ICMP_SR_FAILED_ = 5,
};

struct icmp_msg {
	uint8_t type, code;
	uint32_t rest;           /* bytes 4..7 (id/seq, or next-hop MTU) */
	const uint8_t *body;     /* after the 8-byte header */
	size_t body_len;
};

/* Parse and verify the checksum. Returns 0, or -1 if short or corrupt. */
int icmp_parse(struct icmp_msg *m, const uint8_t *p, size_t len);
/* Write type, code, rest, body with checksum; returns 8 + body_len. */
size_t icmp_emit(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest,
		 const uint8_t *body, size_t body_len);

#endif
