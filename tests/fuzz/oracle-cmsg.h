/* SPDX-License-Identifier: Apache-2.0 */
/* Fake payload descriptors and an independent reading of a control buffer, for fuzz-cmsg and fuzz-msghdr. */
#ifndef SBX_FUZZ_ORACLE_CMSG_H
#define SBX_FUZZ_ORACLE_CMSG_H

#include <stdbool.h>
#include <stddef.h>

#include "cmsg.h"

/* One take_fd call per int of the largest control buffer, at most. */
#define FUZZ_FDS_MAX (SBX_CMSG_MAX / sizeof(int))

/*
 * The payload's descriptor table, faked: a negative number is -EBADF, one
 * that is 996 modulo 997 is -ESRCH (the thread vanished), anything else a
 * fresh duplicate of /dev/null (or -EMFILE when the table is full). Every
 * call is recorded so the oracle can say which descriptors sbx holds.
 */
struct fuzz_fds {
	int devnull;
	size_t n; /* calls since fuzz_fds_reset() */
	int theirs[FUZZ_FDS_MAX];
	int r[FUZZ_FDS_MAX];
	int mine[FUZZ_FDS_MAX];
};

void fuzz_fds_init(struct fuzz_fds *f);
void fuzz_fds_reset(struct fuzz_fds *f);
int fuzz_take_fd(void *ctx, int theirs, int *mine);
void fuzz_fds_check(const struct fuzz_fds *f, bool open);
long fuzz_fds_count(void);

void fuzz_cmsg_check(const unsigned char *ctl, size_t len, const struct fuzz_fds *f, int r, const void *out,
		     size_t out_len, const int *fds, size_t n_fds);

#endif
