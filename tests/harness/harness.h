/* harness.h — drive a hare worker without a NIC (after lwIP's
 * test/unit/tcp/tcp_helper.h): EAL without hugepages or devices, a small
 * mempool, a worker whose TX function captures frames, helpers that build
 * frames and read back what the stack sent, and a leak check.
 */
#ifndef HARE_TEST_HARNESS_H
#define HARE_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include "hare.h"

#define HT_MAX_TX 4096

/* One test's stack: config, worker, pool and captured TX frames. */
struct ht_rig {
	struct hare_config cfg;
	struct hare_worker *w;
	struct rte_mempool *pool;
	unsigned pool_size;
	struct rte_mbuf *tx[HT_MAX_TX];  /* captured, oldest first */
	unsigned n_tx;
	unsigned tx_refuse;              /* >0: the fake port refuses frames */
};

/* Our MAC and the peer's MAC used by every test frame. */
extern const struct rte_ether_addr ht_our_mac;
extern const struct rte_ether_addr ht_peer_mac;

/* Initialise EAL once per process (--no-huge --no-pci --in-memory). */
void ht_eal_init(void);

/* New rig with the given addresses ("198.18.0.1/24", ...; NULL-terminated
 * list), a 4096-mbuf pool, clock at 1000 ms. cfg may be edited by the test
 * before it calls ht_rig_start(). */
struct ht_rig *ht_rig_new(const char *ip, ...);
/* Create the worker (calls hare_worker_init). */
void ht_rig_start(struct ht_rig *r);
/* Tear down: frees captured frames, finalises the worker and asserts that
 * every mbuf is back in the pool (no leak). */
void ht_rig_free(struct ht_rig *r);

/* Wrap bytes into an mbuf and feed it as one received frame; flushes TX. */
void ht_input(struct ht_rig *r, const void *frame, size_t len);
/* Feed an mbuf as received; flushes TX. */
void ht_input_mbuf(struct ht_rig *r, struct rte_mbuf *m);
/* Advance the worker clock by ms and run timers; flushes TX. */
void ht_advance(struct ht_rig *r, uint64_t ms);

/* Remove and return the oldest captured TX frame (NULL if none). The
 * caller frees it (rte_pktmbuf_free). */
struct rte_mbuf *ht_pop_tx(struct ht_rig *r);
/* Free all captured frames; returns how many there were. */
unsigned ht_drain_tx(struct ht_rig *r);

/* Frame builders, into buf (returns the frame length). Addresses in host
 * order dotted strings for readability. The IPv4 checksum is filled in. */
size_t ht_build_eth(uint8_t *buf, const struct rte_ether_addr *dst,
		    const struct rte_ether_addr *src, uint16_t type);
size_t ht_build_ipv4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		     const void *payload, size_t payload_len);
size_t ht_build_arp(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha,
		    const char *sip, const struct rte_ether_addr *tha, const char *tip);

/* Address from dotted string, network order. */
uint32_t ht_ip(const char *dotted);

/* Copy a frame's bytes out (handles chains); returns its length. */
size_t ht_frame_bytes(const struct rte_mbuf *m, uint8_t *out, size_t cap);

/* Number of mbufs currently out of the pool. */
unsigned ht_mbufs_in_use(const struct ht_rig *r);

#endif
