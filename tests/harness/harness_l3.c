/* harness_l3.c — see harness_l3.h. */
#include <stdlib.h>
#include <string.h>
#include <rte_ip.h>
#include "harness_l3.h"

uint16_t
ht_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/* big-endian value; store it in network order */
	return rte_cpu_to_be_16((uint16_t)~sum);
}

size_t
ht_build_ipv4_opts(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		   const void *opts, size_t opt_len, const void *payload, size_t payload_len)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + RTE_ETHER_HDR_LEN);

	assert_true(opt_len % 4 == 0 && opt_len <= 40);
	ht_build_ipv4(buf, src, dst, proto, NULL, 0);
	ip->version_ihl = (uint8_t)(0x40 | ((sizeof(*ip) + opt_len) / 4));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + opt_len + payload_len));
	if (opt_len)
		memcpy(ip + 1, opts, opt_len);
	if (payload_len)
		memcpy((uint8_t *)(ip + 1) + opt_len, payload, payload_len);
	ht_ipv4_fix_cksum(buf);
	return RTE_ETHER_HDR_LEN + sizeof(*ip) + opt_len + payload_len;
}

void
ht_ipv4_fix_cksum(uint8_t *frame)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = ht_cksum(ip, (size_t)(ip->version_ihl & 0x0f) * 4);
}

size_t
ht_build_echo(uint8_t *out, uint8_t type, uint16_t id, uint16_t seq,
	      const void *data, size_t len)
{
	out[0] = type;
	out[1] = 0;
	out[2] = out[3] = 0;
	*(uint16_t *)(out + 4) = rte_cpu_to_be_16(id);
	*(uint16_t *)(out + 6) = rte_cpu_to_be_16(seq);
	if (len)
		memcpy(out + 8, data, len);
	*(uint16_t *)(out + 2) = ht_cksum(out, 8 + len);
	return 8 + len;
}

size_t
ht_build_ping(uint8_t *buf, const char *src, const char *dst,
	      uint16_t id, uint16_t seq, size_t data_len)
{
	uint8_t *msg = malloc(8 + data_len + 1), *data = malloc(data_len + 1);
	size_t n;

	assert_non_null(msg);
	assert_non_null(data);
	for (size_t i = 0; i < data_len; i++)
		data[i] = ht_ping_byte(i, seq);
	n = ht_build_echo(msg, 8 /* echo request */, id, seq, data, data_len);
	n = ht_build_ipv4(buf, src, dst, IPPROTO_ICMP, msg, n);
	free(msg);
	free(data);
	return n;
}

struct rte_mbuf *
ht_mbuf_chain(struct ht_rig *r, const void *frame, size_t len, const size_t *cuts, unsigned n)
{
	struct rte_mbuf *head = NULL;
	size_t from = 0;

	for (unsigned i = 0; i <= n; i++) {
		size_t to = i < n ? cuts[i] : len;
		struct rte_mbuf *seg = rte_pktmbuf_alloc(r->pool);
		void *p;

		assert_non_null(seg);
		assert_true(to > from && to <= len);
		p = rte_pktmbuf_append(seg, (uint16_t)(to - from));
		assert_non_null(p);
		memcpy(p, (const uint8_t *)frame + from, to - from);
		if (head == NULL)
			head = seg;
		else
			assert_int_equal(rte_pktmbuf_chain(head, seg), 0);
		from = to;
	}
	assert_int_equal(rte_pktmbuf_pkt_len(head), len);
	return head;
}

unsigned
ht_take_all_mbufs(struct ht_rig *r, struct rte_mbuf ***out)
{
	struct rte_mbuf **ms = calloc(r->pool_size + 1, sizeof(*ms));
	unsigned n = 0;

	assert_non_null(ms);
	if (r->w)
		hare_stash_drain(&r->w->stash, r->pool); /* its mbufs too */
	while (n <= r->pool_size && (ms[n] = rte_pktmbuf_alloc(r->pool)) != NULL)
		n++;
	assert_null(rte_pktmbuf_alloc(r->pool));
	*out = ms;
	return n;
}

void
ht_give_back(struct rte_mbuf **ms, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(ms[i]);
	free(ms);
}

size_t
ht_pop_frame(struct ht_rig *r, uint8_t *out, size_t cap,
	     const struct rte_ether_addr *eth_dst, uint16_t ether_type)
{
	struct rte_mbuf *m = ht_pop_tx(r);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)out;
	size_t n;

	assert_non_null(m);
	n = ht_frame_bytes(m, out, cap);
	rte_pktmbuf_free(m);
	assert_true(n >= RTE_ETHER_HDR_LEN);
	assert_memory_equal(&eh->src_addr, &ht_our_mac, RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&eh->dst_addr, eth_dst, RTE_ETHER_ADDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(eh->ether_type), ether_type);
	return n;
}

void
ht_assert_ipv4_out(const uint8_t *frame, size_t len, uint8_t proto, uint32_t src, uint32_t dst)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(frame + RTE_ETHER_HDR_LEN);

	assert_true(len >= RTE_ETHER_HDR_LEN + sizeof(*ip));
	assert_int_equal(ip->version_ihl, 0x45);
	assert_int_equal(rte_be_to_cpu_16(ip->total_length), len - RTE_ETHER_HDR_LEN);
	assert_int_equal(rte_be_to_cpu_16(ip->fragment_offset), RTE_IPV4_HDR_DF_FLAG);
	assert_int_equal(ip->time_to_live, 64);
	assert_int_equal(ip->next_proto_id, proto);
	assert_int_equal(ip->src_addr, src);
	assert_int_equal(ip->dst_addr, dst);
	assert_int_equal(ht_cksum(ip, sizeof(*ip)), 0);
}

uint64_t
ht_drops(const struct ht_rig *r)
{
	return hare_stats_drops(&r->w->stats);
}
