/* test_arp.c — ARP (lib/arp.c): answering requests for every local IP,
 * learning rules, malformed packets, resolution of next hops with held
 * packets, retries, expiry and refresh, gratuitous ARP, table floods. */
#include <string.h>
#include <rte_arp.h>
#include "harness_l3.h"
#include "ipv4.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr bcast_mac = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct rte_ether_addr mac_b = {{0x02, 0x00, 0x00, 0x00, 0x00, 0xbb}};

#define ARP_FRAME_LEN (14 + (int)sizeof(struct rte_arp_hdr))

static const struct rte_arp_hdr *
arp_of(const uint8_t *frame)
{
	return (const struct rte_arp_hdr *)(frame + 14);
}

static void
send_arp(struct ht_rig *r, uint16_t op, const struct rte_ether_addr *sha, const char *sip,
	 const char *tip)
{
	uint8_t f[128];
	size_t n = ht_build_arp(f, op, sha, sip, op == RTE_ARP_OP_REPLY ? &ht_our_mac : &zero_mac,
				tip);

	ht_input(r, f, n);
}

/* Pop one frame and check it is an ARP request from us for tip, asked
 * from sip, broadcast. */
static void
expect_request(struct ht_rig *r, const char *sip, const char *tip)
{
	uint8_t out[128];
	size_t n = ht_pop_frame(r, out, sizeof(out), &bcast_mac, RTE_ETHER_TYPE_ARP);
	const struct rte_arp_hdr *a = arp_of(out);

	assert_int_equal(n, ARP_FRAME_LEN);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
	assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
	assert_int_equal(a->arp_hlen, 6);
	assert_int_equal(a->arp_plen, 4);
	assert_memory_equal(&a->arp_data.arp_sha, &ht_our_mac, 6);
	assert_memory_equal(&a->arp_data.arp_tha, &zero_mac, 6);
	assert_int_equal(a->arp_data.arp_sip, ht_ip(sip));
	assert_int_equal(a->arp_data.arp_tip, ht_ip(tip));
}

/* Pop one frame: an echo reply to dst_mac with the given seq. */
static void
expect_echo_reply(struct ht_rig *r, const struct rte_ether_addr *dst_mac, uint16_t seq)
{
	uint8_t out[2048];
	size_t n = ht_pop_frame(r, out, sizeof(out), dst_mac, RTE_ETHER_TYPE_IPV4);

	assert_true(n >= 14 + 20 + 8);
	assert_int_equal(out[14 + 20], 0 /* echo reply */);
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(out + 14 + 20 + 6)), seq);
}

static void
ping_from(struct ht_rig *r, const char *src, const char *dst, uint16_t seq)
{
	uint8_t f[256];

	ht_input(r, f, ht_build_ping(f, src, dst, 0x4242, seq, 16));
}

/* Requests for each of several local IPs are answered with the right
 * fields, and the asker is learned. */
static void
arp_request_answered_for_every_local_ip(void **state)
{
	static const char *ips[] = {"198.18.0.1", "198.18.0.7", "198.19.5.5"};
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", "198.18.0.7/24", "198.19.5.5/16", NULL);
	uint8_t out[128];

	(void)state;
	ht_rig_start(r);
	for (unsigned i = 0; i < RTE_DIM(ips); i++) {
		const char *asker = i < 2 ? "198.18.0.2" : "198.19.9.9";
		const struct rte_arp_hdr *a = arp_of(out);
		size_t n;

		send_arp(r, RTE_ARP_OP_REQUEST, &ht_peer_mac, asker, ips[i]);
		n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_ARP);
		assert_int_equal(n, ARP_FRAME_LEN);
		assert_int_equal(rte_be_to_cpu_16(a->arp_hardware), RTE_ARP_HRD_ETHER);
		assert_int_equal(rte_be_to_cpu_16(a->arp_protocol), RTE_ETHER_TYPE_IPV4);
		assert_int_equal(a->arp_hlen, 6);
		assert_int_equal(a->arp_plen, 4);
		assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
		assert_memory_equal(&a->arp_data.arp_sha, &ht_our_mac, 6);
		assert_int_equal(a->arp_data.arp_sip, ht_ip(ips[i]));
		assert_memory_equal(&a->arp_data.arp_tha, &ht_peer_mac, 6);
		assert_int_equal(a->arp_data.arp_tip, ht_ip(asker));
		assert_null(ht_pop_tx(r));
	}
	assert_int_equal(r->w->stats.arp_rx_request, 3);
	assert_int_equal(r->w->stats.arp_tx_reply, 3);
	struct hare_arp_entry *e = hare_arp_lookup(r->w, ht_ip("198.19.9.9"));
	assert_non_null(e);
	assert_int_equal(e->state, HARE_ARP_RESOLVED);
	assert_memory_equal(&e->mac, &ht_peer_mac, 6);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* A request padded to the 60-byte Ethernet minimum is answered. */
static void
arp_padded_request_answered(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[60], out[128];

	(void)state;
	ht_rig_start(r);
	memset(f, 0xee, sizeof(f));
	ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac, "198.18.0.1");
	ht_input(r, f, sizeof(f));
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_ARP);
	assert_int_equal(rte_be_to_cpu_16(arp_of(out)->arp_opcode), RTE_ARP_OP_REPLY);
	ht_rig_free(r);
}

/* A request for an address we do not hold: no answer, counted, and the
 * asker is not added to the cache. */
static void
arp_request_for_foreign_ip_ignored(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);

	(void)state;
	ht_rig_start(r);
	send_arp(r, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", "198.18.0.99");
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.arp_rx_request, 1);
	assert_int_equal(r->w->stats.drop_not_for_us, 1);
	assert_null(hare_arp_lookup(r->w, ht_ip("198.18.0.2")));
	assert_int_equal(r->w->arp.n_used, 0);
	ht_rig_free(r);
}

/* Replies: learned when addressed to us, or when the sender already has
 * an entry (RFC 826 merge); otherwise ignored. */
static void
arp_reply_learning_rules(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	struct hare_arp_entry *e;

	(void)state;
	ht_rig_start(r);
	/* not for us, unknown sender: not learned */
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.3", "198.18.0.50");
	assert_null(hare_arp_lookup(r->w, ht_ip("198.18.0.3")));
	/* for us: learned */
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	e = hare_arp_lookup(r->w, ht_ip("198.18.0.2"));
	assert_non_null(e);
	assert_int_equal(e->state, HARE_ARP_RESOLVED);
	assert_memory_equal(&e->mac, &ht_peer_mac, 6);
	/* not for us, but the sender is known: its new MAC is merged */
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.2", "198.18.0.50");
	e = hare_arp_lookup(r->w, ht_ip("198.18.0.2"));
	assert_non_null(e);
	assert_memory_equal(&e->mac, &mac_b, 6);
	/* and traffic follows the new MAC */
	ping_from(r, "198.18.0.2", "198.18.0.1", 5);
	expect_echo_reply(r, &mac_b, 5);
	assert_int_equal(r->w->stats.arp_rx_reply, 3);
	assert_int_equal(r->w->stats.arp_tx_reply, 0);
	assert_int_equal(r->w->arp.n_used, 1);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Malformed headers: each counted as a bad header, none answered or
 * learned. */
static void
arp_bad_header_fields_dropped(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[128];
	unsigned cases = 0;

	(void)state;
	ht_rig_start(r);
	for (unsigned c = 0; c < 7; c++) {
		size_t n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2",
					&zero_mac, "198.18.0.1");
		struct rte_arp_hdr *a = (struct rte_arp_hdr *)(f + 14);

		switch (c) {
		case 0: a->arp_hardware = rte_cpu_to_be_16(6); break;        /* IEEE 802 */
		case 1: a->arp_protocol = rte_cpu_to_be_16(0x86dd); break;   /* IPv6 */
		case 2: a->arp_hlen = 8; break;
		case 3: a->arp_plen = 16; break;
		case 4: a->arp_opcode = rte_cpu_to_be_16(3); break;          /* RARP */
		case 5: a->arp_opcode = 0; break;
		case 6: a->arp_opcode = rte_cpu_to_be_16(0x0100); break;     /* byte-swapped 1 */
		}
		ht_input(r, f, n);
		cases++;
	}
	assert_int_equal(r->w->stats.drop_bad_header, cases);
	assert_int_equal(ht_drops(r), cases);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->arp.n_used, 0);
	ht_rig_free(r);
}

/* Truncated ARP packets are counted as bad length; one byte short of a
 * whole header is enough. */
static void
arp_truncated_dropped(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[128];
	size_t n;

	(void)state;
	ht_rig_start(r);
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	ht_input(r, f, n - 1);
	ht_input(r, f, 14 + 8);
	ht_input(r, f, 15);
	assert_int_equal(r->w->stats.drop_bad_len, 3);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->arp.n_used, 0);
	ht_input(r, f, n); /* the whole one still works */
	assert_int_equal(r->n_tx, 1);
	ht_rig_free(r);
}

/* A sender hardware address that is broadcast, multicast or all-zero is
 * never believed: not answered, not learned, counted as martian. */
static void
arp_bad_sender_mac_rejected(void **state)
{
	static const struct rte_ether_addr bad[] = {
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}},
		{{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
	};
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);

	(void)state;
	ht_rig_start(r);
	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		send_arp(r, RTE_ARP_OP_REQUEST, &bad[i], "198.18.0.2", "198.18.0.1");
		send_arp(r, RTE_ARP_OP_REPLY, &bad[i], "198.18.0.3", "198.18.0.1");
	}
	assert_int_equal(r->w->stats.drop_martian, 2 * RTE_DIM(bad));
	assert_int_equal(r->n_tx, 0);
	assert_null(hare_arp_lookup(r->w, ht_ip("198.18.0.2")));
	assert_null(hare_arp_lookup(r->w, ht_ip("198.18.0.3")));
	ht_rig_free(r);
}

/* An RFC 5227 probe (sender IP 0.0.0.0) for our address is answered but
 * creates no cache entry for 0.0.0.0. */
static void
arp_probe_answered_not_learned(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t out[128];

	(void)state;
	ht_rig_start(r);
	send_arp(r, RTE_ARP_OP_REQUEST, &ht_peer_mac, "0.0.0.0", "198.18.0.1");
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_ARP);
	assert_int_equal(rte_be_to_cpu_16(arp_of(out)->arp_opcode), RTE_ARP_OP_REPLY);
	assert_int_equal(arp_of(out)->arp_data.arp_sip, ht_ip("198.18.0.1"));
	assert_int_equal(r->w->arp.n_used, 0);
	assert_null(hare_arp_lookup(r->w, 0));
	ht_rig_free(r);
}

/* An echo reply to an unknown next hop waits for ARP: one broadcast
 * request from the right source address, then the reply leaves to the
 * resolved MAC when the ARP reply arrives. */
static void
arp_resolution_holds_and_flushes(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", "198.18.0.9/24", NULL);
	struct hare_arp_entry *e;

	(void)state;
	ht_rig_start(r);
	ping_from(r, "198.18.0.2", "198.18.0.9", 1);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	assert_null(ht_pop_tx(r));
	e = hare_arp_lookup(r->w, ht_ip("198.18.0.2"));
	assert_non_null(e);
	assert_int_equal(e->state, HARE_ARP_INCOMPLETE);
	assert_int_equal(e->n_pending, 1);
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.2", "198.18.0.1");
	expect_echo_reply(r, &mac_b, 1);
	assert_null(ht_pop_tx(r));
	assert_int_equal(e->state, HARE_ARP_RESOLVED);
	assert_int_equal(e->n_pending, 0);
	/* later packets go straight out */
	ping_from(r, "198.18.0.2", "198.18.0.9", 2);
	expect_echo_reply(r, &mac_b, 2);
	assert_int_equal(r->w->stats.arp_tx_request, 1);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* hare_ipv4_output to an unknown on-link host and, via the gateway, to an
 * off-link one: held, resolved, sent to the right MAC. */
static void
arp_ipv4_output_resolves_next_hop(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t out[128];
	struct rte_mbuf *m;
	size_t n;

	(void)state;
	r->cfg.gateway = ht_ip("198.18.0.254");
	ht_rig_start(r);
	for (unsigned i = 0; i < 2; i++) {
		m = rte_pktmbuf_alloc(r->pool);
		assert_non_null(m);
		memset(rte_pktmbuf_append(m, 10), (int)i, 10);
		assert_int_equal(hare_ipv4_output(r->w, m, ht_ip("198.18.0.1"),
						  ht_ip("198.19.7.7"), 253), 0);
	}
	hare_worker_tx_flush(r->w);
	expect_request(r, "198.18.0.1", "198.18.0.254");
	assert_null(ht_pop_tx(r)); /* one request for both packets */
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.254", "198.18.0.1");
	for (unsigned i = 0; i < 2; i++) {
		n = ht_pop_frame(r, out, sizeof(out), &mac_b, RTE_ETHER_TYPE_IPV4);
		assert_int_equal(n, 14 + 20 + 10);
		ht_assert_ipv4_out(out, n, 253, ht_ip("198.18.0.1"), ht_ip("198.19.7.7"));
		assert_int_equal(out[14 + 20], i); /* order kept */
	}
	assert_null(hare_arp_lookup(r->w, ht_ip("198.19.7.7")));
	ht_rig_free(r);
}

/* At most HARE_ARP_PENDING_MAX packets wait; the rest are counted. */
static void
arp_pending_queue_bounded(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	const unsigned extra = 3;

	(void)state;
	ht_rig_start(r);
	for (unsigned i = 0; i < HARE_ARP_PENDING_MAX + extra; i++)
		ping_from(r, "198.18.0.2", "198.18.0.1", (uint16_t)i);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	assert_null(ht_pop_tx(r));
	assert_int_equal(r->w->stats.arp_tx_request, 1);
	assert_int_equal(r->w->stats.drop_arp_unresolved, extra);
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	for (unsigned i = 0; i < HARE_ARP_PENDING_MAX; i++)
		expect_echo_reply(r, &ht_peer_mac, (uint16_t)i);
	assert_null(ht_pop_tx(r));
	ht_rig_free(r);
}

/* Two next hops wait in the shared hold queue interleaved: resolving one
 * releases exactly its packets, in order; the other's stay held. */
static void
arp_hold_queue_releases_only_resolved_hop(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);

	(void)state;
	ht_rig_start(r);
	for (uint16_t i = 0; i < 6; i++)
		ping_from(r, (i & 1) ? "198.18.0.3" : "198.18.0.2", "198.18.0.1", i);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	expect_request(r, "198.18.0.1", "198.18.0.3");
	assert_int_equal(r->w->arp.n_held, 6);
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.3", "198.18.0.1");
	expect_echo_reply(r, &mac_b, 1);
	expect_echo_reply(r, &mac_b, 3);
	expect_echo_reply(r, &mac_b, 5);
	assert_null(ht_pop_tx(r));
	assert_int_equal(r->w->arp.n_held, 3);
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	expect_echo_reply(r, &ht_peer_mac, 0);
	expect_echo_reply(r, &ht_peer_mac, 2);
	expect_echo_reply(r, &ht_peer_mac, 4);
	assert_int_equal(r->w->arp.n_held, 0);
	ht_rig_free(r);
}

/* Unanswered: a request every arp_retry_ms (within one 100 ms tick), at
 * most arp_max_retries of them, then the held packets are dropped. The
 * next packet starts a new resolution. */
static void
arp_retries_then_drops(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint64_t t0, sent_at[8];
	unsigned n_sent = 0;

	(void)state;
	r->cfg.arp_retry_ms = 500;
	r->cfg.arp_max_retries = 4;
	ht_rig_start(r);
	ht_advance(r, 0); /* align the ARP tick with the test clock */
	t0 = r->w->now_ms;
	ping_from(r, "198.18.0.2", "198.18.0.1", 1);
	ping_from(r, "198.18.0.2", "198.18.0.1", 2);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	sent_at[n_sent++] = t0;
	for (unsigned step = 0; step < 400; step++) { /* 4 s in 10 ms steps */
		ht_advance(r, 10);
		while (r->n_tx > 0) {
			expect_request(r, "198.18.0.1", "198.18.0.2");
			assert_true(n_sent < RTE_DIM(sent_at));
			sent_at[n_sent++] = r->w->now_ms;
		}
		if (r->w->stats.drop_arp_unresolved != 0)
			break;
	}
	assert_int_equal(n_sent, 4);
	for (unsigned i = 1; i < n_sent; i++) {
		assert_true(sent_at[i] - sent_at[i - 1] >= 500);
		assert_true(sent_at[i] - sent_at[i - 1] <= 600);
	}
	/* both held packets dropped, a retry period after the last request */
	assert_int_equal(r->w->stats.drop_arp_unresolved, 2);
	assert_true(r->w->now_ms - sent_at[3] >= 500 && r->w->now_ms - sent_at[3] <= 600);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	/* nothing more happens on its own */
	ht_advance(r, 5000);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.arp_tx_request, 4);
	/* a new packet tries again, and a late reply delivers it */
	ping_from(r, "198.18.0.2", "198.18.0.1", 3);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	expect_echo_reply(r, &ht_peer_mac, 3);
	ht_rig_free(r);
}

/* Expiry: after arp_timeout_ms the entry is still used, but a refresh
 * request goes out (at most once per retry period); an answer renews it.
 * When refreshes go unanswered, the entry falls back to resolving and
 * packets wait again. */
static void
arp_entry_expiry_and_refresh(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	struct hare_arp_entry *e;

	(void)state;
	r->cfg.arp_timeout_ms = 5000;
	r->cfg.arp_retry_ms = 1000;
	r->cfg.arp_max_retries = 2;
	ht_rig_start(r);
	send_arp(r, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	ht_drain_tx(r);
	ht_advance(r, 4999);
	ping_from(r, "198.18.0.2", "198.18.0.1", 1);
	expect_echo_reply(r, &ht_peer_mac, 1);
	assert_null(ht_pop_tx(r)); /* still fresh: no request */
	ht_advance(r, 1);
	ping_from(r, "198.18.0.2", "198.18.0.1", 2);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	expect_echo_reply(r, &ht_peer_mac, 2);
	ping_from(r, "198.18.0.2", "198.18.0.1", 3);
	expect_echo_reply(r, &ht_peer_mac, 3);
	assert_null(ht_pop_tx(r)); /* no second request within the period */
	/* the peer answers (from a new MAC): renewed for another timeout */
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.18.0.2", "198.18.0.1");
	e = hare_arp_lookup(r->w, ht_ip("198.18.0.2"));
	assert_non_null(e);
	assert_int_equal(e->expire_ms, r->w->now_ms + 5000);
	ht_advance(r, 4000);
	ping_from(r, "198.18.0.2", "198.18.0.1", 4);
	expect_echo_reply(r, &mac_b, 4);
	assert_null(ht_pop_tx(r));
	/* expire again; this time nobody answers the refreshes */
	ht_advance(r, 1000);
	ping_from(r, "198.18.0.2", "198.18.0.1", 5);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	expect_echo_reply(r, &mac_b, 5);
	ht_advance(r, 1000);
	ping_from(r, "198.18.0.2", "198.18.0.1", 6);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	expect_echo_reply(r, &mac_b, 6);
	ht_advance(r, 1000);
	/* max_retries refreshes unanswered: the MAC is no longer trusted */
	ping_from(r, "198.18.0.2", "198.18.0.1", 7);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	assert_null(ht_pop_tx(r));
	assert_int_equal(e->state, HARE_ARP_INCOMPLETE);
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	expect_echo_reply(r, &ht_peer_mac, 7);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* Gratuitous ARP at start: one broadcast request per local IP with
 * sender and target both that IP (RFC 5227 §2.3). */
static void
arp_announce_every_ip(void **state)
{
	static const char *ips[] = {"198.18.0.1", "198.18.0.7", "198.19.5.5"};
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", "198.18.0.7/24", "198.19.5.5/16", NULL);

	(void)state;
	ht_rig_start(r);
	hare_arp_announce(r->w);
	hare_worker_tx_flush(r->w);
	for (unsigned i = 0; i < RTE_DIM(ips); i++)
		expect_request(r, ips[i], ips[i]);
	assert_null(ht_pop_tx(r));
	assert_int_equal(r->w->stats.arp_tx_gratuitous, 3);
	assert_int_equal(r->w->stats.tx_packets, 3);
	ht_rig_free(r);
}

static void
peer_mac(struct rte_ether_addr *mac, unsigned i)
{
	*mac = (struct rte_ether_addr){{0x02, 0x10, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}};
}

static void
peer_ip(char *buf, size_t cap, unsigned i)
{
	/* 198.18.0.0/15 minus our own .0.1 */
	unsigned host = i + 16;

	snprintf(buf, cap, "198.%u.%u.%u", 18 + (host >> 16), (host >> 8) & 0xff, host & 0xff);
}

/* Thousands of distinct senders asking for us: every request answered,
 * the table stays bounded, lookups still terminate. */
static void
arp_table_flood_by_requests_bounded(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/15", NULL);
	const unsigned senders = 5000;
	char ip[32];

	(void)state;
	ht_rig_start(r);
	for (unsigned i = 0; i < senders; i++) {
		struct rte_ether_addr mac;

		peer_mac(&mac, i);
		peer_ip(ip, sizeof(ip), i);
		send_arp(r, RTE_ARP_OP_REQUEST, &mac, ip, "198.18.0.1");
		assert_int_equal(ht_drain_tx(r), 1);
	}
	assert_int_equal(r->w->stats.arp_tx_reply, senders);
	assert_true(r->w->arp.n_used <= HARE_ARP_TABLE_SIZE * 3 / 4);
	assert_true(r->w->arp.n_used >= HARE_ARP_TABLE_SIZE / 2);
	assert_null(hare_arp_lookup(r->w, ht_ip("198.19.250.250")));
	ht_advance(r, 1000);
	ht_rig_free(r);
}

/* Pings from thousands of unresolved sources fill the table with pending
 * resolutions: bounded, counted, freed. Once they have failed and the
 * flood is over, a new peer can still be resolved and answered. */
static void
arp_table_flood_by_traffic_recovers(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/15", NULL);
	const unsigned sources = 3000;
	char ip[32];
	uint64_t unresolved;

	(void)state;
	r->cfg.arp_timeout_ms = 10000;
	ht_rig_start(r);
	for (unsigned i = 0; i < sources; i++) {
		peer_ip(ip, sizeof(ip), i);
		ping_from(r, ip, "198.18.0.1", (uint16_t)i);
		ht_drain_tx(r);
	}
	assert_true(r->w->arp.n_used < HARE_ARP_TABLE_SIZE);
	assert_int_equal(r->w->stats.icmp_rx_echo, sources);
	/* every ping is either held (the hold queue is bounded) or counted */
	assert_int_equal(r->w->arp.n_held, HARE_ARP_HOLD_MAX);
	assert_int_equal(r->w->stats.drop_arp_unresolved + r->w->arp.n_held, sources);
	/* let every resolution fail */
	for (unsigned s = 0; s < 50; s++)
		ht_advance(r, 100);
	ht_drain_tx(r);
	unresolved = r->w->stats.drop_arp_unresolved;
	assert_int_equal(unresolved, sources);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	/* long after the flood, a new host pings us */
	ht_advance(r, 60000);
	ping_from(r, "198.19.200.200", "198.18.0.1", 77);
	expect_request(r, "198.18.0.1", "198.19.200.200");
	send_arp(r, RTE_ARP_OP_REPLY, &mac_b, "198.19.200.200", "198.18.0.1");
	expect_echo_reply(r, &mac_b, 77);
	assert_int_equal(r->w->stats.drop_arp_unresolved, unresolved);
	ht_rig_free(r);
}

/* Teardown with packets still waiting for ARP frees them (leak check in
 * ht_rig_free). */
static void
arp_pending_freed_at_teardown(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);

	(void)state;
	ht_rig_start(r);
	ping_from(r, "198.18.0.2", "198.18.0.1", 1);
	ping_from(r, "198.18.0.3", "198.18.0.1", 1);
	ht_drain_tx(r);
	assert_int_equal(ht_mbufs_in_use(r), 2);
	ht_rig_free(r);
}

/* No mbuf for the ARP request: the packet stays held, the failure is
 * counted (not claimed as a sent request), and the next retry, once mbufs
 * are back, resolves and delivers it. */
static void
arp_request_without_mbuf_retried(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	struct rte_mbuf *m, **hoard;
	uint8_t f[256];
	size_t n;
	unsigned n_hoard;

	(void)state;
	ht_rig_start(r);
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 0x4242, 1, 16);
	m = rte_pktmbuf_alloc(r->pool);
	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	n_hoard = ht_take_all_mbufs(r, &hoard);
	ht_input_mbuf(r, m);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.drop_no_mbuf, 1);
	assert_int_equal(r->w->stats.arp_tx_request, 0);
	assert_int_equal(hare_arp_lookup(r->w, ht_ip("198.18.0.2"))->n_pending, 1);
	ht_give_back(hoard, n_hoard);
	ht_advance(r, r->cfg.arp_retry_ms + 100);
	expect_request(r, "198.18.0.1", "198.18.0.2");
	assert_int_equal(r->w->stats.arp_tx_request, 1);
	send_arp(r, RTE_ARP_OP_REPLY, &ht_peer_mac, "198.18.0.2", "198.18.0.1");
	expect_echo_reply(r, &ht_peer_mac, 1);
	assert_int_equal(r->w->stats.drop_arp_unresolved, 0);
	ht_rig_free(r);
}

/* An ARP reply with the pool exhausted: counted, nothing claimed. */
static void
arp_reply_without_mbuf_counted(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	struct rte_mbuf *m, **hoard;
	uint8_t f[128];
	size_t n;
	unsigned n_hoard;

	(void)state;
	ht_rig_start(r);
	n = ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
			 "198.18.0.1");
	m = rte_pktmbuf_alloc(r->pool);
	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	n_hoard = ht_take_all_mbufs(r, &hoard);
	ht_input_mbuf(r, m);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.drop_no_mbuf, 1);
	assert_int_equal(r->w->stats.arp_tx_reply, 0);
	assert_int_equal(r->w->stats.arp_rx_request, 1);
	ht_give_back(hoard, n_hoard);
	ht_input(r, f, n);
	assert_int_equal(r->n_tx, 1);
	assert_int_equal(r->w->stats.arp_tx_reply, 1);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_request_answered_for_every_local_ip),
		cmocka_unit_test(arp_padded_request_answered),
		cmocka_unit_test(arp_request_for_foreign_ip_ignored),
		cmocka_unit_test(arp_reply_learning_rules),
		cmocka_unit_test(arp_bad_header_fields_dropped),
		cmocka_unit_test(arp_truncated_dropped),
		cmocka_unit_test(arp_bad_sender_mac_rejected),
		cmocka_unit_test(arp_probe_answered_not_learned),
		cmocka_unit_test(arp_resolution_holds_and_flushes),
		cmocka_unit_test(arp_ipv4_output_resolves_next_hop),
		cmocka_unit_test(arp_pending_queue_bounded),
		cmocka_unit_test(arp_hold_queue_releases_only_resolved_hop),
		cmocka_unit_test(arp_retries_then_drops),
		cmocka_unit_test(arp_entry_expiry_and_refresh),
		cmocka_unit_test(arp_announce_every_ip),
		cmocka_unit_test(arp_table_flood_by_requests_bounded),
		cmocka_unit_test(arp_table_flood_by_traffic_recovers),
		cmocka_unit_test(arp_pending_freed_at_teardown),
		cmocka_unit_test(arp_request_without_mbuf_retried),
		cmocka_unit_test(arp_reply_without_mbuf_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
