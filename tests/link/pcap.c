/* The pcap writer: exact file bytes, error reporting, and (when tshark is
 * installed) that Wireshark's own reader decodes what we wrote. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <synack/pcap.h>

/* A fresh temporary path (the file is created empty). */
static void temp_path(char *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, len, "%s/synack-pcap-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_header_and_records(void **state)
{
	char path[256];
	temp_path(path, sizeof(path));
	unsigned char a[40], b[1] = {0x45};
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)i;

	struct synack_pcap *pc = synack_pcap_open(path);
	assert_non_null(pc);
	assert_int_equal(synack_pcap_write(pc, 0, a, sizeof(a)), 0);
	assert_int_equal(synack_pcap_write(pc, SYNACK_SEC(1) + 1, b, sizeof(b)), 0);
	assert_int_equal(synack_pcap_write(pc, 123456789012ull, NULL, 0), 0);
	assert_int_equal(synack_pcap_close(pc), 0);

	size_t len;
	unsigned char *f = read_all(path, &len);
	assert_int_equal(len, 24 + (16 + 40) + (16 + 1) + (16 + 0));
	static const unsigned char hdr[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, /* magic, version 2.4 */
		0, 0, 0, 0, 0, 0, 0, 0,             /* thiszone, sigfigs */
		0xff, 0xff, 0, 0, 101, 0, 0, 0,     /* snaplen 65535, LINKTYPE_RAW */
	};
	assert_memory_equal(f, hdr, sizeof(hdr));

	const unsigned char *r = f + 24;
	assert_int_equal(le32(r), 0);
	assert_int_equal(le32(r + 4), 0);
	assert_int_equal(le32(r + 8), 40);
	assert_int_equal(le32(r + 12), 40);
	assert_memory_equal(r + 16, a, 40);
	r += 16 + 40;
	assert_int_equal(le32(r), 1);
	assert_int_equal(le32(r + 4), 1);
	assert_int_equal(le32(r + 8), 1);
	assert_int_equal(le32(r + 12), 1);
	assert_int_equal(r[16], 0x45);
	r += 16 + 1;
	assert_int_equal(le32(r), 123456);
	assert_int_equal(le32(r + 4), 789012);
	assert_int_equal(le32(r + 8), 0);
	assert_int_equal(le32(r + 12), 0);
	free(f);
	unlink(path);
}

static void test_snaplen_truncates(void **state)
{
	char path[256];
	temp_path(path, sizeof(path));
	size_t big = 70000;
	unsigned char *pkt = calloc(1, big);
	assert_non_null(pkt);
	struct synack_pcap *pc = synack_pcap_open(path);
	assert_non_null(pc);
	assert_int_equal(synack_pcap_write(pc, 5, pkt, big), 0);
	assert_int_equal(synack_pcap_close(pc), 0);
	size_t len;
	unsigned char *f = read_all(path, &len);
	assert_int_equal(len, 24 + 16 + 65535);
	assert_int_equal(le32(f + 24 + 8), 65535);
	assert_int_equal(le32(f + 24 + 12), 70000);
	free(f);
	free(pkt);
	unlink(path);
}

static void test_open_error(void **state)
{
	errno = 0;
	assert_null(synack_pcap_open("/nonexistent-dir-synack/x.pcap"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(synack_pcap_open(NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(synack_pcap_write(NULL, 0, "x", 1), -1);
	assert_int_equal(synack_pcap_close(NULL), 0);
}

/* A full disk shows up when the buffer is flushed: close must say so. */
static void test_enospc_reported(void **state)
{
	if (access("/dev/full", W_OK) != 0)
		skip();
	struct synack_pcap *pc = synack_pcap_open("/dev/full");
	assert_non_null(pc);
	unsigned char pkt[100] = {0x45};
	int rc = 0;
	for (int i = 0; i < 10 && rc == 0; i++)
		rc = synack_pcap_write(pc, (synack_time_t)i, pkt, sizeof(pkt));
	errno = 0;
	assert_int_equal(synack_pcap_close(pc), -1);
	assert_int_equal(errno, ENOSPC);
}

/* ---- tshark ------------------------------------------------------------- */

static uint16_t csum(const unsigned char *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* 10.0.0.1:40000 -> 10.0.0.2:80, PSH|ACK with "hello", checksums right. */
static size_t build_tcp_packet(unsigned char *p)
{
	static const char data[] = "hello";
	size_t dlen = sizeof(data) - 1, tlen = 20 + dlen, len = 20 + tlen;
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 6;
	const unsigned char src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	uint16_t ipsum = csum(p, 20, 0);
	p[10] = (unsigned char)(ipsum >> 8);
	p[11] = (unsigned char)ipsum;

	unsigned char *t = p + 20;
	t[0] = 40000 >> 8;
	t[1] = 40000 & 0xff;
	t[3] = 80;
	t[7] = 1;            /* seq 1 */
	t[11] = 1;           /* ack 1 */
	t[12] = 5 << 4;      /* data offset 5 words */
	t[13] = 0x18;        /* PSH|ACK */
	t[14] = 0xff;        /* window 65535 */
	t[15] = 0xff;
	memcpy(t + 20, data, dlen);
	/* Pseudo header: addresses, protocol, TCP length. */
	uint32_t sum = (10u << 8) + 1 + (10u << 8) + 2 + 6 + (uint32_t)tlen;
	uint16_t tsum = csum(t, tlen, sum);
	t[16] = (unsigned char)(tsum >> 8);
	t[17] = (unsigned char)tsum;
	return len;
}

static int have_program(const char *name)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char *dirs = strdup(path), *save = NULL;
	assert_non_null(dirs);
	int found = 0;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", *d ? d : ".", name);
		found = access(full, X_OK) == 0;
	}
	free(dirs);
	return found;
}

static void test_tshark_reads_it(void **state)
{
	if (!have_program("tshark")) {
		print_message("tshark not installed: skipping the decode check\n");
		skip();
	}
	char path[256];
	temp_path(path, sizeof(path));
	unsigned char pkt[64];
	size_t len = build_tcp_packet(pkt);
	struct synack_pcap *pc = synack_pcap_open(path);
	assert_non_null(pc);
	assert_int_equal(synack_pcap_write(pc, SYNACK_SEC(3) + 250000, pkt, len), 0);
	assert_int_equal(synack_pcap_close(pc), 0);

	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -n -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
		 "-T fields -E separator=, -e frame.time_epoch -e ip.src -e ip.dst "
		 "-e tcp.srcport -e tcp.dstport -e tcp.len "
		 "-e ip.checksum.status -e tcp.checksum.status 2>/dev/null",
		 path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char out[512] = "";
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	/* Checksum status 1 is "Good". */
	assert_string_equal(out, "3.250000000,10.0.0.1,10.0.0.2,40000,80,5,1,1\n");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_records),
		cmocka_unit_test(test_snaplen_truncates),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_enospc_reported),
		cmocka_unit_test(test_tshark_reads_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
