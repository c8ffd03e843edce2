/* tcp_helpers.h — hand-built TCP segments in, captured segments out
 * (after lwIP's test/unit/tcp/tcp_helper.h), over the fake-port harness.
 *
 * A test plays the remote peer 198.18.0.2 talking to hare at 198.18.0.1.
 * Segments are built byte by byte with an independent checksum (ht_cksum);
 * every TCP segment hare sends is parsed and its checksum verified.
 */
#ifndef HARE_TEST_TCP_HELPERS_H
#define HARE_TEST_TCP_HELPERS_H

#include <stdbool.h>
#include "harness.h"
#include "harness_l3.h"
#include "hare_tcp.h"
#include "tcp.h"

#define TT_US "198.18.0.1"
#define TT_PEER "198.18.0.2"
#define TT_LPORT 7            /* hare's listening port in tests */
#define TT_PPORT 40000        /* the peer's port */
#define TH_F 0x01
#define TH_S 0x02
#define TH_R 0x04
#define TH_P 0x08
#define TH_A 0x10

/* A segment hare sent, parsed. */
struct tt_seg {
	uint32_t src, dst;            /* network order */
	uint16_t sport, dport;        /* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint32_t len;                 /* payload bytes */
	uint8_t data[2048];
	int mss, ws;                  /* -1 when absent */
	bool sack_ok, has_ts;
	uint32_t tsval, tsecr;
	int n_sack;
	uint32_t sack[4][2];
};

/* What the test application saw (one connection at a time). */
struct tt_app {
	struct hare_tcp_conn *conn;
	int accepts, connects, closes, eofs;
	enum hare_tcp_close_reason reason;
	uint8_t rx[1 << 20];
	uint32_t rx_len;
	uint64_t sent;
	bool manual;                  /* don't auto-recved */
	bool refuse;                  /* on_accept refuses */
};
extern struct tt_app tt_app;
extern const struct hare_tcp_ops tt_ops;        /* records into tt_app */
extern const struct hare_tcp_ops tt_ops_manual; /* the same, MANUAL_RECV */

/* The peer's side of one connection. */
struct tt {
	struct ht_rig *r;
	uint16_t pport, lport;
	uint32_t snd_nxt;             /* peer's next sequence number */
	uint32_t rcv_nxt;             /* what the peer has received from hare */
	uint32_t iss;                 /* hare's ISS */
	bool ts;                      /* peer uses timestamps */
	uint32_t tsval;               /* peer's clock */
	uint32_t ts_recent;           /* last TSval from hare */
	uint16_t wnd;
};

/* New rig at 198.18.0.1/24 with small TCP tables, started, ARP for the
 * peer already learned, tt_app cleared. */
struct ht_rig *tt_rig(void);
/* Like tt_rig but lets the caller edit cfg between new and start. */
struct ht_rig *tt_rig_cfg(void (*edit)(struct hare_config *cfg));

/* Build a full frame peer -> us with a TCP segment (checksum filled). */
size_t tt_build(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		uint8_t flags, uint16_t wnd, const uint8_t *opts, size_t optlen,
		const void *data, size_t len);
/* Option builders; return bytes written (multiple of 4). */
size_t tt_opt_syn(uint8_t *o, int mss, int ws, bool sack, bool ts, uint32_t tsval, uint32_t tsecr);
size_t tt_opt_ts(uint8_t *o, uint32_t val, uint32_t ecr);
size_t tt_opt_sack(uint8_t *o, const uint32_t blk[][2], int n);

/* Send a segment from the peer on connection t (adds TS when t->ts). */
void tt_send(struct tt *t, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len);
/* The same with the peer's current numbers: seq = snd_nxt, ack = rcv_nxt;
 * advances snd_nxt by len (+SYN/FIN). */
void tt_send_next(struct tt *t, uint8_t flags, const void *data, size_t len);

/* Pop the next TCP segment hare sent (non-TCP frames are skipped and
 * freed); false when none. Asserts the TCP checksum. */
bool tt_recv(struct ht_rig *r, struct tt_seg *s);
/* Pop one and assert it exists with exactly these flags (macros, so a
 * failure names the test's line). */
#define tt_expect(r, s, fl) do { \
		if (!tt_recv((r), (s))) \
			fail_msg("expected a segment with flags 0x%x, none sent", (unsigned)(fl)); \
		assert_int_equal((s)->flags, (fl)); \
	} while (0)
/* Assert nothing TCP was sent. */
#define tt_expect_none(r) do { \
		struct tt_seg tt_s_; \
		if (tt_recv((r), &tt_s_)) \
			fail_msg("unexpected segment flags 0x%x seq %u ack %u len %u", tt_s_.flags, \
				 tt_s_.seq, tt_s_.ack, tt_s_.len); \
	} while (0)

/* Passive open on a listener on TT_LPORT: SYN (with options when opts),
 * SYN-ACK checked, ACK. Returns the accepted connection. */
struct hare_tcp_conn *tt_open(struct tt *t, struct ht_rig *r, bool opts, uint32_t peer_isn);

/* Advance the clock 1 ms at a time (timers run every ms as in the loop). */
void tt_advance(struct ht_rig *r, uint64_t ms);

uint64_t tt_stat(struct ht_rig *r, const char *name);

#endif
