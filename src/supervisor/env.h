/* SPDX-License-Identifier: Apache-2.0 */
/* The payload's environment, private to src/supervisor. */
#ifndef SBX_SUPERVISOR_ENV_H
#define SBX_SUPERVISOR_ENV_H

#include "sbx/config.h"

int sbx_env_build(const struct sbx_config *cfg, char **environ_in, char ***out, char ***removed);
void sbx_env_free(char **list);

#endif
