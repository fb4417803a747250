/* SPDX-License-Identifier: Apache-2.0 */
/* The payload's control messages, validated and rebuilt (cmsg.c); pure, so it is fuzzed on its own. */
#ifndef SBX_DEPUTY_CMSG_H
#define SBX_DEPUTY_CMSG_H

#include <stddef.h>
#include <unistd.h>

/* The largest control buffer copied from the payload (the kernel's own limit is sysctl optmem_max). */
#define SBX_CMSG_MAX 65536

typedef int (*sbx_cmsg_take_fd_fn)(void *ctx, int theirs, int *mine);

int sbx_cmsg_rebuild(const void *ctl, size_t ctl_len, sbx_cmsg_take_fd_fn take_fd, void *ctx, void **out,
		     size_t *out_len, int **fds, size_t *n_fds);

#endif
