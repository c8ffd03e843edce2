/* icmp.c — echo reply and destination unreachable.
 *
 * Echo replies reuse the request mbuf: only the type and checksum change,
 * and hare_ipv4_output() writes a fresh IPv4 header over the old one (the
 * request's IP options are not reflected; RFC 1122 §3.2.2.6 allows that).
 * Errors are never sent about ICMP errors, and are rate limited
 * (RFC 1122 §3.2.2, RFC 1812 §4.3.2.8).
 */
#include <string.h>
#include <rte_byteorder.h>
#include "hare_worker.h"
#include "icmp.h"
#include "ipv4.h"

/* Ones'-complement checksum over the whole (possibly chained) message. */
static uint16_t
icmp_cksum(const struct rte_mbuf *m)
{
	return (uint16_t)~hare_raw_cksum_mbuf(m, 0, rte_pktmbuf_pkt_len(m));
}

void
hare_icmp_input(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	struct rte_icmp_hdr *icmp;
	uint32_t src, dst;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*icmp))) {
		w->stats.drop_bad_len++;
		goto drop;
	}
	if (unlikely(icmp_cksum(m) != 0)) {
		w->stats.drop_bad_cksum++;
		goto drop;
	}
	icmp = rte_pktmbuf_mtod(m, struct rte_icmp_hdr *);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		w->stats.icmp_rx_other++;
		goto drop;
	}
	w->stats.icmp_rx_echo++;
	/* Read addresses before ipv4_output overwrites the old header. */
	src = ip->dst_addr;
	dst = ip->src_addr;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = icmp_cksum(m);
	m->ol_flags = 0;
	if (hare_ipv4_output(w, m, src, dst, IPPROTO_ICMP) == 0)
		w->stats.icmp_tx_echo_reply++;
	return;
drop:
	rte_pktmbuf_free(m);
}

/* Token check: at most cfg->icmp_rate_per_s errors per second per worker. */
static bool
icmp_error_allowed(struct hare_worker *w)
{
	if (w->now_ms - w->icmp_rate_window_ms >= 1000) {
		w->icmp_rate_window_ms = w->now_ms;
		w->icmp_rate_count = 0;
	}
	if (w->icmp_rate_count >= w->cfg->icmp_rate_per_s)
		return false;
	w->icmp_rate_count++;
	return true;
}

void
hare_icmp_send_unreachable(struct hare_worker *w, struct rte_mbuf *m,
			   const struct rte_ipv4_hdr *ip, uint8_t code)
{
	struct rte_mbuf *r;
	struct rte_icmp_hdr *icmp;
	uint32_t ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
	uint32_t quote = rte_pktmbuf_pkt_len(m) < 8 ? rte_pktmbuf_pkt_len(m) : 8;
	uint8_t *p;

	if (ip->next_proto_id == IPPROTO_ICMP) {
		/* never an error about an error; other ICMP was handled above */
		rte_pktmbuf_free(m);
		return;
	}
	if (!icmp_error_allowed(w)) {
		w->stats.drop_rate_limited++;
		rte_pktmbuf_free(m);
		return;
	}
	r = hare_alloc_mbuf(w);
	if (r == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(r, (uint16_t)(sizeof(*icmp) + ihl + quote));
	if (p == NULL) {
		w->stats.drop_no_mbuf++;
		rte_pktmbuf_free(r);
		rte_pktmbuf_free(m);
		return;
	}
	icmp = (struct rte_icmp_hdr *)p;
	memset(icmp, 0, sizeof(*icmp)); /* type 3 "unused" word must be zero */
	icmp->icmp_type = HARE_ICMP_DEST_UNREACH;
	icmp->icmp_code = code;
	memcpy(p + sizeof(*icmp), ip, ihl);
	if (quote > 0) {
		uint8_t tmp[8];
		const void *q = rte_pktmbuf_read(m, 0, quote, tmp);

		memcpy(p + sizeof(*icmp) + ihl, q, quote);
	}
	icmp->icmp_cksum = icmp_cksum(r);
	if (hare_ipv4_output(w, r, ip->dst_addr, ip->src_addr, IPPROTO_ICMP) == 0)
		w->stats.icmp_tx_unreachable++;
	rte_pktmbuf_free(m);
}
