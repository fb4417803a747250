// SPDX-License-Identifier: Apache-2.0
/* doors.sh's helper: the cost of one connect(), to a unix socket path or to TCP on 127.0.0.1, in a loop. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * connbench unix PATH N   bind a listener at PATH (made here, removed at the
 *                         end), then N times: socket(), connect() to PATH,
 *                         close(); a thread accepts and closes
 * connbench tcp N         the same with a TCP listener on 127.0.0.1
 * Prints "N connects: T ms, U us per connect". Exit 1 on any failure.
 */

static int listener;

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(listener, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		close(c);
	}
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int family, n;
	pthread_t t;
	double t0, ms;

	if (argc == 4 && strcmp(argv[1], "unix") == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		family = AF_UNIX;
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", argv[2]);
		len = sizeof(*sun);
		unlink(argv[2]);
		n = atoi(argv[3]);
	} else if (argc == 3 && strcmp(argv[1], "tcp") == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		family = AF_INET;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
		n = atoi(argv[2]);
	} else {
		fprintf(stderr, "usage: connbench unix PATH N | tcp N\n");
		return 2;
	}
	listener = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* TCP: the port the kernel chose. Not for unix: in open posture getsockname() names sbx's path for it. */
	if (listener < 0 || bind(listener, (struct sockaddr *)&ss, len) < 0 || listen(listener, 4096) < 0 ||
	    (family == AF_INET && getsockname(listener, (struct sockaddr *)&ss, &len) < 0)) {
		perror("listener");
		return 1;
	}
	pthread_create(&t, NULL, acceptor, NULL);
	t0 = now_ms();
	for (int i = 0; i < n; i++) {
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
			fprintf(stderr, "connect %d: %s\n", i, strerror(errno));
			return 1;
		}
		close(fd);
	}
	ms = now_ms() - t0;
	printf("%d connects: %.1f ms, %.2f us per connect\n", n, ms, ms * 1000 / n);
	if (family == AF_UNIX)
		unlink(argv[2]);
	return 0;
}
