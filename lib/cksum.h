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

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <rte_byteorder.h>

#if RTE_BYTE_ORDER != RTE_LITTLE_ENDIAN
#error "hare_raw_cksum assumes a little-endian CPU (the odd trailing byte's lane)"
#endif

static inline uint16_t
hare_raw_cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0, q;
	uint32_t w;
	uint16_t h;

#if defined(__x86_64__)
	/* One add-with-carry chain over four 64-bit words, the final carry
	 * folded back in (end-around carry): 6 instructions per 32 bytes. */
	while (len >= 32) {
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
	/* fold 64 -> 32 -> 16 bits */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
