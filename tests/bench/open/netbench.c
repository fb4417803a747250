// SPDX-License-Identifier: Apache-2.0
/* Open-posture benchmark tool: a loopback sink server, a connect-rate client, a bulk sender. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * netbench serve PORT          sink on 127.0.0.1:PORT: accepts, reads and discards until EOF (runs until killed)
 * netbench connrate PORT SECS  connect()+close() to 127.0.0.1:PORT in a loop; prints connections/s
 * netbench bulk PORT MIB       one connection, writes MIB MiB with write(); prints MiB/s
 */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int serve(int port)
{
	struct sockaddr_in a = loopback(port);
	int one = 1, ep = epoll_create1(0), lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	static char buf[1 << 20];
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
		perror("netbench serve");
		return 1;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == lfd) {
				int c;
				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r > 0)
					continue;
				if (r == 0 || errno != EAGAIN)
					close(fd);
				break;
			}
		}
	}
}

static int connrate(int port, double secs)
{
	struct sockaddr_in a = loopback(port);
	double t0 = now_s(), t;
	long n = 0;

	do {
		for (int i = 0; i < 100; i++) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
				perror("netbench connrate");
				return 1;
			}
			close(fd);
			n++;
		}
		t = now_s() - t0;
	} while (t < secs);
	printf("%.0f\n", (double)n / t);
	return 0;
}

static int bulk(int port, long mib)
{
	struct sockaddr_in a = loopback(port);
	static char buf[256 * 1024];
	long long left = (long long)mib << 20;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	double t0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("netbench bulk");
		return 1;
	}
	memset(buf, 'x', sizeof(buf));
	t0 = now_s();
	while (left > 0) {
		ssize_t w = write(fd, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (w <= 0) {
			perror("netbench bulk write");
			return 1;
		}
		left -= w;
	}
	shutdown(fd, SHUT_WR);
	{
		char c;
		while (read(fd, &c, 1) > 0)
			;
	}
	printf("%.0f\n", (double)mib / (now_s() - t0));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "connrate") == 0)
		return connrate(atoi(argv[2]), atof(argv[3]));
	if (argc == 4 && strcmp(argv[1], "bulk") == 0)
		return bulk(atoi(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: netbench serve PORT | connrate PORT SECS | bulk PORT MIB\n");
	return 2;
}
