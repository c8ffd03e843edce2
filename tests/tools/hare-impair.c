/* hare-impair.c — an impairment bridge for the test rig.
 *
 * This kernel has no netem qdisc, so the rig puts this forwarder in a middle
 * network namespace between two veth pairs:
 *
 *   hare-peer: hp0 <-> hm0 [hare-mid: hare-impair] hm1 <-> hs0 :hare-stack
 *
 * It copies every Ethernet frame received on interface A to interface B and
 * every frame received on B to A, through two AF_PACKET raw sockets, and on
 * the way loses, corrupts, duplicates, reorders and delays frames at seeded,
 * configurable rates.  Plain C and Linux only: no DPDK.
 *
 * Determinism: each direction has its own PRNG (splitmix64) seeded from
 * --seed, and every frame draws its decisions in a fixed order (loss;
 * corrupt [+ bit]; duplicate; reorder [+ gap]).  The decisions therefore
 * depend only on the sequence of frames entering that direction, so the same
 * seed and the same input give the same impairments (and the same counters).
 * Only when a held frame leaves (after N frames or after its hold time) can
 * depend on timing.
 *
 * Rates are probabilities per frame, written either as a fraction ("0.03")
 * or as a percentage ("3%"); both mean 3 frames in 100.  Corruption flips
 * one bit past the Ethernet header, so the frame still reaches the receiver,
 * whose IPv4 or TCP checksum (RFC 1071: any single-bit error changes the
 * one's-complement sum) must reject it.
 *
 * Faithful forwarding: our own transmissions are never read back
 * (PACKET_IGNORE_OUTGOING, and the packet type as a fallback); a VLAN tag
 * that the kernel took out of a frame (reported in PACKET_AUXDATA) is put
 * back; frames up to 64 KiB pass; a frame that arrives with a partial
 * checksum (the sender's tx checksum offload is on, so the checksum field is
 * not final) is counted and warned about once, since the receiver will drop
 * it.
 *
 * This is a test tool, not the stack's hot path: it uses poll and
 * recvmmsg/sendmmsg batches, which forward a few hundred thousand frames
 * per second on this machine, and it allocates per held frame.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23	/* Linux >= 4.20 */
#endif

#define BATCH        64		/* frames per recvmmsg/sendmmsg */
#define RX_BUF_SIZE  (65536 + 64)	/* a 64 KiB frame plus slack to see truncation */
#define SMALL_CAP    2048	/* pooled buffer size; bigger frames use malloc */
#define MAX_QUEUED   65536	/* frames waiting per direction before we drop */
#define MAX_HELD     256	/* frames held for reordering per direction */
#define SOCK_BUF     (16 << 20)	/* socket buffers: absorb bursts of the peers */
#define ETH_HDR_LEN  14
#define VLAN_TAG_LEN 4
#define CMSG_SPACE_AUX CMSG_SPACE(sizeof(struct tpacket_auxdata))

/* One frame in flight inside the forwarder. */
struct frame {
	struct frame *next;
	uint64_t due_ns;	/* leave at or after this time (--delay-ms) */
	uint64_t hold_until_ns;	/* held for reorder: latest release time */
	uint32_t hold_left;	/* held for reorder: frames still to overtake it */
	uint32_t len;
	uint32_t cap;
	uint8_t data[];
};

/* Per-direction counters, printed on SIGUSR1 and at exit. */
struct counters {
	uint64_t rx;		/* frames received from the input interface */
	uint64_t fwd;		/* frames handed to the output interface */
	uint64_t lost;		/* dropped by --loss */
	uint64_t reordered;	/* held back by --reorder */
	uint64_t duplicated;	/* extra copies made by --duplicate */
	uint64_t corrupted;	/* frames with one bit flipped by --corrupt */
	uint64_t oversize;	/* frames larger than RX_BUF_SIZE, dropped */
	uint64_t txerr;		/* frames the output socket refused, dropped */
	uint64_t overflow;	/* dropped because MAX_QUEUED frames were waiting */
	uint64_t outgoing;	/* our own transmissions seen on input, ignored */
	uint64_t partial;	/* arrived with a partial checksum (offloads on) */
	uint64_t vlan;		/* VLAN tag given apart by the kernel, put back */
};

/* One direction of the bridge: frames from in_fd go to out_fd. */
struct direction {
	const char *name;	/* "a->b" or "b->a" */
	const char *in_if, *out_if;
	int in_fd, out_fd;
	uint64_t rng;		/* splitmix64 state */
	struct frame *q_head, *q_tail;	/* FIFO to the output, due times ascending */
	uint32_t q_len;
	struct frame *held[MAX_HELD];	/* held for reordering, oldest first */
	uint32_t n_held;
	bool tx_blocked;	/* output socket said EAGAIN: wait for POLLOUT */
	struct counters c;
	uint8_t *rxbuf;		/* BATCH * RX_BUF_SIZE */
};

/* Command-line configuration. */
struct config {
	const char *a, *b;
	double loss, reorder, duplicate, corrupt;
	uint32_t reorder_gap;	/* a held frame is overtaken by 1..gap frames */
	uint64_t reorder_max_ns;	/* ... or released after this long */
	uint64_t delay_ns;
	uint64_t seed;
	bool dry_run;		/* check the options, print them, exit */
};

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_dump;
static struct frame *g_pool;	/* free SMALL_CAP frames */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1) from the top 53 bits. */
static double
rnd_unit(uint64_t *s)
{
	return (double)(splitmix64(s) >> 11) * 0x1.0p-53;
}

/* Bernoulli draw; always consumes one number so the stream stays aligned. */
static bool
rnd_chance(uint64_t *s, double p)
{
	return rnd_unit(s) < p;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct frame *
frame_alloc(uint32_t len)
{
	struct frame *f;

	if (len <= SMALL_CAP && g_pool != NULL) {
		f = g_pool;
		g_pool = f->next;
	} else {
		uint32_t cap = len <= SMALL_CAP ? SMALL_CAP : len;

		f = malloc(sizeof(*f) + cap);
		if (f == NULL)
			return NULL;
		f->cap = cap;
	}
	f->next = NULL;
	f->len = len;
	f->due_ns = 0;
	f->hold_left = 0;
	f->hold_until_ns = 0;
	return f;
}

static void
frame_free(struct frame *f)
{
	if (f->cap == SMALL_CAP) {
		f->next = g_pool;
		g_pool = f;
	} else {
		free(f);
	}
}

static void
q_push(struct direction *d, struct frame *f, uint64_t due)
{
	f->due_ns = due;
	f->next = NULL;
	if (d->q_tail != NULL)
		d->q_tail->next = f;
	else
		d->q_head = f;
	d->q_tail = f;
	d->q_len++;
}

static struct frame *
q_pop(struct direction *d)
{
	struct frame *f = d->q_head;

	d->q_head = f->next;
	if (d->q_head == NULL)
		d->q_tail = NULL;
	d->q_len--;
	return f;
}

/* Release held frame i (keeping the others in order) onto the output FIFO. */
static void
held_release(struct direction *d, uint32_t i, uint64_t due)
{
	struct frame *f = d->held[i];

	memmove(&d->held[i], &d->held[i + 1], (d->n_held - i - 1) * sizeof(f));
	d->n_held--;
	q_push(d, f, due);
}

/* A frame that was not held has just gone onto the FIFO: every held frame
 * has been overtaken once more; those overtaken enough follow it. */
static void
held_overtaken(struct direction *d, uint64_t due)
{
	uint32_t i = 0;

	while (i < d->n_held) {
		if (--d->held[i]->hold_left == 0)
			held_release(d, i, due);
		else
			i++;
	}
}

/* Held frames whose hold time ran out leave even without traffic behind
 * them, so the last segment of a burst is delayed, never stranded. */
static void
held_expire(struct direction *d, uint64_t now, uint64_t delay_ns)
{
	uint32_t i = 0;

	while (i < d->n_held) {
		if (d->held[i]->hold_until_ns <= now)
			held_release(d, i, now + delay_ns);
		else
			i++;
	}
}

/* Apply the impairments to one received frame, copied from buf; tag, if
 * not NULL, is a VLAN tag (TPID, TCI) to put back after the MAC addresses. */
static void
impair_frame(struct direction *d, const struct config *cfg, const uint8_t *buf,
	     uint32_t len, const uint8_t *tag, uint64_t now)
{
	uint64_t due = now + cfg->delay_ns;
	struct frame *f, *dup = NULL;

	if (rnd_chance(&d->rng, cfg->loss)) {
		d->c.lost++;
		return;
	}
	if (d->q_len + d->n_held >= MAX_QUEUED) {
		d->c.overflow++;
		return;
	}
	f = frame_alloc(len + (tag != NULL ? VLAN_TAG_LEN : 0));
	if (f == NULL) {
		d->c.overflow++;
		return;
	}
	if (tag != NULL && len >= 12) {
		memcpy(f->data, buf, 12);
		memcpy(f->data + 12, tag, VLAN_TAG_LEN);
		memcpy(f->data + 12 + VLAN_TAG_LEN, buf + 12, len - 12);
		len += VLAN_TAG_LEN;
	} else {
		memcpy(f->data, buf, len);
	}

	/* Flip one bit past the Ethernet header, so the frame still reaches
	 * the receiver and its IPv4/TCP checksum check must catch it. */
	if (rnd_chance(&d->rng, cfg->corrupt) && len > ETH_HDR_LEN) {
		uint64_t nbits = (uint64_t)(len - ETH_HDR_LEN) * 8;
		uint64_t bit = ETH_HDR_LEN * 8 + splitmix64(&d->rng) % nbits;

		f->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		d->c.corrupted++;
	}
	if (rnd_chance(&d->rng, cfg->duplicate)) {
		dup = frame_alloc(len);
		if (dup != NULL) {
			memcpy(dup->data, f->data, len);
			d->c.duplicated++;
		}
	}
	if (rnd_chance(&d->rng, cfg->reorder) && d->n_held < MAX_HELD) {
		uint32_t gap = cfg->reorder_gap > 1 ?
			1 + (uint32_t)(splitmix64(&d->rng) % cfg->reorder_gap) : 1;

		f->hold_left = gap;
		f->hold_until_ns = now + cfg->reorder_max_ns;
		d->held[d->n_held++] = f;
		d->c.reordered++;
		/* The copy goes now, the original later; the copy counts as
		 * one of the frames overtaking it. */
		if (dup != NULL) {
			q_push(d, dup, due);
			held_overtaken(d, due);
		}
		return;
	}
	q_push(d, f, due);
	held_overtaken(d, due);
	if (dup != NULL)
		q_push(d, dup, due);
}

/* Send every frame that is due, in batches; stop on EAGAIN. */
static void
flush(struct direction *d, uint64_t now)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct frame *f;

	while (d->q_head != NULL && d->q_head->due_ns <= now) {
		unsigned int n = 0;
		int sent;

		for (f = d->q_head; f != NULL && n < BATCH && f->due_ns <= now; f = f->next) {
			iov[n].iov_base = f->data;
			iov[n].iov_len = f->len;
			memset(&msgs[n], 0, sizeof(msgs[n]));
			msgs[n].msg_hdr.msg_iov = &iov[n];
			msgs[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		sent = sendmmsg(d->out_fd, msgs, n, MSG_DONTWAIT);
		if (sent < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				d->tx_blocked = true;
				return;
			}
			if (errno == EINTR)
				continue;
			/* ENOBUFS, EMSGSIZE, ENETDOWN...: the head frame
			 * cannot go; drop it and count it. */
			d->c.txerr++;
			frame_free(q_pop(d));
			continue;
		}
		for (int i = 0; i < sent; i++)
			frame_free(q_pop(d));
		d->c.fwd += (uint64_t)sent;
	}
	d->tx_blocked = false;
}

/* The kernel's ancillary data for one frame: a VLAN tag it took out of
 * the frame (veth and most NICs strip it on receive) and whether the
 * checksum is only partial (sender had tx checksum offload on). */
static void
read_auxdata(struct direction *d, struct msghdr *mh, uint8_t tag[VLAN_TAG_LEN],
	     bool *has_tag)
{
	struct cmsghdr *cm;

	*has_tag = false;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		struct tpacket_auxdata aux;
		uint16_t tpid, tci;

		if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA ||
		    cm->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		if (aux.tp_status & TP_STATUS_CSUMNOTREADY) {
			if (d->c.partial++ == 0)
				fprintf(stderr, "hare-impair: %s: frames with partial "
					"checksums arrive; the receiver will drop them: turn "
					"offloads off on the sender (ethtool -K IF tx off tso "
					"off gso off gro off)\n", d->in_if);
		}
		if (aux.tp_status & TP_STATUS_VLAN_VALID) {
			tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ?
				aux.tp_vlan_tpid : ETH_P_8021Q;
			tci = aux.tp_vlan_tci;
			tag[0] = (uint8_t)(tpid >> 8);
			tag[1] = (uint8_t)tpid;
			tag[2] = (uint8_t)(tci >> 8);
			tag[3] = (uint8_t)tci;
			*has_tag = true;
			d->c.vlan++;
		}
	}
}

/* Read one batch from the input socket and impair it. */
static void
receive(struct direction *d, const struct config *cfg)
{
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll from[BATCH];
	union {
		char buf[CMSG_SPACE_AUX];
		struct cmsghdr align;
	} ctl[BATCH];
	uint64_t now;
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = d->rxbuf + (size_t)i * RX_BUF_SIZE;
		iov[i].iov_len = RX_BUF_SIZE;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_control = ctl[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	n = recvmmsg(d->in_fd, msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n <= 0)
		return;
	now = now_ns();
	for (int i = 0; i < n; i++) {
		uint32_t len = msgs[i].msg_len;
		uint8_t tag[VLAN_TAG_LEN];
		bool has_tag;

		/* Belt and braces for kernels without PACKET_IGNORE_OUTGOING:
		 * never bounce our own transmissions back. */
		if (from[i].sll_pkttype == PACKET_OUTGOING) {
			d->c.outgoing++;
			continue;
		}
		d->c.rx++;
		if (len > RX_BUF_SIZE || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
			d->c.oversize++;
			continue;
		}
		read_auxdata(d, &msgs[i].msg_hdr, tag, &has_tag);
		impair_frame(d, cfg, iov[i].iov_base, len, has_tag ? tag : NULL, now);
	}
}

static int
open_port(const char *ifname)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	unsigned int ifindex = if_nametoindex(ifname);
	int fd, one = 1, buf = SOCK_BUF;

	if (ifindex == 0) {
		fprintf(stderr, "hare-impair: no interface '%s' (%s): run inside the "
			"namespace that holds it, e.g. ip netns exec hare-mid ...\n",
			ifname, strerror(errno));
		return -1;
	}
	/* Protocol 0 until bind, so no frame of another interface sneaks in
	 * between socket() and bind(). */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "hare-impair: AF_PACKET socket: %s (run as root or "
			"with CAP_NET_RAW)\n", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		fprintf(stderr, "hare-impair: %s: PACKET_IGNORE_OUTGOING unsupported, "
			"filtering by packet type instead\n", ifname);
	/* Ancillary data: VLAN tags the kernel took out, partial checksums. */
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		fprintf(stderr, "hare-impair: %s: PACKET_AUXDATA: %s (VLAN tags "
			"stripped by the kernel will be lost)\n", ifname, strerror(errno));
	/* Skip the qdisc layer on transmit: faster, and nothing to shape here. */
	(void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "hare-impair: bind to %s: %s (is the interface up?)\n",
			ifname, strerror(errno));
		close(fd);
		return -1;
	}
	/* A bridge must see frames for any MAC, as a real NIC would need. */
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		fprintf(stderr, "hare-impair: %s: promiscuous mode: %s (continuing; "
			"veth delivers every frame anyway)\n", ifname, strerror(errno));
	return fd;
}

static void
print_counters(const struct direction *dirs)
{
	for (int i = 0; i < 2; i++) {
		const struct direction *d = &dirs[i];

		printf("hare-impair: %s (%s->%s) rx=%" PRIu64 " fwd=%" PRIu64
		       " lost=%" PRIu64 " reordered=%" PRIu64 " duplicated=%" PRIu64
		       " corrupted=%" PRIu64 " oversize=%" PRIu64 " txerr=%" PRIu64
		       " overflow=%" PRIu64 " partial=%" PRIu64 " vlan=%" PRIu64
		       " outgoing=%" PRIu64 " queued=%u held=%u\n",
		       d->name, d->in_if, d->out_if, d->c.rx, d->c.fwd, d->c.lost,
		       d->c.reordered, d->c.duplicated, d->c.corrupted, d->c.oversize,
		       d->c.txerr, d->c.overflow, d->c.partial, d->c.vlan,
		       d->c.outgoing, d->q_len, d->n_held);
	}
	fflush(stdout);
}

/* POLLERR: read and clear the socket error; an interface that went away
 * (ENETDOWN/ENODEV/ENXIO) ends the run, anything else is reported once. */
static void
check_socket(struct direction *d)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(d->in_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == ENETDOWN || err == ENODEV || err == ENXIO || err == EBADF) {
		fprintf(stderr, "hare-impair: interface %s: %s; stopping (bring "
			"it up, or rebuild the rig with impair_up)\n", d->in_if,
			strerror(err));
		g_stop = 1;
	} else if (err != 0) {
		fprintf(stderr, "hare-impair: interface %s: %s (continuing)\n",
			d->in_if, strerror(err));
	}
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_dump = 1;
	else
		g_stop = 1;
}

/* Parse a rate: "3%" is 0.03, "0.03" is 0.03; anything outside [0,1] or a
 * bare number above 1 (probably a forgotten '%') is refused. */
static int
parse_rate(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		goto bad;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "hare-impair: --%s '%s': give a probability in [0,1] "
		"like 0.03 or a percentage like 3%%\n", opt, s);
	return -1;
}

static int
parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "hare-impair: --%s '%s': give a number in [%g, %g]\n",
			opt, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: hare-impair --a IF --b IF [options]\n"
		"Forward every Ethernet frame between interfaces A and B (both ways)\n"
		"with seeded impairments. Rates are per-frame probabilities, written\n"
		"as a fraction (0.03) or a percentage (3%%).\n"
		"  --a IF, --b IF      the two interfaces (e.g. hm0, hm1)\n"
		"  --loss P            drop a frame\n"
		"  --reorder P         hold a frame back until 1..G later frames have\n"
		"                      passed it, or its hold time ran out\n"
		"  --reorder-gap G     most frames that overtake a held one (default 3)\n"
		"  --reorder-ms T      longest hold, milliseconds (default 2)\n"
		"  --duplicate P       send a frame twice\n"
		"  --corrupt P         flip one random bit past the Ethernet header\n"
		"  --delay-ms D        constant one-way delay, milliseconds (default 0)\n"
		"  --seed S            PRNG seed (default 1); same seed + same input\n"
		"                      = same impairments\n"
		"  --dry-run           check the options, print them and exit\n"
		"Counters are printed to stdout on SIGUSR1 and at exit (SIGINT/SIGTERM),\n"
		"one line per direction (a->b, b->a): rx fwd lost reordered duplicated\n"
		"corrupted oversize txerr overflow partial vlan outgoing queued held.\n"
		"Disable offloads on all four veth ends first: ethtool -K IF tx off\n"
		"tso off gso off gro off (else frames carry partial checksums).\n");
}

static int
parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "a", required_argument, NULL, 'a' },
		{ "b", required_argument, NULL, 'b' },
		{ "loss", required_argument, NULL, 'l' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "reorder-gap", required_argument, NULL, 'g' },
		{ "reorder-ms", required_argument, NULL, 'm' },
		{ "duplicate", required_argument, NULL, 'd' },
		{ "corrupt", required_argument, NULL, 'c' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "seed", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int o;

	memset(cfg, 0, sizeof(*cfg));
	cfg->reorder_gap = 3;
	cfg->reorder_max_ns = 2000000;
	cfg->seed = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'a': cfg->a = optarg; break;
		case 'b': cfg->b = optarg; break;
		case 'l': if (parse_rate("loss", optarg, &cfg->loss)) return -1; break;
		case 'r': if (parse_rate("reorder", optarg, &cfg->reorder)) return -1; break;
		case 'd': if (parse_rate("duplicate", optarg, &cfg->duplicate)) return -1; break;
		case 'c': if (parse_rate("corrupt", optarg, &cfg->corrupt)) return -1; break;
		case 'g':
			if (parse_num("reorder-gap", optarg, 1, 1000, &v))
				return -1;
			cfg->reorder_gap = (uint32_t)v;
			break;
		case 'm':
			if (parse_num("reorder-ms", optarg, 0, 10000, &v))
				return -1;
			cfg->reorder_max_ns = (uint64_t)(v * 1e6);
			break;
		case 'D':
			if (parse_num("delay-ms", optarg, 0, 10000, &v))
				return -1;
			cfg->delay_ns = (uint64_t)(v * 1e6);
			break;
		case 's': {
			char *end;

			errno = 0;
			cfg->seed = strtoull(optarg, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0') {
				fprintf(stderr, "hare-impair: --seed '%s': give an "
					"unsigned integer\n", optarg);
				return -1;
			}
			break;
		}
		case 'n': cfg->dry_run = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hare-impair: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return -1;
	}
	if (cfg->a == NULL || cfg->b == NULL || strcmp(cfg->a, cfg->b) == 0) {
		fprintf(stderr, "hare-impair: give two different interfaces with "
			"--a IF --b IF (see --help)\n");
		return -1;
	}
	return 0;
}

/* One line with every setting; "ready" once both sockets are bound. */
static void
print_config(const char *what, const struct config *cfg)
{
	printf("hare-impair: %s a=%s b=%s loss=%g reorder=%g reorder-gap=%u "
	       "reorder-ms=%g duplicate=%g corrupt=%g delay-ms=%g seed=%" PRIu64 "\n",
	       what, cfg->a, cfg->b, cfg->loss, cfg->reorder, cfg->reorder_gap,
	       (double)cfg->reorder_max_ns / 1e6, cfg->duplicate, cfg->corrupt,
	       (double)cfg->delay_ns / 1e6, cfg->seed);
	fflush(stdout);
}

/* Nanoseconds until this direction's next timed event, or -1 for none. */
static int64_t
next_event_ns(const struct direction *d, uint64_t now)
{
	int64_t best = -1;

	if (d->q_head != NULL && !d->tx_blocked)
		best = d->q_head->due_ns > now ? (int64_t)(d->q_head->due_ns - now) : 0;
	for (uint32_t i = 0; i < d->n_held; i++) {
		int64_t t = d->held[i]->hold_until_ns > now ?
			(int64_t)(d->held[i]->hold_until_ns - now) : 0;

		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

int
main(int argc, char **argv)
{
	struct direction dirs[2];
	struct config cfg;
	struct sigaction sa;
	sigset_t block, orig;
	int fd_a, fd_b;

	if (parse_args(argc, argv, &cfg) != 0)
		return 2;
	if (cfg.dry_run) {
		print_config("config", &cfg);
		return 0;
	}
	fd_a = open_port(cfg.a);
	if (fd_a < 0)
		return 1;
	fd_b = open_port(cfg.b);
	if (fd_b < 0)
		return 1;

	memset(dirs, 0, sizeof(dirs));
	dirs[0] = (struct direction){ .name = "a->b", .in_if = cfg.a, .out_if = cfg.b,
				      .in_fd = fd_a, .out_fd = fd_b };
	dirs[1] = (struct direction){ .name = "b->a", .in_if = cfg.b, .out_if = cfg.a,
				      .in_fd = fd_b, .out_fd = fd_a };
	for (int i = 0; i < 2; i++) {
		/* Distinct, seed-derived streams per direction. */
		uint64_t s = cfg.seed ^ (i == 0 ? 0x6861726561ULL : 0x6861726562ULL);

		dirs[i].rng = splitmix64(&s);
		dirs[i].rxbuf = malloc((size_t)BATCH * RX_BUF_SIZE);
		if (dirs[i].rxbuf == NULL) {
			fprintf(stderr, "hare-impair: out of memory for receive buffers\n");
			return 1;
		}
	}

	/* Signals only interrupt ppoll, so flags are never missed. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &orig);

	print_config("ready", &cfg);

	while (!g_stop) {
		struct pollfd pfd[2];
		struct timespec ts, *tsp = NULL;
		uint64_t now = now_ns();
		int64_t wait = -1;

		for (int i = 0; i < 2; i++) {
			held_expire(&dirs[i], now, cfg.delay_ns);
			if (!dirs[i].tx_blocked)
				flush(&dirs[i], now);
		}
		/* pfd[0] is socket A, pfd[1] socket B.  A socket is read while
		 * its direction has room, and watched for POLLOUT while the
		 * other direction is blocked on it. */
		for (int i = 0; i < 2; i++) {
			int64_t t = next_event_ns(&dirs[i], now);

			pfd[i].fd = dirs[i].in_fd;
			pfd[i].events = 0;
			pfd[i].revents = 0;
			if (dirs[i].q_len + dirs[i].n_held + BATCH * 2 < MAX_QUEUED)
				pfd[i].events |= POLLIN;
			if (t >= 0 && (wait < 0 || t < wait))
				wait = t;
		}
		if (dirs[0].tx_blocked)	/* a->b writes to B */
			pfd[1].events |= POLLOUT;
		if (dirs[1].tx_blocked)
			pfd[0].events |= POLLOUT;
		if (wait >= 0) {
			ts.tv_sec = wait / 1000000000;
			ts.tv_nsec = wait % 1000000000;
			tsp = &ts;
		}
		if (ppoll(pfd, 2, tsp, &orig) < 0) {
			if (errno != EINTR) {
				perror("hare-impair: ppoll");
				break;
			}
		}
		if (g_dump) {
			g_dump = 0;
			print_counters(dirs);
		}
		if (pfd[1].revents & POLLOUT)
			dirs[0].tx_blocked = false;
		if (pfd[0].revents & POLLOUT)
			dirs[1].tx_blocked = false;
		for (int i = 0; i < 2; i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL))
				check_socket(&dirs[i]);
			if (pfd[i].revents & POLLIN) {
				receive(&dirs[i], &cfg);
				/* send at once: saves a ppoll round trip */
				if (!dirs[i].tx_blocked)
					flush(&dirs[i], now_ns());
			}
		}
	}
	print_counters(dirs);
	return 0;
}
