/* IPv4 output: one header in front of what the transport wrote. */
#include "core/stack.h"
#include "ipv4/ipv4.h"
#include "wire/ipv4.h"

size_t ipv4_output(struct synack_stack *st, uint32_t daddr, uint8_t proto, size_t len)
{
	if (len + IPV4_HDR_LEN > st->mtu && proto != IPPROTO_TCP_) {
		MIB_INC(st, IP_OUT_NO_ROUTES);
		return 0;
	}
	MIB_INC(st, IP_OUT_REQUESTS);
	/* DF on everything, as Linux does with path-MTU discovery on. */
	ipv4_emit(st->tx, st->addr, daddr, proto, (uint8_t)st->cfg.ip_default_ttl,
		  st->ip_id++, (uint16_t)len, 1);
	if (st->env.send)
		st->env.send(st->env.ctx, st->tx, len + IPV4_HDR_LEN);
	return len + IPV4_HDR_LEN;
}
