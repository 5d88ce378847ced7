/*
 * Present our output as a TSO/GSO device would (packetdrill's tun shows
 * Linux's packets before segmentation). Linux builds one large skb for a
 * burst of data (tcp_write_xmit with TSO/GSO on every device packetdrill
 * uses) and the tun device hands packetdrill that skb whole, so upstream
 * scripts expect e.g. `P. 1:10001(10000)` where synack, which has no
 * offload, emits ten MSS-sized segments. To compare like with like, this
 * driver joins back-to-back data segments of one flow, sent at the same
 * virtual instant with contiguous sequence numbers and identical headers
 * and options (PSH and FIN only on the last), into one packet of at most
 * 64 KiB and Linux's TSO size for the flow (pd_tso.c), exactly what
 * segmenting that packet would give back. The core marks PSH by the
 * same grouping (src/tcp/push.c: that is on the wire, as Linux's device
 * puts a packet's PSH on its last segment); on a real link the segments
 * go out as they are.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pd.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#define IP_HLEN 20
#define TH_FIN 0x01
#define TH_PSH 0x08

/* A plain IPv4/TCP packet (no IP options, not a fragment): its TCP header
 * length and payload length, or false. */
static bool tcp_parts(const uint8_t *p, size_t len, size_t *thl, size_t *plen)
{
	if (len < IP_HLEN + 20 || p[0] != 0x45 || p[9] != 6 || get16(p + 2) != len ||
	    (get16(p + 6) & 0x3fff))
		return false;
	*thl = (size_t)(p[IP_HLEN + 12] >> 4) * 4;
	if (*thl < 20 || IP_HLEN + *thl > len)
		return false;
	*plen = len - IP_HLEN - *thl;
	return true;
}

static void fix_checksums(uint8_t *p, size_t len)
{
	put16(p + 2, (uint16_t)len);
	put16(p + 10, 0);
	put16(p + 10, csum_fold(csum_partial(p, IP_HLEN, 0)));
	uint8_t *th = p + IP_HLEN;
	size_t tlen = len - IP_HLEN;
	put16(th + 16, 0);
	uint32_t s = csum_pseudo(get32(p + 12), get32(p + 16), 6, (uint16_t)tlen);
	put16(th + 16, csum_fold(csum_partial(th, tlen, s)));
}

bool pd_gso_append(uint8_t *pkt, size_t *len, size_t cap, const uint8_t *nx, size_t nlen,
		   size_t max_payload)
{
	size_t thl, plen, nthl, nplen;
	if (!tcp_parts(pkt, *len, &thl, &plen) || !tcp_parts(nx, nlen, &nthl, &nplen))
		return false;
	const uint8_t *th = pkt + IP_HLEN, *nth = nx + IP_HLEN;
	uint8_t fl = th[13], nfl = nth[13];
	if (plen == 0 || nplen == 0 || thl != nthl || *len + nplen > cap || *len + nplen > 65535 ||
	    plen + nplen > max_payload)
		return false;
	/* Same addresses, TTL, TOS; same ports, ACK, window, urgent, options. */
	if (memcmp(pkt + 12, nx + 12, 8) || pkt[1] != nx[1] || pkt[8] != nx[8] ||
	    memcmp(th, nth, 4) || memcmp(th + 8, nth + 8, 5) || memcmp(th + 14, nth + 14, 2) ||
	    memcmp(th + 18, nth + 18, thl - 18))
		return false;
	/* Only PSH and FIN may differ, and only the last segment has them. */
	if ((fl & (TH_PSH | TH_FIN)) || (fl & ~(TH_PSH | TH_FIN)) != (nfl & ~(TH_PSH | TH_FIN)))
		return false;
	if (get32(th + 4) + (uint32_t)plen != get32(nth + 4))
		return false;
	memcpy(pkt + *len, nth + nthl, nplen);
	*len += nplen;
	pkt[IP_HLEN + 13] = nfl;
	fix_checksums(pkt, *len);
	return true;
}
