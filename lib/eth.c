/* eth.c — Ethernet II input demux and output framing.
 *
 * Accepts frames to our MAC and to broadcast; everything else (other
 * unicast seen in promiscuous mode, multicast, VLAN-tagged, unknown
 * ethertypes) is counted as drop_not_for_us.
 */
#include <stddef.h>
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

/* hare_eth_input reads 8 bytes from w->mac */
_Static_assert(offsetof(struct hare_worker, mac) + 8 <= sizeof(struct hare_worker),
	       "struct hare_worker: keep 2 bytes after mac (hare_eth_input reads 8)");

void
hare_eth_input(struct hare_worker *w, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	/* the first six bytes in memory of a 64-bit word, either byte order */
	const uint64_t mac_mask = rte_cpu_to_be_64(0xffffffffffff0000ull);
	uint64_t d, mine;

	/* the destination MAC against ours as one masked 64-bit word: the
	 * frame's 8 bytes run into the source MAC, ours into the padding
	 * after w->mac (struct hare_worker: a pointer follows), both
	 * masked off */
	memcpy(&d, &eh->dst_addr, 8);
	memcpy(&mine, &w->mac, 8);
	/* the usual frame, IPv4 to our MAC with the IPv4 header in the first
	 * segment: IPv4's fast path inline, TCP a tail call, no frame of our
	 * own (shorter frames: the general paths count them) */
	if (likely(rte_pktmbuf_data_len(m) >= sizeof(*eh) + sizeof(struct rte_ipv4_hdr) &&
		   eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
		   ((d ^ mine) & mac_mask) == 0)) {
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
