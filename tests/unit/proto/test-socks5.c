// SPDX-License-Identifier: Apache-2.0
/* Unit tests: SOCKS5 greeting and request parsing (every refusal code, partial input), replies, SOCKS4 rejection. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <cmocka.h>

#include "sbx/proto.h"

/* Heap copy of exactly the message, so ASan catches any read past @len. */
static int greeting(const uint8_t *msg, size_t len, uint8_t *method)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	r = sbx_socks5_parse_greeting(copy, len, method);
	free(copy);
	return r;
}

static int request(const uint8_t *msg, size_t len, struct sbx_socks5_request *req, uint8_t *rep)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	r = sbx_socks5_parse_request(copy, len, req, rep);
	free(copy);
	return r;
}

static void test_greeting(void **state)
{
	static const struct {
		uint8_t msg[8];
		size_t len;
		int ret;
		uint8_t method;
	} cases[] = {
		{{5, 1, 0}, 3, 3, 0x00},
		{{5, 3, 2, 1, 0}, 5, 5, 0x00},
		{{5, 2, 2, 1}, 4, 4, 0xff}, /* only username/password, GSSAPI: no acceptable method */
		{{5, 0}, 2, 2, 0xff},	    /* no method at all */
		{{4, 1, 0, 80, 1, 2, 3, 4}, 8, SBX_SOCKS5_ERR_SOCKS4, 0xff},
		{{4}, 1, SBX_SOCKS5_ERR_SOCKS4, 0xff}, /* SOCKS4 known from the first byte */
		{{'G', 'E', 'T'}, 3, -EPROTO, 0xff},
		{{0x16, 3, 1}, 3, -EPROTO, 0xff},
		{{5, 1, 0, 5, 1, 0}, 6, 3, 0x00}, /* a pipelined request is not consumed */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t method = 0x42;

		assert_int_equal(greeting(cases[i].msg, cases[i].len, &method), cases[i].ret);
		assert_int_equal(method, cases[i].method);
		/* Every proper prefix of a complete greeting asks for more. */
		if (cases[i].ret > 0)
			for (size_t k = 0; k < (size_t)cases[i].ret; k++)
				assert_int_equal(greeting(cases[i].msg, k, &method), 0);
	}
	assert_int_equal(SBX_SOCKS5_ERR_SOCKS4, -EPROTONOSUPPORT);
}

static void test_request_ok(void **state)
{
	static const uint8_t v4[] = {5, 1, 0, 1, 93, 184, 216, 34, 0x01, 0xbb};
	static const uint8_t v6[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80};
	static const uint8_t dom[] = {5, 1, 0, 3, 8, 'p', 'y', 'P', 'I', '.', 'o', 'r', 'g', 0x01, 0xbb};
	static const uint8_t dom6[] = {5, 1, 0, 3, 3, ':', ':', '1', 0, 22};
	static const struct {
		const uint8_t *msg;
		size_t len;
		uint8_t atyp;
		const char *host;
		uint16_t port;
	} cases[] = {
		{v4, sizeof(v4), SBX_SOCKS5_ATYP_IPV4, "93.184.216.34", 443},
		{v6, sizeof(v6), SBX_SOCKS5_ATYP_IPV6, "2001:db8::1", 80},
		{dom, sizeof(dom), SBX_SOCKS5_ATYP_DOMAIN, "pyPI.org", 443},
		{dom6, sizeof(dom6), SBX_SOCKS5_ATYP_DOMAIN, "::1", 22},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_socks5_request req;
		uint8_t rep, buf[64];

		for (size_t k = 0; k < cases[i].len; k++)
			if (request(cases[i].msg, k, &req, &rep) != 0)
				fail_msg("case %zu: prefix %zu not 'need more'", i, k);
		assert_int_equal(request(cases[i].msg, cases[i].len, &req, &rep), (int)cases[i].len);
		assert_int_equal(req.len, cases[i].len);
		assert_int_equal(req.cmd, SBX_SOCKS5_CMD_CONNECT);
		assert_int_equal(req.atyp, cases[i].atyp);
		assert_string_equal(req.host, cases[i].host);
		assert_int_equal(req.port, cases[i].port);
		if (cases[i].atyp == SBX_SOCKS5_ATYP_IPV4)
			assert_memory_equal(req.addr, cases[i].msg + 4, 4);
		/* Trailing tunnel data is not part of the request. */
		memcpy(buf, cases[i].msg, cases[i].len);
		memcpy(buf + cases[i].len, "GET /", 5);
		assert_int_equal(request(buf, cases[i].len + 5, &req, &rep), (int)cases[i].len);
	}
}

static void test_request_refused(void **state)
{
	/* Longest domain, with one byte outside the accepted set at the end. */
	static uint8_t longdom[5 + 255 + 2];
	static const struct {
		uint8_t msg[24];
		size_t len;
		int ret;
		uint8_t rep;
	} cases[] = {
		{{5, 2, 0, 1, 1, 2, 3, 4, 0, 80}, 10, -EOPNOTSUPP, 0x07},	/* BIND */
		{{5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, 10, -EOPNOTSUPP, 0x07},	/* UDP ASSOCIATE */
		{{5, 9, 0, 1, 1, 2, 3, 4, 0, 80}, 10, -EOPNOTSUPP, 0x07},	/* unknown command */
		{{5, 2, 0, 3, 3, 'a', '.', 'b', 0, 80}, 10, -EOPNOTSUPP, 0x07}, /* BIND by name */
		{{5, 1, 0, 2}, 4, -EAFNOSUPPORT, 0x08},				/* bad ATYP, at once */
		{{5, 1, 0, 0}, 4, -EAFNOSUPPORT, 0x08},
		{{5, 1, 0, 0xff, 1, 2}, 6, -EAFNOSUPPORT, 0x08},
		{{4, 1, 0, 1, 1, 2, 3, 4, 0, 80}, 10, -EPROTO, 0x01},	  /* wrong version */
		{{5, 1, 1, 1, 1, 2, 3, 4, 0, 80}, 10, -EINVAL, 0x01},	  /* reserved byte set */
		{{5, 1, 0, 3, 0, 0, 80}, 7, -EINVAL, 0x01},		  /* empty name */
		{{5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80}, 10, -EINVAL, 0x01}, /* NUL in name */
		{{5, 1, 0, 3, 3, 'a', ' ', 'b', 0, 80}, 10, -EINVAL, 0x01},
		{{5, 1, 0, 3, 3, 'a', '\n', 'b', 0, 80}, 10, -EINVAL, 0x01},
		{{5, 1, 0, 3, 3, 'a', 0xc3, 'b', 0, 80}, 10, -EINVAL, 0x01},
		{{5, 1, 0, 3, 3, 'a', '@', 'b', 0, 80}, 10, -EINVAL, 0x01},
		{{5, 1, 0, 3, 5, 'a', '.', 'b', ':', '1', 0, 80}, 12, -EINVAL, 0x01}, /* port inside the name */
		{{5, 1, 0, 3, 5, '[', ':', ':', '1', ']', 0, 80}, 12, -EINVAL, 0x01}, /* brackets */
		{{5, 1, 0, 3, 3, '%', '4', '1', 0, 80}, 10, -EINVAL, 0x01},
		{{5, 1, 0, 1, 1, 2, 3, 4, 0, 0}, 10, -EINVAL, 0x01}, /* port 0 */
	};
	struct sbx_socks5_request req;
	uint8_t rep;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rep = 0x42;
		if (request(cases[i].msg, cases[i].len, &req, &rep) != cases[i].ret || rep != cases[i].rep)
			fail_msg("case %zu: want %d rep %#x, got rep %#x", i, cases[i].ret, cases[i].rep, rep);
	}
	/* A refused BIND still reports what it asked for, for the log. */
	assert_int_equal(request(cases[3].msg, cases[3].len, &req, &rep), -EOPNOTSUPP);
	assert_string_equal(req.host, "a.b");
	assert_int_equal(req.cmd, SBX_SOCKS5_CMD_BIND);

	memcpy(longdom, (const uint8_t[]){5, 1, 0, 3, 255}, 5);
	memset(longdom + 5, 'a', 255);
	longdom[5 + 255] = 1;
	longdom[5 + 256] = 0xbb;
	assert_int_equal(request(longdom, sizeof(longdom) - 1, &req, &rep), 0);
	assert_int_equal(request(longdom, sizeof(longdom), &req, &rep), (int)sizeof(longdom));
	assert_int_equal(strlen(req.host), 255);
	longdom[5 + 254] = '_';
	assert_int_equal(request(longdom, sizeof(longdom), &req, &rep), -EINVAL);
}

static void test_reply(void **state)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(40000)};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	uint8_t out[SBX_SOCKS5_REPLY_MAX];
	static const uint8_t refused[] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
	static const uint8_t ok4[] = {5, 0, 0, 1, 192, 0, 2, 7, 0x9c, 0x40};

	assert_int_equal(sbx_socks5_build_reply(out, SBX_SOCKS5_REP_NOT_ALLOWED, NULL), 10);
	assert_memory_equal(out, refused, 10);
	inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
	assert_int_equal(sbx_socks5_build_reply(out, 0, (struct sockaddr *)&s4), 10);
	assert_memory_equal(out, ok4, 10);
	inet_pton(AF_INET6, "2001:db8::2", &s6.sin6_addr);
	assert_int_equal(sbx_socks5_build_reply(out, 0, (struct sockaddr *)&s6), 22);
	assert_int_equal(out[3], SBX_SOCKS5_ATYP_IPV6);
	assert_memory_equal(out + 4, &s6.sin6_addr, 16);
	assert_int_equal(out[20], 0x01);
	assert_int_equal(out[21], 0xbb);
	assert_int_equal(sbx_socks5_build_reply(out, 0x07, (struct sockaddr *)&su), 10);
	assert_int_equal(out[1], 0x07);
	assert_int_equal(out[3], SBX_SOCKS5_ATYP_IPV4);

	assert_int_equal(sbx_socks5_build_socks4_reject(out), SBX_SOCKS4_REPLY_LEN);
	assert_memory_equal(out, ((const uint8_t[]){0, 0x5b, 0, 0, 0, 0, 0, 0}), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_request_ok),
		cmocka_unit_test(test_request_refused),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
