/*
 * TCP segments as plain structs (STYLE 2): bytes become struct tcp_seg at
 * this edge, and nothing above wire/ touches a raw TCP header.
 * All fields are host byte order. RFC 9293 3.1, options RFC 7323, 2018,
 * 7413, 6994 (experimental TFO).
 */
#ifndef SYNACK_WIRE_TCP_H
#define SYNACK_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HDR_LEN 20
#define TCP_OPT_MAX 40

enum tcp_flag {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
};

enum tcp_opt_kind {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MSS = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACK_PERM = 4,
	TCPOPT_SACK = 5,
	TCPOPT_TS = 8,
	TCPOPT_TFO = 34,
	TCPOPT_EXP = 254,
};

#define TCP_SACK_MAX 4
#define TCP_TFO_COOKIE_MAX 16

struct tcp_sack_block {
	uint32_t start, end;
};

/* What the options said. has_* tell which were present and well formed. */
struct tcp_opts {
	bool has_mss, has_wscale, sack_ok, has_ts, has_tfo;
	uint16_t mss;
	uint8_t wscale;                  /* as sent; the > 14 clamp is TCP's job */
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tcp_sack_block sack[TCP_SACK_MAX];
	uint8_t tfo_len;                 /* 0 with has_tfo: a cookie request */
	bool tfo_exp;                    /* sent as kind 254 + magic 0xF989 */
	uint8_t tfo_cookie[TCP_TFO_COOKIE_MAX];
};

struct tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;                    /* as on the wire (unscaled) */
	uint16_t urp;
	struct tcp_opts opt;
	const uint8_t *data;             /* payload view, not owned */
	uint32_t len;                    /* payload bytes */
	/* The IPv4 TOS byte: as it arrived; on output, what IP sends
	 * (IP_TOS's DSCP bits and the ECN codepoint, RFC 3168 5). */
	uint8_t tos;
};

enum tcp_parse_err {
	TCP_PARSE_OK = 0,
	TCP_PARSE_TRUNCATED,   /* shorter than 20 bytes */
	TCP_PARSE_DOFF,        /* data offset < 5 or past the end */
	TCP_PARSE_CHECKSUM,    /* checksum wrong (pseudo header included) */
};

/*
 * Parse a TCP segment of len bytes carried from saddr to daddr.
 * Options are parsed as Linux does (tcp_parse_options): EOL stops; NOP is
 * skipped; a kind without a length byte, a length < 2 or one past the end
 * stops parsing but the segment is kept; an option of the wrong length is
 * ignored; MSS, window scale and SACK-permitted count only on SYNs.
 */
enum tcp_parse_err tcp_seg_parse(struct tcp_seg *seg, uint32_t saddr, uint32_t daddr,
				 const uint8_t *p, size_t len);
/* Options only (for tests and fuzzing): fill *o from len option bytes. */
void tcp_opts_parse(struct tcp_opts *o, const uint8_t *p, size_t len, bool syn);

/*
 * Emit seg (header, options, payload) into out with a valid checksum.
 * Options are laid out as Linux lays them out (tcp_options_write):
 * MSS; SACK-permitted with timestamps as 04 02 08 0a; else NOP NOP TS, or
 * NOP NOP SACK-permitted; NOP + window scale; NOP NOP + SACK blocks;
 * TFO last, NOP-padded to 4 bytes. Returns the bytes written, 0 if out is
 * too small or the options exceed 40 bytes.
 */
size_t tcp_seg_emit(const struct tcp_seg *seg, uint8_t *out, size_t cap);
/* Bytes the options of o take on the wire (multiple of 4). A set the
 * struct cannot describe (nsack > 4, tfo_len > 16) gives TCP_OPT_MAX + 1. */
size_t tcp_opts_len(const struct tcp_opts *o);
/* Write the options of o as tcp_seg_emit() lays them out; returns the
 * bytes written (tcp_opts_len(o)), or -1 (nothing written) if that is
 * more than cap or than TCP_OPT_MAX. */
int tcp_opts_emit(const struct tcp_opts *o, uint8_t *out, size_t cap);

/* "<SEQ=100><ACK=301><CTL=SYN,ACK>" (RFC 9293 figures), plus <DATA=n>. */
int tcp_seg_format(const struct tcp_seg *seg, char *buf, size_t len);
/* "SYN,ACK" */
int tcp_flags_format(uint8_t flags, char *buf, size_t len);

#endif
