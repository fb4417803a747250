// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the upstream proxy's URL and the replies sbx reads from it, with consistency invariants. */

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exactly @len bytes on the heap: ASan reports any read past the end. */
static uint8_t *dup_exact(const uint8_t *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		abort();
	memcpy(p, data, len);
	return p;
}

/* A parsed URL re-formats to one that parses to the same thing; a refusal never quotes the URL. */
static void fuzz_url(const uint8_t *data, size_t size)
{
	static const char *const scheme[] = {"http", "socks5", "socks5h"};
	struct sbx_upstream_url u, u2;
	char *s = malloc(size + 1), again[400];
	const char *why = NULL;
	int r;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	r = sbx_upstream_parse_url(s, &u, &why);
	if (r == 0) {
		if (strchr(u.host, '@') || !u.host[0] || u.port == 0)
			abort();
		for (const char *c = u.host; *c; c++)
			if (*c < 0x21 || *c > 0x7e)
				abort();
		snprintf(again, sizeof(again), "%s://%s%s%s:%u", scheme[u.kind], u.host_is_v6 ? "[" : "", u.host,
			 u.host_is_v6 ? "]" : "", u.port);
		if (sbx_upstream_parse_url(again, &u2, &why) != 0 || u2.kind != u.kind || strcmp(u2.host, u.host) ||
		    u2.port != u.port || u2.host_is_v6 != u.host_is_v6)
			abort();
	} else if (!why || (r != -EINVAL && r != -EACCES) || (r == -EACCES && !strchr(s, '@'))) {
		abort();
	}
	free(s);
}

/* A head found is found again in any longer buffer, and every shorter prefix asks for more. */
static void fuzz_http_reply(const uint8_t *data, size_t size)
{
	char *buf = (char *)dup_exact(data, size);
	int status = -1, st2 = -1;
	int r = sbx_upstream_parse_http_reply(buf, size, SBX_UPSTREAM_HTTP_HEAD_MAX, &status);

	if (r > 0) {
		if ((size_t)r > size || status < 100 || status > 999 || buf[r - 1] != '\n')
			abort();
		if (sbx_upstream_parse_http_reply(buf, (size_t)r - 1, SBX_UPSTREAM_HTTP_HEAD_MAX, &st2) != 0)
			abort();
		if (sbx_upstream_parse_http_reply(buf, (size_t)r, SBX_UPSTREAM_HTTP_HEAD_MAX, &st2) != r ||
		    st2 != status)
			abort();
	} else if (r < 0 && r != -EPROTO && r != -EMSGSIZE) {
		abort();
	}
	free(buf);
}

static void fuzz_socks_reply(const uint8_t *data, size_t size)
{
	uint8_t *buf = dup_exact(data, size), rep = 0, m = 0, st = 0;
	int r = sbx_upstream_parse_socks_reply(buf, size, &rep);

	if (r > 0) {
		if ((size_t)r > size || r < 7 || buf[0] != 5 || rep != buf[1])
			abort();
		for (int i = 0; i < r; i++)
			if (sbx_upstream_parse_socks_reply(buf, (size_t)i, &rep) != 0)
				abort();
	} else if (r < 0 && r != -EPROTO) {
		abort();
	}
	r = sbx_upstream_parse_socks_method(buf, size, &m);
	if (r > 0 && (r != 2 || size < 2 || m != buf[1]))
		abort();
	r = sbx_upstream_parse_socks_auth(buf, size, &st);
	if (r > 0 && (r != 2 || size < 2 || st != buf[1]))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 20000)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_url(data + 1, size - 1);
		break;
	case 1:
		fuzz_http_reply(data + 1, size - 1);
		break;
	default:
		fuzz_socks_reply(data + 1, size - 1);
		break;
	}
	return 0;
}
