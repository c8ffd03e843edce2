/* arp.c — ARP for Ethernet/IPv4 (RFC 826, RFC 1122 §2.3.2, RFC 5227 for
 * the gratuitous announcement).
 *
 * The cache is a per-worker open-addressing table (linear probing).
 * Entries are never deleted, so probing needs no tombstones; a request
 * flood cannot fill it because entries are created from incoming requests
 * only while the table is under 3/4 full (RFC 826's "merge" rule updates
 * existing entries regardless). A slot whose resolution failed (nothing
 * held) or whose mapping expired is taken over in place by a new IP met on
 * the same probe path: it stays occupied, so chains through it stay intact,
 * and a flood of unresolvable next hops cannot lock the table for good.
 *
 * A RESOLVED entry past its lifetime keeps being used while a refresh
 * request goes out (unicast-free: broadcast) once per retry period; if
 * max_retries go unanswered it falls back to INCOMPLETE and packets queue.
 */
#include <string.h>
#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include "hare_worker.h"
#include "arp.h"
#include "eth.h"

#define ARP_MASK (HARE_ARP_TABLE_SIZE - 1)

static inline uint32_t
arp_slot(uint32_t ip)
{
	return rte_hash_crc_4byte(ip, 0x5a5a5a5a) & ARP_MASK;
}

struct hare_arp_entry *
hare_arp_lookup(struct hare_worker *w, uint32_t ip)
{
	uint32_t i = arp_slot(ip);

	for (uint32_t n = 0; n < HARE_ARP_TABLE_SIZE; n++, i = (i + 1) & ARP_MASK) {
		struct hare_arp_entry *e = &w->arp.entries[i];

		if (e->state == HARE_ARP_FREE)
			return NULL;
		if (e->ip == ip)
			return e;
	}
	return NULL;
}

/* A slot another IP may take over: a failed resolution holding no
 * packets, or a mapping past its lifetime. */
static inline bool
arp_reclaimable(const struct hare_worker *w, const struct hare_arp_entry *e)
{
	return (e->state == HARE_ARP_INCOMPLETE && e->n_pending == 0) ||
	       (e->state == HARE_ARP_RESOLVED && w->now_ms >= e->expire_ms);
}

/* Find or create the entry for ip; NULL when the table is full of live
 * entries. */
static struct hare_arp_entry *
arp_get(struct hare_worker *w, uint32_t ip)
{
	struct hare_arp_entry *reuse = NULL;
	uint32_t i = arp_slot(ip);

	for (uint32_t n = 0; n < HARE_ARP_TABLE_SIZE; n++, i = (i + 1) & ARP_MASK) {
		struct hare_arp_entry *e = &w->arp.entries[i];

		if (e->ip == ip && e->state != HARE_ARP_FREE)
			return e;
		if (e->state == HARE_ARP_FREE) {
			if (reuse != NULL)
				break; /* ip is not in the table: take the stale slot */
			if (w->arp.n_used >= HARE_ARP_TABLE_SIZE - 1)
				return NULL; /* keep one FREE slot to end probes */
			w->arp.n_used++;
			reuse = e;
			break;
		}
		if (reuse == NULL && arp_reclaimable(w, e))
			reuse = e;
	}
	if (reuse != NULL) {
		memset(reuse, 0, sizeof(*reuse));
		reuse->ip = ip;
		reuse->state = HARE_ARP_INCOMPLETE;
	}
	return reuse;
}

/* Build and queue an ARP packet. Returns false (counted as drop_no_mbuf)
 * when no mbuf was available, so callers count only what was sent. */
static bool
arp_send(struct hare_worker *w, uint16_t op, uint32_t sip,
	 const struct rte_ether_addr *tha, uint32_t tip,
	 const struct rte_ether_addr *eth_dst)
{
	struct rte_mbuf *m = hare_alloc_mbuf(w);
	struct rte_arp_hdr *a;

	if (m == NULL)
		return false;
	a = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof(*a));
	if (a == NULL) {
		w->stats.drop_no_mbuf++;
		rte_pktmbuf_free(m);
		return false;
	}
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	rte_ether_addr_copy(&w->mac, &a->arp_data.arp_sha);
	a->arp_data.arp_sip = sip;
	rte_ether_addr_copy(tha, &a->arp_data.arp_tha);
	a->arp_data.arp_tip = tip;
	hare_eth_output(w, m, eth_dst, RTE_ETHER_TYPE_ARP);
	return true;
}

/* Our address on the prefix that holds ip, else our first address. */
static uint32_t
arp_source_for(const struct hare_worker *w, uint32_t ip)
{
	const struct hare_config *cfg = w->cfg;

	for (unsigned i = 0; i < cfg->n_ips; i++)
		if (((ip ^ cfg->ips[i].addr) & cfg->ips[i].netmask) == 0)
			return cfg->ips[i].addr;
	return cfg->n_ips ? cfg->ips[0].addr : 0;
}

static void
arp_request(struct hare_worker *w, struct hare_arp_entry *e)
{
	static const struct rte_ether_addr zero_mac;
	struct rte_ether_addr bcast;

	memset(&bcast, 0xff, sizeof(bcast));
	e->retries++;
	e->next_retry_ms = w->now_ms + w->cfg->arp_retry_ms;
	if (arp_send(w, RTE_ARP_OP_REQUEST, arp_source_for(w, e->ip), &zero_mac, e->ip, &bcast))
		w->stats.arp_tx_request++;
}

/* Take the packets held for e out of the hold queue, in arrival order:
 * send them (mac known) or free them (resolution failed). */
static void
arp_release_held(struct hare_worker *w, struct hare_arp_entry *e, bool send)
{
	struct hare_arp_table *t = &w->arp;
	uint32_t keep = 0;

	if (e->n_pending == 0)
		return;
	for (uint32_t i = 0; i < t->n_held; i++) {
		if (t->held[i].ip != e->ip) {
			t->held[keep++] = t->held[i];
		} else if (send) {
			hare_eth_output(w, t->held[i].m, &e->mac, RTE_ETHER_TYPE_IPV4);
		} else {
			rte_pktmbuf_free(t->held[i].m);
			w->stats.drop_arp_unresolved++;
		}
	}
	t->n_held = keep;
	e->n_pending = 0;
}

static void
arp_learn(struct hare_worker *w, struct hare_arp_entry *e, const struct rte_ether_addr *mac)
{
	rte_ether_addr_copy(mac, &e->mac);
	e->state = HARE_ARP_RESOLVED;
	e->retries = 0;
	e->expire_ms = w->now_ms + w->cfg->arp_timeout_ms;
	arp_release_held(w, e, true);
}

/* Tell the other workers (hare_workers_link) what this one learned from
 * the wire. A full inbox loses the message: that worker then resolves by
 * itself, its reply landing here and being published again. */
static void
arp_publish(struct hare_worker *w, uint32_t ip, const struct rte_ether_addr *mac)
{
	struct hare_arp_msg msg = { .ip = ip, .mac = *mac };

	for (unsigned i = 0; i < w->n_workers && w->peers != NULL; i++) {
		struct hare_worker *peer = w->peers[i];

		if (peer == w || peer->arp_inbox == NULL)
			continue;
		if (rte_ring_mp_enqueue_elem(peer->arp_inbox, &msg, sizeof(msg)) != 0)
			w->stats.arp_share_lost++;
	}
}

void
hare_arp_drain_inbox(struct hare_worker *w)
{
	struct hare_arp_msg msgs[32];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst_elem(w->arp_inbox, msgs, sizeof(msgs[0]),
						   RTE_DIM(msgs), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct hare_arp_entry *e = hare_arp_lookup(w, msgs[i].ip);

			/* Only next hops this worker uses or may use soon: an
			 * existing entry, or room below the flood bound. */
			if (e == NULL && w->arp.n_used < HARE_ARP_TABLE_SIZE * 3 / 4)
				e = arp_get(w, msgs[i].ip);
			if (e != NULL)
				arp_learn(w, e, &msgs[i].mac);
		}
	}
}

void
hare_arp_input(struct hare_worker *w, struct rte_mbuf *m)
{
	struct rte_arp_hdr *a;
	struct hare_arp_entry *e;
	uint16_t op;
	uint32_t sip, tip;
	bool for_us;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*a))) {
		w->stats.drop_bad_len++;
		goto out;
	}
	a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (unlikely(a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		     a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     a->arp_hlen != RTE_ETHER_ADDR_LEN || a->arp_plen != 4)) {
		w->stats.drop_bad_header++;
		goto out;
	}
	op = rte_be_to_cpu_16(a->arp_opcode);
	if (unlikely(op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)) {
		w->stats.drop_bad_header++;
		goto out;
	}
	/* Never believe a group address (RFC 1812 §3.3.2) or all-zero one as a
	 * host's MAC: frames sent to it would go nowhere or everywhere. */
	if (unlikely(!rte_is_valid_assigned_ether_addr(&a->arp_data.arp_sha))) {
		w->stats.drop_martian++;
		goto out;
	}
	sip = a->arp_data.arp_sip;
	tip = a->arp_data.arp_tip;
	for_us = hare_config_ip_index(w->cfg, tip) >= 0;
	if (op == RTE_ARP_OP_REQUEST)
		w->stats.arp_rx_request++;
	else
		w->stats.arp_rx_reply++;

	/* RFC 826 merge: update an existing entry for the sender; create one
	 * only when the packet is for us (sender will talk to us) and a probe's
	 * zero sender address is not being announced. */
	if (sip != 0) {
		e = hare_arp_lookup(w, sip);
		if (e == NULL && for_us && w->arp.n_used < HARE_ARP_TABLE_SIZE * 3 / 4)
			e = arp_get(w, sip);
		if (e != NULL) {
			arp_learn(w, e, &a->arp_data.arp_sha);
			if (w->n_workers > 1)
				arp_publish(w, sip, &a->arp_data.arp_sha);
		}
	}
	if (!for_us) {
		if (op == RTE_ARP_OP_REQUEST || sip == 0)
			w->stats.drop_not_for_us++;
		goto out;
	}
	if (op == RTE_ARP_OP_REQUEST) {
		/* Answer in a fresh mbuf so the request can be freed as usual. */
		struct rte_ether_addr sha = a->arp_data.arp_sha;

		if (arp_send(w, RTE_ARP_OP_REPLY, tip, &sha, sip, &sha))
			w->stats.arp_tx_reply++;
	}
out:
	rte_pktmbuf_free(m);
}

void
hare_arp_output(struct hare_worker *w, struct rte_mbuf *m, uint32_t nh)
{
	struct hare_arp_entry *e = hare_arp_lookup(w, nh);

	if (likely(e != NULL && e->state == HARE_ARP_RESOLVED)) {
		if (unlikely(w->now_ms >= e->expire_ms && w->now_ms >= e->next_retry_ms)) {
			if (e->retries >= w->cfg->arp_max_retries) {
				e->state = HARE_ARP_INCOMPLETE; /* stale: resolve anew */
				e->retries = 0;
				goto incomplete;
			}
			arp_request(w, e);
		}
		hare_eth_output(w, m, &e->mac, RTE_ETHER_TYPE_IPV4);
		return;
	}
	if (e == NULL) {
		e = arp_get(w, nh);
		if (e == NULL) {
			w->stats.drop_arp_unresolved++;
			rte_pktmbuf_free(m);
			return;
		}
	}
incomplete:
	if (e->n_pending == HARE_ARP_PENDING_MAX || w->arp.n_held == HARE_ARP_HOLD_MAX) {
		w->stats.drop_arp_unresolved++;
		rte_pktmbuf_free(m);
		return;
	}
	w->arp.held[w->arp.n_held].ip = nh;
	w->arp.held[w->arp.n_held].m = m;
	w->arp.n_held++;
	e->n_pending++;
	/* A failed resolution starts over on the next packet. */
	if (e->retries == 0 || e->retries >= w->cfg->arp_max_retries) {
		e->retries = 0;
		arp_request(w, e);
	}
}

void
hare_arp_tick(struct hare_worker *w)
{
	if (w->arp.n_used == 0)
		return;
	for (uint32_t i = 0; i < HARE_ARP_TABLE_SIZE; i++) {
		struct hare_arp_entry *e = &w->arp.entries[i];

		if (e->state != HARE_ARP_INCOMPLETE || e->n_pending == 0 ||
		    w->now_ms < e->next_retry_ms)
			continue;
		if (e->retries >= w->cfg->arp_max_retries)
			arp_release_held(w, e, false);
		else
			arp_request(w, e);
	}
}

void
hare_arp_announce(struct hare_worker *w)
{
	static const struct rte_ether_addr zero_mac;
	struct rte_ether_addr bcast;

	memset(&bcast, 0xff, sizeof(bcast));
	for (unsigned i = 0; i < w->cfg->n_ips; i++) {
		uint32_t ip = w->cfg->ips[i].addr;

		if (arp_send(w, RTE_ARP_OP_REQUEST, ip, &zero_mac, ip, &bcast))
			w->stats.arp_tx_gratuitous++;
	}
}

void
hare_arp_flush_all(struct hare_worker *w)
{
	for (uint32_t i = 0; i < w->arp.n_held; i++)
		rte_pktmbuf_free(w->arp.held[i].m);
	w->arp.n_held = 0;
	for (uint32_t i = 0; i < HARE_ARP_TABLE_SIZE; i++)
		w->arp.entries[i].n_pending = 0;
}
