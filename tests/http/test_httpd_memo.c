/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests for hare-httpd's request memo compare (apps/hare-httpd/httpd_memo.h):
 * a match exactly when the bytes are the remembered ones, at every length
 * it takes, a one-byte difference anywhere caught, and no byte read outside
 * [d, d + n) (pages on both sides of the data are inaccessible). Built twice:
 * with AVX2 (the vector windows) and without (memcmp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "httpd_memo.h"

/* Three pages, the outer two inaccessible: data placed flush against
 * either guard. */
static uint8_t *guarded;
static size_t page;

static int setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	guarded = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guarded == MAP_FAILED)
		return -1;
	if (mprotect(guarded, page, PROT_NONE) != 0 ||
	    mprotect(guarded + 2 * page, page, PROT_NONE) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(guarded, 3 * page);
	return 0;
}

static void fill(uint8_t *d, uint32_t n, uint32_t seed)
{
	for (uint32_t i = 0; i < n; i++)
		d[i] = (uint8_t)("GET /x HTTP/1.1\r\nHost: bench\r\n\r\n"[(i + seed) % 33] + (i / 33));
}

static void test_empty_never_matches(void **state)
{
	(void)state;
	struct httpd_memo mm;
	uint8_t d[HTTPD_MEMO_MAX] = { 0 };

	httpd_memo_clear(&mm);
	for (uint32_t n = 0; n <= HTTPD_MEMO_MAX; n++)
		assert_false(httpd_memo_match(&mm, d, n));
	assert_false(httpd_memo_fits(HTTPD_MEMO_MIN - 1));
	assert_true(httpd_memo_fits(HTTPD_MEMO_MIN));
	assert_true(httpd_memo_fits(HTTPD_MEMO_MAX));
	assert_false(httpd_memo_fits(HTTPD_MEMO_MAX + 1));
}

/* Every length, the data flush against the guard after it and then the one
 * before it: the same bytes match, any one byte changed does not, another
 * length does not. */
static void test_match_exact(void **state)
{
	(void)state;
	struct httpd_memo mm;

	for (uint32_t n = HTTPD_MEMO_MIN; n <= HTTPD_MEMO_MAX; n++) {
		uint8_t *ends[2] = { guarded + 2 * page - n, guarded + page };

		for (int e = 0; e < 2; e++) {
			uint8_t *d = ends[e];

			fill(d, n, n);
			httpd_memo_clear(&mm);
			httpd_memo_set(&mm, d, n);
			assert_true(httpd_memo_match(&mm, d, n));
			for (uint32_t i = 0; i < n; i++) {
				for (unsigned bit = 0; bit < 8; bit++) {
					d[i] ^= (uint8_t)(1u << bit);
					assert_false(httpd_memo_match(&mm, d, n));
					d[i] ^= (uint8_t)(1u << bit);
				}
			}
			assert_true(httpd_memo_match(&mm, d, n));
			if (n > HTTPD_MEMO_MIN)
				assert_false(httpd_memo_match(&mm, d, n - 1));
			if (e == 1 && n < HTTPD_MEMO_MAX)
				assert_false(httpd_memo_match(&mm, d, n + 1));
		}
	}
}

/* A new set replaces the old bytes; clear forgets them. */
static void test_replace_and_clear(void **state)
{
	(void)state;
	struct httpd_memo mm;
	uint8_t a[40], b[40];

	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	httpd_memo_clear(&mm);
	httpd_memo_set(&mm, a, sizeof(a));
	assert_true(httpd_memo_match(&mm, a, sizeof(a)));
	assert_false(httpd_memo_match(&mm, b, sizeof(b)));
	httpd_memo_set(&mm, b, sizeof(b));
	assert_false(httpd_memo_match(&mm, a, sizeof(a)));
	assert_true(httpd_memo_match(&mm, b, sizeof(b)));
	httpd_memo_set(&mm, a, 20);  /* shorter: only the first 20 count */
	assert_true(httpd_memo_match(&mm, a, 20));
	assert_false(httpd_memo_match(&mm, a, sizeof(a)));
	httpd_memo_clear(&mm);
	assert_false(httpd_memo_match(&mm, a, 20));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_never_matches),
		cmocka_unit_test(test_match_exact),
		cmocka_unit_test(test_replace_and_clear),
	};
#if defined(__AVX2__)
	printf("httpd_memo: AVX2 windows\n");
#else
	printf("httpd_memo: memcmp\n");
#endif
	return cmocka_run_group_tests(tests, setup, teardown);
}
