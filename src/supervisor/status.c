// SPDX-License-Identifier: Apache-2.0
/* --json-status-fd: lifecycle events as JSON lines. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonl.h"
#include "lib/topology.h"
#include "status.h"

/**
 * sbx_status_started() - the payload was exec'd.
 * @j: the status stream, or NULL
 * @sbx_pid: the supervisor's pid
 * @init_pid: sandbox init's pid in the caller's PID namespace
 * @pid: the payload's pid in the caller's PID namespace
 * @ns_pid: the payload's pid inside the sandbox
 */
void sbx_status_started(struct sbx_jsonl *j, pid_t sbx_pid, pid_t init_pid, pid_t pid, pid_t ns_pid)
{
	sbx_jsonl_printf(j, "\"event\":\"started\",\"sbx_pid\":%d,\"init_pid\":%d,\"pid\":%d,\"ns_pid\":%d}", sbx_pid,
			 init_pid, pid, ns_pid);
}

/**
 * sbx_status_exited() - the payload ended.
 * @j: the status stream, or NULL
 * @signal: the signal that killed it, or 0 if it exited
 * @code: sbx's exit status for it (128+signal when killed)
 * @killed: sbx SIGKILLed the sandbox (--kill-after ran out): adds "killed":true
 */
void sbx_status_exited(struct sbx_jsonl *j, int signal, int code, bool killed)
{
	const char *k = killed ? ",\"killed\":true" : "";

	if (signal)
		sbx_jsonl_printf(j, "\"event\":\"exited\",\"signal\":%d,\"code\":%d%s}", signal, code, k);
	else
		sbx_jsonl_printf(j, "\"event\":\"exited\",\"code\":%d%s}", code, k);
}

/**
 * sbx_status_timeout() - --timeout expired and the sandbox has ended.
 * @j: the status stream, or NULL
 * @seconds: the timeout, as a JSON number ("1.5")
 * @killed: sbx SIGKILLed the sandbox (no grace, or the grace ran out): adds "killed":true
 */
void sbx_status_timeout(struct sbx_jsonl *j, const char *seconds, bool killed)
{
	sbx_jsonl_printf(j, "\"event\":\"timeout\",\"seconds\":%s,\"code\":124%s}", seconds,
			 killed ? ",\"killed\":true" : "");
}

/**
 * sbx_status_error() - setup failed; the payload did not run (or could not be executed).
 * @j: the status stream, or NULL
 * @code: the stage's stable identifier (sbx_stage_code(): "mount-proc")
 * @stage: the stage's name for people ("mounting /proc")
 * @err: positive errno
 * @message: the same one-line message sbx prints on stderr
 */
void sbx_status_error(struct sbx_jsonl *j, const char *code, const char *stage, int err, const char *message)
{
	const char *ename = strerrorname_np(err);
	char s[128], m[800];

	sbx_json_escape(s, sizeof(s), stage);
	sbx_json_escape(m, sizeof(m), message);
	sbx_jsonl_printf(
		j,
		"\"event\":\"error\",\"code\":\"%s\",\"stage\":\"%s\",\"errno\":%d,\"errno_name\":\"%s\",\"message\":\"%s\"}",
		code, s, err, ename ? ename : "", m);
}

/**
 * sbx_status_network() - the network event: the posture is in force (before "started").
 * @j: the status stream, or NULL
 * @posture: the posture
 * @landlock_err: open posture: 0 if Landlock scoping was applied, else a positive errno
 * @landlock_unix_err: 0 if Landlock's LANDLOCK_ACCESS_FS_RESOLVE_UNIX was applied, else a positive errno
 * @abi: the kernel's Landlock ABI (negative: none)
 *
 * Allowlist: the gateway's addresses, proxy and DNS stub; open: the
 * enforcement and Landlock scoping; every posture: "landlock_unix", the
 * kernel's second wall around host unix sockets (sbx's own is in every
 * posture: src/deputy/unix.c).
 */
void sbx_status_network(struct sbx_jsonl *j, enum sbx_posture posture, int landlock_err, int landlock_unix_err, int abi)
{
	char lu[48];

	if (abi < 0)
		abi = 0;
	snprintf(lu, sizeof(lu), "%s (ABI %d)", landlock_unix_err ? "unavailable" : "applied", abi);
	switch (posture) {
	case SBX_POSTURE_ALLOWLIST:
		sbx_jsonl_printf(j,
				 "\"event\":\"network\",\"posture\":\"allowlist\",\"gateway\":[\"" SBX_GW_ADDR4
				 "\",\"" SBX_GW_ADDR6 "\"],\"sandbox\":[\"" SBX_SANDBOX_ADDR4 "\",\"" SBX_SANDBOX_ADDR6
				 "\"],\"proxy\":\"" SBX_GW_ADDR4 ":%d\",\"dns\":\"" SBX_GW_ADDR4
				 ":%d\",\"landlock_unix\":\"%s\"}",
				 SBX_PROXY_PORT, SBX_DNS_PORT, lu);
		break;
	case SBX_POSTURE_OPEN:
		sbx_jsonl_printf(j,
				 "\"event\":\"network\",\"posture\":\"open\",\"enforcement\":\"seccomp-notify\","
				 "\"landlock\":\"%s (ABI %d)\",\"landlock_unix\":\"%s\"}",
				 landlock_err ? "unavailable" : "scoped", abi, lu);
		break;
	case SBX_POSTURE_BLOCKED:
		sbx_jsonl_printf(j, "\"event\":\"network\",\"posture\":\"blocked\",\"landlock_unix\":\"%s\"}", lu);
		break;
	}
}

/**
 * sbx_status_environment() - the credential variables left out of the payload's environment.
 * @j: the status stream, or NULL
 * @removed: their names (never their values), NULL-terminated; NULL or empty writes nothing
 */
void sbx_status_environment(struct sbx_jsonl *j, const char *const *removed)
{
	char list[2048], name[300];
	size_t o = 0;

	if (!j || !removed || !removed[0])
		return;
	for (size_t i = 0; removed[i]; i++) {
		sbx_json_escape(name, sizeof(name), removed[i]);
		if (o + strlen(name) + 4 >= sizeof(list))
			break; /* a line stays under PIPE_BUF: the rest is in --explain */
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"%s\"", i ? "," : "", name);
	}
	list[o] = '\0';
	sbx_jsonl_printf(j, "\"event\":\"environment\",\"removed\":[%s]}", list);
}
