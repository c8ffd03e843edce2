/* harness_l3.h — extra helpers for the Ethernet/ARP/IPv4/ICMP unit tests:
 * an independent Internet checksum (a plain byte loop, not DPDK's, so it
 * can act as an oracle), builders for IPv4 with options and ICMP echo,
 * chained mbufs, pool exhaustion, and checks on frames the stack sent.
 */
#ifndef HARE_TEST_HARNESS_L3_H
#define HARE_TEST_HARNESS_L3_H

#include "harness.h"

/* Internet checksum (RFC 1071) of data: the value to store in a checksum
 * field; over a message that already holds a correct checksum it is 0. */
uint16_t ht_cksum(const void *data, size_t len);

/* Like ht_build_ipv4 but with opt_len bytes of IP options (opt_len a
 * multiple of 4, at most 40) between the header and the payload. */
size_t ht_build_ipv4_opts(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
			  const void *opts, size_t opt_len,
			  const void *payload, size_t payload_len);

/* Recompute the IPv4 header checksum of an Ethernet frame after a test
 * edited header fields (uses the IHL in the frame). */
void ht_ipv4_fix_cksum(uint8_t *frame);

/* ICMP echo request message (header + data) with its checksum, into out;
 * returns its length (8 + len). */
size_t ht_build_echo(uint8_t *out, uint8_t type, uint16_t id, uint16_t seq,
		     const void *data, size_t len);

/* Full ping frame from src to dst (to our MAC from the peer MAC). Data is
 * the pattern (i * 7 + seq) & 0xff so replies can be checked byte by byte. */
size_t ht_build_ping(uint8_t *buf, const char *src, const char *dst,
		     uint16_t id, uint16_t seq, size_t data_len);
/* The data byte ht_build_ping puts at offset i for seq. */
static inline uint8_t ht_ping_byte(size_t i, uint16_t seq) { return (uint8_t)(i * 7 + seq); }

/* An mbuf chain holding frame, cut after each of the n offsets in cuts
 * (increasing, each inside the frame): n + 1 segments. */
struct rte_mbuf *ht_mbuf_chain(struct ht_rig *r, const void *frame, size_t len,
			       const size_t *cuts, unsigned n);

/* Take every free mbuf out of the rig's pool; *out receives a malloc'd
 * array (free it with ht_give_back). Returns how many were taken. */
unsigned ht_take_all_mbufs(struct ht_rig *r, struct rte_mbuf ***out);
void ht_give_back(struct rte_mbuf **ms, unsigned n);

/* Pop the oldest sent frame, copy it into out (cap bytes), free the mbuf,
 * assert it went from our MAC to eth_dst with ether_type; returns the
 * frame length. Fails the test when nothing was sent. */
size_t ht_pop_frame(struct ht_rig *r, uint8_t *out, size_t cap,
		    const struct rte_ether_addr *eth_dst, uint16_t ether_type);

/* Assert frame (len bytes, Ethernet + IPv4) holds a well-formed IPv4 header
 * as hare sends them: version 4, IHL 5, total length = len - 14, DF, TTL
 * 64, valid header checksum, given protocol and addresses (network order). */
void ht_assert_ipv4_out(const uint8_t *frame, size_t len, uint8_t proto,
			uint32_t src, uint32_t dst);

/* Sum of all drop_* counters of the rig's worker. */
uint64_t ht_drops(const struct ht_rig *r);

#endif
