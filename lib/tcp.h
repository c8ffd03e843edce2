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
/* The same from IPv4 input's fast path, m still at the Ethernet header
 * (14 bytes, then the 20-byte IPv4 header ip, then TCP; the datagram is
 * the whole frame): a lean path for the predicted segments with the
 * 32-byte header (NOP,NOP,TS) — above all the pure ACK, consumed without
 * stripping the headers —, anything else on to hare_tcp_input(). */
void hare_tcp_input_lean(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip);

/* End of an RX burst: send the ACKs owed for two full segments that no
 * reply carried (one per connection per burst). hare_worker_input calls it. */
void hare_tcp_rx_burst_end(struct hare_worker *w);

/* Run the TCP timers due at w->now_ms. */
void hare_tcp_timers(struct hare_worker *w);

/* Use the NIC's Toeplitz RSS hash (mbuf->hash.rss) as the flow hash: the
 * key lets active opens compute the same hash in software (rte_softrss).
 * Without a key (or without HARE_OFFLOAD_RSS) a CRC32 of the 4-tuple is
 * used. Call before traffic; key must stay valid. */
void hare_tcp_set_rss_key(struct hare_worker *w, const uint8_t *key, uint32_t len);

/* Test hook: every new connection gets this ISN (e.g. near 2^32 to test
 * wrap-around) instead of the RFC 6528 one. */
void hare_tcp_test_fix_isn(struct hare_worker *w, uint32_t isn);

#endif
