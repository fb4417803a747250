/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist posture's services in the supervisor: the proxy and the DNS stub behind the gateway. */
#ifndef SBX_ALLOWLIST_ALLOWLIST_H
#define SBX_ALLOWLIST_ALLOWLIST_H

#include <sys/types.h>

#include "lib/jsonl.h"
#include "lib/livepolicy.h"
#include "lib/loop.h"
#include "lib/topology.h"
#include "sbx/config.h"
#include "sbx/policy.h"

struct sbx_allowlist;
struct sbx_uplink;

/* sbx's own environment variable with the upstream proxy's "user:password"; never passed on. */
#define SBX_UPSTREAM_AUTH_ENV "SBX_UPSTREAM_PROXY_AUTH"

int sbx_uplink_load(const struct sbx_config *cfg, struct sbx_uplink **out, char *err, size_t errlen);
void sbx_uplink_free(struct sbx_uplink *up);

int sbx_allowlist_start(struct sbx_loop *loop, const struct sbx_config *cfg, struct sbx_livepolicy *live,
			const char *id, const struct sbx_uplink *uplink, struct sbx_jsonl *log, pid_t sandbox_pid,
			int *fds, struct sbx_allowlist **out);
void sbx_allowlist_free(struct sbx_allowlist *al);
bool sbx_allowlist_is_host_address(const struct sbx_addr *a);

#endif
