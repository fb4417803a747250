/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sandbox init (PID 1 inside the new namespaces): its arguments, its setup
 * stages, and the reports it sends the supervisor. The whole contract between
 * src/init and src/supervisor.
 */
#ifndef SBX_INIT_INIT_H
#define SBX_INIT_INIT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sbx/config.h"

/*
 * Setup stages, in the order sandbox init runs them. A failure in any of them
 * is reported as {stage, errno, detail} and the payload never runs.
 */
enum sbx_stage {
	SBX_STAGE_NONE = 0,
	SBX_STAGE_CLONE,
	SBX_STAGE_IDMAP,
	SBX_STAGE_SYNC,
	SBX_STAGE_USERNS_LIMIT,
	SBX_STAGE_MOUNT_PRIVATE,
	SBX_STAGE_MOUNT_ROOT,
	SBX_STAGE_MOUNT_TMP,
	SBX_STAGE_MOUNT_PROC,
	SBX_STAGE_MOUNT_DEV,
	SBX_STAGE_MOUNT_CWD,
	SBX_STAGE_MOUNT_ETC,
	SBX_STAGE_MOUNT_USER,
	SBX_STAGE_ENTER_ROOT,
	SBX_STAGE_MOUNT_SYS,
	SBX_STAGE_HOSTNAME,
	SBX_STAGE_NETWORK,
	SBX_STAGE_FORK,
	SBX_STAGE_SESSION,
	SBX_STAGE_FDS,
	SBX_STAGE_CHDIR,
	SBX_STAGE_CAPS,
	SBX_STAGE_NO_NEW_PRIVS,
	SBX_STAGE_SECCOMP_LOAD,
	SBX_STAGE_EXEC,
	SBX_STAGE_NOTIFY,     /* handing the seccomp listener to the supervisor */
	SBX_STAGE_RLIMITS,    /* the payload's resource limits (--pids), after the session */
	SBX_STAGE_MOUNT_HOME, /* $HOME as --home says (after /dev, before the working directory) */
	SBX_STAGE_MAX,
};

enum sbx_report_type {
	SBX_REPORT_ERROR = 1, /* a setup stage failed: stage, err, detail */
	SBX_REPORT_STARTED,   /* payload exec'd: ns_pid; host pid in SCM_CREDENTIALS */
	SBX_REPORT_EXITED,    /* payload reaped: wait status */
	SBX_REPORT_NETWORK,   /* allowlist: the gateway listeners, in SCM_RIGHTS (enum sbx_gw_listener order) */
	SBX_REPORT_NOTIFY,    /* every posture, once the payload was executed: in SCM_RIGHTS its seccomp
				 listener and, when one could be made, a NETLINK_SOCK_DIAG socket of its network
				 namespace; err: open posture's Landlock scoping (0 applied, else positive errno),
				 landlock_unix: LANDLOCK_ACCESS_FS_RESOLVE_UNIX (the same), status: Landlock ABI */
	SBX_REPORT_TMPFS,     /* before NOTIFY, as many as needed: status st_dev values (uint64_t, at most
				 SBX_REPORT_TMPFS_MAX) in detail, the tmpfs mounts sandbox init made */
};

/* One message from sandbox init to the supervisor (SOCK_SEQPACKET, one per datagram). */
struct sbx_report {
	uint32_t type;
	uint32_t stage;
	int32_t err;	/* positive errno */
	int32_t status; /* wait status for SBX_REPORT_EXITED */
	int32_t ns_pid; /* payload pid inside the sandbox */
	int32_t landlock_unix;
	char detail[256];
};

#define SBX_REPORT_TMPFS_MAX (sizeof(((struct sbx_report *)0)->detail) / sizeof(uint64_t))

/* Everything sandbox init needs, prepared by the supervisor before clone. */
struct sbx_init_args {
	const struct sbx_config *cfg;
	int report_fd;	      /* init's end of the report socket */
	int supervisor_pidfd; /* readable once the supervisor has died */
	const char *cwd;      /* caller's working directory (host path) */
	const char *home;     /* the host's $HOME, or NULL: what --home applies to */
	enum sbx_home_model home_model;
	const struct sbx_mount_op *mounts; /* after the working directory, in order (defaults included) */
	size_t n_mounts;
	char **envp;	      /* payload environment */
	sigset_t saved_mask;  /* the caller's signal mask, restored for the payload */
	bool sigpipe_ignored; /* the caller ignored SIGPIPE: keep it so for the payload */
};

/**
 * sbx_stage_name() - human-readable name of a setup stage ("mounting /proc").
 * @stage: any value
 *
 * Return: a static string; "setup" for values out of range.
 */
const char *sbx_stage_name(enum sbx_stage stage);
const char *sbx_stage_code(enum sbx_stage stage);

_Noreturn void sbx_init_main(const struct sbx_init_args *args);

#endif
