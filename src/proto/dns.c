// SPDX-License-Identifier: Apache-2.0
/* DNS stub server messages (RFC 1035, EDNS0 per RFC 6891): strict query parsing and A/AAAA responses. */

/*
 * The stub answers exactly one kind of message: a standard query with one
 * question, optionally an EDNS0 OPT record, nothing else. Everything the
 * payload sends is hostile and the names may be exfiltration attempts, so:
 *
 *   - responses (QR=1) are never answered, which also rules out loops;
 *   - the question name may not use compression: a query has nothing
 *     before its question to point at, so a pointer is either a loop or an
 *     attempt to confuse, and refusing it removes both;
 *   - labels hold printable ASCII without '.' or '\\', so the presentation
 *     form handed to the policy engine needs no escaping and cannot spell
 *     a different name than the one on the wire;
 *   - trailing bytes, extra records and malformed OPT data are FORMERR.
 *
 * Responses copy the question bytes verbatim (case included, for resolvers
 * that randomise it), point every answer name at the question (offset 12)
 * and set TC with no answers when the records do not fit the client's UDP
 * size, so it retries over TCP rather than trusting a partial set.
 */

#include <errno.h>
#include <string.h>

#include "sbx/proto.h"

#define DNS_TYPE_OPT 41
#define DNS_TYPE_IXFR 251
#define DNS_TYPE_AXFR 252
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_CD 0x0010
#define DNS_NAME_WIRE_MAX 255
#define DNS_OPT_LEN 11 /* root name, type, class, TTL, RDLENGTH=0 */
/* RFC 2181 8: TTLs above 2^31-1 are read as 0 by some resolvers. */
#define DNS_TTL_MAX 0x7fffffffu

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Question name at @pos into presentation form. Return: offset after it, or 0 if malformed. */
static size_t parse_name(const uint8_t *msg, size_t len, size_t pos, char name[256])
{
	size_t wire = 0, out = 0;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return 0;
		l = msg[pos++];
		/* 0xc0 is a compression pointer, 0x40/0x80 the obsolete extended label types. */
		if (l & 0xc0)
			return 0;
		wire += 1u + l;
		if (wire > DNS_NAME_WIRE_MAX)
			return 0;
		if (l == 0)
			break;
		if (l > len - pos)
			return 0;
		if (out > 0)
			name[out++] = '.';
		for (size_t i = 0; i < l; i++) {
			uint8_t c = msg[pos + i];

			if (c < 0x21 || c > 0x7e || c == '.' || c == '\\')
				return 0;
			name[out++] = (char)c;
		}
		pos += l;
	}
	/* wire <= 255 bounds the text to 253 characters. */
	if (out == 0)
		name[out++] = '.';
	name[out] = '\0';
	return pos;
}

/* The OPT pseudo-record (RFC 6891 6.1.2) at @pos. Return: offset after it, or 0 if malformed. */
static size_t parse_opt(const uint8_t *msg, size_t len, size_t pos, struct sbx_dns_query *q)
{
	size_t rdlen, end;

	if (len - pos < 11 || msg[pos] != 0 || get16(msg + pos + 1) != DNS_TYPE_OPT)
		return 0;
	q->edns = true;
	q->edns_udp_size = get16(msg + pos + 3);
	rdlen = get16(msg + pos + 9);
	pos += 11;
	if (rdlen > len - pos)
		return 0;
	end = pos + rdlen;
	/* Options are skipped, but must tile RDATA exactly. */
	while (pos < end) {
		if (end - pos < 4)
			return 0;
		rdlen = get16(msg + pos + 2);
		pos += 4;
		if (rdlen > end - pos)
			return 0;
		pos += rdlen;
	}
	return end;
}

/**
 * sbx_dns_parse_query() - parse one DNS query message.
 * @msg: the UDP payload, or a TCP message without its 2-byte length.
 * @len: its length.
 * @q: filled as far as the message allows; q->question_len is non-zero
 *	whenever the question itself parsed, also on some refusals.
 * @rcode_out: on refusal, the rcode to answer with, or SBX_DNS_RCODE_DROP
 *	when nothing must be sent (shorter than a header, or a response).
 *
 * Accepted: QR=0, OPCODE=0 (else NOTIMP), QDCOUNT=1, ANCOUNT=NSCOUNT=0,
 * ARCOUNT<=1 where the one additional record is an OPT (else FORMERR), a
 * question name without compression, with 1-63 byte labels of printable
 * ASCII other than '.' and '\\' and at most 255 bytes on the wire, QTYPE not
 * OPT (FORMERR), class IN and not a zone transfer (REFUSED), and no byte
 * after the last record (FORMERR).
 *
 * To answer a refusal: sbx_dns_build_response() with *rcode_out when
 * q->question_len is non-zero, else sbx_dns_build_error().
 *
 * Return: 0 for an acceptable query; negative to refuse (-EBADMSG malformed
 * or dropped, -EOPNOTSUPP not implemented or refused).
 */
int sbx_dns_parse_query(const uint8_t *msg, size_t len, struct sbx_dns_query *q, uint8_t *rcode_out)
{
	uint16_t flags, qd, an, ns, ar;
	size_t pos;

	memset(q, 0, sizeof(*q));
	*rcode_out = SBX_DNS_RCODE_DROP;
	if (len < SBX_DNS_HEADER_LEN)
		return -EBADMSG;
	flags = get16(msg + 2);
	if (flags & DNS_FLAG_QR)
		return -EBADMSG;
	q->id = get16(msg);
	q->rd = flags & DNS_FLAG_RD;
	q->cd = flags & DNS_FLAG_CD;
	if ((flags >> 11 & 0xf) != 0) {
		*rcode_out = SBX_DNS_NOTIMP;
		return -EOPNOTSUPP;
	}
	*rcode_out = SBX_DNS_FORMERR;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	if (qd != 1 || an != 0 || ns != 0 || ar > 1)
		return -EBADMSG;
	pos = parse_name(msg, len, SBX_DNS_HEADER_LEN, q->name);
	if (pos == 0 || len - pos < 4) {
		q->name[0] = '\0';
		return -EBADMSG;
	}
	q->qtype = get16(msg + pos);
	q->qclass = get16(msg + pos + 2);
	pos += 4;
	q->question_len = pos - SBX_DNS_HEADER_LEN;
	if (ar == 1) {
		pos = parse_opt(msg, len, pos, q);
		if (pos == 0)
			return -EBADMSG;
	}
	if (pos != len || q->qtype == DNS_TYPE_OPT)
		return -EBADMSG;
	if (q->qclass != SBX_DNS_CLASS_IN || q->qtype == DNS_TYPE_AXFR || q->qtype == DNS_TYPE_IXFR) {
		*rcode_out = SBX_DNS_REFUSED;
		return -EOPNOTSUPP;
	}
	*rcode_out = SBX_DNS_NOERROR;
	return 0;
}

/**
 * sbx_dns_udp_limit() - largest UDP response the client accepts from sbx.
 * @q: a parsed query.
 *
 * Return: 512 without EDNS; with EDNS, its advertised size clamped to
 * 512-1232 (larger UDP answers risk IP fragmentation).
 */
size_t sbx_dns_udp_limit(const struct sbx_dns_query *q)
{
	if (!q->edns || q->edns_udp_size <= SBX_DNS_UDP_MIN)
		return SBX_DNS_UDP_MIN;
	return q->edns_udp_size < SBX_DNS_UDP_MAX ? q->edns_udp_size : SBX_DNS_UDP_MAX;
}

/**
 * sbx_dns_build_response() - build the response to a parsed query.
 * @q: the query, with a non-zero question_len.
 * @query_msg: the message @q was parsed from (its question is copied).
 * @rcode: SBX_DNS_NOERROR, NXDOMAIN, REFUSED, FORMERR, SERVFAIL... (0-15).
 * @v4: IPv4 addresses, used when @rcode is NOERROR and QTYPE is A.
 * @n4: their number.
 * @v6: IPv6 addresses, used when @rcode is NOERROR and QTYPE is AAAA.
 * @n6: their number.
 * @ttl: TTL of the answers (clamped to 2^31-1).
 * @max_len: the transport's limit: 0 for UDP (sbx_dns_udp_limit() of @q),
 *	65535 for TCP.
 * @out: destination.
 * @outlen: its size.
 *
 * Answers of other types are left out (a NOERROR with no answer is
 * "no data"). When the answers do not fit @max_len, the response carries
 * none and sets TC. An OPT record advertising 1232 bytes is added when the
 * query had one. RA is set (the stub recurses on the client's behalf).
 *
 * Return: the response length; -EINVAL for a bad @rcode or a @q whose
 * question did not parse; -EMSGSIZE if not even the question fits
 * @max_len; -ENOSPC if the response does not fit @outlen.
 */
int sbx_dns_build_response(const struct sbx_dns_query *q, const uint8_t *query_msg, int rcode, const struct in_addr *v4,
			   size_t n4, const struct in6_addr *v6, size_t n6, uint32_t ttl, size_t max_len, uint8_t *out,
			   size_t outlen)
{
	size_t limit = max_len ? max_len : sbx_dns_udp_limit(q);
	size_t base, rsize = 0, n = 0, need;
	uint16_t flags = DNS_FLAG_QR | DNS_FLAG_RA;
	const void *addrs = NULL;

	if (rcode < 0 || rcode > 15 || q->question_len < 5 || q->question_len > DNS_NAME_WIRE_MAX + 4)
		return -EINVAL;
	if (limit > 65535)
		limit = 65535;
	if (rcode == SBX_DNS_NOERROR && q->qtype == SBX_DNS_TYPE_A && v4) {
		rsize = 12 + 4;
		n = n4;
		addrs = v4;
	} else if (rcode == SBX_DNS_NOERROR && q->qtype == SBX_DNS_TYPE_AAAA && v6) {
		rsize = 12 + 16;
		n = n6;
		addrs = v6;
	}
	base = SBX_DNS_HEADER_LEN + q->question_len + (q->edns ? DNS_OPT_LEN : 0);
	if (base > limit)
		return -EMSGSIZE;
	/* Division first: n comes from the caller and n * rsize could wrap. */
	if (n > 0 && n > (limit - base) / rsize) {
		flags |= DNS_FLAG_TC;
		n = 0;
	}
	need = base + n * rsize;
	if (need > outlen)
		return -ENOSPC;

	if (q->rd)
		flags |= DNS_FLAG_RD;
	if (q->cd)
		flags |= DNS_FLAG_CD;
	put16(out, q->id);
	put16(out + 2, (uint16_t)(flags | (unsigned int)rcode));
	put16(out + 4, 1);
	put16(out + 6, (uint16_t)n);
	put16(out + 8, 0);
	put16(out + 10, q->edns ? 1 : 0);
	memcpy(out + SBX_DNS_HEADER_LEN, query_msg + SBX_DNS_HEADER_LEN, q->question_len);

	uint8_t *p = out + SBX_DNS_HEADER_LEN + q->question_len;
	for (size_t i = 0; i < n; i++) {
		put16(p, 0xc000 | SBX_DNS_HEADER_LEN); /* pointer to the question name */
		put16(p + 2, rsize == 16 ? SBX_DNS_TYPE_A : SBX_DNS_TYPE_AAAA);
		put16(p + 4, SBX_DNS_CLASS_IN);
		put32(p + 6, ttl > DNS_TTL_MAX ? DNS_TTL_MAX : ttl);
		put16(p + 10, (uint16_t)(rsize - 12));
		if (rsize == 16)
			memcpy(p + 12, &((const struct in_addr *)addrs)[i], 4);
		else
			memcpy(p + 12, &((const struct in6_addr *)addrs)[i], 16);
		p += rsize;
	}
	if (q->edns) {
		p[0] = 0;
		put16(p + 1, DNS_TYPE_OPT);
		put16(p + 3, SBX_DNS_UDP_MAX);
		put32(p + 5, 0); /* extended rcode 0, version 0, DO clear: sbx does not validate */
		put16(p + 9, 0);
	}
	return (int)need;
}

/**
 * sbx_dns_build_error() - build a header-only error response.
 * @msg: the query as received (at least its 12-byte header).
 * @len: its length.
 * @rcode: FORMERR, NOTIMP, REFUSED... (0-15).
 * @out: destination of at least 12 bytes.
 * @outlen: its size.
 *
 * For queries whose question did not parse: echoes ID, OPCODE, RD and CD,
 * with every count zero.
 *
 * Return: 12; -EINVAL if @msg is shorter than a header, is itself a
 * response (never answer those) or @rcode is out of range; -ENOSPC.
 */
int sbx_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t outlen)
{
	uint16_t qflags;

	if (len < SBX_DNS_HEADER_LEN || rcode < 0 || rcode > 15)
		return -EINVAL;
	qflags = get16(msg + 2);
	if (qflags & DNS_FLAG_QR)
		return -EINVAL;
	if (outlen < SBX_DNS_HEADER_LEN)
		return -ENOSPC;
	memcpy(out, msg, 2);
	put16(out + 2, (uint16_t)(DNS_FLAG_QR | (qflags & (0x7800 | DNS_FLAG_RD | DNS_FLAG_CD)) | DNS_FLAG_RA |
				  (unsigned int)rcode));
	memset(out + 4, 0, 8);
	return SBX_DNS_HEADER_LEN;
}
