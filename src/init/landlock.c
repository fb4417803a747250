// SPDX-License-Identifier: Apache-2.0
/* Landlock: the open posture's scopes (host abstract unix sockets, signals), and pathname unix sockets in every
 * posture where the kernel has a right for them. */

#include <errno.h>
#include <fcntl.h>
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
 *
 * Landlock ABI 9 (Linux 7.1) added LANDLOCK_ACCESS_FS_RESOLVE_UNIX: a domain
 * that handles it may connect or send to a pathname unix socket only if a
 * rule allows the socket's path or the socket was created inside the same
 * domain (else EACCES). That is the rule src/deputy/unix.c enforces, minus
 * sbx's tmpfs and --allow-unix: so no rule grants it anywhere. It is a second
 * wall, not the first: the payload's connect/sendto/sendmsg/sendmmsg stop in
 * the notification filter and are performed by the supervisor, which no
 * Landlock domain restricts. It holds for what the kernel would perform on
 * the payload's behalf if a filter missed it (io_uring's connect, a future
 * system call). Handling any filesystem right makes Landlock refuse
 * LANDLOCK_ACCESS_FS_REFER (renames and links across directories) unless a
 * rule grants it, so it is handled too and granted beneath "/": the payload
 * keeps mv. Before ABI 9 no Landlock right covers pathname sockets
 * (the 6.18 kernel this was written on reports ABI 7: nothing to apply).
 *
 * The distribution's header may predate both: the layouts are spelled out here.
 */

#define SBX_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SBX_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#define SBX_LANDLOCK_SCOPE_ABI 6
#define SBX_LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#define SBX_LANDLOCK_ACCESS_FS_RESOLVE_UNIX (1ULL << 16)
#define SBX_LANDLOCK_RESOLVE_UNIX_ABI 9

struct sbx_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct sbx_landlock_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

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

/**
 * sbx_landlock_unix() - no pathname unix socket from outside the domain (ABI 9's RESOLVE_UNIX).
 *
 * Allocation-free (the payload child calls it). no_new_privs must be set;
 * "/" is the sandbox's root by then.
 *
 * Context: the payload child, every posture, before its seccomp filters.
 * Return: 0, -EOPNOTSUPP when the kernel's ABI is below 9, or a negative errno.
 */
int sbx_landlock_unix(void)
{
	struct sbx_landlock_ruleset_attr attr = {
		.handled_access_fs = SBX_LANDLOCK_ACCESS_FS_RESOLVE_UNIX | SBX_LANDLOCK_ACCESS_FS_REFER,
	};
	struct sbx_landlock_path_beneath_attr refer = {.allowed_access = SBX_LANDLOCK_ACCESS_FS_REFER, .parent_fd = -1};
	int abi = sbx_landlock_abi();
	long fd;
	int r = 0;

	if (abi < SBX_LANDLOCK_RESOLVE_UNIX_ABI)
		return -EOPNOTSUPP;
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0)
		return -errno;
	refer.parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (refer.parent_fd < 0 || syscall(SYS_landlock_add_rule, (int)fd, LANDLOCK_RULE_PATH_BENEATH, &refer, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, (int)fd, 0) < 0)
		r = -errno;
	if (refer.parent_fd >= 0)
		close(refer.parent_fd);
	close((int)fd);
	return r;
}
