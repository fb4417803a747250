/* SPDX-License-Identifier: Apache-2.0 */
/* --json-status-fd: one JSON object per line for orchestrators (private to src/supervisor). */
#ifndef SBX_SUPERVISOR_STATUS_H
#define SBX_SUPERVISOR_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/jsonl.h"
#include "sbx/config.h"

void sbx_status_started(struct sbx_jsonl *j, pid_t sbx_pid, pid_t init_pid, pid_t pid, pid_t ns_pid);
void sbx_status_exited(struct sbx_jsonl *j, int signal, int code, bool killed);
void sbx_status_timeout(struct sbx_jsonl *j, const char *seconds, bool killed);
void sbx_status_network(struct sbx_jsonl *j, enum sbx_posture posture, int landlock_err, int landlock_unix_err,
			int abi);

void sbx_status_environment(struct sbx_jsonl *j, const char *const *removed);
void sbx_status_error(struct sbx_jsonl *j, const char *code, const char *stage, int err, const char *message);

#endif
