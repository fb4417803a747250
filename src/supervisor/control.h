/* SPDX-License-Identifier: Apache-2.0 */
/* --control-fd: read and change the policy while the payload runs (private to src/supervisor). */
#ifndef SBX_SUPERVISOR_CONTROL_H
#define SBX_SUPERVISOR_CONTROL_H

#include "lib/jsonl.h"
#include "lib/livepolicy.h"
#include "lib/loop.h"

struct sbx_control;

int sbx_control_new(struct sbx_loop *loop, int in_fd, struct sbx_jsonl *out, int out_fd, const char *id,
		    struct sbx_livepolicy *lp, struct sbx_control **ctl);
void sbx_control_free(struct sbx_control *c);

#endif
