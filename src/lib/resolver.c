// SPDX-License-Identifier: Apache-2.0
/* Name resolution off the event loop: a small thread pool around getaddrinfo(). */

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

#include "lib/resolver.h"
#include "lib/sockaddr.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * getaddrinfo() blocks, sometimes for the resolver's whole timeout, and it
 * is the only resolver that honours the host's configuration exactly
 * (nsswitch, /etc/hosts, resolv.conf options). So lookups run on a few
 * worker threads started on first use; the event loop only submits names
 * and receives results through an eventfd. A lookup that never answers ties
 * up one worker, never the loop: its requester gives up on its own deadline
 * and cancels, and the answer, when it comes, is dropped. The workers touch
 * nothing but their request: the policy engine and every socket stay on the
 * loop's thread.
 *
 * One getaddrinfo(AF_UNSPEC) per request returns every A and AAAA record at
 * once; the caller judges them all and connects only to what it judged.
 */

#define SBX_RESOLVER_THREADS 4
#define SBX_RESOLVER_MAX_PENDING 1024
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

struct sbx_resolve_req {
	struct sbx_resolve_req *next;
	struct sbx_resolver *res;
	char host[256];
	sbx_resolve_cb cb;
	void *ctx;
	bool cancelled;
	int err;
	size_t n;
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
};

struct sbx_resolver {
	struct sbx_loop *loop;
	struct sbx_watch done_w; /* eventfd */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sbx_resolve_req *todo_head, *todo_tail, *done;
	size_t pending;
	unsigned n_threads;
	bool stopping;
	pthread_t threads[SBX_RESOLVER_THREADS];
	struct cache_entry *cache; /* loop thread only */
};

static void cache_put(struct sbx_resolver *res, const struct sbx_resolve_req *q)
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
		if (strcmp(e->host, q->host) == 0) {
			victim = e;
			break;
		}
		if (!victim || e->expires_ms < victim->expires_ms)
			victim = e;
	}
	strcpy(victim->host, q->host);
	victim->expires_ms = now + SBX_RESOLVER_CACHE_MS;
	victim->n = q->n;
	memcpy(victim->addrs, q->addrs, q->n * sizeof(q->addrs[0]));
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

static void lookup(struct sbx_resolve_req *q)
{
	q->err = sbx_sockaddr_resolve(q->host, q->addrs, SBX_RESOLVE_MAX_ADDRS, &q->n);
}

static void *worker(void *arg)
{
	struct sbx_resolver *res = arg;

	pthread_mutex_lock(&res->lock);
	for (;;) {
		struct sbx_resolve_req *q;

		while (!res->todo_head && !res->stopping)
			pthread_cond_wait(&res->cond, &res->lock);
		if (res->stopping)
			break;
		q = res->todo_head;
		res->todo_head = q->next;
		if (!res->todo_head)
			res->todo_tail = NULL;
		pthread_mutex_unlock(&res->lock);
		if (!__atomic_load_n(&q->cancelled, __ATOMIC_ACQUIRE))
			lookup(q);
		pthread_mutex_lock(&res->lock);
		q->next = res->done;
		res->done = q;
		eventfd_write(res->done_w.fd, 1);
	}
	pthread_mutex_unlock(&res->lock);
	return NULL;
}

static void on_done(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_resolver *res = (struct sbx_resolver *)((char *)w - offsetof(struct sbx_resolver, done_w));
	struct sbx_resolve_req *list;
	eventfd_t v;

	eventfd_read(w->fd, &v);
	pthread_mutex_lock(&res->lock);
	list = res->done;
	res->done = NULL;
	pthread_mutex_unlock(&res->lock);
	while (list) {
		struct sbx_resolve_req *q = list;

		list = q->next;
		res->pending--;
		if (q->err == 0)
			cache_put(res, q);
		if (!q->cancelled)
			q->cb(q->ctx, q->err, q->addrs, q->n);
		free(q);
	}
}

/**
 * sbx_resolver_new() - create a resolver serving @loop (threads start on first use).
 * @loop: the event loop results are delivered on
 * @out: the resolver
 *
 * Return: 0, or a negative errno.
 */
int sbx_resolver_new(struct sbx_loop *loop, struct sbx_resolver **out)
{
	struct sbx_resolver *res = calloc(1, sizeof(*res));
	int r;

	if (!res)
		return -ENOMEM;
	res->loop = loop;
	pthread_mutex_init(&res->lock, NULL);
	pthread_cond_init(&res->cond, NULL);
	res->done_w = (struct sbx_watch){.cb = on_done, .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
	if (res->done_w.fd < 0) {
		r = -errno;
		free(res);
		return r;
	}
	r = sbx_loop_watch(loop, &res->done_w, EPOLLIN);
	if (r < 0) {
		close(res->done_w.fd);
		free(res);
		return r;
	}
	*out = res;
	return 0;
}

/**
 * sbx_resolver_submit() - resolve @host; @cb runs later on the loop's thread.
 * @res: the resolver
 * @host: a normalised host name
 * @cb: called once with 0 and the addresses, or a negative errno
 *	(-ENOENT: no such name or no address), unless cancelled first
 * @ctx: passed to @cb
 * @out: the request, for sbx_resolver_cancel()
 *
 * Context: the loop's thread.
 * Return: 0, -EAGAIN when too many lookups are pending, or another negative errno.
 */
int sbx_resolver_submit(struct sbx_resolver *res, const char *host, sbx_resolve_cb cb, void *ctx,
			struct sbx_resolve_req **out)
{
	struct sbx_resolve_req *q;

	if (res->pending >= SBX_RESOLVER_MAX_PENDING)
		return -EAGAIN;
	if (strlen(host) >= sizeof(q->host))
		return -ENAMETOOLONG;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	strcpy(q->host, host);
	q->res = res;
	q->cb = cb;
	q->ctx = ctx;
	pthread_mutex_lock(&res->lock);
	if (res->n_threads < SBX_RESOLVER_THREADS && res->pending >= res->n_threads) {
		if (pthread_create(&res->threads[res->n_threads], NULL, worker, res) == 0)
			res->n_threads++;
	}
	if (res->n_threads == 0) {
		pthread_mutex_unlock(&res->lock);
		free(q);
		return -EAGAIN;
	}
	if (res->todo_tail)
		res->todo_tail->next = q;
	else
		res->todo_head = q;
	res->todo_tail = q;
	res->pending++;
	pthread_cond_signal(&res->cond);
	pthread_mutex_unlock(&res->lock);
	*out = q;
	return 0;
}

/**
 * sbx_resolver_cancel() - the callback of @q will not run.
 * @q: a request whose callback has not run yet
 *
 * Context: the loop's thread. The request is freed by the resolver later.
 */
void sbx_resolver_cancel(struct sbx_resolve_req *q)
{
	__atomic_store_n(&q->cancelled, true, __ATOMIC_RELEASE);
}

/**
 * sbx_resolver_free() - stop the workers and release the resolver.
 * @res: the resolver, or NULL
 *
 * Idle workers are joined; one stuck in getaddrinfo() is not waited for
 * (a lookup may take the resolver's full timeout and the process is about
 * to exit), and then the resolver is left allocated for it to finish with.
 */
void sbx_resolver_free(struct sbx_resolver *res)
{
	bool all_joined = true;

	if (!res)
		return;
	pthread_mutex_lock(&res->lock);
	res->stopping = true;
	pthread_cond_broadcast(&res->cond);
	pthread_mutex_unlock(&res->lock);
	sbx_loop_unwatch(res->loop, &res->done_w);
	for (unsigned i = 0; i < res->n_threads; i++) {
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 50 * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(res->threads[i], NULL, &deadline) != 0)
			all_joined = false;
	}
	if (!all_joined)
		return;
	for (struct sbx_resolve_req *q = res->todo_head, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	for (struct sbx_resolve_req *q = res->done, *next; q; q = next) {
		next = q->next;
		free(q);
	}
	close(res->done_w.fd);
	free(res->cache);
	pthread_mutex_destroy(&res->lock);
	pthread_cond_destroy(&res->cond);
	free(res);
}
