// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: SOCKS5 greeting and request parsers and the reply builder, with consistency invariants. */

#include <arpa/inet.h>
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

static void fuzz_greeting(const uint8_t *data, size_t size)
{
	uint8_t *buf = dup_exact(data, size), method;
	int r = sbx_socks5_parse_greeting(buf, size, &method);

	if (r > 0) {
		bool noauth = memchr(buf + 2, 0, (size_t)r - 2) != NULL;

		if ((size_t)r > size || buf[0] != 5 || (size_t)r != 2u + buf[1] || method != (noauth ? 0x00 : 0xff))
			abort();
		if (sbx_socks5_parse_greeting(buf, (size_t)r - 1, &method) != 0)
			abort();
	} else if (r < 0) {
		if (size == 0 || (r == SBX_SOCKS5_ERR_SOCKS4) != (buf[0] == 4) ||
		    (r != SBX_SOCKS5_ERR_SOCKS4 && r != -EPROTO))
			abort();
	} else if (size >= 2 && size >= 2u + buf[1]) {
		abort();
	}
	free(buf);
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	uint8_t *buf = dup_exact(data, size), rep;
	struct sbx_socks5_request req, req2;
	int r = sbx_socks5_parse_request(buf, size, &req, &rep);

	if (r > 0) {
		size_t hl = strlen(req.host);

		if ((size_t)r != req.len || req.len > size || req.cmd != SBX_SOCKS5_CMD_CONNECT || req.port == 0 ||
		    hl == 0 || hl > 255)
			abort();
		if (req.port != (uint16_t)(buf[r - 2] << 8 | buf[r - 1]))
			abort();
		switch (req.atyp) {
		case SBX_SOCKS5_ATYP_IPV4:
		case SBX_SOCKS5_ATYP_IPV6: {
			uint8_t a[16];
			int af = req.atyp == SBX_SOCKS5_ATYP_IPV4 ? AF_INET : AF_INET6;

			if (inet_pton(af, req.host, a) != 1 || memcmp(a, req.addr, af == AF_INET ? 4 : 16) != 0 ||
			    memcmp(a, buf + 4, af == AF_INET ? 4 : 16) != 0)
				abort();
			break;
		}
		case SBX_SOCKS5_ATYP_DOMAIN:
			if (hl != buf[4] || memcmp(req.host, buf + 5, hl) != 0)
				abort();
			for (size_t i = 0; i < hl; i++)
				if (req.host[i] <= 0x20 || req.host[i] >= 0x7f)
					abort();
			break;
		default:
			abort();
		}
		for (size_t k = 0; k < (size_t)r; k++)
			if (sbx_socks5_parse_request(buf, k, &req2, &rep) != 0)
				abort();
	} else if (r < 0) {
		if (rep != SBX_SOCKS5_REP_GENERAL_FAILURE && rep != SBX_SOCKS5_REP_CMD_UNSUPPORTED &&
		    rep != SBX_SOCKS5_REP_ATYP_UNSUPPORTED)
			abort();
	}
	free(buf);
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	uint8_t *out = malloc(SBX_SOCKS5_REPLY_MAX);
	size_t n;

	if (!out)
		abort();
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, size < sizeof(ss) ? size : sizeof(ss));
	n = sbx_socks5_build_reply(out, size ? data[0] : 0, size & 1 ? (struct sockaddr *)&ss : NULL);
	if ((n != 10 && n != 22) || out[0] != 5 || (n == 22) != (size & 1 && ss.ss_family == AF_INET6))
		abort();
	free(out);
	out = malloc(SBX_SOCKS4_REPLY_LEN);
	if (!out || sbx_socks5_build_socks4_reject(out) != SBX_SOCKS4_REPLY_LEN)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int g;
	uint8_t method;

	fuzz_greeting(data, size);
	fuzz_request(data, size);
	fuzz_reply(data, size);
	/* The real sequence: a greeting, then the request in the same buffer. */
	g = sbx_socks5_parse_greeting(data, size, &method);
	if (g > 0)
		fuzz_request(data + g, size - (size_t)g);
	return 0;
}
