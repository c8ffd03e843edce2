/* test_cksum.c — hare_raw_cksum() equals DPDK's rte_raw_cksum() for every
 * length 0..2048 at every alignment 0..7, on random data and on the
 * all-0xff worst case for carries. */
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
 * result, and the 64-bit partial sums compose (hare_sum64_add). */
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

				assert_int_equal(hare_fold64(hare_sum64_add(
						 hare_raw_sum64(buf + align, cut),
						 hare_raw_sum64(buf + align + cut, len - cut))),
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_rte_raw_cksum),
		cmocka_unit_test(long_buffers_and_partial_sums),
		cmocka_unit_test(valid_header_sums_to_ffff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
