/* httpd_memo.h — the bytes of one request, compared in a few vector
 * instructions.
 *
 * hare-httpd keeps, per worker, the last small request its fast path
 * parsed and answered, with the response it chose (httpd_service.c,
 * struct httpd_fast_memo). A request parser is a pure function of the
 * bytes it is fed, its state and its limits: a segment byte-for-byte equal
 * to the remembered request, fed to a parser in the same (start) state
 * with the same limits, parses to the same request, and the same request
 * on the same worker gets the same response. So the byte compare here
 * replaces the parse. Load generators, health checks and API pollers send
 * the same head again and again; any other request costs one failed
 * length compare.
 *
 * Sizes: HTTPD_MEMO_MIN..HTTPD_MEMO_MAX bytes (wrk's GET is ~40, curl's
 * and hare-load's ~75-80). A length of n is compared as overlapping
 * windows: the first and the last 16 bytes (n <= 32), 32 bytes (n <= 64),
 * or the first and the last 64 as two 32-byte windows each (n <= 128), so
 * the compare reads only [d, d + n).
 */
#ifndef HARE_HTTPD_MEMO_H
#define HARE_HTTPD_MEMO_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define HTTPD_MEMO_MIN 16u
#define HTTPD_MEMO_MAX 128u

/* Remembered request bytes; len HTTPD_MEMO_NONE: none (httpd_memo_clear()
 * first: a zeroed memo is not empty, see httpd_memo_match()). */
#define HTTPD_MEMO_NONE UINT32_MAX
struct httpd_memo {
	uint32_t len;
	uint8_t b[HTTPD_MEMO_MAX];
};

/* Whether n bytes fit the memo's size range. */
static inline bool
httpd_memo_fits(uint32_t n)
{
	return n >= HTTPD_MEMO_MIN && n <= HTTPD_MEMO_MAX;
}

/* Remember d[0..n) (httpd_memo_fits(n)). */
static inline void
httpd_memo_set(struct httpd_memo *mm, const uint8_t *d, uint32_t n)
{
	memcpy(mm->b, d, n);
	mm->len = n;
}

/* Forget (nothing matches afterwards). */
static inline void
httpd_memo_clear(struct httpd_memo *mm)
{
	mm->len = HTTPD_MEMO_NONE;
}

#if defined(__AVX2__)
static inline uint32_t
memo_eq16(const uint8_t *a, const uint8_t *b)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)a);
	__m128i y = _mm_loadu_si128((const __m128i *)(const void *)b);

	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, y));  /* 0xffff: equal */
}

static inline uint32_t
memo_eq32(const uint8_t *a, const uint8_t *b)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)a);
	__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)b);

	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y));  /* all ones: equal */
}
#endif

/* Whether d[0..n) are exactly the remembered bytes. */
static inline bool
httpd_memo_match(const struct httpd_memo *mm, const uint8_t *d, uint32_t n)
{
	if (n != mm->len)
		return false;  /* every n when the memo is empty: n < HTTPD_MEMO_NONE */
#if defined(__AVX2__)
	if (n <= 32)
		return (memo_eq16(d, mm->b) & memo_eq16(d + n - 16, mm->b + n - 16)) == 0xffffu;
	if (n <= 64)
		return (memo_eq32(d, mm->b) & memo_eq32(d + n - 32, mm->b + n - 32)) == 0xffffffffu;
	return (memo_eq32(d, mm->b) & memo_eq32(d + 32, mm->b + 32) &
		memo_eq32(d + n - 64, mm->b + n - 64) &
		memo_eq32(d + n - 32, mm->b + n - 32)) == 0xffffffffu;
#else
	return memcmp(d, mm->b, n) == 0;
#endif
}

#endif
