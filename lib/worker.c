/* worker.c — per-core context set-up and the poll-mode run loop.
 *
 * The loop has the shape of DPDK examples/l3fwd: fetch the context once,
 * then forever: rx burst -> per-packet input (next packet's data
 * prefetched) -> timers when the clock moved -> tx flush. Frames produced
 * while processing a burst are buffered in w->tx_buf and leave in bursts.
 */
#include <errno.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <stdio.h>
#include "hare_worker.h"
#include "eth.h"
#include "arp.h"
#include "tcp.h"

#define HARE_ARP_TICK_MS 100

void
hare_worker_update_clock(struct hare_worker *w)
{
	w->now_tsc = rte_get_tsc_cycles();
	w->now_ms = w->now_tsc / w->tsc_per_ms;
}

int
hare_worker_init(struct hare_worker *w, const struct hare_config *cfg,
		 struct rte_mempool *pool, uint16_t port_id, uint16_t queue,
		 const struct rte_ether_addr *mac, uint32_t offloads,
		 hare_tx_burst_fn tx, void *tx_ctx)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->app_poll_tsc = UINT64_MAX; /* no app_poll */
	w->cfg = cfg;
	w->pool = pool;
	w->port_id = port_id;
	w->rx_queue = queue;
	w->tx_queue = queue;
	w->mac = *mac;
	w->offloads = offloads;
	w->tx_burst = tx;
	w->tx_ctx = tx_ctx;
	w->n_workers = 1;
	w->lcore_id = rte_lcore_id();
	w->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (w->tsc_per_ms == 0)
		w->tsc_per_ms = 1;
	w->ip_id = (uint16_t)rte_rand();
	hare_worker_update_clock(w);
	rc = hare_tcp_worker_init(w);
	if (rc < 0)
		return rc;
	return 0;
}

int
hare_workers_link(struct hare_worker **ws, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct hare_worker *w = ws[i];
		char name[RTE_RING_NAMESIZE];

		w->worker_id = i;
		w->n_workers = n;
		w->peers = ws;
		if (n < 2 || w->arp_inbox != NULL)
			continue;
		snprintf(name, sizeof(name), "hare_arp_%p", (void *)w);
		w->arp_inbox = rte_ring_create_elem(name, sizeof(struct hare_arp_msg),
						    HARE_ARP_INBOX_SIZE, w->pool->socket_id,
						    RING_F_SC_DEQ);
		if (w->arp_inbox == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
hare_worker_fini(struct hare_worker *w)
{
	hare_tcp_worker_fini(w);
	hare_arp_flush_all(w);
	hare_worker_tx_flush(w);
	hare_stash_drain(&w->stash, w->pool);
	rte_ring_free(w->arp_inbox);
	w->arp_inbox = NULL;
}

void
hare_worker_tx_flush(struct hare_worker *w)
{
	uint16_t n = w->tx_count, sent;

	if (n == 0)
		return;
	for (uint16_t i = 0; i < n; i++)
		w->stats.tx_bytes += rte_pktmbuf_pkt_len(w->tx_buf[i]);
	if (w->tx_burst)
		sent = w->tx_burst(w->tx_ctx, w->tx_buf, n);
	else
		sent = rte_eth_tx_burst(w->port_id, w->tx_queue, w->tx_buf, n);
	w->stats.tx_packets += sent;
	for (uint16_t i = sent; i < n; i++) {
		w->stats.tx_bytes -= rte_pktmbuf_pkt_len(w->tx_buf[i]);
		rte_pktmbuf_free(w->tx_buf[i]);
	}
	w->stats.drop_tx_full += n - sent;
	w->tx_count = 0;
}

void
hare_worker_input(struct hare_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0; /* rx_bytes, added once per burst */

	if (n == 0)
		return;
	rte_prefetch0(rte_pktmbuf_mtod(pkts[0], void *));
	w->stats.rx_packets += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += rte_pktmbuf_pkt_len(m); /* read before input consumes m */
		hare_eth_input(w, m);
	}
	w->stats.rx_bytes += bytes;
	if (w->tcp_acks_owed != 0)
		hare_tcp_rx_burst_end(w);
}

void
hare_worker_timers(struct hare_worker *w)
{
	if (w->now_ms >= w->next_arp_tick_ms) {
		w->next_arp_tick_ms = w->now_ms + HARE_ARP_TICK_MS;
		hare_arp_tick(w);
	}
	if (w->arp_inbox != NULL)
		hare_arp_drain_inbox(w);
	hare_tcp_timers(w);
	if (w->app_tick != NULL)
		w->app_tick(w, w->app_tick_ctx);
}

void
hare_worker_set_app_poll(struct hare_worker *w,
			 void (*fn)(struct hare_worker *w, void *ctx), void *ctx)
{
	w->app_poll = fn;
	w->app_poll_ctx = ctx;
	w->app_poll_tsc = UINT64_MAX;
}

void
hare_worker_set_app_tick(struct hare_worker *w,
			 void (*fn)(struct hare_worker *w, void *ctx), void *ctx)
{
	w->app_tick = fn;
	w->app_tick_ctx = ctx;
}

int
hare_worker_run(struct hare_worker *w)
{
	struct rte_mbuf *pkts[HARE_RX_BURST];
	uint64_t last_ms = 0;

	hare_worker_update_clock(w);
	if (w->worker_id == 0)
		hare_arp_announce(w); /* one announcement per port, not per queue */
	hare_worker_tx_flush(w);
	while (!w->stop) {
		uint16_t n = rte_eth_rx_burst(w->port_id, w->rx_queue, pkts, HARE_RX_BURST);

		hare_worker_update_clock(w);
		if (n > 0)
			hare_worker_input(w, pkts, n);
		if (w->now_ms != last_ms) {
			last_ms = w->now_ms;
			hare_worker_timers(w);
		}
		if (unlikely(w->now_tsc >= w->app_poll_tsc)) {
			w->app_poll_tsc = UINT64_MAX;
			w->app_poll(w, w->app_poll_ctx);
		}
		hare_worker_tx_flush(w);
	}
	return 0;
}
