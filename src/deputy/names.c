// SPDX-License-Identifier: Apache-2.0
/* The open posture's exact-name deny rules: enforced by their addresses, resolved at start, on a change and every minute. */

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
 * A deny name added while the payload runs (--control-fd) is resolved on
 * the loop before the change is acknowledged (the deputy's workers keep
 * serving the payload meanwhile), then the connections already open to its
 * addresses are shut (sweep.c); a refresh that finds new addresses shuts
 * those too.
 *
 * Workers read the addresses under a read lock; the loop replaces them
 * under the write lock. An entry names its rule by id, and a worker takes
 * the rule from the policy version it holds, so no entry points into a
 * version that may be freed.
 */

struct deny_name {
	char host[SBX_POLICY_HOST_MAX];
	uint32_t rule_id; /* looked up in the caller's policy version: no pointer into one is kept */
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
	size_t n_addrs;
	struct sbx_resolve_req *pending;
	struct sbx_names *owner;
	bool starved; /* the last resolution failed for want of descriptors or memory: try again */
};

struct sbx_names {
	struct sbx_loop *loop;
	pthread_rwlock_t lock; /* @names, @n and every entry's addresses */
	struct deny_name **names;
	size_t n;
	struct sbx_resolver *resolver; /* NULL until a name needs one */
	struct sbx_watch timer_w;      /* fd -1 until a name needs it */
	void (*learned)(void *arg);    /* a name's addresses changed: connections to them may need closing */
	bool refresh_missing;	       /* the resolver or timer could not be made (descriptors): try again */
	void *learned_arg;
};

static void on_refreshed(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct deny_name *dn = ctx;
	struct sbx_names *nm = dn->owner;
	bool changed;

	dn->pending = NULL;
	if (err < 0 || n == 0)
		return; /* keep what we had */
	if (n > SBX_RESOLVE_MAX_ADDRS)
		n = SBX_RESOLVE_MAX_ADDRS;
	pthread_rwlock_wrlock(&nm->lock);
	changed = n != dn->n_addrs || memcmp(dn->addrs, addrs, n * sizeof(*addrs)) != 0;
	memcpy(dn->addrs, addrs, n * sizeof(*addrs));
	dn->n_addrs = n;
	pthread_rwlock_unlock(&nm->lock);
	if (changed && nm->learned)
		nm->learned(nm->learned_arg);
}

static void on_refresh_timer(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_names *nm = sbx_container_of(w, struct sbx_names, timer_w);
	uint64_t ticks;

	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (size_t i = 0; i < nm->n; i++) {
		struct deny_name *dn = nm->names[i];

		if (!dn->pending)
			sbx_resolver_submit(nm->resolver, dn->host, on_refreshed, dn, &dn->pending);
	}
}

/**
 * sbx_names_check() - refuse a policy whose name rules open posture cannot enforce.
 * @policy: a policy version
 * @err: the message (the command line's and --control-fd's)
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL for a wildcard deny rule.
 */
int sbx_names_check(const struct sbx_policy *policy, char *err, size_t errlen)
{
	size_t count = sbx_policy_rule_count(policy);

	for (size_t i = 0; i < count; i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(policy, i);
		char host[SBX_POLICY_HOST_MAX], q[SBX_QUOTE_LEN];
		bool wild;

		if (!sbx_policy_rule_is_deny(r) || sbx_policy_rule_host(r, host, sizeof(host), &wild) != 1 || !wild)
			continue;
		snprintf(err, errlen,
			 "--network=open cannot enforce the wildcard deny rule %s: a payload that does its own DNS "
			 "reaches subdomains sbx never saw; deny their addresses or exact names, or use "
			 "--network=allowlist",
			 sbx_quote(q, sizeof(q), sbx_policy_rule_text(r)));
		return -EINVAL;
	}
	return 0;
}

static bool is_starved(int r)
{
	return r == -EMFILE || r == -ENFILE || r == -ENOMEM;
}

/* A blocking resolution of @dn (the loop's thread); a failure for want of descriptors is noted, to try again. */
static void resolve_now(struct deny_name *dn)
{
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
	size_t n = 0;
	int r = sbx_sockaddr_resolve(dn->host, addrs, SBX_RESOLVE_MAX_ADDRS, &n);

	dn->starved = is_starved(r);
	if (r < 0 || n == 0)
		return;
	pthread_rwlock_wrlock(&dn->owner->lock);
	memcpy(dn->addrs, addrs, n * sizeof(*addrs));
	dn->n_addrs = n;
	pthread_rwlock_unlock(&dn->owner->lock);
}

static struct deny_name *find_host(struct deny_name **names, size_t n, const char *host)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i]->host, host) == 0)
			return names[i];
	return NULL;
}

/* The resolver and the refresh timer, made when the first name needs them. */
static int need_refresh(struct sbx_names *nm)
{
	struct itimerspec its = {.it_interval = {.tv_sec = SBX_DEPUTY_REFRESH_SEC},
				 .it_value = {.tv_sec = SBX_DEPUTY_REFRESH_SEC}};
	int r = 0;

	if (!nm->resolver && (r = sbx_resolver_new(nm->loop, &nm->resolver)) < 0)
		return r;
	if (nm->timer_w.fd >= 0)
		return 0;
	nm->timer_w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (nm->timer_w.fd < 0)
		return -errno;
	if (timerfd_settime(nm->timer_w.fd, 0, &its, NULL) < 0 ||
	    (r = sbx_loop_watch(nm->loop, &nm->timer_w, EPOLLIN)) < 0) {
		r = r < 0 ? r : -errno;
		close(nm->timer_w.fd);
		nm->timer_w.fd = -1;
		return r;
	}
	return 0;
}

/*
 * The entries for @policy's exact-name deny rules: a name known already keeps
 * its addresses; a new one is resolved now, on the loop's thread, so the
 * rule holds before anyone is told it does.
 */
static int rebuild(struct sbx_names *nm, const struct sbx_policy *policy)
{
	size_t count = sbx_policy_rule_count(policy), n = 0;
	struct deny_name **names = calloc(count ? count : 1, sizeof(*names)), **old;
	size_t n_old;
	int r = 0;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < count && r == 0; i++) {
		const struct sbx_rule *rule = sbx_policy_rule_at(policy, i);
		struct deny_name *dn, *known;
		char host[SBX_POLICY_HOST_MAX];
		bool wild;

		if (!sbx_policy_rule_is_deny(rule) || sbx_policy_rule_host(rule, host, sizeof(host), &wild) != 1 ||
		    wild)
			continue;
		dn = calloc(1, sizeof(*dn));
		if (!dn) {
			r = -ENOMEM;
			break;
		}
		snprintf(dn->host, sizeof(dn->host), "%s", host);
		dn->rule_id = sbx_policy_rule_id(rule);
		dn->owner = nm;
		names[n++] = dn;
		known = find_host(nm->names, nm->n, host);
		if (known) {
			memcpy(dn->addrs, known->addrs, sizeof(dn->addrs));
			dn->n_addrs = known->n_addrs;
		} else {
			resolve_now(dn);
		}
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	pthread_rwlock_wrlock(&nm->lock);
	old = nm->names;
	n_old = nm->n;
	nm->names = names;
	nm->n = n;
	pthread_rwlock_unlock(&nm->lock);
	for (size_t i = 0; i < n_old; i++) {
		if (old[i]->pending)
			sbx_resolver_cancel(old[i]->pending);
		free(old[i]);
	}
	free(old);
	return 0;
}

/**
 * sbx_names_retry() - resolve again the names whose last resolution sbx could not make.
 * @nm: the names
 *
 * Context: the supervisor's event loop (blocks while they resolve).
 * Also makes the refresh timer a change could not make.
 *
 * Return: true when nothing is left waiting for descriptors.
 */
bool sbx_names_retry(struct sbx_names *nm)
{
	bool done = true;

	if (nm && nm->refresh_missing)
		nm->refresh_missing = need_refresh(nm) < 0;
	done = !(nm && nm->refresh_missing);
	for (size_t i = 0; nm && i < nm->n; i++) {
		if (nm->names[i]->starved)
			resolve_now(nm->names[i]);
		done = done && !nm->names[i]->starved;
	}
	return done;
}

/**
 * sbx_names_new() - resolve the policy's exact-name deny rules and keep them fresh.
 * @loop: the supervisor's event loop (refreshes run on it)
 * @policy: the policy the run starts with
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
	struct sbx_names *nm;
	int r = sbx_names_check(policy, err, errlen);

	*out = NULL;
	if (r < 0)
		return r;
	nm = calloc(1, sizeof(*nm));
	if (!nm)
		return -ENOMEM;
	nm->loop = loop;
	nm->timer_w = (struct sbx_watch){.cb = on_refresh_timer, .fd = -1};
	pthread_rwlock_init(&nm->lock, NULL);
	r = rebuild(nm, policy);
	if (r == 0 && nm->n)
		r = need_refresh(nm);
	for (size_t i = 0; r == 0 && i < nm->n; i++) {
		if (nm->names[i]->starved) {
			char q[SBX_QUOTE_LEN];

			/* Before the payload starts: refuse, rather than run with a deny that holds no address. */
			snprintf(err, errlen, "resolving the deny rule %s: sbx is out of file descriptors (ulimit -n)",
				 sbx_quote(q, sizeof(q), nm->names[i]->host));
			r = -EMFILE;
		}
	}
	if (r < 0) {
		sbx_names_free(nm);
		return r;
	}
	*out = nm;
	return 0;
}

/**
 * sbx_names_update() - follow a new policy version's exact-name deny rules.
 * @nm: the names
 * @policy: the version now in force
 * @learned: called (on the loop) when a name's addresses change; may be NULL
 * @arg: for @learned
 *
 * Context: the supervisor's event loop; blocks while a new name resolves.
 * Return: 0 or -ENOMEM (the previous names stay).
 */
int sbx_names_update(struct sbx_names *nm, const struct sbx_policy *policy, void (*learned)(void *arg), void *arg)
{
	int r;

	nm->learned = learned;
	nm->learned_arg = arg;
	/* Resolved before the change is acknowledged, so the reply means "enforced". */
	r = rebuild(nm, policy);
	/* The minute's refresh is made later if sbx is short of descriptors now (sbx_names_retry()). */
	nm->refresh_missing = r == 0 && nm->n && need_refresh(nm) < 0;
	return r;
}

/**
 * sbx_names_deny() - whether @a:@port is an address of an exact-name deny rule.
 * @nm: the names
 * @policy: the version the caller judges with (and holds): the rule comes from it
 * @a: the destination (IPv4-mapped IPv6 is compared as its IPv4 address)
 * @port: its port
 * @d: set to a deny decision naming the rule when it is
 *
 * Context: any worker thread.
 * Return: true when denied.
 */
bool sbx_names_deny(struct sbx_names *nm, const struct sbx_policy *policy, const struct sbx_addr *a, uint16_t port,
		    struct sbx_decision *d)
{
	struct sbx_addr u;
	bool hit = false;

	if (!nm)
		return false;
	sbx_sockaddr_unmap(a, &u);
	pthread_rwlock_rdlock(&nm->lock);
	for (size_t i = 0; i < nm->n && !hit; i++) {
		const struct deny_name *dn = nm->names[i];
		const struct sbx_rule *rule = sbx_policy_rule_by_id(policy, dn->rule_id);

		if (!rule || !sbx_policy_rule_port_match(rule, port))
			continue;
		for (size_t k = 0; k < dn->n_addrs; k++) {
			if (dn->addrs[k].family == u.family &&
			    memcmp(dn->addrs[k].b, u.b, u.family == AF_INET ? 4 : 16) == 0) {
				memset(d, 0, sizeof(*d));
				d->verdict = SBX_VERDICT_DENY;
				d->reason = SBX_REASON_RULE;
				d->rule = rule;
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
	for (size_t i = 0; i < nm->n; i++) {
		if (nm->names[i]->pending)
			sbx_resolver_cancel(nm->names[i]->pending);
		free(nm->names[i]);
	}
	sbx_resolver_free(nm->resolver);
	if (nm->timer_w.fd >= 0) {
		sbx_loop_unwatch(nm->loop, &nm->timer_w);
		close(nm->timer_w.fd);
	}
	free(nm->names);
	pthread_rwlock_destroy(&nm->lock);
	free(nm);
}
