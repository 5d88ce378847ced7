/* The network layer: IPv4 in and out, ICMP. */
#ifndef SYNACK_IPV4_IPV4_H
#define SYNACK_IPV4_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct synack_stack;
struct ipv4_hdr;

#define IPV4_PAYLOAD(st) ((st)->tx + 20)

void ipv4_input(struct synack_stack *st, const uint8_t *pkt, size_t len);
/* Send the len bytes the caller wrote at IPV4_PAYLOAD(st) to daddr.
 * Returns 0 once the device took it (the packet is st->tx, len + 20
 * bytes), -EMSGSIZE if it is not sent (too big), -ENOBUFS if the device
 * refused it (its transmit queue is full: local congestion). */
int ipv4_output(struct synack_stack *st, uint32_t daddr, uint8_t proto, size_t len);
/* route.c: the path MTU to daddr (RFC 1191): learned from ICMP and not
 * expired, else the device's; *locked (may be NULL): clamped to
 * route.min_pmtu; *expires (may be NULL): when it is forgotten, 0 = the
 * device's. */
unsigned ipv4_route_mtu(struct synack_stack *st, uint32_t daddr, bool *locked,
			uint64_t *expires);
/* An ICMP "fragmentation needed" reported mtu for daddr (Linux
 * __ip_rt_update_pmtu); bumps st->pmtu_gen when the cache changes. */
void ipv4_update_pmtu(struct synack_stack *st, uint32_t daddr, unsigned mtu);
/* Does a TCP packet to daddr carry DF (Linux ip_dont_fragment: yes
 * unless the path MTU is locked)? */
bool ipv4_dont_fragment(struct synack_stack *st, uint32_t daddr);
/* The same with the sender's TOS byte and TTL (IP_TOS, IP_TTL; ttl < 0:
 * net.ipv4.ip_default_ttl). */
int ipv4_output_tos(struct synack_stack *st, uint32_t daddr, uint8_t proto, size_t len,
		    uint8_t tos, int ttl);
void icmp_input(struct synack_stack *st, const struct ipv4_hdr *ip);
/* Report an undeliverable datagram (RFC 1122 3.2.2.1) with its header. */
void icmp_send_unreach(struct synack_stack *st, const uint8_t *pkt, const struct ipv4_hdr *ip,
		       uint8_t code);

#endif
