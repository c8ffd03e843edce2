/* test_ipv4.c — IPv4 input validation and output (lib/ipv4.c): version,
 * IHL, lying total lengths, padding, checksums (software and offload
 * flags), options, TTL, addresses, martians, fragments, protocol/port
 * unreachable with rate limiting, routing (on-link, gateway, none), MTU,
 * TCP checksums over chained mbufs. */
#include <errno.h>
#include <string.h>
#include <rte_arp.h>
#include <rte_tcp.h>
#include "harness_l3.h"
#include "ipv4.h"

static const struct rte_ether_addr zero_mac;
static const struct rte_ether_addr gw_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};

#define IPH(f) ((struct rte_ipv4_hdr *)((f) + 14))

/* Rig with two addresses; the peer 198.18.0.2 already resolved. */
static struct ht_rig *
rig_cfg(uint32_t gateway, uint16_t mtu)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", "198.18.0.9/24", NULL);
	uint8_t f[128];

	r->cfg.gateway = gateway;
	if (mtu)
		r->cfg.mtu = mtu;
	ht_rig_start(r);
	ht_input(r, f, ht_build_arp(f, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2",
				    &zero_mac, "198.18.0.1"));
	assert_int_equal(ht_drain_tx(r), 1);
	return r;
}

static struct ht_rig *
rig(void)
{
	return rig_cfg(0, 0);
}

/* Pop the echo reply for seq and check its IP header; returns its length. */
static size_t
expect_echo_reply(struct ht_rig *r, uint8_t *out, size_t cap, const char *from, uint16_t seq)
{
	size_t n = ht_pop_frame(r, out, cap, &ht_peer_mac, RTE_ETHER_TYPE_IPV4);

	ht_assert_ipv4_out(out, n, IPPROTO_ICMP, ht_ip(from), ht_ip("198.18.0.2"));
	assert_int_equal(out[34], 0);
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(out + 34 + 6)), seq);
	assert_int_equal(ht_cksum(out + 34, n - 34), 0);
	return n;
}

static void
ipv4_good_packet_answered(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 56);

	(void)state;
	ht_input(r, f, n);
	assert_int_equal(expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1), n);
	assert_int_equal(r->w->stats.ip_rx_packets, 1);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* Shorter than an IPv4 header. */
static void
ipv4_truncated_header_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

	(void)state;
	(void)n;
	ht_input(r, f, 14 + 19);
	ht_input(r, f, 14 + 1);
	assert_int_equal(r->w->stats.drop_bad_len, 2);
	assert_int_equal(ht_drops(r), 2);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Version other than 4, IHL below 5: bad header. */
static void
ipv4_bad_version_or_ihl_dropped(void **state)
{
	static const uint8_t vhl[] = {0x65, 0x05, 0xf5, 0x44, 0x40, 0x41};
	struct ht_rig *r = rig();
	uint8_t f[256];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(vhl); i++) {
		size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 40);

		IPH(f)->version_ihl = vhl[i];
		/* keep the checksum right over 20 bytes, whatever the IHL says */
		IPH(f)->hdr_checksum = 0;
		IPH(f)->hdr_checksum = ht_cksum(IPH(f), 20);
		ht_input(r, f, n);
	}
	assert_int_equal(r->w->stats.drop_bad_header, RTE_DIM(vhl));
	assert_int_equal(ht_drops(r), RTE_DIM(vhl));
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* IHL says the header is longer than the frame. */
static void
ipv4_ihl_beyond_frame_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8); /* 14+20+16 */

	(void)state;
	IPH(f)->version_ihl = 0x4f; /* 60-byte header in a 36-byte packet */
	ht_input(r, f, n);
	IPH(f)->version_ihl = 0x49; /* 36-byte header (= total_length) .. */
	ht_input(r, f, n - 1);      /* .. in a frame one byte short of it */
	assert_int_equal(r->w->stats.drop_bad_len, 2);
	assert_int_equal(ht_drops(r), 2);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* total_length below the header length, zero, or beyond the frame. */
static void
ipv4_lying_total_length_dropped(void **state)
{
	static const uint16_t totals[] = {19, 0, 1, 37, 1000, 65535};
	struct ht_rig *r = rig();
	uint8_t f[256];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(totals); i++) {
		size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8); /* total 36 */

		IPH(f)->total_length = rte_cpu_to_be_16(totals[i]);
		ht_ipv4_fix_cksum(f);
		ht_input(r, f, n);
	}
	/* IHL 6 with total_length 20 < 24 */
	{
		uint8_t opts[4] = {1, 1, 1, 0};
		size_t n = ht_build_ipv4_opts(f, "198.18.0.2", "198.18.0.1", 253, opts, 4, NULL, 0);

		IPH(f)->total_length = rte_cpu_to_be_16(20);
		ht_ipv4_fix_cksum(f);
		ht_input(r, f, n);
	}
	assert_int_equal(r->w->stats.drop_bad_len, RTE_DIM(totals) + 1);
	assert_int_equal(ht_drops(r), RTE_DIM(totals) + 1);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* A minimum-size (60-byte) frame with a 2-byte echo and non-zero padding:
 * the padding is trimmed, so the checksum holds and the reply is exactly
 * as long as the IP packet. */
static void
ipv4_ethernet_padding_trimmed(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[60], out[128];
	size_t n;

	(void)state;
	memset(f, 0xa5, sizeof(f));
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 3, 4, 2);
	assert_int_equal(n, 44);
	ht_input(r, f, sizeof(f));
	n = expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 4);
	assert_int_equal(n, 44);
	assert_int_equal(out[42], ht_ping_byte(0, 4));
	assert_int_equal(out[43], ht_ping_byte(1, 4));
	ht_rig_free(r);
}

/* The same, with the padding split over two segments of a chain (the last
 * segment shorter than the padding). */
static void
ipv4_padding_across_segments_trimmed(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[60], out[128];
	const size_t cuts[] = {50};
	size_t n;

	(void)state;
	memset(f, 0xa5, sizeof(f));
	n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 3, 5, 2);
	assert_int_equal(n, 44);
	ht_input_mbuf(r, ht_mbuf_chain(r, f, sizeof(f), cuts, 1));
	assert_int_equal(r->w->stats.drop_bad_cksum, 0);
	n = expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 5);
	assert_int_equal(n, 44);
	ht_rig_free(r);
}

/* A 4-byte datagram of an unknown protocol at the head of a 1200-byte,
 * three-segment frame (total_length far below the frame): the protocol
 * unreachable quotes exactly the 4 bytes, nothing from the tail. */
static void
ipv4_short_total_length_in_chain(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[1200], out[256], data[4] = {1, 2, 3, 4};
	const size_t cuts[] = {100, 600};
	size_t n;

	(void)state;
	memset(f, 0x77, sizeof(f));
	ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", 253, data, sizeof(data));
	ht_input_mbuf(r, ht_mbuf_chain(r, f, sizeof(f), cuts, 2));
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_int_equal(n, 14 + 20 + 8 + 20 + 4);
	assert_memory_equal(out + 14 + 20 + 8 + 20, data, 4);
	assert_int_equal(ht_mbufs_in_use(r), 0);
	ht_rig_free(r);
}

/* A wrong header checksum is dropped and counted; a right one over a
 * header with options is accepted. */
static void
ipv4_bad_header_checksum_dropped(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

	(void)state;
	IPH(f)->hdr_checksum ^= rte_cpu_to_be_16(0x0100);
	ht_input(r, f, n);
	ht_ipv4_fix_cksum(f);
	IPH(f)->time_to_live = 63; /* changed after the checksum */
	ht_input(r, f, n);
	assert_int_equal(r->w->stats.drop_bad_cksum, 2);
	assert_int_equal(ht_drops(r), 2);
	assert_int_equal(r->w->stats.ip_rx_packets, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

static struct rte_mbuf *
mbuf_with_flags(struct ht_rig *r, const uint8_t *f, size_t n, uint64_t flags)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), f, n);
	m->ol_flags |= flags;
	return m;
}

/* With RX checksum offload the NIC's verdict is used: GOOD skips the
 * software check, BAD drops; UNKNOWN is verified in software. Without
 * the offload, the flags are ignored. */
static void
ipv4_rx_checksum_offload_flags(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], bad[256], out[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

	(void)state;
	memcpy(bad, f, n);
	IPH(bad)->hdr_checksum ^= 0xffff;
	r->w->offloads |= HARE_OFFLOAD_RX_CKSUM;
	ht_input_mbuf(r, mbuf_with_flags(r, bad, n, RTE_MBUF_F_RX_IP_CKSUM_GOOD));
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1);
	ht_input_mbuf(r, mbuf_with_flags(r, f, n, RTE_MBUF_F_RX_IP_CKSUM_BAD));
	assert_int_equal(r->w->stats.drop_bad_cksum, 1);
	ht_input_mbuf(r, mbuf_with_flags(r, bad, n, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN));
	assert_int_equal(r->w->stats.drop_bad_cksum, 2);
	ht_input_mbuf(r, mbuf_with_flags(r, f, n, RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN));
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1);
	r->w->offloads &= ~HARE_OFFLOAD_RX_CKSUM;
	ht_input_mbuf(r, mbuf_with_flags(r, bad, n, RTE_MBUF_F_RX_IP_CKSUM_GOOD));
	assert_int_equal(r->w->stats.drop_bad_cksum, 3);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Every IHL from 6 to 15 (options of 4..40 bytes): the ping is answered,
 * payload intact, and the reply carries no options. */
static void
ipv4_options_accepted_for_every_ihl(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256], echo[64], data[24], opts[40];

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xc0 + i);
	for (unsigned ihl = 6; ihl <= 15; ihl++) {
		size_t olen = (ihl - 5) * 4, elen, n;

		memset(opts, 1 /* NOP */, olen);
		if (ihl == 15) { /* a record-route option, as ping -R sends */
			memset(opts, 0, olen);
			opts[0] = 7; opts[1] = 39; opts[2] = 4;
		} else {
			opts[olen - 1] = 0; /* end of options */
		}
		elen = ht_build_echo(echo, 8, 0x1234, (uint16_t)ihl, data, sizeof(data));
		n = ht_build_ipv4_opts(f, "198.18.0.2", "198.18.0.9", IPPROTO_ICMP, opts, olen,
				       echo, elen);
		ht_input(r, f, n);
		n = expect_echo_reply(r, out, sizeof(out), "198.18.0.9", (uint16_t)ihl);
		assert_int_equal(n, 14 + 20 + elen);
		assert_memory_equal(out + 34 + 8, data, sizeof(data));
	}
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 10);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* TTL 0 on arrival is dropped; TTL 1 is fine (we are the destination). */
static void
ipv4_ttl(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

	(void)state;
	IPH(f)->time_to_live = 0;
	ht_ipv4_fix_cksum(f);
	ht_input(r, f, n);
	assert_int_equal(r->w->stats.drop_ttl, 1);
	assert_int_equal(r->n_tx, 0);
	IPH(f)->time_to_live = 1;
	ht_ipv4_fix_cksum(f);
	ht_input(r, f, n);
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1);
	assert_int_equal(ht_drops(r), 1);
	ht_rig_free(r);
}

/* hare_ipv4_martian_source (RFC 1122 §3.2.1.3) on the edges of each
 * range it refuses (it tests network-order words without a swap). */
static void
ipv4_martian_source_edges(void **state)
{
	static const char *bad[] = {"0.0.0.0", "255.255.255.255", "224.0.0.0", "239.255.255.255"};
	static const char *good[] = {"0.0.0.1", "1.0.0.0", "255.255.255.254", "223.255.255.255",
				     "240.0.0.0", "198.18.0.2", "127.0.0.1", "254.255.255.255"};

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(bad); i++)
		assert_true(hare_ipv4_martian_source(ht_ip(bad[i])));
	for (unsigned i = 0; i < RTE_DIM(good); i++)
		assert_false(hare_ipv4_martian_source(ht_ip(good[i])));
}

/* TCP datagrams the inline fast path (hare_ipv4_input_at) must leave to
 * the general checks: TTL 0, and fragments, alone and together (TTL 0
 * with offset 1: the fast path's folded test takes one off the TTL byte,
 * which must not make such a fragment look whole). Each is dropped under
 * its counter and never reaches TCP (no RST either). */
static void
ipv4_tcp_fast_path_refusals(void **state)
{
	static const struct { uint8_t ttl; uint16_t frag; } cases[] = {
		{0, 0}, {0, RTE_IPV4_HDR_DF_FLAG}, {0, 1}, {0, RTE_IPV4_HDR_DF_FLAG | 1},
		{0, RTE_IPV4_HDR_MF_FLAG}, {64, RTE_IPV4_HDR_MF_FLAG}, {64, 1},
		{1, RTE_IPV4_HDR_DF_FLAG | 0x1fff}, {255, 0x100},
	};
	struct ht_rig *r = rig();
	uint8_t f[256], tcp[20] = {0x9c, 0x40, 0x1f, 0x90};
	uint64_t ttl = 0, frag = 0;

	(void)state;
	tcp[12] = 5 << 4; /* data offset 20 bytes */
	tcp[13] = 0x10;   /* ACK */
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		size_t n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_TCP, tcp, sizeof(tcp));

		IPH(f)->time_to_live = cases[i].ttl;
		IPH(f)->fragment_offset = rte_cpu_to_be_16(cases[i].frag);
		ht_ipv4_fix_cksum(f);
		ht_input(r, f, n);
		if (cases[i].ttl == 0)
			ttl++;
		else
			frag++;
		assert_int_equal(ht_drops(r), i + 1);
	}
	assert_int_equal(r->w->stats.drop_ttl, ttl);
	assert_int_equal(r->w->stats.drop_ip_fragment, frag);
	assert_int_equal(r->w->stats.tcp_rx_segments, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Destinations that are not one of ours, including broadcasts. */
static void
ipv4_not_our_address_dropped(void **state)
{
	static const char *dsts[] = {"198.18.0.3", "198.18.0.255", "255.255.255.255",
				     "198.19.0.1", "224.0.0.1"};
	struct ht_rig *r = rig();
	uint8_t f[256];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(dsts); i++)
		ht_input(r, f, ht_build_ping(f, "198.18.0.2", dsts[i], 1, 1, 8));
	assert_int_equal(r->w->stats.drop_not_for_us, RTE_DIM(dsts));
	assert_int_equal(ht_drops(r), RTE_DIM(dsts));
	assert_int_equal(r->w->stats.ip_rx_packets, 0);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Zero, broadcast and multicast sources are martians: no answer, no ARP. */
static void
ipv4_martian_source_dropped(void **state)
{
	static const char *srcs[] = {"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250"};
	struct ht_rig *r = rig();
	uint8_t f[256], udp[8] = {0, 1, 0, 2, 0, 8, 0, 0};

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(srcs); i++) {
		ht_input(r, f, ht_build_ping(f, srcs[i], "198.18.0.1", 1, 1, 8));
		ht_input(r, f, ht_build_ipv4(f, srcs[i], "198.18.0.1", IPPROTO_UDP, udp, 8));
	}
	assert_int_equal(r->w->stats.drop_martian, 2 * RTE_DIM(srcs));
	assert_int_equal(ht_drops(r), 2 * RTE_DIM(srcs));
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 0);
	assert_int_equal(r->w->arp.n_used, 1); /* only the peer learned at start */
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Fragments (MF set, or offset != 0) are dropped and counted, and draw no
 * ICMP error; DF alone is a whole datagram. */
static void
ipv4_fragments_dropped(void **state)
{
	static const uint16_t frag[] = {
		RTE_IPV4_HDR_MF_FLAG,              /* first fragment */
		185,                               /* last fragment, offset 1480 */
		RTE_IPV4_HDR_MF_FLAG | 1,          /* middle fragment */
		RTE_IPV4_HDR_DF_FLAG | 1,          /* nonsense, still an offset */
	};
	struct ht_rig *r = rig();
	uint8_t f[256], out[256], udp[16] = {0, 1, 0, 2, 0, 16, 0, 0};

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(frag); i++) {
		size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8);

		IPH(f)->fragment_offset = rte_cpu_to_be_16(frag[i]);
		ht_ipv4_fix_cksum(f);
		ht_input(r, f, n);
		n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, sizeof(udp));
		IPH(f)->fragment_offset = rte_cpu_to_be_16(frag[i]);
		ht_ipv4_fix_cksum(f);
		ht_input(r, f, n);
	}
	assert_int_equal(r->w->stats.drop_ip_fragment, 2 * RTE_DIM(frag));
	assert_int_equal(ht_drops(r), 2 * RTE_DIM(frag));
	assert_int_equal(r->w->stats.udp_rx_datagrams, 0);
	assert_int_equal(r->n_tx, 0);
	/* no flags at all: a whole datagram */
	size_t n = ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 9, 8);
	IPH(f)->fragment_offset = 0;
	ht_ipv4_fix_cksum(f);
	ht_input(r, f, n);
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 9);
	ht_rig_free(r);
}

/* Check an ICMP destination unreachable in out (n bytes) about the frame
 * orig, whose IP header is ihl bytes long. */
static void
check_unreachable(const uint8_t *out, size_t n, uint8_t code, const uint8_t *orig, size_t ihl,
		  size_t quoted_data, const char *from)
{
	ht_assert_ipv4_out(out, n, IPPROTO_ICMP, ht_ip(from), ht_ip("198.18.0.2"));
	assert_int_equal(n, 14 + 20 + 8 + ihl + quoted_data);
	assert_int_equal(out[34], 3);
	assert_int_equal(out[35], code);
	assert_memory_equal(out + 34 + 4, "\0\0\0\0", 4); /* unused word */
	assert_int_equal(ht_cksum(out + 34, n - 34), 0);
	assert_memory_equal(out + 42, orig + 14, ihl + quoted_data);
}

/* An unknown protocol draws protocol unreachable (RFC 1122 §3.2.2.1). */
static void
ipv4_unknown_protocol_unreachable(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256], data[32];
	size_t n;

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i + 1);
	n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.9", 47 /* GRE */, data, sizeof(data));
	ht_input(r, f, n);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	check_unreachable(out, n, 2, f, 20, 8, "198.18.0.9");
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 1);
	assert_int_equal(r->w->stats.ip_rx_unknown_proto, 1);
	assert_null(ht_pop_tx(r));
	ht_rig_free(r);
}

/* UDP (no service) draws port unreachable quoting the IP header, options
 * included, and the first 8 bytes; fewer when the datagram is shorter. */
static void
ipv4_udp_port_unreachable(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256], udp[20] = {0x30, 0x39, 0x00, 0x35, 0, 20, 0xab, 0xcd,
					     'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'};
	uint8_t opts[8] = {1, 1, 1, 1, 1, 1, 1, 0};
	size_t n;

	(void)state;
	n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.9", IPPROTO_UDP, udp, sizeof(udp));
	ht_input(r, f, n);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	check_unreachable(out, n, 3, f, 20, 8, "198.18.0.9");

	n = ht_build_ipv4_opts(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, opts, 8, udp,
			       sizeof(udp));
	ht_input(r, f, n);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	check_unreachable(out, n, 3, f, 28, 8, "198.18.0.1");

	n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, 5);
	ht_input(r, f, n);
	n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	check_unreachable(out, n, 3, f, 20, 5, "198.18.0.1");

	assert_int_equal(r->w->stats.udp_rx_datagrams, 3);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 3);
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* At most icmp_rate_per_s errors per second; the rest counted. */
static void
ipv4_icmp_error_rate_limited(void **state)
{
	struct ht_rig *r = ht_rig_new("198.18.0.1/24", NULL);
	uint8_t f[256], a[128], udp[8] = {0, 1, 0, 2, 0, 8, 0, 0};
	size_t n;

	(void)state;
	r->cfg.icmp_rate_per_s = 5;
	ht_rig_start(r);
	ht_input(r, a, ht_build_arp(a, RTE_ARP_OP_REQUEST, &ht_peer_mac, "198.18.0.2", &zero_mac,
				    "198.18.0.1"));
	ht_drain_tx(r);
	n = ht_build_ipv4(f, "198.18.0.2", "198.18.0.1", IPPROTO_UDP, udp, 8);
	for (unsigned i = 0; i < 8; i++)
		ht_input(r, f, n);
	assert_int_equal(ht_drain_tx(r), 5);
	assert_int_equal(r->w->stats.drop_rate_limited, 3);
	ht_advance(r, 999);
	ht_input(r, f, n);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->stats.drop_rate_limited, 4);
	ht_advance(r, 1);
	for (unsigned i = 0; i < 6; i++)
		ht_input(r, f, n);
	assert_int_equal(ht_drain_tx(r), 5);
	assert_int_equal(r->w->stats.drop_rate_limited, 5);
	assert_int_equal(r->w->stats.icmp_tx_unreachable, 10);
	assert_int_equal(r->w->stats.udp_rx_datagrams, 15);
	/* echo replies are not errors: never rate limited */
	for (unsigned i = 0; i < 8; i++)
		ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, (uint16_t)i, 8));
	assert_int_equal(ht_drain_tx(r), 8);
	ht_rig_free(r);
}

/* Off-link destination and no gateway: counted as no route. */
static void
ipv4_no_route(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256];
	struct rte_mbuf *m;

	(void)state;
	assert_int_equal(hare_ipv4_next_hop(r->w, ht_ip("198.19.1.1")), 0);
	assert_int_equal(hare_ipv4_next_hop(r->w, ht_ip("198.18.0.77")), ht_ip("198.18.0.77"));
	ht_input(r, f, ht_build_ping(f, "198.19.1.1", "198.18.0.1", 1, 1, 8));
	assert_int_equal(r->w->stats.icmp_rx_echo, 1);
	assert_int_equal(r->w->stats.icmp_tx_echo_reply, 0);
	assert_int_equal(r->w->stats.drop_no_route, 1);
	m = rte_pktmbuf_alloc(r->pool);
	assert_non_null(m);
	rte_pktmbuf_append(m, 8);
	assert_int_equal(hare_ipv4_output(r->w, m, ht_ip("198.18.0.1"), ht_ip("203.0.113.1"), 253),
			 -EHOSTUNREACH);
	assert_int_equal(r->w->stats.drop_no_route, 2);
	assert_int_equal(ht_drops(r), 2);
	assert_int_equal(r->n_tx, 0);
	assert_int_equal(r->w->arp.n_used, 1);
	ht_rig_free(r);
}

/* With a gateway, off-link replies go to the gateway's MAC, on-link ones
 * still go direct. */
static void
ipv4_gateway_for_off_link(void **state)
{
	struct ht_rig *r = rig_cfg(ht_ip("198.18.0.254"), 0);
	uint8_t f[256], out[256];
	size_t n;

	(void)state;
	assert_int_equal(hare_ipv4_next_hop(r->w, ht_ip("198.19.1.1")), ht_ip("198.18.0.254"));
	assert_int_equal(hare_ipv4_next_hop(r->w, ht_ip("198.18.0.2")), ht_ip("198.18.0.2"));
	ht_input(r, f, ht_build_arp(f, RTE_ARP_OP_REQUEST, &gw_mac, "198.18.0.254", &zero_mac,
				    "198.18.0.1"));
	ht_drain_tx(r);
	ht_input(r, f, ht_build_ping(f, "198.19.1.1", "198.18.0.9", 1, 1, 8));
	n = ht_pop_frame(r, out, sizeof(out), &gw_mac, RTE_ETHER_TYPE_IPV4);
	ht_assert_ipv4_out(out, n, IPPROTO_ICMP, ht_ip("198.18.0.9"), ht_ip("198.19.1.1"));
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.9", 1, 2, 8));
	ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	assert_null(hare_arp_lookup(r->w, ht_ip("198.19.1.1")));
	assert_int_equal(ht_drops(r), 0);
	ht_rig_free(r);
}

/* Output larger than the MTU is counted and not sent; exactly the MTU is. */
static void
ipv4_output_mtu(void **state)
{
	struct ht_rig *r = rig_cfg(0, 576);
	uint8_t f[1024], out[1024];
	struct rte_mbuf *m;
	size_t n;

	(void)state;
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 576 - 28));
	n = expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1);
	assert_int_equal(n, 14 + 576);
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 2, 576 - 27));
	assert_int_equal(r->w->stats.drop_mtu, 1);
	assert_int_equal(r->n_tx, 0);
	m = rte_pktmbuf_alloc(r->pool);
	assert_non_null(m);
	rte_pktmbuf_append(m, 576 - 19);
	assert_int_equal(hare_ipv4_output(r->w, m, ht_ip("198.18.0.1"), ht_ip("198.18.0.2"), 253),
			 -EMSGSIZE);
	assert_int_equal(r->w->stats.drop_mtu, 2);
	assert_int_equal(ht_drops(r), 2);
	assert_int_equal(r->n_tx, 0);
	ht_rig_free(r);
}

/* Output header fields: IDs advance; with TX IPv4 checksum offload the
 * header checksum is left to the NIC and the mbuf says so. */
static void
ipv4_output_header_and_tx_offload(void **state)
{
	struct ht_rig *r = rig();
	uint8_t f[256], out[256];
	struct rte_mbuf *m;
	uint16_t id1, id2;

	(void)state;
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 1, 8));
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 1);
	id1 = rte_be_to_cpu_16(IPH(out)->packet_id);
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 2, 8));
	expect_echo_reply(r, out, sizeof(out), "198.18.0.1", 2);
	id2 = rte_be_to_cpu_16(IPH(out)->packet_id);
	assert_int_equal((uint16_t)(id1 + 1), id2);

	r->w->offloads |= HARE_OFFLOAD_IPV4_CKSUM;
	ht_input(r, f, ht_build_ping(f, "198.18.0.2", "198.18.0.1", 1, 3, 8));
	m = ht_pop_tx(r);
	assert_non_null(m);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_int_equal(m->l2_len, 14);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14)->hdr_checksum, 0);
	rte_pktmbuf_free(m);
	ht_rig_free(r);
}

/* RFC 793 checksum of a TCP segment in frame (after Ethernet + 20-byte
 * IP header), checked with the independent ht_cksum. */
static uint16_t
tcp_cksum_residue(const uint8_t *frame, size_t n)
{
	static uint8_t buf[4096];
	const struct rte_ipv4_hdr *ip = IPH(frame);
	size_t seg = n - 34;

	memcpy(buf, &ip->src_addr, 4);
	memcpy(buf + 4, &ip->dst_addr, 4);
	buf[8] = 0;
	buf[9] = IPPROTO_TCP;
	buf[10] = (uint8_t)(seg >> 8);
	buf[11] = (uint8_t)seg;
	memcpy(buf + 12, frame + 34, seg);
	return ht_cksum(buf, 12 + seg);
}

static struct rte_mbuf *
tcp_segment_chain(struct ht_rig *r, size_t first, size_t total)
{
	uint8_t seg[2048];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)seg;
	const size_t cuts[] = {first};

	memset(seg, 0, sizeof(seg));
	th->src_port = rte_cpu_to_be_16(80);
	th->dst_port = rte_cpu_to_be_16(40000);
	th->sent_seq = rte_cpu_to_be_32(0x01020304);
	th->recv_ack = rte_cpu_to_be_32(0xa0b0c0d0);
	th->data_off = 5 << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (size_t i = 20; i < total; i++)
		seg[i] = (uint8_t)(0xf0 + i * 13);
	return ht_mbuf_chain(r, seg, total, cuts, 1);
}

/* TCP checksum filled by hare_ipv4_output over a chained segment, with
 * segment boundaries at even and odd offsets. */
static void
ipv4_output_tcp_checksum_chained(void **state)
{
	static const size_t firsts[] = {20, 21, 33, 1001};
	struct ht_rig *r = rig();
	uint8_t out[2048];

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(firsts); i++) {
		struct rte_mbuf *m = tcp_segment_chain(r, firsts[i], 1400);
		size_t n;

		assert_int_equal(hare_ipv4_output(r->w, m, ht_ip("198.18.0.1"),
						  ht_ip("198.18.0.2"), IPPROTO_TCP), 0);
		hare_worker_tx_flush(r->w);
		n = ht_pop_frame(r, out, sizeof(out), &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
		ht_assert_ipv4_out(out, n, IPPROTO_TCP, ht_ip("198.18.0.1"), ht_ip("198.18.0.2"));
		assert_int_equal(n, 14 + 20 + 1400);
		assert_int_equal(tcp_cksum_residue(out, n), 0);
	}
	ht_rig_free(r);
}

/* With TCP checksum offload the field holds the pseudo-header sum. */
static void
ipv4_output_tcp_checksum_offload(void **state)
{
	struct ht_rig *r = rig();
	struct rte_mbuf *m = tcp_segment_chain(r, 60, 100);
	uint8_t out[256], ph[12];
	uint16_t field;
	size_t n;

	(void)state;
	r->w->offloads |= HARE_OFFLOAD_TCP_CKSUM;
	assert_int_equal(hare_ipv4_output(r->w, m, ht_ip("198.18.0.1"), ht_ip("198.18.0.2"),
					  IPPROTO_TCP), 0);
	hare_worker_tx_flush(r->w);
	m = ht_pop_tx(r);
	assert_non_null(m);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	/* the field as hare left it in the mbuf (ht_frame_bytes then
	 * completes it, as the NIC would: the frame it returns verifies) */
	field = *rte_pktmbuf_mtod_offset(m, const uint16_t *, 34 + 16);
	n = ht_frame_bytes(m, out, sizeof(out));
	rte_pktmbuf_free(m);
	memcpy(ph, &IPH(out)->src_addr, 4);
	memcpy(ph + 4, &IPH(out)->dst_addr, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP;
	ph[10] = 0;
	ph[11] = (uint8_t)(n - 34);
	assert_int_equal(field, (uint16_t)~ht_cksum(ph, 12));
	assert_int_equal(tcp_cksum_residue(out, n), 0);
	ht_rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_good_packet_answered),
		cmocka_unit_test(ipv4_truncated_header_dropped),
		cmocka_unit_test(ipv4_bad_version_or_ihl_dropped),
		cmocka_unit_test(ipv4_ihl_beyond_frame_dropped),
		cmocka_unit_test(ipv4_lying_total_length_dropped),
		cmocka_unit_test(ipv4_ethernet_padding_trimmed),
		cmocka_unit_test(ipv4_padding_across_segments_trimmed),
		cmocka_unit_test(ipv4_short_total_length_in_chain),
		cmocka_unit_test(ipv4_bad_header_checksum_dropped),
		cmocka_unit_test(ipv4_rx_checksum_offload_flags),
		cmocka_unit_test(ipv4_options_accepted_for_every_ihl),
		cmocka_unit_test(ipv4_ttl),
		cmocka_unit_test(ipv4_tcp_fast_path_refusals),
		cmocka_unit_test(ipv4_martian_source_edges),
		cmocka_unit_test(ipv4_not_our_address_dropped),
		cmocka_unit_test(ipv4_martian_source_dropped),
		cmocka_unit_test(ipv4_fragments_dropped),
		cmocka_unit_test(ipv4_unknown_protocol_unreachable),
		cmocka_unit_test(ipv4_udp_port_unreachable),
		cmocka_unit_test(ipv4_icmp_error_rate_limited),
		cmocka_unit_test(ipv4_no_route),
		cmocka_unit_test(ipv4_gateway_for_off_link),
		cmocka_unit_test(ipv4_output_mtu),
		cmocka_unit_test(ipv4_output_header_and_tx_offload),
		cmocka_unit_test(ipv4_output_tcp_checksum_chained),
		cmocka_unit_test(ipv4_output_tcp_checksum_offload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
