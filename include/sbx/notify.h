/* SPDX-License-Identifier: Apache-2.0 */
/* Open posture: the supervisor's side of the payload's seccomp user notifications. */
#ifndef SBX_NOTIFY_H
#define SBX_NOTIFY_H

#include <stddef.h>

#include "sbx/loop.h"
#include "sbx/policy.h"

/* How often exact-name deny rules are resolved again (getaddrinfo() reports no TTL). */
#define SBX_NOTIFY_REFRESH_SEC 60

struct sbx_notify;

int sbx_notify_new(struct sbx_loop *loop, const struct sbx_policy *policy, int log_fd, struct sbx_notify **out,
		   char *err, size_t errlen);
int sbx_notify_start(struct sbx_notify *n, int listener_fd);
void sbx_notify_free(struct sbx_notify *n);

#endif
