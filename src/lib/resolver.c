// SPDX-License-Identifier: Apache-2.0
/* Name resolution off the event loop: getaddrinfo() on threads started on demand, one lookup per name in flight. */

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/list.h"
#include "lib/resolver.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * getaddrinfo() blocks, sometimes for the resolver's whole timeout (seconds
 * per attempt, several attempts), and it is the only resolver that honours
 * the host's configuration exactly (nsswitch, /etc/hosts, resolv.conf
 * options); it cannot be cancelled. So lookups run on threads, and the
 * event loop only submits names and receives answers through an eventfd.
 * The rule is that one slow or dead name delays no other:
 *
 *  - A request (struct sbx_resolve_req) is a waiter on a lookup (struct
 *    lookup, one per name in flight). A second request for a name already
 *    in flight joins its lookup: one getaddrinfo(), and every waiter gets
 *    the answer. Requests and the table of lookups belong to the loop's
 *    thread; a thread touches only the lookup it runs, under the lock.
 *  - Requests are abandonable: the requester's own deadline cancels its
 *    request. A lookup left with no waiter is dropped if it has not started;
 *    a thread stuck in getaddrinfo() is simply left to finish, and its answer
 *    (cached if it is one) goes to whoever joined meanwhile, or nowhere.
 *  - A lookup gets a thread of its own at once: when every thread is busy
 *    a new one starts (n_idle counts threads not running a lookup, and
 *    each queued lookup is promised to one of them), up to
 *    SBX_RESOLVER_MAX_THREADS (64). A name that never answers holds a thread
 *    for the resolver's timeout, so 64 distinct dead names in flight at once
 *    are needed before anything waits: far more than a build asks for (a
 *    package manager talks to a handful of hosts), while the supervisor's
 *    threads stay few (each costs a stack that is mostly never touched).
 *    The only requester is one sandbox, so a payload that makes up dead
 *    names to fill the pool delays only itself. Past the bound, lookups
 *    queue in order (identical ones still coalesced) and each takes the
 *    first thread to come free. At most SBX_RESOLVER_MAX_LOOKUPS distinct
 *    names are in flight, queued or running; past that a request fails at
 *    once (-EAGAIN).
 *  - A thread idle for SBX_RESOLVER_IDLE_MS exits: a burst of dead names
 *    leaves no threads behind.
 *
 * One getaddrinfo(AF_UNSPEC) per lookup returns every A and AAAA record at
 * once; the caller judges them all and connects only to what it judged.
 * The policy engine and every socket stay on the loop's thread.
 */

#define SBX_RESOLVER_MAX_THREADS 64
#define SBX_RESOLVER_MAX_LOOKUPS 1024
#define SBX_RESOLVER_IDLE_MS 10000
/*
 * Successful answers are kept for a few seconds: a package manager opens many
 * connections to the same few hosts, and getaddrinfo() costs more than the
 * rest of a tunnel's set-up. Every request still judges every address (the
 * cache holds answers, not verdicts), and a cached answer is one the name
 * really gave, so a rebinding name gains nothing: it is judged the same way,
 * only asked less often.
 */
#define SBX_RESOLVER_CACHE 256
#define SBX_RESOLVER_CACHE_MS 5000

struct cache_entry {
	char host[256];
	uint64_t expires_ms;
	size_t n;
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
};

/* One getaddrinfo() in flight or queued for @host. */
struct lookup {
	struct sbx_resolver *res;
	struct sbx_list link;	 /* in sbx_resolver.lookups (loop thread) */
	struct sbx_list qlink;	 /* in sbx_resolver.todo or .done (under lock) */
	struct sbx_list waiters; /* struct sbx_resolve_req (loop thread) */
	bool started;		 /* a thread took it (under lock) */
	bool delivering;	 /* its callbacks are running (loop thread) */
	char host[256];
	int err; /* written by its thread before it is put on .done */
	size_t n;
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
};

struct sbx_resolve_req {
	struct sbx_list link; /* in lookup.waiters */
	struct lookup *lk;
	sbx_resolve_cb cb;
	void *ctx;
};

struct sbx_resolver {
	struct sbx_loop *loop;
	struct sbx_watch done_w; /* eventfd */
	struct sbx_list lookups; /* every lookup not yet delivered (loop thread) */
	size_t n_lookups;
	sbx_resolve_fn fn;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* work queued, or stopping */
	pthread_cond_t gone; /* a thread exited */
	struct sbx_list todo, done;
	unsigned n_threads, n_idle, n_todo;
	bool stopping;
	bool orphaned; /* sbx_resolver_free() returned: the last thread frees */

	struct cache_entry *cache; /* loop thread only */
};

static void cache_put(struct sbx_resolver *res, const struct lookup *lk)
{
	uint64_t now = sbx_loop_now_ms();
	struct cache_entry *victim = NULL;

	if (!res->cache) {
		res->cache = calloc(SBX_RESOLVER_CACHE, sizeof(*res->cache));
		if (!res->cache)
			return;
	}
	for (size_t i = 0; i < SBX_RESOLVER_CACHE; i++) {
		struct cache_entry *e = &res->cache[i];
		if (strcmp(e->host, lk->host) == 0) {
			victim = e;
			break;
		}
		if (!victim || e->expires_ms < victim->expires_ms)
			victim = e;
	}
	strcpy(victim->host, lk->host);
	victim->expires_ms = now + SBX_RESOLVER_CACHE_MS;
	victim->n = lk->n;
	memcpy(victim->addrs, lk->addrs, lk->n * sizeof(lk->addrs[0]));
}

/**
 * sbx_resolver_cached() - a fresh answer for @host, if one is at hand.
 * @res: the resolver
 * @host: a normalised host name
 * @addrs: receives up to SBX_RESOLVE_MAX_ADDRS addresses
 * @n: receives their number
 *
 * Context: the loop's thread.
 * Return: true if @addrs holds an answer received in the last few seconds.
 */
bool sbx_resolver_cached(struct sbx_resolver *res, const char *host, struct sbx_addr *addrs, size_t *n)
{
	uint64_t now = sbx_loop_now_ms();

	if (!res->cache)
		return false;
	for (size_t i = 0; i < SBX_RESOLVER_CACHE; i++) {
		const struct cache_entry *e = &res->cache[i];
		if (e->expires_ms > now && strcmp(e->host, host) == 0) {
			memcpy(addrs, e->addrs, e->n * sizeof(e->addrs[0]));
			*n = e->n;
			return true;
		}
	}
	return false;
}

static void free_lookups(struct sbx_list *head)
{
	for (struct sbx_list *pos = head->next, *tmp; pos != head; pos = tmp) {
		tmp = pos->next;
		free(sbx_list_entry(pos, struct lookup, qlink));
	}
	sbx_list_init(head);
}

/* Release everything; called once no thread is left. */
static void destroy(struct sbx_resolver *res)
{
	free_lookups(&res->todo);
	free_lookups(&res->done);
	close(res->done_w.fd);
	free(res->cache);
	pthread_mutex_destroy(&res->lock);
	pthread_cond_destroy(&res->cond);
	pthread_cond_destroy(&res->gone);
	free(res);
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *worker(void *arg)
{
	struct sbx_resolver *res = arg;
	bool last;

	pthread_mutex_lock(&res->lock);
	for (;;) {
		struct lookup *lk;
		struct timespec idle;

		deadline_in(&idle, SBX_RESOLVER_IDLE_MS);
		while (sbx_list_empty(&res->todo) && !res->stopping)
			if (pthread_cond_timedwait(&res->cond, &res->lock, &idle) == ETIMEDOUT)
				break;
		if (res->stopping || sbx_list_empty(&res->todo))
			break; /* stopping, or idle for long enough */
		lk = sbx_list_first(&res->todo, struct lookup, qlink);
		sbx_list_del(&lk->qlink);
		res->n_todo--;
		res->n_idle--;
		lk->started = true;
		pthread_mutex_unlock(&res->lock);
		lk->err = res->fn(lk->host, lk->addrs, SBX_RESOLVE_MAX_ADDRS, &lk->n);
		pthread_mutex_lock(&res->lock);
		res->n_idle++;
		sbx_list_add_tail(&res->done, &lk->qlink);
		if (!res->orphaned)
			eventfd_write(res->done_w.fd, 1);
	}
	res->n_idle--;
	res->n_threads--;
	last = res->n_threads == 0 && res->orphaned;
	pthread_cond_broadcast(&res->gone);
	pthread_mutex_unlock(&res->lock);
	if (last)
		destroy(res);
	return NULL;
}

static void on_done(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_resolver *res = sbx_container_of(w, struct sbx_resolver, done_w);
	struct sbx_list list;
	eventfd_t v;

	(void)loop;
	(void)events;
	eventfd_read(w->fd, &v);
	sbx_list_init(&list);
	pthread_mutex_lock(&res->lock);
	if (!sbx_list_empty(&res->done)) {
		list = res->done;
		list.next->prev = &list;
		list.prev->next = &list;
		sbx_list_init(&res->done);
	}
	pthread_mutex_unlock(&res->lock);
	for (struct lookup *lk; (lk = sbx_list_first(&list, struct lookup, qlink));) {
		sbx_list_del(&lk->qlink);
		sbx_list_del(&lk->link); /* a request made from a callback starts afresh (or hits the cache) */
		res->n_lookups--;
		if (lk->err == 0)
			cache_put(res, lk);
		/* A callback may cancel another waiter of this lookup: take them one by one. */
		lk->delivering = true;
		for (struct sbx_resolve_req *q; (q = sbx_list_first(&lk->waiters, struct sbx_resolve_req, link));) {
			sbx_list_del(&q->link);
			q->cb(q->ctx, lk->err, lk->addrs, lk->n);
			free(q);
		}
		free(lk);
	}
}

/**
 * sbx_resolver_new() - create a resolver serving @loop (threads start on demand).
 * @loop: the event loop results are delivered on
 * @out: the resolver
 *
 * Return: 0, or a negative errno.
 */
int sbx_resolver_new(struct sbx_loop *loop, struct sbx_resolver **out)
{
	struct sbx_resolver *res = calloc(1, sizeof(*res));
	pthread_condattr_t ca;
	int r;

	if (!res)
		return -ENOMEM;
	res->loop = loop;
	res->fn = sbx_sockaddr_resolve;
	sbx_list_init(&res->lookups);
	sbx_list_init(&res->todo);
	sbx_list_init(&res->done);
	pthread_mutex_init(&res->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&res->cond, &ca);
	pthread_cond_init(&res->gone, &ca);
	pthread_condattr_destroy(&ca);
	res->done_w = (struct sbx_watch){.cb = on_done, .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
	if (res->done_w.fd < 0) {
		r = -errno;
		res->done_w.fd = -1;
		goto fail;
	}
	r = sbx_loop_watch(loop, &res->done_w, EPOLLIN);
	if (r < 0)
		goto fail;
	*out = res;
	return 0;
fail:
	if (res->done_w.fd >= 0)
		close(res->done_w.fd);
	pthread_mutex_destroy(&res->lock);
	pthread_cond_destroy(&res->cond);
	pthread_cond_destroy(&res->gone);
	free(res);
	return r;
}

/**
 * sbx_resolver_set_lookup() - replace getaddrinfo() (tests).
 * @res: a resolver with no lookup submitted yet
 * @fn: called on a resolver thread, as sbx_sockaddr_resolve() is
 *
 * Context: the loop's thread, before the first sbx_resolver_submit().
 */
void sbx_resolver_set_lookup(struct sbx_resolver *res, sbx_resolve_fn fn)
{
	res->fn = fn;
}

/* Queue @lk and make sure a thread will take it. Return: 0, or -EAGAIN when no thread runs. */
static int enqueue(struct sbx_resolver *res, struct lookup *lk)
{
	int r = 0;

	pthread_mutex_lock(&res->lock);
	sbx_list_add_tail(&res->todo, &lk->qlink);
	res->n_todo++;
	if (res->n_todo > res->n_idle && res->n_threads < SBX_RESOLVER_MAX_THREADS) {
		pthread_attr_t attr;
		pthread_t t;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, worker, res) == 0) {
			res->n_threads++;
			res->n_idle++;
		}
		pthread_attr_destroy(&attr);
	}
	if (res->n_threads == 0) {
		sbx_list_del(&lk->qlink);
		res->n_todo--;
		r = -EAGAIN;
	} else {
		pthread_cond_signal(&res->cond);
	}
	pthread_mutex_unlock(&res->lock);
	return r;
}

/**
 * sbx_resolver_submit() - resolve @host; @cb runs later on the loop's thread.
 * @res: the resolver
 * @host: a normalised host name
 * @cb: called once with 0 and the addresses, or a negative errno
 *	(-ENOENT: no such name or no address), unless cancelled first
 * @ctx: passed to @cb
 * @out: the request, for sbx_resolver_cancel(); freed after @cb returns
 *
 * A request for a name already being looked up joins that lookup.
 *
 * Context: the loop's thread.
 * Return: 0, -EAGAIN when too many names are in flight or no thread could
 * start, or another negative errno.
 */
int sbx_resolver_submit(struct sbx_resolver *res, const char *host, sbx_resolve_cb cb, void *ctx,
			struct sbx_resolve_req **out)
{
	struct lookup *lk = NULL;
	struct sbx_resolve_req *q;
	struct sbx_list *pos;
	int r;

	if (strlen(host) >= sizeof(lk->host))
		return -ENAMETOOLONG;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	for (pos = res->lookups.next; pos != &res->lookups; pos = pos->next) {
		struct lookup *e = sbx_list_entry(pos, struct lookup, link);

		if (strcmp(e->host, host) == 0) {
			lk = e;
			break;
		}
	}
	if (!lk) {
		if (res->n_lookups >= SBX_RESOLVER_MAX_LOOKUPS) {
			free(q);
			return -EAGAIN;
		}
		lk = calloc(1, sizeof(*lk));
		if (!lk) {
			free(q);
			return -ENOMEM;
		}
		lk->res = res;
		strcpy(lk->host, host);
		sbx_list_init(&lk->waiters);
		sbx_list_init(&lk->qlink);
		r = enqueue(res, lk);
		if (r < 0) {
			free(lk);
			free(q);
			return r;
		}
		sbx_list_add_tail(&res->lookups, &lk->link);
		res->n_lookups++;
	}
	q->lk = lk;
	q->cb = cb;
	q->ctx = ctx;
	sbx_list_add_tail(&lk->waiters, &q->link);
	*out = q;
	return 0;
}

/**
 * sbx_resolver_cancel() - the callback of @q will not run.
 * @q: a request whose callback has not run yet (freed here)
 *
 * The last waiter of a lookup no thread has taken yet drops the lookup; a
 * lookup already running finishes on its thread, and its answer goes to
 * requests for the same name made meanwhile, or is dropped.
 *
 * Context: the loop's thread.
 */
void sbx_resolver_cancel(struct sbx_resolve_req *q)
{
	struct lookup *lk = q->lk;
	struct sbx_resolver *res = lk->res;
	bool queued;

	sbx_list_del(&q->link);
	free(q);
	if (!sbx_list_empty(&lk->waiters) || lk->delivering)
		return;
	pthread_mutex_lock(&res->lock);
	queued = !lk->started;
	if (queued) {
		sbx_list_del(&lk->qlink);
		res->n_todo--;
	}
	pthread_mutex_unlock(&res->lock);
	if (!queued)
		return; /* its thread finishes; on_done() drops or shares the answer */
	sbx_list_del(&lk->link);
	res->n_lookups--;
	free(lk);
}

/**
 * sbx_resolver_free() - stop the threads and release the resolver.
 * @res: the resolver, or NULL
 *
 * Every request must have been cancelled or answered. Idle threads exit at
 * once; one stuck in getaddrinfo() is not waited for (a lookup may take the
 * resolver's full timeout and the process is about to exit): the last
 * thread to finish releases what is left.
 *
 * Context: the loop's thread.
 */
void sbx_resolver_free(struct sbx_resolver *res)
{
	struct timespec deadline;
	bool gone;

	if (!res)
		return;
	sbx_loop_unwatch(res->loop, &res->done_w);
	for (struct lookup *lk; (lk = sbx_list_first(&res->lookups, struct lookup, link));) {
		sbx_list_del(&lk->link);
		for (struct sbx_resolve_req *q; (q = sbx_list_first(&lk->waiters, struct sbx_resolve_req, link));) {
			sbx_list_del(&q->link);
			free(q);
		}
	}
	deadline_in(&deadline, 50);
	pthread_mutex_lock(&res->lock);
	res->stopping = true;
	pthread_cond_broadcast(&res->cond);
	while (res->n_threads > 0)
		if (pthread_cond_timedwait(&res->gone, &res->lock, &deadline) == ETIMEDOUT)
			break;
	gone = res->n_threads == 0;
	res->orphaned = !gone;
	pthread_mutex_unlock(&res->lock);
	if (gone)
		destroy(res);
}
