/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hare-load: log-linear latency histogram (see histogram.h for the layout
 * and the error bound).
 */
#include "histogram.h"

#include <math.h>
#include <string.h>

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (uint32_t i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_bucket_low(uint32_t idx)
{
	if (idx < HIST_SUB_COUNT)
		return idx;
	uint32_t shift = idx / HIST_SUB_COUNT - 1;
	uint64_t sub = idx % HIST_SUB_COUNT;
	return (UINT64_C(1) << (shift + HIST_SUB_BITS) | sub << shift);
}

uint64_t hist_bucket_high(uint32_t idx)
{
	if (idx < HIST_SUB_COUNT)
		return idx;
	uint32_t shift = idx / HIST_SUB_COUNT - 1;
	return hist_bucket_low(idx) + (UINT64_C(1) << shift) - 1;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	/* nearest rank; the small epsilon keeps e.g. 99.9% of 1000 at rank 999 */
	double r = ceil(p / 100.0 * (double)h->count - 1e-9);
	uint64_t rank = r < 1 ? 1 : (uint64_t)r;
	if (rank >= h->count)
		return h->max;  /* the ends are known exactly */
	if (rank == 1)
		return h->min;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);
			uint64_t v = lo + (hi - lo) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	if (h->count == 0)
		return 0;
	return (double)((long double)h->sum / (long double)h->count);
}

double hist_stdev(const struct hist *h)
{
	if (h->count < 2)
		return 0;
	/*
	 * Sum of squared deviations ss = sumsq - sum^2/n without cancellation:
	 * with sum = q*n + r (0 <= r < n), sum^2/n = q^2*n + 2*q*r + r^2/n, so
	 * ss = (sumsq - q^2*n - 2*q*r) - r^2/n where the bracket is an exact
	 * (non-negative) 128-bit integer and only the last term, < n, is rounded.
	 */
	unsigned __int128 n = h->count;
	unsigned __int128 q = h->sum / n, r = h->sum % n;
	unsigned __int128 a = h->sumsq - q * q * n - 2 * q * r;
	long double ss = (long double)a - (long double)r * (long double)r / (long double)n;
	if (ss < 0)
		ss = 0;
	return (double)sqrtl(ss / (long double)(h->count - 1));
}
