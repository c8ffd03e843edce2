/* tcp_flow.c — per-worker TCP tables: the flow table (4-tuple -> connection
 * or TIME_WAIT entry), the connection and TIME_WAIT slabs, listeners, ISN
 * generation (RFC 6528) and worker init/fini.
 *
 * Call chains:
 *   hare_worker_init() -> hare_tcp_worker_init()
 *   hare_tcp_input() -> tcp_flow_hash() -> tcp_flow_lookup()
 *   tcp_input_listen()/hare_tcp_connect() -> tcp_conn_alloc() -> tcp_flow_insert()
 *   close paths -> tcp_conn_closed() -> tcp_conn_release() -> (zombie list)
 *               -> tcp_reap_zombies() at the end of the event
 *   FIN_WAIT_2/CLOSING -> tcp_enter_time_wait() -> TIME_WAIT FIFO
 *
 * Decisions:
 * - Connections live in one slab per worker (rte_zmalloc'ed array, LIFO
 *   free list) rather than an rte_mempool: the same "no malloc per
 *   connection" property, plus a 32-bit index for every connection, which
 *   halves the flow-table slot (8 bytes: hash + index) and lets the timer
 *   wheel link connections by index.
 * - The flow table is open addressing with linear probing at load <= 0.5
 *   and backward-shift deletion (no tombstones, so lookups stay short
 *   under churn). The slot stores the full hash; the tuple is compared
 *   only on a hash match.
 * - TIME_WAIT entries are 48-byte records in their own slab. All have the
 *   same lifetime, so their timer is a FIFO (expiry order = insertion
 *   order): O(1) with no per-entry timer node. A refreshed entry (FIN
 *   retransmitted) keeps its place and is re-queued when it reaches the
 *   head early.
 */
#include <errno.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_thash.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_cycles.h>
#include "tcp_impl.h"
#include "boot_secret.h"
#include "ipv4.h"

static const struct rte_mbuf_dynfield tcp_meta_desc = {
	.name = "hare_tcp_meta",
	.size = sizeof(struct tcp_mbuf_meta),
	.align = __alignof__(struct tcp_mbuf_meta),
};

/* ---- flow table ---------------------------------------------------- */

uint32_t
tcp_flow_hash_rss(const struct hare_tcp_ctx *x, const struct tcp_tuple *t)
{
	/* Toeplitz over (src ip, dst ip, src port, dst port) of the packet as
	 * received: remote -> local. */
	uint32_t in[3];

	in[0] = rte_be_to_cpu_32(t->raddr);
	in[1] = rte_be_to_cpu_32(t->laddr);
	in[2] = ((uint32_t)rte_be_to_cpu_16(t->rport) << 16) | rte_be_to_cpu_16(t->lport);
	return rte_softrss(in, 3, x->rss_key);
}

/* tcp_flow_insert's body, inline for the connection slab's alloc (every
 * open). */
static __rte_always_inline int
flow_insert(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & x->slot_mask;

	if (x->n_flows >= (x->slot_mask + 1) / 2)
		return -ENOSPC;
	while (x->slots[i].ref != 0)
		i = (i + 1) & x->slot_mask;
	x->slots[i].hash = hash;
	x->slots[i].ref = ref;
	x->n_flows++;
	return 0;
}

int
tcp_flow_insert(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref)
{
	return flow_insert(x, hash, ref);
}

/* tcp_flow_remove's body, inline where TIME_WAIT entries expire (one per
 * connection: the timer run's main work). */
static __rte_always_inline void
flow_remove(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref)
{
	uint32_t mask = x->slot_mask, i = hash & mask, j;

	while (x->slots[i].ref != ref) {
		if (x->slots[i].ref == 0)
			return; /* not present */
		i = (i + 1) & mask;
	}
	/* Backward-shift deletion (Knuth 6.4 algorithm R). */
	j = i;
	for (;;) {
		uint32_t k;

		j = (j + 1) & mask;
		if (x->slots[j].ref == 0)
			break;
		k = x->slots[j].hash & mask;
		/* move j to i unless k lies cyclically in (i, j] */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		x->slots[i] = x->slots[j];
		i = j;
	}
	x->slots[i].ref = 0;
	x->n_flows--;
}

void
tcp_flow_remove(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref)
{
	flow_remove(x, hash, ref);
}

/* ---- ISN (RFC 6528): ISN = M + F(tuple, secret), M a 4 µs clock ------ */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); } while (0)

/* SipHash-1-3 of the 12-byte tuple: RFC 6528 §3's F, a pseudorandom
 * function of the tuple and a secret that cannot be computed from outside.
 * SipHash with one compression and three finalization rounds (the variant
 * Rust's and Python's hash tables key against flooding) rather than
 * SipHash-2-4: 5 rounds instead of 8 on every open. Not a CRC: a keyed
 * CRC is affine in the tuple, so one observed ISN would give every other
 * tuple's offset. v[] is the key-dependent initial state (tcp_isn_init). */
static uint64_t
siphash_tuple(const uint64_t v[4], const struct tcp_tuple *t)
{
	uint64_t v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
	uint64_t m0, m1;

	memcpy(&m0, t, 8);
	m1 = 0;
	memcpy(&m1, (const char *)t + 8, 4);
	m1 |= (uint64_t)12 << 56;
	v3 ^= m0; SIPROUND; v0 ^= m0;
	v3 ^= m1; SIPROUND; v0 ^= m1;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The SipHash state after the key, and the TSC ticks per 4 µs (M below),
 * both fixed for the worker's life. */
static void
tcp_isn_init(struct hare_tcp_ctx *x)
{
	const uint64_t *k = x->isn_key;

	x->isn_v[0] = 0x736f6d6570736575ULL ^ k[0];
	x->isn_v[1] = 0x646f72616e646f6dULL ^ k[1];
	x->isn_v[2] = 0x6c7967656e657261ULL ^ k[0];
	x->isn_v[3] = 0x7465646279746573ULL ^ k[1];
	x->isn_tsc_div = rte_get_tsc_hz() / 250000 + 1;
}

/* RFC 6528 ISN for a tuple whose F() = prf was computed by the caller. */
static uint32_t
tcp_isn_from(const struct hare_tcp_ctx *x, uint64_t prf)
{
	if (x->isn_fixed_set)
		return x->isn_fixed;
	/* M: 4 µs ticks from the TSC (not now_ms: two connections in the same
	 * ms to the same tuple must still differ). */
	uint64_t us4 = rte_get_tsc_cycles() / x->isn_tsc_div;

	return (uint32_t)us4 + (uint32_t)prf;
}

/* ---- connections --------------------------------------------------- */


/* Choose the ISS (RFC 6528) and the timestamp offset, and set the common
 * initial values. One SipHash of the tuple serves both (it is the
 * expensive part of a connection set-up). */
static __rte_always_inline void
conn_init_common(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	const struct hare_tcp_cfg *tc = &x->w->cfg->tcp;
	uint64_t prf = siphash_tuple(x->isn_v, &c->t);

	c->iss = tcp_isn_from(x, prf);

	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->rxt_high = c->iss;
	c->dupthresh = TCP_DUPTHRESH;
	c->rto = tc->rto_initial_ms;
	c->mss = TCP_DEFAULT_MSS;
	c->rcv_mss = TCP_DEFAULT_MSS;
	c->ts_offset = (uint32_t)prf >> 3;
	c->ssthresh = UINT32_MAX / 2;
	c->rexmt_stamp = tcp_now(x->w) - 1; /* no ACK has restarted the timer yet */
}

/* A new connection for tuple t (flow hash `hash`): in the flow table,
 * zeroed, its ISS, timestamp offset and common initial values set
 * (conn_init_common); NULL when the slab or the table is full. */
struct hare_tcp_conn *
tcp_conn_alloc(struct hare_tcp_ctx *x, const struct tcp_tuple *t, uint32_t hash)
{
	struct hare_tcp_conn *c;
	uint32_t idx = x->conn_free;

	if (idx == TCP_NONE)
		return NULL;
	if (flow_insert(x, hash, idx + 1) < 0)
		return NULL;
	c = &x->conns[idx];
	x->conn_free = c->t_next;
	memset(c, 0, sizeof(*c));
	c->t = *t;
	c->hash = hash;
	c->t_next = c->t_prev = TCP_NONE;
	c->zombie_next = TCP_NONE;
	c->w = x->w;
	x->n_conns++;
	conn_init_common(x, c);
	return c;
}

/* Unlink the timer node and free both queues; runs twice per connection
 * (release, reap), usually with nothing to do: the calls only when there
 * is. */
static void
conn_free_resources(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	if (c->t_linked)
		tcp_timer_unlink(x, c);
	if (c->sndq_head != NULL)
		tcp_sndq_purge(c);
	c->snd_cur = NULL;
	c->snd_buffered = 0;
	if (c->ooo_head != NULL)
		tcp_ooo_purge(x, c);
}

/* Remove from the flow table at once, free later (the caller may still be
 * inside input processing or an app callback for this conn). */
static __rte_always_inline void
conn_release(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	if (c->flags & TF_DEAD)
		return;
	c->flags |= TF_DEAD;
	c->state = HARE_TCP_CLOSED;
	if (!(c->flags & TF_UNHASHED))
		tcp_flow_remove(x, c->hash, tcp_conn_idx(x, c) + 1);
	conn_free_resources(x, c);
	c->t_rexmt = c->t_delack = c->t_keep = 0;
	c->zombie_next = x->zombies;
	x->zombies = tcp_conn_idx(x, c);
}

void
tcp_conn_release(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	conn_release(x, c);
}

void
tcp_reap_zombies(struct hare_tcp_ctx *x)
{
	while (x->zombies != TCP_NONE) {
		uint32_t idx = x->zombies;
		struct hare_tcp_conn *c = &x->conns[idx];

		x->zombies = c->zombie_next;
		/* anything queued after release (app sent from on_closed) */
		conn_free_resources(x, c);
		c->t_next = x->conn_free;
		c->flags = 0;
		x->conn_free = idx;
		x->n_conns--;
		x->w->stats.tcp_conn_closed++;
	}
}

/* Final transition to CLOSED: tell the app (unless it closed/aborted or
 * never saw the conn) and release. */
static __rte_always_inline void
conn_closed(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, enum hare_tcp_close_reason why)
{
	bool tell;

	if (c->flags & TF_DEAD)
		return;
	/* a passive conn still unaccepted counts against its listener */
	if (!(c->flags & TF_ACTIVE) && !(c->flags & TF_ACCEPTED) &&
	    x->listeners[c->lidx].pending > 0)
		x->listeners[c->lidx].pending--;
	tell = !(c->flags & TF_ORPHAN) &&
	       ((c->flags & TF_ACCEPTED) || (c->flags & TF_ACTIVE)) && c->ops && c->ops->on_closed;
	conn_release(x, c);
	if (tell)
		c->ops->on_closed(c, why);
}

void
tcp_conn_closed(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, enum hare_tcp_close_reason why)
{
	conn_closed(x, c, why);
}

/* ---- TIME_WAIT ----------------------------------------------------- */

static __rte_always_inline void
tw_remove(struct hare_tcp_ctx *x, uint32_t idx)
{
	struct tcp_tw *tw = &x->tw[idx];

	if (!tw->in_use)
		return;
	flow_remove(x, tw->hash, (idx + 1) | TCP_REF_TW);
	tw->in_use = 0; /* stays in the FIFO; skipped and freed at the head */
	x->n_tw--;
}

void
tcp_tw_remove(struct hare_tcp_ctx *x, uint32_t idx)
{
	tw_remove(x, idx);
}

static void
tw_fifo_pop_free(struct hare_tcp_ctx *x)
{
	uint32_t idx = x->tw_head;
	struct tcp_tw *tw = &x->tw[idx];

	x->tw_head = tw->next;
	if (x->tw_head == TCP_NONE)
		x->tw_tail = TCP_NONE;
	tw->next = x->tw_free;
	x->tw_free = idx;
}

static void
tw_fifo_push(struct hare_tcp_ctx *x, uint32_t idx)
{
	x->tw[idx].next = TCP_NONE;
	if (x->tw_tail == TCP_NONE)
		x->tw_head = idx;
	else
		x->tw[x->tw_tail].next = idx;
	x->tw_tail = idx;
}

/* Expire TIME_WAIT entries at the FIFO head (called from the timers). */
void tcp_tw_expire(struct hare_tcp_ctx *x);
void
tcp_tw_expire(struct hare_tcp_ctx *x)
{
	uint32_t now = tcp_now(x->w);

	while (x->tw_head != TCP_NONE) {
		uint32_t idx = x->tw_head;
		struct tcp_tw *tw = &x->tw[idx];

		if (tw->in_use && !TIME_LEQ(tw->expire, now)) {
			/* a refreshed entry reached the head before its time:
			 * requeue it at the tail (its expiry is the latest) */
			if (tw->refreshed && tw->next != TCP_NONE) {
				tw->refreshed = 0;
				x->tw_head = tw->next;
				tw_fifo_push(x, idx);
				continue;
			}
			break;
		}
		if (tw->in_use)
			tw_remove(x, idx);
		tw_fifo_pop_free(x);
	}
}

/* The flow slot holding old_ref (tuple hash `hash`) now holds new_ref: a
 * connection's tuple handed to its TIME_WAIT entry in place, without the
 * removal's backward shift and a new insertion's probe. */
static void
tcp_flow_rekey(struct hare_tcp_ctx *x, uint32_t hash, uint32_t old_ref, uint32_t new_ref)
{
	uint32_t i = hash & x->slot_mask;

	while (x->slots[i].ref != old_ref) {
		if (unlikely(x->slots[i].ref == 0)) {
			/* not in the table (never expected: a live connection
			 * is): insert; the load bound leaves room (one out,
			 * one in) */
			(void)tcp_flow_insert(x, hash, new_ref);
			return;
		}
		i = (i + 1) & x->slot_mask;
	}
	x->slots[i].ref = new_ref;
}

/* RFC 9293 §3.10.7.4: c enters TIME-WAIT. Its compact entry takes the
 * tuple's flow slot in place (TF_UNHASHED: the release leaves the table
 * alone), then the connection closes as any other. */
void
tcp_enter_time_wait(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	struct hare_worker *w = x->w;
	struct tcp_tw *tw;
	uint32_t idx, wnd;

	if (unlikely(c->flags & TF_DEAD))
		return;
	w->stats.tcp_time_wait++;
	if (w->cfg->tcp.time_wait_ms == 0 || x->max_tw == 0) {
		tcp_conn_closed(x, c, HARE_TCP_CLOSE_NORMAL);
		return;
	}
	/* full: recycle the oldest entry early (counted as a normal expiry) */
	if (x->tw_free == TCP_NONE) {
		while (x->tw_head != TCP_NONE && x->tw_free == TCP_NONE) {
			if (x->tw[x->tw_head].in_use)
				tcp_tw_remove(x, x->tw_head);
			tw_fifo_pop_free(x);
		}
	}
	idx = x->tw_free;
	tw = &x->tw[idx];
	x->tw_free = tw->next;
	tw->t = c->t;
	tw->hash = c->hash;
	tw->snd_nxt = c->snd_max;
	tw->rcv_nxt = c->rcv_nxt;
	tw->ts_recent = c->ts_recent;
	tw->ts_offset = c->ts_offset;
	tw->expire = tcp_now(w) + w->cfg->tcp.time_wait_ms;
	wnd = tcp_rcv_window(c, w) >> c->rcv_wscale;
	tw->wnd = (uint16_t)(wnd > 65535 ? 65535 : wnd);
	tw->has_ts = (c->opt & TO_TS) != 0;
	tw->in_use = 1;
	tw->refreshed = 0;
	tcp_flow_rekey(x, c->hash, tcp_conn_idx(x, c) + 1, (idx + 1) | TCP_REF_TW);
	c->flags |= TF_UNHASHED;
	x->n_tw++;
	tw_fifo_push(x, idx);
	conn_closed(x, c, HARE_TCP_CLOSE_NORMAL);
}

/* ---- listeners ----------------------------------------------------- */

/* tcp_listener_find: inline in tcp_impl.h (every SYN looks it up) */

/* ---- worker init / fini ------------------------------------------- */

static uint32_t
next_pow2(uint64_t v)
{
	uint32_t p = 16;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

int
hare_tcp_worker_init(struct hare_worker *w)
{
	const struct hare_tcp_cfg *tc = &w->cfg->tcp;
	struct hare_tcp_ctx *x;
	int socket = w->pool ? w->pool->socket_id : SOCKET_ID_ANY;
	int off;

	if (tc->max_conns == 0 || tc->max_conns >= TCP_REF_TW / 2 ||
	    tc->max_time_wait >= TCP_REF_TW / 2)
		return -EINVAL;
	off = rte_mbuf_dynfield_register(&tcp_meta_desc);
	if (off < 0)
		return -rte_errno;
	x = rte_zmalloc_socket("hare_tcp_ctx", sizeof(*x), RTE_CACHE_LINE_SIZE, socket);
	if (x == NULL)
		return -ENOMEM;
	x->w = w;
	x->meta_off = off;
	x->slot_mask = next_pow2(2ull * ((uint64_t)tc->max_conns + tc->max_time_wait)) - 1;
	x->slots = rte_zmalloc_socket("hare_tcp_flows", (x->slot_mask + 1ull) * sizeof(struct tcp_slot),
				      RTE_CACHE_LINE_SIZE, socket);
	x->max_conns = tc->max_conns;
	x->conns = rte_zmalloc_socket("hare_tcp_conns", (size_t)x->max_conns * sizeof(struct hare_tcp_conn),
				      RTE_CACHE_LINE_SIZE, socket);
	x->max_tw = tc->max_time_wait;
	x->tw = x->max_tw ? rte_zmalloc_socket("hare_tcp_tw", (size_t)x->max_tw * sizeof(struct tcp_tw),
					       RTE_CACHE_LINE_SIZE, socket) : NULL;
	x->wheel = rte_malloc_socket("hare_tcp_wheel", TCP_WHEEL_SLOTS * sizeof(uint32_t),
				     RTE_CACHE_LINE_SIZE, socket);
	if (x->slots == NULL || x->conns == NULL || (x->max_tw && x->tw == NULL) || x->wheel == NULL) {
		rte_free(x->slots); rte_free(x->conns); rte_free(x->tw); rte_free(x->wheel);
		rte_free(x);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < x->max_conns; i++)
		x->conns[i].t_next = i + 1 < x->max_conns ? i + 1 : TCP_NONE;
	x->conn_free = 0;
	for (uint32_t i = 0; i < x->max_tw; i++)
		x->tw[i].next = i + 1 < x->max_tw ? i + 1 : TCP_NONE;
	x->tw_free = x->max_tw ? 0 : TCP_NONE;
	x->tw_head = x->tw_tail = TCP_NONE;
	for (uint32_t i = 0; i < TCP_WHEEL_SLOTS; i++)
		x->wheel[i] = TCP_NONE;
	x->wheel_last = tcp_now(w);
	x->zombies = TCP_NONE;
	/* per boot, not per process: see boot_secret.c (falls back to random) */
	(void)hare_boot_secret(x->isn_key);
	tcp_isn_init(x);
	x->next_port = (uint16_t)(TCP_EPHEMERAL_LO + rte_rand() % (TCP_EPHEMERAL_HI - TCP_EPHEMERAL_LO));
	x->cc = &tcp_cc_newreno;
	w->tcp = x;
	return 0;
}

void
hare_tcp_worker_fini(struct hare_worker *w)
{
	struct hare_tcp_ctx *x = w->tcp;

	if (x == NULL)
		return;
	for (uint32_t i = 0; i < x->max_conns; i++) {
		struct hare_tcp_conn *c = &x->conns[i];

		if (c->w != NULL && !(c->flags & TF_DEAD) && c->state != HARE_TCP_CLOSED) {
			c->flags |= TF_ORPHAN;
			tcp_conn_release(x, c);
		}
	}
	tcp_reap_zombies(x);
	rte_free(x->slots);
	rte_free(x->conns);
	rte_free(x->tw);
	rte_free(x->wheel);
	rte_free(x);
	w->tcp = NULL;
}

void
hare_tcp_set_rss_key(struct hare_worker *w, const uint8_t *key, uint32_t len)
{
	if (!(w->offloads & HARE_OFFLOAD_RSS) || len < 40)
		return;
	w->tcp->rss_key = key;
	w->tcp->rss_key_len = len;
}

void
hare_tcp_test_fix_isn(struct hare_worker *w, uint32_t isn)
{
	w->tcp->isn_fixed_set = true;
	w->tcp->isn_fixed = isn;
}

uint32_t
hare_tcp_conn_count(const struct hare_worker *w)
{
	return w->tcp ? w->tcp->n_conns : 0;
}

uint32_t
hare_tcp_time_wait_count(const struct hare_worker *w)
{
	return w->tcp ? w->tcp->n_tw : 0;
}
