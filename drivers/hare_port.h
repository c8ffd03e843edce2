/* hare_port.h — bringing up one DPDK ethdev port for hare workers.
 *
 * Works for any PMD the EAL found: vdevs (`--vdev net_af_packet0,iface=hs0`,
 * net_memif, virtio_user, net_tap) and PCI ports (`-a 0000:00:04.0`). One
 * RX and one TX queue per worker, one mempool per worker on the port's
 * NUMA socket, offloads negotiated from what dev_info advertises and
 * reported as HARE_OFFLOAD_* bits (lib/ does in software what a clear bit
 * leaves to it).
 *
 * Call order (main thread, before workers run):
 *   hare_port_first() -> hare_port_open() -> hare_port_wait_link() ->
 *   hare_worker_init(w, cfg, p.pools[q], p.port_id, q, &p.mac, p.offloads)
 *   ... workers run ... -> hare_port_close().
 * None of these functions is thread-safe. Errors are returned as negative
 * errno values and explained on stderr with what to do.
 */
#ifndef HARE_PORT_H
#define HARE_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#define HARE_PORT_MAX_QUEUES 64
#define HARE_PORT_DEFAULT_RXD 1024
#define HARE_PORT_DEFAULT_TXD 1024
#define HARE_PORT_POOL_CACHE 256

/* What the caller asks of the port. Zero fields take the defaults. */
struct hare_port_conf {
	uint16_t n_queues;     /* wanted RX/TX queue pairs (= workers); may be lowered */
	uint16_t mtu;          /* IP MTU; 0 = 1500 */
	uint16_t nb_rxd;       /* RX descriptors per queue; 0 = 1024 */
	uint16_t nb_txd;       /* TX descriptors per queue; 0 = 1024 */
	uint32_t extra_mbufs;  /* per queue, beyond rings, caches and ARP holds:
			        * what the application keeps in flight (TCP
			        * send/receive queues); 0 = 2048 */
	bool promisc;          /* promiscuous mode; off by default because the
			        * stack only takes frames to the port's own MAC
			        * and broadcast, which every NIC's filter passes */
};

/* A port that is up. */
struct hare_port {
	uint16_t port_id;
	uint16_t n_queues;            /* queues configured (= workers to run) */
	int socket;                   /* NUMA socket of the port (0 if unknown) */
	uint16_t mtu;
	uint16_t nb_rxd, nb_txd;
	uint32_t offloads;            /* HARE_OFFLOAD_* */
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[32];
	bool started;
	struct rte_mempool *pools[HARE_PORT_MAX_QUEUES]; /* one per queue/worker */
	unsigned pmd_held;            /* mbufs in use right after start, before any
				       * traffic: what the PMD took for its RX rings */
	unsigned pmd_kept;            /* of those, still out after close (set by
				       * hare_port_close; see there) */
};

/* The first available port id, or -ENODEV after printing "no DPDK port
 * found: pass --vdev net_af_packet0,iface=IF or -a PCI". Prints a note
 * when more than one port exists (only the first is used). */
int hare_port_first(const char *prog);

/* Configure and start port_id with conf. When the port offers fewer queue
 * pairs than conf->n_queues, opens as many as it has and says so on stderr
 * (p->n_queues tells the caller how many workers to run). Returns 0, or a
 * negative errno (-ENOMEM: pools; -EINVAL: MTU out of the port's range;
 * others from ethdev) after printing the reason. On failure nothing is
 * left allocated. */
int hare_port_open(struct hare_port *p, uint16_t port_id, const struct hare_port_conf *conf,
		   const char *prog);

/* Poll the link up to timeout_ms. Returns true when up; prints a warning
 * with advice when it is still down. */
bool hare_port_wait_link(const struct hare_port *p, unsigned timeout_ms, const char *prog);

/* Print one line describing the port (driver, MAC, queues, MTU, offloads). */
void hare_port_describe(const struct hare_port *p, FILE *out, const char *prog);

/* Stop and close the port and free its mempools. Workers must have
 * stopped and released their mbufs (hare_worker_fini) first. Returns the
 * number of mbufs still in use across the pools just before freeing
 * them, less those the PMD took for its RX rings at start and never gave
 * back (DPDK 22.11's net_af_xdp keeps its fill ring's through close):
 * 0 when the stack leaked nothing. Those are in p->pmd_kept. Counted
 * only when at least as many are out as the PMD took: a PMD that gives
 * its rings back leaves the stack's leak whole. */
unsigned hare_port_close(struct hare_port *p);

/* mbufs currently allocated (not in a pool or cache) across p's pools. */
unsigned hare_port_mbufs_in_use(const struct hare_port *p);

/* Port counters as seen by the PMD, for reconciliation with the stack's. */
struct hare_port_counters {
	uint64_t ipackets, opackets, imissed, ierrors, oerrors, rx_nombuf;
};
int hare_port_counters(const struct hare_port *p, struct hare_port_counters *c);

#endif
