// SPDX-License-Identifier: Apache-2.0
/* Build and load the payload's seccomp filter from seccomp/policy.def. */

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "sbx/sandbox.h"

/*
 * Theory of operation
 *
 * The filter is built by sandbox init before it forks the payload and loaded
 * by the payload as the very last step before execve(), after capabilities
 * are gone and no_new_privs is set, so nothing sbx itself does is filtered.
 *
 * 1. Only the native ABI is accepted: libseccomp adds an architecture check
 *    in front of the rules and its bad-arch action (KILL_PROCESS) covers i386
 *    syscalls made with `int 0x80` from a 64-bit process and, on x86_64, the
 *    x32 range (nr | __X32_SYSCALL_BIT), which libseccomp refuses for a
 *    native-only filter.
 * 2. Every entry of seccomp/policy.def becomes a rule returning its errno.
 *    Syscalls unknown to the installed libseccomp are skipped, not fatal:
 *    an old libseccomp must not stop sbx from running, and a call it cannot
 *    name is not one this policy relies on.
 */

struct sbx_sc_entry {
	const char *name;
	int err;
	unsigned n_args;
	struct scmp_arg_cmp args[3];
};

#define SBX_SC_DENY(sc, e, why) {#sc, e, 0, {{0}}},
#define SBX_SC_DENY_IF(sc, e, why, n, ...) {#sc, e, n, {__VA_ARGS__}},
static const struct sbx_sc_entry sbx_sc_policy[] = {
#include "policy.def"
};
#undef SBX_SC_DENY
#undef SBX_SC_DENY_IF

/**
 * sbx_seccomp_build() - build the payload filter from the compiled-in policy.
 * @ctx_out: receives an opaque libseccomp context, to be passed to sbx_seccomp_load()
 *
 * Context: sandbox init, before forking the payload.
 * Return: 0, or a negative errno.
 */
int sbx_seccomp_build(void **ctx_out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(sbx_sc_policy) / sizeof(sbx_sc_policy[0]); i++) {
		const struct sbx_sc_entry *e = &sbx_sc_policy[i];
		int nr = seccomp_syscall_resolve_name(e->name);

		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(e->err), nr, e->n_args, e->args);
		if (r < 0)
			goto fail;
	}
	*ctx_out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
}

/**
 * sbx_seccomp_load() - load a filter built by sbx_seccomp_build() into the calling process.
 * @ctx: the filter; released here whatever the outcome
 *
 * Context: the payload, right before execve(), with no_new_privs already set.
 * Return: 0, or a negative errno.
 */
int sbx_seccomp_load(void *ctx)
{
	int r = seccomp_load(ctx);

	seccomp_release(ctx);
	return r;
}

/**
 * sbx_seccomp_export() - write the filter as BPF (debugging and tests).
 * @fd: where to write
 *
 * Return: 0, or a negative errno.
 */
int sbx_seccomp_export(int fd)
{
	void *ctx = NULL;
	int r = sbx_seccomp_build(&ctx);

	if (r < 0)
		return r;
	r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return r;
}
