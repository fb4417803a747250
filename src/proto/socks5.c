// SPDX-License-Identifier: Apache-2.0
/* SOCKS5 (RFC 1928) server side: greeting and request parsing, replies; SOCKS4 is recognised to refuse it. */

/*
 * Only the no-authentication method and the CONNECT command are served:
 * authentication is pointless (only the sandbox reaches the gateway), BIND
 * would let the payload accept connections from outside, and UDP ASSOCIATE
 * would be a datagram path around the DNS stub.
 *
 * A request is parsed to its end before any refusal that does not depend
 * on its length (reserved byte, command, host syntax), so the caller knows
 * how much to drain before it replies and closes; an unknown address type
 * has no known length and is refused at once. Domain names get the same
 * syntax check as an HTTP request target's host ([A-Za-z0-9.-], or IPv6
 * text), so a destination gets the same answer through either protocol.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sbx/proto.h"

/**
 * sbx_socks5_parse_greeting() - parse the client's method selection message.
 * @buf: bytes received so far.
 * @len: their number.
 * @method: set to 0x00 (no authentication) when offered, else 0xFF (no
 *	acceptable method: answer 05 FF and close).
 *
 * Return: 0 when more bytes are needed; the bytes consumed (>0) when
 * complete (a request may follow in the same buffer); SBX_SOCKS5_ERR_SOCKS4
 * when the client speaks SOCKS4/4a (answer with
 * sbx_socks5_build_socks4_reject() and close); -EPROTO for any other version.
 */
int sbx_socks5_parse_greeting(const uint8_t *buf, size_t len, uint8_t *method)
{
	size_t n;

	*method = 0xff;
	if (len == 0)
		return 0;
	if (buf[0] == 4)
		return SBX_SOCKS5_ERR_SOCKS4;
	if (buf[0] != 5)
		return -EPROTO;
	if (len < 2)
		return 0;
	n = buf[1];
	if (len < 2 + n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (buf[2 + i] == 0x00)
			*method = 0x00;
	return (int)(2 + n);
}

static bool is_host_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

/* Same acceptance as an HTTP target host: LDH-ish characters, or IPv6 text (some clients send it as a name). */
static bool valid_domain(const char *s, size_t n)
{
	struct in6_addr a;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n && is_host_char((uint8_t)s[i]); i++)
		;
	if (i == n)
		return true;
	for (i = 0; i < n; i++)
		if (!(is_host_char((uint8_t)s[i]) || s[i] == ':'))
			return false;
	return inet_pton(AF_INET6, s, &a) == 1;
}

/**
 * sbx_socks5_parse_request() - parse a SOCKS5 request (after the greeting).
 * @buf: bytes received after the greeting.
 * @len: their number.
 * @req: filled as far as the message allows, also on refusal (for the log).
 * @reply_code: on refusal, the REP to answer with: 0x07 for BIND, UDP
 *	ASSOCIATE and unknown commands, 0x08 for an unknown address type, 0x01
 *	(general failure) for a wrong version, a non-zero reserved byte, an
 *	empty or malformed domain name (NUL, control bytes, spaces, anything
 *	outside [A-Za-z0-9.-] that is not IPv6 text) or port 0. 0x02 is left
 *	for policy denials so that a log can tell them apart.
 *
 * Return: 0 when more bytes are needed; the request length (>0) for an
 * acceptable CONNECT; negative to refuse (-EPROTO version, -EAFNOSUPPORT
 * address type, -EOPNOTSUPP command, -EINVAL malformed).
 */
int sbx_socks5_parse_request(const uint8_t *buf, size_t len, struct sbx_socks5_request *req, uint8_t *reply_code)
{
	size_t need, alen;

	*reply_code = SBX_SOCKS5_REP_GENERAL_FAILURE;
	memset(req, 0, sizeof(*req));
	if (len == 0)
		return 0;
	if (buf[0] != 5)
		return -EPROTO;
	if (len < 4)
		return 0;
	req->cmd = buf[1];
	req->atyp = buf[3];
	switch (buf[3]) {
	case SBX_SOCKS5_ATYP_IPV4:
		alen = 4;
		need = 4 + 4 + 2;
		break;
	case SBX_SOCKS5_ATYP_IPV6:
		alen = 16;
		need = 4 + 16 + 2;
		break;
	case SBX_SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return 0;
		alen = buf[4];
		need = 5 + alen + 2;
		break;
	default:
		*reply_code = SBX_SOCKS5_REP_ATYP_UNSUPPORTED;
		return -EAFNOSUPPORT;
	}
	if (len < need)
		return 0;
	req->len = need;
	req->port = (uint16_t)(buf[need - 2] << 8 | buf[need - 1]);
	if (buf[3] == SBX_SOCKS5_ATYP_DOMAIN) {
		/* alen <= 255 and host[] has 256 bytes: always room for the NUL. */
		memcpy(req->host, buf + 5, alen);
		req->host[alen] = '\0';
	} else {
		memcpy(req->addr, buf + 4, alen);
		inet_ntop(alen == 4 ? AF_INET : AF_INET6, req->addr, req->host, sizeof(req->host));
	}

	if (buf[2] != 0)
		return -EINVAL;
	if (buf[1] != SBX_SOCKS5_CMD_CONNECT) {
		*reply_code = SBX_SOCKS5_REP_CMD_UNSUPPORTED;
		return -EOPNOTSUPP;
	}
	/* strlen catches an embedded NUL that would make the logged and the judged name differ. */
	if (buf[3] == SBX_SOCKS5_ATYP_DOMAIN && (strlen(req->host) != alen || !valid_domain(req->host, alen)))
		return -EINVAL;
	if (req->port == 0)
		return -EINVAL;
	return (int)need;
}

/**
 * sbx_socks5_build_reply() - build a SOCKS5 reply.
 * @out: destination of at least SBX_SOCKS5_REPLY_MAX bytes.
 * @rep: reply code (enum sbx_socks5_rep).
 * @bound: the outbound socket's local address (AF_INET or AF_INET6), or
 *	NULL (or another family) for 0.0.0.0:0, which is what refusals carry.
 *
 * Return: the reply length (10 or 22).
 */
size_t sbx_socks5_build_reply(uint8_t *out, uint8_t rep, const struct sockaddr *bound)
{
	out[0] = 5;
	out[1] = rep;
	out[2] = 0;
	if (bound && bound->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)bound;

		out[3] = SBX_SOCKS5_ATYP_IPV6;
		memcpy(out + 4, &s6->sin6_addr, 16);
		memcpy(out + 20, &s6->sin6_port, 2);
		return 22;
	}
	out[3] = SBX_SOCKS5_ATYP_IPV4;
	if (bound && bound->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)bound;

		memcpy(out + 4, &s4->sin_addr, 4);
		memcpy(out + 8, &s4->sin_port, 2);
	} else {
		memset(out + 4, 0, 6);
	}
	return 10;
}

/**
 * sbx_socks5_build_socks4_reject() - build a SOCKS4 "request rejected or failed" reply.
 * @out: destination of at least SBX_SOCKS4_REPLY_LEN bytes.
 *
 * SOCKS4 clients wait for this 8-byte reply (VN=0, CD=0x5B); sending it
 * before closing turns a hang or a confusing EOF into a clear failure.
 *
 * Return: SBX_SOCKS4_REPLY_LEN.
 */
size_t sbx_socks5_build_socks4_reject(uint8_t *out)
{
	memset(out, 0, SBX_SOCKS4_REPLY_LEN);
	out[1] = 0x5b;
	return SBX_SOCKS4_REPLY_LEN;
}
