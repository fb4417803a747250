/* SPDX-License-Identifier: Apache-2.0 */
/* Which sandbox process asked: its pid inside the sandbox and its command name, read from /proc. */
#ifndef SBX_LIB_PROCINFO_H
#define SBX_LIB_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* Command names are at most 15 bytes (TASK_COMM_LEN - 1). */
#define SBX_PROC_COMM_MAX 16

struct sbx_procinfo {
	pid_t ns_pid;		      /* the process's pid in its own (the sandbox's) PID namespace; 0: unknown */
	char comm[SBX_PROC_COMM_MAX]; /* "" when unknown */
};

int sbx_procinfo_read(pid_t pid, struct sbx_procinfo *info);
int sbx_procinfo_status_field(pid_t pid, const char *key, char *out, size_t len);
int sbx_procinfo_walk(pid_t init_pid, int budget, bool (*fn)(pid_t pid, void *arg), void *arg);
int sbx_procinfo_inode_owner(pid_t init_pid, unsigned long inode, struct sbx_procinfo *info);
int sbx_procinfo_socket_owner(pid_t init_pid, const char *proto, bool v6, uint16_t port, struct sbx_procinfo *info);

#endif
