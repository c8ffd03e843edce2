/* test_eth.c — Ethernet demux and framing (lib/eth.c) and the worker's
 * RX/TX accounting (lib/worker.c): short frames, frames for other MACs,
 * broadcast, multicast, VLAN tags, unknown ethertypes, TX batching, a port
 * that refuses frames, an mbuf without headroom. */
#include <string.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include "harness_l3.h"
#include "eth.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr other_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x33}};

static struct ht_rig *
rig(void)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);

	ht_rig_start(r);
	return r;
}

/* Frames shorter than an Ethernet header are counted as bad length. */
static void
eth_short_frames_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[64];

	(void)state;
	memset(f, 0xff, sizeof(f));
	ht_input(r, f, 13);
	ht_input(r, f, 1);
	ht_input(r, f, 0);
	assert_int_equal(r->w->stats.drop_bad_len, 3);
	assert_int_equal(r->w->stats.rx_packets, 3);
	assert_int_equal(r->w->stats.rx_bytes, 14);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(ht_drops(r), 3);
	ht_rig_free(r);
}

/* A header with nothing behind it: the layer above finds it too short. */
static void
eth_header_only_dropped_by_upper_layer(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[64];

	(void)state;
	ht_input(r, f, ht_build_eth(f, &ht_our_mac, &ht_peer_mac, RTE_ETHER_TYPE_IPV4));
	ht_input(r, f, ht_build_eth(f, &bcast_mac, &ht_peer_mac, RTE_ETHER_TYPE_ARP));
	assert_int_equal(r->w->stats.drop_bad_len, 2);
	assert_int_equal(r->w->stats.arp_rx_request, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Unicast to another MAC (seen in promiscuous mode) is not ours, even when
 * the IP inside is. */
static void
eth_other_unicast_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[128];
	size_t n;

	(void)state;
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);
	((struct rte_ether_hdr *)f)->dst_addr = other_mac;
	ht_input(r, f, n);
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	((struct rte_ether_hdr *)f)->dst_addr = other_mac;
	ht_input(r, f, n);
	assert_int_equal(r->w->stats.drop_not_for_us, 2);
	assert_int_equal(r->w->stats.icmp_rx_echo, 0);
	assert_int_equal(r->w->stats.arp_rx_request, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* A destination one byte off ours, at each of the six positions, is not
 * ours either (the fast path compares the MAC as one masked 64-bit word;
 * the source MAC after it must not count). */
static void
eth_one_byte_off_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[128];

	(void)state;
	for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

		f[i] ^= 0x04; /* not the group bit: still unicast */
		ht_input(r, f, n);
	}
	assert_int_equal(r->w->stats.drop_not_for_us, RTE_ETHER_ADDR_LEN);
	assert_int_equal(r->w->stats.icmp_rx_echo, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Broadcast is accepted: an ARP request (broadcast by nature) and even an
 * IPv4 ping sent to ff:ff:ff:ff:ff:ff are answered. */
static void
eth_broadcast_accepted(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[128], out[256];
	size_t n;

	(void)state;
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	assert_memory_equal(f, &bcast_mac, 6);
	ht_input(r, f, n);
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_ARP);

	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);
	((struct rte_ether_hdr *)f)->dst_addr = bcast_mac;
	ht_input(r, f, n);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(n, 14 + 20 + 8 + 8);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 1);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* Multicast MACs (group bit set) are not served. */
static void
eth_multicast_dropped(void **state)
{
	static const struct rte_ether_addr mcast = {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
	struct ht_rig *r = rig();
	uint8_t f[128];
	size_t n;

	(void)state;
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);
	((struct rte_ether_hdr *)f)->dst_addr = mcast;
	ht_input(r, f, n);
	assert_int_equal(r->w->stats.drop_not_for_us, 1);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* IPv6, LLDP, a made-up type: counted as not for us. */
static void
eth_unknown_ethertype_dropped(void **state)
{
	static const uint16_t types[] = {0x86dd, 0x88cc, 0x1234, 0x0000, 0x05dc /* 802.3 length */};
	struct ht_rig *r = rig();
	uint8_t f[128];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(types); i++) {
		size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

		((struct rte_ether_hdr *)f)->ether_type = rte_cpu_to_be_16(types[i]);
		ht_input(r, f, n);
	}
	assert_int_equal(r->w->stats.drop_not_for_us, RTE_DIM(types));
	assert_int_equal(r->w->stats.ip_rx_packets, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* An 802.1Q-tagged ping (and ARP) is dropped: hare runs untagged. */
static void
eth_vlan_tagged_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t plain[128], f[132];
	size_t n;

	(void)state;
	n = ht_build_ping(plain, "198.18.0.2", "198.18.0.1", 1, 1, 8);
	memcpy(f, plain, 12);
	f[12] = 0x81; f[13] = 0x00;        /* TPID */
	f[14] = 0x00; f[15] = 0x05;        /* VLAN 5 */
	memcpy(f + 16, plain + 12, n - 12); /* inner type + IPv4 */
	ht_input(r, f, n + 4);
	n = ht_build_arp(plain, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	memcpy(f, plain, 12);
	f[12] = 0x81; f[13] = 0x00; f[14] = 0x00; f[15] = 0x05;
	memcpy(f + 16, plain + 12, n - 12);
	ht_input(r, f, n + 4);
	assert_int_equal(r->w->stats.drop_not_for_us, 2);
	assert_int_equal(r->w->stats.icmp_rx_echo, 0);
	assert_int_equal(r->w->stats.arp_rx_request, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* rx/tx packet and byte counters follow what went in and out. */
static void
eth_counters(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	size_t n1, n2, o1, o2;

	(void)state;
	n1 = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			  "198.18.0.1");
	ht_input(r, f, n1);
	n2 = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 7, 9, 100);
	ht_input(r, f, n2);
	ht_input(r, f, 5); /* runt */
	assert_int_equal(r->w->stats.rx_packets, 3);
	assert_int_equal(r->w->stats.rx_bytes, n1 + n2 + 5);
	assert_int_equal(r->w->stats.tx_packets, 2);
	o1 = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_ARP);
	o2 = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(o1, 42);
	assert_int_equal(o2, n2);
	assert_int_equal(r->w->stats.tx_bytes, o1 + o2);
	assert_int_equal(ht_drops(r), 1);
	ht_rig_free(r);
}

/* More replies than one TX burst holds: all leave, in order. */
static void
eth_tx_batches_beyond_burst(void **state)
{
	struct ht_rig *r = rig();
	struct rte_mbuf *in[HARE_RX_BURST];
	uint8_t f[128], out[128];
	unsigned total = 0;

	(void)state;
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < HARE_RX_BURST; i++) {
			size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1,
						 (uint16_t)(round * 100 + i), 4);

			in[i] = rte_pktmbuf_alloc(r->pool);
			assert_non_null(in[i]);
			memcpy(rte_pktmbuf_append(in[i], (uint16_t)n), f, n);
		}
		/* learn the peer first so replies go out at once */
		if (round == 0) {
			size_t n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac,
						"198.18.0.2", &zero_mac, "198.18.0.1");
			ht_input(r, f, n);
			ht_drain_tx(r);
		}
		hare_worker_input(r->w, in, HARE_RX_BURST);
		total += HARE_RX_BURST;
	}
	/* 64 replies were produced in 2 bursts without an explicit flush:
	 * 32 left when the buffer filled, the rest wait for the flush. */
	assert_int_equal(r->n_tx, HARE_TX_BURST);
	hare_worker_tx_flush(r->w);
	assert_int_equal(r->n_tx, total);
	for (unsigned i = 0; i < total; i++) {
		ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
		uint16_t seq = rte_be_to_cpu_16(*(uint16_t *)(out + 14 + 20 + 6));
		assert_int_equal(seq, (i / HARE_RX_BURST) * 100 + i % HARE_RX_BURST);
	}
	assert_int_equal(r->w->stats.tx_packets, total + 1);
	ht_rig_free(r);
}

/* A port that refuses frames: they are freed and counted, not leaked. */
static void
eth_tx_refused_counted_and_freed(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[128];
	size_t n;

	(void)state;
	r->tx_refuse = 1;
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	ht_input(r, f, n);
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 32);
	ht_input(r, f, n);
	assert_int_equal(r->w->stats.arp_tx_reply, 1);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 1);
	assert_int_equal(r->w->stats.drop_tx_full, 2);
	assert_int_equal(r->w->stats.tx_packets, 0);
	assert_int_equal(r->w->stats.tx_bytes, 0);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	r->tx_refuse = 0;
	ht_input(r, f, n);
	assert_int_equal(r->n_tx, 1);
	assert_int_equal(r->w->stats.tx_packets, 1);
	ht_rig_free(r);
}

/* hare_eth_output on an mbuf with no headroom: counted and freed. */
static void
eth_output_without_headroom(void **state)
{
	struct ht_rig *r = rig();
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	(void)state;
	assert_non_null(m);
	m->data_off = 0;
	assert_non_null(rte_pktmbuf_append(m, 20));
	hare_eth_output(r->w, m, &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	hare_worker_tx_flush(r->w);
	assert_int_equal(r->w->stats.drop_no_mbuf, 1);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	ht_rig_free(r);
}

/* hare_eth_output frames correctly: dst given, src ours, type given. */
static void
eth_output_framing(void **state)
{
	struct ht_rig *r = rig();
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
	uint8_t out[64];
	size_t n;

	(void)state;
	assert_non_null(m);
	memset(rte_pktmbuf_append(m, 30), 0xab, 30);
	hare_eth_output(r->w, m, &other_mac, 0x88b5);
	hare_worker_tx_flush(r->w);
	n = ht_pop_frame(r, out, sizeof(out), &other_mac, 0x88b5);
	assert_int_equal(n, 44);
	assert_int_equal(out[14], 0xab);
	assert_int_equal(out[43], 0xab);
	ht_rig_free(r);
}

/* 10,000 frames: valid pings, ARP and UDP mutated at random (bit flips,
 * truncation, extension with junk) plus pure noise, from a fixed seed.
 * Nothing crashes or leaks (ASan-clean too), and every frame is accounted
 * for: accepted by ARP or IPv4, or counted as a drop. */
static uint64_t rnd_state;

/* xorshift64: reproducible without libc's rand() state */
static uint64_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void
eth_random_frames_accounted(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", "198.18.0.9/24", NULL);
	const unsigned total = 10000;
	uint8_t f[1600];
	uint8_t udp[16] = {0, 1, 0, 2, 0, 16, 0, 0};
	struct hare_stats *st;

	(void)state;
	ht_rig_start(r);
	rnd_state = 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < total; i++) {
		size_t n;
		unsigned kind;

		kind = (unsigned)(rnd() % 4);
		switch (kind) {
		case 0:
			n = ht_build_ping(f, "198.18.0.2", (rnd() & 1) ? "198.18.0.1" : "198.18.0.9",
					  1, (uint16_t)i, rnd() % 200);
			break;
		case 1:
			n = ht_build_arp(f, (uint16_t)(1 + (rnd() & 1)), &ht_peer_mac, "198.18.0.2",
					 &zero_mac, "198.18.0.1");
			break;
		case 2:
			n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, sizeof(udp));
			break;
		default:
			n = 14 + rnd() % 200;
			for (size_t k = 0; k < n; k++)
				f[k] = (uint8_t)rnd();
			memcpy(f, &ht_our_mac, 6);
			f[12] = (rnd() & 1) ? 0x08 : 0x88;
			f[13] = (rnd() & 1) ? 0x00 : 0x06;
			break;
		}
		/* mutate: flip up to 3 bytes in the headers, then maybe cut or extend */
		for (unsigned k = rnd() % 4; k > 0; k--) {
			size_t at = 14 + rnd() % 28;

			f[at] ^= (uint8_t)(1u << (rnd() % 8));
		}
		switch (rnd() % 4) {
		case 0: n = rnd() % (n + 1); break;
		case 1: {
			size_t extra = rnd() % 64;
			for (size_t k = 0; k < extra; k++)
				f[n + k] = (uint8_t)rnd();
			n += extra;
			break;
		}
		default: break;
		}
		ht_input(r, f, n);
		ht_drain_tx(r);
		if (i % 1000 == 999)
			ht_advance(r, 1000); /* let held packets time out */
	}
	ht_advance(r, 10000);
	ht_drain_tx(r);
	st = &r->w->stats;
	assert_int_equal(st->rx_packets, total);
	assert_true(st->ip_rx_packets + st->arp_rx_request + st->arp_rx_reply + ht_drops(r) >= total);
	assert_true(st->icmp_tx_echo_reply > 0);
	assert_true(ht_drops(r) > 0);
	/* only packets still waiting for ARP may hold mbufs */
	unsigned held = 0;
	for (unsigned k = 0; k < HARE_ARP_TABLE_SIZE; k++)
		held += r->w->arp.entries[k].n_pending;
	assert_int_equal(ht_mbufs_in_use(r), held);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eth_short_frames_dropped),
		cmocka_unit_test(eth_header_only_dropped_by_upper_layer),
		cmocka_unit_test(eth_other_unicast_dropped),
		cmocka_unit_test(eth_one_byte_off_dropped),
		cmocka_unit_test(eth_broadcast_accepted),
		cmocka_unit_test(eth_multicast_dropped),
		cmocka_unit_test(eth_unknown_ethertype_dropped),
		cmocka_unit_test(eth_vlan_tagged_dropped),
		cmocka_unit_test(eth_counters),
		cmocka_unit_test(eth_tx_batches_beyond_burst),
		cmocka_unit_test(eth_tx_refused_counted_and_freed),
		cmocka_unit_test(eth_output_without_headroom),
		cmocka_unit_test(eth_output_framing),
		cmocka_unit_test(eth_random_frames_accounted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
