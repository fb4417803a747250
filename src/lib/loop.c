// SPDX-License-Identifier: Apache-2.0
/* The supervisor's single epoll event loop: watches, deferred frees, quit. */

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "lib/loop.h"
#include "sbx/util.h"

/*
 * One thread serves everything: the sandbox's lifecycle, and in allowlist
 * posture every proxy connection and DNS query. Callbacks never block.
 * An object closed while other events of the same epoll_wait() batch may
 * still name it is freed only after the batch (sbx_loop_defer()).
 */

struct deferred {
	sbx_defer_fn fn;
	void *arg;
};

struct sbx_loop {
	int epoll_fd;
	bool quit;
	struct deferred *deferred;
	size_t n_deferred, cap_deferred;
};

/**
 * sbx_loop_new() - create a loop.
 * @out: the loop
 *
 * Return: 0, or a negative errno.
 */
int sbx_loop_new(struct sbx_loop **out)
{
	struct sbx_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epoll_fd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

/**
 * sbx_loop_free() - release a loop (its watches' descriptors stay their owners').
 * @loop: the loop, or NULL
 */
void sbx_loop_free(struct sbx_loop *loop)
{
	if (!loop)
		return;
	close(loop->epoll_fd);
	free(loop->deferred);
	free(loop);
}

/**
 * sbx_loop_watch() - start watching @w->fd for @events, or change the interest.
 * @loop: the loop
 * @w: the watch (fd and cb set)
 * @events: EPOLLIN, EPOLLOUT, ... (0 keeps the descriptor registered: epoll still
 *	reports EPOLLHUP and EPOLLERR, whatever the interest; see sbx_loop_pause())
 *
 * A watch that sbx_loop_pause() silenced is registered again.
 *
 * Return: 0, or a negative errno.
 */
int sbx_loop_watch(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (w->added && w->events == events)
		return 0;
	if (epoll_ctl(loop->epoll_fd, w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->added = true;
	w->events = events;
	return 0;
}

/**
 * sbx_loop_unwatch() - stop watching (before closing the descriptor).
 * @loop: the loop
 * @w: the watch
 */
void sbx_loop_unwatch(struct sbx_loop *loop, struct sbx_watch *w)
{
	if (w->added)
		epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	w->events = 0;
	/* Events of the current batch for this watch are dropped in sbx_loop_run(). */
	w->cb = NULL;
}

/**
 * sbx_loop_pause() - silence @w completely until the next sbx_loop_watch().
 * @loop: the loop
 * @w: the watch (it keeps its callback and descriptor)
 *
 * Interest 0 does not silence a descriptor: epoll reports EPOLLHUP and
 * EPOLLERR whatever it was asked for, and level-triggered, so a hung-up
 * socket its owner cannot act on yet (its data must wait for the other end
 * of a tunnel to drain) would wake the loop forever. A paused watch is out
 * of the epoll set; its owner watches it again when it can act. An event of
 * the current batch may still reach the callback.
 */
void sbx_loop_pause(struct sbx_loop *loop, struct sbx_watch *w)
{
	if (w->added)
		epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	w->events = 0;
}

/**
 * sbx_loop_defer() - run @fn(@arg) after the current batch of events.
 * @loop: the loop
 * @fn: what to run
 * @arg: its argument
 *
 * Return: 0, or -ENOMEM (then @fn is run at once).
 */
int sbx_loop_defer(struct sbx_loop *loop, sbx_defer_fn fn, void *arg)
{
	if (loop->n_deferred == loop->cap_deferred) {
		size_t cap = loop->cap_deferred ? loop->cap_deferred * 2 : 64;
		struct deferred *d = realloc(loop->deferred, cap * sizeof(*d));

		if (!d) {
			fn(arg);
			return -ENOMEM;
		}
		loop->deferred = d;
		loop->cap_deferred = cap;
	}
	loop->deferred[loop->n_deferred++] = (struct deferred){fn, arg};
	return 0;
}

/**
 * sbx_loop_quit() - make sbx_loop_run() return after the current batch.
 * @loop: the loop
 */
void sbx_loop_quit(struct sbx_loop *loop)
{
	loop->quit = true;
}

/**
 * sbx_loop_now_ms() - monotonic time in milliseconds.
 *
 * Return: milliseconds since an arbitrary point.
 */
uint64_t sbx_loop_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/**
 * sbx_loop_run() - dispatch events until sbx_loop_quit().
 * @loop: the loop
 *
 * A quit ends this run only: the loop can be run again (tests step it).
 *
 * Return: 0, or a negative errno if epoll fails.
 */
int sbx_loop_run(struct sbx_loop *loop)
{
	while (!loop->quit) {
		struct epoll_event evs[64];
		int n = epoll_wait(loop->epoll_fd, evs, SBX_ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct sbx_watch *w = evs[i].data.ptr;

			if (w->cb)
				w->cb(loop, w, evs[i].events);
		}
		for (size_t i = 0; i < loop->n_deferred; i++)
			loop->deferred[i].fn(loop->deferred[i].arg);
		loop->n_deferred = 0;
	}
	loop->quit = false;
	return 0;
}
