/* SPDX-License-Identifier: Apache-2.0 */
/* sbx_config: everything the command line asked for, built by cmd/ with no side effects. */
#ifndef SBX_CONFIG_H
#define SBX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The version lives in one place, meson.build's project(): the build defines it. */
#ifndef SBX_VERSION
#error "SBX_VERSION comes from meson.build (add_project_arguments)"
#endif

/* --pass-fd: how many descriptors at most (the parser's limit; sandbox init's arrays are sized by it). */
#define SBX_MAX_PASS_FDS 64

/* Durations are whole milliseconds; --timeout and --kill-after resolve to 1 ms. */
#define SBX_MAX_SECONDS 1000000000ull
/* --kill-after when not given: how long --timeout's SIGTERM may take before SIGKILL. */
#define SBX_DEFAULT_KILL_AFTER_MS 5000u
/* --ask-timeout: how long a question waits for the orchestrator before it is a deny. */
#define SBX_DEFAULT_ASK_TIMEOUT_MS 5000u

/* tmpfs sizes (bytes): /tmp and each --tmpfs unless --tmp-size; /dev/shm always. */
#define SBX_DEFAULT_TMP_SIZE (1ull << 30)
#define SBX_SHM_SIZE (64ull << 20)

/* Exit statuses sbx itself chooses (the payload's own status is passed through). */
enum {
	SBX_EXIT_TIMEOUT = 124,
	SBX_EXIT_FAILURE = 125,
	SBX_EXIT_NOEXEC = 126,
	SBX_EXIT_NOTFOUND = 127,
};

enum sbx_command {
	SBX_CMD_NONE = 0,
	SBX_CMD_HELP,
	SBX_CMD_VERSION,
	SBX_CMD_RUN,
	SBX_CMD_CHECK,
	SBX_CMD_PRESETS,
	SBX_CMD_PROFILES,
};

enum sbx_posture {
	SBX_POSTURE_BLOCKED = 0,
	SBX_POSTURE_ALLOWLIST,
	SBX_POSTURE_OPEN,
};

/* The --network spelling of a posture. */
static inline const char *sbx_posture_name(enum sbx_posture posture)
{
	switch (posture) {
	case SBX_POSTURE_BLOCKED:
		return "blocked";
	case SBX_POSTURE_ALLOWLIST:
		return "allowlist";
	case SBX_POSTURE_OPEN:
		return "open";
	}
	return "?";
}

/* One --allow/--deny/--policy argument, kept in command-line order. */
enum sbx_rule_arg_kind {
	SBX_RULE_ARG_ALLOW,
	SBX_RULE_ARG_DENY,
	SBX_RULE_ARG_FILE,
};

struct sbx_rule_arg {
	enum sbx_rule_arg_kind kind;
	const char *text; /* rule text, or policy file path for SBX_RULE_ARG_FILE */
	const char *file; /* a --profile's name when the rule came from one (with @line), else NULL */
	unsigned line;
};

/* A --profile's text, given to the parser (cmd/main.c reads profile files; built-ins are data). */
struct sbx_profile_text {
	const char *name; /* as given to --profile */
	const char *text;
};

/* One filesystem operation, applied in command-line order after the defaults. */
enum sbx_mount_kind {
	SBX_MOUNT_BIND,	   /* --bind SRC[:DST]    read-write bind */
	SBX_MOUNT_RO_BIND, /* --ro-bind SRC[:DST] read-only bind */
	SBX_MOUNT_TMPFS,   /* --tmpfs DST         fresh empty tmpfs */
	SBX_MOUNT_HIDE,	   /* --hide PATH         empty read-only object over PATH */
};

struct sbx_mount_op {
	enum sbx_mount_kind kind;
	const char *src;    /* NULL for tmpfs/hide */
	const char *dst;    /* absolute path inside the sandbox */
	const char *origin; /* why: NULL for the command line, else a default's reason (--explain) */
};

/* What $HOME is inside the sandbox (--home). */
enum sbx_home_model {
	SBX_HOME_OVERLAY = 0, /* the host's $HOME, writable, writes discarded at exit (default) */
	SBX_HOME_TMPFS,	      /* an empty private directory */
	SBX_HOME_RO,	      /* the host's $HOME, read-only */
	SBX_HOME_RW,	      /* the host's $HOME, read-write: writes reach the host */
};

/* One --setenv/--unsetenv, applied in order after --clearenv. */
struct sbx_env_op {
	const char *name;
	const char *value; /* NULL means unset */
};

struct sbx_config {
	enum sbx_command command;
	const char *help_topic; /* "run", "check", ... or NULL */

	/* Network policy (run and check). */
	enum sbx_posture posture;
	bool posture_set; /* --network was given */
	struct sbx_rule_arg *rules;
	size_t n_rules;
	bool no_default_deny;

	/* check */
	bool resolve;
	char **dests;
	size_t n_dests;

	/* presets, profiles */
	const char *preset_name; /* NULL: list all */

	/* --profile: texts cmd/main.c read (files); the parser finds built-ins itself */
	const struct sbx_profile_text *profile_texts;
	size_t n_profile_texts;
	char **owned; /* copies the parser made (profile lines), freed with the config */
	size_t n_owned;
	const char *cur_file; /* while a profile is parsed: its name and line, for rules and messages */
	unsigned cur_line;

	/* run: identity */
	uid_t uid;
	gid_t gid;
	bool uid_set;
	bool gid_set;
	const char *hostname;

	/* run: filesystem */
	struct sbx_mount_op *mounts;
	size_t n_mounts;
	enum sbx_home_model home;
	bool home_set;
	const char **shows; /* --show: default-hidden credential paths exposed on purpose */
	size_t n_shows;
	bool no_default_hide;	   /* --no-default-hide */
	const char **allow_writes; /* --allow-write: persistence paths left writable on purpose */
	size_t n_allow_writes;
	uint64_t tmp_size; /* --tmp-size in bytes, 0: SBX_DEFAULT_TMP_SIZE */
	const char *chdir; /* NULL: the caller's working directory */

	/* run: host unix sockets the payload may connect to (--allow-unix), in the host's view */
	const char **allow_unix;
	size_t n_allow_unix;

	/* run: environment */
	bool clearenv;
	const char **keep_env; /* --keep-env globs: credential variables passed on purpose */
	size_t n_keep_env;
	struct sbx_env_op *env_ops;
	size_t n_env_ops;

	/* run: what to do */
	bool explain;	   /* --explain: print the effective sandbox, run nothing */
	bool explain_json; /* --json with --explain */

	/* run: descriptors and reporting */
	const char *id; /* --id: the sandbox's name on every status and log line; NULL: made up */
	int *pass_fds;
	size_t n_pass_fds;
	int json_status_fd; /* -1 when unset */
	int log_fd;	    /* --log-fd, -1 when unset */
	const char *log_file;
	int control_in_fd, control_out_fd; /* --control-fd: commands in, replies out; -1 when unset */
	int ask_in_fd, ask_out_fd;	   /* --ask-fd: answers in, questions out; -1 when unset */
	uint64_t ask_timeout_ms;	   /* --ask-timeout, 0: SBX_DEFAULT_ASK_TIMEOUT_MS */

	/* run: the upstream proxy (allowlist), or NULL: dial directly */
	const char *upstream_proxy;	      /* --upstream-proxy URL (never with credentials) */
	const char *upstream_proxy_auth_file; /* --upstream-proxy-auth-file: "user:password" */

	/* run: proxy limits (allowlist); 0: the default */
	unsigned proxy_max_conns;
	unsigned proxy_max_header;
	uint64_t proxy_header_timeout_ms;
	uint64_t proxy_idle_timeout_ms;

	/* run: limits */
	uint64_t timeout_ms;	/* --timeout, 0: none */
	uint64_t kill_after_ms; /* --kill-after (0 is a valid grace: SIGKILL at once) */
	bool kill_after_set;	/* --kill-after was given */
	unsigned long pids;	/* --pids, 0: no limit */

	/* run: the payload */
	char **argv; /* NULL-terminated, points into the caller's argv */
	int argc;
};

#endif
