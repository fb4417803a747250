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
#include <unistd.h>

#include "gateway_int.h"
#include "sbx/util.h"

/*
 * The supervisor receives the proxy and DNS listening sockets from sandbox
 * init (created inside the gateway namespace, see net.c) and serves them on
 * its event loop; every outbound socket it opens belongs to the host's
 * network namespace, so the host's own firewall still applies to them.
 *
 * The proxy dials from the host, so the host itself is the confused deputy
 * to guard: its loopback, unspecified and own interface addresses are
 * refused whatever the rules say (the policy engine already refuses every
 * special-purpose range unless an address rule opens it; this list adds the
 * host's public addresses and makes loopback unconditional).
 */

#define SBX_DEFAULT_MAX_CONNS 1024
#define SBX_DEFAULT_MAX_HEAD 16384
#define SBX_DEFAULT_HEADER_TIMEOUT_MS 10000
#define SBX_DEFAULT_CONNECT_TIMEOUT_MS 15000
#define SBX_DEFAULT_IDLE_TIMEOUT_MS 300000

static void add_self(struct sbx_gateway *gw, int family, const void *b)
{
	struct sbx_addr a = {.family = (sa_family_t)family};

	if (gw->n_self >= SBX_GW_MAX_SELF_ADDRS)
		return;
	memcpy(a.b, b, family == AF_INET ? 4 : 16);
	gw->self[gw->n_self++] = a;
}

static void load_self_addrs(struct sbx_gateway *gw)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			add_self(gw, AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			add_self(gw, AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

/**
 * sbx_gw_is_self() - whether @a is the host itself (loopback, unspecified, or an interface address).
 * @gw: the gateway
 * @a: an address about to be dialled; IPv4-mapped IPv6 is judged as its IPv4
 *
 * Return: true if the proxy must not dial it.
 */
bool sbx_gw_is_self(const struct sbx_gateway *gw, const struct sbx_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sbx_addr v = *a;

	if (v.family == AF_INET6 && memcmp(v.b, mapped, 12) == 0) {
		v.family = AF_INET;
		memmove(v.b, v.b + 12, 4);
		memset(v.b + 4, 0, 12);
	}
	if (v.family == AF_INET && (v.b[0] == 127 || v.b[0] == 0))
		return true;
	if (v.family == AF_INET6) {
		static const uint8_t zero[16];
		if (memcmp(v.b, zero, 15) == 0 && (v.b[15] == 0 || v.b[15] == 1))
			return true;
	}
	for (size_t i = 0; i < gw->n_self; i++) {
		size_t len = v.family == AF_INET ? 4 : 16;
		if (gw->self[i].family == v.family && memcmp(gw->self[i].b, v.b, len) == 0)
			return true;
	}
	return false;
}

/**
 * sbx_gw_target() - turn a host as a client named it into a destination.
 * @text: a name, IPv4 text, or IPv6 text (without brackets)
 * @is_v6: @text was given as an IPv6 literal
 * @dest: the address, or the normalised name (port left 0)
 * @why: on failure, a static reason
 *
 * Only canonical address text is an address; any other numeric spelling
 * (2130706433, 0x7f.1, 127.1, ...) is refused here and never resolved.
 *
 * Return: 0, or -EINVAL.
 */
int sbx_gw_target(const char *text, bool is_v6, struct sbx_dest *dest, const char **why)
{
	size_t len = strlen(text);
	int r;

	memset(dest, 0, sizeof(*dest));
	if (sbx_policy_addr_parse(text, len, &dest->addr) == 0) {
		dest->is_addr = true;
		return 0;
	}
	if (is_v6 || strchr(text, ':')) {
		*why = "not a canonical IPv6 address";
		return -EINVAL;
	}
	r = sbx_policy_host_normalise(text, len, dest->host, sizeof(dest->host), why);
	return r < 0 ? -EINVAL : 0;
}

static void listener_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_gw_listen *l = (struct sbx_gw_listen *)w;

	switch (l->kind) {
	case SBX_GW_PROXY4:
	case SBX_GW_PROXY6:
		sbx_proxy_accept(l->gw, w->fd);
		break;
	case SBX_GW_DNS_UDP4:
	case SBX_GW_DNS_UDP6:
		sbx_dns_udp_ready(l->gw, w->fd);
		break;
	case SBX_GW_DNS_TCP4:
	case SBX_GW_DNS_TCP6:
		sbx_dns_tcp_accept(l->gw, w->fd);
		break;
	default:
		break;
	}
}

static void tick_cb(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_gateway *gw = (struct sbx_gateway *)((char *)w - offsetof(struct sbx_gateway, tick_w));
	uint64_t expirations, now = sbx_loop_now_ms();

	if (read(w->fd, &expirations, sizeof(expirations)) < 0) {
		/* spurious wake-up */
	}
	sbx_proxy_tick(gw, now);
	sbx_dns_tick(gw, now);
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

/**
 * sbx_gateway_start() - serve the proxy and DNS listeners of an allowlist sandbox.
 * @loop: the supervisor's loop
 * @cfg: limits (--proxy-*)
 * @policy: the policy every decision uses
 * @log_fd: the decision log, or -1
 * @fds: SBX_GW_N_LISTENERS listening sockets in enum sbx_gw_listener order;
 *	owned by the gateway on success
 * @out: the gateway
 *
 * Context: the supervisor, when sandbox init reports its network ready.
 * Return: 0, or a negative errno.
 */
int sbx_gateway_start(struct sbx_loop *loop, const struct sbx_config *cfg, const struct sbx_policy *policy,
		      int log_fd, int *fds, struct sbx_gateway **out)
{
	struct sbx_gateway *gw = calloc(1, sizeof(*gw));
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	int r;

	if (!gw)
		return -ENOMEM;
	gw->loop = loop;
	gw->policy = policy;
	gw->log_fd = log_fd;
	gw->max_conns = cfg->proxy_max_conns ? cfg->proxy_max_conns : SBX_DEFAULT_MAX_CONNS;
	gw->max_head = cfg->proxy_max_header ? cfg->proxy_max_header : SBX_DEFAULT_MAX_HEAD;
	gw->header_timeout_ms = cfg->proxy_header_timeout > 0 ? (uint64_t)(cfg->proxy_header_timeout * 1000)
							      : SBX_DEFAULT_HEADER_TIMEOUT_MS;
	gw->connect_timeout_ms = SBX_DEFAULT_CONNECT_TIMEOUT_MS;
	gw->idle_timeout_ms = cfg->proxy_idle_timeout > 0 ? (uint64_t)(cfg->proxy_idle_timeout * 1000)
							  : SBX_DEFAULT_IDLE_TIMEOUT_MS;
	gw->tick_w.fd = -1;
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++)
		gw->listeners[i].w.fd = -1;
	gw->relay_buf = malloc(SBX_GW_RELAY_BUF);
	if (!gw->relay_buf) {
		r = -ENOMEM;
		goto fail;
	}
	load_self_addrs(gw);
	raise_nofile(gw->max_conns);
	r = sbx_resolver_new(loop, &gw->resolver);
	if (r < 0)
		goto fail;
	gw->tick_w = (struct sbx_watch){.cb = tick_cb, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)};
	if (gw->tick_w.fd < 0 || timerfd_settime(gw->tick_w.fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = sbx_loop_watch(loop, &gw->tick_w, EPOLLIN)) < 0)
		goto fail;
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++) {
		struct sbx_gw_listen *l = &gw->listeners[i];

		l->gw = gw;
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
	*out = gw;
	return 0;
fail:
	sbx_gateway_free(gw);
	return r;
}

/**
 * sbx_gateway_free() - close every connection and listener.
 * @gw: the gateway, or NULL
 */
void sbx_gateway_free(struct sbx_gateway *gw)
{
	if (!gw)
		return;
	sbx_proxy_close_all(gw);
	sbx_dns_close_all(gw);
	for (size_t i = 0; i < SBX_GW_N_LISTENERS; i++) {
		if (gw->listeners[i].w.fd >= 0) {
			sbx_loop_unwatch(gw->loop, &gw->listeners[i].w);
			close(gw->listeners[i].w.fd);
		}
	}
	if (gw->tick_w.fd >= 0) {
		sbx_loop_unwatch(gw->loop, &gw->tick_w);
		close(gw->tick_w.fd);
	}
	sbx_resolver_free(gw->resolver);
	free(gw->relay_buf);
	free(gw);
}
