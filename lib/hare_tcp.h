/* hare_tcp.h — the TCP application API.
 *
 * Model: event callbacks on the worker's own lcore, zero-copy both ways.
 *   - A listener (hare_tcp_listen) hands each new connection to on_accept
 *     once the handshake completes; hare_tcp_connect opens actively and
 *     reports on_connected.
 *   - Received bytes arrive in order through on_data as mbufs whose data
 *     is exactly the payload; the application owns them from then on.
 *   - hare_tcp_send takes ownership of an mbuf (chain) and keeps it in the
 *     retransmission queue; segments on the wire reference it (indirect
 *     mbufs), nothing is copied.
 *
 * Thread-safety: none. Every function here must be called on the lcore
 * that runs the worker owning the connection (from a callback or from the
 * application's code in the same loop). Functions returning int return 0
 * (or a count) on success and a negative errno on failure; constructors
 * return NULL and set rte_errno.
 *
 * Lifetime: a connection handle is valid from on_accept / hare_tcp_connect
 * until on_closed returns, or until hare_tcp_close / hare_tcp_abort
 * returns — whichever comes first. After hare_tcp_close no callback is
 * made for the connection any more (the stack finishes the close alone).
 */
#ifndef HARE_TCP_API_H
#define HARE_TCP_API_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <rte_mbuf.h>

struct hare_worker;
struct hare_tcp_conn;      /* opaque */
struct hare_tcp_listener;  /* opaque */

/* RFC 9293 §3.3.2 states. */
enum hare_tcp_state {
	HARE_TCP_CLOSED = 0,
	HARE_TCP_LISTEN,
	HARE_TCP_SYN_SENT,
	HARE_TCP_SYN_RCVD,
	HARE_TCP_ESTABLISHED,
	HARE_TCP_FIN_WAIT_1,
	HARE_TCP_FIN_WAIT_2,
	HARE_TCP_CLOSE_WAIT,
	HARE_TCP_CLOSING,
	HARE_TCP_LAST_ACK,
	HARE_TCP_TIME_WAIT,
};

/* Why on_closed is called. */
enum hare_tcp_close_reason {
	HARE_TCP_CLOSE_NORMAL = 0,  /* both directions closed in order */
	HARE_TCP_CLOSE_RESET,       /* peer sent an acceptable RST */
	HARE_TCP_CLOSE_REFUSED,     /* active open answered by RST */
	HARE_TCP_CLOSE_TIMEOUT,     /* retransmissions / keepalive / SYN gave up */
	HARE_TCP_CLOSE_NOMEM,       /* could not continue (no memory) */
};

/* ops.flags */
#define HARE_TCP_OPS_MANUAL_RECV 0x1  /* receive window reopens only through
					  hare_tcp_recved(): backpressure */
#define HARE_TCP_OPS_SENT_ON_REQUEST 0x2 /* on_sent only while the app has
					  asked for it (hare_tcp_want_sent):
					  an app that sends whole replies at
					  once needs it only when output is
					  blocked, and skips a call per ACK */

/* Callbacks. All optional except as noted; called on the worker's lcore.
 * The application may call any API function from inside a callback,
 * including hare_tcp_close / hare_tcp_abort on the same connection. */
struct hare_tcp_ops {
	/* Passive open completed (listener's ops). Return 0 to keep it, a
	 * negative value to refuse (the stack sends RST). The connection
	 * starts with ctx = the listener's ctx; see hare_tcp_set_ctx. */
	int (*on_accept)(struct hare_tcp_conn *c, void *listen_ctx);
	/* Active open completed. */
	void (*on_connected)(struct hare_tcp_conn *c);
	/* In-order data: m (maybe a chain) holds only payload; ownership
	 * passes to the application (free it or hand it to hare_tcp_send).
	 * m == NULL means the peer closed its side (FIN, end of stream). */
	void (*on_data)(struct hare_tcp_conn *c, struct rte_mbuf *m);
	/* bytes of previously sent data were acknowledged (send space grew). */
	void (*on_sent)(struct hare_tcp_conn *c, uint32_t bytes);
	/* The connection is over; the handle dies when this returns. Not
	 * called after hare_tcp_close / hare_tcp_abort. */
	void (*on_closed)(struct hare_tcp_conn *c, enum hare_tcp_close_reason why);
	uint32_t flags;             /* HARE_TCP_OPS_* */
};

/* Listen on ip:port (ip network order, 0 = every local address; port host
 * order). ops must outlive the listener. Backlog bound = cfg tcp.backlog
 * half-open connections. Returns NULL with rte_errno = EADDRINUSE (port
 * already listened), ENOSPC (too many listeners), EINVAL. */
struct hare_tcp_listener *hare_tcp_listen(struct hare_worker *w, uint32_t ip, uint16_t port,
					  const struct hare_tcp_ops *ops, void *ctx);
/* Stop listening; existing connections are unaffected. */
void hare_tcp_unlisten(struct hare_tcp_listener *l);

/* Active open to dst:port (network order address, host order port), from
 * the first configured address and an ephemeral port. Returns the
 * connection in SYN_SENT, or NULL with rte_errno = ENOMEM (no connection
 * slot), EADDRNOTAVAIL (no free port / no local address), EINVAL. */
struct hare_tcp_conn *hare_tcp_connect(struct hare_worker *w, uint32_t dst, uint16_t port,
				       const struct hare_tcp_ops *ops, void *ctx);
/* The same with an explicit source address and port (sport 0 = pick). */
struct hare_tcp_conn *hare_tcp_connect_from(struct hare_worker *w, uint32_t src, uint16_t sport,
					    uint32_t dst, uint16_t dport,
					    const struct hare_tcp_ops *ops, void *ctx);

/* Queue m (payload only, chain allowed) for sending. On success the stack
 * owns m (even if it frees or merges it at once); on failure the caller
 * keeps it. Returns the number of bytes queued, or -EAGAIN (would exceed
 * the send buffer, see hare_tcp_send_space), -ENOTCONN (not yet/no longer
 * allowed to send: after shutdown or before ESTABLISHED... SYN_SENT queues
 * are allowed), -EINVAL. */
int hare_tcp_send(struct hare_tcp_conn *c, struct rte_mbuf *m);
/* Copy up to len bytes into mbufs and queue them. Returns the bytes queued
 * (may be less than len when the send buffer or mempool runs short; 0 is
 * possible), or -ENOTCONN / -EINVAL. */
int hare_tcp_send_bytes(struct hare_tcp_conn *c, const void *buf, uint32_t len);
/* Bytes hare_tcp_send would accept now. */
uint32_t hare_tcp_send_space(const struct hare_tcp_conn *c);
/* hare_tcp_send for one single-segment mbuf whose payload's sum the app
 * already knows (a prebuilt reply, a fixed request): payload_sum is what
 * hare_tcp_payload_sum() returns for exactly m's data_len bytes. When the
 * stack sends m whole and sums in software (no TX checksum offload), it
 * adds this instead of reading the payload again (RFC 1071 §2: the sum of
 * the header and of the payload add up; the header's length is even). A
 * wrong sum gives the peer segments with bad checksums: compute it over
 * the bytes sent. Returns as hare_tcp_send. */
int hare_tcp_send_summed(struct hare_tcp_conn *c, struct rte_mbuf *m, uint16_t payload_sum);
/* The 16-bit ones'-complement sum (folded, not complemented) of buf[0..len). */
uint16_t hare_tcp_payload_sum(const void *buf, uint32_t len);

/* With HARE_TCP_OPS_MANUAL_RECV: the application is done with bytes of
 * delivered data; the receive window reopens by that much. */
void hare_tcp_recved(struct hare_tcp_conn *c, uint32_t bytes);
/* Free a delivered mbuf (chain) the application is done with: the same as
 * rte_pktmbuf_free(m), only cheaper. Segments from c's worker's pool go to
 * that worker's mbuf stash, where the stack's next ACK or data segment
 * picks them up without a mempool round trip. Call it on c's worker, from
 * a callback or while c (any state, also after close) has not been
 * reported closed; m may be NULL. */
void hare_tcp_free_mbuf(struct hare_tcp_conn *c, struct rte_mbuf *m);

/* Close the sending direction: FIN after all queued data. Receiving goes
 * on. Returns 0, or -ENOTCONN when already shut down / not connected. */
int hare_tcp_shutdown(struct hare_tcp_conn *c);
/* Shutdown and give up the handle: the stack completes the close (FIN,
 * TIME_WAIT) by itself; data arriving afterwards is answered with RST.
 * No more callbacks. Returns 0. */
int hare_tcp_close(struct hare_tcp_conn *c);
/* Send RST, drop every queued byte and free the connection at once. No
 * callback. */
void hare_tcp_abort(struct hare_tcp_conn *c);

/* Accessors. */
enum hare_tcp_state hare_tcp_state(const struct hare_tcp_conn *c);
const char *hare_tcp_state_name(enum hare_tcp_state s);
/* The app's context pointer is at this offset in every connection (a
 * fixed layout, checked where the struct is defined), so that
 * hare_tcp_ctx(), which apps call in every callback, is one load. */
#define HARE_TCP_CONN_CTX_OFFSET 16
static inline void *
hare_tcp_ctx(const struct hare_tcp_conn *c)
{
	void *ctx;

	memcpy(&ctx, (const char *)c + HARE_TCP_CONN_CTX_OFFSET, sizeof(ctx));
	return ctx;
}
void hare_tcp_set_ctx(struct hare_tcp_conn *c, void *ctx);
/* With HARE_TCP_OPS_SENT_ON_REQUEST: on_sent is called for ACKs of new
 * data while on (e.g. from when output blocks until it resumes); off by
 * default. Without the flag on_sent is called for every such ACK. */
void hare_tcp_want_sent(struct hare_tcp_conn *c, bool on);
/* Replace the callbacks (e.g. in on_accept); ops must outlive c. */
void hare_tcp_set_ops(struct hare_tcp_conn *c, const struct hare_tcp_ops *ops);
struct hare_worker *hare_tcp_worker(const struct hare_tcp_conn *c);
/* Addresses in network order, ports in host order. */
void hare_tcp_peer(const struct hare_tcp_conn *c, uint32_t *ip, uint16_t *port);
void hare_tcp_local(const struct hare_tcp_conn *c, uint32_t *ip, uint16_t *port);
/* Bytes queued and not yet acknowledged. */
uint32_t hare_tcp_unacked(const struct hare_tcp_conn *c);

/* Worker-wide counts (tests, stats). */
uint32_t hare_tcp_conn_count(const struct hare_worker *w);
uint32_t hare_tcp_time_wait_count(const struct hare_worker *w);

#endif
