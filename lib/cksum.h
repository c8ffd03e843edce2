/* cksum.h — the Internet checksum's ones'-complement sum (RFC 1071).
 *
 * hare_raw_cksum() returns the same folded 16-bit sum as DPDK's
 * rte_raw_cksum() but adds 64-bit words with an add-with-carry chain
 * (end-around carry), so a 1448-byte segment costs about a third of the
 * instructions. Summing wider words is valid because the ones'-complement
 * sum is independent of how the 16-bit words are grouped and folded
 * (RFC 1071 §2(C), "parallel summation").
 */
#ifndef HARE_CKSUM_H
#define HARE_CKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "hare_raw_cksum assumes a little-endian CPU (the odd trailing byte's lane)"
#endif

/* a + b in ones'-complement arithmetic on 64-bit partial sums */
static inline uint64_t
hare_sum64_add(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b); /* end-around carry */
}

#if defined(__AVX2__)
#include <immintrin.h>

/* The plain sum of the 16-bit little-endian words of n128 128-byte
 * blocks (n128 <= 512, 64 KiB), with AVX2: vpmaddwd adds pairs of words
 * into 32-bit lanes, but reads them signed, so each word's top bit is
 * flipped first (xor 0x8000: the lane sees w - 32768) and the bias is
 * added back once at the end. 3 instructions per 32 bytes against the
 * add-with-carry chain's 6.5; a lane grows by at most 2^17 per block, so
 * 64 KiB cannot overflow it. */
static inline uint64_t
hare_sum_words_avx2(const uint8_t *p, size_t n128)
{
	const __m256i bias = _mm256_set1_epi16((short)0x8000), ones = _mm256_set1_epi16(1);
	__m256i a0 = _mm256_setzero_si256(), m0, m1, m2, m3;
	__m128i t;

	for (size_t i = 0; i < n128; i++, p += 128) {
		m0 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p),
							bias), ones);
		m1 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 32)),
							bias), ones);
		m2 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 64)),
							bias), ones);
		m3 = _mm256_madd_epi16(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 96)),
							bias), ones);
		a0 = _mm256_add_epi32(a0, _mm256_add_epi32(_mm256_add_epi32(m0, m1),
							   _mm256_add_epi32(m2, m3)));
	}
	/* eight signed lanes -> 64 bits */
	a0 = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(a0)),
			      _mm256_cvtepi32_epi64(_mm256_extracti128_si256(a0, 1)));
	t = _mm_add_epi64(_mm256_castsi256_si128(a0), _mm256_extracti128_si256(a0, 1));
	return (uint64_t)(_mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1) +
			  (int64_t)n128 * 64 * 32768);
}
#endif

/* The ones'-complement sum of len bytes at buf added to sum (end-around
 * carry), not folded: 64 bits whose 16-bit lanes fold to the RFC 1071
 * sum. Inline, so a constant len leaves only its own steps. */
static __rte_always_inline uint64_t
hare_raw_sum64(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;
	uint64_t q;
	uint32_t w;
	uint16_t h;

#if defined(__AVX2__)
	/* long buffers (a full segment): the vector sum of whole 128-byte
	 * blocks first; a plain sum of 16-bit words is a valid partial
	 * ones'-complement sum (2^16 = 1 modulo 0xffff, RFC 1071 §2) */
	while (len >= 256) {
		size_t n = RTE_MIN(len / 128, (size_t)512);

		sum = hare_sum64_add(sum, hare_sum_words_avx2(p, n));
		p += n * 128;
		len -= n * 128;
	}
#endif
#if defined(__x86_64__)
	/* One add-with-carry chain over eight, then four 64-bit words, the
	 * final carry folded back in (end-around carry): 13 instructions per
	 * 64 bytes with the loop's own, 9 per 32. */
	while (len >= 64) {
		__asm__("addq 0(%[p]), %[s]\n\t"
			"adcq 8(%[p]), %[s]\n\t"
			"adcq 16(%[p]), %[s]\n\t"
			"adcq 24(%[p]), %[s]\n\t"
			"adcq 32(%[p]), %[s]\n\t"
			"adcq 40(%[p]), %[s]\n\t"
			"adcq 48(%[p]), %[s]\n\t"
			"adcq 56(%[p]), %[s]\n\t"
			"adcq $0, %[s]"
			: [s] "+r"(sum)
			: [p] "r"(p)
			: "cc", "memory");
		p += 64;
		len -= 64;
	}
	if (len >= 32) {
		__asm__("addq 0(%[p]), %[s]\n\t"
			"adcq 8(%[p]), %[s]\n\t"
			"adcq 16(%[p]), %[s]\n\t"
			"adcq 24(%[p]), %[s]\n\t"
			"adcq $0, %[s]"
			: [s] "+r"(sum)
			: [p] "r"(p)
			: "cc", "memory");
		p += 32;
		len -= 32;
	}
#endif
	while (len >= 8) {
		memcpy(&q, p, 8);
		sum += q;
		sum += (sum < q); /* end-around carry */
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		sum += (sum < w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		sum += (sum < h);
		p += 2;
		len -= 2;
	}
	if (len) {
		sum += *p; /* the odd byte is the low lane on little-endian */
		sum += (sum < *p);
	}
	return sum;
}

/* A 64-bit ones'-complement sum folded to 16 bits (64 -> 32 -> 16). */
static __rte_always_inline uint16_t
hare_sum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline uint16_t
hare_raw_cksum(const void *buf, size_t len)
{
	return hare_sum_fold(hare_raw_sum64(buf, len, 0));
}

/* Whether a non-zero sum from hare_raw_sum64 folds to 0xffff (a checksum
 * that verifies), without folding: 2^16 = 1 (mod 0xffff), so the 16-bit
 * lanes, the end-around carries (2^64 = 1) and the fold all keep the
 * value mod 0xffff, and a non-zero sum folds into 1..0xffff: to 0xffff
 * exactly when 0xffff divides it (a multiply and a compare). */
static __rte_always_inline bool
hare_sum_verifies(uint64_t sum)
{
	return sum % 0xffff == 0;
}

/* Folded (not complemented) sum of the IPv4 pseudo-header (RFC 9293
 * §3.1): src, dst, zero, protocol, L4 length. Addresses as stored (network
 * order), l4_len in host order. The same value as DPDK's
 * rte_ipv4_phdr_cksum(), from a few adds instead of a 12-byte loop: the
 * 16-bit words as a little-endian CPU loads them are the addresses'
 * halves, proto << 8 and the byte-swapped length. */
static inline uint16_t
hare_phdr_sum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t sum = (uint64_t)src + dst + ((uint32_t)proto << 8) +
		       (uint16_t)((l4_len >> 8) | (l4_len << 8));

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Whether an IPv4 datagram's L4 checksum verifies (RFC 9293 §3.1, RFC
 * 768): the pseudo-header (as hare_phdr_sum; addresses as stored, len in
 * host order) and the len bytes at l4, one buffer, summed in one chain
 * and folded once: a valid segment sums to 0xffff. */
static __rte_always_inline bool
hare_l4_cksum_ok(uint32_t src, uint32_t dst, uint8_t proto, const void *l4, uint16_t len)
{
	/* non-zero: proto is */
	uint64_t sum = (uint64_t)src + dst + ((uint32_t)proto << 8) +
		       (uint16_t)((len >> 8) | (len << 8));

	return hare_sum_verifies(hare_raw_sum64(l4, len, sum));
}

/* Whether a received 20-byte IPv4 header's checksum verifies (RFC 791
 * §3.1, RFC 1071): the five 32-bit halves summed (no 64-bit overflow, and
 * not zero: the version nibble is not) and hare_sum_verifies. */
static inline bool
hare_ipv4_hdr_cksum20_ok(const void *ip)
{
	uint64_t a, b;
	uint32_t c;

	memcpy(&a, ip, 8);
	memcpy(&b, (const uint8_t *)ip + 8, 8);
	memcpy(&c, (const uint8_t *)ip + 16, 4);
	return hare_sum_verifies((a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32) + c);
}

#endif
