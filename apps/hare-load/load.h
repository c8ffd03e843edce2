/* load.h — hare-load's shared types: the run configuration (read-only
 * once workers run), the per-worker counters and the per-worker engine.
 *
 * Files:
 *   main.c         hooks for hare_app_main (options, setup, stop, report)
 *   load_cli.c     option parsing, URL/target parsing, argv rewriting
 *                  (short options -c/-d/-n/-o, --ip ranges)
 *   load_engine.c  the per-worker engine: TCP callbacks, the 1 ms tick
 *                  (opening, pacing, timeouts, phases)
 *   load_port.c    source address / port choice (the RSS seam)
 *   load_report.c  the per-second line, the wrk-shaped summary, --json
 */
#ifndef HARE_LOAD_H
#define HARE_LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "hare.h"
#include "hare_tcp.h"
#include "hare_app.h"
#include "histogram.h"
#include "http_client_parser.h"

enum load_mode {
	LOAD_MODE_NONE = 0,
	LOAD_MODE_URL,      /* HTTP GET load (keep-alive, or --close) */
	LOAD_MODE_ECHO,     /* request/response rounds over an echo server */
	LOAD_MODE_CONNECT,  /* handshake only, then close */
	LOAD_MODE_GET,      /* fetch one URL once (curl -o) */
};

/* Error kinds; every failed request or connection counts exactly one. */
enum load_err {
	LOAD_ERR_CONNECT_TIMEOUT = 0, /* no SYN-ACK within --connect-timeout */
	LOAD_ERR_REFUSED,             /* RST answered our SYN */
	LOAD_ERR_RESET,               /* RST on an established connection */
	LOAD_ERR_TIMEOUT,             /* no progress on a request for --timeout */
	LOAD_ERR_PARSE,               /* malformed response (or unsolicited bytes) */
	LOAD_ERR_SHORT_BODY,          /* closed inside a Content-Length/chunked body */
	LOAD_ERR_CLOSED,              /* closed before the response head ended */
	LOAD_ERR_MISMATCH,            /* echo: bytes differ from what was sent */
	LOAD_ERR_LOCAL,               /* could not open: no port / no connection slot / no mbuf */
	LOAD_ERR_COUNT,
};

const char *load_err_name(enum load_err e);

#define LOAD_MAX_HOST 64
#define LOAD_MAX_REQ 2048
#define LOAD_MAX_SERIES 3600   /* per-second samples kept for --json */

/* The run, as the command line asked for it. */
struct load_cfg {
	enum load_mode mode;
	char target[LOAD_MAX_REQ];  /* URL or A.B.C.D:P as given */
	uint32_t dst_ip;            /* network order */
	uint16_t dst_port;          /* host order */
	char req[LOAD_MAX_REQ];     /* prebuilt HTTP request */
	uint32_t req_len;
	bool close;                 /* --close: one request per connection */
	bool rst;                   /* --rst: close with RST (no TIME_WAIT) */
	uint32_t size;              /* --echo bytes per round */
	uint64_t conns;             /* -c */
	uint64_t duration_ms;       /* -d; 0 = until -n is reached */
	uint64_t total;             /* -n; 0 = unlimited (then -d bounds) */
	double rate;                /* --rate, requests/s over all workers; 0 = closed loop */
	uint32_t timeout_ms;        /* no progress on a request for this long = timeout */
	uint32_t connect_timeout_ms;
	uint32_t time_wait_ms;      /* TIME_WAIT we keep as the active closer */
	const char *out_file;       /* --get -o */
	const char *json_file;
	unsigned stats_s;           /* per-second line period; 0 = off */
	unsigned stack_stats_s;     /* the stack's own counter blocks */
	bool quiet;                 /* no per-second line */
	bool dur_set, n_set;
};

/* Per-worker counters: written by the worker only, read (possibly a
 * burst old, like hare_stats) by the main thread for the per-second line. */
struct load_counters {
	uint64_t conn_attempts;     /* connect calls that returned a handle */
	uint64_t conn_ok;           /* handshakes completed */
	uint64_t requests;          /* requests (or rounds, or connects) started */
	uint64_t responses;         /* completed and valid */
	uint64_t failed;            /* requests that ended in an error */
	uint64_t status[6];         /* [1..5]: responses by status class */
	uint64_t tx_bytes, rx_bytes;/* TCP payload bytes */
	uint64_t body_bytes;
	uint64_t lat_sum_ns;        /* sum of recorded request latencies */
	uint64_t err[LOAD_ERR_COUNT];
	uint64_t server_closed;     /* idle keep-alive connections the server closed */
	uint64_t late;              /* --rate: requests sent after their intended time + 1 ms */
	uint64_t active;            /* established connections now (gauge) */
};

struct load_worker;

/* Connection slot states. */
enum load_conn_state {
	LC_FREE = 0,     /* no TCP connection: can be opened */
	LC_CONNECTING,   /* SYN sent */
	LC_IDLE,         /* established, no request (keep-alive, --rate) */
	LC_BUSY,         /* request in flight */
	LC_LINGER,       /* --close: response done, waiting for the server's FIN */
};

/* One client connection slot. */
struct load_conn {
	struct hare_tcp_conn *tc;
	struct load_worker *lw;
	uint32_t idx;
	uint8_t state;             /* enum load_conn_state */
	bool est;                  /* established (counted in active) */
	bool in_idle;              /* on the idle stack (entries go stale lazily) */
	uint64_t t_open_tsc;       /* connect call */
	uint64_t t_req_tsc;        /* latency origin: send time, or intended time (--rate) */
	uint64_t deadline_ms;      /* timeout check (0 = none) */
	uint32_t echo_tx_left;     /* echo: bytes of this round still to queue */
	uint32_t echo_rx_off;      /* echo: bytes of this round received */
	struct http_resp_parser p;
};

/* Source address / port choice for one worker (load_port.c). */
struct load_port {
	uint32_t ips[HARE_MAX_IPS]; /* network order */
	unsigned n_ips, ip_next;
	uint16_t next[HARE_MAX_IPS];/* next port to try per address */
	unsigned worker_id, n_workers;
	uint16_t rx_queue;
	bool rss;                   /* reply queue predicted with the port's Toeplitz key */
	uint8_t rss_key[64];
	uint32_t rss_key_len;
	uint16_t reta_size;
	uint16_t reta[512];
	uint32_t dst_ip;            /* network order */
	uint16_t dst_port;          /* host order */
};

enum load_phase { LP_RUN = 0, LP_DRAIN, LP_CLOSE, LP_DONE };

/* One worker's engine (allocated on its socket in worker_setup). */
struct load_worker {
	struct hare_worker *w;
	const struct load_cfg *cfg;
	struct load_conn *conns;
	uint32_t n_conns;
	uint32_t *free_stk, n_free;   /* LC_FREE slots */
	uint32_t *idle_stk, n_idle;   /* LC_IDLE slots (--rate keep-alive) */
	uint64_t quota;               /* this worker's share of -n (UINT64_MAX = none) */
	uint64_t inflight;            /* requests started and not finished */
	uint8_t phase;                /* enum load_phase; LP_DONE read by the main thread */
	bool started;
	bool answered;                /* the server answered a SYN (ARP is resolved) */
	bool closed_loop;             /* cfg->rate == 0 (read per response) */
	bool per_conn;                /* a connection is the request (connect, --close, --get) */
	uint64_t start_ms, end_ms, phase_until;
	uint64_t start_tsc, last_done_tsc, drain_tsc;
	double tsc_per_req;           /* --rate: intended gap between requests */
	uint32_t req_copy;            /* bytes req_into_mbuf copies; UINT32_MAX: no reuse */
	uint16_t req_sum;             /* hare_tcp_payload_sum of cfg->req (hare_tcp_send_summed) */
	uint64_t ns_mult;             /* ns = (tsc * ns_mult) >> 32 */
	uint32_t scan_pos;
	struct load_port port;
	struct hare_tcp_ops ops;      /* callbacks, ctx = the slot */
	FILE *out;                    /* --get -o */
	bool get_ok;                  /* --get: complete, valid, 2xx */
	int get_status;
	struct load_counters cnt;
	struct http_resp_memo memo;   /* the last response head, shared by the slots' parsers */
	struct hist lat;              /* request (or handshake) latency, ns */
	struct hist conn_lat;         /* handshake latency, ns */
};

/* load_cli.c */
int load_cli_rewrite(int argc, char **argv, int *out_argc, char ***out_argv);
int load_parse_opt(struct load_cfg *cfg, const char *name, const char *arg);
int load_check(struct load_cfg *cfg, struct hare_config *hc);
extern const struct hare_app_opt load_opts[];

/* load_port.c */
int load_port_init(struct load_port *lp, struct hare_worker *w, const struct load_cfg *cfg);
/* Would the reply to src:sport (network / host order) reach lp's worker? */
bool load_port_fits(const struct load_port *lp, uint32_t src, uint16_t sport);
struct hare_tcp_conn *load_port_connect(struct load_port *lp, struct hare_worker *w,
					const struct hare_tcp_ops *ops, void *ctx, int *err);

/* load_engine.c */
struct load_worker *load_worker_create(struct hare_worker *w, const struct load_cfg *cfg,
				       uint64_t quota, uint32_t n_conns);
void load_worker_set_output(struct load_worker *lw, FILE *out);
void load_worker_destroy(struct load_worker *lw);
void load_pattern_init(void);

/* load_report.c */
void load_report_tick(const struct load_cfg *cfg, struct load_worker *const *lws, unsigned n,
		      uint64_t now_ms);
int load_report_final(const struct load_cfg *cfg, struct load_worker *const *lws, unsigned n);

#endif
