/* test_smoke.c — the harness itself: a rig starts, ARP for our IP is
 * answered, and tear-down finds every mbuf back in the pool. */
#include <string.h>
#include <rte_arp.h>
#include "harness.h"

static void
arp_request_is_answered(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[128], out[128];
	struct rte_mbuf *m;
	size_t n;

	ht_rig_start(r);
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2",
			 &(struct rte_ether_addr){{0}}, "198.18.0.1");
	ht_input(r, f, n);
	m = ht_pop_tx(r);
	assert_non_null(m);
	n = ht_frame_bytes(m, out, sizeof(out));
	assert_int_equal(n, 14 + sizeof(struct rte_arp_hdr));
	const struct rte_arp_hdr *a = (const void *)(out + 14);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&a->arp_data.arp_sha, &ht_our_mac, 6);
	assert_int_equal(a->arp_data.arp_sip, ht_ip("198.18.0.1"));
	rte_pktmbuf_free(m);
	assert_int_equal(r->w->stats.arp_tx_reply, 1);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_request_is_answered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
