/* SYN cookies: see syncookie.h (Linux syncookies.c, RFC 4987 3.6). */
#include "tcp/syncookie.h"

static const uint16_t msstab[SYNCOOKIE_MSS_COUNT] = {536, 1300, 1440, 1460};

unsigned syncookie_mss_index(uint16_t mss, uint16_t *out)
{
	unsigned i = SYNCOOKIE_MSS_COUNT - 1;
	while (i && mss < msstab[i])
		i--;
	if (out)
		*out = msstab[i];
	return i;
}

uint16_t syncookie_mss(unsigned index)
{
	return index < SYNCOOKIE_MSS_COUNT ? msstab[index] : 0;
}

uint32_t syncookie_minute(uint64_t now_us)
{
	return (uint32_t)(now_us / 60000000u);
}

/* Linux cookie_hash: SipHash of addresses, ports and count under secret c. */
static uint32_t cookie_hash(const struct siphash_key key[2], const struct syncookie_tuple *t,
			    uint32_t count, int c)
{
	uint32_t w[4] = {t->saddr, t->daddr, (uint32_t)t->sport << 16 | t->dport, count};
	return (uint32_t)siphash24(&key[c], w, sizeof(w));
}

uint32_t syncookie_make(const struct siphash_key key[2], const struct syncookie_tuple *t,
			uint32_t peer_isn, uint32_t minute, unsigned mss_index)
{
	return cookie_hash(key, t, 0, 0) + peer_isn + (minute << SYNCOOKIE_BITS) +
	       ((cookie_hash(key, t, minute, 1) + mss_index) & SYNCOOKIE_MASK);
}

int syncookie_check(const struct siphash_key key[2], const struct syncookie_tuple *t,
		    uint32_t cookie, uint32_t peer_isn, uint32_t minute)
{
	cookie -= cookie_hash(key, t, 0, 0) + peer_isn;
	/* What is left: (minute << 24) + (H2 + index) mod 2^24. */
	uint32_t diff = (minute - (cookie >> SYNCOOKIE_BITS)) & (0xffffffffu >> SYNCOOKIE_BITS);
	if (diff >= SYNCOOKIE_MAX_AGE)
		return -1;
	uint32_t idx = (cookie - cookie_hash(key, t, minute - diff, 1)) & SYNCOOKIE_MASK;
	return idx < SYNCOOKIE_MSS_COUNT ? (int)idx : -1;
}

uint32_t syncookie_ts_encode(uint32_t ts_now, const struct syncookie_opts *o)
{
	uint32_t opts = o->wscale_ok ? (o->wscale & SYNCOOKIE_TS_WSCALE_NONE) : SYNCOOKIE_TS_WSCALE_NONE;
	if (o->sack_ok)
		opts |= SYNCOOKIE_TS_SACK;
	if (o->ecn_ok)
		opts |= SYNCOOKIE_TS_ECN;
	uint32_t ts = (ts_now >> SYNCOOKIE_TS_BITS) << SYNCOOKIE_TS_BITS | opts;
	if (ts > ts_now)
		ts -= 1u << SYNCOOKIE_TS_BITS; /* a TSval never runs ahead of the clock */
	return ts;
}

/* Linux cookie_timestamp_decode (and cookie_ecn_ok for bit 5). */
bool syncookie_ts_decode(uint32_t tsecr, bool timestamps, bool sack, bool window_scaling,
			 struct syncookie_opts *o)
{
	*o = (struct syncookie_opts){0};
	if (!timestamps)
		return false;
	o->sack_ok = tsecr & SYNCOOKIE_TS_SACK;
	o->ecn_ok = tsecr & SYNCOOKIE_TS_ECN;
	if (o->sack_ok && !sack)
		return false;
	if ((tsecr & SYNCOOKIE_TS_WSCALE_NONE) == SYNCOOKIE_TS_WSCALE_NONE)
		return true;
	o->wscale_ok = true;
	o->wscale = (uint8_t)(tsecr & SYNCOOKIE_TS_WSCALE_NONE);
	return window_scaling;
}
