/* harness.c — see harness.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include "harness.h"
#include "harness_l3.h"

const struct rte_ether_addr ht_our_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const struct rte_ether_addr ht_peer_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

void
ht_eal_init(void)
{
	static int done;
	char prefix[64];

	if (done)
		return;
	snprintf(prefix, sizeof(prefix), "--file-prefix=hare-test-%d", (int)getpid());
	char *argv[] = {"hare-test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			prefix, "-l", "0", "--log-level=*:error", "--no-telemetry", NULL};
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "harness: rte_eal_init failed (run as root?)\n");
		exit(1);
	}
	done = 1;
}

static uint16_t
capture_tx(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	struct ht_rig *r = ctx;
	uint16_t i;

	if (r->tx_refuse)
		return 0;
	for (i = 0; i < n && r->n_tx < HT_MAX_TX; i++)
		r->tx[r->n_tx++] = pkts[i];
	return i;
}

struct ht_rig *
ht_rig_new(const char *ip, ...)
{
	static unsigned pool_seq;
	struct ht_rig *r = calloc(1, sizeof(*r));
	char name[32];
	va_list ap;

	ht_eal_init();
	hare_config_init(&r->cfg);
	va_start(ap, ip);
	for (const char *s = ip; s != NULL; s = va_arg(ap, const char *))
		assert_int_equal(hare_config_add_ip(&r->cfg, s), 0);
	va_end(ap);
	r->pool_size = 4095;
	snprintf(name, sizeof(name), "ht_pool_%u", pool_seq++);
	r->pool = rte_pktmbuf_pool_create(name, r->pool_size, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	assert_non_null(r->pool);
	return r;
}

void
ht_rig_start(struct ht_rig *r)
{
	r->w = rte_zmalloc("ht_worker", sizeof(*r->w), RTE_CACHE_LINE_SIZE);
	assert_non_null(r->w);
	assert_int_equal(hare_worker_init(r->w, &r->cfg, r->pool, 0, 0, &ht_our_mac, 0,
					  capture_tx, r), 0);
	r->w->now_ms = 1000;
}

void
ht_rig_free(struct ht_rig *r)
{
	ht_drain_tx(r);
	if (r->w) {
		hare_worker_fini(r->w);
		ht_drain_tx(r);
		rte_free(r->w);
		r->w = NULL; /* fini drained the stash: count the pool alone */
	}
	assert_int_equal(ht_mbufs_in_use(r), 0);
	rte_mempool_free(r->pool);
	free(r);
}

unsigned
ht_mbufs_in_use(const struct ht_rig *r)
{
	/* the worker's stash holds free mbufs (lib/mbuf_stash.h) */
	return rte_mempool_in_use_count(r->pool) - (r->w ? hare_mbuf_stash_count(r->w) : 0);
}

void
ht_input_mbuf(struct ht_rig *r, struct rte_mbuf *m)
{
	hare_worker_input(r->w, &m, 1);
	hare_worker_tx_flush(r->w);
}

void
ht_input(struct ht_rig *r, const void *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
	void *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memcpy(p, frame, len);
	ht_input_mbuf(r, m);
}

void
ht_advance(struct ht_rig *r, uint64_t ms)
{
	r->w->now_ms += ms;
	hare_worker_timers(r->w);
	hare_worker_tx_flush(r->w);
}

struct rte_mbuf *
ht_pop_tx(struct ht_rig *r)
{
	struct rte_mbuf *m;

	if (r->n_tx == 0)
		return NULL;
	m = r->tx[0];
	memmove(&r->tx[0], &r->tx[1], (r->n_tx - 1) * sizeof(r->tx[0]));
	r->n_tx--;
	return m;
}

unsigned
ht_drain_tx(struct ht_rig *r)
{
	unsigned n = r->n_tx;

	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(r->tx[i]);
	r->n_tx = 0;
	return n;
}

uint32_t
ht_ip(const char *dotted)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, dotted, &a), 1);
	return a.s_addr;
}

size_t
ht_build_eth(uint8_t *buf, const struct rte_ether_addr *dst,
	     const struct rte_ether_addr *src, uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)buf;

	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(type);
	return sizeof(*eh);
}

size_t
ht_build_ipv4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
	      const void *payload, size_t payload_len)
{
	size_t off = ht_build_eth(buf, &ht_our_mac, &ht_peer_mac, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + off);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + payload_len));
	ip->packet_id = rte_cpu_to_be_16(1);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = ht_ip(src);
	ip->dst_addr = ht_ip(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (payload_len)
		memcpy(ip + 1, payload, payload_len);
	return off + sizeof(*ip) + payload_len;
}

size_t
ht_build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha,
	     const char *sip, const struct rte_ether_addr *tha, const char *tip)
{
	struct rte_ether_addr bcast;
	size_t off;
	struct rte_arp_hdr *a;

	memset(&bcast, 0xff, sizeof(bcast));
	off = ht_build_eth(buf, op == RTE_ARP_OP_REQUEST ? &bcast : &ht_our_mac, sha,
			   RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(buf + off);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = *sha;
	a->arp_data.arp_sip = ht_ip(sip);
	a->arp_data.arp_tha = *tha;
	a->arp_data.arp_tip = ht_ip(tip);
	return off + sizeof(*a);
}

size_t
ht_frame_bytes(const struct rte_mbuf *m, uint8_t *out, size_t cap)
{
	size_t len = rte_pktmbuf_pkt_len(m);
	const void *p;

	assert_true(len <= cap);
	p = rte_pktmbuf_read(m, 0, (uint32_t)len, out);
	if (p != out)
		memcpy(out, p, len);
	/* the fake NIC's TX checksum offload: complete what hare left to the
	 * NIC (the TCP field holds the pseudo-header sum) as hardware does */
	if ((m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM)) &&
	    len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(out + RTE_ETHER_HDR_LEN);
		size_t ihl = (size_t)(ip->version_ihl & 0x0f) * 4;
		size_t tot = rte_be_to_cpu_16(ip->total_length);

		if (m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = ht_cksum(ip, ihl);
		}
		if ((m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) && tot > ihl + 17 &&
		    RTE_ETHER_HDR_LEN + tot <= len) {
			struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl);

			th->cksum = ht_cksum(th, tot - ihl);
		}
	}
	return len;
}
