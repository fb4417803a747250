/* SPDX-License-Identifier: Apache-2.0 */
/* The supervisor's single epoll event loop. */
#ifndef SBX_LIB_LOOP_H
#define SBX_LIB_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sbx_loop;
struct sbx_watch;

typedef void (*sbx_watch_cb)(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events);

/* Embed in the object that owns @fd; the loop never owns either. */
struct sbx_watch {
	sbx_watch_cb cb;
	int fd;
	uint32_t events; /* current interest */
	bool added;
};

/* Runs after the current batch of events, e.g. to free an object whose watch fired in it. */
typedef void (*sbx_defer_fn)(void *arg);

int sbx_loop_new(struct sbx_loop **out);
void sbx_loop_free(struct sbx_loop *loop);
int sbx_loop_watch(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events);
void sbx_loop_unwatch(struct sbx_loop *loop, struct sbx_watch *w);
void sbx_loop_pause(struct sbx_loop *loop, struct sbx_watch *w);
int sbx_loop_defer(struct sbx_loop *loop, sbx_defer_fn fn, void *arg);
int sbx_loop_run(struct sbx_loop *loop);
void sbx_loop_quit(struct sbx_loop *loop);
uint64_t sbx_loop_now_ms(void);

#endif
