// SPDX-License-Identifier: Apache-2.0
/* Names of sandbox init's setup stages, for the one line the user reads when a stage fails. */

#include "init/init.h"

static const char *const sbx_stage_names[SBX_STAGE_MAX] = {
	[SBX_STAGE_NONE] = "setup",
	[SBX_STAGE_CLONE] = "creating namespaces",
	[SBX_STAGE_IDMAP] = "writing uid/gid maps",
	[SBX_STAGE_SYNC] = "starting sandbox init",
	[SBX_STAGE_USERNS_LIMIT] = "disabling nested user namespaces",
	[SBX_STAGE_MOUNT_PRIVATE] = "making mounts private",
	[SBX_STAGE_MOUNT_ROOT] = "mounting the read-only host tree",
	[SBX_STAGE_MOUNT_TMP] = "mounting /tmp",
	[SBX_STAGE_MOUNT_PROC] = "mounting /proc",
	[SBX_STAGE_MOUNT_DEV] = "setting up /dev",
	[SBX_STAGE_MOUNT_CWD] = "binding the working directory",
	[SBX_STAGE_MOUNT_ETC] = "generating /etc files",
	[SBX_STAGE_MOUNT_USER] = "applying filesystem options",
	[SBX_STAGE_ENTER_ROOT] = "entering the sandbox root",
	[SBX_STAGE_MOUNT_SYS] = "mounting /sys",
	[SBX_STAGE_HOSTNAME] = "setting the hostname",
	[SBX_STAGE_NETWORK] = "setting up the network",
	[SBX_STAGE_FORK] = "starting the payload",
	[SBX_STAGE_SESSION] = "creating a new session",
	[SBX_STAGE_FDS] = "closing inherited descriptors",
	[SBX_STAGE_CHDIR] = "changing directory",
	[SBX_STAGE_CAPS] = "dropping capabilities",
	[SBX_STAGE_NO_NEW_PRIVS] = "setting no_new_privs",
	[SBX_STAGE_SECCOMP_LOAD] = "loading the seccomp filter",
	[SBX_STAGE_EXEC] = "executing",
	[SBX_STAGE_NOTIFY] = "handing the seccomp listener to the supervisor",
	[SBX_STAGE_RLIMITS] = "setting the payload's resource limits",
	[SBX_STAGE_MOUNT_HOME] = "mounting $HOME",
};

/* Stable identifiers for --json-status-fd's error events: never reworded. */
static const char *const sbx_stage_codes[SBX_STAGE_MAX] = {
	[SBX_STAGE_NONE] = "setup",
	[SBX_STAGE_CLONE] = "clone",
	[SBX_STAGE_IDMAP] = "idmap",
	[SBX_STAGE_SYNC] = "sync",
	[SBX_STAGE_USERNS_LIMIT] = "userns-limit",
	[SBX_STAGE_MOUNT_PRIVATE] = "mount-private",
	[SBX_STAGE_MOUNT_ROOT] = "mount-root",
	[SBX_STAGE_MOUNT_TMP] = "mount-tmp",
	[SBX_STAGE_MOUNT_PROC] = "mount-proc",
	[SBX_STAGE_MOUNT_DEV] = "mount-dev",
	[SBX_STAGE_MOUNT_CWD] = "mount-cwd",
	[SBX_STAGE_MOUNT_ETC] = "mount-etc",
	[SBX_STAGE_MOUNT_USER] = "mount-user",
	[SBX_STAGE_ENTER_ROOT] = "enter-root",
	[SBX_STAGE_MOUNT_SYS] = "mount-sys",
	[SBX_STAGE_HOSTNAME] = "hostname",
	[SBX_STAGE_NETWORK] = "network",
	[SBX_STAGE_FORK] = "fork",
	[SBX_STAGE_SESSION] = "session",
	[SBX_STAGE_FDS] = "fds",
	[SBX_STAGE_CHDIR] = "chdir",
	[SBX_STAGE_CAPS] = "caps",
	[SBX_STAGE_NO_NEW_PRIVS] = "no-new-privs",
	[SBX_STAGE_SECCOMP_LOAD] = "seccomp",
	[SBX_STAGE_EXEC] = "exec",
	[SBX_STAGE_NOTIFY] = "notify",
	[SBX_STAGE_RLIMITS] = "rlimits",
	[SBX_STAGE_MOUNT_HOME] = "mount-home",
};

/**
 * sbx_stage_code() - the stable identifier of a setup stage ("mount-proc").
 * @stage: any value
 *
 * Return: a static string; "setup" for values out of range.
 */
const char *sbx_stage_code(enum sbx_stage stage)
{
	if ((unsigned)stage >= SBX_STAGE_MAX || !sbx_stage_codes[stage])
		return "setup";
	return sbx_stage_codes[stage];
}

/**
 * sbx_stage_name() - human-readable name of a setup stage.
 * @stage: the stage
 *
 * Return: a static string.
 */
const char *sbx_stage_name(enum sbx_stage stage)
{
	if ((unsigned)stage >= SBX_STAGE_MAX || !sbx_stage_names[stage])
		return "setup";
	return sbx_stage_names[stage];
}
