/* ipv4.h — IPv4 (RFC 791, RFC 1122 host requirements).
 * Input: hare_eth_input() -> hare_ipv4_input_at() (inline fast path) ->
 *        hare_tcp_input_lean(); else hare_ipv4_input_general() ->
 *        hare_icmp_input() | hare_tcp_input() | UDP (port unreachable).
 * Output: hare_icmp_*() / tcp_out -> hare_ipv4_output() -> hare_arp_output().
 */
#ifndef HARE_IPV4_H
#define HARE_IPV4_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "hare_worker.h"
#include "cksum.h"
#include "tcp.h"

#define HARE_IPV4_DEFAULT_TTL 64

/* Validate and dispatch one frame whose data points at the Ethernet header.
 * On dispatch to an upper layer the mbuf data points at the L4 header and
 * m->l2_len/l3_len describe the headers in front of it. Always consumes m. */
void hare_ipv4_input(struct hare_worker *w, struct rte_mbuf *m);

/* hare_ipv4_input's every check with its own counter (the fast path's
 * fallback). */
void hare_ipv4_input_general(struct hare_worker *w, struct rte_mbuf *m);

/* A source no datagram may come from (RFC 1122 §3.2.1.3): 0, broadcast,
 * multicast (224/4). */
static inline bool
hare_ipv4_martian_source(uint32_t src_be)
{
	/* in network order as stored (no byte swap): 0 and all-ones are
	 * the two values that give 1 or 0 when 1 is added; 224/4 is the
	 * first octet's top nibble */
	return (uint32_t)(src_be + 1) <= 1 ||
	       (src_be & RTE_BE32(0xf0000000)) == RTE_BE32(0xe0000000); /* 224/4 */
}

/* hare_ipv4_input for a frame whose first segment holds the Ethernet and
 * a 20-byte IPv4 header, ip (inline: Ethernet input calls it directly).
 * The usual packet in one pass (l3fwd's shape): a TCP segment with a
 * 20-byte header, to our first address, whole (no fragment), TTL left, a
 * sane source, no Ethernet padding, the header checksum good: the same
 * tests as hare_ipv4_input_general, folded; TCP input is a tail call, m
 * still at the Ethernet header (hare_tcp_input_lean). Anything else takes
 * the general path, which counts each drop under its reason. */
static __rte_always_inline void
hare_ipv4_input_at(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	const uint32_t total = rte_be_to_cpu_16(ip->total_length);
	uint32_t fttp;
	uint64_t cksum_flag;

	/* the fragment field, TTL and protocol as one little-endian word
	 * (bytes: flags/offset high, offset low, TTL, protocol): take one
	 * off the TTL byte (a TTL of 0 borrows from the protocol byte), then
	 * no MF, offset 0 and protocol TCP are one masked compare */
	memcpy(&fttp, &ip->fragment_offset, 4);
	fttp = rte_le_to_cpu_32(fttp) - (1u << 16);
	if (likely(ip->version_ihl == 0x45 && (fttp & 0xff00ff3fu) == (uint32_t)IPPROTO_TCP << 24 &&
		   /* total >= 20 follows: pkt_len >= data_len >= 34 */
		   total == rte_pktmbuf_pkt_len(m) - sizeof(struct rte_ether_hdr) &&
		   w->cfg->n_ips > 0 && w->cfg->ips[0].addr == ip->dst_addr &&
		   !hare_ipv4_martian_source(ip->src_addr))) {
		/* Trust the NIC only when it says GOOD or BAD (as the
		 * general path); else the sum over the header, its checksum
		 * field included, must be 0xffff */
		cksum_flag = (w->offloads & HARE_OFFLOAD_RX_CKSUM) ?
			(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) : 0;
		if (likely(cksum_flag == RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
			   (cksum_flag != RTE_MBUF_F_RX_IP_CKSUM_BAD &&
			    hare_ipv4_hdr_cksum20_ok(ip)))) {
			w->stats.ip_rx_packets++;
			hare_tcp_input_lean(w, m, ip);
			return;
		}
	}
	hare_ipv4_input_general(w, m);
}

/* Send m, whose data points at an L4 header, from src to dst (network
 * order). Prepends the IPv4 header (DF set, TTL 64), fills the TCP
 * checksum when proto is TCP (hardware offload or software over the whole
 * chain; the caller leaves the TCP checksum field 0), chooses the next hop
 * (on-link or the gateway) and hands over to ARP. Always consumes m.
 * Returns 0, or -EHOSTUNREACH / -EMSGSIZE / -ENOBUFS (already counted). */
int hare_ipv4_output(struct hare_worker *w, struct rte_mbuf *m, uint32_t src,
		     uint32_t dst, uint8_t proto);

/* Ones'-complement sum (not complemented, network order as stored) of len
 * bytes of chain m from offset off. Use it instead of DPDK 22.11's
 * rte_raw_cksum_mbuf / rte_ipv4_udptcp_cksum_mbuf, which lose carries when
 * a segment starts at an odd offset of the summed range. */
uint16_t hare_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len);

/* Next hop for dst: dst itself if on one of our prefixes, else the gateway,
 * else 0 (no route). */
uint32_t hare_ipv4_next_hop(const struct hare_worker *w, uint32_t dst);

/* ---- inline pieces of the output path, shared with tcp_out.c's ACK
 * builder so both write the same bytes ---- */

/* On-link (one of our prefixes) or the gateway (0: no route). */
static inline uint32_t
hare_ipv4_route(const struct hare_config *cfg, uint32_t dst)
{
	for (unsigned i = 0; i < cfg->n_ips; i++)
		if (((dst ^ cfg->ips[i].addr) & cfg->ips[i].netmask) == 0)
			return dst;
	return cfg->gateway;
}

/* The next hop's ARP entry when it is RESOLVED and fresh, else NULL (then
 * hare_arp_output() decides: refresh request, hold, resolve). The hint
 * (the entry used last) skips the hash probe for the usual single next
 * hop; entries are never deleted, only taken over, so checking the IP is
 * enough to validate it. */
static inline const struct hare_arp_entry *
hare_ipv4_arp_fresh(struct hare_worker *w, uint32_t nh)
{
	struct hare_arp_entry *e = &w->arp.entries[w->arp.hint];

	if (unlikely(e->ip != nh || e->state != HARE_ARP_RESOLVED)) {
		e = hare_arp_lookup(w, nh);
		if (e == NULL)
			return NULL;
		w->arp.hint = (uint32_t)(e - w->arp.entries);
	}
	if (unlikely(e->state != HARE_ARP_RESOLVED || w->now_ms >= e->expire_ms))
		return NULL;
	return e;
}

/* Fill the IPv4 header ip (IHL 5, DF, TTL 64) of a datagram of len bytes
 * in all, and its checksum or the offload request in m. */
static inline void
hare_ipv4_fill(struct hare_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	       uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	const uint16_t tl = rte_cpu_to_be_16((uint16_t)len), id = rte_cpu_to_be_16(w->ip_id++);
	/* version/IHL and TOS, DF, TTL and protocol as the little-endian
	 * CPU reads those header words (the checksum sums them that way) */
	const uint16_t vt = RTE_IPV4_VHL_DEF, df = RTE_BE16(RTE_IPV4_HDR_DF_FLAG),
		       tp = (uint16_t)(HARE_IPV4_DEFAULT_TTL | (uint16_t)proto << 8);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = tl;
	ip->packet_id = id;
	ip->fragment_offset = df;
	ip->time_to_live = HARE_IPV4_DEFAULT_TTL;
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->src_addr = src;
	ip->dst_addr = dst;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(*ip);
	if (w->offloads & HARE_OFFLOAD_IPV4_CKSUM) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		/* RFC 791 §3.1 / RFC 1071: summed from the values just written
		 * rather than read back (the test harness checks it) */
		uint64_t sum = (uint64_t)vt + tl + id + df + tp + src + dst;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->hdr_checksum = (uint16_t)~sum;
	}
}

/* The TCP checksum field of segment th (l4_len bytes, checksum field 0),
 * or the pseudo-header sum the NIC completes (TX offload). raw = the
 * folded sum of the segment's bytes (ignored with the offload). */
static inline void
hare_ipv4_tcp_cksum(struct hare_worker *w, struct rte_mbuf *m, struct rte_tcp_hdr *th,
		    uint32_t src, uint32_t dst, uint32_t l4_len, uint16_t raw)
{
	uint32_t sum = hare_phdr_sum(src, dst, IPPROTO_TCP, (uint16_t)l4_len);

	if (w->offloads & HARE_OFFLOAD_TCP_CKSUM) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		th->cksum = (uint16_t)sum;
	} else {
		sum += raw;
		sum = (sum & 0xffff) + (sum >> 16);
		th->cksum = (uint16_t)~sum;
	}
}

#endif
