// SPDX-License-Identifier: Apache-2.0
/* Unit tests: DNS query parsing (accepted forms, every refusal, compression, limits, truncated input), responses. */

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbx/proto.h"

/* No EDNS record. */
#define NO_EDNS (-1)

/*
 * A query: header (ID 0x1234, RD, the given counts), the question with
 * @name written label by label from dotted text ("" for the root), then an
 * OPT record advertising @edns bytes unless NO_EDNS.
 */
static size_t make_query(uint8_t *m, uint16_t flags, const char *name, uint16_t qtype, uint16_t qclass, int edns)
{
	size_t pos = 12;

	memset(m, 0, 12);
	m[0] = 0x12;
	m[1] = 0x34;
	m[2] = (uint8_t)(flags >> 8);
	m[3] = (uint8_t)flags;
	m[5] = 1;
	m[11] = edns == NO_EDNS ? 0 : 1;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		m[pos++] = (uint8_t)l;
		memcpy(m + pos, name, l);
		pos += l;
		name += l + (dot ? 1 : 0);
	}
	m[pos++] = 0;
	m[pos++] = (uint8_t)(qtype >> 8);
	m[pos++] = (uint8_t)qtype;
	m[pos++] = (uint8_t)(qclass >> 8);
	m[pos++] = (uint8_t)qclass;
	if (edns != NO_EDNS) {
		static const uint8_t opt[] = {0, 0, 41};

		memcpy(m + pos, opt, 3);
		m[pos + 3] = (uint8_t)(edns >> 8);
		m[pos + 4] = (uint8_t)edns;
		memset(m + pos + 5, 0, 6);
		pos += 11;
	}
	return pos;
}

/* Heap copy of exactly the message, so ASan catches any read past @len. */
static int parse(const uint8_t *msg, size_t len, struct sbx_dns_query *q, uint8_t *rcode)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, msg, len);
	r = sbx_dns_parse_query(copy, len, q, rcode);
	free(copy);
	return r;
}

static void test_accepts(void **state)
{
	static const struct {
		const char *name;
		uint16_t qtype;
		int edns;
		const char *want;
	} ok[] = {
		{"pypi.org", SBX_DNS_TYPE_A, NO_EDNS, "pypi.org"},
		{"PyPI.Org", SBX_DNS_TYPE_AAAA, 1232, "PyPI.Org"},
		{"files.pythonhosted.org", 15, 4096, "files.pythonhosted.org"},
		{"_dmarc.x-y.example", 16, 512, "_dmarc.x-y.example"},
		{"", 2, NO_EDNS, "."},
	};
	uint8_t m[600];
	struct sbx_dns_query q;
	uint8_t rcode;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t len = make_query(m, 0x0100, ok[i].name, ok[i].qtype, SBX_DNS_CLASS_IN, ok[i].edns);

		if (parse(m, len, &q, &rcode) != 0)
			fail_msg("case %zu refused, rcode %u", i, rcode);
		assert_int_equal(rcode, SBX_DNS_NOERROR);
		assert_string_equal(q.name, ok[i].want);
		assert_int_equal(q.id, 0x1234);
		assert_int_equal(q.qtype, ok[i].qtype);
		assert_int_equal(q.qclass, SBX_DNS_CLASS_IN);
		assert_true(q.rd);
		assert_int_equal(q.edns, ok[i].edns != NO_EDNS);
		assert_int_equal(q.question_len, len - 12 - (ok[i].edns != NO_EDNS ? 11 : 0));
		/* Every truncation of a datagram is refused, never accepted. */
		for (size_t k = 0; k < len; k++) {
			assert_true(parse(m, k, &q, &rcode) < 0);
			assert_int_equal(rcode, k < 12 ? SBX_DNS_RCODE_DROP : SBX_DNS_FORMERR);
		}
	}
	/* CD is echoed; RD clear stays clear. */
	assert_int_equal(parse(m, make_query(m, 0x0010, "a.b", 1, 1, NO_EDNS), &q, &rcode), 0);
	assert_false(q.rd);
	assert_true(q.cd);
}

static void test_name_limits(void **state)
{
	char name[400];
	uint8_t m[600];
	struct sbx_dns_query q;
	uint8_t rcode;
	size_t len;

	/* 63-byte label fits; 64 is read as an extended label type. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".b");
	assert_int_equal(parse(m, make_query(m, 0, name, 1, 1, NO_EDNS), &q, &rcode), 0);
	len = make_query(m, 0, name, 1, 1, NO_EDNS);
	m[12] = 64;
	assert_int_equal(parse(m, len, &q, &rcode), -EBADMSG);
	assert_int_equal(rcode, SBX_DNS_FORMERR);

	/* 255 bytes on the wire (4 x 63-byte labels minus 2, root): the longest name. */
	for (int extra = 0; extra <= 1; extra++) {
		size_t n = 0;

		for (int l = 0; l < 4; l++) {
			size_t ll = l == 3 ? 61 + (size_t)extra : 63;

			memset(name + n, 'a' + l, ll);
			n += ll;
			name[n++] = '.';
		}
		name[n - 1] = '\0';
		len = make_query(m, 0, name, 1, 1, NO_EDNS);
		assert_int_equal(len - 12 - 4, 255 + (size_t)extra);
		if (extra == 0) {
			assert_int_equal(parse(m, len, &q, &rcode), 0);
			assert_string_equal(q.name, name);
			assert_int_equal(strlen(q.name), 253);
		} else {
			assert_int_equal(parse(m, len, &q, &rcode), -EBADMSG);
			assert_int_equal(rcode, SBX_DNS_FORMERR);
		}
	}
}

static void test_refuses(void **state)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 1, 0, 0, 1};
	uint8_t m[600], base[600];
	size_t blen = make_query(base, 0x0100, "a.example", 1, 1, NO_EDNS);
	struct sbx_dns_query q;
	uint8_t rcode;
	size_t len;

#define EXPECT(l, ret, rc)                                                                                 \
	do {                                                                                               \
		int r_ = parse(m, (l), &q, &rcode);                                                        \
		if (r_ != (ret) || rcode != (rc))                                                          \
			fail_msg("line %d: got %d rcode %u, want %d rcode %u", __LINE__, r_, rcode, (ret), \
				 (unsigned int)(rc));                                                      \
	} while (0)
#define RESET() (memcpy(m, base, blen), blen)

	/* Too short for a header, or a response: no answer at all. */
	memcpy(m, hdr, 12);
	EXPECT(11, -EBADMSG, SBX_DNS_RCODE_DROP);
	len = RESET();
	m[2] |= 0x80;
	EXPECT(len, -EBADMSG, SBX_DNS_RCODE_DROP);

	/* Opcodes other than QUERY (IQUERY, STATUS, NOTIFY, UPDATE). */
	for (int op = 1; op < 16; op++) {
		len = RESET();
		m[2] = (uint8_t)((m[2] & 0x87) | op << 3);
		EXPECT(len, -EOPNOTSUPP, SBX_DNS_NOTIMP);
	}

	/* Section counts. */
	len = RESET();
	m[5] = 0;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[5] = 2;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[4] = 1;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[7] = 1;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[9] = 1;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[11] = 2;
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = RESET();
	m[11] = 1; /* announced but absent */
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);

	/* Compression: a pointer to itself, to the header, a two-pointer loop, after a label. */
	memcpy(m, hdr, 12);
	memcpy(m + 12, (const uint8_t[]){0xc0, 12, 0, 1, 0, 1}, 6);
	EXPECT(18, -EBADMSG, SBX_DNS_FORMERR);
	memcpy(m + 12, (const uint8_t[]){0xc0, 0, 0, 1, 0, 1}, 6);
	EXPECT(18, -EBADMSG, SBX_DNS_FORMERR);
	memcpy(m + 12, (const uint8_t[]){1, 'a', 0xc0, 16, 0xc0, 14, 0, 1, 0, 1}, 10);
	EXPECT(22, -EBADMSG, SBX_DNS_FORMERR);
	memcpy(m + 12, (const uint8_t[]){1, 'a', 0x80, 1, 'b', 0, 0, 1, 0, 1}, 10);
	EXPECT(22, -EBADMSG, SBX_DNS_FORMERR);
	assert_int_equal(q.question_len, 0);

	/* Label bytes: '.', NUL, space, DEL, backslash, high bytes, control bytes. */
	static const uint8_t badc[] = {'.', 0, ' ', 0x7f, '\\', 0x80, 0xff, '\n', 0x1f};
	for (size_t i = 0; i < sizeof(badc); i++) {
		len = RESET();
		m[12 + 2 + 2] = badc[i]; /* inside "example" */
		EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	}

	/* Empty label inside a name ends it early: what follows is trailing garbage. */
	memcpy(m, hdr, 12);
	memcpy(m + 12, (const uint8_t[]){1, 'a', 0, 1, 'b', 0, 0, 1, 0, 1}, 10);
	EXPECT(22, -EBADMSG, SBX_DNS_FORMERR);

	/* Trailing bytes after the question: FORMERR, with the question available to echo. */
	len = RESET();
	m[len] = 0;
	EXPECT(len + 1, -EBADMSG, SBX_DNS_FORMERR);
	assert_int_equal(q.question_len, blen - 12);

	/* QTYPE OPT in the question; class CH / ANY; zone transfers. */
	len = make_query(m, 0, "a.b", 41, 1, NO_EDNS);
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = make_query(m, 0, "version.bind", 16, 3, NO_EDNS);
	EXPECT(len, -EOPNOTSUPP, SBX_DNS_REFUSED);
	assert_string_equal(q.name, "version.bind");
	len = make_query(m, 0, "a.b", 1, 255, NO_EDNS);
	EXPECT(len, -EOPNOTSUPP, SBX_DNS_REFUSED);
	len = make_query(m, 0, "a.b", 252, 1, NO_EDNS);
	EXPECT(len, -EOPNOTSUPP, SBX_DNS_REFUSED);
	len = make_query(m, 0, "a.b", 251, 1, NO_EDNS);
	EXPECT(len, -EOPNOTSUPP, SBX_DNS_REFUSED);

	/* The additional record: an OPT, well formed. */
	len = make_query(m, 0, "a.b", 1, 1, 1232);
	m[len - 11] = 1; /* owner name not the root */
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = make_query(m, 0, "a.b", 1, 1, 1232);
	m[len - 9] = 1; /* type A, not OPT (e.g. TSIG is refused the same way) */
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = make_query(m, 0, "a.b", 1, 1, 1232);
	m[len - 1] = 4; /* RDLENGTH past the end */
	EXPECT(len, -EBADMSG, SBX_DNS_FORMERR);
	len = make_query(m, 0, "a.b", 1, 1, 1232);
	m[len - 1] = 4;
	memcpy(m + len, (const uint8_t[]){0, 10, 0, 0}, 4); /* one empty option: fine */
	EXPECT(len + 4, 0, SBX_DNS_NOERROR);
	memcpy(m + len, (const uint8_t[]){0, 10, 0, 1}, 4); /* option longer than RDATA */
	EXPECT(len + 4, -EBADMSG, SBX_DNS_FORMERR);
	m[len - 1] = 3;
	EXPECT(len + 3, -EBADMSG, SBX_DNS_FORMERR); /* RDATA not a whole option header */
	len = make_query(m, 0, "a.b", 1, 1, 1232);
	EXPECT(len - 1, -EBADMSG, SBX_DNS_FORMERR);
#undef EXPECT
#undef RESET
}

static void test_response(void **state)
{
	uint8_t m[600], out[2048];
	struct sbx_dns_query q;
	struct in_addr v4[200];
	struct in6_addr v6[2];
	uint8_t rcode;
	size_t len;
	int r;

	inet_pton(AF_INET, "192.0.2.1", &v4[0]);
	inet_pton(AF_INET, "192.0.2.2", &v4[1]);
	inet_pton(AF_INET6, "2001:db8::1", &v6[0]);
	inet_pton(AF_INET6, "2001:db8::2", &v6[1]);

	len = make_query(m, 0x0100, "PyPI.org", SBX_DNS_TYPE_A, 1, NO_EDNS);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	r = sbx_dns_build_response(&q, m, SBX_DNS_NOERROR, v4, 2, v6, 2, 0xffffffffu, 0, out, sizeof(out));
	{
		static const uint8_t want[] = {
			0x12, 0x34, 0x81, 0x80, 0,    1,    0,	  2, 0,	  0,   0, 0,	4,    'P', 'y',
			'P',  'I',  3,	  'o',	'r',  'g',  0,	  0, 1,	  0,   1, 0xc0, 12,   0,   1,
			0,    1,    0x7f, 0xff, 0xff, 0xff, 0,	  4, 192, 0,   2, 1,	0xc0, 12,  0,
			1,    0,    1,	  0x7f, 0xff, 0xff, 0xff, 0, 4,	  192, 0, 2,	2,
		};

		assert_int_equal(r, sizeof(want));
		assert_memory_equal(out, want, sizeof(want));
		for (size_t cap = 0; cap < sizeof(want); cap++)
			assert_int_equal(sbx_dns_build_response(&q, m, 0, v4, 2, v6, 2, 60, 0, out, cap), -ENOSPC);
	}

	/* AAAA answers, with EDNS echoed as an OPT advertising 1232. */
	len = make_query(m, 0x0100, "a.b", SBX_DNS_TYPE_AAAA, 1, 4096);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	r = sbx_dns_build_response(&q, m, SBX_DNS_NOERROR, v4, 2, v6, 2, 300, 0, out, sizeof(out));
	assert_int_equal(r, 12 + 9 + 2 * 28 + 11);
	assert_int_equal(out[7], 2);
	assert_int_equal(out[11], 1);
	assert_memory_equal(out + 12 + 9 + 12, &v6[0], 16);
	assert_memory_equal(out + r - 11, ((const uint8_t[]){0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0}), 11);

	/* Other types get "no data"; refusals carry no answers whatever is passed. */
	len = make_query(m, 0, "a.b", 16, 1, NO_EDNS);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	r = sbx_dns_build_response(&q, m, SBX_DNS_NOERROR, v4, 2, v6, 2, 60, 0, out, sizeof(out));
	assert_int_equal(r, (int)len);
	assert_int_equal(out[3], 0x80);
	len = make_query(m, 0, "a.b", 1, 1, NO_EDNS);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	r = sbx_dns_build_response(&q, m, SBX_DNS_REFUSED, v4, 2, v6, 2, 60, 0, out, sizeof(out));
	assert_int_equal(r, (int)len);
	assert_int_equal(out[3], 0x80 | SBX_DNS_REFUSED);
	assert_int_equal(out[7], 0);
	assert_int_equal(sbx_dns_build_response(&q, m, 16, NULL, 0, NULL, 0, 60, 0, out, sizeof(out)), -EINVAL);

	/* Truncation at the UDP limit: 512 - 12 - 9 = 491 bytes hold 30 A records, not 31. */
	for (size_t n = 30; n <= 31; n++) {
		r = sbx_dns_build_response(&q, m, 0, v4, n, NULL, 0, 60, 0, out, sizeof(out));
		if (n == 30) {
			assert_int_equal(r, 12 + 9 + 30 * 16);
			assert_int_equal(r, 501);
			assert_int_equal(out[2] & 0x02, 0);
			assert_int_equal(out[7], 30);
		} else {
			assert_int_equal(r, 12 + 9);
			assert_int_equal(out[2] & 0x02, 0x02);
			assert_int_equal(out[7], 0);
		}
	}
	/* Exactly 512: a 20-byte question (16-byte name) leaves 480 bytes, 30 records. */
	len = make_query(m, 0, "abcdefghij.xyz", 1, 1, NO_EDNS);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	assert_int_equal(q.question_len, 20);
	assert_int_equal(sbx_dns_build_response(&q, m, 0, v4, 30, NULL, 0, 60, 0, out, sizeof(out)), 512);
	assert_int_equal(sbx_dns_build_response(&q, m, 0, v4, 31, NULL, 0, 60, 0, out, sizeof(out)), 32);
	/* Over TCP the same answer fits; a huge count does not wrap the size computation. */
	assert_int_equal(sbx_dns_build_response(&q, m, 0, v4, 31, NULL, 0, 60, 65535, out, sizeof(out)), 32 + 31 * 16);
	assert_int_equal(sbx_dns_build_response(&q, m, 0, v4, SIZE_MAX / 8, NULL, 0, 60, 65535, out, sizeof(out)), 32);

	/* EDNS sizes: below 512 is 512, above 1232 is 1232. */
	len = make_query(m, 0, "a.b", 1, 1, 100);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	assert_int_equal(sbx_dns_udp_limit(&q), 512);
	len = make_query(m, 0, "a.b", 1, 1, 65535);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	assert_int_equal(sbx_dns_udp_limit(&q), 1232);
	r = sbx_dns_build_response(&q, m, 0, v4, 200, NULL, 0, 60, 0, out, sizeof(out));
	assert_int_equal(r, 12 + 9 + 11);
	r = sbx_dns_build_response(&q, m, 0, v4, 75, NULL, 0, 60, 0, out, sizeof(out));
	assert_int_equal(r, 12 + 9 + 75 * 16 + 11);
	assert_true(r <= 1232);
	len = make_query(m, 0, "a.b", 1, 1, 1000);
	assert_int_equal(sbx_dns_parse_query(m, len, &q, &rcode), 0);
	assert_int_equal(sbx_dns_udp_limit(&q), 1000);

	/* A question that did not parse cannot be echoed. */
	memset(&q, 0, sizeof(q));
	assert_int_equal(sbx_dns_build_response(&q, m, 1, NULL, 0, NULL, 0, 0, 0, out, sizeof(out)), -EINVAL);
}

static void test_error(void **state)
{
	uint8_t m[64] = {0xab, 0xcd, 0x29, 0x10, 0, 9, 0, 9, 0, 9, 0, 9, 0xc0};
	uint8_t out[12];

	/* Opcode 5 (UPDATE), RD, CD echoed; counts zeroed. */
	assert_int_equal(sbx_dns_build_error(m, 13, SBX_DNS_NOTIMP, out, sizeof(out)), 12);
	assert_memory_equal(out, ((const uint8_t[]){0xab, 0xcd, 0xa9, 0x94, 0, 0, 0, 0, 0, 0, 0, 0}), 12);
	assert_int_equal(sbx_dns_build_error(m, 11, SBX_DNS_FORMERR, out, sizeof(out)), -EINVAL);
	assert_int_equal(sbx_dns_build_error(m, 12, SBX_DNS_FORMERR, out, 11), -ENOSPC);
	assert_int_equal(sbx_dns_build_error(m, 12, 16, out, sizeof(out)), -EINVAL);
	m[2] |= 0x80;
	assert_int_equal(sbx_dns_build_error(m, 12, SBX_DNS_FORMERR, out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),	 cmocka_unit_test(test_name_limits), cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_response), cmocka_unit_test(test_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
