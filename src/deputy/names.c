// SPDX-License-Identifier: Apache-2.0
/* The open posture's exact-name deny rules: enforced by their addresses, resolved at start and again every minute. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

/*
 * A payload in open posture resolves names itself, so `--deny evil.example`
 * can only be enforced on the addresses the name has: they are resolved
 * once before the payload starts and again every SBX_DEPUTY_REFRESH_SEC on
 * the event loop (the resolver pool; getaddrinfo() reports no TTL). A
 * failed refresh keeps the previous addresses: a resolver hiccup must not
 * lift a deny. Wildcard deny rules cannot be enforced this way (the payload
 * reaches subdomains sbx never saw) and are refused before anything starts.
 *
 * Workers read the addresses under a read lock; the loop replaces them
 * under the write lock.
 */

struct deny_name {
	char host[SBX_POLICY_HOST_MAX];
	const struct sbx_rule *rule;
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
	size_t n_addrs;
	struct sbx_resolve_req *pending;
	struct sbx_names *owner;
};

struct sbx_names {
	struct sbx_loop *loop;
	pthread_rwlock_t lock;
	struct deny_name *names;
	size_t n;
	struct sbx_resolver *resolver;
	struct sbx_watch timer_w; /* fd -1 when there is no name */
};

static void on_refreshed(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct deny_name *dn = ctx;

	dn->pending = NULL;
	if (err < 0 || n == 0)
		return; /* keep what we had */
	if (n > SBX_RESOLVE_MAX_ADDRS)
		n = SBX_RESOLVE_MAX_ADDRS;
	pthread_rwlock_wrlock(&dn->owner->lock);
	memcpy(dn->addrs, addrs, n * sizeof(*addrs));
	dn->n_addrs = n;
	pthread_rwlock_unlock(&dn->owner->lock);
}

static void on_refresh_timer(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_names *nm = sbx_container_of(w, struct sbx_names, timer_w);
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (size_t i = 0; i < nm->n; i++) {
		struct deny_name *dn = &nm->names[i];

		if (!dn->pending)
			sbx_resolver_submit(nm->resolver, dn->host, on_refreshed, dn, &dn->pending);
	}
}

/* Collect exact-name deny rules; refuse wildcard deny rules, which cannot be enforced. */
static int collect(struct sbx_names *nm, const struct sbx_policy *policy, char *err, size_t errlen)
{
	size_t count = sbx_policy_rule_count(policy);

	nm->names = calloc(count ? count : 1, sizeof(*nm->names));
	if (!nm->names)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(policy, i);
		char host[SBX_POLICY_HOST_MAX];
		bool wild;

		if (!sbx_policy_rule_is_deny(r) || sbx_policy_rule_host(r, host, sizeof(host), &wild) != 1)
			continue;
		if (wild) {
			char q[SBX_QUOTE_LEN];

			snprintf(err, errlen,
				 "--network=open cannot enforce the wildcard deny rule %s: a payload that does its "
				 "own DNS reaches subdomains sbx never saw; deny their addresses or exact names, or "
				 "use --network=allowlist",
				 sbx_quote(q, sizeof(q), sbx_policy_rule_text(r)));
			return -EINVAL;
		}
		struct deny_name *dn = &nm->names[nm->n++];
		snprintf(dn->host, sizeof(dn->host), "%s", host);
		dn->rule = r;
		dn->owner = nm;
		sbx_sockaddr_resolve(host, dn->addrs, SBX_RESOLVE_MAX_ADDRS, &dn->n_addrs);
	}
	return 0;
}

/**
 * sbx_names_new() - resolve the policy's exact-name deny rules and keep them fresh.
 * @loop: the supervisor's event loop (refreshes run on it)
 * @policy: the built policy; must outlive the result
 * @out: the names
 * @err: one user-facing line when a wildcard deny rule is refused
 * @errlen: size of @err
 *
 * Context: the supervisor, before clone (the first resolution blocks).
 * Return: 0, -EINVAL with @err set, or a negative errno.
 */
int sbx_names_new(struct sbx_loop *loop, const struct sbx_policy *policy, struct sbx_names **out, char *err,
		  size_t errlen)
{
	struct sbx_names *nm = calloc(1, sizeof(*nm));
	struct itimerspec its = {.it_interval = {.tv_sec = SBX_DEPUTY_REFRESH_SEC},
				 .it_value = {.tv_sec = SBX_DEPUTY_REFRESH_SEC}};
	int r;

	*out = NULL;
	if (!nm)
		return -ENOMEM;
	nm->loop = loop;
	nm->timer_w = (struct sbx_watch){.cb = on_refresh_timer, .fd = -1};
	pthread_rwlock_init(&nm->lock, NULL);
	r = collect(nm, policy, err, errlen);
	if (r < 0 || nm->n == 0)
		goto out;
	r = sbx_resolver_new(loop, &nm->resolver);
	if (r < 0)
		goto out;
	nm->timer_w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (nm->timer_w.fd < 0 || timerfd_settime(nm->timer_w.fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto out;
	}
	r = sbx_loop_watch(loop, &nm->timer_w, EPOLLIN);
out:
	if (r < 0) {
		sbx_names_free(nm);
		return r;
	}
	*out = nm;
	return 0;
}

/**
 * sbx_names_deny() - whether @a:@port is an address of an exact-name deny rule.
 * @nm: the names
 * @a: the destination (IPv4-mapped IPv6 is compared as its IPv4 address)
 * @port: its port
 * @d: set to a deny decision naming the rule when it is
 *
 * Context: any worker thread.
 * Return: true when denied.
 */
bool sbx_names_deny(struct sbx_names *nm, const struct sbx_addr *a, uint16_t port, struct sbx_decision *d)
{
	struct sbx_addr u;
	bool hit = false;

	if (!nm || !nm->n)
		return false;
	sbx_sockaddr_unmap(a, &u);
	pthread_rwlock_rdlock(&nm->lock);
	for (size_t i = 0; i < nm->n && !hit; i++) {
		const struct deny_name *dn = &nm->names[i];

		if (!sbx_policy_rule_port_match(dn->rule, port))
			continue;
		for (size_t k = 0; k < dn->n_addrs; k++) {
			if (dn->addrs[k].family == u.family &&
			    memcmp(dn->addrs[k].b, u.b, u.family == AF_INET ? 4 : 16) == 0) {
				memset(d, 0, sizeof(*d));
				d->verdict = SBX_VERDICT_DENY;
				d->reason = SBX_REASON_RULE;
				d->rule = dn->rule;
				d->has_addr = true;
				d->addr = u;
				hit = true;
				break;
			}
		}
	}
	pthread_rwlock_unlock(&nm->lock);
	return hit;
}

/**
 * sbx_names_free() - stop refreshing and free.
 * @nm: the names, or NULL
 */
void sbx_names_free(struct sbx_names *nm)
{
	if (!nm)
		return;
	for (size_t i = 0; i < nm->n; i++)
		if (nm->names[i].pending)
			sbx_resolver_cancel(nm->names[i].pending);
	sbx_resolver_free(nm->resolver);
	if (nm->timer_w.fd >= 0) {
		sbx_loop_unwatch(nm->loop, &nm->timer_w);
		close(nm->timer_w.fd);
	}
	free(nm->names);
	pthread_rwlock_destroy(&nm->lock);
	free(nm);
}
