/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by every module: cleanup attributes, ownership transfer, errno. */
#ifndef SBX_UTIL_H
#define SBX_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define SBX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The object that embeds @ptr as its @member. */
#define sbx_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static inline void sbx_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void sbx_freep(void *p)
{
	free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(sbx_closep)))
#define _cleanup_free_ __attribute__((cleanup(sbx_freep)))

/* Hand ownership of a descriptor or pointer over, leaving the cleanup a no-op. */
#define SBX_TAKE_FD(fd)              \
	({                           \
		int _sbx_fd_ = (fd); \
		(fd) = -1;           \
		_sbx_fd_;            \
	})
#define SBX_TAKE_PTR(p)                      \
	({                                   \
		__typeof__(p) _sbx_p_ = (p); \
		(p) = NULL;                  \
		_sbx_p_;                     \
	})

/* -errno of the last failed call, never 0 (some libraries fail without setting errno). */
static inline int sbx_neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
