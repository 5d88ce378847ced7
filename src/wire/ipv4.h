/* IPv4 header: parse with every field checked, and emit. Addresses are
 * host byte order above this layer. RFC 791, RFC 1122 3.2.1. */
#ifndef SYNACK_WIRE_IPV4_H
#define SYNACK_WIRE_IPV4_H

#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_LEN 20
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6

struct ipv4_hdr {
	uint32_t saddr, daddr;
	uint8_t proto, ttl, tos, ihl;   /* ihl in bytes */
	uint16_t id, tot_len;
	uint16_t frag_off;              /* offset in 8-byte units */
	uint8_t df, mf;
	const uint8_t *payload;         /* points into the packet */
	size_t payload_len;             /* tot_len - ihl: trailing padding cut */
};

enum ipv4_parse_err {
	IPV4_OK = 0,
	IPV4_ERR_TRUNCATED,  /* shorter than 20 bytes or than tot_len */
	IPV4_ERR_VERSION,    /* version != 4 */
	IPV4_ERR_IHL,        /* ihl < 5 or past tot_len */
	IPV4_ERR_LENGTH,     /* tot_len < ihl */
	IPV4_ERR_CHECKSUM,   /* header checksum wrong */
	IPV4_ERR_SADDR,      /* source is multicast, broadcast or 0 */
};

enum ipv4_parse_err ipv4_parse(struct ipv4_hdr *h, const uint8_t *pkt, size_t len);
/* Write a 20-byte header (no options) with its checksum. Returns 20, or
 * 0 (nothing written) if payload_len > 65515 cannot fit in tot_len. */
size_t ipv4_emit(uint8_t *out, uint32_t saddr, uint32_t daddr, uint8_t proto,
		 uint8_t ttl, uint16_t id, uint16_t payload_len, int df);
/* The same with a TOS byte (DSCP and the ECN field, RFC 3168 5). */
size_t ipv4_emit_tos(uint8_t *out, uint32_t saddr, uint32_t daddr, uint8_t proto, uint8_t ttl,
		     uint8_t tos, uint16_t id, uint16_t payload_len, int df);

/* RFC 3168 5: the ECN field, the TOS byte's two low bits. */
#define IP_ECN_MASK_ 0x03
#define IP_ECN_NOT_ECT 0x00
#define IP_ECN_ECT1 0x01
#define IP_ECN_ECT0 0x02
#define IP_ECN_CE 0x03

#endif
