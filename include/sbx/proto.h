/* SPDX-License-Identifier: Apache-2.0 */
/* Proxy wire protocols (HTTP/1.x proxy requests, SOCKS5, DNS queries, upstream proxies): pure parsers and builders. */
#ifndef SBX_PROTO_H
#define SBX_PROTO_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Everything here is pure: no sockets, no allocation, no global state. Every
 * input is assumed hostile (it comes from the sandboxed payload). Parsers
 * are stateless and are meant to be re-run on the whole buffer received so
 * far: they answer "need more bytes" (0), "complete" (>0, bytes used) or
 * "refuse" (negative errno, plus the protocol-level answer to send). A
 * prefix of a valid message never gets a refusal, so the caller may call
 * the parser after every read.
 *
 * Host names are returned as received (no case folding, no IDN, no numeric
 * interpretation): the policy engine normalises and judges them. The parsers
 * only make sure that what they hand over cannot be ambiguous (no NUL, no
 * control bytes, no userinfo, no percent-encoding, no zone identifiers).
 */

/* ---- HTTP/1.x proxy requests ------------------------------------------- */

/** Largest origin-form path (with query) forwarded, plus NUL; longer is 414. */
#define SBX_HTTP_PATH_MAX 8192
/** Cap on @max_head of sbx_http_parse_request() (offsets are 32-bit). */
#define SBX_HTTP_HEAD_CAP (1u << 20)
/** Most header fields in one request head; more is 431. */
#define SBX_HTTP_MAX_HEADERS 100

enum sbx_http_kind {
	SBX_HTTP_CONNECT, /* CONNECT host:port: a tunnel */
	SBX_HTTP_FORWARD, /* absolute-form http://host[:port]/path: one forwarded request */
};

/* How the request body (FORWARD only) is framed; CONNECT has none. */
enum sbx_http_body {
	SBX_HTTP_BODY_NONE,    /* no Content-Length, no Transfer-Encoding: no body */
	SBX_HTTP_BODY_LENGTH,  /* Content-Length: content_length bytes */
	SBX_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
};

/**
 * struct sbx_http_header - one header field, as offsets into the parsed buffer.
 * @name_off: offset of the field name.
 * @value_off: offset of the value, leading and trailing whitespace excluded.
 * @name_len: length of the name.
 * @value_len: length of the trimmed value (may be 0).
 * @keep: forwarded upstream by sbx_http_build_forward_head() (false for
 *	hop-by-hop fields and the fields Connection names).
 */
struct sbx_http_header {
	uint32_t name_off;
	uint32_t value_off;
	uint32_t name_len;
	uint32_t value_len;
	bool keep;
};

/**
 * struct sbx_http_request - a parsed proxy request head.
 * @kind: tunnel or forwarded request.
 * @method: the method token ("CONNECT", "GET", ...).
 * @host: host as given in the request target: a name or IPv4 text made of
 *	[A-Za-z0-9.-], or IPv6 text without brackets. Not normalised.
 * @host_is_v6: @host came in brackets (an IPv6 literal, checked with inet_pton).
 * @port: 1-65535; CONNECT: from the target; FORWARD: from the URI, else 80.
 * @version_minor: 0 for HTTP/1.0, 1 for HTTP/1.1.
 * @path: FORWARD: origin-form path and query to send upstream ("/" if the
 *	URI had none); CONNECT: empty.
 * @head_len: bytes of the head including the final CRLFCRLF; any bytes
 *	after it belong to the body (FORWARD) or the tunnel (CONNECT).
 * @body: FORWARD body framing (always SBX_HTTP_BODY_NONE for CONNECT).
 * @content_length: with SBX_HTTP_BODY_LENGTH, the body length.
 * @host_header: index in @headers of the Host field, or -1.
 * @n_headers: number of entries in @headers.
 * @headers: every header field, in order.
 */
struct sbx_http_request {
	enum sbx_http_kind kind;
	char method[16];
	char host[256];
	bool host_is_v6;
	uint16_t port;
	uint8_t version_minor;
	char path[SBX_HTTP_PATH_MAX];
	size_t head_len;
	enum sbx_http_body body;
	uint64_t content_length;
	int host_header;
	unsigned int n_headers;
	struct sbx_http_header headers[SBX_HTTP_MAX_HEADERS];
};

int sbx_http_parse_request(const char *buf, size_t len, size_t max_head, struct sbx_http_request *req, int *status,
			   const char **why);
int sbx_http_build_forward_head(const struct sbx_http_request *req, const char *buf, char *out, size_t outlen);
int sbx_http_build_response(char *out, size_t outlen, int status, const char *reason, const char *const *extra_headers,
			    const char *body);

/* ---- SOCKS5 (RFC 1928), server side, no authentication ---------------- */

/* Distinct refusal of sbx_socks5_parse_greeting(): the client speaks SOCKS4 or 4a. */
#define SBX_SOCKS5_ERR_SOCKS4 (-EPROTONOSUPPORT)
/** Largest reply sbx_socks5_build_reply() writes (IPv6 bound address). */
#define SBX_SOCKS5_REPLY_MAX 22
/** Size of the SOCKS4 rejection written by sbx_socks5_build_socks4_reject(). */
#define SBX_SOCKS4_REPLY_LEN 8

/* RFC 1928 section 6 reply codes. */
enum sbx_socks5_rep {
	SBX_SOCKS5_REP_SUCCEEDED = 0x00,
	SBX_SOCKS5_REP_GENERAL_FAILURE = 0x01,
	SBX_SOCKS5_REP_NOT_ALLOWED = 0x02, /* "connection not allowed by ruleset": policy denials */
	SBX_SOCKS5_REP_NET_UNREACHABLE = 0x03,
	SBX_SOCKS5_REP_HOST_UNREACHABLE = 0x04,
	SBX_SOCKS5_REP_CONN_REFUSED = 0x05,
	SBX_SOCKS5_REP_TTL_EXPIRED = 0x06,
	SBX_SOCKS5_REP_CMD_UNSUPPORTED = 0x07,
	SBX_SOCKS5_REP_ATYP_UNSUPPORTED = 0x08,
};

enum sbx_socks5_cmd {
	SBX_SOCKS5_CMD_CONNECT = 0x01,
	SBX_SOCKS5_CMD_BIND = 0x02,
	SBX_SOCKS5_CMD_UDP_ASSOCIATE = 0x03,
};

enum sbx_socks5_atyp {
	SBX_SOCKS5_ATYP_IPV4 = 0x01,
	SBX_SOCKS5_ATYP_DOMAIN = 0x03,
	SBX_SOCKS5_ATYP_IPV6 = 0x04,
};

/**
 * struct sbx_socks5_request - a parsed SOCKS5 request.
 * @cmd: enum sbx_socks5_cmd value as received.
 * @atyp: enum sbx_socks5_atyp value as received.
 * @host: DOMAIN: the name as received (NUL-terminated); IPV4/IPV6: the
 *	address in inet_ntop() text form.
 * @addr: IPV4 (first 4 bytes) or IPV6 address in network order; zero for DOMAIN.
 * @port: destination port (host order).
 * @len: bytes of the request message.
 */
struct sbx_socks5_request {
	uint8_t cmd;
	uint8_t atyp;
	char host[256];
	uint8_t addr[16];
	uint16_t port;
	size_t len;
};

int sbx_socks5_parse_greeting(const uint8_t *buf, size_t len, uint8_t *method);
int sbx_socks5_parse_request(const uint8_t *buf, size_t len, struct sbx_socks5_request *req, uint8_t *reply_code);
size_t sbx_socks5_build_reply(uint8_t *out, uint8_t rep, const struct sockaddr *bound);
size_t sbx_socks5_build_socks4_reject(uint8_t *out);

/* ---- Upstream proxies, client side (--upstream-proxy; src/proto/upstream.c) ---- */

/* Largest head accepted in an HTTP upstream's answer to CONNECT. */
#define SBX_UPSTREAM_HTTP_HEAD_MAX 8192
/* Room for any request sbx_upstream_build_*() writes (an HTTP CONNECT with Basic credentials of 255+255 bytes). */
#define SBX_UPSTREAM_REQ_MAX 1200

enum sbx_upstream_kind {
	SBX_UPSTREAM_HTTP,   /* http://: HTTP CONNECT */
	SBX_UPSTREAM_SOCKS5, /* socks5://: SOCKS5 CONNECT with addresses only */
	SBX_UPSTREAM_SOCKS5H /* socks5h://: SOCKS5 CONNECT, names handed over too */
};

/**
 * struct sbx_upstream_url - a parsed --upstream-proxy URL.
 * @kind: the protocol.
 * @host: a name or IPv4 text as written (letters, digits, '-', '.'), or
 *	IPv6 text without brackets (@host_is_v6).
 * @host_is_v6: @host came in brackets.
 * @port: 1-65535.
 */
struct sbx_upstream_url {
	enum sbx_upstream_kind kind;
	char host[256];
	bool host_is_v6;
	uint16_t port;
};

int sbx_upstream_parse_url(const char *url, struct sbx_upstream_url *u, const char **why);
int sbx_upstream_base64(const uint8_t *in, size_t len, char *out, size_t outlen);
int sbx_upstream_build_http_connect(char *out, size_t outlen, const char *authority, const char *basic);
int sbx_upstream_parse_http_reply(const char *buf, size_t len, size_t max, int *status);
size_t sbx_upstream_build_socks_greeting(uint8_t *out, bool auth);
int sbx_upstream_parse_socks_method(const uint8_t *buf, size_t len, uint8_t *method);
int sbx_upstream_build_socks_auth(uint8_t *out, size_t outlen, const char *user, size_t ulen, const char *pass,
				  size_t plen);
int sbx_upstream_parse_socks_auth(const uint8_t *buf, size_t len, uint8_t *status);
int sbx_upstream_build_socks_connect(uint8_t *out, size_t outlen, uint8_t atyp, const void *target, size_t target_len,
				     uint16_t port);
int sbx_upstream_parse_socks_reply(const uint8_t *buf, size_t len, uint8_t *rep);

/* ---- DNS (RFC 1035) stub server ---------------------------------------- */

enum sbx_dns_rcode {
	SBX_DNS_NOERROR = 0,
	SBX_DNS_FORMERR = 1,
	SBX_DNS_SERVFAIL = 2,
	SBX_DNS_NXDOMAIN = 3,
	SBX_DNS_NOTIMP = 4,
	SBX_DNS_REFUSED = 5,
};
/** Pseudo rcode from sbx_dns_parse_query(): send nothing at all. */
#define SBX_DNS_RCODE_DROP 0xff

#define SBX_DNS_TYPE_A 1
#define SBX_DNS_TYPE_AAAA 28
#define SBX_DNS_CLASS_IN 1
/** Size of the DNS message header. */
#define SBX_DNS_HEADER_LEN 12
/** Classic UDP payload limit without EDNS (RFC 1035 section 4.2.1). */
#define SBX_DNS_UDP_MIN 512
/** Largest UDP payload sbx sends and advertises (DNS flag day 2020 value). */
#define SBX_DNS_UDP_MAX 1232

/**
 * struct sbx_dns_query - a parsed DNS query.
 * @id: message ID, echoed in the response.
 * @qtype: question type (A, AAAA, ...).
 * @qclass: question class (only IN is accepted).
 * @name: question name in presentation form without the trailing dot
 *	("." for the root), case as received; labels hold only printable ASCII
 *	other than '.' and '\\', so no escaping is needed.
 * @rd: recursion desired, echoed.
 * @cd: checking disabled, echoed.
 * @edns: the query carried an OPT record (EDNS0).
 * @edns_udp_size: the UDP payload size it advertised (0 without EDNS).
 * @question_len: bytes of the question section (name, type, class), which
 *	starts at offset 12 of the message; 0 if the question did not parse.
 */
struct sbx_dns_query {
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	char name[256];
	bool rd;
	bool cd;
	bool edns;
	uint16_t edns_udp_size;
	size_t question_len;
};

int sbx_dns_parse_query(const uint8_t *msg, size_t len, struct sbx_dns_query *q, uint8_t *rcode_out);
size_t sbx_dns_udp_limit(const struct sbx_dns_query *q);
int sbx_dns_build_response(const struct sbx_dns_query *q, const uint8_t *query_msg, int rcode, const struct in_addr *v4,
			   size_t n4, const struct in6_addr *v6, size_t n6, uint32_t ttl, size_t max_len, uint8_t *out,
			   size_t outlen);
int sbx_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t outlen);

/* ---- The orchestrator's lines: --control-fd requests, --ask-fd answers (orch.c) ---- */

enum sbx_ctl_op {
	SBX_CTL_NONE,	     /* a blank line or a "#" comment: no reply */
	SBX_CTL_LIST,	     /* list */
	SBX_CTL_ADD,	     /* allow RULE, deny RULE */
	SBX_CTL_REMOVE_ID,   /* remove ID */
	SBX_CTL_REMOVE_RULE, /* remove allow|deny RULE */
	SBX_CTL_POSTURE,     /* posture NAME */
};

/**
 * struct sbx_ctl_request - one --control-fd request.
 * @op: what is asked.
 * @deny: SBX_CTL_ADD, SBX_CTL_REMOVE_RULE: the rule denies.
 * @arg: SBX_CTL_ADD, SBX_CTL_REMOVE_RULE: the rule as written (unchecked: the
 *	policy engine judges it); SBX_CTL_POSTURE: the posture's name. Points
 *	into the parsed line.
 * @id: SBX_CTL_REMOVE_ID: the rule's id.
 */
struct sbx_ctl_request {
	enum sbx_ctl_op op;
	bool deny;
	const char *arg;
	uint32_t id;
};

int sbx_ctl_parse(char *line, struct sbx_ctl_request *req, const char **why);

enum sbx_answer_scope {
	SBX_ANSWER_ONCE,   /* this request */
	SBX_ANSWER_ALWAYS, /* and a rule for exactly what was asked */
	SBX_ANSWER_RULE,   /* and @rule */
};

/**
 * struct sbx_ask_answer - one --ask-fd answer: "ASK allow|deny [once|always|rule RULE]".
 * @ask: the question's number (1 or more).
 * @deny: the answer denies.
 * @scope: how far it reaches.
 * @rule: SBX_ANSWER_RULE: the rule as written (points into the line), else NULL.
 */
struct sbx_ask_answer {
	uint32_t ask;
	bool deny;
	enum sbx_answer_scope scope;
	const char *rule;
};

int sbx_ask_parse_answer(char *line, struct sbx_ask_answer *a);

#endif
