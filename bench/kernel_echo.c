/* kernel_echo.c — the kernel's side of the echo benchmarks: a plain epoll
 * echo server on kernel sockets, one thread, level-triggered, as a
 * competent C programmer writes one. bench/run.sh runs it in the stack
 * namespace, pinned to the server core, against the same echo_client that
 * drives hare-echo.
 *
 *   kernel_echo -a IP -p PORT
 *
 * Prints `ready` on stdout once listening; runs until SIGTERM/SIGINT, then
 * prints {"connections": N, "bytes": B} and exits 0.
 *
 * Back-pressure: a connection whose echo did not fit the socket buffer
 * stops reading (EPOLLIN off, EPOLLOUT on) until its pending bytes are out,
 * so memory per connection stays one buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536

/* One accepted connection and the bytes it still has to echo. */
struct conn {
	int fd;
	uint32_t off, len;   /* pending echo: buf[off, off+len) */
	int out_armed;       /* registered for EPOLLOUT instead of EPOLLIN */
	char buf[BUF];
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event evs[256], ev;
	unsigned long long nconn = 0, bytes = 0;
	const char *addr = NULL;
	long port = 0;
	int o, one = 1, lfd, ep;

	while ((o = getopt(argc, argv, "a:p:h")) != -1) {
		switch (o) {
		case 'a': addr = optarg; break;
		case 'p': port = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: kernel_echo -a IP -p PORT\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (addr == NULL || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || port < 1 || port > 65535) {
		fprintf(stderr, "kernel_echo: need -a IPv4 -p 1..65535 (usage: kernel_echo -a IP -p PORT)\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || ep < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4096) < 0) {
		fprintf(stderr, "kernel_echo: listen on %s:%ld: %s (address configured? port free?)\n",
			addr, port, strerror(errno));
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;   /* NULL = the listener */
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = malloc(sizeof(*c));
					if (c == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					c->off = c->len = 0;
					c->out_armed = 0;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
					nconn++;
				}
				continue;
			}
			if (c->len == 0 && (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
				ssize_t r = read(c->fd, c->buf, BUF);

				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					conn_close(ep, c);
					continue;
				}
				if (r < 0)
					continue;
				c->off = 0;
				c->len = (uint32_t)r;
				bytes += (uint64_t)r;
			}
			while (c->len > 0) {
				ssize_t w = write(c->fd, c->buf + c->off, c->len);

				if (w < 0)
					break;
				c->off += (uint32_t)w;
				c->len -= (uint32_t)w;
			}
			if (c->len > 0 && errno != EAGAIN) {
				conn_close(ep, c);
				continue;
			}
			/* switch interest only on a change: EPOLLOUT while pending */
			if ((c->len > 0) != c->out_armed) {
				c->out_armed = c->len > 0;
				ev.events = c->out_armed ? EPOLLOUT : EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
	printf("{\"connections\": %llu, \"bytes\": %llu}\n", nconn, bytes);
	return 0;
}
