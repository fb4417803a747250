/* SPDX-License-Identifier: Apache-2.0 */
/* The payload's sendmsg() arguments copied into the msghdr sbx sends (msghdr.c); fuzzed from raw bytes. */
#ifndef SBX_DEPUTY_MSGHDR_H
#define SBX_DEPUTY_MSGHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "cmsg.h"

#define SBX_DEPUTY_MAX_DATA (4u << 20) /* bytes copied per send; larger stream sends are short writes */
#define SBX_DEPUTY_MAX_IOV 1024	       /* UIO_MAXIOV */

/*
 * Where the payload's memory and descriptors come from: the notifying
 * thread (call.c, process_vm_readv() and pidfd_getfd()) in sbx, a fake
 * memory image in tests/fuzz/fuzz-msghdr.c.
 */
struct sbx_msghdr_reader {
	/* Copy @len (never 0) bytes at payload address @addr: 0, -EFAULT, -ESRCH. */
	int (*peek)(void *ctx, uint64_t addr, void *buf, size_t len);
	/* A duplicate of payload descriptor @theirs in *@mine: 0 or a negative errno. */
	sbx_cmsg_take_fd_fn take_fd;
	void *ctx;
};

/*
 * The msghdr sbx sends: every pointer is sbx's own. @m points into this
 * struct, so it is filled in place and never copied. msg_name is left
 * NULL: the destination is judged, and set, by the caller.
 */
struct sbx_msghdr_copy {
	struct msghdr m;
	struct iovec iov; /* one iovec over @data */
	char *data;
	void *ctl; /* the rebuilt control buffer, or NULL */
	int *fds;  /* the duplicates its SCM_RIGHTS messages name, closed by sbx_msghdr_release() */
	size_t n_fds;
};

int sbx_msghdr_read(const struct sbx_msghdr_reader *rd, uint64_t addr, struct msghdr *um);
int sbx_msghdr_check(const struct msghdr *um);
int sbx_msghdr_gather(const struct sbx_msghdr_reader *rd, const struct iovec *iov, size_t n_iov, bool stream,
		      char **buf, size_t *len);
int sbx_msghdr_build(const struct sbx_msghdr_reader *rd, const struct msghdr *um, bool stream,
		     struct sbx_msghdr_copy *out);
void sbx_msghdr_release(struct sbx_msghdr_copy *out);

#endif
