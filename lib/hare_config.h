/* hare_config.h — what a stack instance is told at start: its addresses,
 * gateway, MTU and protocol tunables. Read-only once workers run, so it is
 * shared by all workers without locks. All addresses are in network order.
 */
#ifndef HARE_CONFIG_H
#define HARE_CONFIG_H

#include <stdint.h>

#define HARE_MAX_IPS 32

/* One local address with its on-link prefix. */
struct hare_ip_cfg {
	uint32_t addr;       /* network order */
	uint32_t netmask;    /* network order, derived from prefix_len */
	uint8_t prefix_len;
};

/* Tunables of the TCP layer; defaults from hare_config_init(). */
struct hare_tcp_cfg {
	uint32_t time_wait_ms;      /* 2*MSL; default 60000 (servers) */
	uint32_t fin_wait2_ms;      /* FIN_WAIT_2 timeout; default 60000 */
	uint32_t keepalive_idle_ms; /* 0 = keepalive off (default) */
	uint32_t keepalive_intvl_ms;
	uint32_t keepalive_probes;
	uint32_t rto_min_ms;        /* default 200 (Linux); RFC 6298 says 1 s */
	uint32_t rto_max_ms;        /* default 60000 */
	uint32_t rto_initial_ms;    /* default 1000 (RFC 6298 2.1) */
	uint32_t delack_ms;         /* default 40 */
	uint32_t max_conns;         /* per worker; default 65536 */
	uint32_t max_time_wait;     /* TIME_WAIT entries per worker; default 262144 */
	uint32_t backlog;           /* default accept backlog; default 1024 */
	uint32_t rcv_buf;           /* receive window offered, bytes; default 256 KiB */
	uint32_t snd_buf;           /* send buffer bound per connection; default 256 KiB */
	uint32_t ooo_max_segs;      /* out-of-order queue bound; default 64 */
	uint8_t nodelay;            /* 1 = Nagle off (default) */
	uint8_t sack;               /* 1 = offer/accept SACK (default) */
	uint8_t timestamps;         /* 1 = offer/accept timestamps (default) */
	uint8_t wscale;             /* 1 = offer/accept window scaling (default) */
};

/* The whole stack configuration. */
struct hare_config {
	struct hare_ip_cfg ips[HARE_MAX_IPS];
	unsigned n_ips;
	uint32_t gateway;           /* network order; 0 = none (on-link only) */
	uint16_t mtu;               /* IP MTU; default 1500 */
	unsigned stats_interval_s;  /* 0 = no periodic stats */
	uint32_t arp_timeout_ms;    /* resolved entry lifetime; default 300000 */
	uint32_t arp_retry_ms;      /* request retry period; default 1000 */
	uint32_t arp_max_retries;   /* default 3, then queued packets are dropped */
	uint32_t icmp_rate_per_s;   /* ICMP error rate limit per worker; default 1000 */
	struct hare_tcp_cfg tcp;
};

/* Fill cfg with defaults (no addresses). */
void hare_config_init(struct hare_config *cfg);

/* Parse "A.B.C.D/LEN" (LEN defaults to 24) and append it. Returns 0, or
 * -EINVAL for a malformed string, -ENOSPC when HARE_MAX_IPS are set. */
int hare_config_add_ip(struct hare_config *cfg, const char *text);

/* Parse dotted-quad into network order. Returns 0 or -EINVAL. */
int hare_parse_ipv4(const char *text, uint32_t *addr_be);

/* Index of addr (network order) among our IPs, or -1. */
int hare_config_ip_index(const struct hare_config *cfg, uint32_t addr_be);

#endif
