/*
 * SYN cookies as Linux makes them (net/ipv4/syncookies.c): the ISN of a
 * SYN-ACK that carries, keyed by two per-stack SipHash secrets, the
 * 4-tuple, a minute counter and an index into a table of four MSS
 * values; with timestamps, window scale, SACK-permitted and ECN ride in
 * the low six bits of our TSval. Pure functions: no stack, no memory.
 */
#ifndef SYNACK_TCP_SYNCOOKIE_H
#define SYNACK_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/siphash.h"

#define SYNCOOKIE_BITS 24
#define SYNCOOKIE_MASK ((1u << SYNCOOKIE_BITS) - 1)
#define SYNCOOKIE_MAX_AGE 2          /* minutes: a cookie is good for delta 0 and 1 */
#define SYNCOOKIE_VALID_US (120 * 1000000ull) /* checked within 2 min of an overflow */
#define SYNCOOKIE_MSS_COUNT 4
#define SYNCOOKIE_TS_BITS 6
#define SYNCOOKIE_TS_WSCALE_NONE 0xfu
#define SYNCOOKIE_TS_SACK 0x10u
#define SYNCOOKIE_TS_ECN 0x20u

/* The connection as seen from the peer that sent the SYN. */
struct syncookie_tuple {
	uint32_t saddr, daddr;  /* peer, us */
	uint16_t sport, dport;
};

/* Options the timestamp carries (Linux cookie_init_timestamp). */
struct syncookie_opts {
	bool wscale_ok, sack_ok, ecn_ok;
	uint8_t wscale;
};

/* Linux's MSS table {536, 1300, 1440, 1460}: index of the largest entry
 * not above mss (0 if mss is below them all); *out gets the entry. */
unsigned syncookie_mss_index(uint16_t mss, uint16_t *out);
uint16_t syncookie_mss(unsigned index);

/* The minute counter (Linux tcp_cookie_time: jiffies / 60 s). */
uint32_t syncookie_minute(uint64_t now_us);

/* ISN = H1(tuple) + peer_isn + (minute << 24) + ((H2(tuple, minute) + index) & 0xffffff). */
uint32_t syncookie_make(const struct siphash_key key[2], const struct syncookie_tuple *t,
			uint32_t peer_isn, uint32_t minute, unsigned mss_index);
/* The MSS index a cookie holds if it was made within the last two
 * minutes for this tuple and peer ISN, else -1. */
int syncookie_check(const struct siphash_key key[2], const struct syncookie_tuple *t,
		    uint32_t cookie, uint32_t peer_isn, uint32_t minute);

/* The TSval of a cookie SYN-ACK: ts_now with its low six bits replaced by
 * the options, never above ts_now. */
uint32_t syncookie_ts_encode(uint32_t ts_now, const struct syncookie_opts *o);
/* Options from the TSecr of a cookie ACK (our TSval, offset removed).
 * False if they ask for something these settings do not allow. */
bool syncookie_ts_decode(uint32_t tsecr, bool timestamps, bool sack, bool window_scaling,
			 struct syncookie_opts *o);

#endif
