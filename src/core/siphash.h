/* SipHash-2-4 (Aumasson & Bernstein): the keyed hash behind ISNs, port
 * choice and the connection table, so a peer cannot predict or collide. */
#ifndef SYNACK_CORE_SIPHASH_H
#define SYNACK_CORE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
