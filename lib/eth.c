/* eth.c — Ethernet II input demux and output framing.
 *
 * Accepts frames to our MAC and to broadcast; everything else (other
 * unicast seen in promiscuous mode, multicast, VLAN-tagged, unknown
 * ethertypes) is counted as drop_not_for_us.
 */
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

	/* the usual frame, IPv4 to our MAC: a tail call, no frame of our own */
	if (likely(rte_pktmbuf_data_len(m) >= sizeof(*eh) &&
		   eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
		   rte_is_same_ether_addr(&eh->dst_addr, &w->mac))) {
		hare_ipv4_input(w, m);
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
