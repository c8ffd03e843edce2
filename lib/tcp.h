/* tcp.h — the boundary between the IP layer/worker and the TCP files
 * (tcp_in.c, tcp_out.c, tcp_timer.c, flow table). The application API is in
 * hare_tcp.h.
 */
#ifndef HARE_TCP_H
#define HARE_TCP_H

#include <rte_ip.h>
#include <rte_mbuf.h>

struct hare_worker;

/* Allocate the worker's TCP tables (flow table, listeners, connection pool,
 * timer wheel). Returns 0 or a negative errno. */
int hare_tcp_worker_init(struct hare_worker *w);

/* Abort every connection and free the tables. */
void hare_tcp_worker_fini(struct hare_worker *w);

/* One received segment: m data points at the TCP header, ip at the IPv4
 * header in front of it (still in the mbuf's headroom). Consumes m. */
void hare_tcp_input(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip);

/* Run the TCP timers due at w->now_ms. */
void hare_tcp_timers(struct hare_worker *w);

#endif
