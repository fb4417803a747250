// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: DNS query parser and response builders, with round-trip and size invariants. */

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The presentation name, encoded back, is exactly the question's wire name (no escaping was needed). */
static void check_name(const struct sbx_dns_query *q, const uint8_t *msg)
{
	uint8_t wire[300];
	size_t w = 0, n = strlen(q->name);
	const char *s = q->name;

	if (n == 0 || n > 253)
		abort();
	if (strcmp(q->name, ".") != 0) {
		while (*s) {
			const char *dot = strchr(s, '.');
			size_t l = dot ? (size_t)(dot - s) : strlen(s);

			if (l == 0 || l > 63)
				abort();
			wire[w++] = (uint8_t)l;
			memcpy(wire + w, s, l);
			w += l;
			s += l + (dot ? 1 : 0);
			if (dot && !*s)
				abort(); /* trailing dot: an empty label */
		}
	}
	wire[w++] = 0;
	if (w + 4 != q->question_len || memcmp(wire, msg + 12, w) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (q->name[i] <= 0x20 || q->name[i] >= 0x7f || q->name[i] == '\\')
			abort();
}

static void check_response(const struct sbx_dns_query *q, const uint8_t *out, int r, size_t limit, size_t n_in,
			   int rcode)
{
	size_t base = 12 + q->question_len + (q->edns ? 11 : 0), an, rsize;

	if (r < (int)base || (size_t)r > limit)
		abort();
	if (get16(out) != q->id || !(out[2] & 0x80) || (out[3] & 0x0f) != rcode || get16(out + 4) != 1 ||
	    get16(out + 10) != (q->edns ? 1 : 0))
		abort();
	an = get16(out + 6);
	rsize = q->qtype == SBX_DNS_TYPE_A ? 16 : 28;
	if (an > n_in || (size_t)r != base + an * rsize)
		abort();
	/* TC exactly when answers were dropped. */
	if (((out[2] & 0x02) != 0) != (an < n_in))
		abort();
	if (an && rcode != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_dns_query q;
	struct in_addr v4[64];
	struct in6_addr v6[64];
	uint8_t rcode, *msg, *out;
	size_t n4, n6, max_len, outlen, limit, n_in;
	int r, resp_rcode;

	if (size < 4)
		return 0;
	/* Four bytes of parameters: record counts, transport limit, output size, rcode. */
	n4 = data[0] % 65;
	n6 = data[1] % 65;
	max_len = data[2] & 1 ? 65535 : (data[2] & 2 ? 0 : (size_t)data[2] * 8);
	outlen = (size_t)data[3] * 12;
	resp_rcode = data[3] & 1 ? SBX_DNS_NOERROR : SBX_DNS_NXDOMAIN;
	data += 4;
	size -= 4;
	memset(v4, 0xa5, sizeof(v4));
	memset(v6, 0x5a, sizeof(v6));

	msg = malloc(size ? size : 1);
	out = malloc(outlen ? outlen : 1);
	if (!msg || !out)
		abort();
	memcpy(msg, data, size);

	r = sbx_dns_parse_query(msg, size, &q, &rcode);
	if (r == 0) {
		if (rcode != SBX_DNS_NOERROR || q.qclass != SBX_DNS_CLASS_IN || 12 + q.question_len > size)
			abort();
		check_name(&q, msg);
	} else {
		if (rcode != SBX_DNS_FORMERR && rcode != SBX_DNS_NOTIMP && rcode != SBX_DNS_REFUSED &&
		    rcode != SBX_DNS_RCODE_DROP)
			abort();
		if ((rcode == SBX_DNS_RCODE_DROP) != (size < 12 || (msg[2] & 0x80)))
			abort();
		if (q.question_len)
			check_name(&q, msg);
		resp_rcode = rcode;
	}

	if (q.question_len && resp_rcode != SBX_DNS_RCODE_DROP) {
		limit = max_len ? max_len : sbx_dns_udp_limit(&q);
		r = sbx_dns_build_response(&q, msg, resp_rcode, v4, n4, v6, n6, 0x80000000u, max_len, out, outlen);
		n_in = resp_rcode != 0 ? 0 : q.qtype == SBX_DNS_TYPE_A ? n4 : q.qtype == SBX_DNS_TYPE_AAAA ? n6 : 0;
		if (r >= 0) {
			if ((size_t)r > outlen)
				abort();
			check_response(&q, out, r, limit, n_in, resp_rcode);
			/* Answers carry the clamped TTL. */
			if (get16(out + 6) && memcmp(out + 12 + q.question_len + 6, "\x7f\xff\xff\xff", 4) != 0)
				abort();
		} else if (r != -ENOSPC && r != -EMSGSIZE) {
			abort();
		}
	} else if (rcode != SBX_DNS_RCODE_DROP) {
		r = sbx_dns_build_error(msg, size, rcode, out, outlen);
		if (r != (outlen >= 12 ? 12 : -ENOSPC))
			abort();
		if (r == 12 && (get16(out) != get16(msg) || !(out[2] & 0x80) || (out[3] & 0x0f) != rcode))
			abort();
	}
	free(out);
	free(msg);
	return 0;
}
