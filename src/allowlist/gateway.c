// SPDX-License-Identifier: Apache-2.0
/* The allowlist gateway in the supervisor: listeners from the gateway namespace, limits, the host's own addresses. */

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include "allowlist/allowlist.h"
#include "gateway.h"
#include "sbx/util.h"

/*
 * The supervisor receives the proxy and DNS listening sockets from sandbox
 * init (created inside the gateway namespace, see src/init/net.c) and serves
 * them on its event loop; every outbound socket it opens belongs to the
 * host's network namespace, so the host's own firewall still applies to them.
 *
 * The gateway owns the listeners, the once-a-second deadline tick and the
 * context both services read (limits, policy, resolver, the host's own
 * addresses: hostaddr.c). The proxy (proxy.c) and the DNS stub (dnsstub.c)
 * each own their connections; neither calls the other.
 *
 * Out of descriptors, accept() fails and leaves the connection in the
 * backlog, so a level-triggered listener would wake the loop at once, again
 * and again (a spin at 100% CPU). The TCP listeners then rest: out of epoll
 * for SBX_GW_REST_MS, on a timer made at start (no descriptor needed when
 * they run out). Waiting clients are accepted once descriptors are free; a
 * client accepted when none is left for its upstream socket gets a 503 that
 * says so (proxy.c).
 */

struct sbx_allowlist;

struct gw_listen {
	struct sbx_watch w;
	struct sbx_allowlist *al;
	enum sbx_gw_listener kind;
};

struct sbx_allowlist {
	struct sbx_gw_ctx ctx;
	struct sbx_hostaddr host;
	struct sbx_proxy *proxy;
	struct sbx_dnsstub *dns;
	struct gw_listen listeners[SBX_GW_N_LISTENERS];
	struct sbx_watch tick_w; /* 1 s timerfd for deadlines */
	struct sbx_watch rest_w; /* one-shot timerfd: the TCP listeners rest after a starved accept */
	bool resting;
	struct sbx_livepolicy_watcher watcher; /* --control-fd and --ask-fd changes */
};

/* A new policy version: both services close or release what it now decides. */
static void policy_changed(struct sbx_livepolicy_watcher *w, const struct sbx_policy *now)
{
	struct sbx_allowlist *al = sbx_container_of(w, struct sbx_allowlist, watcher);

	sbx_proxy_policy_changed(al->proxy);
	sbx_dnsstub_policy_changed(al->dns);
}

#define SBX_DEFAULT_MAX_CONNS 1024
#define SBX_DEFAULT_MAX_HEAD 16384
#define SBX_DEFAULT_HEADER_TIMEOUT_MS 10000
#define SBX_DEFAULT_CONNECT_TIMEOUT_MS 15000
#define SBX_DEFAULT_IDLE_TIMEOUT_MS 300000
#define SBX_GW_REST_MS 250

static bool is_tcp_listener(enum sbx_gw_listener kind)
{
	return kind == SBX_GW_PROXY4 || kind == SBX_GW_PROXY6 || kind == SBX_GW_DNS_TCP4 || kind == SBX_GW_DNS_TCP6;
}

/* accept() starved (see the top of the file): stop watching every TCP listener for a moment. */
static void rest_listeners(struct sbx_allowlist *al)
{
	struct itimerspec its = {.it_value = {0, SBX_GW_REST_MS * 1000000L}};

	if (al->resting)
		return;
	if (timerfd_settime(al->rest_w.fd, 0, &its, NULL) < 0)
		return; /* cannot come back: keep serving, a busy loop beats a dead proxy */
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++)
		if (is_tcp_listener(al->listeners[i].kind))
			sbx_loop_pause(al->ctx.loop, &al->listeners[i].w);
	al->resting = true;
}

static void rest_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_allowlist *al = sbx_container_of(w, struct sbx_allowlist, rest_w);
	uint64_t expirations;

	if (read(w->fd, &expirations, sizeof(expirations)) < 0) {
		/* spurious wake-up */
	}
	al->resting = false;
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++)
		if (is_tcp_listener(al->listeners[i].kind))
			sbx_loop_watch(loop, &al->listeners[i].w, EPOLLIN);
}

static void listener_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct gw_listen *l = sbx_container_of(w, struct gw_listen, w);
	int r = 0;

	switch (l->kind) {
	case SBX_GW_PROXY4:
	case SBX_GW_PROXY6:
		r = sbx_proxy_accept(l->al->proxy, w->fd);
		break;
	case SBX_GW_DNS_UDP4:
	case SBX_GW_DNS_UDP6:
		sbx_dnsstub_udp_ready(l->al->dns, w->fd);
		break;
	case SBX_GW_DNS_TCP4:
	case SBX_GW_DNS_TCP6:
		r = sbx_dnsstub_tcp_accept(l->al->dns, w->fd);
		break;
	default:
		break;
	}
	if (r < 0)
		rest_listeners(l->al);
}

static void tick_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_allowlist *al = sbx_container_of(w, struct sbx_allowlist, tick_w);
	uint64_t expirations, now = sbx_loop_now_ms();

	if (read(w->fd, &expirations, sizeof(expirations)) < 0) {
		/* spurious wake-up */
	}
	sbx_proxy_tick(al->proxy, now);
	sbx_dnsstub_tick(al->dns, now);
}

/* Each tunnel holds two descriptors: allow as many as the hard limit does. */
static void raise_nofile(unsigned max_conns)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t want = (rlim_t)max_conns * 2 + 256;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The inode of the sandbox's socket @peer -> @local (one exact sock_diag lookup), or 0. */
static unsigned long diag_inode(int fd, int protocol, const struct sockaddr *peer, const struct sockaddr *local)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} q = {
		.nlh = {.nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST},
		.req = {.sdiag_family = (uint8_t)peer->sa_family,
			.sdiag_protocol = (uint8_t)protocol,
			.idiag_states = ~0u,
			.id = {.idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} a;
	ssize_t n;

	/* The sandbox's socket: its source is the client (@peer), its destination the gateway (@local). */
	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *p = (const void *)peer, *l = (const void *)local;

		q.req.id.idiag_sport = p->sin_port;
		q.req.id.idiag_dport = l->sin_port;
		memcpy(q.req.id.idiag_src, &p->sin_addr, 4);
		memcpy(q.req.id.idiag_dst, &l->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *p = (const void *)peer, *l = (const void *)local;

		q.req.id.idiag_sport = p->sin6_port;
		q.req.id.idiag_dport = l->sin6_port;
		memcpy(q.req.id.idiag_src, &p->sin6_addr, 16);
		memcpy(q.req.id.idiag_dst, &l->sin6_addr, 16);
	}
	if (send(fd, &q, sizeof(q), MSG_DONTWAIT) != (ssize_t)sizeof(q))
		return 0;
	n = recv(fd, &a, sizeof(a), 0);
	if (n < (ssize_t)(NLMSG_LENGTH(sizeof(struct inet_diag_msg))) || a.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0; /* NLMSG_ERROR: no such socket (it closed already) */
	return ((const struct inet_diag_msg *)NLMSG_DATA(&a.nlh))->idiag_inode;
}

/**
 * sbx_gw_identify() - the sandbox process behind a client, for the decision log.
 * @ctx: the gateway's context
 * @protocol: IPPROTO_TCP or IPPROTO_UDP
 * @peer: the client's address as the gateway saw it
 * @local: the gateway's address the client reached
 * @who: filled in, or left unknown
 *
 * One exact sock_diag lookup in the sandbox's network namespace (the
 * socket's inode), then a walk of the sandbox's processes for the holder of
 * that inode (sbx_procinfo_inode_owner()). Falls back to the sandbox's
 * /proc/net table when there is no sock_diag socket.
 *
 * Context: the supervisor's event loop, only when there is a decision log.
 */
void sbx_gw_identify(const struct sbx_gw_ctx *ctx, int protocol, const struct sockaddr *peer,
		     const struct sockaddr *local, struct sbx_procinfo *who)
{
	unsigned long inode;

	who->ns_pid = 0;
	who->comm[0] = '\0';
	if (ctx->sandbox_pid <= 0 || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6) ||
	    local->sa_family != peer->sa_family)
		return;
	if (ctx->diag_fd < 0) {
		uint16_t port = ntohs(peer->sa_family == AF_INET
					      ? ((const struct sockaddr_in *)(const void *)peer)->sin_port
					      : ((const struct sockaddr_in6 *)(const void *)peer)->sin6_port);

		sbx_procinfo_socket_owner(ctx->sandbox_pid, protocol == IPPROTO_TCP ? "tcp" : "udp",
					  peer->sa_family == AF_INET6, port, who);
		return;
	}
	inode = diag_inode(ctx->diag_fd, protocol, peer, local);
	if (inode)
		sbx_procinfo_inode_owner(ctx->sandbox_pid, inode, who);
}

/**
 * sbx_allowlist_start() - serve the proxy and DNS listeners of an allowlist sandbox.
 * @loop: the supervisor's loop
 * @cfg: limits (--proxy-*)
 * @live: the policy in force, watched for changes; must outlive the services
 * @id: the sandbox id, for --ask-fd's lines
 * @uplink: the upstream proxy to dial through (--upstream-proxy), or NULL;
 *	must outlive the services
 * @log: the decision log, or NULL
 * @sandbox_pid: sandbox init's pid (to name the process behind a connection in the log)
 * @fds: SBX_GW_N_FDS descriptors: the listening sockets in enum sbx_gw_listener order, then the sock_diag socket;
 *	owned by the allowlist services on success
 * @out: the services
 *
 * Context: the supervisor, when sandbox init reports its network ready.
 * Return: 0, or a negative errno.
 */
int sbx_allowlist_start(struct sbx_loop *loop, const struct sbx_config *cfg, struct sbx_livepolicy *live,
			const char *id, const struct sbx_uplink *uplink, struct sbx_jsonl *log, pid_t sandbox_pid,
			int *fds, struct sbx_allowlist **out)
{
	struct sbx_allowlist *al = calloc(1, sizeof(*al));
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct sbx_gw_ctx *ctx;
	int r;

	if (!al)
		return -ENOMEM;
	ctx = &al->ctx;
	ctx->loop = loop;
	ctx->live = live;
	sbx_list_init(&al->watcher.link);
	ctx->uplink = uplink;
	ctx->log = log;
	ctx->sandbox_pid = sandbox_pid;
	ctx->diag_fd = fds[SBX_GW_DIAG];
	fds[SBX_GW_DIAG] = -1;
	ctx->host = &al->host;
	ctx->max_conns = cfg->proxy_max_conns ? cfg->proxy_max_conns : SBX_DEFAULT_MAX_CONNS;
	ctx->max_head = cfg->proxy_max_header ? cfg->proxy_max_header : SBX_DEFAULT_MAX_HEAD;
	ctx->header_timeout_ms = cfg->proxy_header_timeout_ms ? cfg->proxy_header_timeout_ms
							      : SBX_DEFAULT_HEADER_TIMEOUT_MS;
	ctx->connect_timeout_ms = SBX_DEFAULT_CONNECT_TIMEOUT_MS;
	ctx->idle_timeout_ms = cfg->proxy_idle_timeout_ms ? cfg->proxy_idle_timeout_ms : SBX_DEFAULT_IDLE_TIMEOUT_MS;
	al->tick_w.fd = -1;
	al->rest_w.fd = -1;
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++)
		al->listeners[i].w.fd = -1;
	sbx_hostaddr_load(&al->host);
	raise_nofile(ctx->max_conns);
	r = sbx_resolver_new(loop, &ctx->resolver);
	if (r < 0)
		goto fail;
	r = sbx_proxy_new(ctx, &al->proxy);
	if (r < 0)
		goto fail;
	r = sbx_dnsstub_new(ctx, &al->dns);
	if (r < 0)
		goto fail;
	if (cfg->ask_in_fd >= 0) {
		r = sbx_ask_new(ctx, cfg->ask_in_fd, cfg->ask_out_fd, id,
				cfg->ask_timeout_ms ? cfg->ask_timeout_ms : SBX_DEFAULT_ASK_TIMEOUT_MS, &ctx->ask);
		if (r < 0)
			goto fail;
	}
	al->watcher.changed = policy_changed;
	sbx_livepolicy_watch(live, &al->watcher);
	al->tick_w =
		(struct sbx_watch){.cb = tick_cb, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
	if (al->tick_w.fd < 0 || timerfd_settime(al->tick_w.fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = sbx_loop_watch(loop, &al->tick_w, EPOLLIN)) < 0)
		goto fail;
	al->rest_w =
		(struct sbx_watch){.cb = rest_cb, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
	if (al->rest_w.fd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = sbx_loop_watch(loop, &al->rest_w, EPOLLIN)) < 0)
		goto fail;
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++) {
		struct gw_listen *l = &al->listeners[i];

		l->al = al;
		l->kind = (enum sbx_gw_listener)i;
		l->w = (struct sbx_watch){.cb = listener_cb, .fd = fds[i]};
		fds[i] = -1;
		if (i == SBX_GW_PROXY4 || i == SBX_GW_PROXY6) {
			/* Proxy clients speak first: wake up once the request is in. */
			int secs = 5;
			setsockopt(l->w.fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
		}
		if ((r = sbx_loop_watch(loop, &l->w, EPOLLIN)) < 0)
			goto fail;
	}
	*out = al;
	return 0;
fail:
	sbx_allowlist_free(al);
	return r;
}

/**
 * sbx_allowlist_free() - close every connection and listener.
 * @al: the services, or NULL
 */
void sbx_allowlist_free(struct sbx_allowlist *al)
{
	if (!al)
		return;
	sbx_livepolicy_unwatch(&al->watcher);
	sbx_proxy_free(al->proxy);
	sbx_dnsstub_free(al->dns);
	sbx_ask_free(al->ctx.ask); /* after the services: their waiters are gone */
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++) {
		if (al->listeners[i].w.fd >= 0) {
			sbx_loop_unwatch(al->ctx.loop, &al->listeners[i].w);
			close(al->listeners[i].w.fd);
		}
	}
	if (al->tick_w.fd >= 0) {
		sbx_loop_unwatch(al->ctx.loop, &al->tick_w);
		close(al->tick_w.fd);
	}
	if (al->rest_w.fd >= 0) {
		sbx_loop_unwatch(al->ctx.loop, &al->rest_w);
		close(al->rest_w.fd);
	}
	sbx_resolver_free(al->ctx.resolver);
	if (al->ctx.diag_fd >= 0)
		close(al->ctx.diag_fd);
	sbx_hostaddr_free(&al->host);
	free(al);
}
