/* ICMP (RFC 792, RFC 1122 3.2.2): echo replies, unreachables for what we
 * cannot deliver, and errors about our TCP segments handed to TCP. */
#include <string.h>

#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "tcp/tcp.h"
#include "wire/icmp.h"
#include <arpa/inet.h>
#include "wire/ipv4.h"

static void icmp_echo_reply(struct synack_stack *st, const struct ipv4_hdr *ip,
			    const struct icmp_msg *m)
{
	size_t max = st->mtu - IPV4_HDR_LEN - 8;
	if (m->body_len > max)
		return;
	size_t n = icmp_emit(IPV4_PAYLOAD(st), ICMP_ECHOREPLY_, 0, m->rest, m->body, m->body_len);
	MIB_INC(st, ICMP_OUT_MSGS);
	MIB_INC(st, ICMP_OUT_ECHO_REPS);
	ipv4_output(st, ip->saddr, IPPROTO_ICMP_, n);
}

void icmp_input(struct synack_stack *st, const struct ipv4_hdr *ip)
{
	struct icmp_msg m;
	MIB_INC(st, ICMP_IN_MSGS);
	if (icmp_parse(&m, ip->payload, ip->payload_len) < 0) {
		MIB_INC(st, ICMP_IN_CSUM_ERRORS);
		DROP(st, ICMP_IN_ERRORS, "icmp: short or bad checksum");
		return;
	}
	switch (m.type) {
	case ICMP_ECHO_:
		MIB_INC(st, ICMP_IN_ECHOS);
		icmp_echo_reply(st, ip, &m);
		return;
	case ICMP_ECHOREPLY_:
		MIB_INC(st, ICMP_IN_ECHO_REPS);
		return;
	case ICMP_DEST_UNREACH_:
		MIB_INC(st, ICMP_IN_DEST_UNREACHS);
		break;
	case ICMP_TIME_EXCEEDED_:
		MIB_INC(st, ICMP_IN_TIME_EXCDS);
		break;
	case ICMP_PARAMETERPROB_:
		break;
	default:
		return;
	}
	/* The body quotes our IP header and at least 8 bytes after it. */
	struct ipv4_hdr inner;
	if (m.body_len < IPV4_HDR_LEN + 8 || (m.body[0] >> 4) != 4) {
		DROP(st, ICMP_IN_ERRORS, "icmp: error quotes too little");
		return;
	}
	size_t ihl = (size_t)(m.body[0] & 0xf) * 4;
	if (ihl < IPV4_HDR_LEN || m.body_len < ihl + 8) {
		DROP(st, ICMP_IN_ERRORS, "icmp: quoted header malformed");
		return;
	}
	memcpy(&inner.saddr, m.body + 12, 4);
	memcpy(&inner.daddr, m.body + 16, 4);
	inner.saddr = ntohl(inner.saddr);
	inner.daddr = ntohl(inner.daddr);
	if (inner.saddr != st->addr || m.body[9] != IPPROTO_TCP_)
		return;
	/* Linux icmp_unreach: "fragmentation needed" brings the next-hop
	 * MTU in the low half of the header's second word (RFC 1191 4). */
	uint32_t info = 0;
	if (m.type == ICMP_DEST_UNREACH_ && m.code == ICMP_FRAG_NEEDED_)
		info = m.rest & 0xffff;
	tcp_icmp_error(st, m.type, m.code, info, m.body, m.body_len);
}

void icmp_send_unreach(struct synack_stack *st, const uint8_t *pkt, const struct ipv4_hdr *ip,
		       uint8_t code)
{
	/* RFC 1122 3.2.2: never answer a broadcast, or an ICMP error. */
	if (ip->daddr == 0xffffffffu || (ip->daddr >> 28) == 0xe)
		return;
	/* Linux icmp_send: as much of the datagram as fits in 576 bytes
	 * (RFC 1812 4.3.2.3), beyond RFC 792's header + 8. */
	size_t quote = 576 - IPV4_HDR_LEN - 8;
	if (quote > ip->ihl + ip->payload_len)
		quote = ip->ihl + ip->payload_len;
	size_t n = icmp_emit(IPV4_PAYLOAD(st), ICMP_DEST_UNREACH_, code, 0, pkt, quote);
	MIB_INC(st, ICMP_OUT_MSGS);
	MIB_INC(st, ICMP_OUT_DEST_UNREACHS);
	ipv4_output(st, ip->saddr, IPPROTO_ICMP_, n);
}
