// SPDX-License-Identifier: Apache-2.0
/* HTTP/1.x proxy request heads: strict parsing, Host agreement, forward-head rebuild, canned responses. */

/*
 * Theory of operation.
 *
 * The proxy judges a request by its target and then either opens a tunnel
 * (CONNECT) or forwards one request (absolute-form http://). Anything the
 * proxy and the origin server (or an intermediary behind it) could read
 * differently is a way around the policy, so the grammar accepted here is
 * deliberately narrower than RFC 9112:
 *
 *   1. framing: every line ends in CRLF; a bare LF or bare CR, a NUL byte,
 *      or a head larger than the caller's limit is refused. Real clients
 *      never send bare LF; tolerating it is how request smuggling starts.
 *   2. request line: METHOD SP target SP HTTP/1.0|HTTP/1.1, single spaces.
 *      CONNECT takes only authority-form host:port; other methods take only
 *      absolute-form http://host[:port][/path]; origin-form, "*", https://
 *      (clients must CONNECT) and other schemes are refused.
 *   3. target host: [A-Za-z0-9.-] or a bracketed IPv6 literal that
 *      inet_pton accepts (no zone); no userinfo, no percent-encoding; port
 *      1-65535 in canonical decimal. Normalisation is the policy engine's.
 *   4. header fields: token names, no whitespace before the colon, no
 *      obs-fold, no control bytes in values, bounded count.
 *   5. semantics: one Host, which must name the same host and port as the
 *      target; at most one Content-Length and one Transfer-Encoding, never
 *      both, Transfer-Encoding only "chunked" and only in HTTP/1.1;
 *      Connection may not name an end-to-end framing field.
 *
 * The rebuilt upstream head carries the request line in origin-form, the
 * end-to-end fields with whitespace normalised, and "Connection: close", so
 * one judged request is all an upstream connection ever carries.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sbx/proto.h"

static const char *const forward_methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
};

/* Fields that describe one hop (RFC 9110 7.6.1, plus the Proxy-* fields meant for us). */
static const char *const hop_by_hop[] = {
	"connection", "proxy-connection", "proxy-authorization", "proxy-authenticate", "keep-alive", "te",
	"trailer",    "upgrade",
};

static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_host_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

static bool is_hex_or_v6(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* RFC 9110 field-value: VCHAR, SP, HTAB and obs-text; no other control byte, no DEL. */
static bool is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool eq_ci(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int refuse(int *status, const char **why, int st, const char *msg)
{
	*status = st;
	*why = msg;
	switch (st) {
	case 414:
	case 431:
		return -EMSGSIZE;
	case 405:
	case 501:
		return -EOPNOTSUPP;
	case 505:
		return -EPROTONOSUPPORT;
	default:
		return -EBADMSG;
	}
}

/*
 * Canonical decimal port: 1-5 digits, no sign, no leading zero, 1-65535.
 * Leading zeros are refused because some parsers read them as octal.
 */
static bool parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/*
 * host[:port] or [v6][:port]. Return: 1 with a port, 0 without, -1 (with
 * *why) when malformed. @host receives the host without brackets.
 */
static int parse_hostport(const char *s, size_t n, char host[256], bool *v6, uint16_t *port, const char **why)
{
	size_t i;

	*v6 = false;
	if (n == 0) {
		*why = "empty host";
		return -1;
	}
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		size_t hl;
		struct in6_addr a;

		if (!rb) {
			*why = "unterminated IPv6 literal";
			return -1;
		}
		hl = (size_t)(rb - s) - 1;
		/* 45 = longest IPv6 text (with an embedded dotted quad). */
		if (hl < 2 || hl > 45) {
			*why = "invalid IPv6 literal";
			return -1;
		}
		for (i = 1; i <= hl; i++)
			if (!is_hex_or_v6((unsigned char)s[i])) {
				*why = "invalid IPv6 literal (zone identifiers and IPvFuture are not accepted)";
				return -1;
			}
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, &a) != 1) {
			*why = "invalid IPv6 literal";
			return -1;
		}
		*v6 = true;
		i = hl + 2;
	} else {
		for (i = 0; i < n && is_host_char((unsigned char)s[i]); i++)
			;
		if (i == 0) {
			*why = "empty host";
			return -1;
		}
		if (i > 255) {
			*why = "host too long";
			return -1;
		}
		memcpy(host, s, i);
		host[i] = '\0';
	}
	if (i == n)
		return 0;
	if (s[i] != ':') {
		*why = "invalid character in host (only letters, digits, '.', '-' or a bracketed IPv6 address)";
		return -1;
	}
	if (!parse_port(s + i + 1, n - i - 1, port)) {
		*why = "invalid port (1-65535, decimal, no leading zero)";
		return -1;
	}
	return 1;
}

static bool same_host(const char *a, bool a_v6, const char *b, bool b_v6)
{
	struct in6_addr x, y;

	if (a_v6 != b_v6)
		return false;
	if (!a_v6)
		return strcasecmp(a, b) == 0;
	/* Both passed inet_pton already; compare the addresses, not the spellings. */
	return inet_pton(AF_INET6, a, &x) == 1 && inet_pton(AF_INET6, b, &y) == 1 && memcmp(&x, &y, sizeof(x)) == 0;
}

/*
 * Framing scan over what has arrived. Return: 1 with *end set past the
 * final CRLFCRLF, 0 when more is needed, negative to refuse.
 */
static int scan_head(const char *buf, size_t len, size_t max_head, size_t *end, int *status, const char **why)
{
	size_t limit = len < max_head ? len : max_head;
	bool have_line = false;

	for (size_t i = 0; i < limit; i++) {
		char c = buf[i];

		if (c == '\0')
			return refuse(status, why, 400, "NUL byte in request head");
		if (c == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return refuse(status, why, 400, "bare CR in request head");
		if (c != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r')
			return refuse(status, why, 400, "bare LF in request head (lines must end in CRLF)");
		have_line = true;
		if (i >= 3 && buf[i - 2] == '\n') {
			*end = i + 1;
			return 1;
		}
	}
	if (len >= max_head)
		return have_line ? refuse(status, why, 431, "request head too large")
				 : refuse(status, why, 414, "request line too long");
	return 0;
}

/*
 * The method is checked as soon as it arrives so that a client speaking
 * another protocol (TLS, SOCKS) gets an answer at once rather than a timeout.
 */
static int check_method_prefix(const char *buf, size_t len, int *status, const char **why)
{
	size_t i;

	for (i = 0; i < len && i < 16 && is_tchar((unsigned char)buf[i]); i++)
		;
	if (i == 16)
		return refuse(status, why, 501, "method not implemented");
	if (i < len && (buf[i] != ' ' || i == 0))
		return refuse(status, why, 400, "malformed request line");
	return 0;
}

static int parse_target_forward(const char *t, size_t n, struct sbx_http_request *req, int *status, const char **why)
{
	const char *auth, *p;
	size_t alen, plen;
	int r;

	if (memchr(t, '#', n))
		return refuse(status, why, 400, "fragment in request target");
	if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
		return refuse(status, why, 400, "https:// URLs must be tunnelled with CONNECT");
	if (n < 7 || strncasecmp(t, "http://", 7) != 0) {
		if (t[0] == '/' || (n == 1 && t[0] == '*'))
			return refuse(status, why, 400,
				      "origin-form request: this is a proxy, use an absolute http:// URL");
		return refuse(status, why, 400, "request target must be an absolute http:// URL");
	}
	auth = t + 7;
	for (alen = 0; alen < n - 7 && auth[alen] != '/' && auth[alen] != '?'; alen++)
		;
	if (memchr(auth, '@', alen))
		return refuse(status, why, 400, "userinfo in URL");
	r = parse_hostport(auth, alen, req->host, &req->host_is_v6, &req->port, why);
	if (r < 0)
		return refuse(status, why, 400, *why);
	if (r == 0)
		req->port = 80;

	p = auth + alen;
	plen = n - 7 - alen;
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return refuse(status, why, 400, "invalid character in request target");
	if (plen == 0 || p[0] == '?') {
		/* An empty path is "/" in origin-form (RFC 9112 3.2.1). */
		if (plen + 1 >= SBX_HTTP_PATH_MAX)
			return refuse(status, why, 414, "URL path too long");
		req->path[0] = '/';
		memcpy(req->path + 1, p, plen);
		req->path[plen + 1] = '\0';
	} else {
		if (plen >= SBX_HTTP_PATH_MAX)
			return refuse(status, why, 414, "URL path too long");
		memcpy(req->path, p, plen);
		req->path[plen] = '\0';
	}
	return 0;
}

static int parse_request_line(const char *buf, size_t le, struct sbx_http_request *req, int *status, const char **why)
{
	const char *sp1, *sp2, *target, *ver;
	size_t mlen, tlen, vlen;
	bool forward = false;

	sp1 = memchr(buf, ' ', le);
	if (!sp1)
		return refuse(status, why, 400, "malformed request line");
	mlen = (size_t)(sp1 - buf);
	target = sp1 + 1;
	sp2 = memchr(target, ' ', le - mlen - 1);
	if (!sp2)
		return refuse(status, why, 400, "request line without HTTP version (HTTP/0.9 is not supported)");
	tlen = (size_t)(sp2 - target);
	ver = sp2 + 1;
	vlen = le - (size_t)(ver - buf);
	if (tlen == 0 || memchr(ver, ' ', vlen))
		return refuse(status, why, 400, "malformed request line");

	if (vlen == 8 && memcmp(ver, "HTTP/1.", 7) == 0 && (ver[7] == '0' || ver[7] == '1')) {
		req->version_minor = (uint8_t)(ver[7] - '0');
	} else if (vlen == 8 && memcmp(ver, "HTTP/", 5) == 0 && ver[5] >= '0' && ver[5] <= '9' && ver[6] == '.' &&
		   ver[7] >= '0' && ver[7] <= '9') {
		return refuse(status, why, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
	} else {
		return refuse(status, why, 400, "malformed HTTP version");
	}

	/* check_method_prefix() already guaranteed 1-15 token characters. */
	memcpy(req->method, buf, mlen);
	req->method[mlen] = '\0';
	for (size_t i = 0; i < sizeof(forward_methods) / sizeof(forward_methods[0]); i++)
		if (strcmp(req->method, forward_methods[i]) == 0)
			forward = true;

	if (strcmp(req->method, "CONNECT") == 0) {
		int r;

		req->kind = SBX_HTTP_CONNECT;
		req->path[0] = '\0';
		r = parse_hostport(target, tlen, req->host, &req->host_is_v6, &req->port, why);
		if (r < 0)
			return refuse(status, why, 400, *why);
		if (r == 0)
			return refuse(status, why, 400, "CONNECT target needs a port (host:port)");
		return 0;
	}
	if (!forward) {
		if (strcmp(req->method, "TRACE") == 0)
			return refuse(status, why, 405, "TRACE is not allowed");
		return refuse(status, why, 501, "method not implemented");
	}
	req->kind = SBX_HTTP_FORWARD;
	return parse_target_forward(target, tlen, req, status, why);
}

static int parse_header_lines(const char *buf, size_t pos, size_t head_len, struct sbx_http_request *req, int *status,
			      const char **why)
{
	/* Stop at the empty line that ends the head (its CRLF is the last two bytes). */
	while (pos < head_len - 2) {
		const char *line = buf + pos;
		const char *cr = memchr(line, '\r', head_len - pos);
		size_t llen = (size_t)(cr - line), j, v, ve;
		struct sbx_http_header *h;

		if (line[0] == ' ' || line[0] == '\t')
			return refuse(status, why, 400, "obsolete line folding in header");
		for (j = 0; j < llen && is_tchar((unsigned char)line[j]); j++)
			;
		if (j == 0)
			return refuse(status, why, 400, "empty header name");
		if (j == llen || line[j] != ':')
			return refuse(status, why, 400, "invalid header name (no whitespace before ':')");
		for (v = j + 1; v < llen && (line[v] == ' ' || line[v] == '\t'); v++)
			;
		for (ve = llen; ve > v && (line[ve - 1] == ' ' || line[ve - 1] == '\t'); ve--)
			;
		for (size_t k = v; k < ve; k++)
			if (!is_field_char((unsigned char)line[k]))
				return refuse(status, why, 400, "control character in header value");
		if (req->n_headers == SBX_HTTP_MAX_HEADERS)
			return refuse(status, why, 431, "too many header fields");
		h = &req->headers[req->n_headers++];
		h->name_off = (uint32_t)pos;
		h->name_len = (uint32_t)j;
		h->value_off = (uint32_t)(pos + v);
		h->value_len = (uint32_t)(ve - v);
		h->keep = true;
		pos += llen + 2;
	}
	return 0;
}

static bool parse_content_length(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	/* 19 digits always fit in 64 bits; a list ("5, 5") is refused, not collapsed. */
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Drop the fields a Connection header names; refuse it naming a framing or routing field. */
static int apply_connection(const char *buf, struct sbx_http_request *req, const struct sbx_http_header *c, int *status,
			    const char **why)
{
	const char *s = buf + c->value_off;
	size_t n = c->value_len, i = 0;

	while (i < n) {
		size_t t0, t1;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
			i++;
		t0 = i;
		while (i < n && is_tchar((unsigned char)s[i]))
			i++;
		t1 = i;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] != ',')
			return refuse(status, why, 400, "invalid Connection header");
		if (t1 == t0)
			continue;
		if (eq_ci(s + t0, t1 - t0, "host") || eq_ci(s + t0, t1 - t0, "content-length") ||
		    eq_ci(s + t0, t1 - t0, "transfer-encoding"))
			return refuse(status, why, 400, "Connection header names an end-to-end field");
		for (unsigned int k = 0; k < req->n_headers; k++) {
			struct sbx_http_header *h = &req->headers[k];

			if (h->name_len == t1 - t0 && strncasecmp(buf + h->name_off, s + t0, t1 - t0) == 0)
				h->keep = false;
		}
	}
	return 0;
}

static int check_fields(const char *buf, struct sbx_http_request *req, int *status, const char **why)
{
	int cl = -1, te = -1;
	int r;

	for (unsigned int k = 0; k < req->n_headers; k++) {
		struct sbx_http_header *h = &req->headers[k];
		const char *name = buf + h->name_off, *val = buf + h->value_off;

		for (size_t i = 0; i < sizeof(hop_by_hop) / sizeof(hop_by_hop[0]); i++)
			if (eq_ci(name, h->name_len, hop_by_hop[i]))
				h->keep = false;
		if (eq_ci(name, h->name_len, "host")) {
			if (req->host_header >= 0)
				return refuse(status, why, 400, "duplicate Host header");
			req->host_header = (int)k;
		} else if (eq_ci(name, h->name_len, "content-length")) {
			if (cl >= 0)
				return refuse(status, why, 400, "duplicate Content-Length header");
			cl = (int)k;
			if (!parse_content_length(val, h->value_len, &req->content_length))
				return refuse(status, why, 400, "invalid Content-Length");
		} else if (eq_ci(name, h->name_len, "transfer-encoding")) {
			if (te >= 0)
				return refuse(status, why, 400, "duplicate Transfer-Encoding header");
			te = (int)k;
		}
	}
	for (unsigned int k = 0; k < req->n_headers; k++) {
		const struct sbx_http_header *h = &req->headers[k];

		if (eq_ci(buf + h->name_off, h->name_len, "connection")) {
			r = apply_connection(buf, req, h, status, why);
			if (r < 0)
				return r;
		}
	}

	/* Request smuggling: the two framings must never meet (RFC 9112 6.1, 6.3). */
	if (te >= 0 && cl >= 0)
		return refuse(status, why, 400, "Transfer-Encoding together with Content-Length");
	if (te >= 0 && req->version_minor == 0)
		return refuse(status, why, 400, "Transfer-Encoding in an HTTP/1.0 request");
	if (te >= 0 && !eq_ci(buf + req->headers[te].value_off, req->headers[te].value_len, "chunked"))
		return refuse(status, why, 501, "only Transfer-Encoding: chunked is supported");
	if (req->kind == SBX_HTTP_CONNECT) {
		if (te >= 0 || (cl >= 0 && req->content_length != 0))
			return refuse(status, why, 400, "CONNECT request with a body");
		req->body = SBX_HTTP_BODY_NONE;
		req->content_length = 0;
	} else if (te >= 0) {
		req->body = SBX_HTTP_BODY_CHUNKED;
	} else if (cl >= 0) {
		req->body = SBX_HTTP_BODY_LENGTH;
	}

	if (req->host_header < 0) {
		/* RFC 9112 3.2: an HTTP/1.1 request without Host gets 400; CONNECT's is optional here. */
		if (req->kind == SBX_HTTP_FORWARD && req->version_minor == 1)
			return refuse(status, why, 400, "missing Host header");
	} else {
		const struct sbx_http_header *h = &req->headers[req->host_header];
		char host[256];
		bool v6;
		uint16_t port = 0;

		r = parse_hostport(buf + h->value_off, h->value_len, host, &v6, &port, why);
		if (r < 0)
			return refuse(status, why, 400, "invalid Host header");
		if (!same_host(host, v6, req->host, req->host_is_v6))
			return refuse(status, why, 400, "Host header does not match the request target");
		/*
		 * Host without a port means the scheme's default for a forwarded
		 * request (80); for CONNECT, clients differ and the target is
		 * authoritative (the Host field is never forwarded), so only an
		 * explicit port must agree.
		 */
		if (r == 1 ? port != req->port : (req->kind == SBX_HTTP_FORWARD && req->port != 80))
			return refuse(status, why, 400, "Host header port does not match the request target");
	}
	return 0;
}

/**
 * sbx_http_parse_request() - parse a proxy request head.
 * @buf: bytes received so far from the client (need not be NUL-terminated).
 * @len: their number.
 * @max_head: largest head accepted (request line, fields and the final
 *	CRLFCRLF); capped at SBX_HTTP_HEAD_CAP.
 * @req: filled on success; its contents are unspecified otherwise.
 * @status: on refusal, the HTTP status to answer (400, 405, 414, 431, 501, 505).
 * @why: on refusal, a static human-readable reason.
 *
 * Call again with the whole buffer after each read. Bytes after the head
 * (body or tunnel data) are not examined. A prefix of an acceptable head
 * always returns 0; garbage in the method is refused as soon as it arrives.
 *
 * Return: 0 when more bytes are needed; the head length (>0) when the head
 * is complete and acceptable; a negative errno when refused (-EBADMSG for
 * 400, -EMSGSIZE for 414/431, -EOPNOTSUPP for 405/501, -EPROTONOSUPPORT for
 * 505), with *status and *why set.
 */
int sbx_http_parse_request(const char *buf, size_t len, size_t max_head, struct sbx_http_request *req, int *status,
			   const char **why)
{
	size_t head_len = 0;
	const char *cr;
	int r;

	*status = 0;
	*why = NULL;
	if (max_head > SBX_HTTP_HEAD_CAP)
		max_head = SBX_HTTP_HEAD_CAP;
	r = check_method_prefix(buf, len, status, why);
	if (r < 0)
		return r;
	r = scan_head(buf, len, max_head, &head_len, status, why);
	if (r <= 0)
		return r;

	req->host[0] = '\0';
	req->path[0] = '\0';
	req->host_is_v6 = false;
	req->port = 0;
	req->head_len = head_len;
	req->body = SBX_HTTP_BODY_NONE;
	req->content_length = 0;
	req->host_header = -1;
	req->n_headers = 0;

	/* scan_head() proved every CR is followed by LF and a CRLFCRLF ends the head. */
	cr = memchr(buf, '\r', head_len);
	r = parse_request_line(buf, (size_t)(cr - buf), req, status, why);
	if (r < 0)
		return r;
	r = parse_header_lines(buf, (size_t)(cr - buf) + 2, head_len, req, status, why);
	if (r < 0)
		return r;
	r = check_fields(buf, req, status, why);
	if (r < 0)
		return r;
	return (int)head_len;
}

struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/**
 * sbx_http_build_forward_head() - rebuild a FORWARD request head for the origin server.
 * @req: a request sbx_http_parse_request() accepted, of kind SBX_HTTP_FORWARD.
 * @buf: the buffer it was parsed from (header offsets point into it).
 * @out: destination (not NUL-terminated).
 * @outlen: its size.
 *
 * Writes "METHOD origin-form-path HTTP/1.x", a Host field (the client's,
 * or one built from the target for an HTTP/1.0 request without one), every
 * end-to-end field with its whitespace trimmed, and "Connection: close",
 * then the empty line. Hop-by-hop fields and those Connection named are
 * left out; Transfer-Encoding and Content-Length are kept so the body
 * framing is unchanged.
 *
 * Return: the number of bytes written, -EINVAL for a CONNECT request,
 * -ENOSPC if @outlen is too small.
 */
int sbx_http_build_forward_head(const struct sbx_http_request *req, const char *buf, char *out, size_t outlen)
{
	struct out o = {.p = out, .cap = outlen};

	if (req->kind != SBX_HTTP_FORWARD)
		return -EINVAL;
	put_str(&o, req->method);
	put_str(&o, " ");
	put_str(&o, req->path);
	put_str(&o, req->version_minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
	if (req->host_header < 0) {
		char port[8];

		put_str(&o, "Host: ");
		if (req->host_is_v6)
			put_str(&o, "[");
		put_str(&o, req->host);
		if (req->host_is_v6)
			put_str(&o, "]");
		if (req->port != 80) {
			snprintf(port, sizeof(port), ":%u", (unsigned int)req->port);
			put_str(&o, port);
		}
		put_str(&o, "\r\n");
	}
	for (unsigned int k = 0; k < req->n_headers; k++) {
		const struct sbx_http_header *h = &req->headers[k];

		if (!h->keep)
			continue;
		put(&o, buf + h->name_off, h->name_len);
		put_str(&o, ": ");
		put(&o, buf + h->value_off, h->value_len);
		put_str(&o, "\r\n");
	}
	put_str(&o, "Connection: close\r\n\r\n");
	if (o.overflow || o.len > (size_t)INT32_MAX)
		return -ENOSPC;
	return (int)o.len;
}

/**
 * sbx_http_status_reason() - standard reason phrase for a status code.
 * @status: HTTP status code.
 *
 * Return: a static string ("Error" for codes sbx never sends).
 */
static const char *sbx_http_status_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* A reason phrase or header line we emit must not be able to start a new line. */
static bool is_safe_line(const char *s)
{
	for (; *s; s++)
		if (!is_field_char((unsigned char)*s))
			return false;
	return true;
}

/**
 * sbx_http_build_response() - build a response the proxy itself answers with.
 * @out: destination; NUL-terminated on success.
 * @outlen: its size.
 * @status: status code, 100-599.
 * @reason: reason phrase, or NULL for the standard one.
 * @extra_headers: NULL-terminated array of complete "Name: value" lines
 *	without CRLF (e.g. "X-Sbx-Denied: ..."), or NULL.
 * @body: text body, or NULL.
 *
 * A 2xx without a body is the answer to CONNECT ("200 Connection
 * established"): it carries neither Content-Length (RFC 9110 9.3.6 forbids
 * it) nor Connection: close, since the tunnel follows. Anything else is a
 * final answer: text/plain body, Content-Length and Connection: close.
 *
 * Return: the length written (without the NUL); -EINVAL if the status is
 * out of range or the reason or a header line holds a control character
 * (CR/LF injection) or a header line has no ':'; -ENOSPC if it does not fit.
 */
int sbx_http_build_response(char *out, size_t outlen, int status, const char *reason, const char *const *extra_headers,
			    const char *body)
{
	struct out o = {.p = out, .cap = outlen};
	char line[48];

	if (status < 100 || status > 599)
		return -EINVAL;
	if (!reason)
		reason = sbx_http_status_reason(status);
	if (!is_safe_line(reason))
		return -EINVAL;
	for (size_t i = 0; extra_headers && extra_headers[i]; i++) {
		const char *colon = strchr(extra_headers[i], ':');

		if (!colon || colon == extra_headers[i] || !is_safe_line(extra_headers[i]))
			return -EINVAL;
		for (const char *c = extra_headers[i]; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return -EINVAL;
	}

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	put_str(&o, line);
	put_str(&o, reason);
	put_str(&o, "\r\n");
	for (size_t i = 0; extra_headers && extra_headers[i]; i++) {
		put_str(&o, extra_headers[i]);
		put_str(&o, "\r\n");
	}
	if (!(status >= 200 && status < 300 && !body)) {
		size_t blen = body ? strlen(body) : 0;

		if (body)
			put_str(&o, "Content-Type: text/plain; charset=utf-8\r\n");
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n", blen);
		put_str(&o, line);
		put_str(&o, "Connection: close\r\n\r\n");
		if (body)
			put(&o, body, blen);
	} else {
		put_str(&o, "\r\n");
	}
	/* Room for the NUL too, so callers may treat the result as a string. */
	if (o.overflow || o.len >= outlen || o.len > (size_t)INT32_MAX)
		return -ENOSPC;
	out[o.len] = '\0';
	return (int)o.len;
}
