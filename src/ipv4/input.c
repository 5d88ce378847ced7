/* IPv4 input: every header field checked before use (RFC 791, RFC 1122
 * 3.2.1), each failure dropped and counted under Linux's name. */
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "tcp/tcp.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

static bool ipv4_header_ok(struct synack_stack *st, enum ipv4_parse_err err, const uint8_t *pkt,
			   size_t len)
{
	switch (err) {
	case IPV4_OK:
		return true;
	case IPV4_ERR_TRUNCATED:
		/* Linux ip_rcv_core: without a whole header (20 bytes, then
		 * IHL's) it is a header error, and the header checksum comes
		 * before tot_len; only a sound header whose tot_len runs past
		 * the data counts as truncated. Version and IHL >= 5 are
		 * already checked when len >= 20. */
		if (len < IPV4_HDR_LEN || (size_t)(pkt[0] & 0xf) * 4 > len) {
			DROP(st, IP_IN_HDR_ERRORS, "ipv4: shorter than its header");
			return false;
		}
		if (csum_fold(csum_partial(pkt, (size_t)(pkt[0] & 0xf) * 4, 0)) != 0) {
			MIB_INC(st, IP_EXT_IN_CSUM_ERRORS);
			DROP(st, IP_IN_HDR_ERRORS, "ipv4: bad header checksum");
			return false;
		}
		DROP(st, IP_EXT_IN_TRUNCATED_PKTS, "ipv4: packet shorter than its total length");
		return false;
	case IPV4_ERR_CHECKSUM:
		MIB_INC(st, IP_EXT_IN_CSUM_ERRORS);
		DROP(st, IP_IN_HDR_ERRORS, "ipv4: bad header checksum");
		return false;
	case IPV4_ERR_VERSION:
		DROP(st, IP_IN_HDR_ERRORS, "ipv4: version is not 4");
		return false;
	case IPV4_ERR_IHL:
		DROP(st, IP_IN_HDR_ERRORS, "ipv4: header length below 20 or past the total length");
		return false;
	case IPV4_ERR_LENGTH:
		DROP(st, IP_IN_HDR_ERRORS, "ipv4: total length below the header length");
		return false;
	case IPV4_ERR_SADDR:
		DROP(st, IP_IN_ADDR_ERRORS, "ipv4: martian source address");
		return false;
	}
	return false;
}

void ipv4_input(struct synack_stack *st, const uint8_t *pkt, size_t len)
{
	struct ipv4_hdr ip;
	MIB_INC(st, IP_IN_RECEIVES);
	if (!ipv4_header_ok(st, ipv4_parse(&ip, pkt, len), pkt, len))
		return;
	/* Linux ip_rcv_core: every datagram counted by its ECN codepoint
	 * (IpExtInNoECTPkts, InECT1Pkts, InECT0Pkts, InCEPkts). */
	switch (ip.tos & IP_ECN_MASK_) {
	case IP_ECN_NOT_ECT:
		MIB_INC(st, IP_EXT_IN_NO_ECT_PKTS);
		break;
	case IP_ECN_ECT1:
		MIB_INC(st, IP_EXT_IN_ECT1_PKTS);
		break;
	case IP_ECN_ECT0:
		MIB_INC(st, IP_EXT_IN_ECT0_PKTS);
		break;
	default:
		MIB_INC(st, IP_EXT_IN_CE_PKTS);
		break;
	}
	/* TTL is not a reason to drop: RFC 1122 3.2.1.7 forbids a host to
	 * discard a datagram for a TTL below 2. */
	if (ip.daddr != st->addr) {
		DROP(st, IP_IN_ADDR_ERRORS, "ipv4: not addressed to this host");
		return;
	}
	/* Fragments are dropped and counted, not reassembled (README). */
	if (ip.mf || ip.frag_off) {
		MIB_INC(st, IP_REASM_REQDS);
		DROP(st, IP_REASM_FAILS, "ipv4: fragment (reassembly not supported)");
		return;
	}
	switch (ip.proto) {
	case IPPROTO_TCP_:
		MIB_INC(st, IP_IN_DELIVERS);
		tcp_input(st, &ip);
		return;
	case IPPROTO_ICMP_:
		MIB_INC(st, IP_IN_DELIVERS);
		icmp_input(st, &ip);
		return;
	default:
		DROP(st, IP_IN_UNKNOWN_PROTOS, "ipv4: unknown protocol");
		icmp_send_unreach(st, pkt, &ip, ICMP_PROT_UNREACH_);
		return;
	}
}
