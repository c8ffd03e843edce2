/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for the hare-load latency histogram (apps/hare-load/histogram.c):
 * bucket layout, percentiles against a sorted reference over several
 * distributions within the stated relative error, exact mean/stdev/min/max,
 * and merge == recording the combined stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "histogram.h"

/* The bound documented in histogram.h: half a bucket, 2^-(SUB_BITS+1). */
#define REL_BOUND (1.0 / (2.0 * HIST_SUB_COUNT))

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;  /* (0, 1) */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct hist *hist_new(void)
{
	struct hist *h = malloc(sizeof(*h));
	assert_non_null(h);
	hist_reset(h);
	return h;
}

static void test_bucket_layout(void **state)
{
	(void)state;
	/* buckets tile [0, HIST_MAX_VALUE] with no gap and no overlap */
	assert_int_equal(hist_bucket_low(0), 0);
	for (uint32_t i = 0; i + 1 < HIST_BUCKETS; i++) {
		assert_true(hist_bucket_low(i) <= hist_bucket_high(i));
		assert_int_equal(hist_bucket_high(i) + 1, hist_bucket_low(i + 1));
		/* width relative to the low edge is at most 1/128 */
		uint64_t lo = hist_bucket_low(i), w = hist_bucket_high(i) - lo + 1;
		if (lo >= HIST_SUB_COUNT)
			assert_true((double)w / (double)lo <= 1.0 / HIST_SUB_COUNT + 1e-12);
		else
			assert_int_equal(w, 1);
	}
	assert_int_equal(hist_bucket_high(HIST_BUCKETS - 1), HIST_MAX_VALUE);
	/* every value maps to the bucket containing it */
	rng_state = 1;
	for (int k = 0; k < 1000000; k++) {
		uint64_t v = rnd() >> (rnd() % 64);
		if (v > HIST_MAX_VALUE)
			v &= HIST_MAX_VALUE;
		uint32_t i = hist_index(v);
		assert_true(i < HIST_BUCKETS);
		assert_true(hist_bucket_low(i) <= v && v <= hist_bucket_high(i));
	}
	for (uint64_t v = 0; v < 5000; v++) {
		uint32_t i = hist_index(v);
		assert_true(hist_bucket_low(i) <= v && v <= hist_bucket_high(i));
	}
	/* around every power of two (where the branch-free index changes octave):
	 * the containing bucket, and consecutive values never go back a bucket */
	for (unsigned e = 1; e <= HIST_MAX_BITS; e++) {
		uint64_t p2 = UINT64_C(1) << e;
		for (uint64_t v = p2 - 3; v <= p2 + 2 && v <= HIST_MAX_VALUE; v++) {
			uint32_t i = hist_index(v);
			assert_true(hist_bucket_low(i) <= v && v <= hist_bucket_high(i));
			assert_true(hist_index(v - 1) <= i);
		}
		if (p2 <= HIST_MAX_VALUE && e >= HIST_SUB_BITS)
			assert_int_equal(hist_bucket_low(hist_index(p2)), p2);
	}
	assert_int_equal(hist_index(HIST_MAX_VALUE), HIST_BUCKETS - 1);
}

/* Distributions of latencies in ns. */
enum dist { D_LOGUNIFORM, D_EXPONENTIAL, D_NORMAL, D_BIMODAL, D_PARETO, D_CONSTANT, D_SMALL, D_COUNT };
static const char *dist_name[D_COUNT] = { "log-uniform 1us..100s", "exponential mean 200us",
					  "normal 1ms sd 50us", "bimodal 50us/20ms",
					  "pareto a=1.2 from 10us", "constant 12345", "small ints" };

static uint64_t draw(enum dist d)
{
	double x;
	switch (d) {
	case D_LOGUNIFORM:
		x = exp(log(1e3) + unif() * (log(1e11) - log(1e3)));
		break;
	case D_EXPONENTIAL:
		x = -log(unif()) * 200e3;
		break;
	case D_NORMAL:
		x = 1e6 + 50e3 * sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
		break;
	case D_BIMODAL:
		x = (rnd() & 1) ? 50e3 + unif() * 5e3 : 20e6 + unif() * 2e6;
		break;
	case D_PARETO:
		x = 10e3 / pow(unif(), 1 / 1.2);
		if (x > 1e11)
			x = 1e11;
		break;
	case D_CONSTANT:
		x = 12345;
		break;
	default:
		x = (double)(rnd() % 300);
		break;
	}
	return x < 0 ? 0 : (uint64_t)x;
}

static void check_distribution(enum dist d, size_t n)
{
	uint64_t *v = malloc(n * sizeof(*v));
	assert_non_null(v);
	struct hist *h = hist_new();
	long double sum = 0;
	for (size_t i = 0; i < n; i++) {
		v[i] = draw(d);
		hist_record(h, v[i]);
		sum += v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	long double mean = sum / n, ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
	double stdev = (double)sqrtl(ss / (n - 1));

	assert_int_equal(hist_count(h), n);
	assert_int_equal(hist_min(h), v[0]);
	assert_int_equal(hist_max(h), v[n - 1]);
	assert_true(fabs(hist_mean(h) - (double)mean) <= 1e-9 * (double)mean + 1e-9);
	assert_true(fabs(hist_stdev(h) - stdev) <= 1e-9 * stdev + 1e-6);

	static const double ps[] = { 0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100 };
	double worst = 0;
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		/* nearest rank reference */
		size_t rank = (size_t)ceil(ps[k] / 100.0 * (double)n - 1e-9);
		if (rank < 1)
			rank = 1;
		uint64_t ref = v[rank - 1];
		uint64_t got = hist_percentile(h, ps[k]);
		double err = ref ? fabs((double)got - (double)ref) / (double)ref : (double)got;
		if (err > worst)
			worst = err;
		if (err > REL_BOUND) {
			print_error("%s p%g: got %llu ref %llu err %.5f%%\n", dist_name[d], ps[k],
				    (unsigned long long)got, (unsigned long long)ref, err * 100);
			fail();
		}
	}
	/* the stated public bound, with margin */
	assert_true(worst <= 0.01);
	/* exact ends */
	assert_int_equal(hist_percentile(h, 100), v[n - 1]);
	assert_int_equal(hist_percentile(h, 0), v[0]);
	free(v);
	free(h);
}

static void test_percentiles_vs_sorted(void **state)
{
	(void)state;
	rng_state = 42;
	for (int d = 0; d < D_COUNT; d++)
		check_distribution((enum dist)d, 200000);
	/* small samples exercise the rank arithmetic */
	for (int d = 0; d < D_COUNT; d++)
		for (size_t n = 1; n < 40; n++)
			check_distribution((enum dist)d, n + 1);
}

/* Every value 1us..100s on a geometric grid, each its own percentile. */
static void test_error_across_range(void **state)
{
	(void)state;
	for (double x = 1e3; x <= 1e11; x *= 1.0007) {
		struct hist *h = hist_new();
		uint64_t v = (uint64_t)x;
		/* one value, plus a neighbour so the bucket midpoint is not clamped */
		hist_record(h, v / 2);
		hist_record(h, v);
		hist_record(h, v * 2);
		uint64_t got = hist_percentile(h, 50);
		double err = fabs((double)got - (double)v) / (double)v;
		if (err > REL_BOUND) {
			print_error("value %llu: got %llu err %.5f%%\n", (unsigned long long)v,
				    (unsigned long long)got, err * 100);
			fail();
		}
		free(h);
	}
}

static void test_merge_equals_combined(void **state)
{
	(void)state;
	rng_state = 7;
	struct hist *a = hist_new(), *b = hist_new(), *all = hist_new(), *m = hist_new();
	for (int i = 0; i < 300000; i++) {
		uint64_t x = draw((enum dist)(i % D_COUNT));
		hist_record((rnd() % 3) ? a : b, x);
		hist_record(all, x);
	}
	hist_merge(m, a);
	hist_merge(m, b);
	assert_int_equal(m->count, all->count);
	assert_int_equal(m->min, all->min);
	assert_int_equal(m->max, all->max);
	assert_true(m->sum == all->sum);
	assert_true(m->sumsq == all->sumsq);
	assert_memory_equal(m->buckets, all->buckets, sizeof(all->buckets));
	static const double ps[] = { 1, 50, 90, 99, 99.9, 99.99 };
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		assert_int_equal(hist_percentile(m, ps[k]), hist_percentile(all, ps[k]));
	assert_true(hist_mean(m) == hist_mean(all));
	assert_true(hist_stdev(m) == hist_stdev(all));
	/* merging an empty histogram changes nothing */
	struct hist *e = hist_new();
	hist_merge(m, e);
	assert_memory_equal(m, all, sizeof(*m));
	hist_merge(e, all);
	assert_memory_equal(e, all, sizeof(*e));
	free(a);
	free(b);
	free(all);
	free(m);
	free(e);
}

static void test_edges(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_int_equal(hist_count(h), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_min(h), 0);
	assert_int_equal(hist_max(h), 0);
	assert_true(hist_mean(h) == 0);
	assert_true(hist_stdev(h) == 0);

	hist_record(h, 0);
	assert_int_equal(hist_percentile(h, 99), 0);
	assert_true(hist_stdev(h) == 0);
	hist_record(h, 10);
	assert_true(fabs(hist_mean(h) - 5) < 1e-12);
	assert_true(fabs(hist_stdev(h) - sqrt(50)) < 1e-9);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 50.1), 10);
	assert_int_equal(hist_percentile(h, -5), 0);
	assert_int_equal(hist_percentile(h, 500), 10);

	/* values beyond the range are clamped and counted */
	hist_reset(h);
	hist_record(h, UINT64_MAX);
	hist_record(h, HIST_MAX_VALUE + 1);
	hist_record(h, HIST_MAX_VALUE);
	assert_int_equal(h->clamped, 2);
	assert_int_equal(hist_max(h), HIST_MAX_VALUE);
	assert_int_equal(hist_percentile(h, 100), HIST_MAX_VALUE);
	assert_int_equal(hist_count(h), 3);

	/* stdev stays exact when the spread is tiny against the mean (no cancellation) */
	hist_reset(h);
	for (int i = 0; i < 100000; i++)
		hist_record(h, 100000000000ull + (uint64_t)(i & 1));  /* 100 s ± 0.5 ns */
	double want = sqrt(0.25 * 100000.0 / 99999.0);
	assert_true(fabs(hist_stdev(h) - want) < 1e-9);
	assert_true(fabs(hist_mean(h) - 100000000000.5) < 1e-3);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_layout),
		cmocka_unit_test(test_percentiles_vs_sorted),
		cmocka_unit_test(test_error_across_range),
		cmocka_unit_test(test_merge_equals_combined),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
