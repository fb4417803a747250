/* SPDX-License-Identifier: Apache-2.0 */
/* Name resolution off the event loop. */
#ifndef SBX_LIB_RESOLVER_H
#define SBX_LIB_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/loop.h"
#include "sbx/policy.h"

#define SBX_RESOLVE_MAX_ADDRS 32

struct sbx_resolver;
struct sbx_resolve_req;

typedef void (*sbx_resolve_cb)(void *ctx, int err, const struct sbx_addr *addrs, size_t n);
/* A blocking lookup, as sbx_sockaddr_resolve(): 0 with *n addresses in @out, or a negative errno. */
typedef int (*sbx_resolve_fn)(const char *host, struct sbx_addr *out, size_t max, size_t *n);

int sbx_resolver_new(struct sbx_loop *loop, struct sbx_resolver **out);
int sbx_resolver_submit(struct sbx_resolver *res, const char *host, sbx_resolve_cb cb, void *ctx,
			struct sbx_resolve_req **out);
void sbx_resolver_cancel(struct sbx_resolve_req *q);
bool sbx_resolver_cached(struct sbx_resolver *res, const char *host, struct sbx_addr *addrs, size_t *n);
void sbx_resolver_free(struct sbx_resolver *res);
void sbx_resolver_set_lookup(struct sbx_resolver *res, sbx_resolve_fn fn);

#endif
