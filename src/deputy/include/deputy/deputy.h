/* SPDX-License-Identifier: Apache-2.0 */
/* The supervisor's side of the payload's seccomp user notifications, every posture: sbx performs the payload's
 * connect, sendto, sendmsg, sendmmsg and bind itself, after judging its own copy of the address. */
#ifndef SBX_DEPUTY_DEPUTY_H
#define SBX_DEPUTY_DEPUTY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/jsonl.h"
#include "lib/loop.h"
#include "sbx/config.h"
#include "lib/livepolicy.h"
#include "sbx/policy.h"

/* How often exact-name deny rules are resolved again (getaddrinfo() reports no TTL). */
#define SBX_DEPUTY_REFRESH_SEC 60

struct sbx_deputy;

int sbx_deputy_new(struct sbx_loop *loop, const struct sbx_config *cfg, struct sbx_livepolicy *live,
		   struct sbx_jsonl *log, struct sbx_deputy **out, char *err, size_t errlen);
int sbx_deputy_add_tmpfs(struct sbx_deputy *n, const uint64_t *devs, size_t n_devs);
void sbx_deputy_set_sandbox(struct sbx_deputy *n, pid_t init_pid);
int sbx_deputy_start(struct sbx_deputy *n, int listener_fd, int diag_fd);
void sbx_deputy_free(struct sbx_deputy *n);

#endif
