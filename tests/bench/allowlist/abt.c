// SPDX-License-Identifier: Apache-2.0
/* Allowlist benchmark tool: world servers, a large-buffer relay and the clients (bulk, rate, hold, get). */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * abt serve MODE:ADDR:PORT...
 *     one epoll thread serving every listed port. Modes:
 *       sink   read and count 256 KiB blocks; after the block whose first
 *              byte is 1 (or at EOF) send the count (8 bytes, little
 *              endian) and close: no half-close needed, which tinyproxy and
 *              microsocks do not pass on
 *       echo1  read 16 bytes, send them back, close (the server closes first,
 *              so TIME_WAIT stays on the server side)
 *       echo   echo whatever arrives, until the peer closes
 *       http   read a request head, answer "200 ok" with Connection: close
 * abt relay LISTEN_ADDR:PORT TARGET_ADDR:PORT
 *     plain TCP relay: a thread per direction, blocking read/write with a
 *     256 KiB buffer each, half-close passed on.
 * PROXY below is "none" (connect to TARGET itself), "http:ADDR:PORT"
 * (CONNECT TARGET), "socks:ADDR:PORT" (SOCKS5, TARGET's host sent as a
 * name) or "relay:ADDR:PORT" (connect there, no handshake).
 * abt bulk PROXY TARGET BYTES SECONDS [LINGER]
 *     send BYTES rounded up to 256 KiB blocks (or for SECONDS, whichever
 *     ends first) to a sink, the last block flagged; prints
 *     "bytes seconds MiB/s", the time running until the sink's count came back.
 *     LINGER: seconds to stay alive after printing (so that the caller can
 *     read the CPU time of a proxy that ends with this process).
 * abt rate PROXY TARGET THREADS SECONDS [LINGER]
 *     THREADS loops of connect, handshake, 16 bytes to an echo1 port and back,
 *     close; prints "tunnels errors seconds tunnels/s".
 * abt hold PROXY TARGET N
 *     prints "up", waits for a line on stdin, opens N tunnels to an echo port
 *     (each checked with one 8-byte round trip), prints "ready N" (or
 *     "failed I reason"), holds them until the next line (then closes them
 *     and prints "closed") and waits for stdin to reach EOF.
 * abt get PROXY HOST:PORT
 *     one absolute-form GET through an HTTP proxy (or direct with "none");
 *     prints the seconds from connect to the end of the answer.
 */

#define BIG (256 * 1024)
#define MAXL 16

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "abt: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Split "ADDR:PORT" (ADDR may be [v6]) into a sockaddr. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	size_t hl;
	int port;

	if (!colon)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	port = atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = 0;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
			if (getaddrinfo(host, NULL, &hints, &res) != 0)
				return -1;
			a->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
			freeaddrinfo(res);
		}
		*len = sizeof(*a);
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ------------------------------------------------------------------ serve */

enum mode { M_SINK, M_ECHO1, M_ECHO, M_HTTP };

struct conn {
	int fd;
	enum mode mode;
	bool listener;
	bool last;
	uint64_t count;
	size_t have;
	char buf[512];
};

static char sinkbuf[BIG];

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void serve_event(int ep, struct conn *c)
{
	if (c->listener) {
		for (;;) {
			int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			struct conn *n;
			struct epoll_event ev = {.events = EPOLLIN};
			if (fd < 0)
				return;
			n = calloc(1, sizeof(*n));
			if (!n) {
				close(fd);
				return;
			}
			n->fd = fd;
			n->mode = c->mode;
			ev.data.ptr = n;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				close(fd);
				free(n);
			}
		}
	}
	for (;;) {
		ssize_t r;
		if (c->mode == M_SINK) {
			r = read(c->fd, sinkbuf, sizeof(sinkbuf));
		} else {
			if (c->have >= sizeof(c->buf) - 1)
				c->have = 0;
			r = read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			if (r == 0 && c->mode == M_SINK) {
				uint64_t v = c->count; /* little endian hosts only: fine here */
				(void)!write(c->fd, &v, sizeof(v));
			}
			conn_close(ep, c);
			return;
		}
		switch (c->mode) {
		case M_SINK: {
			size_t k0 = (BIG - (size_t)(c->count % BIG)) % BIG;
			if (k0 < (size_t)r && sinkbuf[k0] == 1)
				c->last = true;
			c->count += (uint64_t)r;
			if (c->last && c->count % BIG == 0) {
				uint64_t v = c->count;
				(void)!write(c->fd, &v, sizeof(v));
				conn_close(ep, c);
				return;
			}
			break;
		}
		case M_ECHO:
			(void)!write(c->fd, c->buf, (size_t)r);
			break;
		case M_ECHO1:
			c->have += (size_t)r;
			if (c->have >= MAXL) {
				(void)!write(c->fd, c->buf, MAXL);
				conn_close(ep, c);
				return;
			}
			break;
		case M_HTTP:
			c->have += (size_t)r;
			c->buf[c->have] = 0;
			if (strstr(c->buf, "\r\n\r\n")) {
				static const char ans[] =
					"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
					"Content-Length: 3\r\nConnection: close\r\n\r\nok\n";
				(void)!write(c->fd, ans, sizeof(ans) - 1);
				conn_close(ep, c);
				return;
			}
			break;
		}
	}
}

static int cmd_serve(int argc, char **argv)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event evs[64];

	if (ep < 0)
		die("epoll");
	for (int i = 0; i < argc; i++) {
		char *spec = argv[i], *addr = strchr(spec, ':');
		struct sockaddr_storage ss;
		socklen_t sl;
		struct conn *l = calloc(1, sizeof(*l));
		struct epoll_event ev = {.events = EPOLLIN};
		int one = 1;

		if (!addr || !l)
			return 2;
		*addr++ = 0;
		if (!strcmp(spec, "sink"))
			l->mode = M_SINK;
		else if (!strcmp(spec, "echo1"))
			l->mode = M_ECHO1;
		else if (!strcmp(spec, "echo"))
			l->mode = M_ECHO;
		else if (!strcmp(spec, "http"))
			l->mode = M_HTTP;
		else
			return 2;
		if (parse_addr(addr, &ss, &sl) < 0)
			return 2;
		l->listener = true;
		l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&ss, sl) < 0 || listen(l->fd, 4096) < 0)
			die(addr);
		ev.data.ptr = l;
		epoll_ctl(ep, EPOLL_CTL_ADD, l->fd, &ev);
	}
	printf("serving\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++)
			serve_event(ep, evs[i].data.ptr);
	}
}

/* ------------------------------------------------------------------ relay */

struct pair {
	int a, b;
	atomic_int refs;
};

struct half {
	struct pair *p;
	int from, to;
};

static void *relay_dir(void *arg)
{
	struct half *h = arg;
	char *buf = malloc(BIG);

	for (;;) {
		ssize_t n = buf ? read(h->from, buf, BIG) : -1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(h->to, buf, (size_t)n) < 0)
			break;
	}
	shutdown(h->to, SHUT_WR);
	free(buf);
	if (atomic_fetch_sub(&h->p->refs, 1) == 1) {
		close(h->p->a);
		close(h->p->b);
		free(h->p);
	}
	free(h);
	return NULL;
}

static struct sockaddr_storage relay_target;
static socklen_t relay_target_len;

static void *relay_conn(void *arg)
{
	int cfd = (int)(intptr_t)arg;
	int ufd = socket(relay_target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pair *p;
	struct half *h1, *h2;
	pthread_t t;

	if (ufd < 0 || connect(ufd, (struct sockaddr *)&relay_target, relay_target_len) < 0) {
		close(cfd);
		if (ufd >= 0)
			close(ufd);
		return NULL;
	}
	p = malloc(sizeof(*p));
	h1 = malloc(sizeof(*h1));
	h2 = malloc(sizeof(*h2));
	p->a = cfd;
	p->b = ufd;
	atomic_init(&p->refs, 2);
	*h1 = (struct half){p, cfd, ufd};
	*h2 = (struct half){p, ufd, cfd};
	if (pthread_create(&t, NULL, relay_dir, h2) == 0)
		pthread_detach(t);
	else
		relay_dir(h2);
	return relay_dir(h1);
}

static int cmd_relay(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, lfd;
	pthread_attr_t attr;

	if (argc != 2 || parse_addr(argv[0], &ss, &sl) < 0 || parse_addr(argv[1], &relay_target, &relay_target_len) < 0)
		return 2;
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, sl) < 0 || listen(lfd, 4096) < 0)
		die("relay listen");
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	printf("relaying\n");
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;
		if (fd < 0)
			continue;
		if (pthread_create(&t, &attr, relay_conn, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}

/* ---------------------------------------------------------------- clients */

enum ptype { PX_NONE, PX_HTTP, PX_SOCKS, PX_RELAY };

static enum ptype px_type;
static struct sockaddr_storage px_addr;
static socklen_t px_len;
static const char *target;

static void parse_proxy(const char *p, const char *t)
{
	target = t;
	if (!strcmp(p, "none")) {
		px_type = PX_NONE;
		if (parse_addr(t, &px_addr, &px_len) < 0) {
			fprintf(stderr, "abt: bad target %s\n", t);
			exit(2);
		}
		return;
	}
	if (!strncmp(p, "http:", 5))
		px_type = PX_HTTP;
	else if (!strncmp(p, "socks:", 6))
		px_type = PX_SOCKS;
	else if (!strncmp(p, "relay:", 6))
		px_type = PX_RELAY;
	else {
		fprintf(stderr, "abt: bad proxy %s\n", p);
		exit(2);
	}
	if (parse_addr(strchr(p, ':') + 1, &px_addr, &px_len) < 0) {
		fprintf(stderr, "abt: bad proxy address %s\n", p);
		exit(2);
	}
}

/* Connect and go through the proxy's handshake; returns the fd or -1 with *why set. */
static int open_tunnel(const char **why)
{
	int fd = socket(px_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[600];

	*why = "socket";
	if (fd < 0)
		return -1;
	*why = "connect";
	if (connect(fd, (struct sockaddr *)&px_addr, px_len) < 0)
		goto fail;
	if (px_type == PX_HTTP) {
		size_t have = 0;
		int n = snprintf(buf, sizeof(buf), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
		*why = "CONNECT send";
		if (write_all(fd, buf, (size_t)n) < 0)
			goto fail;
		*why = "CONNECT answer";
		/* byte by byte: nothing may be read past the head */
		while (have < sizeof(buf) - 1) {
			if (read(fd, buf + have, 1) != 1)
				goto fail;
			have++;
			if (have >= 4 && !memcmp(buf + have - 4, "\r\n\r\n", 4))
				break;
		}
		buf[have] = 0;
		*why = "CONNECT refused";
		if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200", 4))
			goto fail;
	} else if (px_type == PX_SOCKS) {
		const char *colon = strrchr(target, ':');
		size_t hl = (size_t)(colon - target);
		unsigned port = (unsigned)atoi(colon + 1);
		unsigned char req[300];
		size_t rl = 0;

		*why = "SOCKS greeting";
		if (write_all(fd, "\x05\x01\x00", 3) < 0 || read_full(fd, buf, 2) < 0 || buf[0] != 5 || buf[1] != 0)
			goto fail;
		req[rl++] = 5;
		req[rl++] = 1;
		req[rl++] = 0;
		req[rl++] = 3;
		req[rl++] = (unsigned char)hl;
		memcpy(req + rl, target, hl);
		rl += hl;
		req[rl++] = (unsigned char)(port >> 8);
		req[rl++] = (unsigned char)port;
		*why = "SOCKS request";
		if (write_all(fd, req, rl) < 0 || read_full(fd, buf, 4) < 0)
			goto fail;
		*why = "SOCKS refused";
		if (buf[0] != 5 || buf[1] != 0)
			goto fail;
		*why = "SOCKS reply";
		if (buf[3] == 1) {
			if (read_full(fd, buf, 6) < 0)
				goto fail;
		} else if (buf[3] == 4) {
			if (read_full(fd, buf, 18) < 0)
				goto fail;
		} else if (buf[3] == 3) {
			unsigned char l;
			if (read_full(fd, &l, 1) < 0 || read_full(fd, buf, (size_t)l + 2) < 0)
				goto fail;
		} else {
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int cmd_bulk(int argc, char **argv)
{
	uint64_t want, sent = 0, got = 0;
	double secs, t0, t1;
	const char *why;
	char *buf;
	int fd;

	if (argc != 4 && argc != 5)
		return 2;
	parse_proxy(argv[0], argv[1]);
	want = strtoull(argv[2], NULL, 0);
	secs = atof(argv[3]);
	buf = calloc(1, BIG);
	fd = open_tunnel(&why);
	if (fd < 0) {
		fprintf(stderr, "abt bulk: %s: %s\n", why, strerror(errno));
		return 1;
	}
	t0 = now();
	for (bool last = false; !last;) {
		last = sent + BIG >= want || now() - t0 >= secs;
		buf[0] = last;
		if (write_all(fd, buf, BIG) < 0) {
			fprintf(stderr, "abt bulk: write after %llu bytes: %s\n", (unsigned long long)sent,
				strerror(errno));
			return 1;
		}
		sent += BIG;
	}
	if (read_full(fd, &got, sizeof(got)) < 0 || got != sent) {
		fprintf(stderr, "abt bulk: sink counted %llu of %llu bytes\n", (unsigned long long)got,
			(unsigned long long)sent);
		return 1;
	}
	t1 = now();
	printf("%llu %.3f %.1f\n", (unsigned long long)sent, t1 - t0, (double)sent / (t1 - t0) / 1048576.0);
	fflush(stdout);
	if (argc == 5)
		usleep((useconds_t)(atof(argv[4]) * 1e6));
	return 0;
}

static atomic_long rate_ok, rate_err;
static atomic_bool rate_stop;
static char rate_why[128];

static void *rate_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&rate_stop)) {
		const char *why;
		char b[MAXL] = "0123456789abcdef", r[MAXL + 1];
		int fd = open_tunnel(&why);
		if (fd >= 0 && write_all(fd, b, MAXL) == 0 && read_full(fd, r, MAXL) == 0 && !memcmp(b, r, MAXL) &&
		    read(fd, r, 1) == 0) {
			atomic_fetch_add(&rate_ok, 1);
		} else {
			if (fd >= 0)
				why = "exchange";
			snprintf(rate_why, sizeof(rate_why), "%s: %s", why, strerror(errno));
			atomic_fetch_add(&rate_err, 1);
			usleep(1000);
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int cmd_rate(int argc, char **argv)
{
	int n;
	double secs, t0, t1;
	pthread_t th[256];

	if (argc != 4 && argc != 5)
		return 2;
	parse_proxy(argv[0], argv[1]);
	n = atoi(argv[2]);
	secs = atof(argv[3]);
	if (n < 1 || n > 256)
		return 2;
	t0 = now();
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, rate_thread, NULL);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&rate_stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	printf("%ld %ld %.3f %.0f\n", atomic_load(&rate_ok), atomic_load(&rate_err), t1 - t0,
	       (double)atomic_load(&rate_ok) / (t1 - t0));
	if (atomic_load(&rate_err))
		fprintf(stderr, "abt rate: %ld errors, last: %s\n", atomic_load(&rate_err), rate_why);
	fflush(stdout);
	if (argc == 5)
		usleep((useconds_t)(atof(argv[4]) * 1e6));
	return 0;
}

static int cmd_hold(int argc, char **argv)
{
	int n, *fds;
	char line[64];
	struct rlimit rl;

	if (argc != 3)
		return 2;
	parse_proxy(argv[0], argv[1]);
	n = atoi(argv[2]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)n, sizeof(int));
	printf("up\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	for (int i = 0; i < n; i++) {
		const char *why;
		char b[8] = "abcdefgh", r[8];
		fds[i] = open_tunnel(&why);
		if (fds[i] >= 0 && (write_all(fds[i], b, 8) < 0 || read_full(fds[i], r, 8) < 0))
			why = "echo", fds[i] = -1;
		if (fds[i] < 0) {
			printf("failed %d %s: %s\n", i, why, strerror(errno));
			fflush(stdout);
			while (fgets(line, sizeof(line), stdin))
				;
			return 1;
		}
	}
	printf("ready %d\n", n);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin)) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		printf("closed\n");
		fflush(stdout);
	}
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	const char *why;
	char req[512], buf[4096];
	double t0;
	int fd, n;
	ssize_t r;
	size_t have = 0;

	if (argc != 2)
		return 2;
	parse_proxy(argv[0], argv[1]);
	if (px_type == PX_HTTP) {
		px_type = PX_RELAY; /* absolute-form GET: no CONNECT */
		n = snprintf(req, sizeof(req), "GET http://%s/ HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
			     target, target);
	} else {
		n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target);
	}
	t0 = now();
	fd = open_tunnel(&why);
	if (fd < 0 || write_all(fd, req, (size_t)n) < 0) {
		fprintf(stderr, "abt get: %s: %s\n", why, strerror(errno));
		return 1;
	}
	while ((r = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0)
		have += (size_t)r;
	buf[have] = 0;
	if (strncmp(buf, "HTTP/1.1 200", 12)) {
		fprintf(stderr, "abt get: bad answer\n");
		return 1;
	}
	printf("%.6f\n", now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		fprintf(stderr, "usage: abt serve|relay|bulk|rate|hold|get ARGS (see the source)\n");
		return 2;
	}
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (!strcmp(argv[1], "relay"))
		return cmd_relay(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bulk"))
		return cmd_bulk(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rate"))
		return cmd_rate(argc - 2, argv + 2);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 2, argv + 2);
	if (!strcmp(argv[1], "get"))
		return cmd_get(argc - 2, argv + 2);
	fprintf(stderr, "abt: unknown command %s\n", argv[1]);
	return 2;
}
