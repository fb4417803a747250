// SPDX-License-Identifier: Apache-2.0
/* The allowlist DNS stub: answers A/AAAA for names the policy allows, REFUSED for the rest, no upstream query for them. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gateway.h"
#include "lib/list.h"
#include "lib/netlog.h"
#include "sbx/proto.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * The sandbox's /etc/resolv.conf names the gateway, and no other resolver is
 * reachable from it. For each question:
 *  1. the name is normalised and judged before anything else; a name the
 *     policy does not allow gets REFUSED and is never sent upstream (no
 *     exfiltration through lookups of made-up names);
 *  2. an allowed name is resolved once with the host's resolver (both A and
 *     AAAA), every address is judged, and one denied address refuses the
 *     whole answer (rebinding, mixed answers, mapped IPv6);
 *  3. the answer holds only the judged records of the asked type, with a
 *     short TTL. Other types (MX, TXT, HTTPS, ...) get an empty answer for
 *     allowed names: they are not forwarded.
 * A name no rule decides is put to the orchestrator when --ask-fd is given
 * (ask.c); the query waits for the answer alone, and a policy change
 * releases it when a new rule decides the name.
 * Queries are parsed strictly (src/proto/dns.c); malformed ones get FORMERR
 * or nothing. UDP and TCP are served; both are bounded.
 */

#define SBX_DNS_TTL 30
#define SBX_DNS_MAX_INFLIGHT 256
#define SBX_DNS_MAX_TCP 64
#define SBX_DNS_TIMEOUT_MS 10000

struct dns_tcp {
	struct sbx_list link; /* in sbx_dnsstub.tcp */
	struct sbx_dnsstub *ds;
	struct sbx_watch w;
	uint8_t buf[2 + 65535];
	size_t len;
	bool busy; /* one query at a time per connection */
	bool eof;  /* the client half-closed: answer what it sent, then close */
	bool dead;
	uint64_t deadline_ms;
};

struct dns_q {
	struct sbx_list link;	 /* in sbx_dnsstub.pending while the resolver works */
	struct sbx_procinfo who; /* the sandbox process that asked (UDP, when there is a decision log) */
	struct sbx_dnsstub *ds;
	int udp_fd;	     /* UDP: the socket to answer on */
	struct dns_tcp *tcp; /* TCP: the connection */
	union {
		struct sockaddr sa;
		struct sockaddr_storage ss;
	} peer;
	socklen_t peer_len;
	struct sbx_dns_query q;
	char host[SBX_POLICY_HOST_MAX];
	uint8_t msg[SBX_DNS_UDP_MAX];
	size_t msg_len;
	struct sbx_resolve_req *rq;
	uint64_t deadline_ms;	 /* UINT64_MAX while it waits for the orchestrator (ask.c keeps the time) */
	struct sbx_ask_wait ask; /* --ask-fd: waiting for an answer */
	bool granted;		 /* allowed once by the orchestrator */
};

struct sbx_dnsstub {
	const struct sbx_gw_ctx *ctx;
	struct sbx_list tcp; /* open TCP connections */
	unsigned n_tcp;
	unsigned udp_inflight;
	struct sbx_list pending; /* queries waiting for the resolver */
};

static void tcp_close(struct dns_tcp *t);
static void tcp_continue(void *arg);

static void send_answer(struct dns_q *dq, const uint8_t *out, size_t len)
{
	if (dq->tcp) {
		uint8_t frame[2 + 4096];

		if (len > sizeof(frame) - 2 || dq->tcp->dead)
			return;
		frame[0] = (uint8_t)(len >> 8);
		frame[1] = (uint8_t)len;
		memcpy(frame + 2, out, len);
		if (send(dq->tcp->w.fd, frame, len + 2, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(len + 2)) {
			tcp_close(dq->tcp);
		} else {
			dq->tcp->busy = false;
			/* The next query may already be waiting in the buffer (pipelined), and no
			 * read event will come for it: take it up after this batch, never recursively. */
			sbx_loop_defer(dq->ds->ctx->loop, tcp_continue, dq->tcp);
		}
		return;
	}
	sendto(dq->udp_fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT, &dq->peer.sa, dq->peer_len);
}

static void answer(struct dns_q *dq, int rcode, const struct sbx_addr *addrs, size_t n)
{
	struct in_addr v4[SBX_RESOLVE_MAX_ADDRS];
	struct in6_addr v6[SBX_RESOLVE_MAX_ADDRS];
	size_t n4 = 0, n6 = 0;
	uint8_t out[4096];
	size_t max = dq->tcp ? sizeof(out) : sbx_dns_udp_limit(&dq->q);
	int len;

	for (size_t i = 0; rcode == SBX_DNS_NOERROR && i < n; i++) {
		if (addrs[i].family == AF_INET && dq->q.qtype == SBX_DNS_TYPE_A)
			memcpy(&v4[n4++], addrs[i].b, 4);
		else if (addrs[i].family == AF_INET6 && dq->q.qtype == SBX_DNS_TYPE_AAAA)
			memcpy(&v6[n6++], addrs[i].b, 16);
	}
	len = sbx_dns_build_response(&dq->q, dq->msg, rcode, v4, n4, v6, n6, SBX_DNS_TTL, max, out, sizeof(out));
	if (len > 0)
		send_answer(dq, out, (size_t)len);
}

/* What was judged: nothing (a refused spelling), the name, or the name and every address it resolved to. */
static void log_dns(struct dns_q *dq, const struct sbx_decision *d, const struct sbx_addr *addrs, size_t n,
		    const char *error)
{
	char shown[SBX_POLICY_HOST_MAX];
	struct sbx_netlog_entry e = {
		.proto = "dns",
		.host = dq->host[0] ? dq->host : sbx_netlog_shown_host(dq->q.name, shown, sizeof(shown)),
		.addrs = addrs,
		.n_addrs = n,
		.d = d,
		.error = error,
		.pid = dq->who.ns_pid,
		.comm = dq->who.comm,
		.checked = !dq->host[0] ? "none"
			   : addrs	? "name+addresses"
					: "name",
	};
	sbx_netlog_write(dq->ds->ctx->log, &e);
}

static void dq_free(struct dns_q *dq)
{
	sbx_ask_cancel(dq->ds->ctx->ask, &dq->ask);
	if (dq->rq)
		sbx_resolver_cancel(dq->rq);
	sbx_list_del(&dq->link);
	if (!dq->tcp)
		dq->ds->udp_inflight--;
	free(dq);
}

/* The name, and the addresses it resolved to, as the query was let through: by a rule, or once by the orchestrator. */
static enum sbx_verdict judge_answer(const struct dns_q *dq, const struct sbx_addr *addrs, size_t n,
				     struct sbx_decision *d)
{
	const struct sbx_policy *p = sbx_livepolicy_peek(dq->ds->ctx->live);
	struct sbx_dest dest = {.is_addr = false, .port = 0}; /* port 0 and a name: a DNS question */

	if (!dq->granted)
		return sbx_policy_judge_dns(p, dq->host, addrs, n, d);
	snprintf(dest.host, sizeof(dest.host), "%s", dq->host);
	return sbx_policy_judge_granted(p, &dest, addrs, n, d);
}

static void resolved(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct dns_q *dq = ctx;
	struct sbx_decision d;

	dq->rq = NULL;
	if (err == -ENOENT) {
		log_dns(dq, NULL, NULL, 0, "no such name");
		answer(dq, SBX_DNS_NXDOMAIN, NULL, 0);
	} else if (err < 0) {
		log_dns(dq, NULL, NULL, 0, "resolution failed");
		answer(dq, SBX_DNS_SERVFAIL, NULL, 0);
	} else if (judge_answer(dq, addrs, n, &d) == SBX_VERDICT_DENY) {
		log_dns(dq, &d, addrs, n, NULL);
		answer(dq, SBX_DNS_REFUSED, NULL, 0);
	} else {
		/* The host's interface addresses: names never reach them (the policy knows loopback itself). */
		const struct sbx_addr *self = NULL;
		for (size_t i = 0; i < n && !self; i++)
			if (sbx_hostaddr_is_self(dq->ds->ctx->host, &addrs[i]))
				self = &addrs[i];
		if (self && dq->ds->ctx->host->stale &&
		    (dq->ds->ctx->host->stale_err == EMFILE || dq->ds->ctx->host->stale_err == ENFILE)) {
			/* sbx could not re-read the host's addresses: its limit, not the name's fault. */
			log_dns(dq, NULL, addrs, n,
				"out of file descriptors: sbx could not re-read the host's addresses (ulimit -n)");
			answer(dq, SBX_DNS_SERVFAIL, NULL, 0);
		} else if (self) {
			sbx_policy_judge_host(sbx_livepolicy_peek(dq->ds->ctx->live), self, 0, false, &d);
			log_dns(dq, &d, addrs, n, "host address");
			answer(dq, SBX_DNS_REFUSED, NULL, 0);
		} else {
			log_dns(dq, &d, addrs, n, NULL);
			answer(dq, SBX_DNS_NOERROR, addrs, n);
		}
	}
	dq_free(dq);
}

static void refuse(struct dns_q *dq, const struct sbx_decision *d, const char *error)
{
	log_dns(dq, d, NULL, 0, error);
	answer(dq, SBX_DNS_REFUSED, NULL, 0);
	dq_free(dq);
}

static void go_on(struct dns_q *dq);

/* The orchestrator answered (ask.c), or could not. */
static void dns_answered(struct sbx_ask_wait *w, enum sbx_ask_result res, const char *why)
{
	struct dns_q *dq = sbx_container_of(w, struct dns_q, ask);
	struct sbx_decision d = {.verdict = SBX_VERDICT_DENY};

	sbx_list_del(&dq->link); /* off the pending list: go_on() puts it back while it resolves */
	dq->deadline_ms = sbx_loop_now_ms() + SBX_DNS_TIMEOUT_MS;
	if (res == SBX_ASK_ALLOW)
		dq->granted = true;
	if (res == SBX_ASK_DENY || res == SBX_ASK_UNANSWERED) {
		d.reason = res == SBX_ASK_DENY ? SBX_REASON_REFUSED : SBX_REASON_UNANSWERED;
		refuse(dq, &d, why);
	} else if (judge_answer(dq, NULL, 0, &d) == SBX_VERDICT_DENY) {
		refuse(dq, &d, NULL); /* the answer's rule does not cover the name */
	} else {
		go_on(dq);
	}
}

/* No rule decides the name: ask the orchestrator, if there is one. Return: true when the query waits. */
static bool dns_ask(struct dns_q *dq, struct sbx_decision *d)
{
	struct sbx_dest dest = {.is_addr = false, .port = 0};

	if (!dq->ds->ctx->ask || !sbx_policy_askable(d))
		return false;
	snprintf(dest.host, sizeof(dest.host), "%s", dq->host);
	dq->ask.done = dns_answered;
	if (!sbx_ask_submit(dq->ds->ctx->ask, "dns", "dns", &dest, &dq->who, &dq->ask)) {
		d->reason = SBX_REASON_UNANSWERED;
		return false;
	}
	dq->deadline_ms = UINT64_MAX;
	sbx_list_add_tail(&dq->ds->pending, &dq->link);
	return true;
}

/* One complete query message from @peer (UDP) or @tcp. */
static void handle_query(struct sbx_dnsstub *ds, int udp_fd, struct dns_tcp *tcp, const uint8_t *msg, size_t len,
			 const struct sockaddr *peer, socklen_t peer_len)
{
	struct dns_q *dq;
	struct sbx_decision d;
	const char *why = NULL;
	uint8_t rcode = SBX_DNS_FORMERR;
	int r;

	if (!tcp && ds->udp_inflight >= SBX_DNS_MAX_INFLIGHT)
		return; /* overloaded: the client retries */
	dq = calloc(1, sizeof(*dq));
	if (!dq)
		return;
	dq->ds = ds;
	sbx_list_init(&dq->link);
	dq->udp_fd = udp_fd;
	dq->tcp = tcp;
	if (peer) {
		memcpy(&dq->peer, peer, peer_len);
		dq->peer_len = peer_len;
		if (ds->ctx->log || ds->ctx->ask) { /* who asked: for the log, and for a question */
			union {
				struct sockaddr sa;
				struct sockaddr_storage ss;
			} local;
			socklen_t llen = sizeof(local);

			if (getsockname(udp_fd, &local.sa, &llen) == 0)
				sbx_gw_identify(ds->ctx, IPPROTO_UDP, peer, &local.sa, &dq->who);
		}
	}
	if (!tcp)
		ds->udp_inflight++;
	if (len > sizeof(dq->msg)) {
		uint8_t out[SBX_DNS_HEADER_LEN + 4];
		int n = sbx_dns_build_error(msg, len, SBX_DNS_FORMERR, out, sizeof(out));
		if (n > 0)
			send_answer(dq, out, (size_t)n);
		dq_free(dq);
		return;
	}
	memcpy(dq->msg, msg, len);
	dq->msg_len = len;
	r = sbx_dns_parse_query(dq->msg, len, &dq->q, &rcode);
	if (r < 0) {
		if (rcode != SBX_DNS_RCODE_DROP) {
			uint8_t out[512];
			int n = sbx_dns_build_error(dq->msg, len, rcode, out, sizeof(out));
			if (n > 0)
				send_answer(dq, out, (size_t)n);
		}
		dq_free(dq);
		return;
	}
	if (sbx_policy_host_normalise(dq->q.name, strlen(dq->q.name), dq->host, sizeof(dq->host), &why) < 0) {
		dq->host[0] = '\0';
		log_dns(dq, NULL, NULL, 0, why);
		answer(dq, SBX_DNS_REFUSED, NULL, 0);
		dq_free(dq);
		return;
	}
	if (judge_answer(dq, NULL, 0, &d) == SBX_VERDICT_DENY) {
		if (!dns_ask(dq, &d))
			refuse(dq, &d, NULL);
		return;
	}
	go_on(dq);
}

/* The name is allowed: answer it, from the cache or once the resolver has. */
static void go_on(struct dns_q *dq)
{
	struct sbx_dnsstub *ds = dq->ds;
	int r;

	if (dq->q.qtype != SBX_DNS_TYPE_A && dq->q.qtype != SBX_DNS_TYPE_AAAA) {
		answer(dq, SBX_DNS_NOERROR, NULL, 0); /* allowed name, type not served: empty answer */
		dq_free(dq);
		return;
	}
	{
		struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
		size_t n;

		if (sbx_resolver_cached(ds->ctx->resolver, dq->host, addrs, &n)) {
			resolved(dq, 0, addrs, n); /* answers and frees */
			return;
		}
	}
	dq->deadline_ms = sbx_loop_now_ms() + SBX_DNS_TIMEOUT_MS;
	sbx_list_add_tail(&ds->pending, &dq->link);
	r = sbx_resolver_submit(ds->ctx->resolver, dq->host, resolved, dq, &dq->rq);
	if (r < 0) {
		answer(dq, SBX_DNS_SERVFAIL, NULL, 0);
		dq_free(dq);
	}
}

/**
 * sbx_dnsstub_udp_ready() - serve every datagram waiting on a DNS socket.
 * @ds: the DNS stub
 * @fd: a UDP socket from the gateway namespace
 *
 * Context: the supervisor's event loop.
 */
void sbx_dnsstub_udp_ready(struct sbx_dnsstub *ds, int fd)
{
	for (int i = 0; i < 64; i++) {
		uint8_t msg[SBX_DNS_UDP_MAX + 1];
		union {
			struct sockaddr sa;
			struct sockaddr_storage ss;
		} peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, msg, sizeof(msg), MSG_DONTWAIT, &peer.sa, &plen);

		if (n < 0)
			return;
		handle_query(ds, fd, NULL, msg, (size_t)n, &peer.sa, plen);
	}
}

static void tcp_free(void *arg)
{
	free(arg);
}

static void tcp_close(struct dns_tcp *t)
{
	struct sbx_dnsstub *ds = t->ds;
	struct sbx_list *pos, *tmp;

	if (t->dead)
		return;
	t->dead = true;
	sbx_list_for_each_safe(pos, tmp, &ds->pending)
	{
		struct dns_q *dq = sbx_list_entry(pos, struct dns_q, link);

		if (dq->tcp == t)
			dq_free(dq);
	}
	sbx_loop_unwatch(ds->ctx->loop, &t->w);
	close(t->w.fd);
	sbx_list_del(&t->link);
	ds->n_tcp--;
	sbx_loop_defer(ds->ctx->loop, tcp_free, t);
}

/* Serve the complete queries in the buffer, one at a time; a half-closed client is closed once all are answered. */
static void tcp_serve(struct dns_tcp *t)
{
	while (!t->dead && !t->busy && t->len >= 2) {
		size_t mlen = ((size_t)t->buf[0] << 8) | t->buf[1];
		uint8_t msg[65535];

		if (t->len < 2 + mlen)
			break;
		memcpy(msg, t->buf + 2, mlen);
		memmove(t->buf, t->buf + 2 + mlen, t->len - 2 - mlen);
		t->len -= 2 + mlen;
		t->busy = true;
		t->deadline_ms = sbx_loop_now_ms() + SBX_DNS_TIMEOUT_MS;
		handle_query(t->ds, -1, t, msg, mlen, NULL, 0);
	}
	if (!t->dead && t->eof && !t->busy)
		tcp_close(t); /* a partial query left behind can never complete */
}

static void tcp_continue(void *arg)
{
	struct dns_tcp *t = arg;

	if (!t->dead)
		tcp_serve(t);
}

static void tcp_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct dns_tcp *t = sbx_container_of(w, struct dns_tcp, w);
	ssize_t n;

	if (t->dead || t->eof)
		return;
	n = recv(w->fd, t->buf + t->len, sizeof(t->buf) - t->len, MSG_DONTWAIT);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		tcp_close(t);
		return;
	}
	if (n == 0) {
		/* Half-closed after its queries (allowed by RFC 7766): answer them, read no more. */
		t->eof = true;
		sbx_loop_pause(loop, w);
	}
	if (n > 0)
		t->len += (size_t)n;
	tcp_serve(t);
}

/**
 * sbx_dnsstub_tcp_accept() - accept DNS-over-TCP connections.
 * @ds: the DNS stub
 * @listen_fd: a listening socket from the gateway namespace
 *
 * Context: the supervisor's event loop.
 * Return: 0, or -EMFILE, -ENFILE, -ENOBUFS or -ENOMEM when sbx could not
 * accept for want of descriptors or memory (the caller rests the listener).
 */
int sbx_dnsstub_tcp_accept(struct sbx_dnsstub *ds, int listen_fd)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct dns_tcp *t;

		if (fd < 0)
			return sbx_gw_accept_starved(errno) ? -errno : 0;
		if (ds->n_tcp >= SBX_DNS_MAX_TCP || !(t = calloc(1, sizeof(*t)))) {
			close(fd);
			continue;
		}
		t->ds = ds;
		t->w = (struct sbx_watch){.cb = tcp_cb, .fd = fd};
		t->deadline_ms = sbx_loop_now_ms() + SBX_DNS_TIMEOUT_MS;
		if (sbx_loop_watch(ds->ctx->loop, &t->w, EPOLLIN) < 0) {
			close(fd);
			free(t);
			continue;
		}
		sbx_list_add_tail(&ds->tcp, &t->link);
		ds->n_tcp++;
	}
	return 0;
}

/**
 * sbx_dnsstub_tick() - answer SERVFAIL to lookups that take too long; drop idle TCP clients.
 * @ds: the DNS stub
 * @now: sbx_loop_now_ms()
 */
void sbx_dnsstub_tick(struct sbx_dnsstub *ds, uint64_t now)
{
	struct sbx_list *pos, *tmp;

	sbx_list_for_each_safe(pos, tmp, &ds->pending)
	{
		struct dns_q *dq = sbx_list_entry(pos, struct dns_q, link);

		if (now >= dq->deadline_ms) {
			log_dns(dq, NULL, NULL, 0, "resolution timed out");
			answer(dq, SBX_DNS_SERVFAIL, NULL, 0);
			dq_free(dq);
		}
	}
	sbx_list_for_each_safe(pos, tmp, &ds->tcp)
	{
		struct dns_tcp *t = sbx_list_entry(pos, struct dns_tcp, link);

		if (now >= t->deadline_ms && !t->busy) /* a query in progress keeps its own deadline */
			tcp_close(t);
	}
}

/**
 * sbx_dnsstub_policy_changed() - release the queries waiting for an answer that a new rule decides.
 * @ds: the DNS stub
 *
 * Context: the supervisor's event loop (lib/livepolicy.c's watchers).
 */
void sbx_dnsstub_policy_changed(struct sbx_dnsstub *ds)
{
	struct sbx_list *pos, *tmp;

	sbx_list_for_each_safe(pos, tmp, &ds->pending)
	{
		struct dns_q *dq = sbx_list_entry(pos, struct dns_q, link);
		struct sbx_decision d;

		if (!dq->ask.q)
			continue; /* being resolved: judged with the version in force when the answer comes */
		if (judge_answer(dq, NULL, 0, &d) == SBX_VERDICT_DENY && sbx_policy_askable(&d))
			continue;
		sbx_ask_cancel(ds->ctx->ask, &dq->ask);
		sbx_list_del(&dq->link);
		dq->deadline_ms = sbx_loop_now_ms() + SBX_DNS_TIMEOUT_MS;
		if (d.verdict == SBX_VERDICT_DENY)
			refuse(dq, &d, NULL);
		else
			go_on(dq);
	}
}

/**
 * sbx_dnsstub_new() - the DNS stub's state, before any query.
 * @ctx: the gateway's context; must outlive the stub
 * @out: the stub
 *
 * Return: 0, or -ENOMEM.
 */
int sbx_dnsstub_new(const struct sbx_gw_ctx *ctx, struct sbx_dnsstub **out)
{
	struct sbx_dnsstub *ds = calloc(1, sizeof(*ds));

	if (!ds)
		return -ENOMEM;
	ds->ctx = ctx;
	sbx_list_init(&ds->tcp);
	sbx_list_init(&ds->pending);
	*out = ds;
	return 0;
}

/**
 * sbx_dnsstub_free() - drop every pending query and TCP client, and free the stub.
 * @ds: the DNS stub, or NULL
 */
void sbx_dnsstub_free(struct sbx_dnsstub *ds)
{
	struct dns_q *dq;
	struct dns_tcp *t;

	if (!ds)
		return;
	while ((dq = sbx_list_first(&ds->pending, struct dns_q, link)))
		dq_free(dq);
	while ((t = sbx_list_first(&ds->tcp, struct dns_tcp, link))) {
		tcp_close(t);
		free(t);
	}
	free(ds);
}
