// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/lib: address conversion, descriptor passing, the list. */

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/fdpass.h"
#include "lib/list.h"
#include "lib/sockaddr.h"

static void test_unmap(void **state)
{
	struct sbx_addr a = {.family = AF_INET6}, u;

	(void)state;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a.b);
	sbx_sockaddr_unmap(&a, &u);
	assert_int_equal(u.family, AF_INET);
	assert_memory_equal(u.b, "\x7f\0\0\x01", 4);
	inet_pton(AF_INET6, "2001:db8::1", a.b);
	sbx_sockaddr_unmap(&a, &u);
	assert_int_equal(u.family, AF_INET6);
	assert_memory_equal(u.b, a.b, 16);
}

static void test_from_addrinfo_dedupes(void **state)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct addrinfo ai3 = {.ai_family = AF_INET6, .ai_addr = (struct sockaddr *)&s6};
	struct addrinfo ai2 = {.ai_family = AF_INET, .ai_addr = (struct sockaddr *)&s4, .ai_next = &ai3};
	struct addrinfo ai1 = {.ai_family = AF_INET, .ai_addr = (struct sockaddr *)&s4, .ai_next = &ai2};
	struct sbx_addr out[4];

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::2", &s6.sin6_addr);
	assert_int_equal(sbx_sockaddr_from_addrinfo(&ai1, out, 4), 2);
	assert_int_equal(out[0].family, AF_INET);
	assert_int_equal(out[1].family, AF_INET6);
	assert_int_equal(sbx_sockaddr_from_addrinfo(&ai1, out, 1), 1);
}

static void test_fdpass_round_trip(void **state)
{
	int sv[2], p[2], fds[SBX_FDPASS_MAX], one = 1;
	size_t n_fds;
	pid_t pid;
	char buf[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sbx_fdpass_send(sv[0], "hi", 2, p, 2, getpid()), 0);
	assert_int_equal(sbx_fdpass_recv(sv[1], buf, sizeof(buf), fds, &n_fds, &pid), 2);
	assert_int_equal(n_fds, 2);
	assert_int_equal(pid, getpid());
	assert_int_equal(write(fds[1], "x", 1), 1); /* the passed write end reaches our read end */
	assert_int_equal(read(p[0], buf, 1), 1);
	assert_int_equal(sbx_fdpass_recv(sv[1], buf, sizeof(buf), fds + 2, &n_fds, &pid), -EAGAIN);
	assert_int_equal(sbx_fdpass_send(sv[0], "x", 1, p, SBX_FDPASS_MAX + 1, 0), -EINVAL);
	for (int i = 0; i < 2; i++) {
		close(fds[i]);
		close(p[i]);
		close(sv[i]);
	}
}

struct item {
	int v;
	struct sbx_list link;
};

static void test_list(void **state)
{
	struct sbx_list head = SBX_LIST_INIT(head), *pos, *tmp;
	struct item it[3] = {{.v = 1}, {.v = 2}, {.v = 3}};
	int sum = 0;

	(void)state;
	assert_null(sbx_list_first(&head, struct item, link));
	for (int i = 0; i < 3; i++)
		sbx_list_add_tail(&head, &it[i].link);
	assert_int_equal(sbx_list_first(&head, struct item, link)->v, 1);
	sbx_list_for_each_safe(pos, tmp, &head) {
		struct item *x = sbx_list_entry(pos, struct item, link);

		sum += x->v;
		if (x->v == 2)
			sbx_list_del(&x->link);
	}
	assert_int_equal(sum, 6);
	sbx_list_del(&it[1].link); /* twice is harmless */
	sbx_list_del(&it[0].link);
	assert_int_equal(sbx_list_first(&head, struct item, link)->v, 3);
	sbx_list_del(&it[2].link);
	assert_true(sbx_list_empty(&head));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_from_addrinfo_dedupes),
		cmocka_unit_test(test_fdpass_round_trip),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
