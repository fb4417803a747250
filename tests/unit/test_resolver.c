// SPDX-License-Identifier: Apache-2.0
/* Unit tests for src/lib/resolver.c: dead names delay no other, identical lookups coalesce, cancel drops. */

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/loop.h"
#include "lib/resolver.h"
#include "sbx/util.h"

/*
 * The stub getaddrinfo(): a name starting with "dead" blocks until
 * stub_release() (a resolver that never answers, then answers); any other
 * name answers 192.0.2.1 at once. Every call is counted by name.
 */
static pthread_mutex_t stub_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stub_cv = PTHREAD_COND_INITIALIZER;
static bool stub_released;
static unsigned stub_blocked;
static char stub_names[512][64];
static unsigned stub_n;

static int stub_lookup(const char *host, struct sbx_addr *out, size_t max, size_t *n)
{
	pthread_mutex_lock(&stub_mu);
	if (stub_n < 512)
		snprintf(stub_names[stub_n++], sizeof(stub_names[0]), "%s", host);
	if (strncmp(host, "dead", 4) == 0) {
		stub_blocked++;
		while (!stub_released)
			pthread_cond_wait(&stub_cv, &stub_mu);
		stub_blocked--;
	}
	pthread_mutex_unlock(&stub_mu);
	*n = 0;
	if (max < 1)
		return -ENOENT;
	out[0] = (struct sbx_addr){.family = AF_INET, .b = {192, 0, 2, 1}};
	*n = 1;
	return 0;
}

static unsigned stub_calls(const char *host)
{
	unsigned k = 0;

	pthread_mutex_lock(&stub_mu);
	for (unsigned i = 0; i < stub_n; i++)
		k += strcmp(stub_names[i], host) == 0;
	pthread_mutex_unlock(&stub_mu);
	return k;
}

static unsigned stub_waiting(void)
{
	unsigned k;

	pthread_mutex_lock(&stub_mu);
	k = stub_blocked;
	pthread_mutex_unlock(&stub_mu);
	return k;
}

static void stub_release(void)
{
	pthread_mutex_lock(&stub_mu);
	stub_released = true;
	pthread_cond_broadcast(&stub_cv);
	pthread_mutex_unlock(&stub_mu);
}

/* Release what a previous test left blocked, wait until it has left the stub, start afresh. */
static void stub_reset(void)
{
	stub_release();
	for (int i = 0; i < 5000 && stub_waiting() > 0; i++)
		usleep(1000);
	pthread_mutex_lock(&stub_mu);
	stub_released = false;
	stub_n = 0;
	pthread_mutex_unlock(&stub_mu);
}

/* One answer per request. */
struct answer {
	bool done;
	int err;
	size_t n;
	struct sbx_addr a;
};

static void on_answer(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct answer *an = ctx;

	an->done = true;
	an->err = err;
	an->n = n;
	if (n)
		an->a = addrs[0];
}

/* Run @loop until every @n answers in @ans is done, at most @ms; return the time taken. */
struct waiter {
	struct sbx_watch w;
	struct answer *ans;
	size_t n;
	uint64_t deadline;
};

static bool all_done(const struct answer *ans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ans[i].done)
			return false;
	return true;
}

static void on_tick(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct waiter *wt = sbx_container_of(w, struct waiter, w);
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (all_done(wt->ans, wt->n) || sbx_loop_now_ms() >= wt->deadline)
		sbx_loop_quit(loop);
}

static uint64_t run_until(struct sbx_loop *loop, struct answer *ans, size_t n, unsigned ms)
{
	struct itimerspec every = {.it_interval = {0, 2000000}, .it_value = {0, 2000000}};
	struct waiter wt = {.w = {.cb = on_tick, .fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)},
			    .ans = ans,
			    .n = n,
			    .deadline = sbx_loop_now_ms() + ms};
	uint64_t t0 = sbx_loop_now_ms();

	assert_true(wt.w.fd >= 0);
	assert_int_equal(timerfd_settime(wt.w.fd, 0, &every, NULL), 0);
	assert_int_equal(sbx_loop_watch(loop, &wt.w, EPOLLIN), 0);
	sbx_loop_run(loop);
	sbx_loop_unwatch(loop, &wt.w);
	close(wt.w.fd);
	return sbx_loop_now_ms() - t0;
}

/* Wait (off the loop) until @k stub calls are blocked. */
static void wait_blocked(unsigned k)
{
	for (int i = 0; i < 2000 && stub_waiting() < k; i++)
		usleep(1000);
	assert_int_equal(stub_waiting(), k);
}

static void test_dead_names_delay_no_other(void **state)
{
	struct sbx_loop *loop;
	struct sbx_resolver *res;
	struct sbx_resolve_req *dead_q[8], *q;
	struct answer dead[8] = {0}, fast = {0};
	char name[32];
	uint64_t ms;

	(void)state;
	stub_reset();
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(sbx_resolver_new(loop, &res), 0);
	sbx_resolver_set_lookup(res, stub_lookup);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "dead%d.example", i);
		assert_int_equal(sbx_resolver_submit(res, name, on_answer, &dead[i], &dead_q[i]), 0);
	}
	wait_blocked(8);
	assert_int_equal(sbx_resolver_submit(res, "fast.example", on_answer, &fast, &q), 0);
	ms = run_until(loop, &fast, 1, 5000);
	assert_true(fast.done);
	assert_int_equal(fast.err, 0);
	assert_int_equal(fast.n, 1);
	assert_memory_equal(fast.a.b, "\xc0\x00\x02\x01", 4);
	assert_true(ms < 1000);
	for (int i = 0; i < 8; i++) {
		assert_false(dead[i].done);
		sbx_resolver_cancel(dead_q[i]); /* the requester's deadline */
	}
	/* The answers, when they come, are dropped; the cache keeps them. */
	stub_release();
	for (int i = 0; i < 200 && !sbx_resolver_cached(res, "dead7.example", &fast.a, &fast.n); i++)
		run_until(loop, NULL, 0, 5);
	for (int i = 0; i < 8; i++)
		assert_false(dead[i].done);
	assert_true(sbx_resolver_cached(res, "dead7.example", &fast.a, &fast.n));
	sbx_resolver_free(res);
	sbx_loop_free(loop);
}

static void test_identical_lookups_coalesce(void **state)
{
	struct sbx_loop *loop;
	struct sbx_resolver *res;
	struct sbx_resolve_req *q[5];
	struct answer ans[5] = {0};

	(void)state;
	stub_reset();
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(sbx_resolver_new(loop, &res), 0);
	sbx_resolver_set_lookup(res, stub_lookup);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sbx_resolver_submit(res, "dead-same.example", on_answer, &ans[i], &q[i]), 0);
	wait_blocked(1);
	usleep(20000);
	assert_int_equal(stub_calls("dead-same.example"), 1);
	sbx_resolver_cancel(q[2]); /* one waiter gives up: the others still get the answer */
	stub_release();
	run_until(loop, ans, 2, 5000);
	run_until(loop, ans + 3, 2, 5000);
	for (int i = 0; i < 5; i++) {
		if (i == 2) {
			assert_false(ans[i].done);
			continue;
		}
		assert_true(ans[i].done);
		assert_int_equal(ans[i].err, 0);
		assert_int_equal(ans[i].n, 1);
	}
	assert_int_equal(stub_calls("dead-same.example"), 1);
	sbx_resolver_free(res);
	sbx_loop_free(loop);
}

/* 64 dead names fill every thread: later names queue (coalesced), a cancelled one is never looked up. */
static void test_bound_queue_cancel(void **state)
{
	struct sbx_loop *loop;
	struct sbx_resolver *res;
	struct sbx_resolve_req *dq[64], *qa1, *qa2, *qb1, *qb2;
	static struct answer dead[64];
	struct answer a1 = {0}, a2 = {0}, b[2] = {{0}};
	char name[32];

	(void)state;
	stub_reset();
	memset(dead, 0, sizeof(dead));
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(sbx_resolver_new(loop, &res), 0);
	sbx_resolver_set_lookup(res, stub_lookup);
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "dead%d.example", i);
		assert_int_equal(sbx_resolver_submit(res, name, on_answer, &dead[i], &dq[i]), 0);
	}
	wait_blocked(64);
	assert_int_equal(sbx_resolver_submit(res, "queued-a.example", on_answer, &a1, &qa1), 0);
	assert_int_equal(sbx_resolver_submit(res, "queued-a.example", on_answer, &a2, &qa2), 0);
	assert_int_equal(sbx_resolver_submit(res, "queued-b.example", on_answer, &b[0], &qb1), 0);
	assert_int_equal(sbx_resolver_submit(res, "queued-b.example", on_answer, &b[1], &qb2), 0);
	run_until(loop, b, 2, 100);
	assert_false(b[0].done); /* past the bound: it waits for a thread */
	assert_int_equal(stub_calls("queued-b.example"), 0);
	sbx_resolver_cancel(qa1);
	sbx_resolver_cancel(qa2);
	stub_release();
	run_until(loop, b, 2, 5000);
	assert_true(b[0].done && b[1].done);
	assert_int_equal(stub_calls("queued-b.example"), 1);
	assert_int_equal(stub_calls("queued-a.example"), 0);
	assert_false(a1.done || a2.done);
	run_until(loop, dead, 64, 5000);
	assert_true(all_done(dead, 64));
	sbx_resolver_free(res);
	sbx_loop_free(loop);
}

/* Freed while a thread is stuck: the thread, once it returns, releases what is left (ASan checks it). */
static void test_free_with_stuck_thread(void **state)
{
	struct sbx_loop *loop;
	struct sbx_resolver *res;
	struct sbx_resolve_req *q;
	struct answer an = {0};

	(void)state;
	stub_reset();
	assert_int_equal(sbx_loop_new(&loop), 0);
	assert_int_equal(sbx_resolver_new(loop, &res), 0);
	sbx_resolver_set_lookup(res, stub_lookup);
	assert_int_equal(sbx_resolver_submit(res, "dead-stuck.example", on_answer, &an, &q), 0);
	wait_blocked(1);
	sbx_resolver_cancel(q);
	sbx_resolver_free(res);
	sbx_loop_free(loop);
	stub_release();
	for (int i = 0; i < 2000 && stub_waiting() > 0; i++)
		usleep(1000);
	usleep(20000);
	assert_false(an.done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_names_delay_no_other),
		cmocka_unit_test(test_identical_lookups_coalesce),
		cmocka_unit_test(test_bound_queue_cancel),
		cmocka_unit_test(test_free_with_stuck_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
