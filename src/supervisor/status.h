/* SPDX-License-Identifier: Apache-2.0 */
/* --json-status-fd: one JSON object per line for orchestrators (private to src/supervisor). */
#ifndef SBX_SUPERVISOR_STATUS_H
#define SBX_SUPERVISOR_STATUS_H

#include <stddef.h>
#include <sys/types.h>

void sbx_status_started(int fd, pid_t sbx_pid, pid_t init_pid, pid_t pid, pid_t ns_pid);
void sbx_status_exited(int fd, int signal, int code);
void sbx_status_timeout(int fd, double seconds);
void sbx_status_network(int fd);
void sbx_status_network_open(int fd, int landlock_err, int abi);
void sbx_status_error(int fd, const char *stage, int err, const char *message);

#endif
