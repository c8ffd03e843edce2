/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load: log-linear latency histogram (HdrHistogram-like), fixed memory.
 *
 * Values are nanoseconds. Values below 2^HIST_SUB_BITS are counted exactly;
 * above, each power-of-two range [2^e, 2^(e+1)) is split into 2^HIST_SUB_BITS
 * equal buckets, so a bucket is at most 2^-HIST_SUB_BITS = 1/128 of its lower
 * bound wide. Percentiles report the bucket's midpoint (clamped to the exact
 * min/max), so the relative error against the true sample is at most
 * 1/256 ≈ 0.4% for every value (the bound we state: ≤ 1% across 1 µs … 100 s,
 * in fact across 0 … HIST_MAX_VALUE).
 *
 * Values above HIST_MAX_VALUE (2^40-1 ns ≈ 18.3 minutes) are recorded as
 * HIST_MAX_VALUE and counted in `clamped`.
 *
 * record() is a leading-zero count, two shifts, one count increment and
 * 128-bit sums: no loop, no division, no malloc, no branch beyond the range
 * check and min/max. count, min, max, sum and sum of
 * squares are exact, so mean is exact and stdev is computed without
 * bucket error; merge() of two histograms equals recording both streams.
 */
#ifndef HARE_HISTOGRAM_H
#define HARE_HISTOGRAM_H

#include <stdint.h>
#include <stdbool.h>

#define HIST_SUB_BITS   7                       /* 128 sub-buckets per octave */
#define HIST_SUB_COUNT  (1u << HIST_SUB_BITS)
#define HIST_MAX_BITS   40                      /* values < 2^40 ns */
#define HIST_MAX_VALUE  ((UINT64_C(1) << HIST_MAX_BITS) - 1)
/* linear region + one row of HIST_SUB_COUNT per octave 2^7 .. 2^39 */
#define HIST_BUCKETS    ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT)

/* One histogram (~34 KiB); keep one per worker and merge for reports. */
struct hist {
	uint64_t count;
	uint64_t min, max;          /* exact; min = UINT64_MAX when empty */
	uint64_t clamped;           /* values above HIST_MAX_VALUE */
	unsigned __int128 sum;      /* exact sum of recorded values */
	unsigned __int128 sumsq;    /* exact sum of squares (values < 2^40) */
	uint64_t buckets[HIST_BUCKETS];
};

void hist_reset(struct hist *h);

/*
 * Bucket index of a value (exposed for tests), without a branch: with
 * shift = max(e - HIST_SUB_BITS, 0) for 2^e <= v < 2^(e+1), v >> shift is
 * in [2^SUB_BITS, 2^(SUB_BITS+1)) above the linear region, so
 * shift * SUB_COUNT + (v >> shift) = (shift + 1) * SUB_COUNT + sub; in the
 * linear region (v < 2^(SUB_BITS+1)) shift is 0 and the index is v itself.
 * v | 2^SUB_BITS makes e >= SUB_BITS (and clz defined for v = 0).
 */
static inline uint32_t hist_index(uint64_t v)
{
	unsigned shift = (63u - HIST_SUB_BITS) -
			 (unsigned)__builtin_clzll(v | HIST_SUB_COUNT);
	return (uint32_t)((shift << HIST_SUB_BITS) + (uint32_t)(v >> shift));
}

/* Record one value in nanoseconds. */
static inline void hist_record(struct hist *h, uint64_t ns)
{
	if (ns > HIST_MAX_VALUE) {
		ns = HIST_MAX_VALUE;
		h->clamped++;
	}
	h->buckets[hist_index(ns)]++;
	h->count++;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->sum += ns;
	h->sumsq += (unsigned __int128)ns * ns;
}

/* Add src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Lowest and highest value of bucket idx (inclusive). */
uint64_t hist_bucket_low(uint32_t idx);
uint64_t hist_bucket_high(uint32_t idx);

/*
 * Value at percentile p (0..100), nearest-rank: the smallest recorded value
 * such that at least p% of the values are <= it (rank = ceil(p/100 * count),
 * at least 1). Reported as its bucket's midpoint clamped to [min, max];
 * the first and last ranks report the exact min and max.
 * 0 when empty.
 */
uint64_t hist_percentile(const struct hist *h, double p);

double hist_mean(const struct hist *h);    /* 0 when empty */
/* Sample standard deviation (n - 1 denominator, as wrk); 0 when count < 2. */
double hist_stdev(const struct hist *h);
static inline uint64_t hist_min(const struct hist *h) { return h->count ? h->min : 0; }
static inline uint64_t hist_max(const struct hist *h) { return h->max; }
static inline uint64_t hist_count(const struct hist *h) { return h->count; }

#endif /* HARE_HISTOGRAM_H */
