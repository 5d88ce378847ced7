/*
 * TCP header parse and emit (RFC 9293 3.1), and one-line text forms of a
 * segment for traces and test failures. Options live in options.c.
 */
#include "wire/tcp.h"
#include "wire/bytes.h"

#include <stdio.h>
#include <string.h>

#include "wire/checksum.h"
#include "wire/ipv4.h"

/*
 * The pseudo header's TCP length is 16 bits (RFC 9293 3.1), so a segment
 * longer than 65535 bytes, which no IPv4 datagram can carry, cannot have
 * a valid checksum and is reported as TCP_PARSE_CHECKSUM.
 */
enum tcp_parse_err tcp_seg_parse(struct tcp_seg *seg, uint32_t saddr, uint32_t daddr,
				 const uint8_t *p, size_t len)
{
	size_t doff;
	uint32_t sum;

	if (len < TCP_HDR_LEN)
		return TCP_PARSE_TRUNCATED;
	doff = (size_t)(p[12] >> 4) * 4;
	if (doff < TCP_HDR_LEN || doff > len)
		return TCP_PARSE_DOFF;
	if (len > 0xffff)
		return TCP_PARSE_CHECKSUM;
	sum = csum_pseudo(saddr, daddr, IPPROTO_TCP_, (uint16_t)len);
	if (csum_fold(csum_partial(p, len, sum)) != 0)
		return TCP_PARSE_CHECKSUM;

	seg->saddr = saddr;
	seg->daddr = daddr;
	seg->sport = get16(p);
	seg->dport = get16(p + 2);
	seg->seq = get32(p + 4);
	seg->ack = get32(p + 8);
	seg->flags = p[13];   /* CWR ECE URG ACK PSH RST SYN FIN (RFC 3168 23.2) */
	seg->wnd = get16(p + 14);
	seg->urp = get16(p + 18);
	tcp_opts_parse(&seg->opt, p + TCP_HDR_LEN, doff - TCP_HDR_LEN,
		       (seg->flags & TCP_SYN) != 0);
	seg->data = p + doff;
	seg->len = (uint32_t)(len - doff);
	return TCP_PARSE_OK;
}

/*
 * The payload may already sit in out (memmove), e.g. built in place by a
 * caller that knows the header size. A segment whose total exceeds 65535
 * bytes cannot be checksummed and is refused like one that does not fit.
 */
size_t tcp_seg_emit(const struct tcp_seg *seg, uint8_t *out, size_t cap)
{
	size_t olen = tcp_opts_len(&seg->opt), hlen, total;
	uint32_t sum;

	if (olen > TCP_OPT_MAX)
		return 0;
	hlen = TCP_HDR_LEN + olen;
	total = hlen + seg->len;
	if (total > cap || total > 0xffff)
		return 0;
	if (seg->len)
		memmove(out + hlen, seg->data, seg->len);
	put16(out, seg->sport);
	put16(out + 2, seg->dport);
	put32(out + 4, seg->seq);
	put32(out + 8, seg->ack);
	out[12] = (uint8_t)((hlen / 4) << 4);   /* data offset; reserved and NS 0 */
	out[13] = seg->flags;
	put16(out + 14, seg->wnd);
	put16(out + 16, 0);
	put16(out + 18, seg->urp);
	if (tcp_opts_emit(&seg->opt, out + TCP_HDR_LEN, olen) != (int)olen)
		return 0;   /* cannot happen: olen was checked above */
	sum = csum_pseudo(seg->saddr, seg->daddr, IPPROTO_TCP_, (uint16_t)total);
	put16(out + 16, csum_fold(csum_partial(out, total, sum)));
	return total;
}

/*
 * Flags in one fixed order: SYN and FIN first, as the RFC 9293 figures
 * lead with them (SYN,ACK; FIN,ACK), then the others in header-bit order:
 * SYN,FIN,RST,PSH,ACK,URG,ECE,CWR. No flags at all is "-". Returns what
 * snprintf would; buf may be NULL when len is 0.
 */
int tcp_flags_format(uint8_t flags, char *buf, size_t len)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} order[] = {
		{ TCP_SYN, "SYN" }, { TCP_FIN, "FIN" }, { TCP_RST, "RST" },
		{ TCP_PSH, "PSH" }, { TCP_ACK, "ACK" }, { TCP_URG, "URG" },
		{ TCP_ECE, "ECE" }, { TCP_CWR, "CWR" },
	};
	char tmp[sizeof("SYN,FIN,RST,PSH,ACK,URG,ECE,CWR")];
	size_t n = 0, i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(flags & order[i].bit))
			continue;
		if (n)
			tmp[n++] = ',';
		memcpy(tmp + n, order[i].name, 3);
		n += 3;
	}
	if (!n)
		tmp[n++] = '-';
	tmp[n] = '\0';
	return snprintf(buf, len, "%s", tmp);
}

/* "<SEQ=100><ACK=301><CTL=SYN,ACK><DATA=5>" (RFC 9293 3.5 figures):
 * ACK only when the ACK flag is set, DATA only when there is payload. */
int tcp_seg_format(const struct tcp_seg *seg, char *buf, size_t len)
{
	char ctl[sizeof("SYN,FIN,RST,PSH,ACK,URG,ECE,CWR")];
	char ack[sizeof("<ACK=4294967295>")] = "";
	char data[sizeof("<DATA=4294967295>")] = "";

	tcp_flags_format(seg->flags, ctl, sizeof(ctl));
	if (seg->flags & TCP_ACK)
		snprintf(ack, sizeof(ack), "<ACK=%lu>", (unsigned long)seg->ack);
	if (seg->len)
		snprintf(data, sizeof(data), "<DATA=%lu>", (unsigned long)seg->len);
	return snprintf(buf, len, "<SEQ=%lu>%s<CTL=%s>%s", (unsigned long)seg->seq, ack,
			ctl, data);
}
