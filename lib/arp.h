/* arp.h — ARP (RFC 826) for the worker: answers requests for every local
 * IP, resolves next hops, keeps a per-worker cache with expiry and holds a
 * few packets per unresolved next hop until the reply comes.
 *
 * Call chain: hare_eth_input() -> hare_arp_input() -> (reply | learn, flush
 * pending). Output side: hare_ipv4_output() -> hare_arp_resolve_and_send().
 */
#ifndef HARE_ARP_H
#define HARE_ARP_H

#include <stdint.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

struct hare_worker;

#define HARE_ARP_TABLE_SIZE 1024   /* entries per worker; power of two */
#define HARE_ARP_PENDING_MAX 64    /* packets held per unresolved next hop (Linux: 101) */
#define HARE_ARP_HOLD_MAX 256      /* packets held per worker, all next hops together */

enum hare_arp_state {
	HARE_ARP_FREE = 0,
	HARE_ARP_INCOMPLETE,  /* request sent, no reply yet; packets queue */
	HARE_ARP_RESOLVED,    /* mac valid until expire_ms */
};

/* One cache entry. Open addressing with linear probing; a deleted slot
 * becomes FREE only when the run after it allows (see arp.c). */
struct hare_arp_entry {
	uint32_t ip;                   /* network order; key */
	uint8_t state;                 /* enum hare_arp_state */
	uint8_t retries;               /* requests sent for this resolution */
	uint8_t n_pending;             /* packets for this IP in the hold queue */
	struct rte_ether_addr mac;
	uint64_t expire_ms;            /* RESOLVED: refresh after this */
	uint64_t next_retry_ms;        /* INCOMPLETE or refreshing: next request */
};

/* A packet waiting for its next hop's MAC. */
struct hare_arp_held {
	uint32_t ip;                   /* next hop, network order */
	struct rte_mbuf *m;            /* IP packet, no L2 header yet */
};

/* The per-worker cache, and one hold queue shared by every unresolved next
 * hop: a burst of SYNs to a new peer (a load generator's first
 * connections) waits in order instead of being dropped, while the memory
 * held stays bounded per worker. Resolution is rare, so a linear scan of
 * the queue then is fine. */
struct hare_arp_table {
	struct hare_arp_entry entries[HARE_ARP_TABLE_SIZE];
	uint32_t n_used;
	uint32_t hint;                 /* entry of the last next hop output used (ipv4.c) */
	uint32_t n_held;
	struct hare_arp_held held[HARE_ARP_HOLD_MAX]; /* in arrival order */
};

#define HARE_ARP_INBOX_SIZE 1024   /* cross-worker messages; power of two */

/* A mapping one worker learned, sent to the others (16 bytes, ring element). */
struct hare_arp_msg {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint8_t pad[6];
};

/* Apply the mappings other workers published (called from the timers). */
void hare_arp_drain_inbox(struct hare_worker *w);

/* Handle one received ARP frame (data points at the Ethernet header). Always
 * consumes m. */
void hare_arp_input(struct hare_worker *w, struct rte_mbuf *m);

/* Send IP packet m (data points at the IPv4 header) to next hop nh. Prepends
 * the Ethernet header and queues for TX when the MAC is known, otherwise
 * holds m and sends a request. Always consumes m. */
void hare_arp_output(struct hare_worker *w, struct rte_mbuf *m, uint32_t nh);

/* Periodic work: retries and expiry. Cheap when nothing is pending. */
void hare_arp_tick(struct hare_worker *w);

/* Broadcast a gratuitous ARP request for every local IP (at start). */
void hare_arp_announce(struct hare_worker *w);

/* Cache lookup; returns the entry or NULL. */
struct hare_arp_entry *hare_arp_lookup(struct hare_worker *w, uint32_t ip);

/* Free every held packet (at worker teardown). */
void hare_arp_flush_all(struct hare_worker *w);

#endif
