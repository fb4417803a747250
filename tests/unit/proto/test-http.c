// SPDX-License-Identifier: Apache-2.0
/* Unit tests: HTTP proxy request parsing (accepted forms, every refusal, smuggling, limits), forward head, responses. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbx/proto.h"

#define MAX_HEAD 8192

/* Heap copy of exactly the message, so ASan catches any read past @len. */
static int parse(const char *text, size_t len, size_t max_head, struct sbx_http_request *req, int *status,
		 const char **why)
{
	char *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, text, len);
	r = sbx_http_parse_request(copy, len, max_head, req, status, why);
	free(copy);
	return r;
}

static struct sbx_http_request req;

static void test_accepts(void **state)
{
	static const struct {
		const char *text;
		enum sbx_http_kind kind;
		const char *host;
		unsigned int port;
		const char *path;
		enum sbx_http_body body;
	} ok[] = {
		{"CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n", SBX_HTTP_CONNECT, "pypi.org", 443, ""},
		{"CONNECT pypi.org:443 HTTP/1.1\r\n\r\n", SBX_HTTP_CONNECT, "pypi.org", 443, ""},
		{"CONNECT pypi.org:443 HTTP/1.0\r\n\r\n", SBX_HTTP_CONNECT, "pypi.org", 443, ""},
		/* Host without a port agrees with any CONNECT port: clients differ, the target decides. */
		{"CONNECT PyPI.org:443 HTTP/1.1\r\nHost: pypi.ORG\r\n\r\n", SBX_HTTP_CONNECT, "PyPI.org", 443, ""},
		{"CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:DB8:0::1]:8443\r\n\r\n", SBX_HTTP_CONNECT,
		 "2001:db8::1", 8443, ""},
		{"CONNECT [::ffff:127.0.0.1]:1 HTTP/1.1\r\n\r\n", SBX_HTTP_CONNECT, "::ffff:127.0.0.1", 1, ""},
		{"CONNECT 10.0.0.1:65535 HTTP/1.1\r\nContent-Length: 0\r\n\r\n", SBX_HTTP_CONNECT, "10.0.0.1", 65535,
		 ""},
		{"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n", SBX_HTTP_FORWARD, "example.com", 80,
		 "/"},
		{"GET http://example.com HTTP/1.1\r\nHost: example.com:80\r\n\r\n", SBX_HTTP_FORWARD, "example.com", 80,
		 "/"},
		{"GET http://example.com?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", SBX_HTTP_FORWARD, "example.com",
		 80, "/?q=1"},
		{"HEAD HTTP://Example.COM:8080/a/b?c=d&e HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", SBX_HTTP_FORWARD,
		 "Example.COM", 8080, "/a/b?c=d&e"},
		{"GET http://[::1]:3141/simple/ HTTP/1.1\r\nHost: [::1]:3141\r\n\r\n", SBX_HTTP_FORWARD, "::1", 3141,
		 "/simple/"},
		{"GET http://example.com/ HTTP/1.0\r\n\r\n", SBX_HTTP_FORWARD, "example.com", 80, "/"},
		{"POST http://a.b/x HTTP/1.1\r\nHost: a.b\r\nContent-Length: 12\r\n\r\n", SBX_HTTP_FORWARD, "a.b", 80,
		 "/x", SBX_HTTP_BODY_LENGTH},
		{"PUT http://a.b/x HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: Chunked\r\n\r\n", SBX_HTTP_FORWARD,
		 "a.b", 80, "/x", SBX_HTTP_BODY_CHUNKED},
		{"DELETE http://a.b/x HTTP/1.1\r\nHost:a.b\r\nX-Empty:\r\nX-Tab:\tv \t\r\n\r\n", SBX_HTTP_FORWARD,
		 "a.b", 80, "/x"},
		{"PATCH http://a.b/%7Euser HTTP/1.1\r\nHost: a.b\r\nX-Utf8: caf\xc3\xa9\r\n\r\n", SBX_HTTP_FORWARD,
		 "a.b", 80, "/%7Euser"},
		{"OPTIONS http://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", SBX_HTTP_FORWARD, "a.b", 80, "/"},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t len = strlen(ok[i].text);
		const char *why;
		int status, r;

		r = parse(ok[i].text, len, MAX_HEAD, &req, &status, &why);
		if (r != (int)len)
			fail_msg("case %zu refused (%d, %d %s): %s", i, r, status, why ? why : "", ok[i].text);
		assert_int_equal(req.kind, ok[i].kind);
		assert_string_equal(req.host, ok[i].host);
		assert_int_equal(req.port, ok[i].port);
		assert_string_equal(req.path, ok[i].path);
		assert_int_equal(req.head_len, len);
		assert_int_equal(req.body, ok[i].body);
	}
}

#define NUL_IN_HEADER "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: a\0b\r\n\r\n"

static void test_refuses(void **state)
{
	static const struct {
		const char *text;
		int status;
		size_t len; /* 0: strlen(text) */
	} bad[] = {
		/* request line */
		{"GET /index.html HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"OPTIONS * HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET https://a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET ftp://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"GET a.b:80 HTTP/1.1\r\n\r\n", 400},
		{"GET http://a.b/\r\n\r\n", 400}, /* HTTP/0.9 */
		{"GET http://a.b/ HTTP/2.0\r\n\r\n", 505},
		{"GET http://a.b/ HTTP/1.2\r\n\r\n", 505},
		{"GET http://a.b/ http/1.1\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1 \r\n\r\n", 400},
		{"GET  http://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"GET\thttp://a.b/ HTTP/1.1\r\n\r\n", 400},
		{" GET http://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"\r\nGET http://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"get http://a.b/ HTTP/1.1\r\n\r\n", 501},
		{"BREW http://a.b/ HTTP/1.1\r\n\r\n", 501},
		{"TRACE http://a.b/ HTTP/1.1\r\n\r\n", 405},
		{"ABCDEFGHIJKLMNOP http://a.b/ HTTP/1.1\r\n\r\n", 501},
		{"G(T http://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"\x16\x03\x01\x02\x00", 400}, /* TLS ClientHello: refused at once */
		{"\x05\x01\x00", 400},	       /* SOCKS5 greeting */
		/* CONNECT targets */
		{"CONNECT pypi.org HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org: HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:0 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:0443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:+443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:65536 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:443443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT http://pypi.org:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi.org:443/ HTTP/1.1\r\n\r\n", 400},
		{"CONNECT user@pypi.org:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi%2eorg:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT pypi_org:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT ::1:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT [::1:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT [fe80::1%25eth0]:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT [v1.x]:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT [1.2.3.4]:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT [::1]x:443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT :443 HTTP/1.1\r\n\r\n", 400},
		{"CONNECT a.b:443 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"CONNECT a.b:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 400},
		/* absolute-form targets */
		{"GET http://user@a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://user:pw@a.b/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b@evil.c/ HTTP/1.1\r\nHost: evil.c\r\n\r\n", 400},
		{"GET http:///x HTTP/1.1\r\n\r\n", 400},
		{"GET http://a.b:/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b:08/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a%2eb/ HTTP/1.1\r\n\r\n", 400},
		{"GET http://a.b\\@evil/ HTTP/1.1\r\n\r\n", 400},
		{"GET http://a.b/#frag HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b/\x7f HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b/\xc3\xa9 HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		/* framing */
		{"GET http://a.b/ HTTP/1.1\nHost: a.b\n\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\rX: y\r\n\r\n", 400},
		{NUL_IN_HEADER, 400, sizeof(NUL_IN_HEADER) - 1},
		/* header syntax */
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: a\r\n  folded\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\n Host: a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost : a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost\t: a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nNoColon\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n: empty\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX(y): z\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: a\x01z\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: a\x7fz\r\n\r\n", 400},
		/* Host agreement */
		{"GET http://a.b/ HTTP/1.1\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nhost: evil.c\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: evil.c\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b:8080\r\n\r\n", 400},
		{"GET http://a.b:8080/ HTTP/1.1\r\nHost: a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b.\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: user@a.b\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost:\r\n\r\n", 400},
		{"GET http://[::1]/ HTTP/1.1\r\nHost: ::1\r\n\r\n", 400},
		{"GET http://[::1]/ HTTP/1.1\r\nHost: [::2]\r\n\r\n", 400},
		{"GET http://127.0.0.1/ HTTP/1.1\r\nHost: [::ffff:127.0.0.1]\r\n\r\n", 400},
		{"CONNECT a.b:443 HTTP/1.1\r\nHost: evil.c:443\r\n\r\n", 400},
		{"CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:80\r\n\r\n", 400},
		{"CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\nHost: a.b:443\r\n\r\n", 400},
		/* smuggling */
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 5, 5\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: +5\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 0x5\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: \r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nContent-Length : 5\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding : chunked\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		 400},
		{"POST http://a.b/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
		{"POST http://a.b/ HTTP/1.1\r\nHost: a.b\r\nTransfer-Encoding:\x0b"
		 "chunked\r\n\r\n",
		 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: close, Host\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: content-length\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: Transfer-Encoding\r\n\r\n", 400},
		{"GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nConnection: a b\r\n\r\n", 400},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		const char *why = NULL;
		int status = 0, r;

		r = parse(bad[i].text, len, MAX_HEAD, &req, &status, &why);
		if (r >= 0 || status != bad[i].status)
			fail_msg("case %zu: got %d status %d (%s), want status %d: %s", i, r, status, why ? why : "",
				 bad[i].status, bad[i].text);
		assert_non_null(why);
	}
}

/* Every proper prefix of an acceptable head asks for more; the whole head is accepted; extra bytes are ignored. */
static void test_byte_at_a_time(void **state)
{
	static const char *const msgs[] = {
		"CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\nUser-Agent: curl/8\r\n\r\n",
		"POST http://a.b:81/x?y HTTP/1.1\r\nHost: a.b:81\r\nContent-Length: 3\r\nConnection: x-a\r\nX-A: 1\r\n\r\n",
		"GET http://a.b/ HTTP/1.0\r\n\r\n",
	};

	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t len = strlen(msgs[m]);
		char with_body[512];
		const char *why;
		int status;

		for (size_t i = 0; i < len; i++) {
			int r = parse(msgs[m], i, MAX_HEAD, &req, &status, &why);

			if (r != 0)
				fail_msg("msg %zu prefix %zu: %d (%s)", m, i, r, why ? why : "");
		}
		assert_int_equal(parse(msgs[m], len, MAX_HEAD, &req, &status, &why), (int)len);
		snprintf(with_body, sizeof(with_body), "%sabc\r\n\r\nGET http://evil/ HTTP/1.1\r\n\r\n", msgs[m]);
		assert_int_equal(parse(with_body, strlen(with_body), MAX_HEAD, &req, &status, &why), (int)len);
		/* Exactly at the limit passes; one byte less is too large. */
		assert_int_equal(parse(msgs[m], len, len, &req, &status, &why), (int)len);
		assert_true(parse(msgs[m], len, len - 1, &req, &status, &why) < 0);
		assert_int_equal(status, 431);
	}
}

static void test_limits(void **state)
{
	static char buf[SBX_HTTP_PATH_MAX + 4096];
	const char *why;
	int status, n;

	/* Request line never ends within the limit: 414; headers never end: 431. */
	memset(buf, 'a', 200);
	memcpy(buf, "GET http://a.b/", 15);
	assert_int_equal(parse(buf, 200, 100, &req, &status, &why), -EMSGSIZE);
	assert_int_equal(status, 414);
	assert_int_equal(parse(buf, 99, 100, &req, &status, &why), 0);
	n = snprintf(buf, sizeof(buf), "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\nX: ");
	memset(buf + n, 'x', 200);
	assert_int_equal(parse(buf, (size_t)n + 200, 100, &req, &status, &why), -EMSGSIZE);
	assert_int_equal(status, 431);

	/* Path: SBX_HTTP_PATH_MAX - 1 characters fit, one more is 414. */
	for (int extra = 0; extra <= 1; extra++) {
		size_t plen = SBX_HTTP_PATH_MAX - 1 + (size_t)extra;

		n = snprintf(buf, sizeof(buf), "GET http://a.b");
		buf[n++] = '/';
		memset(buf + n, 'p', plen - 1);
		n += (int)plen - 1;
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " HTTP/1.1\r\nHost: a.b\r\n\r\n");
		if (extra == 0) {
			assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), n);
			assert_int_equal(strlen(req.path), plen);
		} else {
			assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), -EMSGSIZE);
			assert_int_equal(status, 414);
		}
	}
	/* Same for an empty path with a query, which gains a leading '/'. */
	n = snprintf(buf, sizeof(buf), "GET http://a.b?");
	memset(buf + n, 'q', SBX_HTTP_PATH_MAX - 2);
	n += SBX_HTTP_PATH_MAX - 2;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, " HTTP/1.1\r\nHost: a.b\r\n\r\n");
	assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), -EMSGSIZE);

	/* Header count: SBX_HTTP_MAX_HEADERS fit, one more is 431. */
	for (int extra = 0; extra <= 1; extra++) {
		n = snprintf(buf, sizeof(buf), "GET http://a.b/ HTTP/1.1\r\nHost: a.b\r\n");
		for (int i = 1; i < SBX_HTTP_MAX_HEADERS + extra; i++)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "X-%d: v\r\n", i);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\r\n");
		if (extra == 0) {
			assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), n);
			assert_int_equal(req.n_headers, SBX_HTTP_MAX_HEADERS);
		} else {
			assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), -EMSGSIZE);
			assert_int_equal(status, 431);
		}
	}

	/* Host name: 255 characters fit host[], 256 do not. */
	for (int extra = 0; extra <= 1; extra++) {
		n = snprintf(buf, sizeof(buf), "CONNECT ");
		memset(buf + n, 'h', 255 + (size_t)extra);
		n += 255 + extra;
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ":443 HTTP/1.1\r\n\r\n");
		assert_int_equal(parse(buf, (size_t)n, sizeof(buf), &req, &status, &why), extra ? -EBADMSG : n);
	}
}

static void test_forward_head(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"GET http://a.b/x?y HTTP/1.1\r\nHost: a.b\r\nUser-Agent:  curl/8 \r\nAccept: */*\r\n"
		 "Proxy-Connection: Keep-Alive\r\nProxy-Authorization: Basic eA==\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
		 "Trailer: X\r\nUpgrade: websocket\r\n\r\n",
		 "GET /x?y HTTP/1.1\r\nHost: a.b\r\nUser-Agent: curl/8\r\nAccept: */*\r\nConnection: close\r\n\r\n"},
		{"POST http://a.b:8080 HTTP/1.1\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nx-secret: t\r\n"
		 "Host: A.b:8080\r\nTransfer-Encoding: chunked\r\n\r\n",
		 "POST / HTTP/1.1\r\nHost: A.b:8080\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"},
		{"GET http://[::1]:81/ HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
		 "GET / HTTP/1.0\r\nHost: [::1]:81\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{"HEAD http://a.b/ HTTP/1.0\r\n\r\n", "HEAD / HTTP/1.0\r\nHost: a.b\r\nConnection: close\r\n\r\n"},
	};
	char out[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in), olen = strlen(cases[i].out);
		const char *why;
		int status, r;

		r = sbx_http_parse_request(cases[i].in, len, MAX_HEAD, &req, &status, &why);
		if (r != (int)len)
			fail_msg("case %zu refused: %s", i, why ? why : "");
		r = sbx_http_build_forward_head(&req, cases[i].in, out, sizeof(out));
		assert_int_equal(r, (int)olen);
		assert_memory_equal(out, cases[i].out, olen);
		/* Every smaller buffer is refused, never overrun. */
		for (size_t cap = 0; cap < olen; cap++)
			assert_int_equal(sbx_http_build_forward_head(&req, cases[i].in, out, cap), -ENOSPC);
		assert_int_equal(sbx_http_build_forward_head(&req, cases[i].in, out, olen), (int)olen);
	}
	{
		const char *c = "CONNECT a.b:443 HTTP/1.1\r\n\r\n", *why;
		int status;

		assert_true(sbx_http_parse_request(c, strlen(c), MAX_HEAD, &req, &status, &why) > 0);
		assert_int_equal(sbx_http_build_forward_head(&req, c, out, sizeof(out)), -EINVAL);
	}
}

static void test_response(void **state)
{
	static const char *const hdrs[] = {"X-Sbx-Denied: evil.example:443 (default: not allowed)", NULL};
	static const char *const inject[] = {"X-A: b\r\nSet-Cookie: x", NULL};
	static const char *const nocolon[] = {"X-A", NULL};
	static const char *const badname[] = {"X A: b", NULL};
	const char *want403 =
		"HTTP/1.1 403 Forbidden\r\nX-Sbx-Denied: evil.example:443 (default: not allowed)\r\n"
		"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
		"denied\n";
	char out[512];
	int r;

	r = sbx_http_build_response(out, sizeof(out), 403, NULL, hdrs, "denied\n");
	assert_int_equal(r, (int)strlen(want403));
	assert_string_equal(out, want403);
	for (size_t cap = 0; cap <= strlen(want403); cap++)
		assert_int_equal(sbx_http_build_response(out, cap, 403, NULL, hdrs, "denied\n"), -ENOSPC);

	r = sbx_http_build_response(out, sizeof(out), 200, "Connection established", NULL, NULL);
	assert_string_equal(out, "HTTP/1.1 200 Connection established\r\n\r\n");
	assert_int_equal(r, (int)strlen(out));

	sbx_http_build_response(out, sizeof(out), 504, NULL, NULL, NULL);
	assert_string_equal(out, "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	sbx_http_build_response(out, sizeof(out), 502, NULL, NULL, NULL);
	assert_non_null(strstr(out, "502 Bad Gateway"));

	assert_int_equal(sbx_http_build_response(out, sizeof(out), 403, "Forbidden\r\nX: y", NULL, NULL), -EINVAL);
	assert_int_equal(sbx_http_build_response(out, sizeof(out), 403, NULL, inject, NULL), -EINVAL);
	assert_int_equal(sbx_http_build_response(out, sizeof(out), 403, NULL, nocolon, NULL), -EINVAL);
	assert_int_equal(sbx_http_build_response(out, sizeof(out), 403, NULL, badname, NULL), -EINVAL);
	assert_int_equal(sbx_http_build_response(out, sizeof(out), 99, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(sbx_http_build_response(out, sizeof(out), 600, NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),	       cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_byte_at_a_time), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_forward_head),   cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
