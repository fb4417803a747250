// SPDX-License-Identifier: Apache-2.0
/* The allowlist proxy: HTTP CONNECT, plain-HTTP forwarding and SOCKS5 on one port, in the supervisor's loop. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway.h"
#include "lib/list.h"
#include "lib/netlog.h"
#include "lib/procinfo.h"
#include "lib/sockaddr.h"
#include "sbx/proto.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * Clients reach this code only through listening sockets that live in the
 * gateway namespace; every upstream socket is created here, in the host's
 * network namespace. One connection goes through these states:
 *
 *   HEAD      read the request: first byte 0x05 is SOCKS5, 0x04 SOCKS4
 *             (refused), anything else HTTP. Bounded in size and time.
 *   ASK       no rule decides the target and --ask-fd is given: the request
 *             waits for the orchestrator's answer (ask.c), alone.
 *   RESOLVE   the target is a name the policy allows: one getaddrinfo() on a
 *             resolver thread; every returned address is judged (one denied
 *             address denies the request) and the host's own addresses are
 *             refused: names never reach host services.
 *   CONNECT   non-blocking connect to the judged addresses in order, never to
 *             anything else; the next one on failure.
 *   TUNNEL    bytes copied both ways through one shared large buffer; what a
 *             slow side cannot take is kept per direction and reading from
 *             the other side pauses until it drains. Half-close is passed on.
 *             A reset (or any other socket error) is passed on as a reset
 *             (SO_LINGER 0), never as a clean end of stream: a download cut
 *             by the destination must not look complete to the client.
 *             A side that hung up while its bytes wait for the other side
 *             to drain is paused out of epoll (EPOLLHUP is reported
 *             whatever the interest, level-triggered: it would spin).
 *
 * UPLINK     with --upstream-proxy, CONNECT dials the upstream proxy instead,
 *             and sbx asks it for a tunnel to the judged address (uplink.c),
 *             before the payload's bytes flow; a name only when the host
 *             could not resolve it. Host services are dialled directly.
 *
 * Descriptor exhaustion: a request that cannot get an upstream socket
 * (EMFILE, ENFILE) answers 503 / REP 0x01 naming the limit, never a 502 that
 * blames the destination; an accept that fails so makes the gateway rest its
 * listeners for a moment (sbx_proxy_accept()'s return) instead of spinning.
 *
 * A policy change (--control-fd, an --ask-fd answer that adds a rule) judges
 * every request again with the new version: one it now denies is refused,
 * an open tunnel is reset, and a request waiting for an answer that a new
 * rule decides goes on at once. A connection keeps a reference on the
 * version its decision came from (c->pol), for the log line at its end.
 *
 * A denied name is never resolved. Denials answer 403 with X-Sbx-Denied (HTTP)
 * or REP 0x02 (SOCKS5). Every decision is logged once: denials at once,
 * allowed connections when they close, with their byte counts.
 *
 * Plain-HTTP forwarding sends one request: the head is rebuilt in origin-form
 * with "Connection: close", a body of known length is passed on and nothing
 * after it is read, so a pipelined second request cannot ride along. (A
 * chunked body is passed on as a stream; it can still only reach the
 * destination that was judged.)
 */

enum conn_state { S_HEAD, S_ASK, S_RESOLVE, S_CONNECT, S_UPLINK, S_TUNNEL };
enum conn_proto { P_UNKNOWN, P_HTTP, P_SOCKS };

struct dir {
	char *pend; /* bytes read but not yet written */
	size_t pend_len, pend_off;
	bool eof;     /* source finished */
	bool shut;    /* shutdown(SHUT_WR) done on the destination */
	bool limited; /* forwarding: stop reading after @left bytes */
	uint64_t left;
	uint64_t bytes;
};

struct sbx_conn {
	struct sbx_list link;	 /* in sbx_proxy.conns */
	struct sbx_procinfo who; /* the sandbox process that connected (when there is a decision log) */
	struct sbx_proxy *px;
	struct sbx_watch cw, uw; /* client, upstream */
	enum conn_state state;
	enum conn_proto proto;
	bool socks_greeted;
	bool http_forward;
	bool dead;
	bool c_hup, u_hup; /* the side reported EPOLLHUP: paused while nothing can be done on it */
	char *in;	   /* request head bytes */
	size_t in_len;
	/* target */
	char host[SBX_POLICY_HOST_MAX + 2]; /* as named, for logs and messages */
	uint16_t port;
	struct sbx_dest dest;
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
	size_t n_addrs, next_addr;
	struct sbx_decision d;
	const struct sbx_policy *pol; /* the version @d points into (a reference), or NULL */
	struct sbx_ask_wait ask;      /* S_ASK */
	bool granted;		      /* the orchestrator allowed it once: judged with sbx_policy_judge_granted() */
	struct sbx_resolve_req *rq;
	const char *checked; /* what the policy judged: "address", "name" or "name+addresses" (the log) */
	/* through the upstream proxy (--upstream-proxy, uplink.c) */
	bool via_uplink;	  /* the tunnel is asked of the upstream proxy, not dialled */
	bool by_name;		  /* ...for the name, unresolved: local resolution failed */
	bool name_tried;	  /* by_name: the one target was asked for */
	size_t uplink_next;	  /* the next address of the upstream proxy to dial */
	struct sbx_uplink_hs *hs; /* S_UPLINK: the handshake */
	uint8_t uplink_rep;	  /* the SOCKS5 reply for the client when every target failed */
	char *why;		  /* an error composed for this connection (heap, only when needed) */
	/* tunnel */
	struct dir up, down; /* client -> upstream, upstream -> client */
	uint64_t start_ms, deadline_ms, last_ms;
	const char *error; /* why an allowed connection failed, for the log */
};

#define SBX_PROXY_RELAY_BUF (256 * 1024)

struct sbx_proxy {
	const struct sbx_gw_ctx *ctx;
	struct sbx_list conns; /* every open connection */
	unsigned n_conns;
	char *relay_buf; /* shared by every tunnel: data is never kept in it across events */
};

static const char *proto_name(const struct sbx_conn *c)
{
	return c->proto == P_SOCKS ? "socks5" : c->http_forward ? "http" : "connect";
}

/*
 * The host as the log shows it: the normalised name, or the address; a
 * spelling that is neither (refused before the policy was asked) keeps only
 * the characters a host name or address text can hold. Text the payload
 * chose never reaches the log as it wrote it.
 */
static const char *log_host(const struct sbx_conn *c, char *buf, size_t len)
{
	if (!c->dest.is_addr && c->dest.host[0])
		return c->dest.host;
	return sbx_netlog_shown_host(c->host, buf, len);
}

static void conn_log(struct sbx_conn *c, bool decided)
{
	char shown[sizeof(c->host)];
	struct sbx_netlog_entry e = {
		.proto = proto_name(c),
		.host = log_host(c, shown, sizeof(shown)),
		.port = c->port,
		.addrs = c->n_addrs ? c->addrs : (c->dest.is_addr ? &c->dest.addr : NULL),
		.n_addrs = c->n_addrs ? c->n_addrs : (c->dest.is_addr ? 1 : 0),
		.d = decided ? &c->d : NULL,
		.error = c->error,
		.checked = c->checked,
		.bytes_up = c->up.bytes,
		.bytes_down = c->down.bytes,
		.duration_ms = sbx_loop_now_ms() - c->start_ms,
		.pid = c->who.ns_pid,
		.comm = c->who.comm,
	};

	sbx_netlog_write(c->px->ctx->log, &e);
}

/* The current policy version, held for as long as c->d may point into it. */
static const struct sbx_policy *judging(struct sbx_conn *c)
{
	sbx_livepolicy_put(c->px->ctx->live, c->pol);
	c->pol = sbx_livepolicy_get(c->px->ctx->live);
	return c->pol;
}

static void conn_free(void *arg)
{
	struct sbx_conn *c = arg;

	sbx_livepolicy_put(c->px->ctx->live, c->pol);
	free(c->why);
	free(c->in);
	free(c->up.pend);
	free(c->down.pend);
	free(c);
}

/* Close both sides now; free after this batch of events. */
static void conn_close(struct sbx_conn *c)
{
	struct sbx_proxy *px = c->px;

	if (c->dead)
		return;
	c->dead = true;
	if (c->rq)
		sbx_resolver_cancel(c->rq);
	c->rq = NULL;
	sbx_ask_cancel(px->ctx->ask, &c->ask);
	sbx_uplink_hs_free(c->hs);
	c->hs = NULL;
	if (c->state == S_TUNNEL)
		conn_log(c, true);
	sbx_loop_unwatch(px->ctx->loop, &c->cw);
	close(c->cw.fd);
	if (c->uw.fd >= 0) {
		sbx_loop_unwatch(px->ctx->loop, &c->uw);
		close(c->uw.fd);
	}
	sbx_list_del(&c->link);
	px->n_conns--;
	sbx_loop_defer(px->ctx->loop, conn_free, c);
}

/* Best effort: the client gets the reply, or the connection closes anyway. */
static void send_now(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n <= 0)
			return;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
}

static void http_reply(struct sbx_conn *c, int status, const char *denied, const char *body)
{
	char resp[4096], hdr[600];
	const char *extra[2] = {NULL, NULL};
	int n;

	if (denied) {
		snprintf(hdr, sizeof(hdr), "X-Sbx-Denied: %s", denied);
		for (char *p = hdr; *p; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		extra[0] = hdr;
	}
	n = sbx_http_build_response(resp, sizeof(resp), status, NULL, extra, body);
	if (n > 0)
		send_now(c->cw.fd, resp, (size_t)n);
}

static void socks_reply(struct sbx_conn *c, uint8_t rep, const struct sockaddr *bound)
{
	uint8_t out[SBX_SOCKS5_REPLY_MAX];
	size_t n = sbx_socks5_build_reply(out, rep, bound);

	send_now(c->cw.fd, out, n);
}

/* Which flag would have allowed it, for the 403 body. */
static void suggest(const struct sbx_conn *c, char *buf, size_t len)
{
	bool v6 = strchr(c->host, ':') != NULL;
	char target[SBX_POLICY_HOST_MAX + 16];
	char a[SBX_POLICY_ADDR_STRLEN] = "";
	const struct sbx_addr *addr = c->d.has_addr || c->d.reason == SBX_REASON_HOST_ADDRESS ? &c->d.addr
											      : &c->dest.addr;
	bool a6 = addr->family == AF_INET6;

	sbx_policy_addr_format(addr, a, sizeof(a));
	snprintf(target, sizeof(target), "%s%s%s:%u", v6 ? "[" : "", c->host, v6 ? "]" : "", c->port);
	if (c->d.reason == SBX_REASON_RULE && c->d.rule && sbx_policy_rule_is_deny(c->d.rule)) {
		char src[128];
		sbx_policy_rule_source(c->d.rule, src, sizeof(src));
		snprintf(buf, len, "removing the deny rule \"%s\" (%s)", sbx_policy_rule_text(c->d.rule), src);
	} else if (c->d.reason == SBX_REASON_HOST_ADDRESS &&
		   (c->d.classes & (SBX_ADDR_UNSPECIFIED | SBX_ADDR_THIS_NETWORK))) {
		snprintf(buf, len,
			 "nothing: the unspecified address is never a host service; ask for the host's address "
			 "itself (127.0.0.1 or [::1]) with --allow naming it and the port");
	} else if (c->d.reason == SBX_REASON_HOST_ADDRESS && !c->dest.is_addr) {
		snprintf(buf, len,
			 "nothing through a name: host services are reached by address; ask for %s%s%s:%u "
			 "itself, with --allow %s%s%s:%u",
			 a6 ? "[" : "", a, a6 ? "]" : "", c->port, a6 ? "[" : "", a, a6 ? "]" : "", c->port);
	} else if (c->d.reason == SBX_REASON_HOST_ADDRESS) {
		snprintf(buf, len, "--allow %s%s%s:%u (a host service: exactly this address and port)", a6 ? "[" : "",
			 a, a6 ? "]" : "", c->port);
	} else if (c->d.has_addr || c->dest.is_addr || c->d.reason == SBX_REASON_SPECIAL) {
		snprintf(buf, len, "--allow %s%s%s:%u", a6 ? "[" : "", a, a6 ? "]" : "", c->port);
	} else {
		snprintf(buf, len, "--allow %s", target);
	}
}

/* Refuse by the decision in c->d: 403 / REP 0x02, log, close. */
static void deny(struct sbx_conn *c)
{
	char why[SBX_POLICY_EXPLAIN_MAX + 64], flag[SBX_POLICY_HOST_MAX + 160], body[2048];

	sbx_policy_explain(&c->d, why, sizeof(why));
	conn_log(c, true);
	if (c->proto == P_SOCKS) {
		socks_reply(c, SBX_SOCKS5_REP_NOT_ALLOWED, NULL);
	} else {
		suggest(c, flag, sizeof(flag));
		snprintf(body, sizeof(body), "sbx: %s %s:%u denied: %s\nIt would be allowed by: %s\n",
			 c->http_forward ? "request to" : "CONNECT", c->host, c->port, why, flag);
		http_reply(c, 403, why, body);
	}
	conn_close(c);
}

/*
 * A target refused before the policy is asked (a numeric spelling other
 * than canonical address text such as 2130706433, 0x7f.1 or 127.1; a
 * malformed name; the upstream proxy itself): answered and logged like a
 * policy denial, with @why in the 403's header and body and @advice after it.
 */
static void refuse_before_policy(struct sbx_conn *c, const char *why, const char *logged, const char *advice)
{
	char body[1400];

	c->error = logged;
	conn_log(c, false);
	if (c->proto == P_SOCKS) {
		socks_reply(c, SBX_SOCKS5_REP_NOT_ALLOWED, NULL);
	} else {
		snprintf(body, sizeof(body), "sbx: %s %s:%u denied: %s\nNo rule can allow it: %s\n",
			 c->http_forward ? "request to" : "CONNECT", c->host, c->port, why, advice);
		http_reply(c, 403, why, body);
	}
	conn_close(c);
}

static void refuse_spelling(struct sbx_conn *c, const char *why)
{
	refuse_before_policy(c, why, why, "name the host by its name or its canonical address.");
}

/* A failure that is not a policy decision (bad request, unreachable, timeout). */
static void fail_request(struct sbx_conn *c, int http_status, uint8_t socks_rep, const char *why, bool log_decided)
{
	char body[512];

	c->error = why;
	if (log_decided || c->state != S_HEAD)
		conn_log(c, log_decided);
	if (c->proto == P_SOCKS) {
		socks_reply(c, socks_rep, NULL);
	} else if (c->proto == P_HTTP) {
		snprintf(body, sizeof(body), "sbx: %s\n", why);
		http_reply(c, http_status, NULL, body);
	}
	conn_close(c);
}

/* The 503 reason when sbx cannot open a socket: which limit, and what to change. */
static const char *nofd_reason(int err)
{
	if (err == ENFILE)
		return "out of file descriptors (ENFILE: the host's file table is full, fs.file-max): sbx could not "
		       "open a connection for this request; lower --proxy-max-conns or free descriptors on the host";
	return "out of file descriptors (EMFILE): sbx could not open a connection for this request; raise its "
	       "open-files limit (ulimit -n) or lower --proxy-max-conns";
}

static bool is_nofd(int err)
{
	return err == EMFILE || err == ENFILE;
}

/*
 * @a is the host's own (one of its interface addresses, which only the
 * gateway knows; loopback the policy judged already): the policy decides
 * again, knowing it (sbx_policy_judge_host(): only a host-service rule for
 * exactly @a and the port, named as an address, opens it). Or sbx could not
 * tell: the host's addresses changed and re-reading them failed for want of
 * descriptors, which is sbx's limit, answered as such (503).
 * Return: true if the request was answered (refused).
 */
static bool refuse_self(struct sbx_conn *c, const struct sbx_addr *a)
{
	const struct sbx_hostaddr *h = c->px->ctx->host;
	struct sbx_decision d;

	if (!sbx_hostaddr_is_self(c->px->ctx->host, a))
		return false;
	if (h->stale && is_nofd(h->stale_err)) {
		fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, nofd_reason(h->stale_err), true);
		return true;
	}
	if (sbx_policy_judge_host(judging(c), a, c->port, c->dest.is_addr, &d) == SBX_VERDICT_ALLOW) {
		c->d = d; /* the log names the host-service rule */
		return false;
	}
	c->d = d;
	c->error = "host address";
	deny(c);
	return true;
}

/* ---- the data path ------------------------------------------------------ */

/*
 * epoll reports EPOLLHUP whatever the interest, level-triggered. A side that
 * hung up and has nothing to do now (its last bytes wait for the other side
 * to take what is pending) is taken out of epoll until it has; otherwise
 * every loop iteration would wake for it again: a spin at 100% CPU.
 */
static void watch_side(struct sbx_conn *c, struct sbx_watch *w, uint32_t events, bool hup)
{
	if (!events && hup)
		sbx_loop_pause(c->px->ctx->loop, w);
	else
		sbx_loop_watch(c->px->ctx->loop, w, events);
}

static void update_interest(struct sbx_conn *c)
{
	uint32_t ce = 0, ue = 0;

	if (c->state == S_TUNNEL) {
		if (!c->up.eof && !c->up.pend_len)
			ce |= EPOLLIN;
		if (c->down.pend_len)
			ce |= EPOLLOUT;
		if (!c->down.eof && !c->down.pend_len)
			ue |= EPOLLIN;
		if (c->up.pend_len)
			ue |= EPOLLOUT;
		watch_side(c, &c->cw, ce, c->c_hup);
		watch_side(c, &c->uw, ue, c->u_hup);
		return;
	} else if (c->state == S_HEAD) {
		ce = EPOLLIN;
	} else if (c->state == S_CONNECT) {
		ue = EPOLLOUT;
	} else if (c->state == S_UPLINK) {
		ue = EPOLLIN | (sbx_uplink_hs_wants_write(c->hs) ? EPOLLOUT : 0);
	}
	sbx_loop_watch(c->px->ctx->loop, &c->cw, ce);
	if (c->uw.fd >= 0)
		sbx_loop_watch(c->px->ctx->loop, &c->uw, ue);
}

/* Write what @d holds to @fd. Return: 0 drained, 1 still pending, or a negative errno. */
static int flush_dir(struct dir *d, int fd)
{
	while (d->pend_len) {
		ssize_t n = send(fd, d->pend + d->pend_off, d->pend_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : -errno;
		d->pend_off += (size_t)n;
		d->pend_len -= (size_t)n;
		d->bytes += (uint64_t)n;
	}
	free(d->pend);
	d->pend = NULL;
	d->pend_off = 0;
	return 0;
}

/* Keep @len bytes of @buf for later (the destination is full). */
static int keep_pending(struct dir *d, const char *buf, size_t len)
{
	d->pend = malloc(len);
	if (!d->pend)
		return -1;
	memcpy(d->pend, buf, len);
	d->pend_len = len;
	d->pend_off = 0;
	return 0;
}

/*
 * Move data from @from to @to through the shared buffer.
 * Return: 0, or a negative errno; *@to_failed tells whether it came from
 * @to (a send) rather than @from (a receive, or keeping bytes).
 */
static int pump(struct sbx_conn *c, struct dir *d, int from, int to, bool *to_failed)
{
	char *buf = c->px->relay_buf;

	for (int rounds = 0; rounds < 4 && !d->eof && !d->pend_len; rounds++) {
		size_t want = SBX_PROXY_RELAY_BUF;
		ssize_t n, w;

		if (d->limited) {
			if (d->left == 0) {
				d->eof = true; /* forwarding: the request is complete; the rest is not read */
				break;
			}
			if (d->left < want)
				want = (size_t)d->left;
		}
		n = recv(from, buf, want, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0) {
			d->eof = true;
			break;
		}
		if (d->limited)
			d->left -= (uint64_t)n;
		c->last_ms = sbx_loop_now_ms();
		w = send(to, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				*to_failed = true;
				return -errno;
			}
			w = 0;
		}
		d->bytes += (uint64_t)w;
		if (w < n && keep_pending(d, buf + w, (size_t)(n - w)) < 0)
			return -ENOMEM;
		if ((size_t)n < want)
			break;
	}
	return 0;
}

static void after_io(struct sbx_conn *c)
{
	/* Pass a finished direction's EOF on once its bytes are out. */
	if (c->up.eof && !c->up.pend_len && !c->up.shut && !c->up.limited) {
		shutdown(c->uw.fd, SHUT_WR);
		c->up.shut = true;
	}
	if (c->down.eof && !c->down.pend_len && !c->down.shut) {
		shutdown(c->cw.fd, SHUT_WR);
		c->down.shut = true;
	}
	if (c->down.eof && !c->down.pend_len && (c->up.eof || c->up.limited) && !c->up.pend_len) {
		conn_close(c);
		return;
	}
	update_interest(c);
}

/* Why a tunnel failed, for the decision log: @client is the side the error came from. */
static const char *tunnel_error(bool client, int err)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
		return client ? "reset by the client" : "reset by the destination";
	case ETIMEDOUT:
		return client ? "the client's connection timed out" : "the connection to the destination timed out";
	case ENOMEM:
		return "sbx is out of memory";
	default:
		return client ? "the client's connection failed" : "the connection to the destination failed";
	}
}

/*
 * A side failed (a reset, a timeout, another socket error) or sbx lost bytes:
 * close both with SO_LINGER 0, so each peer that is still there gets a reset.
 * A normal close would send FIN and the failure would reach the payload as a
 * clean end of stream: a truncated download would look complete. Bytes still
 * pending are dropped, as a reset drops them.
 */
/* Close both sides with SO_LINGER 0: each peer still there gets a reset; @why goes to the log. */
static void reset_both(struct sbx_conn *c, const char *why)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	c->error = why;
	setsockopt(c->cw.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->uw.fd >= 0)
		setsockopt(c->uw.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	conn_close(c);
}

static void tunnel_abort(struct sbx_conn *c, bool client, int err)
{
	reset_both(c, tunnel_error(client, err));
}

static void tunnel_event(struct sbx_conn *c, bool client, uint32_t events)
{
	int fd = client ? c->cw.fd : c->uw.fd;
	int r;

	if (events & EPOLLHUP)
		*(client ? &c->c_hup : &c->u_hup) = true;
	if (events & EPOLLOUT) {
		r = flush_dir(client ? &c->down : &c->up, fd);
		if (r < 0) {
			tunnel_abort(c, client, -r);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		bool to_failed = false;

		r = client ? pump(c, &c->up, c->cw.fd, c->uw.fd, &to_failed)
			   : pump(c, &c->down, c->uw.fd, c->cw.fd, &to_failed);
		if (r < 0) {
			tunnel_abort(c, to_failed ? !client : client, -r);
			return;
		}
	}
	if (events & EPOLLERR) {
		/* The receive above may have taken the error already; a reset is what EPOLLERR means here. */
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err == 0)
			err = ECONNRESET;
		tunnel_abort(c, client, err);
		return;
	}
	after_io(c);
}

static void start_tunnel(struct sbx_conn *c, const char *first, size_t first_len)
{
	int one = 1;

	c->state = S_TUNNEL;
	c->error = NULL; /* an earlier address may have failed; this one answered */
	c->last_ms = sbx_loop_now_ms();
	setsockopt(c->uw.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (first_len) {
		ssize_t w = send(c->uw.fd, first, first_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				tunnel_abort(c, false, errno);
				return;
			}
			w = 0;
		}
		c->up.bytes += (uint64_t)w;
		if ((size_t)w < first_len && keep_pending(&c->up, first + w, first_len - (size_t)w) < 0) {
			tunnel_abort(c, false, ENOMEM);
			return;
		}
	}
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
	after_io(c);
}

/* ---- connecting ----------------------------------------------------------- */

static void try_next_address(struct sbx_conn *c);
static void uplink_connected(struct sbx_conn *c);
static void uplink_dial(struct sbx_conn *c, int last_err);
static void uplink_next_target(struct sbx_conn *c);
static void uplink_event(struct sbx_conn *c, uint32_t events);

static void connected(struct sbx_conn *c)
{
	if (c->proto == P_SOCKS) {
		/* BND.ADDR 0.0.0.0:0: the host's outbound address and port are none of the payload's business. */
		socks_reply(c, SBX_SOCKS5_REP_SUCCEEDED, NULL);
		start_tunnel(c, c->in, c->in_len);
	} else if (c->http_forward) {
		/* c->in holds the rebuilt head and the start of the body. */
		start_tunnel(c, c->in, c->in_len);
	} else {
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		send_now(c->cw.fd, ok, sizeof(ok) - 1);
		start_tunnel(c, c->in, c->in_len);
	}
}

static void connect_event(struct sbx_conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->uw.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0 && !(events & (EPOLLERR | EPOLLHUP))) {
		if (c->via_uplink)
			uplink_connected(c);
		else
			connected(c);
		return;
	}
	sbx_loop_unwatch(c->px->ctx->loop, &c->uw);
	close(c->uw.fd);
	c->uw.fd = -1;
	if (c->via_uplink) {
		uplink_dial(c, err ? err : ECONNREFUSED); /* the upstream's next address */
		return;
	}
	c->error = "connection refused or unreachable";
	try_next_address(c);
}

static void try_next_address(struct sbx_conn *c)
{
	if (c->via_uplink) {
		uplink_next_target(c);
		return;
	}
	while (c->next_addr < c->n_addrs) {
		const struct sbx_addr *a = &c->addrs[c->next_addr++];
		union sbx_sockaddr u;
		socklen_t len = sbx_sockaddr_make(&u, a->family, a->b, c->port);
		int fd;

		/* The host may have gained this address while an earlier one timed out. */
		if (c->next_addr > 1 && refuse_self(c, a))
			return;
		fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 && is_nofd(errno)) {
			/* sbx's limit, not the destination's fault: say so (503), never 502. */
			fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, nofd_reason(errno), true);
			return;
		}
		if (fd < 0)
			continue;
		if (connect(fd, &u.sa, len) < 0 && errno != EINPROGRESS) {
			close(fd);
			continue;
		}
		c->uw.fd = fd;
		c->state = S_CONNECT;
		c->deadline_ms = sbx_loop_now_ms() + c->px->ctx->connect_timeout_ms;
		/* Near destinations often finish the handshake inside connect(): skip a
		 * round through epoll when the socket is already writable. */
		{
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (poll(&pfd, 1, 0) == 1) {
				connect_event(c, (uint32_t)pfd.revents);
				return;
			}
		}
		update_interest(c);
		return;
	}
	fail_request(c, 502, SBX_SOCKS5_REP_HOST_UNREACHABLE,
		     c->error ? c->error : "no address of the destination could be reached", true);
}

/* ---- through the upstream proxy (--upstream-proxy) -------------------------- */

/*
 * With an upstream proxy, what was judged is asked of it instead of dialled:
 * for each judged address in order (or, when local resolution failed, the
 * name itself, over http:// or socks5h://), sbx connects to the upstream,
 * asks for a tunnel in its own name (uplink.c: the payload's bytes wait in
 * the kernel and in c->in until the upstream said yes) and then answers the
 * client as if it had dialled. The upstream's answer reaches the client only
 * as sbx's own words (502 naming its status, or a SOCKS5 reply).
 */

/* An error message composed for this connection (kept for the log line, freed with it). */
__attribute__((format(printf, 2, 3))) static const char *conn_why(struct sbx_conn *c, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return "out of memory composing the error";
	free(c->why);
	c->why = text;
	return text;
}

static const char *uplink_why(struct sbx_conn *c, const char *what)
{
	return conn_why(c, "the upstream proxy %s %s", c->px->ctx->uplink->shown, what);
}

/* No address of the upstream took the connection: 502, "upstream proxy unreachable". */
static void uplink_unreachable(struct sbx_conn *c, int err)
{
	fail_request(c, 502, SBX_SOCKS5_REP_GENERAL_FAILURE,
		     conn_why(c, "upstream proxy unreachable: %s (%s)", c->px->ctx->uplink->shown,
			      err == ETIMEDOUT ? "no answer in time" : strerror(err)),
		     true);
}

/* Connect to the upstream's next address, for the current target. */
static void uplink_dial(struct sbx_conn *c, int last_err)
{
	const struct sbx_uplink *up = c->px->ctx->uplink;

	while (c->uplink_next < up->n_addrs) {
		const struct sbx_addr *a = &up->addrs[c->uplink_next++];
		union sbx_sockaddr u;
		socklen_t len = sbx_sockaddr_make(&u, a->family, a->b, up->url.port);
		int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0 && is_nofd(errno)) {
			fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, nofd_reason(errno), true);
			return;
		}
		if (fd < 0) {
			last_err = errno;
			continue;
		}
		if (connect(fd, &u.sa, len) < 0 && errno != EINPROGRESS) {
			last_err = errno;
			close(fd);
			continue;
		}
		c->uw.fd = fd;
		c->state = S_CONNECT;
		c->deadline_ms = sbx_loop_now_ms() + c->px->ctx->connect_timeout_ms;
		update_interest(c);
		return;
	}
	uplink_unreachable(c, last_err ? last_err : EHOSTUNREACH);
}

/* The next judged address (or the name) to ask the upstream for; 502 when none is left. */
static void uplink_next_target(struct sbx_conn *c)
{
	if (c->by_name ? c->name_tried : c->next_addr >= c->n_addrs) {
		fail_request(c, 502, c->uplink_rep ? c->uplink_rep : SBX_SOCKS5_REP_HOST_UNREACHABLE,
			     c->error ? c->error : "no address of the destination could be reached", true);
		return;
	}
	if (c->by_name) {
		c->name_tried = true;
	} else {
		c->next_addr++;
		/* The host may have gained this address while an earlier one was tried. */
		if (c->next_addr > 1 && refuse_self(c, &c->addrs[c->next_addr - 1]))
			return;
	}
	c->uplink_next = 0;
	uplink_dial(c, 0);
}

/* Connected to the upstream: ask it for the tunnel. */
static void uplink_connected(struct sbx_conn *c)
{
	int r = sbx_uplink_hs_new(c->px->ctx->uplink, c->by_name ? NULL : &c->addrs[c->next_addr - 1],
				  c->by_name ? c->dest.host : NULL, c->port, &c->hs);

	if (r < 0) {
		fail_request(c, r == -ENOMEM ? 503 : 502, SBX_SOCKS5_REP_GENERAL_FAILURE,
			     r == -ENOMEM ? "out of memory" : uplink_why(c, "cannot be asked for this destination"),
			     true);
		return;
	}
	c->state = S_UPLINK;
	c->deadline_ms = sbx_loop_now_ms() + c->px->ctx->connect_timeout_ms;
	uplink_event(c, EPOLLOUT);
}

static void uplink_event(struct sbx_conn *c, uint32_t events)
{
	struct sbx_uplink_result res;
	const uint8_t *rest;
	size_t n;

	switch (sbx_uplink_hs_io(c->hs, c->uw.fd, events, &res)) {
	case SBX_HS_MORE:
		update_interest(c);
		return;
	case SBX_HS_DONE:
		/* The destination's first bytes, if any, go to the client after sbx's own answer. */
		rest = sbx_uplink_hs_rest(c->hs, &n);
		if (n && keep_pending(&c->down, (const char *)rest, n) < 0) {
			fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, "out of memory", true);
			return;
		}
		sbx_uplink_hs_free(c->hs);
		c->hs = NULL;
		connected(c);
		return;
	case SBX_HS_FAILED:
		break;
	}
	c->error = conn_why(c, "%s", res.why);
	c->uplink_rep = res.socks_rep;
	sbx_uplink_hs_free(c->hs);
	c->hs = NULL;
	sbx_loop_unwatch(c->px->ctx->loop, &c->uw);
	close(c->uw.fd);
	c->uw.fd = -1;
	if (res.next_target) {
		try_next_address(c);
		return;
	}
	fail_request(c, 502, res.socks_rep, c->error, true);
}

/*
 * The payload asked for the upstream proxy itself: through it, the payload
 * would speak to the upstream directly and could ask it for anything. No
 * rule allows that; refused like a spelling, before any dial.
 */
static void refuse_uplink_itself(struct sbx_conn *c)
{
	char why[700];

	snprintf(why, sizeof(why), "%s:%u is the upstream proxy (--upstream-proxy %s)", c->host, c->port,
		 c->px->ctx->uplink->shown);
	refuse_before_policy(c, why, "the upstream proxy itself: sbx speaks to it, the payload never does",
			     "sbx speaks to the upstream proxy on the payload's behalf.");
}

/* Local resolution failed: hand the name to the upstream (only the name and port were judged). */
static void uplink_by_name(struct sbx_conn *c)
{
	if (c->rq)
		sbx_resolver_cancel(c->rq);
	c->rq = NULL;
	if (sbx_uplink_is_upstream(c->px->ctx->uplink, NULL, c->dest.host, c->port)) {
		refuse_uplink_itself(c);
		return;
	}
	c->checked = "name";
	c->by_name = true;
	c->via_uplink = true;
	c->name_tried = false;
	c->n_addrs = 0;
	try_next_address(c);
}

/*
 * Every address judged and allowed: dial them (or ask the upstream proxy for
 * them), unless one is the host's own, or the upstream proxy itself. A host
 * service is the host's: dialled directly, never through the upstream (whose
 * 127.0.0.1 is its own).
 */
static void dial(struct sbx_conn *c)
{
	const struct sbx_uplink *up = c->px->ctx->uplink;

	for (size_t i = 0; i < c->n_addrs; i++)
		if (refuse_self(c, &c->addrs[i]))
			return;
	for (size_t i = 0; up && i < c->n_addrs; i++) {
		if (sbx_uplink_is_upstream(up, &c->addrs[i], NULL, c->port)) {
			refuse_uplink_itself(c);
			return;
		}
	}
	c->via_uplink = up && c->d.reason != SBX_REASON_HOST_SERVICE;
	c->next_addr = 0;
	try_next_address(c);
}

static void resolved(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct sbx_conn *c = ctx;

	c->rq = NULL;
	if (c->dead)
		return;
	if (err < 0 && is_nofd(-err)) {
		fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, nofd_reason(-err), true);
		return;
	}
	if (err < 0 && c->px->ctx->uplink && sbx_uplink_takes_names(c->px->ctx->uplink)) {
		uplink_by_name(c); /* the upstream may know it: only the name and port were judged */
		return;
	}
	if (err < 0) {
		fail_request(c, 502, SBX_SOCKS5_REP_HOST_UNREACHABLE,
			     err == -ENOENT ? (c->px->ctx->uplink
						       ? "the name does not resolve (a socks5:// upstream proxy takes "
							 "addresses only; socks5h:// would resolve it)"
						       : "the name does not resolve")
					    : "name resolution failed",
			     true);
		return;
	}
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	c->n_addrs = n;
	c->checked = "name+addresses";
	if (c->granted)
		sbx_policy_judge_granted(judging(c), &c->dest, addrs, n, &c->d);
	else
		sbx_policy_judge_resolved(judging(c), c->dest.host, c->port, addrs, n, &c->d);
	if (c->d.verdict == SBX_VERDICT_DENY) {
		deny(c);
		return;
	}
	dial(c);
}

static void go_on(struct sbx_conn *c);

/* The orchestrator answered (ask.c), or could not: go on, or refuse. */
static void answered(struct sbx_ask_wait *w, enum sbx_ask_result res, const char *why)
{
	struct sbx_conn *c = sbx_container_of(w, struct sbx_conn, ask);

	if (c->dead)
		return;
	switch (res) {
	case SBX_ASK_ALLOW:
		c->granted = true;
		sbx_policy_judge_granted(judging(c), &c->dest, NULL, 0, &c->d);
		break;
	case SBX_ASK_RULE:
		sbx_policy_judge_dest(judging(c), &c->dest, &c->d); /* the rule may not cover it: then denied */
		break;
	case SBX_ASK_DENY:
	case SBX_ASK_UNANSWERED:
		memset(&c->d, 0, sizeof(c->d));
		c->d.verdict = SBX_VERDICT_DENY;
		c->d.reason = res == SBX_ASK_DENY ? SBX_REASON_REFUSED : SBX_REASON_UNANSWERED;
		c->error = why;
		break;
	}
	if (c->d.verdict == SBX_VERDICT_DENY)
		deny(c);
	else
		go_on(c);
}

/*
 * No rule decides the target (c->d): put it to the orchestrator when there
 * is one to ask. Return: true when the request now waits (S_ASK), false
 * when it is to be refused now (c->d says why).
 */
static bool ask(struct sbx_conn *c)
{
	struct sbx_ask *a = c->px->ctx->ask;

	if (!a || !sbx_policy_askable(&c->d))
		return false;
	c->ask.done = answered;
	if (!sbx_ask_submit(a, "connect", proto_name(c), &c->dest, &c->who, &c->ask)) {
		c->d.reason = SBX_REASON_UNANSWERED;
		c->error = "nothing was asked: the orchestrator's answers ended, or too many questions wait";
		return false;
	}
	c->state = S_ASK;
	c->deadline_ms = UINT64_MAX; /* ask.c keeps --ask-timeout */
	update_interest(c);
	return true;
}

/* The request named @text:@port: judge it, then resolve or dial. */
static void have_target(struct sbx_conn *c, const char *text, bool is_v6, uint16_t port)
{
	const char *why = NULL;

	snprintf(c->host, sizeof(c->host), "%s", text);
	c->port = port;
	if (sbx_target_parse(text, is_v6, &c->dest, &why) < 0) {
		refuse_spelling(c, why);
		return;
	}
	c->dest.port = port;
	c->checked = c->dest.is_addr ? "address" : "name";
	if (sbx_policy_judge_dest(judging(c), &c->dest, &c->d) == SBX_VERDICT_DENY) {
		if (!ask(c))
			deny(c);
		return;
	}
	go_on(c);
}

/* The target is allowed (by a rule, or once by the orchestrator): dial an address, resolve a name. */
static void go_on(struct sbx_conn *c)
{
	int r;

	if (c->dest.is_addr) {
		c->addrs[0] = c->dest.addr;
		c->n_addrs = 1;
		dial(c);
		return;
	}
	c->state = S_RESOLVE;
	c->deadline_ms = sbx_loop_now_ms() + c->px->ctx->connect_timeout_ms;
	update_interest(c);
	{
		struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
		size_t n;

		if (sbx_resolver_cached(c->px->ctx->resolver, c->dest.host, addrs, &n)) {
			resolved(c, 0, addrs, n);
			return;
		}
	}
	r = sbx_resolver_submit(c->px->ctx->resolver, c->dest.host, resolved, c, &c->rq);
	if (r < 0)
		fail_request(c, 503, SBX_SOCKS5_REP_GENERAL_FAILURE, "too many name lookups in progress", true);
}

/* ---- request heads -------------------------------------------------------- */

static void consume(struct sbx_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

static void socks_head(struct sbx_conn *c)
{
	struct sbx_socks5_request req;
	uint8_t rep = 0;
	int r;

	if (!c->socks_greeted) {
		uint8_t method = 0xff;

		r = sbx_socks5_parse_greeting((const uint8_t *)c->in, c->in_len, &method);
		if (r == 0)
			return;
		if (r < 0 || method != 0x00) {
			uint8_t no[2] = {5, 0xff};
			send_now(c->cw.fd, no, sizeof(no));
			conn_close(c);
			return;
		}
		uint8_t yes[2] = {5, 0x00};
		send_now(c->cw.fd, yes, sizeof(yes));
		consume(c, (size_t)r);
		c->socks_greeted = true;
	}
	r = sbx_socks5_parse_request((const uint8_t *)c->in, c->in_len, &req, &rep);
	if (r == 0)
		return;
	if (r < 0) {
		snprintf(c->host, sizeof(c->host), "%s", req.host);
		fail_request(c, 0, rep ? rep : SBX_SOCKS5_REP_GENERAL_FAILURE,
			     "unsupported or malformed SOCKS5 request", false);
		return;
	}
	consume(c, req.len);
	if (req.atyp == SBX_SOCKS5_ATYP_DOMAIN)
		have_target(c, req.host, false, req.port);
	else
		have_target(c, req.host, req.atyp == SBX_SOCKS5_ATYP_IPV6, req.port);
}

static void http_head(struct sbx_conn *c)
{
	static struct sbx_http_request req; /* ~10 KiB: one, reused (single-threaded loop) */
	int status = 400;
	const char *why = "bad request";
	int r = sbx_http_parse_request(c->in, c->in_len, c->px->ctx->max_head, &req, &status, &why);

	if (r == 0) {
		if (c->in_len >= c->px->ctx->max_head)
			fail_request(c, 431, 0, "request head too large", false);
		return;
	}
	if (r < 0) {
		fail_request(c, status, 0, why, false);
		return;
	}
	c->http_forward = req.kind == SBX_HTTP_FORWARD;
	if (c->http_forward) {
		size_t body_have = c->in_len - req.head_len, cap = req.head_len + 256;
		char *fwd = malloc(cap + body_have);
		int n;

		if (!fwd) {
			fail_request(c, 503, 0, "out of memory", false);
			return;
		}
		n = sbx_http_build_forward_head(&req, c->in, fwd, cap);
		if (n < 0) {
			free(fwd);
			fail_request(c, 431, 0, "request head too large", false);
			return;
		}
		/* The body: only as much as the request declares; nothing after it. */
		c->up.limited = req.body != SBX_HTTP_BODY_CHUNKED;
		if (req.body == SBX_HTTP_BODY_LENGTH) {
			if (body_have > req.content_length)
				body_have = (size_t)req.content_length;
			c->up.left = req.content_length - body_have;
		} else if (req.body == SBX_HTTP_BODY_NONE) {
			body_have = 0;
			c->up.left = 0;
		}
		memcpy(fwd + n, c->in + req.head_len, body_have);
		free(c->in);
		c->in = fwd;
		c->in_len = (size_t)n + body_have;
	} else {
		consume(c, req.head_len); /* early tunnel bytes stay */
	}
	have_target(c, req.host, req.host_is_v6, req.port);
}

static void head_event(struct sbx_conn *c)
{
	size_t before = c->in_len;

	for (;;) {
		size_t room = c->px->ctx->max_head + 1 - c->in_len;
		ssize_t n;

		if (!c->in) {
			c->in = malloc(c->px->ctx->max_head + 1);
			if (!c->in) {
				conn_close(c);
				return;
			}
		}
		if (room == 0)
			break;
		n = recv(c->cw.fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return;
		}
		if (n == 0) {
			conn_close(c); /* the client gave up before finishing its request */
			return;
		}
		c->in_len += (size_t)n;
	}
	if (c->proto == P_UNKNOWN && c->in_len) {
		if (c->in[0] == 0x05) {
			c->proto = P_SOCKS;
		} else if (c->in[0] == 0x04) {
			uint8_t no[SBX_SOCKS4_REPLY_LEN];
			send_now(c->cw.fd, no, sbx_socks5_build_socks4_reject(no));
			conn_close(c);
			return;
		} else {
			c->proto = P_HTTP;
		}
	}
	if (c->proto == P_SOCKS) {
		socks_head(c);
	} else if (c->proto == P_HTTP) {
		/* The parser rescans from the start: only call it when a line may have
		 * ended (or on the first bytes, to refuse a bad method at once), so a
		 * client sending one byte at a time costs linear, not quadratic, work. */
		if (before == 0 || memchr(c->in + before, '\n', c->in_len - before) || c->in_len > c->px->ctx->max_head)
			http_head(c);
	}
}

/* ---- events, accept, deadlines -------------------------------------------- */

static void client_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_conn *c = (struct sbx_conn *)((char *)w - offsetof(struct sbx_conn, cw));

	if (c->dead)
		return;
	if (c->state == S_HEAD)
		head_event(c);
	else if (c->state == S_TUNNEL)
		tunnel_event(c, true, events);
	else if (events & (EPOLLHUP | EPOLLERR))
		conn_close(c); /* the client left while we resolved or connected */
}

static void upstream_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_conn *c = (struct sbx_conn *)((char *)w - offsetof(struct sbx_conn, uw));

	if (c->dead)
		return;
	if (c->state == S_CONNECT)
		connect_event(c, events);
	else if (c->state == S_UPLINK)
		uplink_event(c, events);
	else if (c->state == S_TUNNEL)
		tunnel_event(c, false, events);
}

/**
 * sbx_proxy_accept() - accept every pending connection on a proxy listener.
 * @px: the proxy
 * @listen_fd: a listening socket from the gateway namespace
 *
 * Context: the supervisor's event loop.
 * Return: 0, or -EMFILE, -ENFILE, -ENOBUFS or -ENOMEM when sbx could not
 * accept for want of descriptors or memory: the connection stays in the
 * backlog and the listener stays readable, so the caller must stop
 * watching it for a while (accepting again at once would fail again: a spin).
 */
int sbx_proxy_accept(struct sbx_proxy *px, int listen_fd)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct sbx_conn *c;

		if (fd < 0)
			return sbx_gw_accept_starved(errno) ? -errno : 0;
		if (px->n_conns >= px->ctx->max_conns) {
			close(fd); /* over --proxy-max-conns: refused at once, never queued */
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->px = px;
		c->cw = (struct sbx_watch){.cb = client_cb, .fd = fd};
		c->uw = (struct sbx_watch){.cb = upstream_cb, .fd = -1};
		c->start_ms = c->last_ms = sbx_loop_now_ms();
		if (px->ctx->log || px->ctx->ask) { /* who asked: for the log, and for a question */
			union sbx_sockaddr peer, local;
			socklen_t plen = sizeof(peer), llen = sizeof(local);

			if (getpeername(fd, &peer.sa, &plen) == 0 && getsockname(fd, &local.sa, &llen) == 0)
				sbx_gw_identify(px->ctx, IPPROTO_TCP, &peer.sa, &local.sa, &c->who);
		}
		c->deadline_ms = c->start_ms + px->ctx->header_timeout_ms;
		if (sbx_loop_watch(px->ctx->loop, &c->cw, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		sbx_list_add_tail(&px->conns, &c->link);
		px->n_conns++;
		/* The listener defers accept until data arrives (TCP_DEFER_ACCEPT):
		 * the request is usually there already. */
		head_event(c);
	}
	return 0;
}

/**
 * sbx_proxy_tick() - enforce the header, connect and idle deadlines.
 * @px: the proxy
 * @now: sbx_loop_now_ms()
 *
 * Context: the supervisor's event loop, once a second.
 */
void sbx_proxy_tick(struct sbx_proxy *px, uint64_t now)
{
	struct sbx_list *pos, *tmp;

	sbx_list_for_each_safe(pos, tmp, &px->conns)
	{
		struct sbx_conn *c = sbx_list_entry(pos, struct sbx_conn, link);

		if (c->state == S_TUNNEL) {
			/* A reset, not a clean end: a transfer cut by the timeout must not look complete. */
			if (px->ctx->idle_timeout_ms && now - c->last_ms >= px->ctx->idle_timeout_ms)
				reset_both(c, "idle for --proxy-idle-timeout: reset by sbx");
		} else if (now >= c->deadline_ms) {
			if (c->state == S_HEAD)
				fail_request(c, 408, SBX_SOCKS5_REP_GENERAL_FAILURE, "request not received in time",
					     false);
			else if (c->state == S_RESOLVE && px->ctx->uplink && sbx_uplink_takes_names(px->ctx->uplink))
				uplink_by_name(c); /* local resolution never answered: the upstream may */
			else if (c->state == S_CONNECT && c->via_uplink)
				uplink_unreachable(c, ETIMEDOUT);
			else if (c->state == S_UPLINK)
				fail_request(c, 504, SBX_SOCKS5_REP_TTL_EXPIRED,
					     uplink_why(c, "did not answer in time"), true);
			else
				fail_request(c, 504, SBX_SOCKS5_REP_TTL_EXPIRED,
					     c->state == S_RESOLVE ? "name resolution timed out"
								   : "connection timed out",
					     true);
		}
	}
}

/* Judge an allowed request again with @p, as it was judged the first time. */
static enum sbx_verdict rejudge(const struct sbx_conn *c, const struct sbx_policy *p, struct sbx_decision *d)
{
	if (c->granted)
		return sbx_policy_judge_granted(p, &c->dest, c->n_addrs && !c->dest.is_addr ? c->addrs : NULL,
						c->dest.is_addr ? 0 : c->n_addrs, d);
	if (c->d.reason == SBX_REASON_HOST_SERVICE)
		return sbx_policy_judge_host(p, &c->dest.addr, c->port, true, d);
	if (!c->dest.is_addr && c->n_addrs && !c->by_name)
		return sbx_policy_judge_resolved(p, c->dest.host, c->port, c->addrs, c->n_addrs, d);
	return sbx_policy_judge_dest(p, &c->dest, d);
}

/**
 * sbx_proxy_policy_changed() - apply a new policy version to every request and tunnel.
 * @px: the proxy
 *
 * A request waiting for an answer that a rule now decides goes on (or is
 * refused) at once; one being resolved or dialled that is now denied is
 * refused; a tunnel that is now denied is reset and logged with the
 * decision that closed it.
 *
 * Context: the supervisor's event loop (lib/livepolicy.c's watchers).
 */
void sbx_proxy_policy_changed(struct sbx_proxy *px)
{
	const struct sbx_policy *p = sbx_livepolicy_peek(px->ctx->live);
	struct sbx_list *pos, *tmp;

	sbx_list_for_each_safe(pos, tmp, &px->conns)
	{
		struct sbx_conn *c = sbx_list_entry(pos, struct sbx_conn, link);
		struct sbx_decision d;

		if (c->dead || c->state == S_HEAD)
			continue;
		if (c->state == S_ASK) {
			if (sbx_policy_judge_dest(p, &c->dest, &d) == SBX_VERDICT_DENY && sbx_policy_askable(&d))
				continue; /* still the orchestrator's to answer */
			sbx_ask_cancel(px->ctx->ask, &c->ask);
			judging(c);
			c->d = d;
			if (d.verdict == SBX_VERDICT_DENY)
				deny(c);
			else
				go_on(c);
			continue;
		}
		if (rejudge(c, p, &d) == SBX_VERDICT_ALLOW)
			continue; /* the decision that let it through stands, in the log too */
		judging(c);
		c->d = d;
		if (c->state != S_TUNNEL) {
			deny(c); /* no reply was sent yet: a 403 / REP 0x02 */
			continue;
		}
		reset_both(c, "closed: a policy change denies it");
	}
}

/**
 * sbx_proxy_new() - the proxy's state, before any connection.
 * @ctx: the gateway's context; must outlive the proxy
 * @out: the proxy
 *
 * Return: 0, or -ENOMEM.
 */
int sbx_proxy_new(const struct sbx_gw_ctx *ctx, struct sbx_proxy **out)
{
	struct sbx_proxy *px = calloc(1, sizeof(*px));

	if (!px)
		return -ENOMEM;
	px->ctx = ctx;
	sbx_list_init(&px->conns);
	px->relay_buf = malloc(SBX_PROXY_RELAY_BUF);
	if (!px->relay_buf) {
		free(px);
		return -ENOMEM;
	}
	*out = px;
	return 0;
}

/**
 * sbx_proxy_free() - close every connection (the sandbox is gone) and free the proxy.
 * @px: the proxy, or NULL
 */
void sbx_proxy_free(struct sbx_proxy *px)
{
	struct sbx_conn *c;

	if (!px)
		return;
	while ((c = sbx_list_first(&px->conns, struct sbx_conn, link))) {
		conn_close(c);
		conn_free(c);
	}
	free(px->relay_buf);
	free(px);
}
