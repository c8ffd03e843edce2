/* mbuf_stash.h — a per-worker stack of free mbufs, recycled without the
 * mempool.
 *
 * The stack frees single-segment mbufs (received ACKs, acknowledged
 * send-queue entries) and allocates header mbufs (ACKs, data segments)
 * on the same core, often in the same burst. A round trip through the
 * mempool (rte_pktmbuf_free_seg + rte_pktmbuf_alloc: lcore cache lookup,
 * length checks, bounds) costs ~100 instructions; through this stash
 * ~25. It is what the mempool cache does, minus the per-lcore indexing,
 * since a worker is its own lcore.
 *
 * An mbuf enters only after rte_pktmbuf_prefree_seg() (refcount dropped
 * to zero, indirect/external buffers detached), exactly the state in
 * which rte_pktmbuf_free_seg() would hand it to the mempool, and only
 * if it belongs to the worker's pool. Popping resets it as
 * rte_pktmbuf_alloc() does; an empty stash takes HARE_STASH_REFILL
 * mbufs from the pool in one bulk get. A full stash returns its upper half in one
 * bulk put. hare_worker_fini() drains it, so leak checks that count the
 * pool's in-use objects after fini see the truth; mid-run counts must
 * subtract hare_mbuf_stash_count() (the test harness does).
 */
#ifndef HARE_MBUF_STASH_H
#define HARE_MBUF_STASH_H

#include <stdint.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <string.h>

/* the byte of the 64-bit ol_flags holding bits 56..63 */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
#define HARE_OLF_TOP 7
#else
#define HARE_OLF_TOP 0
#endif
_Static_assert(((RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL) >> 56) << 56 ==
	       (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL),
	       "hare_stash_free_fast tests the indirect/external flags in ol_flags' top byte");
_Static_assert(offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, refcnt) + 2 &&
	       sizeof(((struct rte_mbuf *)0)->refcnt) == 2 &&
	       sizeof(((struct rte_mbuf *)0)->nb_segs) == 2,
	       "hare_stash_free_seg reads refcnt and nb_segs as one 32-bit word");

#define HARE_STASH_SIZE 64   /* two TX bursts' worth */

/* Free mbufs of one worker's pool, most recently freed on top. */
struct hare_mbuf_stash {
	uint32_t n;
	struct rte_mbuf *m[HARE_STASH_SIZE];
};

#define HARE_STASH_REFILL 16  /* taken from the pool in one bulk get */

/* A reset mbuf from the stash, refilled from mp in bulk when empty (the
 * app frees what it receives straight to the pool, so a receiver's stash
 * runs dry); NULL when the pool is empty too. */
static inline struct rte_mbuf *
hare_stash_alloc(struct hare_mbuf_stash *s, struct rte_mempool *mp)
{
	struct rte_mbuf *m;

	if (unlikely(s->n == 0)) {
		if (rte_mempool_get_bulk(mp, (void **)s->m, HARE_STASH_REFILL) < 0)
			return rte_pktmbuf_alloc(mp); /* fewer left: one at a time */
		s->n = HARE_STASH_REFILL;
	}
	m = s->m[--s->n];
	rte_pktmbuf_reset(m);
	return m;
}

/* The rare cases of hare_stash_free_seg, out of line so that the common
 * one stays small enough to inline everywhere. */
static __rte_noinline void
hare_stash_free_seg_slow(struct hare_mbuf_stash *s, struct rte_mempool *mp, struct rte_mbuf *m)
{
	m = rte_pktmbuf_prefree_seg(m);
	if (unlikely(m == NULL))
		return; /* still referenced (an indirect mbuf in the TX ring) */
	if (unlikely(m->pool != mp)) {
		rte_mbuf_raw_free(m);
		return;
	}
	if (unlikely(s->n == HARE_STASH_SIZE)) {
		rte_mempool_put_bulk(mp, (void **)&s->m[HARE_STASH_SIZE / 2], HARE_STASH_SIZE / 2);
		s->n = HARE_STASH_SIZE / 2;
	}
	s->m[s->n++] = m;
}

/* The common free of hare_stash_free_seg alone: m — ours, direct, sole
 * reference, no chain — pushed if the stash has room; false, having done
 * nothing, for any other m (for callers that finish elsewhere). */
static __rte_always_inline bool
hare_stash_free_fast(struct hare_mbuf_stash *s, struct rte_mempool *mp, struct rte_mbuf *m)
{
	uint32_t ref_segs;
	uint8_t flags_hi;

	/* refcnt == 1 and nb_segs == 1: the two adjacent 16-bit fields in
	 * one load (the value reads the same in either byte order) */
	memcpy(&ref_segs, &m->refcnt, sizeof(ref_segs));
	/* RTE_MBUF_DIRECT: the indirect/external flags, in ol_flags' top
	 * byte, tested there (no 64-bit mask to build) */
	memcpy(&flags_hi, (const char *)&m->ol_flags + HARE_OLF_TOP, 1);
	if (likely(m->pool == mp && ref_segs == (1u | 1u << 16) &&
		   !(flags_hi & ((RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL) >> 56)) &&
		   m->next == NULL && s->n < HARE_STASH_SIZE)) {
		s->m[s->n++] = m;
		return true;
	}
	return false;
}

/* rte_pktmbuf_free_seg(m), keeping m in the stash when it is ours. The
 * common mbuf is pushed here; everything else goes through
 * rte_pktmbuf_prefree_seg in the slow path. */
static __rte_always_inline void
hare_stash_free_seg(struct hare_mbuf_stash *s, struct rte_mempool *mp, struct rte_mbuf *m)
{
	if (likely(hare_stash_free_fast(s, mp, m)))
		return;
	hare_stash_free_seg_slow(s, mp, m);
}

/* Return everything to mp (worker teardown, leak checks). */
static inline void
hare_stash_drain(struct hare_mbuf_stash *s, struct rte_mempool *mp)
{
	if (s->n)
		rte_mempool_put_bulk(mp, (void **)s->m, s->n);
	s->n = 0;
}

#endif
