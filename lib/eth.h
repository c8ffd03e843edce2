/* eth.h — Ethernet II demux and framing.
 * Call chain: hare_worker_input() -> hare_eth_input() -> hare_arp_input() |
 * hare_ipv4_input(). Output: hare_eth_output() -> hare_tx_enqueue().
 */
#ifndef HARE_ETH_H
#define HARE_ETH_H

#include <rte_ether.h>
#include <rte_mbuf.h>

struct hare_worker;

/* Write an Ethernet II header from our MAC to dst: the one place frames
 * get their L2 header (hare_eth_output, and the IPv4/ACK fast paths that
 * build the whole frame in one step). ether_type in host order. */
static inline void
hare_eth_fill(const struct rte_ether_addr *src, struct rte_ether_hdr *eh,
	      const struct rte_ether_addr *dst, uint16_t ether_type)
{
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(src, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(ether_type);
}

/* Demultiplex one received frame; always consumes m. */
void hare_eth_input(struct hare_worker *w, struct rte_mbuf *m);

/* Prepend an Ethernet header (src = our MAC) and queue m for TX. Always
 * consumes m; counts drop_no_mbuf if there is no headroom. */
void hare_eth_output(struct hare_worker *w, struct rte_mbuf *m,
		     const struct rte_ether_addr *dst, uint16_t ether_type);

#endif
