/* SPDX-License-Identifier: Apache-2.0 */
/* Open posture: the supervisor's side of the payload's seccomp user notifications. */
#ifndef SBX_OPEN_OPEN_H
#define SBX_OPEN_OPEN_H

#include <stddef.h>

#include "lib/jsonl.h"
#include "lib/loop.h"
#include "sbx/policy.h"

/* How often exact-name deny rules are resolved again (getaddrinfo() reports no TTL). */
#define SBX_OPEN_REFRESH_SEC 60

struct sbx_open;

int sbx_open_new(struct sbx_loop *loop, const struct sbx_policy *policy, struct sbx_jsonl *log, struct sbx_open **out,
		 char *err, size_t errlen);
int sbx_open_start(struct sbx_open *n, int listener_fd);
void sbx_open_free(struct sbx_open *n);

#endif
