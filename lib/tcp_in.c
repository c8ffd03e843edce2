/* tcp_in.c — PLACEHOLDER until the TCP issue lands: every segment is
 * answered as by a CLOSED port (RFC 9293 §3.10.7.1) with a RST. */
#include <string.h>
#include <rte_tcp.h>
#include "hare_worker.h"
#include "tcp.h"
#include "ipv4.h"

int hare_tcp_worker_init(struct hare_worker *w) { (void)w; return 0; }
void hare_tcp_worker_fini(struct hare_worker *w) { (void)w; }
void hare_tcp_timers(struct hare_worker *w) { (void)w; }

void
hare_tcp_input(struct hare_worker *w, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	struct rte_tcp_hdr *th;
	uint32_t seq, ack, len;
	uint8_t flags;
	uint32_t src = ip->dst_addr, dst = ip->src_addr;
	uint16_t sport, dport;

	w->stats.tcp_rx_segments++;
	if (rte_pktmbuf_data_len(m) < sizeof(*th)) {
		w->stats.drop_bad_len++;
		rte_pktmbuf_free(m);
		return;
	}
	th = rte_pktmbuf_mtod(m, struct rte_tcp_hdr *);
	flags = th->tcp_flags;
	if (flags & RTE_TCP_RST_FLAG) {
		w->stats.tcp_rst_rx++;
		rte_pktmbuf_free(m);
		return;
	}
	len = rte_pktmbuf_pkt_len(m) - ((th->data_off >> 4) * 4);
	if (flags & RTE_TCP_SYN_FLAG) len++;
	if (flags & RTE_TCP_FIN_FLAG) len++;
	seq = rte_be_to_cpu_32(th->sent_seq);
	ack = rte_be_to_cpu_32(th->recv_ack);
	sport = th->dst_port; dport = th->src_port;
	rte_pktmbuf_reset(m);
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, sizeof(*th));
	memset(th, 0, sizeof(*th));
	th->src_port = sport; th->dst_port = dport;
	th->data_off = 5 << 4;
	if (flags & RTE_TCP_ACK_FLAG) {
		th->sent_seq = rte_cpu_to_be_32(ack);
		th->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		th->recv_ack = rte_cpu_to_be_32(seq + len);
		th->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	w->stats.tcp_rst_tx++;
	hare_ipv4_output(w, m, src, dst, IPPROTO_TCP);
}
