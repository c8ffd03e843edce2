/* hare_stats.h — per-worker counters.
 *
 * Every worker owns one struct hare_stats and is the only writer; readers on
 * other cores (the stats printer, telemetry) sum them with hare_stats_sum()
 * and may see a value a burst old, which is fine for counters. Every drop on
 * the packet path increments exactly one drop_* counter, so "what was sent"
 * can be reconciled with "what was answered + what was dropped".
 *
 * The list is an X-macro so names print and sum without a second list.
 */
#ifndef HARE_STATS_H
#define HARE_STATS_H

#include <stdint.h>
#include <stdio.h>

#define HARE_STATS_FIELDS(X) \
	X(rx_packets)          /* frames handed to eth input */ \
	X(rx_bytes)            /* their bytes (pkt_len) */ \
	X(tx_packets)          /* frames accepted by the port */ \
	X(tx_bytes) \
	X(drop_bad_cksum)      /* IPv4/ICMP/TCP checksum wrong */ \
	X(drop_bad_len)        /* truncated frame, lying length fields */ \
	X(drop_bad_header)     /* bad version, IHL, ARP hw/proto types */ \
	X(drop_not_for_us)     /* other MAC, other IP, unknown ethertype */ \
	X(drop_ttl)            /* TTL 0 on arrival */ \
	X(drop_ip_fragment)    /* IPv4 fragments: dropped by design, see ipv4.c */ \
	X(ip_rx_unknown_proto) /* IP protocol we do not serve: answered with protocol unreachable */ \
	X(drop_no_route)       /* destination neither on-link nor via a gateway */ \
	X(drop_arp_unresolved) /* next hop never answered, or its queue was full */ \
	X(drop_no_mbuf)        /* mempool exhausted while building a reply */ \
	X(drop_tx_full)        /* the port's TX ring did not take the frame */ \
	X(drop_rate_limited)   /* ICMP errors over their rate limit */ \
	X(drop_mtu)            /* packet to send larger than the MTU */ \
	X(drop_martian)        /* broadcast/multicast/zero source address */ \
	X(arp_rx_request) \
	X(arp_rx_reply) \
	X(arp_tx_request) \
	X(arp_tx_reply) \
	X(arp_tx_gratuitous) \
	X(arp_share_lost)      /* cross-worker ARP message lost (inbox full) */ \
	X(ip_rx_packets)       /* IPv4 packets addressed to one of our IPs */ \
	X(icmp_rx_echo) \
	X(icmp_tx_echo_reply) \
	X(icmp_tx_unreachable) \
	X(icmp_rx_other)       /* ICMP types we read and ignore */ \
	X(udp_rx_datagrams) \
	X(tcp_rx_segments) \
	X(tcp_tx_segments) \
	X(tcp_rx_bytes)        /* payload bytes delivered in order */ \
	X(tcp_tx_bytes)        /* payload bytes sent (first transmission) */ \
	X(tcp_retransmits)     /* segments sent again (RTO or fast retransmit) */ \
	X(tcp_rto_fired) \
	X(tcp_fast_retransmits) \
	X(tcp_ooo_segments)    /* segments queued out of order */ \
	X(tcp_dup_acks)        /* duplicate ACKs received */ \
	X(tcp_lost_retransmits) /* retransmissions found lost again (SACK recovery) */ \
	X(tcp_dsack_rx)        /* D-SACKs received (RFC 2883) */ \
	X(tcp_recovery_undo)   /* recoveries undone: all retransmissions were D-SACKed */ \
	X(tcp_rst_tx) \
	X(tcp_rst_rx) \
	X(tcp_challenge_acks)  /* RFC 5961 challenge ACKs sent */ \
	X(tcp_paws_drops)      /* RFC 7323 PAWS rejects */ \
	X(tcp_drop_out_of_window) \
	X(tcp_drop_ooo)        /* OOO segment not queued: queue bound or mbuf pressure */ \
	X(tcp_drop_no_conn)    /* could not allocate a connection */ \
	X(tcp_drop_backlog)    /* listen backlog full */ \
	X(tcp_conn_opened)     /* reached ESTABLISHED */ \
	X(tcp_conn_closed)     /* fully released */ \
	X(tcp_time_wait)       /* entered TIME_WAIT */

/* One worker's counters; see HARE_STATS_FIELDS for the meaning of each. */
struct hare_stats {
#define HARE_STATS_DECLARE(name) uint64_t name;
	HARE_STATS_FIELDS(HARE_STATS_DECLARE)
#undef HARE_STATS_DECLARE
};

/* Add every counter of src into dst. */
static inline void
hare_stats_add(struct hare_stats *dst, const struct hare_stats *src)
{
#define HARE_STATS_ADD(name) dst->name += src->name;
	HARE_STATS_FIELDS(HARE_STATS_ADD)
#undef HARE_STATS_ADD
}

/* Sum of all drop_* counters. */
uint64_t hare_stats_drops(const struct hare_stats *s);

/* Print non-zero counters as "name value" lines, with a prefix on each line.
 * If prev is non-NULL, also prints the difference since prev (dperf style). */
void hare_stats_print(FILE *out, const char *prefix, const struct hare_stats *now,
		      const struct hare_stats *prev);

/* Look up a counter by name; returns -1 (and leaves *value) if unknown. */
int hare_stats_get(const struct hare_stats *s, const char *name, uint64_t *value);

#endif
