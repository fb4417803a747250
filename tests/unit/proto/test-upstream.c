// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/proto/upstream.c: the --upstream-proxy URL, the CONNECT and SOCKS5 messages sbx sends, the replies. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sbx/proto.h"

static void test_url(void **state)
{
	static const struct {
		const char *url;
		int ret;
		enum sbx_upstream_kind kind;
		const char *host;
		uint16_t port;
	} cases[] = {
		{"http://proxy.corp.example:3128", 0, SBX_UPSTREAM_HTTP, "proxy.corp.example", 3128},
		{"HTTP://Proxy:8080/", 0, SBX_UPSTREAM_HTTP, "Proxy", 8080},
		{"socks5://10.0.0.1:1080", 0, SBX_UPSTREAM_SOCKS5, "10.0.0.1", 1080},
		{"socks5h://[2001:db8::1]:1080", 0, SBX_UPSTREAM_SOCKS5H, "2001:db8::1", 1080},
		{"http://127.0.0.1:65535", 0, SBX_UPSTREAM_HTTP, "127.0.0.1", 65535},
		{"http://user:secret@proxy:3128", -EACCES},
		{"http://user@proxy:3128", -EACCES},
		{"socks5://u:p@[::1]:1080", -EACCES},
		{"http://proxy:3128/@x", -EACCES},
		{"https://proxy:3128", -EINVAL},
		{"ftp://proxy:21", -EINVAL},
		{"proxy:3128", -EINVAL},
		{"http://proxy", -EINVAL},
		{"http://proxy:", -EINVAL},
		{"http://proxy:0", -EINVAL},
		{"http://proxy:65536", -EINVAL},
		{"http://proxy:03128", -EINVAL},
		{"http://proxy:3128/path", -EINVAL},
		{"http://proxy:3128?x", -EINVAL},
		{"http://:3128", -EINVAL},
		{"http://pro xy:3128", -EINVAL},
		{"http://pro\nxy:3128", -EINVAL},
		{"http://[::1]", -EINVAL},
		{"http://[fe80::1%eth0]:3128", -EINVAL},
		{"http://[nonsense]:3128", -EINVAL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbx_upstream_url u;
		const char *why = NULL;
		int r = sbx_upstream_parse_url(cases[i].url, &u, &why);

		if (r != cases[i].ret)
			fail_msg("%s: got %d (%s), want %d", cases[i].url, r, why ? why : "", cases[i].ret);
		if (r == 0) {
			assert_int_equal(u.kind, cases[i].kind);
			assert_string_equal(u.host, cases[i].host);
			assert_int_equal(u.port, cases[i].port);
		} else {
			assert_non_null(why);
			/* A refusal never repeats the URL: it may hold a password. */
			assert_null(strstr(why, "secret"));
			assert_null(strstr(why, "proxy:"));
		}
	}
}

static void test_base64(void **state)
{
	char out[64];

	assert_int_equal(sbx_upstream_base64((const uint8_t *)"", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(sbx_upstream_base64((const uint8_t *)"f", 1, out, sizeof(out)), 4);
	assert_string_equal(out, "Zg==");
	assert_int_equal(sbx_upstream_base64((const uint8_t *)"fo", 2, out, sizeof(out)), 4);
	assert_string_equal(out, "Zm8=");
	assert_int_equal(sbx_upstream_base64((const uint8_t *)"foobar", 6, out, sizeof(out)), 8);
	assert_string_equal(out, "Zm9vYmFy");
	assert_int_equal(sbx_upstream_base64((const uint8_t *)"Aladdin:open sesame", 19, out, sizeof(out)), 28);
	assert_string_equal(out, "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	assert_int_equal(sbx_upstream_base64((const uint8_t *)"foobar", 6, out, 8), -ENOSPC);
}

static void test_http(void **state)
{
	char out[SBX_UPSTREAM_REQ_MAX];
	int status = 0;

	assert_int_equal(sbx_upstream_build_http_connect(out, sizeof(out), "11.11.0.10:443", NULL), 57);
	assert_string_equal(out, "CONNECT 11.11.0.10:443 HTTP/1.1\r\nHost: 11.11.0.10:443\r\n\r\n");
	assert_true(sbx_upstream_build_http_connect(out, sizeof(out), "[3ffe:5b::10]:80", "dTpw") > 0);
	assert_string_equal(out,
			    "CONNECT [3ffe:5b::10]:80 HTTP/1.1\r\nHost: [3ffe:5b::10]:80\r\n"
			    "Proxy-Authorization: Basic dTpw\r\n\r\n");
	assert_int_equal(sbx_upstream_build_http_connect(out, sizeof(out), "a\r\nX: y:1", NULL), -EINVAL);
	assert_int_equal(sbx_upstream_build_http_connect(out, sizeof(out), "a:1", "x\r\n"), -EINVAL);
	assert_int_equal(sbx_upstream_build_http_connect(out, 10, "a:1", NULL), -ENOSPC);

	static const char ok[] = "HTTP/1.1 200 Connection established\r\nVia: x\r\n\r\nSSH-2.0";
	int n = sbx_upstream_parse_http_reply(ok, sizeof(ok) - 1, SBX_UPSTREAM_HTTP_HEAD_MAX, &status);
	assert_int_equal(n, (int)(sizeof(ok) - 1 - 7));
	assert_int_equal(status, 200);
	/* Every prefix of a valid reply asks for more. */
	for (size_t i = 0; i < (size_t)n; i++)
		assert_int_equal(sbx_upstream_parse_http_reply(ok, i, SBX_UPSTREAM_HTTP_HEAD_MAX, &status), 0);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.0 407 Proxy Authentication Required\n\n", 44, 8192,
						       &status),
			 44);
	assert_int_equal(status, 407);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 403\r\n\r\n", 16, 8192, &status), 16);
	assert_int_equal(status, 403);
	assert_int_equal(sbx_upstream_parse_http_reply("SSH-2.0-x\r\n\r\n", 13, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/2 200\r\n\r\n", 14, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 20x OK\r\n\r\n", 19, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 200OK\r\n\r\n", 18, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 099 x\r\n\r\n", 18, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 20\r\n\r\n", 15, 8192, &status), -EPROTO);
	assert_int_equal(sbx_upstream_parse_http_reply("HTTP/1.1 200 OK\r\nX: y\r\n", 23, 20, &status), -EMSGSIZE);
}

static void test_socks(void **state)
{
	uint8_t out[SBX_UPSTREAM_REQ_MAX], m = 0xaa, st = 0xaa, rep = 0xaa;
	static const uint8_t v4[4] = {11, 11, 0, 10};

	assert_int_equal(sbx_upstream_build_socks_greeting(out, false), 3);
	assert_memory_equal(out, "\x05\x01\x00", 3);
	assert_int_equal(sbx_upstream_build_socks_greeting(out, true), 4);
	assert_memory_equal(out, "\x05\x02\x00\x02", 4);

	assert_int_equal(sbx_upstream_parse_socks_method((const uint8_t *)"\x05", 1, &m), 0);
	assert_int_equal(sbx_upstream_parse_socks_method((const uint8_t *)"\x05\x02", 2, &m), 2);
	assert_int_equal(m, 2);
	assert_int_equal(sbx_upstream_parse_socks_method((const uint8_t *)"HTTP", 4, &m), -EPROTO);

	assert_int_equal(sbx_upstream_build_socks_auth(out, sizeof(out), "user", 4, "pw", 2), 9);
	assert_memory_equal(out, "\x01\x04user\x02pw", 9);
	assert_int_equal(sbx_upstream_build_socks_auth(out, sizeof(out), "", 0, "pw", 2), -EINVAL);
	assert_int_equal(sbx_upstream_parse_socks_auth((const uint8_t *)"\x01\x00", 2, &st), 2);
	assert_int_equal(st, 0);
	assert_int_equal(sbx_upstream_parse_socks_auth((const uint8_t *)"\x05\x01", 2, &st), 2);
	assert_int_equal(st, 1);
	assert_int_equal(sbx_upstream_parse_socks_auth((const uint8_t *)"\x02\x00", 2, &st), -EPROTO);

	assert_int_equal(sbx_upstream_build_socks_connect(out, sizeof(out), SBX_SOCKS5_ATYP_IPV4, v4, 0, 80), 10);
	assert_memory_equal(out, "\x05\x01\x00\x01\x0b\x0b\x00\x0a\x00\x50", 10);
	assert_int_equal(sbx_upstream_build_socks_connect(out, sizeof(out), SBX_SOCKS5_ATYP_DOMAIN, "www.test", 8, 443),
			 15);
	assert_memory_equal(out, "\x05\x01\x00\x03\x08www.test\x01\xbb", 15);
	assert_int_equal(sbx_upstream_build_socks_connect(out, sizeof(out), SBX_SOCKS5_ATYP_DOMAIN, "a\0b", 3, 1),
			 -EINVAL);
	assert_int_equal(sbx_upstream_build_socks_connect(out, sizeof(out), 2, v4, 0, 1), -EINVAL);

	static const uint8_t r4[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0, 'x'};
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(sbx_upstream_parse_socks_reply(r4, i, &rep), 0);
	assert_int_equal(sbx_upstream_parse_socks_reply(r4, sizeof(r4), &rep), 10);
	assert_int_equal(rep, 0);
	static const uint8_t rd[] = {5, 5, 0, 3, 3, 'a', 'b', 'c', 0, 1};
	assert_int_equal(sbx_upstream_parse_socks_reply(rd, sizeof(rd) - 1, &rep), 0);
	assert_int_equal(sbx_upstream_parse_socks_reply(rd, sizeof(rd), &rep), 10);
	assert_int_equal(rep, 5);
	static const uint8_t r6[22] = {5, 4, 0, 4};
	assert_int_equal(sbx_upstream_parse_socks_reply(r6, sizeof(r6), &rep), 22);
	assert_int_equal(rep, 4);
	assert_int_equal(sbx_upstream_parse_socks_reply((const uint8_t *)"\x05\x00\x01", 3, &rep), -EPROTO);
	assert_int_equal(sbx_upstream_parse_socks_reply((const uint8_t *)"\x05\x00\x00\x07", 4, &rep), -EPROTO);
	assert_int_equal(sbx_upstream_parse_socks_reply((const uint8_t *)"\x04", 1, &rep), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_socks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
