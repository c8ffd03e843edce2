/* ipv4.c — IPv4 input validation and output framing.
 *
 * Input checks (RFC 791 §3.1, RFC 1122 §3.2.1): version 4; IHL >= 5 and the
 * header fits in the first segment; total length >= IHL*4 and not beyond
 * the frame (Ethernet padding after it is trimmed); header checksum (unless
 * the NIC vouched for it); TTL > 0; destination one of our addresses;
 * source not broadcast/multicast/zero. Options are skipped, never parsed.
 *
 * Fragments: dropped and counted (drop_ip_fragment). hare's TCP never
 * needs them — it clamps MSS to the MTU and sends with DF set, as dperf and
 * mTCP do — and reassembly would hold mbufs for an attacker. ICMP echo
 * beyond the MTU is therefore not answered; `ping -s` up to MTU-28 is.
 */
#include <errno.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_ether.h>
#include <rte_tcp.h>
#include "hare_worker.h"
#include "ipv4.h"
#include "eth.h"
#include "cksum.h"
#include "icmp.h"
#include "arp.h"
#include "tcp.h"

uint16_t
hare_raw_cksum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	const struct rte_mbuf *seg = m;
	uint32_t done = 0, sum = 0;

	/* The common case: the range lies in the first segment. */
	if (likely(off + len <= m->data_len))
		return hare_raw_cksum(rte_pktmbuf_mtod_offset(m, const void *, off), len);
	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	for (; seg != NULL && done < len; seg = seg->next, off = 0) {
		uint32_t n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		uint16_t s = hare_raw_cksum(rte_pktmbuf_mtod_offset(seg, const void *, off), n);

		/* A piece starting at an odd position of the range has its bytes
		 * in the other lanes of the 16-bit words (RFC 1071 §2(B)). The
		 * swap is done on the folded 16-bit sum, so no carry is lost. */
		sum += (done & 1) ? rte_bswap16(s) : s;
		done += n;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Cut m to len bytes. rte_pktmbuf_trim only cuts inside the last segment;
 * padding (or a lying frame tail) may span segments. */
static void
ipv4_trim_to(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	uint16_t nb = 1;

	while (left > seg->data_len) {
		left -= seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)left;
	if (seg->next != NULL) {
		rte_pktmbuf_free(seg->next);
		seg->next = NULL;
	}
	m->nb_segs = nb;
	m->pkt_len = len;
}

/* Every check with its own counter: what the fast path
 * (hare_ipv4_input_at) does not take. */
void
hare_ipv4_input_general(struct hare_worker *w, struct rte_mbuf *m)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, total;
	uint64_t cksum_flag;

	if (unlikely(rte_pktmbuf_data_len(m) < l2 + sizeof(*ip))) {
		w->stats.drop_bad_len++;
		goto drop;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);

	ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip))) {
		w->stats.drop_bad_header++;
		goto drop;
	}
	total = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(rte_pktmbuf_data_len(m) < l2 + ihl || total < ihl ||
		     total > rte_pktmbuf_pkt_len(m) - l2)) {
		w->stats.drop_bad_len++;
		goto drop;
	}
	/* Trust the NIC only when it says GOOD or BAD; anything else (af_packet
	 * says UNKNOWN) is verified here. */
	cksum_flag = (w->offloads & HARE_OFFLOAD_RX_CKSUM) ?
		(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) : 0;
	if (unlikely(cksum_flag == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		     (cksum_flag != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		      hare_raw_cksum(ip, ihl) != 0xffff))) {
		w->stats.drop_bad_cksum++;
		goto drop;
	}
	if (unlikely(ip->time_to_live == 0)) {
		w->stats.drop_ttl++;
		goto drop;
	}
	/* the first address inline: a worker usually has just one */
	if (unlikely(!(w->cfg->n_ips > 0 && w->cfg->ips[0].addr == ip->dst_addr) &&
		     hare_config_ip_index(w->cfg, ip->dst_addr) < 0)) {
		w->stats.drop_not_for_us++;
		goto drop;
	}
	if (unlikely(hare_ipv4_martian_source(ip->src_addr))) {
		w->stats.drop_martian++;
		goto drop;
	}
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		w->stats.drop_ip_fragment++;
		goto drop;
	}
	/* Trim Ethernet padding so upper layers see exactly the IP payload. */
	if (rte_pktmbuf_pkt_len(m) > l2 + total)
		ipv4_trim_to(m, l2 + total);
	w->stats.ip_rx_packets++;
	m->l2_len = l2;
	m->l3_len = ihl;
	rte_pktmbuf_adj(m, (uint16_t)(l2 + ihl));

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		hare_tcp_input(w, m, ip);
		return;
	case IPPROTO_ICMP:
		hare_icmp_input(w, m, ip);
		return;
	case IPPROTO_UDP:
		w->stats.udp_rx_datagrams++;
		/* No UDP service: RFC 1122 §4.1.3.1 port unreachable. */
		hare_icmp_send_unreachable(w, m, ip, RTE_ICMP_CODE_UNREACH_PORT);
		return;
	default:
		w->stats.ip_rx_unknown_proto++;
		hare_icmp_send_unreachable(w, m, ip, RTE_ICMP_CODE_UNREACH_PROTO);
		return;
	}

drop:
	rte_pktmbuf_free(m);
}

void
hare_ipv4_input(struct hare_worker *w, struct rte_mbuf *m)
{
	if (likely(rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr) +
					     sizeof(struct rte_ipv4_hdr)))
		hare_ipv4_input_at(w, m, rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
								  sizeof(struct rte_ether_hdr)));
	else
		hare_ipv4_input_general(w, m);
}

uint32_t
hare_ipv4_next_hop(const struct hare_worker *w, uint32_t dst)
{
	return hare_ipv4_route(w->cfg, dst);
}

int
hare_ipv4_output(struct hare_worker *w, struct rte_mbuf *m, uint32_t src,
		 uint32_t dst, uint8_t proto)
{
	const uint32_t l2 = sizeof(struct rte_ether_hdr);
	const struct hare_arp_entry *e;
	struct rte_ipv4_hdr *ip;
	uint32_t nh;
	uint32_t len = rte_pktmbuf_pkt_len(m) + sizeof(*ip);

	if (unlikely(len > w->cfg->mtu)) {
		w->stats.drop_mtu++;
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	nh = hare_ipv4_route(w->cfg, dst);
	if (unlikely(nh == 0)) {
		w->stats.drop_no_route++;
		rte_pktmbuf_free(m);
		return -EHOSTUNREACH;
	}
	/* Next hop known: prepend Ethernet and IPv4 headers in one step and
	 * queue the frame here; otherwise the IPv4 header only, and ARP
	 * frames it (or holds it) as usual. */
	e = hare_ipv4_arp_fresh(w, nh);
	if (likely(e != NULL && rte_pktmbuf_headroom(m) >= l2 + sizeof(*ip))) {
		struct rte_ether_hdr *eh;

		m->data_off = (uint16_t)(m->data_off - (l2 + sizeof(*ip)));
		m->data_len = (uint16_t)(m->data_len + l2 + sizeof(*ip));
		m->pkt_len += l2 + sizeof(*ip);
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		hare_eth_fill(&w->mac, eh, &e->mac, RTE_ETHER_TYPE_IPV4);
		ip = (struct rte_ipv4_hdr *)(eh + 1);
	} else {
		e = NULL;
		ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sizeof(*ip));
		if (unlikely(ip == NULL)) {
			w->stats.drop_no_mbuf++;
			rte_pktmbuf_free(m);
			return -ENOBUFS;
		}
	}
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
		uint32_t l4 = len - sizeof(*ip);
		uint16_t raw = 0;

		th->cksum = 0;
		if (!(w->offloads & HARE_OFFLOAD_TCP_CKSUM)) {
			/* a lone header mbuf (ACKs, small segments): summed inline */
			if (likely(m->next == NULL))
				raw = hare_raw_cksum(th, l4);
			else
				raw = hare_raw_cksum_mbuf(m, (uint32_t)((char *)th -
							 rte_pktmbuf_mtod(m, char *)), l4);
		}
		hare_ipv4_tcp_cksum(w, m, th, src, dst, l4, raw);
	}
	hare_ipv4_fill(w, m, ip, src, dst, proto, len);

	if (likely(e != NULL))
		hare_tx_enqueue(w, m);
	else
		hare_arp_output(w, m, nh);
	return 0;
}
