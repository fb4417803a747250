// SPDX-License-Identifier: Apache-2.0
/* The upstream proxy sbx dials through (--upstream-proxy): its URL, its addresses, and credentials the payload never sees. */

/*
 * Theory of operation
 *
 * Behind a corporate proxy, sbx judges every request as it does without
 * one, and then asks the upstream proxy for a tunnel to what it judged
 * instead of dialling it (proxy.c). This file loads, before anything
 * starts, what that needs:
 *
 *  1. the URL (src/proto/upstream.c): http://, socks5:// or socks5h://,
 *     never with credentials in it (they would show in the process list and
 *     in messages); a name is normalised and resolved now, once, so a
 *     failure is reported before the sandbox exists and the proxy can
 *     refuse the upstream's own address as a destination;
 *  2. the credentials, from --upstream-proxy-auth-file or from sbx's own
 *     environment variable SBX_UPSTREAM_PROXY_AUTH ("user:password").
 *
 * The payload must never learn the credentials. The variable is erased in
 * place and removed from sbx's environment here, whatever the posture,
 * before the payload's environment is built from it (and before /proc's
 * view of sbx's initial environment could show it). The credentials live in
 * pages of their own marked MADV_WIPEONFORK (and MADV_DONTDUMP): sandbox
 * init, a clone of the supervisor, starts with those pages zeroed, so even
 * its memory never held them. Only the supervisor's proxy sends them, to
 * the upstream alone; no message, log line or reply to the payload repeats
 * them, nor anything the upstream answered beyond its status code.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allowlist/allowlist.h"
#include "gateway.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

#define SBX_UPLINK_AUTH_MAX 1024

/* One page (or a few) of its own: wiped in every clone, never in a core dump. */
struct uplink_secret {
	char raw[SBX_UPLINK_AUTH_MAX + 1]; /* the file or variable as read, erased once parsed */
	char user[256];
	char pass[256];
	size_t ulen, plen;
	char basic[700]; /* base64 of user:pass, for Proxy-Authorization */
};

static size_t secret_size(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (sizeof(struct uplink_secret) + page - 1) / page * page;
}

static void secret_free(struct uplink_secret *s)
{
	if (!s)
		return;
	explicit_bzero(s, secret_size());
	munmap(s, secret_size());
}

static struct uplink_secret *secret_new(void)
{
	void *p = mmap(NULL, secret_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, secret_size(), MADV_WIPEONFORK) < 0) {
		munmap(p, secret_size());
		return NULL;
	}
	madvise(p, secret_size(), MADV_DONTDUMP);
	return p;
}

/* Split s->raw ("user:password", one optional line end) into its parts; the text is never shown. */
static int parse_auth(struct uplink_secret *s, size_t len)
{
	char *colon;
	char both[520];
	int r = 0;

	if (len && s->raw[len - 1] == '\n')
		len--;
	if (len && s->raw[len - 1] == '\r')
		len--;
	s->raw[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s->raw[i] < 0x20 || s->raw[i] == 0x7f)
			r = -EINVAL;
	colon = memchr(s->raw, ':', len);
	if (r < 0 || !colon)
		return -EINVAL;
	s->ulen = (size_t)(colon - s->raw);
	s->plen = len - s->ulen - 1;
	if (s->ulen == 0 || s->ulen > 255 || s->plen == 0 || s->plen > 255)
		return -EINVAL;
	memcpy(s->user, s->raw, s->ulen);
	memcpy(s->pass, colon + 1, s->plen);
	memcpy(both, s->raw, len);
	r = sbx_upstream_base64((const uint8_t *)both, len, s->basic, sizeof(s->basic));
	explicit_bzero(both, sizeof(both));
	explicit_bzero(s->raw, sizeof(s->raw));
	return r < 0 ? r : 0;
}

static int read_auth_file(struct uplink_secret *s, const char *path, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char q[SBX_QUOTE_LEN];
	struct stat st;
	size_t len = 0;

	sbx_quote(q, sizeof(q), path);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "--upstream-proxy-auth-file %s: %s", q, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--upstream-proxy-auth-file %s: not a regular file", q);
		return -EINVAL;
	}
	while (len <= SBX_UPLINK_AUTH_MAX) {
		ssize_t n = read(fd, s->raw + len, SBX_UPLINK_AUTH_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			snprintf(err, errlen, "--upstream-proxy-auth-file %s: %s", q, strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SBX_UPLINK_AUTH_MAX || parse_auth(s, len) < 0) {
		explicit_bzero(s->raw, sizeof(s->raw));
		snprintf(err, errlen,
			 "--upstream-proxy-auth-file %s: expected one line user:password (a user of 1-255 bytes "
			 "without ':', a password of 1-255 bytes, no control characters)",
			 q);
		return -EINVAL;
	}
	return 0;
}

/*
 * SBX_UPSTREAM_PROXY_AUTH: taken (if @use) and, in any case, erased in place
 * and removed from sbx's environment, so nothing sbx starts can inherit it.
 */
static int take_auth_env(struct uplink_secret *s, bool use, char *err, size_t errlen)
{
	char *v = getenv(SBX_UPSTREAM_AUTH_ENV);
	size_t len = v ? strlen(v) : 0;
	int r = 0;

	if (v && len && use && s) { /* an empty variable (a CI secret not set) counts as none */
		if (len > SBX_UPLINK_AUTH_MAX) {
			r = -EINVAL;
		} else {
			memcpy(s->raw, v, len);
			r = parse_auth(s, len);
		}
		if (r < 0) {
			explicit_bzero(s->raw, sizeof(s->raw));
			snprintf(err, errlen,
				 SBX_UPSTREAM_AUTH_ENV
				 ": expected user:password (a user of 1-255 bytes without ':', "
				 "a password of 1-255 bytes, no control characters)");
		}
	}
	if (v) {
		explicit_bzero(v, len);
		unsetenv(SBX_UPSTREAM_AUTH_ENV);
	}
	return r;
}

/* The upstream's addresses: its address, or its name resolved now. */
static int resolve_host(struct sbx_uplink *up, char *err, size_t errlen)
{
	const char *why = NULL;
	char q[SBX_QUOTE_LEN];
	int r;

	sbx_quote(q, sizeof(q), up->url.host);
	if (sbx_policy_addr_parse(up->url.host, strlen(up->url.host), &up->addrs[0]) == 0) {
		up->n_addrs = 1;
		return 0;
	}
	if (up->url.host_is_v6 ||
	    sbx_policy_host_normalise(up->url.host, strlen(up->url.host), up->name, sizeof(up->name), &why) < 0) {
		snprintf(err, errlen, "--upstream-proxy: invalid host %s: %s", q,
			 why ? why : "not a canonical IPv6 address");
		return -EINVAL;
	}
	r = sbx_sockaddr_resolve(up->name, up->addrs, SBX_ARRAY_SIZE(up->addrs), &up->n_addrs);
	if (r < 0 || up->n_addrs == 0) {
		snprintf(err, errlen, "--upstream-proxy: cannot resolve %s: %s", q,
			 r == -ENOENT || r == 0 ? "no IPv4 or IPv6 address" : "name resolution failed");
		return r < 0 ? r : -ENOENT;
	}
	return 0;
}

/**
 * sbx_uplink_load() - the upstream proxy of --upstream-proxy, with its credentials.
 * @cfg: --upstream-proxy and --upstream-proxy-auth-file
 * @out: the upstream, or NULL without --upstream-proxy; release with
 *	sbx_uplink_free()
 * @err: one message (never quoting the URL or the credentials)
 * @errlen: size of @err
 *
 * Erases SBX_UPSTREAM_PROXY_AUTH from sbx's environment in every case, so
 * call it before the payload's environment is built. A name in the URL is
 * resolved here (blocking).
 *
 * Context: the supervisor, before clone.
 * Return: 0, or a negative errno with @err set.
 */
int sbx_uplink_load(const struct sbx_config *cfg, struct sbx_uplink **out, char *err, size_t errlen)
{
	struct sbx_uplink *up;
	const char *why = NULL;
	int r;

	*out = NULL;
	if (!cfg->upstream_proxy)
		return take_auth_env(NULL, false, err, errlen);
	up = calloc(1, sizeof(*up));
	if (!up) {
		take_auth_env(NULL, false, err, errlen);
		snprintf(err, errlen, "--upstream-proxy: out of memory");
		return -ENOMEM;
	}
	r = sbx_upstream_parse_url(cfg->upstream_proxy, &up->url, &why);
	if (r < 0) {
		take_auth_env(NULL, false, err, errlen);
		snprintf(err, errlen, "--upstream-proxy: %s", why);
		goto fail;
	}
	snprintf(up->shown, sizeof(up->shown), "%s://%s%s%s:%u",
		 up->url.kind == SBX_UPSTREAM_HTTP     ? "http"
		 : up->url.kind == SBX_UPSTREAM_SOCKS5 ? "socks5"
						       : "socks5h",
		 up->url.host_is_v6 ? "[" : "", up->url.host, up->url.host_is_v6 ? "]" : "", up->url.port);
	if (cfg->upstream_proxy_auth_file || (getenv(SBX_UPSTREAM_AUTH_ENV) && getenv(SBX_UPSTREAM_AUTH_ENV)[0])) {
		up->secret = secret_new();
		if (!up->secret) {
			r = -errno;
			take_auth_env(NULL, false, err, errlen);
			snprintf(err, errlen, "--upstream-proxy: cannot set aside memory for the credentials: %s",
				 strerror(-r));
			goto fail;
		}
	}
	r = take_auth_env(up->secret, !cfg->upstream_proxy_auth_file, err, errlen);
	if (r < 0)
		goto fail;
	if (cfg->upstream_proxy_auth_file) {
		r = read_auth_file(up->secret, cfg->upstream_proxy_auth_file, err, errlen);
		if (r < 0)
			goto fail;
	}
	r = resolve_host(up, err, errlen);
	if (r < 0)
		goto fail;
	*out = up;
	return 0;
fail:
	sbx_uplink_free(up);
	return r;
}

/**
 * sbx_uplink_free() - forget the upstream and erase its credentials.
 * @up: the upstream, or NULL
 */
void sbx_uplink_free(struct sbx_uplink *up)
{
	if (!up)
		return;
	secret_free(up->secret);
	free(up);
}

/**
 * sbx_uplink_is_upstream() - whether a destination is the upstream proxy itself.
 * @up: the upstream
 * @a: an address about to be asked for (IPv4-mapped as its IPv4), or NULL
 * @name: a normalised name about to be handed over unresolved, or NULL
 * @port: its port
 *
 * The payload must not reach the upstream as a destination: through it, it
 * would speak to the upstream directly and could ask it for anything.
 *
 * Return: true if @a or @name with @port is the upstream's endpoint.
 */
bool sbx_uplink_is_upstream(const struct sbx_uplink *up, const struct sbx_addr *a, const char *name, uint16_t port)
{
	struct sbx_addr v, w;

	if (port != up->url.port)
		return false;
	if (name)
		return up->name[0] && strcmp(name, up->name) == 0;
	sbx_sockaddr_unmap(a, &v);
	for (size_t i = 0; i < up->n_addrs; i++) {
		sbx_sockaddr_unmap(&up->addrs[i], &w);
		if (w.family == v.family && memcmp(w.b, v.b, v.family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/**
 * sbx_uplink_takes_names() - whether the upstream may be handed a name to resolve itself.
 * @up: the upstream
 *
 * Return: true for http:// and socks5h://, false for socks5:// (addresses only).
 */
bool sbx_uplink_takes_names(const struct sbx_uplink *up)
{
	return up->url.kind != SBX_UPSTREAM_SOCKS5;
}

/* ---- one handshake: sbx asks the upstream for one tunnel ------------------- */

enum hs_step { HS_HTTP, HS_SOCKS_METHOD, HS_SOCKS_AUTH, HS_SOCKS_CONNECT };

struct sbx_uplink_hs {
	const struct sbx_uplink *up;
	enum hs_step step;
	struct sbx_addr target; /* the judged address, unless @by_name */
	bool by_name;
	char name[SBX_POLICY_HOST_MAX];
	uint16_t port;
	char shown[SBX_POLICY_HOST_MAX + 16]; /* "11.11.0.10:80", "[::1]:22", "name:443" */
	uint8_t out[SBX_UPSTREAM_REQ_MAX];    /* what to send; may hold the credentials: erased once sent */
	size_t out_len, out_off;
	uint8_t in[SBX_UPSTREAM_HTTP_HEAD_MAX]; /* the upstream's answer so far */
	size_t in_len;
	size_t rest_off; /* after DONE: bytes from here on belong to the tunnel */
};

/**
 * sbx_uplink_hs_new() - prepare the request for one tunnel through the upstream.
 * @up: the upstream
 * @a: the judged address to ask for, or NULL with @name
 * @name: a normalised name the upstream resolves itself (http://, socks5h://), or NULL
 * @port: the destination port
 * @out: the handshake, to drive with sbx_uplink_hs_io() once connected
 *
 * Return: 0, -ENOMEM, or -EINVAL when the request cannot be built.
 */
int sbx_uplink_hs_new(const struct sbx_uplink *up, const struct sbx_addr *a, const char *name, uint16_t port,
		      struct sbx_uplink_hs **out)
{
	struct sbx_uplink_hs *hs = calloc(1, sizeof(*hs));
	char text[SBX_POLICY_ADDR_STRLEN];
	int n;

	*out = NULL;
	if (!hs)
		return -ENOMEM;
	hs->up = up;
	hs->port = port;
	if (name) {
		hs->by_name = true;
		snprintf(hs->name, sizeof(hs->name), "%s", name);
		snprintf(hs->shown, sizeof(hs->shown), "%s:%u", name, port);
	} else {
		sbx_sockaddr_unmap(a, &hs->target);
		if (sbx_policy_addr_format(&hs->target, text, sizeof(text)) < 0) {
			free(hs);
			return -EINVAL;
		}
		snprintf(hs->shown, sizeof(hs->shown), hs->target.family == AF_INET6 ? "[%s]:%u" : "%s:%u", text, port);
	}
	if (up->url.kind == SBX_UPSTREAM_HTTP) {
		hs->step = HS_HTTP;
		n = sbx_upstream_build_http_connect((char *)hs->out, sizeof(hs->out), hs->shown,
						    up->secret ? up->secret->basic : NULL);
	} else {
		hs->step = HS_SOCKS_METHOD;
		n = (int)sbx_upstream_build_socks_greeting(hs->out, up->secret != NULL);
	}
	if (n < 0) {
		sbx_uplink_hs_free(hs);
		return n;
	}
	hs->out_len = (size_t)n;
	*out = hs;
	return 0;
}

/**
 * sbx_uplink_hs_free() - forget a handshake, erasing what it sent.
 * @hs: the handshake, or NULL
 */
void sbx_uplink_hs_free(struct sbx_uplink_hs *hs)
{
	if (!hs)
		return;
	explicit_bzero(hs, sizeof(*hs));
	free(hs);
}

/**
 * sbx_uplink_hs_wants_write() - whether part of a request still waits to be sent.
 * @hs: the handshake
 *
 * Return: true if the caller should wait for the socket to be writable.
 */
bool sbx_uplink_hs_wants_write(const struct sbx_uplink_hs *hs)
{
	return hs->out_off < hs->out_len;
}

/**
 * sbx_uplink_hs_rest() - bytes the upstream sent after its reply: the destination's first.
 * @hs: a handshake that returned SBX_HS_DONE
 * @n: their count
 *
 * Return: the bytes (valid until sbx_uplink_hs_free()).
 */
const uint8_t *sbx_uplink_hs_rest(const struct sbx_uplink_hs *hs, size_t *n)
{
	*n = hs->in_len - hs->rest_off;
	return hs->in + hs->rest_off;
}

static enum sbx_uplink_hs_status hs_fail(struct sbx_uplink_result *res, uint8_t socks_rep, bool next_target,
					 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum sbx_uplink_hs_status hs_fail(struct sbx_uplink_result *res, uint8_t socks_rep, bool next_target,
					 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->why, sizeof(res->why), fmt, ap);
	va_end(ap);
	res->socks_rep = socks_rep;
	res->next_target = next_target;
	return SBX_HS_FAILED;
}

/* Our own words for an upstream's status: its reason phrase and page are never passed on. */
static const char *http_status_text(int status)
{
	switch (status) {
	case 400:
		return " Bad Request";
	case 401:
		return " Unauthorized";
	case 403:
		return " Forbidden";
	case 404:
		return " Not Found";
	case 405:
		return " Method Not Allowed";
	case 407:
		return " Proxy Authentication Required";
	case 429:
		return " Too Many Requests";
	case 500:
		return " Internal Server Error";
	case 501:
		return " Not Implemented";
	case 502:
		return " Bad Gateway";
	case 503:
		return " Service Unavailable";
	case 504:
		return " Gateway Timeout";
	default:
		return "";
	}
}

static const char *socks_rep_text(uint8_t rep)
{
	static const char *const names[] = {
		"succeeded",	       "general failure",	"connection not allowed by ruleset",
		"network unreachable", "host unreachable",	"connection refused",
		"TTL expired",	       "command not supported", "address type not supported",
	};

	return rep < sizeof(names) / sizeof(names[0]) ? names[rep] : "unassigned reply";
}

/* The next request of the SOCKS5 exchange, into hs->out. */
static int hs_queue(struct sbx_uplink_hs *hs, enum hs_step step)
{
	struct sbx_addr *t = &hs->target;
	int n;

	if (step == HS_SOCKS_AUTH)
		n = sbx_upstream_build_socks_auth(hs->out, sizeof(hs->out), hs->up->secret->user, hs->up->secret->ulen,
						  hs->up->secret->pass, hs->up->secret->plen);
	else if (hs->by_name)
		n = sbx_upstream_build_socks_connect(hs->out, sizeof(hs->out), SBX_SOCKS5_ATYP_DOMAIN, hs->name,
						     strlen(hs->name), hs->port);
	else
		n = sbx_upstream_build_socks_connect(hs->out, sizeof(hs->out),
						     t->family == AF_INET ? SBX_SOCKS5_ATYP_IPV4 : SBX_SOCKS5_ATYP_IPV6,
						     t->b, 0, hs->port);
	if (n < 0)
		return n;
	hs->step = step;
	hs->out_len = (size_t)n;
	hs->out_off = 0;
	return 0;
}

/* Parse what arrived; send the next request of the exchange if one is due. */
static enum sbx_uplink_hs_status hs_parse(struct sbx_uplink_hs *hs, struct sbx_uplink_result *res)
{
	const char *who = hs->up->shown;
	uint8_t v = 0;
	int status = 0, r;

	for (;;) {
		switch (hs->step) {
		case HS_HTTP:
			r = sbx_upstream_parse_http_reply((const char *)hs->in, hs->in_len, sizeof(hs->in), &status);
			if (r == 0)
				return SBX_HS_MORE;
			if (r < 0)
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s did not answer CONNECT %s with HTTP", who,
					       hs->shown);
			if (status / 100 == 2) {
				hs->rest_off = (size_t)r;
				return SBX_HS_DONE;
			}
			if (status == 407)
				return hs_fail(
					res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					"the upstream proxy %s refused CONNECT %s: 407 Proxy Authentication "
					"Required (%s)",
					who, hs->shown,
					hs->up->secret
						? "it did not accept sbx's credentials"
						: "sbx has no credentials: --upstream-proxy-auth-file or " SBX_UPSTREAM_AUTH_ENV);
			/* A gateway error is about this destination: another address may do. */
			return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, status == 502 || status == 504,
				       "the upstream proxy %s refused CONNECT %s: %d%s", who, hs->shown, status,
				       http_status_text(status));
		case HS_SOCKS_METHOD:
			r = sbx_upstream_parse_socks_method(hs->in, hs->in_len, &v);
			if (r == 0)
				return SBX_HS_MORE;
			if (r < 0)
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s did not answer as a SOCKS5 server", who);
			if (v == 0x02 && hs->up->secret)
				r = hs_queue(hs, HS_SOCKS_AUTH);
			else if (v == 0x00)
				r = hs_queue(hs, HS_SOCKS_CONNECT);
			else
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s accepted none of sbx's authentication methods "
					       "(%s)",
					       who,
					       hs->up->secret ? "none, user name and password"
							      : "sbx offered none: it has no credentials; "
								"--upstream-proxy-auth-file or " SBX_UPSTREAM_AUTH_ENV);
			break;
		case HS_SOCKS_AUTH:
			r = sbx_upstream_parse_socks_auth(hs->in, hs->in_len, &v);
			if (r == 0)
				return SBX_HS_MORE;
			if (r < 0 || v != 0)
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s did not accept sbx's user name and password",
					       who);
			r = hs_queue(hs, HS_SOCKS_CONNECT);
			r = r < 0 ? r : 2;
			break;
		case HS_SOCKS_CONNECT:
			r = sbx_upstream_parse_socks_reply(hs->in, hs->in_len, &v);
			if (r == 0)
				return SBX_HS_MORE;
			if (r < 0)
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s answered CONNECT %s with a malformed reply", who,
					       hs->shown);
			if (v == 0) {
				hs->rest_off = (size_t)r;
				return SBX_HS_DONE;
			}
			/* Unreachable, refused, expired: about this destination, passed on as such. */
			return hs_fail(res,
				       v >= SBX_SOCKS5_REP_NET_UNREACHABLE && v <= SBX_SOCKS5_REP_TTL_EXPIRED
					       ? v
					       : SBX_SOCKS5_REP_GENERAL_FAILURE,
				       v >= SBX_SOCKS5_REP_NET_UNREACHABLE && v <= SBX_SOCKS5_REP_TTL_EXPIRED,
				       "the upstream proxy %s refused CONNECT %s: SOCKS5 reply %u (%s)", who, hs->shown,
				       v, socks_rep_text(v));
		}
		if (r < 0)
			return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
				       "cannot build the request for the upstream proxy %s", who);
		/* The reply of this step is consumed; what follows it waits for the next. */
		memmove(hs->in, hs->in + 2, hs->in_len - 2);
		hs->in_len -= 2;
		if (hs->out_len)
			return SBX_HS_MORE; /* the caller sends hs->out first */
	}
}

/**
 * sbx_uplink_hs_io() - send what is due and read what the upstream answered.
 * @hs: the handshake
 * @fd: the connected socket to the upstream (non-blocking)
 * @events: what epoll reported (EPOLLOUT right after the connect)
 * @res: on SBX_HS_FAILED, what to tell the client and the log
 *
 * The request goes out first; the answer is read as it comes (each SOCKS5
 * step's request only once the previous reply arrived). Nothing the payload
 * sent is involved: its bytes flow only after SBX_HS_DONE.
 *
 * Context: the supervisor's loop.
 * Return: SBX_HS_MORE (wait for @fd: writable if sbx_uplink_hs_wants_write(),
 * else readable), SBX_HS_DONE (the tunnel is open; sbx_uplink_hs_rest()
 * holds the destination's first bytes), or SBX_HS_FAILED.
 */
enum sbx_uplink_hs_status sbx_uplink_hs_io(struct sbx_uplink_hs *hs, int fd, uint32_t events,
					   struct sbx_uplink_result *res)
{
	const char *who = hs->up->shown;

	memset(res, 0, sizeof(*res));
	for (;;) {
		bool progress = false, eof = false;
		int err = 0;

		while (hs->out_off < hs->out_len) {
			ssize_t n =
				send(fd, hs->out + hs->out_off, hs->out_len - hs->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return SBX_HS_MORE;
			if (n < 0)
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s: connection lost during the handshake (%s)", who,
					       strerror(errno));
			hs->out_off += (size_t)n;
		}
		if (hs->out_len) {
			explicit_bzero(hs->out, hs->out_len); /* may hold the credentials */
			hs->out_len = hs->out_off = 0;
		}
		while (hs->in_len < sizeof(hs->in)) {
			ssize_t n = recv(fd, hs->in + hs->in_len, sizeof(hs->in) - hs->in_len, MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				/* An answer followed by a close (a refusal often is) is still an answer. */
				err = n < 0 ? errno : 0;
				eof = true;
				break;
			}
			hs->in_len += (size_t)n;
			progress = true;
			if (hs->step != HS_HTTP)
				break; /* SOCKS5: one step at a time */
		}
		if (!progress && !hs->in_len && !eof)
			return SBX_HS_MORE;
		switch (hs->in_len ? hs_parse(hs, res) : SBX_HS_MORE) {
		case SBX_HS_DONE:
			return SBX_HS_DONE;
		case SBX_HS_FAILED:
			return SBX_HS_FAILED;
		case SBX_HS_MORE:
			break;
		}
		if (eof && !hs->out_len)
			return err ? hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					     "the upstream proxy %s: connection lost during the handshake (%s)", who,
					     strerror(err))
				   : hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					     "the upstream proxy %s closed the connection before answering CONNECT %s",
					     who, hs->shown);
		if (!hs->out_len && (!progress || hs->in_len == sizeof(hs->in))) {
			if (hs->in_len == sizeof(hs->in))
				return hs_fail(res, SBX_SOCKS5_REP_GENERAL_FAILURE, false,
					       "the upstream proxy %s sent an overlong answer to CONNECT %s", who,
					       hs->shown);
			return SBX_HS_MORE;
		}
	}
}
