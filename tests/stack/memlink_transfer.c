/*
 * Two stacks over memlink exchange 100 MiB in each direction at once
 * through 2% loss, 2% reordering, 1% duplication and 0.1% bit corruption.
 * Each side checks every byte it receives against the sender's seeded
 * stream and the hashes of both streams must match, for three seeds.
 *
 * SYNACK_TRANSFER_MIB overrides the size (for quick local runs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <synack/memlink.h>
#include <synack/synack.h>

#define PORT 5001
#define CHUNK 65536

/* A byte stream from a seed: one splitmix64 word per 8 bytes, so any
 * offset can be regenerated cheaply. */
static uint64_t stream_word(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed + (idx + 1) * 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t w = stream_word(seed, (off + i) / 8);
		unsigned k = (unsigned)((off + i) % 8);
		for (; k < 8 && i < n; k++, i++)
			buf[i] = (uint8_t)(w >> (k * 8));
	}
}

/* FNV-1a, to compare whole streams by hash as well as byte by byte. */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

struct side {
	struct synack_stack *st;
	int fd;
	uint64_t seed;          /* what this side sends */
	uint64_t peer_seed;     /* what it expects */
	uint64_t sent, rcvd, total;
	uint64_t sent_hash, rcvd_hash;
	bool shut, eof, mismatch;
	uint8_t expect[CHUNK];
	uint8_t out[CHUNK];
	uint64_t gen_off;
	size_t gen_len;
};

/* Send from a window of the stream generated once, not per attempt. */
static void pump_send(struct side *s, uint8_t *buf)
{
	(void)buf;
	while (s->sent < s->total) {
		if (s->sent >= s->gen_off + s->gen_len) {
			s->gen_off = s->sent;
			s->gen_len = s->total - s->sent < CHUNK ? (size_t)(s->total - s->sent) : CHUNK;
			stream_fill(s->seed, s->gen_off, s->out, s->gen_len);
		}
		size_t at = (size_t)(s->sent - s->gen_off);
		ssize_t r = synack_send(s->st, s->fd, s->out + at, s->gen_len - at, 0);
		if (r < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		s->sent_hash = fnv(s->sent_hash, s->out + at, (size_t)r);
		s->sent += (uint64_t)r;
	}
	if (!s->shut) {
		assert_int_equal(synack_shutdown(s->st, s->fd, SHUT_WR), 0);
		s->shut = true;
	}
}

static void pump_recv(struct side *s, uint8_t *buf)
{
	while (!s->eof) {
		ssize_t r = synack_recv(s->st, s->fd, buf, CHUNK, 0);
		if (r < 0) {
			assert_int_equal(errno, EAGAIN);
			return;
		}
		if (r == 0) {
			s->eof = true;
			return;
		}
		stream_fill(s->peer_seed, s->rcvd, s->expect, (size_t)r);
		if (memcmp(buf, s->expect, (size_t)r) != 0)
			s->mismatch = true;
		s->rcvd_hash = fnv(s->rcvd_hash, buf, (size_t)r);
		s->rcvd += (uint64_t)r;
	}
}

struct run {
	struct side a, b;
	uint8_t *buf;
};

static bool transfer_done(void *ctx)
{
	struct run *r = ctx;
	pump_recv(&r->a, r->buf);
	pump_recv(&r->b, r->buf);
	pump_send(&r->a, r->buf);
	pump_send(&r->b, r->buf);
	return r->a.eof && r->b.eof;
}

static uint64_t transfer_bytes(void)
{
	const char *e = getenv("SYNACK_TRANSFER_MIB");
	uint64_t mib = e ? strtoull(e, NULL, 10) : 100;
	return (mib ? mib : 100) << 20;
}

static void run_seed(uint64_t seed)
{
	struct memlink *net = memlink_new(seed, 0);
	assert_non_null(net);
	struct synack_stack *sa = memlink_stack_add(net, "10.1.0.1", NULL, NULL, NULL);
	struct synack_stack *sb = memlink_stack_add(net, "10.1.0.2", NULL, NULL, NULL);
	assert_non_null(sa);
	assert_non_null(sb);
	struct memlink_path path = {
		.delay = SYNACK_MS(5),
		.loss = 0.02,
		.reorder = 0.02,
		.duplicate = 0.01,
		.corrupt = 0.001,
	};
	memlink_set_path(net, -1, -1, &path);

	int lfd = synack_socket(sb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	assert_int_equal(synack_bind(sb, lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(synack_listen(sb, lfd, 8), 0);
	int cfd = synack_socket(sa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "10.1.0.2", &sin.sin_addr);
	assert_int_equal(synack_connect(sa, cfd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);

	int afd = -1;
	for (int i = 0; i < 100000 && afd < 0; i++) {
		assert_true(memlink_step(net, SYNACK_SEC(600)));
		afd = synack_accept(sb, lfd, NULL, NULL);
	}
	assert_true(afd >= 0);

	uint64_t total = transfer_bytes();
	struct run r = {
		.a = {.st = sa, .fd = cfd, .seed = seed * 2 + 1, .peer_seed = seed * 2 + 2,
		      .total = total, .sent_hash = 0xcbf29ce484222325ull,
		      .rcvd_hash = 0xcbf29ce484222325ull},
		.b = {.st = sb, .fd = afd, .seed = seed * 2 + 2, .peer_seed = seed * 2 + 1,
		      .total = total, .sent_hash = 0xcbf29ce484222325ull,
		      .rcvd_hash = 0xcbf29ce484222325ull},
		.buf = malloc(CHUNK),
	};
	assert_non_null(r.buf);
	/* Bounded in virtual time: at most two simulated hours. */
	bool done = memlink_run_while(net, transfer_done, &r, memlink_now(net) + SYNACK_SEC(7200));

	struct memlink_stats ms;
	memlink_get_stats(net, &ms);
	printf("seed %llu: %llu MiB each way in %.1f s virtual; packets sent %llu, lost %llu, "
	       "reordered %llu, duplicated %llu, corrupted %llu; retransmitted A %llu B %llu\n",
	       (unsigned long long)seed, (unsigned long long)(total >> 20),
	       (double)memlink_now(net) / 1e6, (unsigned long long)ms.sent,
	       (unsigned long long)ms.lost, (unsigned long long)ms.reordered,
	       (unsigned long long)ms.duplicated, (unsigned long long)ms.corrupted,
	       (unsigned long long)synack_counter(sa, "TcpRetransSegs"),
	       (unsigned long long)synack_counter(sb, "TcpRetransSegs"));
	assert_true(done);
	assert_false(r.a.mismatch);
	assert_false(r.b.mismatch);
	assert_int_equal(r.a.rcvd, total);
	assert_int_equal(r.b.rcvd, total);
	assert_int_equal(r.a.rcvd_hash, r.b.sent_hash);
	assert_int_equal(r.b.rcvd_hash, r.a.sent_hash);
	/* Corrupted packets were caught by checksums, not delivered. */
	assert_true(ms.corrupted > 0);
	assert_true(synack_counter(sa, "TcpInCsumErrors") + synack_counter(sb, "TcpInCsumErrors") +
			    synack_counter(sa, "IpExtInCsumErrors") + synack_counter(sb, "IpExtInCsumErrors") +
			    synack_counter(sa, "IpInHdrErrors") + synack_counter(sb, "IpInHdrErrors") +
			    synack_counter(sa, "IpInAddrErrors") + synack_counter(sb, "IpInAddrErrors") +
			    synack_counter(sa, "IpExtInTruncatedPkts") + synack_counter(sb, "IpExtInTruncatedPkts") +
			    synack_counter(sa, "TcpInErrs") + synack_counter(sb, "TcpInErrs") >
		    0);
	free(r.buf);
	memlink_free(net);
}

static void faults__100mib_each_way__bytes_equal_seed_1(void **state) { run_seed(1); }
static void faults__100mib_each_way__bytes_equal_seed_2(void **state) { run_seed(2); }
static void faults__100mib_each_way__bytes_equal_seed_3(void **state) { run_seed(3); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(faults__100mib_each_way__bytes_equal_seed_1),
		cmocka_unit_test(faults__100mib_each_way__bytes_equal_seed_2),
		cmocka_unit_test(faults__100mib_each_way__bytes_equal_seed_3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
