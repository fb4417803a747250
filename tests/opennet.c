// SPDX-License-Identifier: Apache-2.0
/* Test payload for the open posture: every way to send a first packet, and a racing attacker. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * opennet MODE ADDR PORT
 *   tcp       connect() a TCP socket and send "hello"
 *   udp       connect() a UDP socket and send() "hello"
 *   sendto    unconnected UDP sendto()
 *   sendmsg   unconnected UDP sendmsg() with msg_name
 *   sendmmsg  unconnected UDP sendmmsg() of two messages
 *   tfo       TCP Fast Open: sendto(MSG_FASTOPEN) with the address
 *   mapped    IPv6 TCP socket, connect() to ::ffff:ADDR
 * Exit 0 when the call succeeded, 1 with "errno NAME" on stdout otherwise.
 *
 * opennet race ALLOWED DENIED PORT N
 *   N connects to ALLOWED while other threads flip the shared address buffer
 *   to DENIED and swap the descriptor under it (dup2). Prints how many
 *   connects succeeded; the test checks the DENIED server saw nothing.
 *
 * opennet slow HANG PORT N WAIT_MS
 *   N threads each make one blocking connect() to HANG:PORT (a black hole:
 *   it never answers); WAIT_MS later, one blocking connect() to a listener
 *   of our own on 127.0.0.1. Prints "slow: N started, F finished [ERRNO=K...]"
 *   (the slow calls that returned by then, by errno) and "normal: OK MS",
 *   "normal: errno NAME MS" or "normal: pending MS" (no answer in 5 s), then
 *   exits at once, slow calls still in flight.
 */

static int fail(const char *what)
{
	printf("errno %s (%s)\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?", what);
	return 1;
}

static struct sockaddr_in sin_of(const char *a, int port)
{
	struct sockaddr_in s = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	if (inet_pton(AF_INET, a, &s.sin_addr) != 1)
		exit(2);
	return s;
}

static struct sockaddr_in race_addr;
static struct sockaddr_in race_good, race_bad;
static atomic_int race_stop;
static int race_fd = -1;

static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load(&race_stop)) {
		race_addr.sin_addr = race_bad.sin_addr;
		__asm__ volatile("" ::: "memory");
		race_addr.sin_addr = race_good.sin_addr;
		__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&race_stop)) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int fd = __atomic_load_n(&race_fd, __ATOMIC_RELAXED);

		if (s >= 0 && fd >= 0)
			dup2(s, fd);
		if (s >= 0)
			close(s);
	}
	return NULL;
}

static int race(const char *good, const char *bad, int port, int n)
{
	pthread_t t[3];
	int ok = 0;

	race_good = sin_of(good, port);
	race_bad = sin_of(bad, port);
	race_addr = race_good;
	pthread_create(&t[0], NULL, flipper, NULL);
	pthread_create(&t[1], NULL, flipper, NULL);
	pthread_create(&t[2], NULL, swapper, NULL);
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		__atomic_store_n(&race_fd, fd, __ATOMIC_RELAXED);
		if (connect(fd, (struct sockaddr *)&race_addr, sizeof(race_addr)) == 0)
			ok++;
		__atomic_store_n(&race_fd, -1, __ATOMIC_RELAXED);
		close(fd);
	}
	atomic_store(&race_stop, 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("connected %d of %d\n", ok, n);
	return 0;
}

static struct sockaddr_in slow_dest;
static atomic_int slow_done, slow_errs[256];

static void *slow_connect(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)arg;
	if (fd < 0 || connect(fd, (struct sockaddr *)&slow_dest, sizeof(slow_dest)) < 0)
		atomic_fetch_add(&slow_errs[errno & 255], 1);
	else
		atomic_fetch_add(&slow_errs[0], 1);
	atomic_fetch_add(&slow_done, 1);
	return NULL;
}

static struct sockaddr_in normal_dest;
static atomic_int normal_err = -1;

static void *normal_connect(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)arg;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&normal_dest, sizeof(normal_dest)) == 0)
		atomic_store(&normal_err, 0);
	else
		atomic_store(&normal_err, errno);
	return NULL;
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int slow(const char *hang, int port, int n, int wait_ms)
{
	socklen_t len = sizeof(normal_dest);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pthread_attr_t attr;
	pthread_t t;
	long t0;
	int e;

	normal_dest = sin_of("127.0.0.1", 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&normal_dest, sizeof(normal_dest)) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&normal_dest, &len) < 0)
		return fail("listener");
	slow_dest = sin_of(hang, port);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t, &attr, slow_connect, NULL) != 0)
			return fail("pthread_create");
	usleep((useconds_t)wait_ms * 1000);
	printf("slow: %d started, %d finished", n, atomic_load(&slow_done));
	for (int i = 0; i < 256; i++)
		if (atomic_load(&slow_errs[i]))
			printf(" %s=%d", i ? strerrorname_np(i) : "OK", atomic_load(&slow_errs[i]));
	printf("\n");
	t0 = ms_now();
	if (pthread_create(&t, &attr, normal_connect, NULL) != 0)
		return fail("pthread_create");
	while ((e = atomic_load(&normal_err)) < 0 && ms_now() - t0 < 5000)
		usleep(1000);
	if (e == 0)
		printf("normal: OK %ld\n", ms_now() - t0);
	else if (e > 0)
		printf("normal: errno %s %ld\n", strerrorname_np(e) ? strerrorname_np(e) : "?", ms_now() - t0);
	else
		printf("normal: pending %ld\n", ms_now() - t0);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	static char msg[] = "hello";
	struct sockaddr_in sin;
	int fd;

	if (argc == 6 && strcmp(argv[1], "race") == 0)
		return race(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc == 6 && strcmp(argv[1], "slow") == 0)
		return slow(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc != 4)
		return 2;
	sin = sin_of(argv[2], atoi(argv[3]));
	if (strcmp(argv[1], "tcp") == 0 || strcmp(argv[1], "udp") == 0) {
		fd = socket(AF_INET, argv[1][0] == 't' ? SOCK_STREAM : SOCK_DGRAM, 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return fail("connect");
		if (send(fd, msg, 5, 0) != 5)
			return fail("send");
	} else if (strcmp(argv[1], "sendto") == 0) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (sendto(fd, msg, 5, 0, (struct sockaddr *)&sin, sizeof(sin)) != 5)
			return fail("sendto");
	} else if (strcmp(argv[1], "sendmsg") == 0 || strcmp(argv[1], "sendmmsg") == 0) {
		struct iovec iov = {.iov_base = msg, .iov_len = 5};
		struct mmsghdr mm[2];

		fd = socket(AF_INET, SOCK_DGRAM, 0);
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < 2; i++)
			mm[i].msg_hdr = (struct msghdr){.msg_name = &sin,
							.msg_namelen = sizeof(sin),
							.msg_iov = &iov,
							.msg_iovlen = 1};
		if (strcmp(argv[1], "sendmsg") == 0) {
			if (sendmsg(fd, &mm[0].msg_hdr, 0) != 5)
				return fail("sendmsg");
		} else {
			if (sendmmsg(fd, mm, 2, 0) != 2)
				return fail("sendmmsg");
			if (mm[0].msg_len != 5 || mm[1].msg_len != 5)
				return fail("sendmmsg msg_len");
		}
	} else if (strcmp(argv[1], "tfo") == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (sendto(fd, msg, 5, MSG_FASTOPEN, (struct sockaddr *)&sin, sizeof(sin)) != 5)
			return fail("sendto MSG_FASTOPEN");
	} else if (strcmp(argv[1], "mapped") == 0) {
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = sin.sin_port};

		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0)
			return fail("connect");
		if (send(fd, msg, 5, 0) != 5)
			return fail("send");
	} else {
		return 2;
	}
	usleep(50000); /* let the server log the packet before we exit */
	close(fd);
	return 0;
}
