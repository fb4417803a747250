// SPDX-License-Identifier: Apache-2.0
/* Descriptor hygiene: what reaches the payload, and sane 0/1/2 at start. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "lib/fds.h"

/**
 * sbx_fds_sanitize_std() - make sure 0, 1 and 2 are open.
 *
 * A closed standard descriptor would let the next open() or socket() land on
 * it, and an internal socket would then reach the payload as its stdin or
 * stdout. Each closed one is reopened on /dev/null before anything else runs.
 *
 * Context: the very start of main(), before any other descriptor exists.
 * Return: 0, or a negative errno.
 */
int sbx_fds_sanitize_std(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR); /* lowest free number: this fd */
		if (n < 0)
			return -errno;
		if (n != fd)
			return -EBADF;
	}
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/**
 * sbx_fds_close_except() - close every descriptor not in @keep.
 * @keep: descriptors to keep open (any order, duplicates and negative
 *        values allowed); sorted in place
 * @n_keep: number of entries in @keep
 *
 * The caller owns the array, so there is no limit here and no allocation
 * (sandbox init calls this in its vfork-style child).
 *
 * Context: sandbox init and the payload, before exec.
 * Return: 0, or a negative errno.
 */
int sbx_fds_close_except(int *keep, size_t n_keep)
{
	unsigned int from = 0;

	qsort(keep, n_keep, sizeof(int), cmp_int);
	for (size_t i = 0; i < n_keep; i++) {
		if (keep[i] < 0 || (unsigned int)keep[i] < from)
			continue;
		if ((unsigned int)keep[i] > from && syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)keep[i] + 1;
	}
	if (syscall(SYS_close_range, from, UINT_MAX, 0) < 0)
		return -errno;
	return 0;
}
