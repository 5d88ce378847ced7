/*
 * TCP options: parsed the way Linux's tcp_parse_options() reads them, so
 * that our view of a peer's options is the one a Linux receiver would
 * have, and laid out the way Linux's tcp_options_write() writes them, so
 * that our SYNs look like Linux SYNs on the wire. (The behaviour is
 * Linux's; the code is our own.)
 * RFC 9293 3.2 (MSS, EOL, NOP), RFC 7323 (WS, TS), RFC 2018 (SACK),
 * RFC 7413 and RFC 6994 (Fast Open, experimental kind 254).
 */
#include <string.h>

#include "wire/tcp.h"
#include "wire/bytes.h"

#define OLEN_MSS 4
#define OLEN_WSCALE 3
#define OLEN_SACK_PERM 2
#define OLEN_TS 10
#define OLEN_SACK_BASE 2
#define OLEN_SACK_BLOCK 8
#define OLEN_TFO_BASE 2
#define OLEN_EXP_TFO_BASE 4      /* kind, length, 16-bit magic */
#define TFO_EXP_MAGIC 0xf989     /* RFC 6994 ExID assigned to Fast Open */
#define TFO_COOKIE_MIN 4         /* RFC 7413 4.1.1: 4 to 16 bytes */

/*
 * A Fast Open cookie of n bytes at c (RFC 7413 4.1.1). Like Linux: only
 * on a SYN; an odd n is left alone; n == 0 is a cookie request; an even n
 * outside 4..16 replaces whatever was seen with "no usable option".
 */
static void parse_tfo(struct tcp_opts *o, const uint8_t *c, size_t n, bool syn, bool exp)
{
	if (!syn || (n & 1))
		return;
	if (n != 0 && (n < TFO_COOKIE_MIN || n > TCP_TFO_COOKIE_MAX)) {
		o->has_tfo = false;
		o->tfo_len = 0;
		o->tfo_exp = false;
		return;
	}
	memcpy(o->tfo_cookie, c, n);
	o->tfo_len = (uint8_t)n;
	o->has_tfo = true;
	o->tfo_exp = exp;
}

/*
 * One option of size sz (kind and length bytes included, 2 <= sz and all
 * sz bytes present). Wrong-sized known options are ignored, as are MSS,
 * WS and SACK-permitted off a SYN (RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018
 * 2: only meaningful in SYNs). A repeated option overwrites the earlier.
 */
static void parse_one(struct tcp_opts *o, uint8_t kind, const uint8_t *v, size_t sz, bool syn)
{
	size_t n, i;

	switch (kind) {
	case TCPOPT_MSS:
		/* An MSS of 0 is nonsense; keep the default (Linux does). */
		if (sz == OLEN_MSS && syn && get16(v) != 0) {
			o->mss = get16(v);
			o->has_mss = true;
		}
		break;
	case TCPOPT_WSCALE:
		if (sz == OLEN_WSCALE && syn) {
			o->wscale = v[0];
			o->has_wscale = true;
		}
		break;
	case TCPOPT_SACK_PERM:
		if (sz == OLEN_SACK_PERM && syn)
			o->sack_ok = true;
		break;
	case TCPOPT_TS:
		if (sz == OLEN_TS) {
			o->tsval = get32(v);
			o->tsecr = get32(v + 4);
			o->has_ts = true;
		}
		break;
	case TCPOPT_SACK:
		/* RFC 2018 3: 2 + 8n bytes. SACK blocks are never sent on a
		 * SYN (SACK is negotiated by it), so one there is ignored. */
		if (syn || sz < OLEN_SACK_BASE + OLEN_SACK_BLOCK ||
		    (sz - OLEN_SACK_BASE) % OLEN_SACK_BLOCK)
			break;
		n = (sz - OLEN_SACK_BASE) / OLEN_SACK_BLOCK;
		if (n > TCP_SACK_MAX)
			n = TCP_SACK_MAX;
		for (i = 0; i < n; i++) {
			o->sack[i].start = get32(v + i * OLEN_SACK_BLOCK);
			o->sack[i].end = get32(v + i * OLEN_SACK_BLOCK + 4);
		}
		o->nsack = (uint8_t)n;
		break;
	case TCPOPT_TFO:
		parse_tfo(o, v, sz - OLEN_TFO_BASE, syn, false);
		break;
	case TCPOPT_EXP:
		/* RFC 6994: kind 254 is shared; the ExID says whose it is. */
		if (sz >= OLEN_EXP_TFO_BASE && get16(v) == TFO_EXP_MAGIC)
			parse_tfo(o, v + 2, sz - OLEN_EXP_TFO_BASE, syn, true);
		break;
	default:
		break;  /* unknown kinds are skipped by their length (RFC 9293 3.2) */
	}
}

/*
 * RFC 9293 3.2: EOL ends the list, NOP is one byte, every other kind has
 * a length byte counting itself and the kind. A list that cannot be
 * walked (no length byte, a length < 2, a length past the end) stops the
 * walk, keeping what was already read, as Linux does; the segment itself
 * stays acceptable (RFC 9293 3.2: be liberal with malformed options).
 */
void tcp_opts_parse(struct tcp_opts *o, const uint8_t *p, size_t len, bool syn)
{
	size_t off = 0, left, sz;
	uint8_t kind;

	memset(o, 0, sizeof(*o));
	while (off < len) {
		left = len - off;   /* bytes from the kind byte on, >= 1 */
		kind = p[off];
		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (left < 2)
			return;
		sz = p[off + 1];
		if (sz < 2 || sz > left)
			return;
		parse_one(o, kind, p + off + 2, sz, syn);
		off += sz;
	}
}

/* Bytes of the TFO option itself (before NOP padding). */
static size_t tfo_len(const struct tcp_opts *o)
{
	return (o->tfo_exp ? OLEN_EXP_TFO_BASE : OLEN_TFO_BASE) + (size_t)o->tfo_len;
}

/*
 * Every part is a whole number of 4-byte words, padded with NOPs in
 * front (or after, for TFO) as Linux pads them. An option set that the
 * arrays cannot hold (nsack > 4, tfo_len > 16) is reported as
 * TCP_OPT_MAX + 1 so that tcp_seg_emit() refuses it.
 */
size_t tcp_opts_len(const struct tcp_opts *o)
{
	size_t n = 0;

	if (o->nsack > TCP_SACK_MAX || (o->has_tfo && o->tfo_len > TCP_TFO_COOKIE_MAX))
		return TCP_OPT_MAX + 1;
	if (o->has_mss)
		n += 4;
	if (o->has_ts)
		n += 12;                     /* (SACK_PERM or NOP NOP) TS */
	if (o->sack_ok && !o->has_ts)
		n += 4;                      /* NOP NOP SACK_PERM */
	if (o->has_wscale)
		n += 4;                      /* NOP WS */
	if (o->nsack)
		n += 4 + (size_t)o->nsack * OLEN_SACK_BLOCK;  /* NOP NOP SACK */
	if (o->has_tfo)
		n += (tfo_len(o) + 3) & ~(size_t)3;
	return n;
}

/* Write the TFO option at p and NOP-pad it to a word; returns its size. */
static size_t write_tfo(const struct tcp_opts *o, uint8_t *p)
{
	size_t n = tfo_len(o), i = 0;

	if (o->tfo_exp) {
		p[i++] = TCPOPT_EXP;
		p[i++] = (uint8_t)n;
		p[i++] = TFO_EXP_MAGIC >> 8;
		p[i++] = TFO_EXP_MAGIC & 0xff;
	} else {
		p[i++] = TCPOPT_TFO;
		p[i++] = (uint8_t)n;
	}
	if (o->tfo_len)
		memcpy(p + i, o->tfo_cookie, o->tfo_len);
	for (i = n; i & 3; i++)
		p[i] = TCPOPT_NOP;
	return i;
}

/*
 * The Linux order: MSS; SACK_PERM folded into the TS word when both are
 * sent (04 02 08 0a), else NOP NOP TS, else NOP NOP SACK_PERM; NOP WS;
 * NOP NOP SACK blocks; TFO. Returns the bytes written (tcp_opts_len(o)),
 * or -1 without writing if that exceeds cap or TCP_OPT_MAX.
 */
int tcp_opts_emit(const struct tcp_opts *o, uint8_t *out, size_t cap)
{
	size_t need = tcp_opts_len(o), n = 0, i;

	if (need > TCP_OPT_MAX || need > cap)
		return -1;
	if (o->has_mss) {
		out[n++] = TCPOPT_MSS;
		out[n++] = OLEN_MSS;
		out[n++] = (uint8_t)(o->mss >> 8);
		out[n++] = (uint8_t)o->mss;
	}
	if (o->has_ts) {
		out[n++] = o->sack_ok ? TCPOPT_SACK_PERM : TCPOPT_NOP;
		out[n++] = o->sack_ok ? OLEN_SACK_PERM : TCPOPT_NOP;
		out[n++] = TCPOPT_TS;
		out[n++] = OLEN_TS;
		put32(out + n, o->tsval);
		put32(out + n + 4, o->tsecr);
		n += 8;
	} else if (o->sack_ok) {
		out[n++] = TCPOPT_NOP;
		out[n++] = TCPOPT_NOP;
		out[n++] = TCPOPT_SACK_PERM;
		out[n++] = OLEN_SACK_PERM;
	}
	if (o->has_wscale) {
		out[n++] = TCPOPT_NOP;
		out[n++] = TCPOPT_WSCALE;
		out[n++] = OLEN_WSCALE;
		out[n++] = o->wscale;
	}
	if (o->nsack) {
		out[n++] = TCPOPT_NOP;
		out[n++] = TCPOPT_NOP;
		out[n++] = TCPOPT_SACK;
		out[n++] = (uint8_t)(OLEN_SACK_BASE + o->nsack * OLEN_SACK_BLOCK);
		for (i = 0; i < o->nsack; i++) {
			put32(out + n, o->sack[i].start);
			put32(out + n + 4, o->sack[i].end);
			n += 8;
		}
	}
	if (o->has_tfo)
		n += write_tfo(o, out + n);
	return (int)n;
}
