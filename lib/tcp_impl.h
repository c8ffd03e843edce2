/* tcp_impl.h — internals shared by the TCP files (never included by apps).
 *
 * Files and their call chains:
 *   tcp_in.c    hare_tcp_input() -> tcp_input_listen() | tcp_input_syn_sent() |
 *               tcp_fast_path() | tcp_slow_path() (RFC 9293 §3.10.7.4 steps)
 *               -> tcp_ack() / tcp_data() -> app callbacks -> tcp_output()
 *   tcp_out.c   tcp_output() -> tcp_xmit() -> hare_ipv4_output()
 *               tcp_respond() (RST/ACK without a connection)
 *   tcp_timer.c hare_tcp_timers() -> wheel slots -> tcp_timer_fire()
 *               -> RTO / persist / delayed ACK / keepalive / FIN_WAIT_2;
 *               TIME_WAIT FIFO expiry
 *   tcp_flow.c  flow table (4-tuple -> conn | TIME_WAIT entry), connection
 *               and TIME_WAIT slabs, listeners, ISN (RFC 6528)
 *   tcp_api.c   the application API of hare_tcp.h
 *   tcp_cc.c    congestion control ops (NewReno; the CUBIC seam)
 *   tcp_sack.c  sender SACK scoreboard and loss recovery (RFC 6675 + PRR
 *               RFC 6937, lost-retransmission detection, adaptive
 *               DupThresh, D-SACK undo); called from tcp_ack()/tcp_ack_new(),
 *               tcp_output() (skip SACKed data) and the PTO/RTO timers
 */
#ifndef HARE_TCP_IMPL_H
#define HARE_TCP_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_hash_crc.h>
#include <string.h>

#include "hare_worker.h"
#include "hare_tcp.h"
#include "tcp.h"

/* Sequence-space comparisons (RFC 9293 §3.4, modulo 2^32). */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))
/* 32-bit ms clock comparisons (wraps after 49 days). */
#define TIME_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

#define TH_FIN RTE_TCP_FIN_FLAG
#define TH_SYN RTE_TCP_SYN_FLAG
#define TH_RST RTE_TCP_RST_FLAG
#define TH_PSH RTE_TCP_PSH_FLAG
#define TH_ACK RTE_TCP_ACK_FLAG
#define TH_URG RTE_TCP_URG_FLAG

#define TCP_NONE UINT32_MAX         /* "no index" in intrusive lists */
#define TCP_MAX_LISTENERS 64
#define TCP_WHEEL_BITS 12           /* 4096 one-ms slots; longer timers wrap */
#define TCP_WHEEL_SLOTS (1u << TCP_WHEEL_BITS)
#define TCP_ACKQ_MAX 64           /* end-of-burst ACKs per worker (more: sent at once) */
#define TCP_MAX_SACK 4              /* SACK blocks in one segment's option (RFC 2018 §3) */
#define TCP_SB_MAX 16               /* SACKed ranges in the sender's scoreboard (RFC 6675 §3):
				     * 3% loss in a 180-segment window leaves ~6 holes */
#define TCP_DUPTHRESH 3             /* RFC 5681/6675 DupThresh, raised per connection when
				     * reordering is seen (c->dupthresh) */
#define TCP_DUPTHRESH_MAX 32
#define TCP_REC_PROBES 3            /* PTOs per recovery before the RTO decides */
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_DATA_RETRIES 12
#define TCP_PERSIST_MIN_MS 200
#define TCP_DEFAULT_MSS 536         /* RFC 9293 §3.7.1 when the peer sends none */
#define TCP_PAWS_IDLE_MS (24u * 24 * 3600 * 1000) /* RFC 7323 §5.5: 24 days */
#define TCP_CHALLENGE_ACK_PER_S 1000 /* RFC 5961 §7 throttle, per worker */
#define TCP_EPHEMERAL_LO 32768
#define TCP_EPHEMERAL_HI 60999

/* Connection flags (c->flags). */
#define TF_ACKNOW     (1u << 0)   /* send an ACK at the end of this input */
#define TF_DELACK     (1u << 1)   /* an ACK is owed; delayed-ACK timer armed */
#define TF_FIN_QUEUED (1u << 2)   /* app shut down writing: FIN follows the data */
#define TF_FIN_SENT   (1u << 3)   /* FIN has been sent (snd_max covers it) */
#define TF_FIN_ACKED  (1u << 4)
#define TF_RCVD_FIN   (1u << 5)   /* peer's FIN processed (rcv_nxt covers it) */
#define TF_OOO_FIN    (1u << 6)   /* peer's FIN seen beyond a hole (at ooo_fin) */
#define TF_ACTIVE     (1u << 7)   /* opened by hare_tcp_connect */
#define TF_ORPHAN     (1u << 8)   /* app called close: no callbacks any more */
#define TF_DEAD       (1u << 9)   /* closed; on the zombie list to be freed */
#define TF_IN_RECOVERY (1u << 10) /* NewReno fast recovery (RFC 6582) */
#define TF_PERSIST    (1u << 11)  /* t_rexmt is the persist timer */
#define TF_RTT_TIMING (1u << 12)  /* timing rtt_seq (no timestamps; Karn) */
#define TF_ACCEPTED   (1u << 13)  /* on_accept said yes */
#define TF_MANUAL_RECV (1u << 14) /* window opens on hare_tcp_recved() only */
#define TF_SYN_DATA   (1u << 15)  /* SYN carried data, parked in the OOO queue */
#define TF_WND_UPDATE (1u << 16)  /* consider a window update */
#define TF_TLP        (1u << 17)  /* t_rexmt is a tail loss probe (RFC 8985 §7) */
#define TF_TLP_SENT   (1u << 18)  /* one probe per tail: cleared by a new ACK */
#define TF_SACK_RECOVERY (1u << 19) /* the recovery is RFC 6675's (scoreboard, PRR) */
#define TF_RXT_FENCE  (1u << 20)  /* rxt_fence is set (see there) */
#define TF_ACK_2SEG   (1u << 21)  /* ACK owed for two full segments: sent at the end
				   * of the RX burst (see hare_tcp_rx_burst_end) */
#define TF_ACK_QUEUED (1u << 22)  /* on the worker's end-of-burst ACK list */
#define TF_SENT_CB    (1u << 23)  /* call ops->on_sent for ACKs of new data
				   * (tcp_set_ops, hare_tcp_want_sent) */
#define TF_UNHASHED   (1u << 24)  /* its flow slot went to its TIME_WAIT entry
				   * (tcp_enter_time_wait): release leaves the table */

/* Negotiated options (c->opt). */
#define TO_TS   (1u << 0)
#define TO_SACK (1u << 1)
#define TO_WS   (1u << 2)

/* Per-mbuf metadata while an mbuf sits in the out-of-order queue or the
 * send queue (a registered mbuf dynamic field, so nothing else in the mbuf
 * is abused). The queues link through qnext, never through ->next: a
 * send-queue mbuf may be on the TX ring as a frame of its own (see
 * tcp_out.c, "sent in place"), and a driver frees a frame by walking
 * ->next. */
struct tcp_mbuf_meta {
	struct rte_mbuf *qnext;          /* next in the queue, NULL at the tail */
	union {
		uint32_t seq;            /* out-of-order queue: first byte's seq */
		uint32_t skip;           /* send queue: bytes before the unacked
					  * payload (frame headers, acked bytes) */
	};
	union {
		uint32_t len;            /* out-of-order queue: payload bytes */
		uint32_t psum;           /* send queue: the payload's ones'-complement
					  * sum | TCP_PSUM_VALID when the app gave it
					  * (hare_tcp_send_summed), else 0 */
	};
};
#define TCP_PSUM_VALID (1u << 16)

/* The 4-tuple, in the first 12 bytes of both a conn and a TIME_WAIT entry
 * so the flow table compares either the same way. Network order. */
struct tcp_tuple {
	uint32_t raddr, laddr;
	uint16_t rport, lport;
};

struct hare_tcp_conn;

/* Congestion control hooks; NewReno is the only one now, CUBIC (RFC 9438)
 * plugs in here. cwnd/ssthresh live in the conn. */
struct tcp_cc_ops {
	void (*init)(struct hare_tcp_conn *c);
	void (*on_ack)(struct hare_tcp_conn *c, uint32_t acked);   /* new data acked, not in recovery */
	void (*on_loss)(struct hare_tcp_conn *c, bool rto);         /* sets ssthresh/cwnd */
	void (*on_recovery_end)(struct hare_tcp_conn *c);
};
extern const struct tcp_cc_ops tcp_cc_newreno;

/* A listening socket. */
struct tcp_listener {
	uint32_t laddr;                  /* 0 = any of our addresses */
	uint16_t lport;                  /* network order */
	uint16_t in_use;
	uint32_t backlog;                /* bound on half-open + unaccepted */
	uint32_t pending;                /* SYN_RCVD connections now */
	const struct hare_tcp_ops *ops;
	void *ctx;
};

/* One connection. Hot fields for header prediction first; ~ 5 cache lines.
 * Sizes are measured by tests/tcp (test_tcp_sizes) and reported. */
struct hare_tcp_conn {
	struct tcp_tuple t;              /* 12 */
	uint32_t hash;                   /* flow hash (table slot) */
	void *ctx;                       /* the app's; at HARE_TCP_CONN_CTX_OFFSET */
	uint8_t state;                   /* enum hare_tcp_state */
	uint8_t opt;                     /* TO_* */
	uint8_t snd_wscale, rcv_wscale;  /* RFC 7323 §2 */
	uint32_t flags;                  /* TF_* */

	/* receive side (RFC 9293 §3.3.1) */
	uint32_t rcv_nxt;
	uint32_t rcv_adv;                /* right edge we advertised */
	uint32_t last_ack_sent;          /* rcv_nxt in our last ACK (RFC 7323 §4.3) */
	uint32_t rcv_unread;             /* delivered but not hare_tcp_recved (manual) */
	uint32_t ts_recent, ts_recent_age;
	uint32_t ts_offset;              /* our TSval = now_ms + ts_offset */
	uint32_t irs;

	/* send side */
	uint32_t snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, max_sndwnd;
	uint32_t snd_wl1, snd_wl2;
	uint32_t iss;
	uint32_t cwnd, ssthresh, recover;
	uint32_t snd_buffered;           /* bytes in sndq, from snd_una */
	uint16_t mss;                    /* payload per segment we send (options excluded) */
	uint16_t rcv_mss;                /* peer's estimated segment size */
	uint8_t dupacks;
	uint8_t rxt_shift;               /* backoff exponent (RFC 6298 5.5) */
	uint8_t n_sack;                  /* valid entries in sack[] */
	uint8_t ka_probes;
	uint8_t dupthresh;               /* DupThresh in segments; grows with seen reordering */
	uint8_t rec_probes;              /* PTOs in this SACK recovery since the last new ACK */
	struct rte_mbuf *sndq_head, *sndq_tail; /* single-seg mbufs linked by meta qnext */
	struct rte_mbuf *snd_cur;        /* cursor: mbuf holding byte snd_cur_seq */
	uint32_t snd_cur_seq;

	/* RTT (RFC 6298), ms scaled: srtt<<3, rttvar<<2 */
	uint32_t srtt, rttvar, rto;
	uint32_t rtt_seq, rtt_start;
	uint32_t rtt_ecr;                /* TSecr of the last timestamp RTT sample */
	uint32_t rexmt_stamp;            /* ms when an ACK last restarted t_rexmt */

	/* SACK scoreboard (RFC 6675 §3): peer-SACKed ranges above snd_una,
	 * sorted, disjoint, non-adjacent; lost = holes below lost_edge (IsLost) */
	uint32_t sack[TCP_SB_MAX][2];
	uint32_t sacked;                 /* total bytes in sack[] */
	uint32_t rexmit_nxt;             /* holes below it were retransmitted this pass */
	uint32_t rxt_fence;              /* snd_max when the pass ran out of lost holes
					  * (0 = pass under way); SACKs of data sent after it
					  * prove the pass's retransmissions lost */
	uint32_t rxt_high;               /* bytes >= this were never retransmitted */
	/* RFC 6937 PRR state, and RFC 3708-style undo of a spurious recovery */
	uint32_t prr_delivered, prr_out, recover_fs;
	uint32_t prior_cwnd, prior_ssthresh;
	uint16_t undo_retrans;           /* retransmissions not yet D-SACKed */

	/* out-of-order queue, sorted by seq, linked via tcp_mbuf_meta.qnext */
	struct rte_mbuf *ooo_head;
	uint16_t ooo_count;
	uint16_t lidx;                   /* listener index (passive) */
	uint32_t ooo_last;               /* seq of the latest OOO arrival (first SACK block) */
	uint32_t ooo_fin;

	/* timers: deadlines in ms (0 = off), one wheel node */
	uint32_t t_rexmt, t_delack, t_keep;
	uint32_t t_expire;               /* when the wheel node fires */
	uint32_t t_next, t_prev;         /* wheel list (conn indices) */
	uint8_t t_linked;                /* node is on a wheel slot */
	uint32_t zombie_next;

	/* application (ctx: at the top, see hare_tcp_ctx) */
	const struct hare_tcp_ops *ops;
	struct hare_worker *w;
};
_Static_assert(offsetof(struct hare_tcp_conn, ctx) == HARE_TCP_CONN_CTX_OFFSET,
	       "hare_tcp_ctx() (hare_tcp.h) reads the app's context at this offset");

/* A connection in TIME_WAIT, kept compact (RFC 9293 §3.10.7.4 TIME-WAIT):
 * enough to re-ACK a retransmitted FIN and judge a new SYN (RFC 6191). */
struct tcp_tw {
	struct tcp_tuple t;              /* 12 */
	uint32_t hash;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_offset;
	uint32_t expire;                 /* ms */
	uint32_t next;                   /* FIFO / free list */
	uint16_t wnd;                    /* window field to send */
	uint8_t has_ts;
	uint8_t in_use;
	uint8_t refreshed;               /* expire moved later (FIN re-ACKed) */
};

/* Flow table slot: open addressing, linear probing, backward-shift delete.
 * ref: 0 empty, else (index + 1) | TCP_REF_TW for TIME_WAIT entries. */
struct tcp_slot {
	uint32_t hash;
	uint32_t ref;
};
#define TCP_REF_TW 0x80000000u

/* Per-worker TCP state. */
struct hare_tcp_ctx {
	struct hare_worker *w;
	struct tcp_slot *slots;
	uint32_t slot_mask;
	uint32_t n_flows;
	struct hare_tcp_conn *conns;
	uint32_t max_conns, n_conns, conn_free;   /* free list through t_next */
	struct tcp_tw *tw;
	uint32_t max_tw, n_tw, tw_free, tw_head, tw_tail;
	uint32_t *wheel;                 /* slot heads (conn indices) */
	uint32_t wheel_last;             /* last processed tick (ms, 32 bit) */
	uint32_t zombies;                /* conns to free after the current event */
	int meta_off;                    /* tcp_mbuf_meta dynfield offset */
	uint32_t challenge_window, challenge_count;
	uint16_t next_port;
	uint16_t n_listeners;
	const uint8_t *rss_key;          /* set when flow hash = NIC Toeplitz */
	uint32_t rss_key_len;
	uint64_t isn_key[2];             /* RFC 6528 secret */
	uint64_t isn_v[4];               /* SipHash state after the key (tcp_flow.c) */
	uint64_t isn_tsc_div;            /* TSC ticks per 4 µs, + 1 */
	bool isn_fixed_set;
	uint32_t isn_fixed;
	const struct tcp_cc_ops *cc;
	uint32_t pool_free;              /* mbufs free in w->pool, sampled each ms */
	uint8_t mem_pressure;
	uint8_t in_event;                /* inside input/timers: defer frees */
	uint8_t wscale;                  /* our window scale for rcv_buf = wscale_buf */
	uint32_t wscale_buf;
	uint32_t ackq[TCP_ACKQ_MAX];     /* conns owing an ACK at the end of the RX burst;
					  * w->tcp_acks_owed of them (the worker's loop reads it) */
	struct tcp_listener listeners[TCP_MAX_LISTENERS];
};

/* The segment being processed (on the stack; no file-level statics). */
struct tcp_seg {
	struct rte_mbuf *m;              /* data at the TCP header, then the payload */
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t seq, ack, wnd;
	uint32_t len;                    /* payload bytes */
	uint32_t hash;
	uint16_t hlen;
	uint8_t flags;
	uint8_t has_ts, has_mss, has_ws, sack_ok, n_sack;
	uint8_t ws;
	uint16_t mss;
	uint32_t tsval, tsecr;
	uint32_t sack[TCP_MAX_SACK][2];
	struct tcp_tuple t;              /* from our point of view */
};

static inline struct tcp_mbuf_meta *
tcp_meta(const struct hare_tcp_ctx *x, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, x->meta_off, struct tcp_mbuf_meta *);
}

/* Send-queue mbufs (tcp_out.c): the unacknowledged payload of q is
 * skip bytes into its data (data_len - skip of them); the next mbuf is
 * qnext. A new entry starts with its data all payload. */
static inline struct rte_mbuf *
sndq_next(const struct hare_tcp_ctx *x, struct rte_mbuf *q)
{
	return tcp_meta(x, q)->qnext;
}

static inline uint32_t
sndq_len(const struct hare_tcp_ctx *x, struct rte_mbuf *q)
{
	return q->data_len - tcp_meta(x, q)->skip;
}

static inline char *
sndq_data(const struct hare_tcp_ctx *x, struct rte_mbuf *q)
{
	return rte_pktmbuf_mtod_offset(q, char *, tcp_meta(x, q)->skip);
}

/* The first n unacknowledged bytes of the entry with meta mt are
 * acknowledged: skipped, not cut (the entry may be a frame on the TX
 * ring, whose data_off is the driver's); a payload sum from the app no
 * longer applies. */
static inline void
sndq_skip(struct tcp_mbuf_meta *mt, uint32_t n)
{
	mt->skip += n;
	mt->psum = 0;
}

/* Append n bytes from src in the tail room of entry t (the caller checked
 * the room and that t is not shared); its payload sum no longer applies. */
static inline void
sndq_tail_fill(const struct hare_tcp_ctx *x, struct rte_mbuf *t, const void *src, uint32_t n)
{
	memcpy(rte_pktmbuf_mtod_offset(t, char *, t->data_len), src, n);
	t->data_len = (uint16_t)(t->data_len + n);
	t->pkt_len = t->data_len;
	tcp_meta(x, t)->psum = 0;
}

/* q becomes a send-queue entry, all of its data payload; psum: the
 * payload's sum from the app (TCP_PSUM_VALID | sum), or 0. */
static inline void
sndq_entry_init(const struct hare_tcp_ctx *x, struct rte_mbuf *q, uint32_t psum)
{
	struct tcp_mbuf_meta *mt = tcp_meta(x, q);

	mt->qnext = NULL;
	mt->skip = 0;
	mt->psum = psum;
}

static inline uint32_t tcp_now(const struct hare_worker *w) { return (uint32_t)w->now_ms; }
static inline uint32_t tcp_conn_idx(const struct hare_tcp_ctx *x, const struct hare_tcp_conn *c)
{
	return (uint32_t)(c - x->conns);
}

/* The window to advertise (bytes, before scaling). RFC 9293 §3.8.6.2.2:
 * receiver-side SWS avoidance, and never shrink the right edge. Inline:
 * every ACK we send computes it. */
static inline uint32_t
tcp_rcv_window(const struct hare_tcp_conn *c, const struct hare_worker *w)
{
	uint32_t buf = w->cfg->tcp.rcv_buf, used = c->rcv_unread, win, cur;

	if (likely(!w->tcp->mem_pressure && buf <= (65535u << c->rcv_wscale))) {
		/* the usual case: the app holds nothing back, so the whole
		 * buffer is offered (never less than already promised:
		 * rcv_adv - rcv_nxt never exceeds buf) */
		if (likely(used == 0))
			return buf;
	} else if (w->tcp->mem_pressure) {
		/* keep what was promised, promise nothing more (tcp_timer.c) */
		return SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	}
	win = used >= buf ? 0 : buf - used;
	if (win > (65535u << c->rcv_wscale))
		win = 65535u << c->rcv_wscale;
	cur = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	/* never shrink the right edge; receiver SWS avoidance */
	if (win <= cur || (win - cur < RTE_MIN(buf / 2, (uint32_t)c->rcv_mss) && win != buf))
		return cur;
	return win;
}

/* tcp_flow.c */
uint32_t tcp_flow_hash_rss(const struct hare_tcp_ctx *x, const struct tcp_tuple *t);

/* rte_hash_crc_4byte (CRC32-C) without its run-time choice of algorithm
 * when the build has SSE4.2 (-march=native): the same value either way. */
static __rte_always_inline uint32_t
tcp_crc32c(uint32_t data, uint32_t init)
{
#ifdef __SSE4_2__
	return __builtin_ia32_crc32si(init, data);
#else
	return rte_hash_crc_4byte(data, init);
#endif
}

/* The flow hash: the NIC's Toeplitz (computed in software for tuples we
 * originate) when an RSS key is set, else CRC32 of the tuple (three
 * SSE4.2 crc32 instructions), from the tuple's two words as a received
 * segment holds them (struct tcp_tuple's layout: the IPv4 source and
 * destination, then the TCP source and destination ports). Inline with
 * the lookup: both run for every segment. */
static __rte_always_inline uint32_t
tcp_flow_hash_hdr(const struct hare_tcp_ctx *x, uint64_t addrs, uint32_t ports)
{
	uint32_t h;

	if (x->rss_key) {
		struct tcp_tuple t;

		memcpy(&t, &addrs, 8);
		memcpy((char *)&t + 8, &ports, 4);
		return tcp_flow_hash_rss(x, &t);
	}
	h = tcp_crc32c((uint32_t)addrs, 0x9e3779b9u);
	h = tcp_crc32c((uint32_t)(addrs >> 32), h);
	/* (rport << 16) | lport: the ports word rotated (little-endian) */
	return tcp_crc32c((ports << 16) | (ports >> 16), h);
}

/* Whether tuple t is the one in these header words. */
static __rte_always_inline bool
tcp_tuple_is(const struct tcp_tuple *t, uint64_t addrs, uint32_t ports)
{
	uint64_t a;
	uint32_t p;

	memcpy(&a, t, 8);
	memcpy(&p, (const char *)t + 8, 4);
	/* two compares with memory operands: fewer registers than
	 * folding both differences */
	return a == addrs && p == ports;
}

/* A tuple's two words (tcp_flow_hash_hdr's form) */
static __rte_always_inline void
tcp_tuple_words(const struct tcp_tuple *t, uint64_t *addrs, uint32_t *ports)
{
	memcpy(addrs, t, 8);
	memcpy(ports, (const char *)t + 8, 4);
}

static inline uint32_t
tcp_flow_hash(const struct hare_tcp_ctx *x, const struct tcp_tuple *t)
{
	uint64_t addrs;
	uint32_t ports;

	tcp_tuple_words(t, &addrs, &ports);
	return tcp_flow_hash_hdr(x, addrs, ports);
}

/* The ref (see struct tcp_slot) for the tuple in these header words, or
 * 0. Linear probing; the full hash in the slot filters before the tuple
 * is compared. */
static __rte_always_inline uint32_t
tcp_flow_probe(const struct hare_tcp_ctx *x, uint32_t hash, uint64_t addrs, uint32_t ports)
{
	for (uint32_t i = hash & x->slot_mask;; i = (i + 1) & x->slot_mask) {
		const struct tcp_slot *s = &x->slots[i];
		const struct tcp_tuple *st;

		if (s->ref == 0)
			return 0;
		if (s->hash != hash)
			continue;
		st = (s->ref & TCP_REF_TW) ? &x->tw[(s->ref & ~TCP_REF_TW) - 1].t :
					     &x->conns[s->ref - 1].t;
		if (likely(tcp_tuple_is(st, addrs, ports)))
			return s->ref;
	}
}

/* The ref for tuple t, or 0 */
static inline uint32_t
tcp_flow_lookup(const struct hare_tcp_ctx *x, uint32_t hash, const struct tcp_tuple *t)
{
	uint64_t addrs;
	uint32_t ports;

	tcp_tuple_words(t, &addrs, &ports);
	return tcp_flow_probe(x, hash, addrs, ports);
}

/* tcp_flow_lookup for such header words, for a connection only: the conn,
 * or NULL when none (no entry, or a TIME_WAIT one). */
static __rte_always_inline struct hare_tcp_conn *
tcp_flow_lookup_conn(const struct hare_tcp_ctx *x, uint32_t hash, uint64_t addrs, uint32_t ports)
{
	const struct tcp_slot *s0 = &x->slots[hash & x->slot_mask];
	uint32_t ref;

	/* the usual case first: the home slot holds the connection. A ref
	 * r with (int32_t)(r - 1) >= 0 is a connection's (not 0, not
	 * TIME_WAIT's TCP_REF_TW | (index + 1)). */
	if (likely(s0->hash == hash && (int32_t)(s0->ref - 1) >= 0)) {
		struct hare_tcp_conn *c = &x->conns[s0->ref - 1];

		if (likely(tcp_tuple_is(&c->t, addrs, ports)))
			return c;
	}
	ref = tcp_flow_probe(x, hash, addrs, ports);
	return (ref == 0 || (ref & TCP_REF_TW)) ? NULL : &x->conns[ref - 1];
}
int tcp_flow_insert(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref);
void tcp_flow_remove(struct hare_tcp_ctx *x, uint32_t hash, uint32_t ref);
/* in the table, zeroed, ISS and the common initial values set */
struct hare_tcp_conn *tcp_conn_alloc(struct hare_tcp_ctx *x, const struct tcp_tuple *t, uint32_t hash);
void tcp_conn_release(struct hare_tcp_ctx *x, struct hare_tcp_conn *c); /* -> zombie list */
void tcp_reap_zombies(struct hare_tcp_ctx *x);
void tcp_enter_time_wait(struct hare_tcp_ctx *x, struct hare_tcp_conn *c);
void tcp_tw_remove(struct hare_tcp_ctx *x, uint32_t idx);
/* The listener for a SYN to laddr:lport (network order): an exact
 * address match first, else one on any address (0); -1 for none. */
static inline int
tcp_listener_find(const struct hare_tcp_ctx *x, uint32_t laddr, uint16_t lport)
{
	int any = -1;

	for (unsigned i = 0; i < x->n_listeners; i++) {
		const struct tcp_listener *l = &x->listeners[i];

		if (!l->in_use || l->lport != lport)
			continue;
		if (l->laddr == laddr)
			return (int)i;
		if (l->laddr == 0)
			any = (int)i;
	}
	return any;
}
void tcp_conn_closed(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, enum hare_tcp_close_reason why);

/* tcp_out.c */
void tcp_output(struct hare_worker *w, struct hare_tcp_conn *c);
int tcp_xmit(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags);
/* tcp_xmit without its direct builder: every case (tests compare the two) */
int tcp_xmit_general(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t seq, uint32_t len,
		     uint8_t flags);
void tcp_send_ack(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_send_challenge_ack(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_send_rst_conn(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_respond(struct hare_worker *w, const struct tcp_tuple *t, uint32_t seq, uint32_t ack,
		 uint8_t flags, uint16_t wnd, const uint32_t *ts /* [val, ecr] or NULL */);
void tcp_reset_reply(struct hare_worker *w, const struct tcp_seg *s);
void tcp_sndq_purge(struct hare_tcp_conn *c);
/* The MSS our MTU allows (RFC 9293 §3.7.1), options excluded. Inline:
 * every passive open asks twice (its SYN's options, its SYN-ACK's). */
static inline uint16_t
tcp_mss_for(const struct hare_worker *w)
{
	return (uint16_t)(w->cfg->mtu - sizeof(struct rte_ipv4_hdr) - sizeof(struct rte_tcp_hdr));
}
void tcp_retransmit_head(struct hare_worker *w, struct hare_tcp_conn *c);

/* tcp_timer.c */
void tcp_timer_link(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, uint32_t when);
/* Make the wheel node fire at `when` at the latest. Inline: every ACK
 * restarts the RTO, and then the node usually fires earlier anyway (it
 * re-arms itself then), so only a deadline moving earlier touches the
 * wheel. */
static inline void
tcp_timer_arm(struct hare_tcp_ctx *x, struct hare_tcp_conn *c, uint32_t when)
{
	if (likely(c->t_linked) && TIME_LEQ(c->t_expire, when))
		return;
	tcp_timer_link(x, c, when);
}
/* Take the node off its wheel slot (inline: every connection's release). */
static inline void
tcp_timer_unlink(struct hare_tcp_ctx *x, struct hare_tcp_conn *c)
{
	if (!c->t_linked)
		return;
	if (c->t_prev != TCP_NONE)
		x->conns[c->t_prev].t_next = c->t_next;
	else
		x->wheel[c->t_expire & (TCP_WHEEL_SLOTS - 1)] = c->t_next;
	if (c->t_next != TCP_NONE)
		x->conns[c->t_next].t_prev = c->t_prev;
	c->t_next = c->t_prev = TCP_NONE;
	c->t_linked = 0;
}
void tcp_timer_rearm(struct hare_tcp_ctx *x, struct hare_tcp_conn *c);
void tcp_arm_rexmt(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_arm_rexmt_synack(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_arm_rexmt_or_probe(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_arm_delack(struct hare_worker *w, struct hare_tcp_conn *c);
void tcp_set_keep(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t ms);

/* tcp_sack.c */
bool tcp_sack_update(struct hare_worker *w, struct hare_tcp_conn *c, const struct tcp_seg *s);
void tcp_sack_prune(struct hare_tcp_conn *c);
void tcp_sack_note_reordering(struct hare_tcp_conn *c, uint32_t ack);
void tcp_sack_recovery(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t delivered);
uint32_t tcp_sack_skip(const struct hare_tcp_conn *c, uint32_t *seq);
uint32_t tcp_sacked_below(const struct hare_tcp_conn *c, uint32_t seq);
void tcp_sack_on_rto(struct hare_tcp_conn *c);
bool tcp_sack_timeout(struct hare_worker *w, struct hare_tcp_conn *c);

/* Give c its callbacks; whether ACKs call on_sent follows from them
 * (HARE_TCP_OPS_SENT_ON_REQUEST: not until the app asks). */
static inline void
tcp_set_ops(struct hare_tcp_conn *c, const struct hare_tcp_ops *ops)
{
	c->ops = ops;
	if (ops && ops->on_sent && !(ops->flags & HARE_TCP_OPS_SENT_ON_REQUEST))
		c->flags |= TF_SENT_CB;
	else
		c->flags &= ~TF_SENT_CB;
}

/* tcp_sndq_drop's rare case, out of line (tcp_in.c) */
void tcp_sndq_drop_slow(struct hare_worker *w, struct hare_tcp_conn *c, struct rte_mbuf *q,
			uint32_t bytes);

/* Free the first `bytes` (> 0) of the send queue (snd_buffered already
 * reduced): whole entries go, the last one's front is skipped. The head,
 * cursor, meta offset and pool are kept in locals: the stash stores in
 * between would otherwise make each round reload them. out_of_line (a
 * constant): an entry the stash's fast free refuses (still on the TX
 * ring, not ours, the stash full) hands the rest of the work to
 * tcp_sndq_drop_slow, so that the usual loop makes no call (fewer
 * values to keep across one); tcp_sndq_drop_slow's own loop, without
 * out_of_line, frees such entries in place. */
static __rte_always_inline void
tcp_sndq_drop_tpl(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t bytes,
		  const bool out_of_line)
{
	const int meta_off = w->tcp->meta_off;
	struct rte_mempool *const mp = w->pool;
	struct rte_mbuf *q = c->sndq_head, *const cur = c->snd_cur;

	for (;;) {
		struct tcp_mbuf_meta *mt = RTE_MBUF_DYNFIELD(q, meta_off, struct tcp_mbuf_meta *);
		const uint32_t qlen = q->data_len - mt->skip;
		struct rte_mbuf *next;

		if (cur == q)
			c->snd_cur = NULL;
		if (qlen > bytes) {
			sndq_skip(mt, bytes);
			break;
		}
		bytes -= qlen;
		if (out_of_line) {
			if (unlikely(!hare_stash_free_fast(&w->stash, mp, q))) {
				tcp_sndq_drop_slow(w, c, q, bytes);
				return;
			}
			/* q is only on the stash's array: its fields stay as they were */
			next = mt->qnext;
		} else {
			next = mt->qnext;
			hare_stash_free_seg(&w->stash, mp, q);
		}
		q = next;
		if (bytes == 0)
			break;
	}
	c->sndq_head = q;
	if (q == NULL)
		c->sndq_tail = NULL;
}

static __rte_always_inline void
tcp_sndq_drop(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t bytes)
{
	tcp_sndq_drop_tpl(w, c, bytes, true);
}

/* Free the first `bytes` (> 0) of the send queue, acknowledged (every ACK
 * of new data: inline). w is c's worker (c->w), passed in: the caller
 * has it in a register already. */
static __rte_always_inline void
tcp_sndq_free_acked(struct hare_worker *w, struct hare_tcp_conn *c, uint32_t bytes)
{
	c->snd_buffered -= bytes;
	tcp_sndq_drop(w, c, bytes);
}

/* tcp_in.c helpers used elsewhere */
void tcp_ooo_purge(struct hare_tcp_ctx *x, struct hare_tcp_conn *c);

/* NewReno's initial window (tcp_cc_newreno.init), inline for the passive
 * open as tcp_newreno_on_ack for the ACK path. RFC 6928: IW =
 * min(10*MSS, max(2*MSS, 14600)). */
static inline void
tcp_newreno_init(struct hare_tcp_conn *c)
{
	uint32_t mss = c->mss;

	c->cwnd = RTE_MIN(10 * mss, RTE_MAX(2 * mss, 14600u));
	c->ssthresh = UINT32_MAX / 2;
}

/* NewReno's growth on new data acknowledged (tcp_cc_newreno.on_ack),
 * inline so the ACK path calls it directly when NewReno is the one in
 * use. RFC 5681 §3.1: slow start grows by min(acked, SMSS) per ACK (with
 * appropriate byte counting, L = 2*SMSS as RFC 3465 allows), congestion
 * avoidance by about SMSS per RTT. */
static inline void
tcp_newreno_on_ack(struct hare_tcp_conn *c, uint32_t acked)
{
	uint32_t mss = c->mss;

	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2 * mss);
	} else {
		uint32_t inc = (uint32_t)((uint64_t)mss * mss / c->cwnd);

		c->cwnd += inc ? inc : 1;
	}
	if (c->cwnd > (1u << 30))
		c->cwnd = 1u << 30;
}

#endif
