/* config.c — defaults and parsing of struct hare_config. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "hare_config.h"

void
hare_config_init(struct hare_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = 1500;
	cfg->arp_timeout_ms = 300000;
	cfg->arp_retry_ms = 1000;
	cfg->arp_max_retries = 3;
	cfg->icmp_rate_per_s = 1000;
	cfg->tcp.time_wait_ms = 60000;
	cfg->tcp.fin_wait2_ms = 60000;
	cfg->tcp.keepalive_idle_ms = 0;
	cfg->tcp.keepalive_intvl_ms = 75000;
	cfg->tcp.keepalive_probes = 9;
	cfg->tcp.rto_min_ms = 200;
	cfg->tcp.rto_max_ms = 60000;
	cfg->tcp.rto_initial_ms = 1000;
	cfg->tcp.delack_ms = 40;
	cfg->tcp.max_conns = 65536;
	cfg->tcp.max_time_wait = 262144;
	cfg->tcp.backlog = 1024;
	cfg->tcp.rcv_buf = 256 * 1024;
	cfg->tcp.snd_buf = 256 * 1024;
	cfg->tcp.ooo_max_segs = 64;
	cfg->tcp.nodelay = 1;
	cfg->tcp.sack = 1;
	cfg->tcp.timestamps = 1;
	cfg->tcp.wscale = 1;
}

int
hare_parse_ipv4(const char *text, uint32_t *addr_be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		return -EINVAL;
	*addr_be = a.s_addr;
	return 0;
}

int
hare_config_add_ip(struct hare_config *cfg, const char *text)
{
	char buf[64];
	char *slash, *end;
	long len = 24;
	uint32_t addr;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		/* digits only: strtol would also take " 24" or "+24" */
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		len = strtol(slash + 1, &end, 10);
		if (*end != '\0' || len < 1 || len > 32)
			return -EINVAL;
	}
	if (hare_parse_ipv4(buf, &addr) < 0)
		return -EINVAL;
	/* Not a host address: 0.0.0.0, multicast 224/4, reserved 240/4 and
	 * broadcast (RFC 1122 §3.2.1.3); the stack treats these as martians. */
	if (addr == 0 || (ntohl(addr) >> 28) >= 0xe)
		return -EINVAL;
	if (cfg->n_ips >= HARE_MAX_IPS)
		return -ENOSPC;
	cfg->ips[cfg->n_ips].addr = addr;
	cfg->ips[cfg->n_ips].prefix_len = (uint8_t)len;
	cfg->ips[cfg->n_ips].netmask = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
	cfg->n_ips++;
	return 0;
}

int
hare_config_ip_index(const struct hare_config *cfg, uint32_t addr_be)
{
	for (unsigned i = 0; i < cfg->n_ips; i++)
		if (cfg->ips[i].addr == addr_be)
			return (int)i;
	return -1;
}
