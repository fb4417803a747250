/* SPDX-License-Identifier: Apache-2.0 */
/* The filesystem plan (plan.c), private to src/supervisor: what sandbox init mounts after the working directory. */
#ifndef SBX_SUPERVISOR_PLAN_H
#define SBX_SUPERVISOR_PLAN_H

#include <limits.h>
#include <stddef.h>

#include "sbx/config.h"

struct sbx_plan {
	char home[PATH_MAX];		/* the host's $HOME, "" when there is none */
	enum sbx_home_model home_model; /* SBX_HOME_RO when there is no $HOME */
	struct sbx_mount_op *mounts;	/* in order, after the working directory */
	size_t n_mounts;
	char **owned; /* the paths the list points to */
	size_t n_owned;
};

int sbx_plan_build(const struct sbx_config *cfg, const char *cwd, struct sbx_plan *p);
void sbx_plan_free(struct sbx_plan *p);

#endif
