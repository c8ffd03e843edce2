/* load_cli.c — hare-load's command line.
 *
 * The shared parser (apps/common) knows long options only, so main()
 * first rewrites the app part of argv (after "--"): the short forms -c N,
 * -d SEC, -n N, -o FILE (also -c64) become their long names, and an
 * address range `--ip A.B.C.D-E.F.G.H[/LEN]` becomes one `--ip X/LEN` per
 * address (spreading connections over many source addresses is how more
 * than 64K concurrent connections fit: each address has its own port
 * space). Everything else is parsed by load_parse_opt / load_check.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "hare_app.h"
#include "load.h"

#define PROG "hare-load"

const struct hare_app_opt load_opts[] = {
	{ "url", "URL", "HTTP/1.1 GET load on http://A.B.C.D[:PORT]/path (keep-alive)" },
	{ "close", NULL, "with --url: one request per connection (connections/s)" },
	{ "echo", "A.B.C.D:PORT", "request/response rounds over an echo server" },
	{ "size", "N", "with --echo: bytes per round (default 64)" },
	{ "connect", "A.B.C.D:PORT", "open and close connections only (handshake latency)" },
	{ "get", "URL", "fetch URL once, like curl -o; exit 0 only when complete, valid and 2xx" },
	{ "output", "FILE", "with --get: write the body to FILE (short: -o)" },
	{ "connections", "N", "concurrent connections (short: -c; default 10, --get 1)" },
	{ "duration", "T", "run for T (short: -d; 10, 10s, 500ms, 2m; default 10s without -n)" },
	{ "requests", "N", "stop after N requests/rounds/connects in all (short: -n)" },
	{ "rate", "R", "open loop: R requests/s in all, latency from the intended send time" },
	{ "timeout", "T", "a request with no progress for T fails (default 5s, --get 30s)" },
	{ "connect-timeout", "T", "a handshake not done within T fails (default 3s)" },
	{ "time-wait", "T", "TIME_WAIT kept when we close first (default 2s; RFC 9293: 2*MSL)" },
	{ "rst", NULL, "close connections with RST instead of FIN (--connect, --close)" },
	{ "json", "FILE", "write every figure of the run to FILE as JSON" },
	{ "stack-stats", "SEC", "also print the stack's counter blocks every SEC seconds" },
	{ "quiet", NULL, "no per-second line" },
	{ NULL, NULL, NULL },
};

const char *
load_err_name(enum load_err e)
{
	static const char *const names[LOAD_ERR_COUNT] = {
		"connect_timeout", "refused", "reset", "timeout", "parse",
		"short_body", "closed", "mismatch", "local",
	};
	return (unsigned)e < LOAD_ERR_COUNT ? names[e] : "?";
}

/* Rewriting ----------------------------------------------------------- */

static int
push_arg(char ***v, int *n, int *cap, const char *s)
{
	if (*n + 2 > *cap) {
		int nc = *cap ? *cap * 2 : 64;
		char **nv = realloc(*v, (size_t)nc * sizeof(char *));

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n] = strdup(s);
	if ((*v)[*n] == NULL)
		return -1;
	(*n)++;
	(*v)[*n] = NULL;
	return 0;
}

/* "A.B.C.D-E.F.G.H[/LEN]" -> one --ip per address. Returns 1 if expanded,
 * 0 if val is not a range, -1 on a bad range (message printed). */
static int
expand_ip_range(const char *val, char ***v, int *n, int *cap)
{
	char buf[64], *dash, *slash, one[40];
	const char *len = "24";
	struct in_addr a, b;

	if (strchr(val, '-') == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", val);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		len = slash + 1;
	}
	dash = strchr(buf, '-');
	*dash = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1 ||
	    ntohl(b.s_addr) < ntohl(a.s_addr)) {
		fprintf(stderr, PROG ": --ip '%s': a range is A.B.C.D-E.F.G.H[/LEN] with the "
			"first address <= the last, e.g. 198.18.0.10-198.18.0.20/24\n", val);
		return -1;
	}
	if (ntohl(b.s_addr) - ntohl(a.s_addr) >= HARE_MAX_IPS) {
		fprintf(stderr, PROG ": --ip '%s': at most %d addresses in all; use a shorter "
			"range\n", val, HARE_MAX_IPS);
		return -1;
	}
	for (uint32_t h = ntohl(a.s_addr); h <= ntohl(b.s_addr); h++) {
		struct in_addr x = { htonl(h) };
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &x, ip, sizeof(ip));
		snprintf(one, sizeof(one), "%s/%s", ip, len);
		if (push_arg(v, n, cap, "--ip") < 0 || push_arg(v, n, cap, one) < 0)
			return -1;
		if (h == UINT32_MAX)
			break;
	}
	return 1;
}

int
load_cli_rewrite(int argc, char **argv, int *out_argc, char ***out_argv)
{
	static const struct { char s; const char *l; } shorts[] = {
		{ 'c', "--connections" }, { 'd', "--duration" }, { 'n', "--requests" },
		{ 'o', "--output" },
	};
	char **v = NULL;
	int n = 0, cap = 0, i;
	bool app = false;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!app) {
			if (push_arg(&v, &n, &cap, a) < 0)
				return -1;
			app = (i > 0 && strcmp(a, "--") == 0);
			continue;
		}
		if (a[0] == '-' && a[1] != '-' && a[1] != '\0') {
			const char *lname = NULL;

			for (unsigned k = 0; k < sizeof(shorts) / sizeof(shorts[0]); k++)
				if (a[1] == shorts[k].s)
					lname = shorts[k].l;
			if (lname) {
				if (push_arg(&v, &n, &cap, lname) < 0)
					return -1;
				if (a[2] != '\0') {      /* -c64 */
					if (push_arg(&v, &n, &cap, a + 2) < 0)
						return -1;
				}
				continue;
			}
		}
		if (strcmp(a, "--ip") == 0 || strncmp(a, "--ip=", 5) == 0) {
			const char *val = a[4] == '=' ? a + 5 : (i + 1 < argc ? argv[i + 1] : NULL);
			int rc = val ? expand_ip_range(val, &v, &n, &cap) : 0;

			if (rc < 0)
				return -1;
			if (rc > 0) {
				if (a[4] != '=')
					i++;
				continue;
			}
		}
		if (push_arg(&v, &n, &cap, a) < 0)
			return -1;
	}
	*out_argc = n;
	*out_argv = v;
	return 0;
}

/* Parsing ------------------------------------------------------------- */

/* "10", "10s", "1.5s", "500ms", "2m" -> ms. Bare numbers are seconds. */
static int
parse_time_ms(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else if (strcmp(end, "ms") != 0)
		return -1;
	if (v > 1e12)
		return -1;
	*ms = (uint64_t)(v + 0.5);
	return 0;
}

/* "A.B.C.D:PORT" */
static int
parse_hostport(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64], *colon;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (hare_parse_ipv4(buf, ip) < 0 || *ip == 0)
		return -1;
	if (hare_app_parse_uint(colon + 1, 1, 65535, &p) < 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* "http://A.B.C.D[:PORT][/path]" -> address, port, Host value, path. */
static int
parse_url(const char *url, uint32_t *ip, uint16_t *port, char *host, size_t hostsz,
	  const char **path)
{
	const char *p, *slash;
	char hp[LOAD_MAX_HOST];
	size_t hl;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	slash = strchr(p, '/');
	hl = slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || hl >= sizeof(hp))
		return -1;
	memcpy(hp, p, hl);
	hp[hl] = '\0';
	*path = slash ? slash : "/";
	for (const char *c = *path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;  /* no spaces/controls: the request line must stay valid */
	if (strchr(hp, ':')) {
		if (parse_hostport(hp, ip, port) < 0)
			return -1;
	} else {
		if (hare_parse_ipv4(hp, ip) < 0 || *ip == 0)
			return -1;
		*port = 80;
	}
	snprintf(host, hostsz, "%s", hp);
	return 0;
}

static int
set_mode(struct load_cfg *cfg, enum load_mode m, const char *opt, const char *val)
{
	if (cfg->mode != LOAD_MODE_NONE) {
		fprintf(stderr, PROG ": --%s: only one of --url, --echo, --connect, --get per run\n",
			opt);
		return -1;
	}
	cfg->mode = m;
	snprintf(cfg->target, sizeof(cfg->target), "%s", val);
	return 0;
}

int
load_parse_opt(struct load_cfg *cfg, const char *name, const char *arg)
{
	unsigned long v;
	uint64_t ms;
	char host[LOAD_MAX_HOST];
	const char *path;

	if (strcmp(name, "url") == 0 || strcmp(name, "get") == 0) {
		bool get = name[0] == 'g';

		if (set_mode(cfg, get ? LOAD_MODE_GET : LOAD_MODE_URL, name, arg) < 0)
			return -1;
		if (parse_url(arg, &cfg->dst_ip, &cfg->dst_port, host, sizeof(host), &path) < 0) {
			fprintf(stderr, PROG ": --%s '%s': expected http://A.B.C.D[:PORT][/path] "
				"(an IPv4 address, no name lookup; no spaces in the path)\n", name, arg);
			return -1;
		}
		/* Connection: close is added in load_check (it depends on --close) */
		int len = snprintf(cfg->req, sizeof(cfg->req),
				   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hare-load\r\n"
				   "Accept: */*\r\n", path, host);
		if (len < 0 || (size_t)len + 32 >= sizeof(cfg->req)) {
			fprintf(stderr, PROG ": --%s: URL too long (at most ~%d bytes)\n", name,
				LOAD_MAX_REQ - 128);
			return -1;
		}
		cfg->req_len = (uint32_t)len;
		return 0;
	}
	if (strcmp(name, "echo") == 0 || strcmp(name, "connect") == 0) {
		if (set_mode(cfg, name[0] == 'e' ? LOAD_MODE_ECHO : LOAD_MODE_CONNECT, name, arg) < 0)
			return -1;
		if (parse_hostport(arg, &cfg->dst_ip, &cfg->dst_port) < 0) {
			fprintf(stderr, PROG ": --%s '%s': expected A.B.C.D:PORT, e.g. 198.18.0.2:7\n",
				name, arg);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "close") == 0) {
		cfg->close = true;
		return 0;
	}
	if (strcmp(name, "rst") == 0) {
		cfg->rst = true;
		return 0;
	}
	if (strcmp(name, "quiet") == 0) {
		cfg->quiet = true;
		return 0;
	}
	if (strcmp(name, "size") == 0) {
		if (hare_app_parse_uint(arg, 1, 1u << 30, &v) < 0) {
			fprintf(stderr, PROG ": --size '%s': expected bytes in 1..1073741824\n", arg);
			return -1;
		}
		cfg->size = (uint32_t)v;
		return 0;
	}
	if (strcmp(name, "output") == 0) {
		cfg->out_file = arg;
		return 0;
	}
	if (strcmp(name, "json") == 0) {
		cfg->json_file = arg;
		return 0;
	}
	if (strcmp(name, "connections") == 0) {
		if (hare_app_parse_uint(arg, 1, 4000000, &v) < 0) {
			fprintf(stderr, PROG ": -c '%s': expected connections in 1..4000000\n", arg);
			return -1;
		}
		cfg->conns = v;
		return 0;
	}
	if (strcmp(name, "requests") == 0) {
		if (hare_app_parse_uint(arg, 1, UINT64_MAX >> 1, &v) < 0) {
			fprintf(stderr, PROG ": -n '%s': expected a positive count\n", arg);
			return -1;
		}
		cfg->total = v;
		cfg->n_set = true;
		return 0;
	}
	if (strcmp(name, "stack-stats") == 0) {
		if (hare_app_parse_uint(arg, 1, 86400, &v) < 0) {
			fprintf(stderr, PROG ": --stack-stats '%s': expected seconds in 1..86400\n", arg);
			return -1;
		}
		cfg->stack_stats_s = (unsigned)v;
		return 0;
	}
	if (strcmp(name, "rate") == 0) {
		char *end;
		double r = strtod(arg, &end);

		if (end == arg || *end != '\0' || !(r > 0) || r > 1e9) {
			fprintf(stderr, PROG ": --rate '%s': expected requests/s in (0, 1e9]\n", arg);
			return -1;
		}
		cfg->rate = r;
		return 0;
	}
	if (strcmp(name, "duration") == 0 || strcmp(name, "timeout") == 0 ||
	    strcmp(name, "connect-timeout") == 0 || strcmp(name, "time-wait") == 0) {
		if (parse_time_ms(arg, &ms) < 0 || (ms == 0 && name[0] != 't') ||
		    (name[0] != 'd' && ms > 3600000)) {
			fprintf(stderr, PROG ": --%s '%s': expected a time such as 10, 10s, 500ms, 2m "
				"(timeouts at most 1h)\n", name, arg);
			return -1;
		}
		if (name[0] == 'd') {
			cfg->duration_ms = ms;
			cfg->dur_set = true;
		} else if (strcmp(name, "timeout") == 0) {
			if (ms == 0) {
				fprintf(stderr, PROG ": --timeout must be > 0\n");
				return -1;
			}
			cfg->timeout_ms = (uint32_t)ms;
		} else if (name[0] == 'c') {
			cfg->connect_timeout_ms = (uint32_t)ms;
		} else {
			cfg->time_wait_ms = (uint32_t)ms;
		}
		return 0;
	}
	fprintf(stderr, PROG ": internal error: option --%s not handled\n", name);
	return -1;
}

int
load_check(struct load_cfg *cfg, struct hare_config *hc)
{
	if (cfg->mode == LOAD_MODE_NONE) {
		fprintf(stderr, PROG ": say what to do: --url URL, --echo A.B.C.D:P, --connect "
			"A.B.C.D:P or --get URL (see " PROG " --help)\n");
		return -1;
	}
	if (cfg->close && cfg->mode != LOAD_MODE_URL) {
		fprintf(stderr, PROG ": --close goes with --url only\n");
		return -1;
	}
	if (cfg->size && cfg->mode != LOAD_MODE_ECHO) {
		fprintf(stderr, PROG ": --size goes with --echo only\n");
		return -1;
	}
	if (cfg->out_file && cfg->mode != LOAD_MODE_GET) {
		fprintf(stderr, PROG ": -o/--output goes with --get only\n");
		return -1;
	}
	if (cfg->rst && cfg->mode != LOAD_MODE_CONNECT && !cfg->close) {
		fprintf(stderr, PROG ": --rst goes with --connect or --url --close\n");
		return -1;
	}
	if (cfg->mode == LOAD_MODE_GET) {
		if (cfg->conns > 1 || cfg->total > 1 || cfg->rate > 0 || cfg->dur_set) {
			fprintf(stderr, PROG ": --get fetches once: no -c, -n, -d or --rate with it "
				"(use --url for load)\n");
			return -1;
		}
		cfg->conns = 1;
		cfg->total = 1;
		cfg->n_set = true;
		if (cfg->timeout_ms == 0)
			cfg->timeout_ms = 30000;
	}
	if (cfg->mode == LOAD_MODE_ECHO && cfg->size == 0)
		cfg->size = 64;
	if (cfg->mode == LOAD_MODE_URL || cfg->mode == LOAD_MODE_GET) {
		const char *tail = (cfg->close || cfg->mode == LOAD_MODE_GET) ?
			"Connection: close\r\n\r\n" : "\r\n";
		size_t tl = strlen(tail);

		memcpy(cfg->req + cfg->req_len, tail, tl + 1);
		cfg->req_len += (uint32_t)tl;
	}
	if (cfg->conns == 0)
		cfg->conns = 10;
	if (!cfg->dur_set && !cfg->n_set)
		cfg->duration_ms = 10000;   /* wrk's default */
	if (cfg->timeout_ms == 0)
		cfg->timeout_ms = 5000;
	if (cfg->connect_timeout_ms == 0)
		cfg->connect_timeout_ms = 3000;
	if (cfg->time_wait_ms == 0)
		cfg->time_wait_ms = 2000;
	if (cfg->rate > 0 && cfg->total == 0 && cfg->duration_ms == 0) {
		fprintf(stderr, PROG ": --rate needs -d or -n\n");
		return -1;
	}
	if (cfg->conns > (uint64_t)hc->n_ips * 64512) {
		fprintf(stderr, PROG ": -c %lu needs more source ports than %u address(es) have "
			"(64512 each): add --ip addresses (ranges: --ip A.B.C.D-E.F.G.H/LEN)\n",
			(unsigned long)cfg->conns, hc->n_ips);
		return -1;
	}

	/* The app's own line takes --stats (default every second); the stack's
	 * blocks only with --stack-stats (the final block always prints). */
	cfg->stats_s = cfg->quiet ? 0 : (hc->stats_interval_s ? hc->stats_interval_s : 1);
	hc->stats_interval_s = cfg->stack_stats_s;

	/* TCP tunables for a client: TIME_WAIT is ours when we close first
	 * (--connect, or the server keeps the connection); with 2*MSL = 60 s
	 * one address could open only ~470 connections/s. RFC 6191-style
	 * reuse would be the alternative; a short TIME_WAIT is what load
	 * generators do (dperf keeps none). */
	hc->tcp.time_wait_ms = cfg->time_wait_ms;
	{
		uint64_t want = cfg->conns + cfg->conns / 4 + 1024;

		if (want > hc->tcp.max_conns)
			hc->tcp.max_conns = (uint32_t)(want > UINT32_MAX ? UINT32_MAX : want);
	}
	return 0;
}
