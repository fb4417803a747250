/* SPDX-License-Identifier: Apache-2.0 */
/* The doors to the host closed by default (doors.c), private to src/supervisor. */
#ifndef SBX_SUPERVISOR_DOORS_H
#define SBX_SUPERVISOR_DOORS_H

#include <stdbool.h>
#include <stddef.h>

bool sbx_doors_env_is_secret(const char *name, size_t len);

/* NULL-terminated lists of paths, relative to $HOME or to a writable directory. */
extern const char *const sbx_doors_home_secrets[];
extern const char *const sbx_doors_persist[];
extern const char *const sbx_doors_home_startup[];

#endif
