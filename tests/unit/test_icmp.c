/* test_icmp.c — ICMP (lib/icmp.c): echo replies (fields, checksums,
 * addresses, sizes up to the MTU, chained requests), bad checksums,
 * truncation, types we ignore, no errors about ICMP, and behaviour when
 * the mempool is exhausted or the port refuses frames. */
#include <string.h>
#include <rte_arp.h>
#include "harness_l3.h"
#include "icmp.h"
#include "arp.h"

static const struct rte_ether_addr zero_mac;

#define IPH(f) ((struct rte_ipv4_hdr *)((f) + 14))

/* Rig with up to three addresses (the first is 198.18.0.1/24); the peer
 * 198.18.0.2 already resolved. */
static struct ht_rig *
rig_ips(const char *a, const char *b, const char *c)
{
	struct ht_rig *r = ht_rig_new(a, b, c, NULL);
	uint8_t f[128];

	ht_rig_start(r);
	ht_input(r, f, ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2",
				    &zero_mac, "198.18.0.1"));
	assert_int_equal(ht_drain_tx(r), 1);
	return r;
}

static struct ht_rig *
rig(void)
{
	return rig_ips("198.18.0.1/24", NULL, NULL);
}

/* Check that out (n bytes) is the echo reply to request f (fn bytes): same
 * id, seq and data; type 0; addresses swapped; both checksums valid. */
static void
check_echo_reply(const uint8_t *out, size_t n, const uint8_t *f, size_t fn)
{
	const struct rte_ipv4_hdr *rq = IPH(f);
	size_t ihl = (size_t)(rq->version_ihl & 0x0f) * 4;
	const uint8_t *req_icmp = f + 14 + ihl;
	size_t icmp_len = rte_be_to_cpu_16(rq->total_length) - ihl;

	(void)fn;
	ht_assert_ipv4_out(out, n, IPPROTO_ICMP, rq->dst_addr, rq->src_addr);
	assert_int_equal(n, 14 + 20 + icmp_len);
	assert_int_equal(out[34], 0);     /* echo reply */
	assert_int_equal(out[35], 0);
	assert_memory_equal(out + 34 + 4, req_icmp + 4, icmp_len - 4); /* id, seq, data */
	assert_int_equal(ht_cksum(out + 34, icmp_len), 0);
}

static void
icmp_echo_reply_fields(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	size_t n, fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 0xbeef, 0x0107, 56);

	(void)state;
	ht_input(r, f, fn);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	check_echo_reply(out, n, f, fn);
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(out + 38)), 0xbeef);
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(out + 40)), 0x0107);
	assert_int_equal(out[42 + 55], ht_ping_byte(55, 0x0107));
	assert_int_equal(r->w->stats.icmp_rx_echo, 1);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 1);
	assert_null(ht_pop_tx(r));
	ht_rig_free(r);
}

/* One process, several addresses: each ping is answered from the address
 * it was sent to. */
static void
icmp_reply_from_pinged_address(void **state)
{
	static const char *ips[] = {"198.18.0.1", "198.18.0.5", "198.18.0.200"};
	struct ht_rig *r = rig_ips("198.18.0.1/24", "198.18.0.5/24", "198.18.0.200/24");
	uint8_t f[256], out[256];

	(void)state;
	for (unsigned round = 0; round < 2; round++)
		for (unsigned i = 0; i < RTE_DIM(ips); i++) {
			size_t fn = ht_build_ping(f, "198.18.0.2", ips[i], 9, (uint16_t)i, 20);
			size_t n;

			ht_input(r, f, fn);
			n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
			check_echo_reply(out, n, f, fn);
			assert_int_equal(IPH(out)->src_addr, ht_ip(ips[i]));
		}
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 6);
	ht_rig_free(r);
}

/* Payloads from empty to MTU - 28 = 1472 bytes (odd sizes too) are echoed
 * intact; one byte more would exceed the MTU and is counted. */
static void
icmp_payload_sizes_up_to_mtu(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 3, 56, 1000, 1471, 1472};
	struct ht_rig *r = rig();
	static uint8_t f[2048], out[2048];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(sizes); i++) {
		size_t fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, (uint16_t)i, sizes[i]);
		size_t n;

		ht_input(r, f, fn);
		n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
		check_echo_reply(out, n, f, fn);
		assert_int_equal(n, 14 + 28 + sizes[i]);
	}
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 99, 1473));
	assert_int_equal(r->w->stats.icmp_rx_echo, RTE_DIM(sizes) + 1);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, RTE_DIM(sizes));
	assert_int_equal(r->w->stats.drop_mtu, 1);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* A request spread over several segments (even and odd boundaries, a
 * one-byte segment) is verified and answered correctly. */
static void
icmp_chained_request_answered(void **state)
{
	static const size_t cuts_a[] = {42 + 100, 42 + 800};      /* even */
	static const size_t cuts_b[] = {42 + 101, 42 + 800};      /* odd, then even */
	static const size_t cuts_c[] = {42 + 7, 42 + 8, 42 + 999}; /* odd, 1-byte seg */
	static const size_t cuts_d[] = {34 + 3, 42 + 1471};       /* inside the header.. */
	static const struct { const size_t *cuts; unsigned n; } cases[] = {
		{cuts_a, 2}, {cuts_b, 2}, {cuts_c, 3}, {cuts_d, 2},
	};
	struct ht_rig *r = rig();
	static uint8_t f[2048], out[2048];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		size_t fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 2, (uint16_t)i, 1472);
		size_t n;

		ht_input_mbuf(r, ht_mbuf_chain(r, f, fn, cases[i].cuts, cases[i].n));
		if (i == 3) {
			/* .. an ICMP header split across segments is refused as
			 * truncated, counted, not answered */
			assert_int_equal(r->w->stats.drop_bad_len, 1);
			assert_int_equal(r->n_tx, 0);
			continue;
		}
		assert_int_equal(r->w->stats.drop_bad_cksum, 0);
		n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
		check_echo_reply(out, n, f, fn);
	}
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 3);
	ht_rig_free(r);
}

/* A wrong ICMP checksum (single corrupted byte, or a zeroed field) is
 * dropped and counted; a chained request with a wrong checksum too. */
static void
icmp_bad_checksum_dropped(void **state)
{
	static const size_t cuts[] = {42 + 33};
	struct ht_rig *r = rig();
	uint8_t f[256];
	size_t fn;

	(void)state;
	fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 64);
	f[42 + 10] ^= 0x01;
	ht_input(r, f, fn);
	fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 64);
	f[36] = f[37] = 0;
	ht_input(r, f, fn);
	fn = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 64);
	f[42 + 60] ^= 0x80;
	ht_input_mbuf(r, ht_mbuf_chain(r, f, fn, cuts, 1));
	assert_int_equal(r->w->stats.drop_bad_cksum, 3);
	assert_int_equal(ht_drops(r), 3);
	assert_int_equal(r->w->stats.icmp_rx_echo, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* ICMP messages shorter than the 8-byte header. */
static void
icmp_truncated_dropped(void **state)
{
	static const size_t lens[] = {0, 1, 4, 7};
	struct ht_rig *r = rig();
	uint8_t f[256], msg[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0};

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(lens); i++)
		ht_input(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_ICMP, msg,
					      lens[i]));
	assert_int_equal(r->w->stats.drop_bad_len, RTE_DIM(lens));
	assert_int_equal(ht_drops(r), RTE_DIM(lens));
	assert_int_equal(r->n_tx, 0);
	/* the 8-byte message itself is a valid echo request */
	assert_int_equal(ht_cksum(msg, 8), 0);
	ht_input(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_ICMP, msg, 8));
	assert_int_equal(r->n_tx, 1);
	ht_rig_free(r);
}

/* Types other than echo request (and echo request with a non-zero code)
 * are counted and ignored; none draws an ICMP error (RFC 1122 §3.2.2). */
static void
icmp_other_types_ignored(void **state)
{
	static const uint8_t types[][2] = {{0, 0}, {3, 3}, {11, 0}, {13, 0}, {5, 1}, {8, 1},
					   {42, 0}, {255, 255}};
	struct ht_rig *r = rig();
	uint8_t f[256], msg[64];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(types); i++) {
		size_t n = ht_build_echo(msg, types[i][0], 1, 1, "0123456789abcdef0123456789ab", 28);

		msg[1] = types[i][1];
		msg[2] = msg[3] = 0;
		*(uint16_t *)(msg + 2) = ht_cksum(msg, n);
		ht_input(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_ICMP, msg, n));
	}
	assert_int_equal(r->w->stats.icmp_rx_other, RTE_DIM(types));
	assert_int_equal(r->w->stats.icmp_rx_echo, 0);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* hare_icmp_send_unreachable refuses to send an error about an ICMP
 * datagram; the same call about UDP sends one. */
static void
icmp_no_error_about_icmp(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	struct rte_mbuf *m;

	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		uint8_t proto = k == 0 ? IPPROTO_ICMP : IPPROTO_UDP;

		ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", proto, "\x03\x03\0\0\0\0\0\0", 8);
		m = rte_pktmbuf_alloc(r->pool);
		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, 8), f + 34, 8);
		hare_icmp_send_unreachable(r->w, m, IPH(f), RTE_ICMP_CODE_UNREACH_PORT);
		hare_worker_tx_flush(r->w);
		if (k == 0) {
			assert_int_equal(r->n_tx, 0);
			assert_int_equal(ht_mbufs_in_use(r), 0);
		}
	}
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(out[34], 3);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 1);
	ht_rig_free(r);
}

static struct rte_mbuf *
mbuf_of(struct ht_rig *r, const uint8_t *f, size_t n)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	return m;
}

/* Every mbuf taken: answers that need a fresh mbuf (ARP reply, port
 * unreachable) are counted as drop_no_mbuf and not claimed as sent; the
 * echo reply, built in the request's own mbuf, still goes out. Nothing
 * crashes or leaks, and service resumes when mbufs come back. */
static void
icmp_exhausted_pool(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256], udp[8] = {0, 1, 0, 2, 0, 8, 0, 0};
	struct rte_mbuf *arp, *udpm, *ping, **hoard[4];
	unsigned n_hoard[4];

	(void)state;
	arp = mbuf_of(r, f, ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2",
					 &zero_mac, "198.18.0.1"));
	udpm = mbuf_of(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, 8));
	ping = mbuf_of(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 16));
	n_hoard[0] = ht_take_all_mbufs(r, &hoard[0]);
	assert_true(n_hoard[0] > 0);
	assert_int_equal(r->w->stats.arp_tx_reply, 1); /* from rig() */

	ht_input_mbuf(r, arp);
	assert_int_equal(r->w->stats.drop_no_mbuf, 1);
	assert_int_equal(r->w->stats.arp_rx_request, 2);
	assert_int_equal(r->w->stats.arp_tx_reply, 1);
	/* the request's own mbuf went back to the pool: take it again */
	n_hoard[1] = ht_take_all_mbufs(r, &hoard[1]);
	assert_int_equal(n_hoard[1], 1);
	ht_input_mbuf(r, udpm);
	assert_int_equal(r->w->stats.drop_no_mbuf, 2);
	assert_int_equal(r->w->stats.udp_rx_datagrams, 1);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 0);
	assert_int_equal(r->n_tx, 0);
	n_hoard[2] = ht_take_all_mbufs(r, &hoard[2]);
	ht_input_mbuf(r, ping);
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(r->w->stats.drop_no_mbuf, 2);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 1);
	/* a gratuitous ARP with no mbufs: nothing sent, nothing claimed */
	n_hoard[3] = ht_take_all_mbufs(r, &hoard[3]);
	hare_arp_announce(r->w);
	hare_worker_tx_flush(r->w);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.arp_tx_gratuitous, 0);
	assert_int_equal(r->w->stats.drop_no_mbuf, 3);

	for (unsigned i = 0; i < 4; i++)
		ht_give_back(hoard[i], n_hoard[i]);
	ht_input(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, 8));
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 1);
	ht_rig_free(r);
}

/* Replies the port refuses are freed and counted. */
static void
icmp_tx_refused(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[2048];

	(void)state;
	assert_int_equal(r->w->stats.tx_packets, 1); /* ARP reply from rig() */
	r->tx_refuse = 1;
	for (unsigned i = 0; i < 40; i++)
		ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, (uint16_t)i, 1000));
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 40);
	assert_int_equal(r->w->stats.drop_tx_full, 40);
	assert_int_equal(r->w->stats.tx_packets, 1);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	ht_rig_free(r);
}

/* With the error rate set to 0, errors are all suppressed but pings are
 * still answered. */
static void
icmp_echo_not_subject_to_error_limit(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[256], out[256], udp[8] = {0, 1, 0, 2, 0, 8, 0, 0};

	(void)state;
	r->cfg.icmp_rate_per_s = 0;
	ht_rig_start(r);
	ht_input(r, f, ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
				    "198.18.0.1"));
	ht_drain_tx(r);
	ht_input(r, f, ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, 8));
	assert_int_equal(r->w->stats.drop_rate_limited, 1);
	assert_int_equal(r->n_tx, 0);
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8));
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(out[34], 0);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(icmp_echo_reply_fields),
		cmocka_unit_test(icmp_reply_from_pinged_address),
		cmocka_unit_test(icmp_payload_sizes_up_to_mtu),
		cmocka_unit_test(icmp_chained_request_answered),
		cmocka_unit_test(icmp_bad_checksum_dropped),
		cmocka_unit_test(icmp_truncated_dropped),
		cmocka_unit_test(icmp_other_types_ignored),
		cmocka_unit_test(icmp_no_error_about_icmp),
		cmocka_unit_test(icmp_exhausted_pool),
		cmocka_unit_test(icmp_tx_refused),
		cmocka_unit_test(icmp_echo_not_subject_to_error_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
