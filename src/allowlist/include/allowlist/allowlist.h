/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist posture's services in the supervisor: the proxy and the DNS stub behind the gateway. */
#ifndef SBX_ALLOWLIST_ALLOWLIST_H
#define SBX_ALLOWLIST_ALLOWLIST_H

#include <sys/types.h>

#include "lib/jsonl.h"
#include "lib/loop.h"
#include "lib/topology.h"
#include "sbx/config.h"
#include "sbx/policy.h"

struct sbx_allowlist;

int sbx_allowlist_start(struct sbx_loop *loop, const struct sbx_config *cfg, const struct sbx_policy *policy,
			struct sbx_jsonl *log, pid_t sandbox_pid, int *fds, struct sbx_allowlist **out);
void sbx_allowlist_free(struct sbx_allowlist *al);
bool sbx_allowlist_is_host_address(const struct sbx_addr *a);

#endif
