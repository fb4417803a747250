/* SPDX-License-Identifier: Apache-2.0 */
/* Open posture: the supervisor's side of the payload's seccomp user notifications. */
#ifndef SBX_DEPUTY_DEPUTY_H
#define SBX_DEPUTY_DEPUTY_H

#include <stddef.h>

#include "lib/jsonl.h"
#include "lib/loop.h"
#include "sbx/policy.h"

/* How often exact-name deny rules are resolved again (getaddrinfo() reports no TTL). */
#define SBX_DEPUTY_REFRESH_SEC 60

struct sbx_deputy;

int sbx_deputy_new(struct sbx_loop *loop, const struct sbx_policy *policy, struct sbx_jsonl *log,
		   struct sbx_deputy **out, char *err, size_t errlen);
int sbx_deputy_start(struct sbx_deputy *n, int listener_fd);
void sbx_deputy_free(struct sbx_deputy *n);

#endif
