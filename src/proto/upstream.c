// SPDX-License-Identifier: Apache-2.0
/* The client side of an upstream proxy: its URL, HTTP CONNECT and SOCKS5 requests sbx sends, the replies it reads. */

/*
 * Theory of operation
 *
 * With --upstream-proxy, sbx judges each request as without it and then asks
 * the upstream proxy for a tunnel to what it judged, speaking as the client:
 *
 *   http://HOST:PORT     "CONNECT target HTTP/1.1" (+ Proxy-Authorization:
 *                        Basic), then a status line and header fields; any
 *                        2xx opens the tunnel, bytes after the head belong
 *                        to it.
 *   socks5[h]://HOST:PORT  RFC 1928 greeting (no authentication, and
 *                        RFC 1929 username/password when sbx has
 *                        credentials), the method reply, the RFC 1929
 *                        exchange if chosen, CONNECT, the reply (its bound
 *                        address is read and discarded).
 *
 * The replies come from the upstream, not the payload, but are parsed as
 * strictly as anything else: stateless, re-run on everything received so
 * far, 0 for "need more", and a prefix of a valid reply is never refused.
 * Nothing of a reply is ever passed to the payload except what the caller
 * chooses (the status code): the upstream's pages and reason phrases may
 * quote what sbx sent, credentials included.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sbx/proto.h"

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/**
 * sbx_upstream_parse_url() - parse --upstream-proxy's URL.
 * @url: "http://HOST:PORT", "socks5://HOST:PORT" or "socks5h://HOST:PORT"
 *	(scheme in any case, an optional trailing "/"); HOST a name, IPv4
 *	text or a bracketed IPv6 address.
 * @u: the result.
 * @why: on failure, a static reason that never repeats any part of @url
 *	(it may hold a password).
 *
 * Credentials in the URL (user:password@) are refused: they would show in
 * the process list and in messages. No path, query or fragment.
 *
 * Return: 0, -EACCES when the URL carries credentials, or -EINVAL.
 */
int sbx_upstream_parse_url(const char *url, struct sbx_upstream_url *u, const char **why)
{
	static const struct {
		const char *scheme;
		enum sbx_upstream_kind kind;
	} schemes[] = {
		{"http://", SBX_UPSTREAM_HTTP},
		{"socks5://", SBX_UPSTREAM_SOCKS5},
		{"socks5h://", SBX_UPSTREAM_SOCKS5H},
	};
	const char *p = NULL, *end, *host, *colon;
	size_t len = strlen(url), hlen;
	unsigned port = 0;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t sl = strlen(schemes[i].scheme);

		if (len >= sl && strncasecmp(url, schemes[i].scheme, sl) == 0) {
			u->kind = schemes[i].kind;
			p = url + sl;
			break;
		}
	}
	if (!p) {
		*why = strncasecmp(url, "https://", 8) == 0
			       ? "TLS to the upstream proxy (https://) is not supported; use http://, socks5:// or "
				 "socks5h://"
			       : "expected http://HOST:PORT, socks5://HOST:PORT or socks5h://HOST:PORT";
		return -EINVAL;
	}
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) || (*end && strchr(end, '@'))) {
		*why = "the URL must not carry credentials (user:password@): they would show in the process list "
		       "and in messages; give them in a file with --upstream-proxy-auth-file, or in sbx's "
		       "environment as SBX_UPSTREAM_PROXY_AUTH";
		return -EACCES;
	}
	if (*end && strcmp(end, "/") != 0) {
		*why = "the URL takes no path, query or fragment (http://HOST:PORT)";
		return -EINVAL;
	}
	host = p;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		struct in6_addr a;

		if (!close || close[1] != ':') {
			*why = "an IPv6 address must be in brackets and followed by :PORT ([2001:db8::1]:3128)";
			return -EINVAL;
		}
		hlen = (size_t)(close - host - 1);
		if (hlen == 0 || hlen >= sizeof(u->host) || memchr(host + 1, '%', hlen)) {
			*why = "invalid IPv6 address (no zone id)";
			return -EINVAL;
		}
		memcpy(u->host, host + 1, hlen);
		u->host[hlen] = '\0';
		if (inet_pton(AF_INET6, u->host, &a) != 1) {
			*why = "invalid IPv6 address";
			return -EINVAL;
		}
		u->host_is_v6 = true;
		colon = close + 1;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		if (!colon) {
			*why = "the URL must name the port (http://HOST:PORT)";
			return -EINVAL;
		}
		hlen = (size_t)(colon - host);
		if (hlen == 0 || hlen >= sizeof(u->host)) {
			*why = "missing or overlong host";
			return -EINVAL;
		}
		for (size_t i = 0; i < hlen; i++) {
			if (!host_char(host[i])) {
				*why = "the host is a name (letters, digits, '-', '.'), IPv4 text or a bracketed IPv6 "
				       "address";
				return -EINVAL;
			}
		}
		memcpy(u->host, host, hlen);
		u->host[hlen] = '\0';
	}
	if (colon + 1 >= end || end - colon - 1 > 5 || colon[1] == '0') {
		*why = "invalid port (expected 1-65535)";
		return -EINVAL;
	}
	for (const char *d = colon + 1; d < end; d++) {
		if (*d < '0' || *d > '9') {
			*why = "invalid port (expected 1-65535)";
			return -EINVAL;
		}
		port = port * 10 + (unsigned)(*d - '0');
	}
	if (port == 0 || port > 65535) {
		*why = "invalid port (expected 1-65535)";
		return -EINVAL;
	}
	u->port = (uint16_t)port;
	return 0;
}

/**
 * sbx_upstream_base64() - standard base64 with padding (RFC 4648), for Basic credentials.
 * @in: bytes.
 * @len: their count.
 * @out: the text, NUL-terminated.
 * @outlen: size of @out (4 * ((@len + 2) / 3) + 1 suffices).
 *
 * Return: the length of the text, or -ENOSPC.
 */
int sbx_upstream_base64(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t need = 4 * ((len + 2) / 3), o = 0;

	if (len > SIZE_MAX / 2 || outlen < need + 1)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return (int)o;
}

/**
 * sbx_upstream_build_http_connect() - the CONNECT request sbx sends an HTTP upstream.
 * @out: the request.
 * @outlen: size of @out.
 * @authority: "HOST:PORT" or "[IPv6]:PORT", as judged (letters, digits and
 *	".-:[]" only).
 * @basic: base64 "user:password" for Proxy-Authorization, or NULL.
 *
 * Return: the length of the request, -EINVAL for an authority or
 * credentials with other bytes, or -ENOSPC.
 */
int sbx_upstream_build_http_connect(char *out, size_t outlen, const char *authority, const char *basic)
{
	int n;

	if (!authority[0])
		return -EINVAL;
	for (const char *c = authority; *c; c++)
		if (!host_char(*c) && *c != ':' && *c != '[' && *c != ']')
			return -EINVAL;
	for (const char *c = basic ? basic : ""; *c; c++)
		if (!host_char(*c) && *c != '+' && *c != '/' && *c != '=')
			return -EINVAL;
	n = snprintf(out, outlen, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", authority, authority,
		     basic ? "Proxy-Authorization: Basic " : "", basic ? basic : "", basic ? "\r\n" : "");
	if (n < 0 || (size_t)n >= outlen)
		return -ENOSPC;
	return n;
}

/**
 * sbx_upstream_parse_http_reply() - the head of an HTTP upstream's answer to CONNECT.
 * @buf: bytes received so far.
 * @len: their count.
 * @max: largest head accepted.
 * @status: the status code (100-999), set once the status line is complete.
 *
 * The status line is "HTTP/1.x DDD" followed by a space or the line end;
 * header fields are skipped up to the empty line (CRLF or a bare LF).
 *
 * Return: the length of the head, bytes after it belonging to the tunnel;
 * 0 for "need more"; -EPROTO for a malformed status line; -EMSGSIZE when no
 * head ends within @max bytes.
 */
int sbx_upstream_parse_http_reply(const char *buf, size_t len, size_t max, int *status)
{
	static const char proto[] = "HTTP/1.";
	size_t check = len < sizeof(proto) - 1 ? len : sizeof(proto) - 1;
	const char *eol;

	if (memcmp(buf, proto, check) != 0)
		return -EPROTO;
	if (len > 7 && buf[7] != '0' && buf[7] != '1')
		return -EPROTO;
	for (size_t i = 8; i < len && i < 12; i++) {
		if (i == 8 ? buf[i] != ' ' : (buf[i] < '0' || buf[i] > '9'))
			return -EPROTO;
	}
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -EPROTO;
	eol = memchr(buf, '\n', len < max ? len : max);
	if (!eol)
		return len >= max ? -EMSGSIZE : 0;
	if (eol - buf < 12)
		return -EPROTO;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (*status < 100)
		return -EPROTO;
	/* The empty line that ends the head: "\n\r\n" or "\n\n" after the status line. */
	for (const char *p = eol; p < buf + len && (size_t)(p - buf) < max; p++) {
		if (*p != '\n')
			continue;
		if (p + 1 < buf + len && p[1] == '\n')
			return (size_t)(p + 2 - buf) <= max ? (int)(p + 2 - buf) : -EMSGSIZE;
		if (p + 2 < buf + len && p[1] == '\r' && p[2] == '\n')
			return (size_t)(p + 3 - buf) <= max ? (int)(p + 3 - buf) : -EMSGSIZE;
	}
	return len >= max ? -EMSGSIZE : 0;
}

/**
 * sbx_upstream_build_socks_greeting() - the SOCKS5 greeting sbx sends.
 * @out: at least 4 bytes.
 * @auth: also offer RFC 1929 username/password (sbx has credentials).
 *
 * Return: its length (3, or 4 with @auth).
 */
size_t sbx_upstream_build_socks_greeting(uint8_t *out, bool auth)
{
	out[0] = 5;
	out[1] = auth ? 2 : 1;
	out[2] = 0x00;
	if (!auth)
		return 3;
	out[3] = 0x02;
	return 4;
}

/**
 * sbx_upstream_parse_socks_method() - the SOCKS5 server's method choice.
 * @buf: bytes received so far.
 * @len: their count.
 * @method: the method chosen (0xff: none acceptable).
 *
 * Return: 2 (the reply's length), 0 for "need more", -EPROTO when it is not
 * a SOCKS5 reply.
 */
int sbx_upstream_parse_socks_method(const uint8_t *buf, size_t len, uint8_t *method)
{
	if (len >= 1 && buf[0] != 5)
		return -EPROTO;
	if (len < 2)
		return 0;
	*method = buf[1];
	return 2;
}

/**
 * sbx_upstream_build_socks_auth() - the RFC 1929 username/password request.
 * @out: the request.
 * @outlen: size of @out (513 suffices).
 * @user: user name.
 * @ulen: its length, 1-255.
 * @pass: password.
 * @plen: its length, 1-255.
 *
 * Return: the length, -EINVAL for a length out of range, -ENOSPC.
 */
int sbx_upstream_build_socks_auth(uint8_t *out, size_t outlen, const char *user, size_t ulen, const char *pass,
				  size_t plen)
{
	if (ulen == 0 || ulen > 255 || plen == 0 || plen > 255)
		return -EINVAL;
	if (outlen < 3 + ulen + plen)
		return -ENOSPC;
	out[0] = 1;
	out[1] = (uint8_t)ulen;
	memcpy(out + 2, user, ulen);
	out[2 + ulen] = (uint8_t)plen;
	memcpy(out + 3 + ulen, pass, plen);
	return (int)(3 + ulen + plen);
}

/**
 * sbx_upstream_parse_socks_auth() - the RFC 1929 status reply.
 * @buf: bytes received so far.
 * @len: their count.
 * @status: 0 for success, anything else a refusal.
 *
 * Some servers answer with version 5 instead of RFC 1929's 1: both are read.
 *
 * Return: 2, 0 for "need more", -EPROTO.
 */
int sbx_upstream_parse_socks_auth(const uint8_t *buf, size_t len, uint8_t *status)
{
	if (len >= 1 && buf[0] != 1 && buf[0] != 5)
		return -EPROTO;
	if (len < 2)
		return 0;
	*status = buf[1];
	return 2;
}

/**
 * sbx_upstream_build_socks_connect() - the SOCKS5 CONNECT request.
 * @out: the request.
 * @outlen: size of @out (262 suffices).
 * @atyp: SBX_SOCKS5_ATYP_IPV4 (@target 4 bytes), _IPV6 (16 bytes) or
 *	_DOMAIN (@target a name of @target_len bytes, 1-255, as judged).
 * @target: the address bytes or the name.
 * @target_len: length of a name (ignored for addresses).
 * @port: destination port.
 *
 * Return: the length, -EINVAL, or -ENOSPC.
 */
int sbx_upstream_build_socks_connect(uint8_t *out, size_t outlen, uint8_t atyp, const void *target, size_t target_len,
				     uint16_t port)
{
	size_t alen, o = 4;

	switch (atyp) {
	case SBX_SOCKS5_ATYP_IPV4:
		alen = 4;
		break;
	case SBX_SOCKS5_ATYP_IPV6:
		alen = 16;
		break;
	case SBX_SOCKS5_ATYP_DOMAIN:
		if (target_len == 0 || target_len > 255)
			return -EINVAL;
		for (size_t i = 0; i < target_len; i++)
			if (!host_char(((const char *)target)[i]))
				return -EINVAL;
		alen = target_len;
		break;
	default:
		return -EINVAL;
	}
	if (outlen < 4 + (atyp == SBX_SOCKS5_ATYP_DOMAIN) + alen + 2)
		return -ENOSPC;
	out[0] = 5;
	out[1] = SBX_SOCKS5_CMD_CONNECT;
	out[2] = 0;
	out[3] = atyp;
	if (atyp == SBX_SOCKS5_ATYP_DOMAIN)
		out[o++] = (uint8_t)alen;
	memcpy(out + o, target, alen);
	o += alen;
	out[o++] = (uint8_t)(port >> 8);
	out[o++] = (uint8_t)port;
	return (int)o;
}

/**
 * sbx_upstream_parse_socks_reply() - the SOCKS5 server's reply to CONNECT.
 * @buf: bytes received so far.
 * @len: their count.
 * @rep: the reply code (0 succeeded; RFC 1928 section 6).
 *
 * Return: the reply's length (bytes after it belong to the tunnel), 0 for
 * "need more", -EPROTO for a malformed reply.
 */
int sbx_upstream_parse_socks_reply(const uint8_t *buf, size_t len, uint8_t *rep)
{
	size_t need;

	if ((len >= 1 && buf[0] != 5) || (len >= 3 && buf[2] != 0))
		return -EPROTO;
	if (len < 4)
		return 0;
	switch (buf[3]) {
	case SBX_SOCKS5_ATYP_IPV4:
		need = 4 + 4 + 2;
		break;
	case SBX_SOCKS5_ATYP_IPV6:
		need = 4 + 16 + 2;
		break;
	case SBX_SOCKS5_ATYP_DOMAIN:
		if (len < 5)
			return 0;
		need = 5 + (size_t)buf[4] + 2;
		break;
	default:
		return -EPROTO;
	}
	if (len < need)
		return 0;
	*rep = buf[1];
	return (int)need;
}
