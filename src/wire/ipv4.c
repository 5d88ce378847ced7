/* IPv4 header parse and emit (RFC 791 3.1, RFC 1122 3.2.1). */
#include "wire/ipv4.h"

#include "wire/checksum.h"
#include "wire/bytes.h"

#define IPV4_DF 0x4000
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

/* RFC 1122 3.2.1.3: a source that is multicast (224/4), limited
 * broadcast or "this host" (0) must be discarded. */
static int bad_source(uint32_t a)
{
	return (a & 0xf0000000u) == 0xe0000000u || a == 0xffffffffu || a == 0;
}

/*
 * Checks run in an order where each one only reads bytes the earlier
 * ones proved present. tot_len < 20 is IPV4_ERR_LENGTH (no header fits);
 * 20 <= tot_len < ihl is IPV4_ERR_IHL (the options run past the datagram).
 * Bytes past tot_len are link-layer padding (e.g. Ethernet minimum frame)
 * and are not part of the payload (RFC 1122 3.2.1.2 is silent on them;
 * every stack trims them).
 */
enum ipv4_parse_err ipv4_parse(struct ipv4_hdr *h, const uint8_t *pkt, size_t len)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < IPV4_HDR_LEN)
		return IPV4_ERR_TRUNCATED;
	if (pkt[0] >> 4 != 4)
		return IPV4_ERR_VERSION;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < IPV4_HDR_LEN)
		return IPV4_ERR_IHL;
	tot = get16(pkt + 2);
	if (tot > len)
		return IPV4_ERR_TRUNCATED;
	if (tot < IPV4_HDR_LEN)
		return IPV4_ERR_LENGTH;
	if (tot < ihl)
		return IPV4_ERR_IHL;
	/* RFC 791 3.1: the sum over the header, checksum field included,
	 * folds to zero when it is intact. ihl <= tot <= len here. */
	if (csum_fold(csum_partial(pkt, ihl, 0)) != 0)
		return IPV4_ERR_CHECKSUM;

	h->saddr = get32(pkt + 12);
	h->daddr = get32(pkt + 16);
	if (bad_source(h->saddr))
		return IPV4_ERR_SADDR;
	h->tos = pkt[1];
	h->tot_len = (uint16_t)tot;
	h->id = get16(pkt + 4);
	frag = get16(pkt + 6);
	h->df = (frag & IPV4_DF) != 0;
	h->mf = (frag & IPV4_MF) != 0;
	h->frag_off = frag & IPV4_OFFMASK;
	h->ttl = pkt[8];
	h->proto = pkt[9];
	h->ihl = (uint8_t)ihl;
	h->payload = pkt + ihl;
	h->payload_len = tot - ihl;
	return IPV4_OK;
}

/* A payload of more than 65535 - 20 bytes cannot be described by
 * tot_len; then nothing is written and 0 is returned. */
size_t ipv4_emit(uint8_t *out, uint32_t saddr, uint32_t daddr, uint8_t proto,
		 uint8_t ttl, uint16_t id, uint16_t payload_len, int df)
{
	return ipv4_emit_tos(out, saddr, daddr, proto, ttl, 0, id, payload_len, df);
}

size_t ipv4_emit_tos(uint8_t *out, uint32_t saddr, uint32_t daddr, uint8_t proto, uint8_t ttl,
		     uint8_t tos, uint16_t id, uint16_t payload_len, int df)
{
	if (payload_len > 0xffff - IPV4_HDR_LEN)
		return 0;
	out[0] = 0x45;          /* version 4, IHL 5: we send no IP options */
	out[1] = tos;           /* DSCP and ECN (RFC 2474, RFC 3168 5) */
	put16(out + 2, (uint16_t)(IPV4_HDR_LEN + payload_len));
	put16(out + 4, id);
	put16(out + 6, df ? IPV4_DF : 0);
	out[8] = ttl;
	out[9] = proto;
	put16(out + 10, 0);
	put32(out + 12, saddr);
	put32(out + 16, daddr);
	put16(out + 10, csum_fold(csum_partial(out, IPV4_HDR_LEN, 0)));
	return IPV4_HDR_LEN;
}
