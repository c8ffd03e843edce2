/* ipv4.h — IPv4 (RFC 791, RFC 1122 host requirements).
 * Input: hare_eth_input() -> hare_ipv4_input() -> hare_icmp_input() |
 *        hare_tcp_input() | UDP (port unreachable).
 * Output: hare_icmp_*() / tcp_out -> hare_ipv4_output() -> hare_arp_output().
 */
#ifndef HARE_IPV4_H
#define HARE_IPV4_H

#include <stdint.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

struct hare_worker;

#define HARE_IPV4_DEFAULT_TTL 64

/* Validate and dispatch one frame whose data points at the Ethernet header.
 * On dispatch to an upper layer the mbuf data points at the L4 header and
 * m->l2_len/l3_len describe the headers in front of it. Always consumes m. */
void hare_ipv4_input(struct hare_worker *w, struct rte_mbuf *m);

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

#endif
