/* test_arp_share.c — ARP across workers (hare_workers_link): a mapping
 * learned from the wire by one worker reaches the others, which never see
 * the reply themselves (on a multi-queue NIC ARP lands on one queue). */
#include <string.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include <rte_ether.h>
#include "harness.h"
#include "harness_l3.h"

static void
reply_learned_by_one_worker_releases_anothers_held_packet(void **state)
{
	struct ht_rig *a = ht_rig_new("198.18.0.1/24", NULL);
	struct ht_rig *b = ht_rig_new("198.18.0.1/24", NULL);
	struct hare_worker *ws[2];
	uint8_t f[256], out[256];
	struct hare_arp_entry *eb;
	size_t n;

	ht_rig_start(a);
	ht_rig_start(b);
	ws[0] = a->w;
	ws[1] = b->w;
	assert_int_equal(hare_workers_link(ws, 2), 0);
	assert_int_equal(b->w->worker_id, 1);

	/* A ping reaches worker B, which does not know the peer's MAC: the
	 * reply is held and B broadcasts a request. */
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 7, 1, 32);
	ht_input(b, f, n);
	ht_pop_frame(b, out, sizeof(out), &(struct rte_ether_addr){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		     RTE_ETHER_TYPE_ARP);
	assert_int_equal(b->n_tx, 0);

	/* The reply lands on worker A. */
	n = ht_build_arp(f, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", &ht_our_mac,
			 "198.18.0.1");
	ht_input(a, f, n);
	assert_non_null(hare_arp_lookup(a->w, ht_ip("198.18.0.2")));
	eb = hare_arp_lookup(b->w, ht_ip("198.18.0.2"));
	assert_true(eb == NULL || eb->state != HARE_ARP_RESOLVED); /* not yet */

	/* B's next timer pass applies A's message and sends the held reply. */
	ht_advance(b, 1);
	n = ht_pop_frame(b, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	ht_assert_ipv4_out(out, n, IPPROTO_ICMP, ht_ip("198.18.0.1"), ht_ip("198.18.0.2"));
	assert_int_equal(b->w->stats.icmp_tx_echo_reply, 1);
	assert_int_equal(a->w->stats.arp_share_lost, 0);

	ht_rig_free(a);
	ht_rig_free(b);
}

static void
single_worker_has_no_inbox(void **state)
{
	struct ht_rig *a = ht_rig_new("198.18.0.1/24", NULL);
	struct hare_worker *ws[1];

	ht_rig_start(a);
	ws[0] = a->w;
	assert_int_equal(hare_workers_link(ws, 1), 0);
	assert_null(a->w->arp_inbox);
	ht_rig_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_learned_by_one_worker_releases_anothers_held_packet),
		cmocka_unit_test(single_worker_has_no_inbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
