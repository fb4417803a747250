// SPDX-License-Identifier: Apache-2.0
/* Landlock scoping for the open posture: no host abstract unix sockets, no signals outside the sandbox. */

#include <errno.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/*
 * Landlock ABI 6 (Linux 6.12) added "scopes": a domain whose ruleset sets
 * LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET may only connect or send to abstract
 * unix sockets created inside the same domain, and LANDLOCK_SCOPE_SIGNAL
 * keeps it from signalling processes outside it. No access right is
 * handled, so the filesystem and TCP ports stay as the mounts made them.
 * The distribution's header may predate scopes: the ABI-6 layout of the
 * ruleset attribute is spelled out here.
 */

#define SBX_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SBX_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#define SBX_LANDLOCK_SCOPE_ABI 6

struct sbx_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/**
 * sbx_landlock_abi() - the kernel's Landlock ABI version.
 *
 * Return: the version (>= 1), or a negative errno (-ENOSYS: not built in,
 * -EOPNOTSUPP: disabled at boot).
 */
int sbx_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? -errno : (int)v;
}

/**
 * sbx_landlock_scope() - confine the calling process with Landlock scopes.
 *
 * Allocation-free (the payload child calls it). no_new_privs must be set.
 *
 * Context: the open posture's payload child, before its seccomp filters.
 * Return: 0, -EOPNOTSUPP when the kernel's ABI is below 6, or a negative errno.
 */
int sbx_landlock_scope(void)
{
	struct sbx_landlock_ruleset_attr attr = {
		.scoped = SBX_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SBX_LANDLOCK_SCOPE_SIGNAL,
	};
	int abi = sbx_landlock_abi();
	long fd;
	int r = 0;

	if (abi < 0)
		return -EOPNOTSUPP;
	if (abi < SBX_LANDLOCK_SCOPE_ABI)
		return -EOPNOTSUPP;
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_landlock_restrict_self, (int)fd, 0) < 0)
		r = -errno;
	close((int)fd);
	return r;
}
