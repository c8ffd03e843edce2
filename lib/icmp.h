/* icmp.h — ICMP (RFC 792, RFC 1122 §3.2.2): echo reply and destination
 * unreachable. Call chain: hare_ipv4_input() -> hare_icmp_input() ->
 * hare_ipv4_output().
 */
#ifndef HARE_ICMP_H
#define HARE_ICMP_H

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

struct hare_worker;

#define HARE_ICMP_DEST_UNREACH 3
#ifndef RTE_ICMP_CODE_UNREACH_PROTO
#define RTE_ICMP_CODE_UNREACH_PROTO 2
#endif
#ifndef RTE_ICMP_CODE_UNREACH_PORT
#define RTE_ICMP_CODE_UNREACH_PORT 3
#endif

/* Handle an ICMP message; m data points at the ICMP header, ip at the IPv4
 * header in front of it. Echo requests are answered in place (payload
 * echoed intact). Always consumes m. */
void hare_icmp_input(struct hare_worker *w, struct rte_mbuf *m,
		     const struct rte_ipv4_hdr *ip);

/* Send destination unreachable (type 3, code) about the datagram whose IP
 * header is ip and whose L4 data m points at; quotes the IP header and up
 * to 8 bytes of data (RFC 792). Rate limited per worker
 * (cfg->icmp_rate_per_s). Always consumes m. */
void hare_icmp_send_unreachable(struct hare_worker *w, struct rte_mbuf *m,
				const struct rte_ipv4_hdr *ip, uint8_t code);

#endif
