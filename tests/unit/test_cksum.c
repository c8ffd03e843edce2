/* test_cksum.c — hare_raw_cksum() equals DPDK's rte_raw_cksum() for every
 * length 0..2048 at every alignment 0..7, on random data and on the
 * all-0xff worst case for carries; the verifying shortcuts agree with it. */
#include <stdlib.h>
#include <string.h>
#include <rte_ip.h>
#include "harness.h"
#include "cksum.h"

static void
same_as_rte_raw_cksum(void **state)
{
	static uint8_t buf[2048 + 8];

	srand(7);
	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fill ? 0xff : (uint8_t)rand();
		for (size_t align = 0; align < 8; align++)
			for (size_t len = 0; len <= 2048; len++)
				assert_int_equal(hare_raw_cksum(buf + align, len),
						 rte_raw_cksum(buf + align, len));
	}
}

/* Beyond one vector block (64 KiB) and with the words that stress the
 * vector sum's sign flip (0x8000, 0x7fff, 0xffff): still rte_raw_cksum's
 * result, and a partial sum carries on (hare_raw_sum64's sum). */
static void
long_buffers_and_partial_sums(void **state)
{
	static uint8_t buf[70000 + 8];
	static const uint16_t patterns[] = {0x8000, 0x7fff, 0xffff, 0x0001};

	srand(11);
	for (int fill = 0; fill < 5; fill++) {
		for (size_t i = 0; i < sizeof(buf); i += 2) {
			uint16_t v = fill < 4 ? patterns[fill] : (uint16_t)rand();

			memcpy(buf + i, &v, 2);
		}
		for (size_t align = 0; align < 2; align++)
			for (size_t len = 65000; len <= 70000; len += 999) {
				assert_int_equal(hare_raw_cksum(buf + align, len),
						 rte_raw_cksum(buf + align, len));
				/* split at an even offset: two partial sums */
				size_t cut = (len / 3) & ~(size_t)1;

				assert_int_equal(hare_sum_fold(hare_raw_sum64(
						 buf + align + cut, len - cut,
						 hare_raw_sum64(buf + align, cut, 0))),
						 rte_raw_cksum(buf + align, len));
			}
	}
}

static void
valid_header_sums_to_ffff(void **state)
{
	struct rte_ipv4_hdr ip = {
		.version_ihl = RTE_IPV4_VHL_DEF, .total_length = RTE_BE16(84),
		.time_to_live = 64, .next_proto_id = 1,
		.src_addr = RTE_BE32(0xc6120002), .dst_addr = RTE_BE32(0xc6120001),
	};

	ip.hdr_checksum = rte_ipv4_cksum(&ip);
	assert_int_equal(hare_raw_cksum(&ip, sizeof(ip)), 0xffff);
	ip.time_to_live = 63;
	assert_int_not_equal(hare_raw_cksum(&ip, sizeof(ip)), 0xffff);
}

/* The verifying shortcuts (hare_l4_cksum_ok, hare_ipv4_hdr_cksum20_ok:
 * divisibility by 0xffff instead of a fold) say yes exactly when the
 * folded sum is 0xffff: random segments with their checksum set (must
 * verify), then with each one changed (a verdict equal to the fold's),
 * and random headers, half of them with a valid checksum. */
static void
verify_shortcuts_match_fold(void **state)
{
	static uint8_t seg[2048];
	int verified = 0;

	srand(11);
	for (int round = 0; round < 4000; round++) {
		uint16_t len = (uint16_t)(20 + rand() % 1500);
		uint32_t src = (uint32_t)rand() * 2654435761u, dst = (uint32_t)rand() ^ 0x5a5a5a5au;
		uint32_t sum;
		uint16_t ck;

		for (uint16_t i = 0; i < len; i++)
			seg[i] = (round & 1) ? (uint8_t)rand() : 0xff; /* 0xff: carry-heavy */
		seg[16] = seg[17] = 0;
		sum = (uint32_t)hare_phdr_sum(src, dst, IPPROTO_TCP, len) +
		      hare_raw_cksum(seg, len);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ck = (uint16_t)~sum;
		memcpy(seg + 16, &ck, 2);
		assert_true(hare_l4_cksum_ok(src, dst, IPPROTO_TCP, seg, len));
		seg[rand() % len] ^= (uint8_t)(1 + rand() % 255);
		sum = (uint32_t)hare_phdr_sum(src, dst, IPPROTO_TCP, len) +
		      hare_raw_cksum(seg, len);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		assert_int_equal(hare_l4_cksum_ok(src, dst, IPPROTO_TCP, seg, len), sum == 0xffff);
		verified += sum == 0xffff;
	}
	assert_true(verified < 100); /* changed bytes are nearly always caught */
	for (int round = 0; round < 4000; round++) {
		uint8_t h[20];

		for (int i = 0; i < 20; i++)
			h[i] = (uint8_t)rand();
		h[0] = 0x45;
		if (round & 1) {
			uint16_t ck;

			h[10] = h[11] = 0;
			ck = rte_ipv4_cksum((const struct rte_ipv4_hdr *)h);
			memcpy(h + 10, &ck, 2);
			assert_true(hare_ipv4_hdr_cksum20_ok(h));
		}
		assert_int_equal(hare_ipv4_hdr_cksum20_ok(h), hare_raw_cksum(h, 20) == 0xffff);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_rte_raw_cksum),
		cmocka_unit_test(long_buffers_and_partial_sums),
		cmocka_unit_test(valid_header_sums_to_ffff),
		cmocka_unit_test(verify_shortcuts_match_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
