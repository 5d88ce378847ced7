/* IPv4 output: one header in front of what the transport wrote. */
#include <errno.h>

#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "wire/ipv4.h"

int ipv4_output(struct synack_stack *st, uint32_t daddr, uint8_t proto, size_t len)
{
	return ipv4_output_tos(st, daddr, proto, len, 0, -1);
}

int ipv4_output_tos(struct synack_stack *st, uint32_t daddr, uint8_t proto, size_t len,
		    uint8_t tos, int ttl)
{
	if (len + IPV4_HDR_LEN > st->mtu && proto != IPPROTO_TCP_) {
		MIB_INC(st, IP_OUT_NO_ROUTES);
		return -EMSGSIZE;
	}
	MIB_INC(st, IP_OUT_REQUESTS);
	/* DF, as Linux with path-MTU discovery on (RFC 1191 3); TCP to a
	 * destination whose path MTU was locked at route.min_pmtu goes
	 * without it (ip_dont_fragment). */
	int df = proto != IPPROTO_TCP_ || ipv4_dont_fragment(st, daddr);
	ipv4_emit_tos(st->tx, st->addr, daddr, proto,
		      (uint8_t)(ttl < 0 ? st->cfg.ip_default_ttl : ttl), tos, st->ip_id++,
		      (uint16_t)len, df);
	if (st->env.xmit) {
		if (st->env.xmit(st->env.ctx, st->tx, len + IPV4_HDR_LEN) != SYNACK_XMIT_OK) {
			/* The device's queue is full. Linux counts this in the
			 * qdisc (tc -s: dropped) and hands NET_XMIT_DROP back
			 * to the sender; IpOutDiscards is RFC 4293's counter for
			 * datagrams discarded "for lack of buffer space". */
			DROP(st, IP_OUT_DISCARDS, "device refused the packet (transmit queue full)");
			return -ENOBUFS;
		}
	} else if (st->env.send) {
		st->env.send(st->env.ctx, st->tx, len + IPV4_HDR_LEN);
	}
	return 0;
}
