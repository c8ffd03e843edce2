/* test_cksum.c — hare_raw_cksum() equals DPDK's rte_raw_cksum() for every
 * length 0..2048 at every alignment 0..7, on random data and on the
 * all-0xff worst case for carries. */
#include <stdlib.h>
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
		cmocka_unit_test(valid_header_sums_to_ffff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
