/*
 * Classic pcap (microsecond timestamps, version 2.4, LINKTYPE_RAW).
 * Fields are written little-endian whatever the host, so the same run
 * gives the same bytes everywhere; readers tell the order by the magic.
 */
#include <synack/pcap.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_SNAPLEN 65535u
#define LINKTYPE_RAW 101u
#define PCAP_BUFSIZE (64u * 1024u)

struct synack_pcap {
	FILE *f;
	int err;   /* first write error, reported again by close */
};

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static int pcap_out(struct synack_pcap *pc, const void *buf, size_t len)
{
	if (pc->err) {
		errno = pc->err;
		return -1;
	}
	if (len && fwrite(buf, 1, len, pc->f) != len) {
		pc->err = errno ? errno : EIO;
		errno = pc->err;
		return -1;
	}
	return 0;
}

struct synack_pcap *synack_pcap_open(const char *path)
{
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	struct synack_pcap *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->f = fopen(path, "wb");
	if (!pc->f) {
		int err = errno;
		free(pc);
		errno = err;
		return NULL;
	}
	/* Packets are small and many: batch them into large writes. */
	setvbuf(pc->f, NULL, _IOFBF, PCAP_BUFSIZE);

	unsigned char hdr[24];
	put32(hdr, PCAP_MAGIC_US);
	put16(hdr + 4, 2);            /* version 2.4 */
	put16(hdr + 6, 4);
	put32(hdr + 8, 0);            /* thiszone: timestamps are as given */
	put32(hdr + 12, 0);           /* sigfigs */
	put32(hdr + 16, PCAP_SNAPLEN);
	put32(hdr + 20, LINKTYPE_RAW);
	errno = 0;
	if (pcap_out(pc, hdr, sizeof(hdr)) < 0) {
		int err = errno;
		fclose(pc->f);
		free(pc);
		errno = err;
		return NULL;
	}
	return pc;
}

int synack_pcap_write(struct synack_pcap *pc, synack_time_t t, const void *pkt, size_t len)
{
	if (!pc || (!pkt && len)) {
		errno = EINVAL;
		return -1;
	}
	size_t caplen = len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN;
	unsigned char rec[16];
	/* Seconds wrap after 136 years of virtual time; harmless. */
	put32(rec, (uint32_t)(t / 1000000u));
	put32(rec + 4, (uint32_t)(t % 1000000u));
	put32(rec + 8, (uint32_t)caplen);
	put32(rec + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	errno = 0;
	if (pcap_out(pc, rec, sizeof(rec)) < 0 || pcap_out(pc, pkt, caplen) < 0)
		return -1;
	return 0;
}

int synack_pcap_close(struct synack_pcap *pc)
{
	if (!pc)
		return 0;
	int err = pc->err;
	/* Buffered data meets a full disk only here. */
	errno = 0;
	if (fflush(pc->f) != 0 && !err)
		err = errno ? errno : EIO;
	errno = 0;
	if (fclose(pc->f) != 0 && !err)
		err = errno ? errno : EIO;
	free(pc);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
