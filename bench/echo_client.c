/* echo_client.c — the one echo client of bench/: plain C, kernel sockets,
 * epoll, one thread. The same binary drives hare-echo and the kernel echo
 * server (bench/kernel_echo.c), so the two figures differ only by server.
 *
 *   echo_client -a IP -p PORT [-c CONNS] [-s SIZE] [-d SEC]
 *       closed loop: each of CONNS connections writes SIZE bytes, reads the
 *       SIZE bytes echoed back (compared with what was sent), and starts the
 *       next round; runs SEC seconds once all are connected.
 *   echo_client -a IP -p PORT --http PATH [-c CONNS] [-d SEC] [-n N]
 *       the same closed loop with HTTP/1.1 keep-alive GETs of PATH: a round
 *       is one whole response (head, then Content-Length body bytes); non-2xx
 *       responses count as errors. Used where an exact request count is
 *       needed (callgrind cost per request): wrk has no such stop.
 *   -n N  (both loops) stop after N rounds in all, counted from the first
 *       connect; -d SEC is then a time limit (exit 1 when it passes).
 *   echo_client -a IP -p PORT --bulk BYTES [-d SEC]
 *       one connection streams BYTES out while reading them back; SEC is a
 *       time limit (exit 1 when it passes).
 *
 * Output, one JSON object on stdout:
 *   {"mode": "rounds", "connections": C, "size": S, "rounds": N,
 *    "seconds": T, "rounds_per_s": R, "errors": E}
 *   {"mode": "bulk", "bytes": B, "seconds": T, "gbit_per_s": G, "errors": E}
 * Exit 0 when no error happened, 1 otherwise (message on stderr), 2 on
 * bad options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 10000
#define MAX_SIZE (1 << 20)
#define BULK_CHUNK (256 * 1024)
#define HTTP_BUF 65536   /* one response head + body must fit (bench bodies are small) */

/* One connection of the closed loop. */
struct conn {
	int fd;
	int connected;
	uint32_t sent;    /* bytes of the current round written */
	uint32_t got;     /* bytes of the current round read back */
	int want_out;     /* EPOLLOUT armed: the round did not fit the socket buffer */
	char *rbuf;       /* --http: the response read so far (got bytes) */
};

/* What a run does, from the command line. */
struct opts {
	int nconn;
	uint32_t size;            /* echo bytes per round */
	double dur;               /* seconds to run, or the limit with -n */
	unsigned long long limit; /* -n: rounds in all, 0 = by duration */
	const char *http_path;    /* --http: GET this path instead of echo */
};

/* --http: length of the response in b[0, n) when complete, 0 if more bytes
 * are needed, -1 if malformed; *status gets the status code. */
static long
http_complete(const char *b, uint32_t n, int *status)
{
	const char *end = memmem(b, n, "\r\n\r\n", 4), *p;
	long head, clen = 0;

	if (end == NULL)
		return n >= HTTP_BUF ? -1 : 0;
	head = end + 4 - b;
	if (n < 12 || memcmp(b, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(b + 9);
	for (p = b; p < end; p++) {
		if ((*p == '\n') && strncasecmp(p + 1, "content-length:", 15) == 0) {
			clen = strtol(p + 16, NULL, 10);
			break;
		}
	}
	if (clen < 0 || head + clen > HTTP_BUF)
		return -1;
	return (uint32_t)(head + clen) <= n ? head + clen : 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: echo_client -a IP -p PORT [-c CONNS] [-s SIZE] [-d SEC] [-n ROUNDS]\n"
		   "       echo_client -a IP -p PORT --http PATH [-c CONNS] [-d SEC] [-n ROUNDS]\n"
		   "       echo_client -a IP -p PORT --bulk BYTES [-d SEC]\n");
}

static int
open_conn(const struct sockaddr_in *sa)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Arm EPOLLOUT only while part of a round waits for socket buffer space. */
static void
set_interest(int ep, struct conn *c, uint32_t id, uint32_t size)
{
	int want = c->sent < size;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = id };

	if (want != c->want_out) {
		c->want_out = want;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Write what is left of the round; 0, or -1 on a socket error. */
static int
push(struct conn *c, const char *buf, uint32_t size)
{
	while (c->sent < size) {
		ssize_t n = write(c->fd, buf + c->sent, size - c->sent);

		if (n < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
		c->sent += (uint32_t)n;
	}
	return 0;
}

static int
run_rounds(const struct sockaddr_in *sa, const struct opts *o)
{
	int nconn = o->nconn;
	double dur = o->dur;
	uint32_t size = o->size, rcap;
	static struct conn conns[MAX_CONNS];
	static struct epoll_event evs[256];
	char *out = malloc(size), *in = malloc(size);
	uint64_t rounds = 0, errors = 0;
	int ep = epoll_create1(0), nup = 0;
	double t0 = 0, deadline, t_start = now_s(), t_connect_limit = t_start + 10;

	if (o->http_path != NULL) {
		size = (uint32_t)snprintf(NULL, 0, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", o->http_path);
		out = malloc(size + 1);
		if (out != NULL)
			snprintf(out, size + 1, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", o->http_path);
	}
	rcap = o->http_path != NULL ? HTTP_BUF : size;
	if (out == NULL || in == NULL || ep < 0) {
		fprintf(stderr, "echo_client: out of memory or epoll: %s\n", strerror(errno));
		return 1;
	}
	for (uint32_t i = 0; o->http_path == NULL && i < size; i++)
		out[i] = (char)('a' + i % 26);
	for (int i = 0; i < nconn; i++) {
		if (o->http_path != NULL && (conns[i].rbuf = malloc(HTTP_BUF)) == NULL) {
			fprintf(stderr, "echo_client: out of memory for %d connections\n", nconn);
			return 1;
		}
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i };

		conns[i].fd = open_conn(sa);
		if (conns[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) {
			fprintf(stderr, "echo_client: connect to %s:%u: %s (is the server up?)\n",
				inet_ntoa(sa->sin_addr), ntohs(sa->sin_port), strerror(errno));
			return 1;
		}
	}
	deadline = 0;
	for (;;) {
		double t = now_s();
		int n;

		if (o->limit == 0 && nup == nconn && t0 == 0) {
			t0 = t;
			deadline = t0 + dur;
		}
		if (deadline > 0 && t >= deadline)
			break;
		if (o->limit > 0 && rounds >= o->limit)
			break;
		if (o->limit > 0 && t - t_start > dur) {
			fprintf(stderr, "echo_client: %llu of %llu rounds after %.0f s: giving up\n",
				(unsigned long long)rounds, o->limit, dur);
			return 1;
		}
		if (t0 == 0 && t > t_connect_limit) {
			fprintf(stderr, "echo_client: only %d of %d connections up after 10 s\n", nup, nconn);
			return 1;
		}
		n = epoll_wait(ep, evs, 256, 50);
		for (int k = 0; k < n; k++) {
			struct conn *c = &conns[evs[k].data.u32];

			if (evs[k].events & (EPOLLERR | EPOLLHUP)) {
				fprintf(stderr, "echo_client: connection %u failed or closed by the server\n",
					evs[k].data.u32);
				return 1;
			}
			if (!c->connected) {
				if (!(evs[k].events & EPOLLOUT))
					continue;
				c->connected = 1;
				c->want_out = 1;
				nup++;
			} else if (evs[k].events & EPOLLIN) {
				char *dst = o->http_path != NULL ? c->rbuf + c->got : in;
				ssize_t r = read(c->fd, dst, rcap - c->got);
				int status = 0;
				long done;

				if (r == 0) {
					fprintf(stderr, "echo_client: server closed connection %u\n",
						evs[k].data.u32);
					return 1;
				}
				if (r < 0) {
					if (errno != EAGAIN)
						errors++;
					continue;
				}
				if (o->http_path == NULL && memcmp(in, out + c->got, (size_t)r) != 0)
					errors++;
				c->got += (uint32_t)r;
				done = o->http_path == NULL ? (c->got == size ? size : 0)
							    : http_complete(c->rbuf, c->got, &status);
				if (done < 0 || (done > 0 && o->http_path != NULL && (status < 200 || status > 299))) {
					fprintf(stderr, "echo_client: bad HTTP response (status %d) on connection %u\n",
						status, evs[k].data.u32);
					return 1;
				}
				if (done > 0 && (uint32_t)done != c->got) {
					fprintf(stderr, "echo_client: more bytes than one response (pipelining is not used)\n");
					return 1;
				}
				if (done > 0) {
					if (t0 > 0 || o->limit > 0)
						rounds++;
					c->got = 0;
					c->sent = 0;
				}
			}
			if (c->sent < size && push(c, out, size) < 0)
				errors++;
			set_interest(ep, c, evs[k].data.u32, size);
		}
	}
	t0 = now_s() - (o->limit > 0 ? t_start : t0);
	printf("{\"mode\": \"%s\", \"connections\": %d, \"size\": %u, \"rounds\": %llu, "
	       "\"seconds\": %.3f, \"rounds_per_s\": %.1f, \"errors\": %llu}\n",
	       o->http_path != NULL ? "http" : "rounds", nconn, size, (unsigned long long)rounds, t0,
	       rounds / t0, (unsigned long long)errors);
	for (int i = 0; i < nconn; i++)
		close(conns[i].fd);
	return errors ? 1 : 0;
}

static int
run_bulk(const struct sockaddr_in *sa, uint64_t total, double limit)
{
	static char out[BULK_CHUNK], in[BULK_CHUNK];
	uint64_t sent = 0, got = 0, errors = 0;
	int ep = epoll_create1(0), fd = open_conn(sa), bufsz = 4 << 20;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	double t0, t;

	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		fprintf(stderr, "echo_client: connect to %s:%u: %s (is the server up?)\n",
			inet_ntoa(sa->sin_addr), ntohs(sa->sin_port), strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)('a' + i % 26);
	t0 = now_s();
	while (got < total) {
		int n = epoll_wait(ep, &ev, 1, 100);

		t = now_s();
		if (t - t0 > limit) {
			fprintf(stderr, "echo_client: bulk: %llu of %llu bytes back after %.0f s: giving up\n",
				(unsigned long long)got, (unsigned long long)total, limit);
			return 1;
		}
		if (n <= 0)
			continue;
		if (ev.events & (EPOLLERR | EPOLLHUP)) {
			fprintf(stderr, "echo_client: bulk connection failed or closed by the server\n");
			return 1;
		}
		if ((ev.events & EPOLLOUT) && sent < total) {
			uint64_t off = sent % BULK_CHUNK, len = BULK_CHUNK - off;
			ssize_t w;

			if (len > total - sent)
				len = total - sent;
			w = write(fd, out + off, len);
			if (w > 0)
				sent += (uint64_t)w;
			else if (w < 0 && errno != EAGAIN)
				errors++;
			if (sent == total) {
				struct epoll_event e2 = { .events = EPOLLIN };

				epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e2);
			}
		}
		if (ev.events & EPOLLIN) {
			uint64_t off = got % BULK_CHUNK, len = BULK_CHUNK - off;
			ssize_t r = read(fd, in, len);

			if (r == 0) {
				fprintf(stderr, "echo_client: bulk: server closed after %llu bytes\n",
					(unsigned long long)got);
				return 1;
			}
			if (r > 0) {
				if (memcmp(in, out + off, (size_t)r) != 0)
					errors++;
				got += (uint64_t)r;
			}
		}
	}
	t = now_s() - t0;
	printf("{\"mode\": \"bulk\", \"bytes\": %llu, \"seconds\": %.3f, \"gbit_per_s\": %.3f, "
	       "\"errors\": %llu}\n", (unsigned long long)total, t, total * 8 / t / 1e9,
	       (unsigned long long)errors);
	close(fd);
	return errors ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bulk", required_argument, NULL, 'B' }, { "http", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *addr = NULL;
	long port = 0, nconn = 64, size = 64;
	unsigned long long bulk = 0, limit = 0;
	const char *http_path = NULL;
	double dur = 5;
	int o;

	while ((o = getopt_long(argc, argv, "a:p:c:s:d:n:h", lo, NULL)) != -1) {
		switch (o) {
		case 'n': limit = strtoull(optarg, NULL, 10); break;
		case 'H': http_path = optarg; break;
		case 'a': addr = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		case 'c': nconn = strtol(optarg, NULL, 10); break;
		case 's': size = strtol(optarg, NULL, 10); break;
		case 'd': dur = strtod(optarg, NULL); break;
		case 'B': bulk = strtoull(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (addr == NULL || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || port < 1 || port > 65535 ||
	    nconn < 1 || nconn > MAX_CONNS || size < 1 || size > MAX_SIZE || dur <= 0) {
		fprintf(stderr, "echo_client: need -a IPv4 -p 1..65535, -c 1..%d, -s 1..%d, -d > 0\n",
			MAX_CONNS, MAX_SIZE);
		usage(stderr);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	if (bulk)
		return run_bulk(&sa, bulk, dur);
	struct opts ro = { .nconn = (int)nconn, .size = (uint32_t)size, .dur = dur, .limit = limit,
			   .http_path = http_path };
	return run_rounds(&sa, &ro);
}
