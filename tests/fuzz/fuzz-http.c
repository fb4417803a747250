// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: HTTP proxy request parser and builders, with consistency and prefix invariants. */

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse_copy(const uint8_t *data, size_t len, size_t max_head, struct sbx_http_request *req, int *status,
		      const char **why)
{
	/* Exactly @len bytes on the heap: ASan reports any read past the end. */
	char *copy = malloc(len ? len : 1);
	int r;

	if (!copy)
		abort();
	memcpy(copy, data, len);
	r = sbx_http_parse_request(copy, len, max_head, req, status, why);
	free(copy);
	return r;
}

static bool host_ok(const struct sbx_http_request *req)
{
	size_t n = strlen(req->host);
	struct in6_addr a;

	if (n == 0 || n > 255)
		return false;
	if (req->host_is_v6)
		return inet_pton(AF_INET6, req->host, &a) == 1;
	for (size_t i = 0; i < n; i++) {
		char c = req->host[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* The rebuilt head: strict CRLF lines, no NUL, and its only empty line is the last. */
static void check_head(const char *h, size_t n)
{
	if (n < 4 || memcmp(h + n - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '\0')
			abort();
		if (h[i] == '\n' && (i == 0 || h[i - 1] != '\r'))
			abort();
		if (h[i] == '\r' && (i + 1 >= n || h[i + 1] != '\n'))
			abort();
		if (i + 4 < n && memcmp(h + i, "\r\n\r\n", 4) == 0)
			abort();
	}
}

/* Responses with a fuzzed reason, header and body: never past outlen, never a stray line break. */
static void fuzz_response(const uint8_t *data, size_t size, size_t outlen)
{
	char text[256], *out = malloc(outlen ? outlen : 1);
	const char *hdrs[2] = {text, NULL};
	size_t tl = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	const char *end;
	int n;

	if (!out)
		abort();
	memcpy(text, data, tl);
	text[tl] = '\0';
	n = sbx_http_build_response(out, outlen, 403, text, hdrs, text);
	if (n >= 0) {
		if ((size_t)n >= outlen || out[n] != '\0')
			abort();
		/* The head ends at the first empty line, right after the Connection line. */
		end = strstr(out, "\r\n\r\n");
		if (!end || end - out < 17 || strncmp(end - 17, "Connection: close", 17) != 0)
			abort();
	} else if (n != -ENOSPC && n != -EINVAL) {
		abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sbx_http_request req, req2;
	const char *why;
	size_t max_head, outlen;
	int status, r;

	if (size < 3)
		return 0;
	/* Two bytes choose the head limit (so 414/431 paths are reached), one the output size. */
	max_head = ((size_t)data[0] << 8 | data[1]) % 4096 + 1;
	outlen = (size_t)data[2] * 17;
	data += 3;
	size -= 3;
	fuzz_response(data, size, outlen);

	r = parse_copy(data, size, max_head, &req, &status, &why);
	if (r < 0) {
		if (!why || !(status == 400 || status == 405 || status == 414 || status == 431 || status == 501 ||
			      status == 505))
			abort();
		return 0;
	}
	if (r == 0) {
		if (size >= max_head)
			abort();
		return 0;
	}

	/* Accepted: the result describes the head consistently. */
	if ((size_t)r != req.head_len || req.head_len > size || req.head_len > max_head ||
	    memcmp(data + r - 4, "\r\n\r\n", 4) != 0 || memchr(data, '\0', (size_t)r))
		abort();
	if (!host_ok(&req) || req.port == 0 || req.version_minor > 1 || req.n_headers > SBX_HTTP_MAX_HEADERS)
		abort();
	if (req.host_header >= (int)req.n_headers)
		abort();
	for (unsigned int k = 0; k < req.n_headers; k++) {
		const struct sbx_http_header *h = &req.headers[k];

		if (h->name_len == 0 || h->name_off + h->name_len > (size_t)r ||
		    h->value_off + h->value_len > (size_t)r)
			abort();
	}
	if (req.kind == SBX_HTTP_CONNECT) {
		if (strcmp(req.method, "CONNECT") != 0 || req.path[0] != '\0' || req.body != SBX_HTTP_BODY_NONE)
			abort();
	} else {
		if (req.kind != SBX_HTTP_FORWARD || req.path[0] != '/' || strlen(req.path) >= SBX_HTTP_PATH_MAX)
			abort();
	}

	/* Prefixes ask for more; the head alone parses the same; trailing bytes are ignored. */
	if (parse_copy(data, (size_t)r - 1, max_head, &req2, &status, &why) != 0)
		abort();
	if (size > 3 && parse_copy(data, (size_t)data[r / 2] % (size_t)r, max_head, &req2, &status, &why) != 0)
		abort();
	if (parse_copy(data, (size_t)r, max_head, &req2, &status, &why) != r || strcmp(req.host, req2.host) != 0 ||
	    req.port != req2.port || strcmp(req.path, req2.path) != 0)
		abort();

	if (req.kind == SBX_HTTP_FORWARD) {
		char *out = malloc(outlen ? outlen : 1), *big;
		int n = sbx_http_build_forward_head(&req, (const char *)data, out, outlen);

		if (n != -ENOSPC && (n < 0 || (size_t)n > outlen))
			abort();
		free(out);
		/* Large enough for any rebuild: the head plus Host and Connection lines. */
		big = malloc((size_t)r + 512);
		if (!big)
			abort();
		n = sbx_http_build_forward_head(&req, (const char *)data, big, (size_t)r + 512);
		if (n <= 0)
			abort();
		check_head(big, (size_t)n);
		if (n < 2 || memcmp(big, req.method, strlen(req.method)) != 0)
			abort();
		free(big);
	}

	return 0;
}
