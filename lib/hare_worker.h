/* hare_worker.h — the per-core context.
 *
 * One struct hare_worker per polling lcore. It owns an RX queue and a TX
 * queue of one port, a mempool, the ARP cache, the TCP tables, the timer
 * wheel and the counters. It is fetched once at the top of the run loop and
 * passed down every call (DPDK examples/l3fwd's qconf); nothing on the
 * packet path touches another worker's context, takes a lock or makes a
 * syscall.
 *
 * Tests build a worker with hare_worker_init() and a fake TX function, and
 * drive it with hare_worker_input() and a hand-set now_ms.
 */
#ifndef HARE_WORKER_H
#define HARE_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "hare_config.h"
#include "hare_stats.h"
#include "arp.h"
#include "mbuf_stash.h"

#define HARE_RX_BURST 32
#define HARE_TX_BURST 32

/* Offload capabilities negotiated with the port (bit set = hardware does it). */
#define HARE_OFFLOAD_IPV4_CKSUM   (1u << 0)  /* TX: IPv4 header checksum */
#define HARE_OFFLOAD_TCP_CKSUM    (1u << 1)  /* TX: TCP checksum from pseudo-header */
#define HARE_OFFLOAD_RX_CKSUM     (1u << 2)  /* RX: NIC flags IP/L4 checksum good/bad */
#define HARE_OFFLOAD_RSS          (1u << 3)  /* RX: mbuf->hash.rss valid */

/* Sends up to n frames; returns how many the port took (the rest stay owned
 * by the caller). The real one wraps rte_eth_tx_burst; tests capture. */
typedef uint16_t (*hare_tx_burst_fn)(void *ctx, struct rte_mbuf **pkts, uint16_t n);

struct hare_tcp_ctx;  /* per-worker TCP state, owned by the tcp_* files */

/* The per-core context. Hot fields first. */
struct hare_worker {
	/* packet path */
	uint64_t now_ms;                 /* worker clock, ms; updated once per loop */
	uint64_t now_tsc;                /* the TSC read that now_ms came from */
	uint64_t app_poll_tsc;           /* call app_poll once now_tsc reaches it */
	uint32_t offloads;               /* HARE_OFFLOAD_* */
	uint16_t tx_count;
	uint16_t port_id, rx_queue, tx_queue;
	uint16_t tcp_acks_owed;          /* end-of-burst ACKs queued (hare_tcp_rx_burst_end) */
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	const struct hare_config *cfg;
	struct hare_tcp_ctx *tcp;
	hare_tx_burst_fn tx_burst;
	void *tx_ctx;
	struct rte_mbuf *tx_buf[HARE_TX_BURST];
	struct hare_mbuf_stash stash;    /* free mbufs of pool (mbuf_stash.h) */
	struct hare_stats stats;

	/* slow path */
	unsigned worker_id;              /* 0..n_workers-1 */
	unsigned n_workers;
	unsigned lcore_id;
	uint64_t tsc_per_ms;
	uint64_t icmp_rate_window_ms;    /* ICMP error rate limit window start */
	uint32_t icmp_rate_count;
	uint64_t next_arp_tick_ms;
	uint16_t ip_id;                  /* IPv4 identification counter */
	void (*app_tick)(struct hare_worker *w, void *ctx); /* see hare_worker_set_app_tick */
	void *app_tick_ctx;
	void (*app_poll)(struct hare_worker *w, void *ctx); /* see hare_worker_set_app_poll */
	void *app_poll_ctx;
	volatile bool stop;              /* set by another thread to end the run loop */
	struct rte_ring *arp_inbox;      /* mappings learned by other workers */
	struct hare_worker **peers;      /* all workers, index = worker_id */
	struct hare_arp_table arp;
};

/* Prepare w for a port queue pair. tx may be NULL for the real port
 * (rte_eth_tx_burst on port_id/tx_queue). Allocates the TCP context from the
 * pool's socket. Returns 0 or a negative errno (-ENOMEM: lower
 * tcp.max_conns or give the process more memory). Not thread-safe; call
 * before the worker runs. */
int hare_worker_init(struct hare_worker *w, const struct hare_config *cfg,
		     struct rte_mempool *pool, uint16_t port_id, uint16_t queue,
		     const struct rte_ether_addr *mac, uint32_t offloads,
		     hare_tx_burst_fn tx, void *tx_ctx);

/* Tell n initialised workers about each other (ws[i] becomes worker_id i).
 * With n > 1 each gets an inbox ring: ARP frames arrive on whichever queue
 * RSS picks (on real NICs, queue 0), so a mapping learned by one worker is
 * published to the others, which never see the reply themselves. ws must
 * outlive the workers. Returns 0 or -ENOMEM (give DPDK more memory: -m). */
int hare_workers_link(struct hare_worker **ws, unsigned n);

/* Release everything w holds (queued packets, connections). */
void hare_worker_fini(struct hare_worker *w);

/* Process a burst of received frames (the stack's single entry point). */
void hare_worker_input(struct hare_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* Run due timers (ARP retries, TCP timers) at w->now_ms. */
void hare_worker_timers(struct hare_worker *w);

/* Hand buffered TX frames to the port. Frames it refuses are freed and
 * counted in drop_tx_full. */
void hare_worker_tx_flush(struct hare_worker *w);

/* The poll-mode loop: rx burst -> input -> timers -> tx flush, until
 * w->stop. Returns 0. Run it on the worker's own lcore. */
int hare_worker_run(struct hare_worker *w);

/* Have fn(w, ctx) called from the run loop once the TSC reaches the time
 * set with hare_worker_poll_at (finer than the 1 ms tick: an open-loop
 * load generator sends each request at its intended time). One call per
 * hare_worker_poll_at; fn re-arms as it needs. */
void hare_worker_set_app_poll(struct hare_worker *w,
			      void (*fn)(struct hare_worker *w, void *ctx), void *ctx);

/* Call app_poll at the first loop iteration with TSC >= tsc (0: the next
 * one; UINT64_MAX: never). */
static inline void
hare_worker_poll_at(struct hare_worker *w, uint64_t tsc)
{
	w->app_poll_tsc = tsc;
}

/* Have fn(w, ctx) called on the worker's lcore once per millisecond
 * tick, after the stack's own timers (idle timeouts, pacing of a load
 * generator). fn may send. NULL removes it. Call before the worker runs. */
void hare_worker_set_app_tick(struct hare_worker *w,
			      void (*fn)(struct hare_worker *w, void *ctx), void *ctx);

/* Read the clock into w->now_ms (run loop does this; tests set now_ms). */
void hare_worker_update_clock(struct hare_worker *w);

/* Queue one complete frame for TX; flushes when the buffer is full. */
static inline void
hare_tx_enqueue(struct hare_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->tx_count == HARE_TX_BURST))
		hare_worker_tx_flush(w);
	w->tx_buf[w->tx_count++] = m;
}

/* Allocate an mbuf for a frame we originate; counts drop_no_mbuf on failure. */
static inline struct rte_mbuf *
hare_alloc_mbuf(struct hare_worker *w)
{
	struct rte_mbuf *m = hare_stash_alloc(&w->stash, w->pool);

	if (unlikely(m == NULL))
		w->stats.drop_no_mbuf++;
	return m;
}

/* Free one segment (m->next is not followed) the stack no longer needs:
 * into the worker's stash (mbuf_stash.h). */
static inline void
hare_free_seg(struct hare_worker *w, struct rte_mbuf *m)
{
	hare_stash_free_seg(&w->stash, w->pool, m);
}

/* Free mbufs the worker keeps for reuse: pool objects that count as in
 * use but are free (leak checks subtract them). */
static inline unsigned
hare_mbuf_stash_count(const struct hare_worker *w)
{
	return w->stash.n;
}

#endif
