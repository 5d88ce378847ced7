/* A small seeded generator (xoshiro256**, seeded through splitmix64).
 * Every random choice of a stack or of memlink comes from one of these,
 * so a seed replays a run exactly. Not for secrets on its own: keys are
 * drawn from it once and then used through SipHash. */
#ifndef SYNACK_CORE_RNG_H
#define SYNACK_CORE_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);

#endif
