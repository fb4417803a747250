/* SPDX-License-Identifier: Apache-2.0 */
/* An intrusive circular doubly linked list (the kernel's list_head, in miniature). */
#ifndef SBX_LIB_LIST_H
#define SBX_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "sbx/util.h"

/*
 * Embed a struct sbx_list in each element and keep one as the head. An
 * element that is on no list has prev == next == itself after
 * sbx_list_del(), so deleting twice is harmless. The list never allocates
 * and never owns its elements.
 */
struct sbx_list {
	struct sbx_list *prev, *next;
};

#define SBX_LIST_INIT(name)      \
	{                        \
		&(name), &(name) \
	}
#define sbx_list_entry(ptr, type, member) sbx_container_of(ptr, type, member)

static inline void sbx_list_init(struct sbx_list *l)
{
	l->prev = l->next = l;
}

static inline bool sbx_list_empty(const struct sbx_list *l)
{
	return l->next == l;
}

/* Add @e at the tail of @head (a FIFO when taken from the front). */
static inline void sbx_list_add_tail(struct sbx_list *head, struct sbx_list *e)
{
	e->prev = head->prev;
	e->next = head;
	head->prev->next = e;
	head->prev = e;
}

static inline void sbx_list_del(struct sbx_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	sbx_list_init(e);
}

/* The first element, or NULL when empty. */
#define sbx_list_first(head, type, member) (sbx_list_empty(head) ? NULL : sbx_list_entry((head)->next, type, member))

/* Iterate where the body may delete (and free) the current element. */
#define sbx_list_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); pos = tmp, tmp = pos->next)

#endif
