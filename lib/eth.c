/* eth.c — Ethernet II input demux and output framing.
 *
 * Accepts frames to our MAC and to broadcast; everything else (other
 * unicast seen in promiscuous mode, multicast, VLAN-tagged, unknown
 * ethertypes) is counted as drop_not_for_us.
 */
#include <string.h>
#include <rte_byteorder.h>
#include "hare_worker.h"
#include "eth.h"
#include "arp.h"
#include "ipv4.h"

/* Everything but an IPv4 frame to our MAC: lengths, broadcast, ARP, drops. */
static __rte_noinline void
eth_input_general(struct hare_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	uint16_t type;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
		w->stats.drop_bad_len++;
		rte_pktmbuf_free(m);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &w->mac) &&
		     !rte_is_broadcast_ether_addr(&eh->dst_addr))) {
		w->stats.drop_not_for_us++;
		rte_pktmbuf_free(m);
		return;
	}
	type = eh->ether_type;
	if (likely(type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		hare_ipv4_input(w, m);
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		hare_arp_input(w, m);
	} else {
		w->stats.drop_not_for_us++;
		rte_pktmbuf_free(m);
	}
}

void
hare_eth_input(struct hare_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint32_t d0, m0;
	uint16_t d1, m1;

	/* the destination MAC against ours as a 32- and a 16-bit word */
	memcpy(&d0, &eh->dst_addr, 4);
	memcpy(&d1, (const char *)&eh->dst_addr + 4, 2);
	memcpy(&m0, &w->mac, 4);
	memcpy(&m1, (const char *)&w->mac + 4, 2);
	/* the usual frame, IPv4 to our MAC with the IPv4 header in the first
	 * segment: IPv4's fast path inline, TCP a tail call, no frame of our
	 * own (shorter frames: the general paths count them) */
	if (likely(rte_pktmbuf_data_len(m) >= sizeof(*eh) + sizeof(struct rte_ipv4_hdr) &&
		   eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
		   ((d0 ^ m0) | (uint32_t)(d1 ^ m1)) == 0)) {
		hare_ipv4_input_at(w, m, (const struct rte_ipv4_hdr *)(eh + 1));
		return;
	}
	eth_input_general(w, m);
}

void
hare_eth_output(struct hare_worker *w, struct rte_mbuf *m,
		const struct rte_ether_addr *dst, uint16_t ether_type)
{
	struct rte_ether_hdr *eh;

	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (unlikely(eh == NULL)) {
		w->stats.drop_no_mbuf++;
		rte_pktmbuf_free(m);
		return;
	}
	hare_eth_fill(&w->mac, eh, dst, ether_type);
	m->l2_len = sizeof(*eh);
	hare_tx_enqueue(w, m);
}
