/* SPDX-License-Identifier: Apache-2.0 */
/* One message with descriptors (SCM_RIGHTS) and a sender pid (SCM_CREDENTIALS) over a unix socket. */
#ifndef SBX_LIB_FDPASS_H
#define SBX_LIB_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most descriptors one message carries. */
#define SBX_FDPASS_MAX 8

int sbx_fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n_fds, pid_t cred_pid);
ssize_t sbx_fdpass_recv(int sock, void *data, size_t len, int *fds, size_t *n_fds, pid_t *cred_pid);

#endif
