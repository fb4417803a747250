// SPDX-License-Identifier: Apache-2.0
/* Build-time generator: compile seccomp/policy.def with libseccomp into a C array of BPF instructions. */

#include <errno.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Theory of operation
 *
 * The filter is compiled once, at build time, by libseccomp: sbx itself only
 * loads the resulting instructions (src/seccomp.c), so no start-up pays for
 * building a filter and the sbx binary does not load libseccomp at all.
 *
 * 1. Only the native ABI is accepted: libseccomp puts an architecture check
 *    in front of the rules, and its bad-arch action (KILL_PROCESS) covers
 *    i386 syscalls made with `int 0x80` from a 64-bit process and, on
 *    x86_64, the x32 range (nr | __X32_SYSCALL_BIT), which a native-only
 *    libseccomp filter sends to the bad-arch action too.
 * 2. policy.def is an allow-list with refusals in front of it. libseccomp
 *    cannot say "allowed, except with these arguments" in one filter (an
 *    unconditional rule for a syscall replaces its conditional ones, and it
 *    has no per-syscall default), so the policy is compiled as a chain of
 *    libseccomp programs, each with its own default, and concatenated:
 *      a. argument-level refusals (SBX_SC_DENY_IF), default "continue";
 *      b. per syscall with SBX_SC_ALLOW_IF entries: a 3-instruction guard
 *         (another syscall skips the stage), then a program whose default
 *         is that syscall's errno and whose rules say "continue";
 *      c. the allow-list (SBX_SC_ALLOW, and every SBX_SC_ALLOW_IF syscall)
 *         with the outright refusals (SBX_SC_DENY, with their errnos),
 *         default ERRNO(ENOSYS): a syscall nobody listed, including every
 *         syscall of a future kernel, fails the way it does on an old kernel,
 *         and libc falls back.
 *    "Continue" is libseccomp's RET ALLOW in stages a and b, rewritten into
 *    a forward jump to the next stage's first instruction; only stage c
 *    returns ALLOW. Jumps inside each program are relative and stay valid.
 *    Every stage is a complete libseccomp program (own arch check, binary
 *    tree over syscall numbers), so each can be read with --pfc.
 *    Measured (x86_64, libseccomp 2.5.4): 520 instructions where the
 *    deny-list had 112; a common syscall runs 23-31 of them instead of 43
 *    (the tree), and since Linux 5.11 a syscall allowed whatever its
 *    arguments skips the filter altogether (the kernel's action cache).
 *    Loading costs about 60 us more per sandbox (160 us instead of 100: the
 *    kernel compiles the program and runs it once per syscall number to
 *    fill that cache), within the noise of a 4-7 ms start.
 * 3. seccomp/notify.def is compiled the same way as a single program
 *    (default ALLOW) into a second array, the user-notification filter of
 *    every posture (sbx_seccomp_notify_bpf), and once more with its
 *    open-posture entries (SBX_NT_OPEN_NOTIFY, SBX_NT_OPEN_DENY) into a
 *    third (sbx_seccomp_notify_open_bpf).
 * 4. The policy is checked while it is compiled: a syscall the build
 *    machine's libseccomp cannot name is a build error (an entry must never
 *    silently vanish), and so is a contradiction (a syscall both refused
 *    outright and allowed, allowed twice, refused on its arguments but never
 *    allowed, or allowed both outright and conditionally).
 *
 * Usage: gen-bpf OUTPUT.h | --pfc base|notify|notify-open   (--pfc prints libseccomp's readable form, stage by stage)
 */

enum sc_kind {
	SC_DENY,     /* refuse with err (when the comparisons hold) */
	SC_ALLOW,    /* allow */
	SC_ALLOW_IF, /* allow when the comparisons hold, else err */
	SC_NOTIFY,   /* notify.def: SECCOMP_RET_USER_NOTIF */
};

struct sc_entry {
	const char *name;
	enum sc_kind kind;
	int err;
	unsigned n_args;
	struct scmp_arg_cmp args[3];
	const char *why;
	bool open_only; /* notify.def: only in the open posture's notification filter */
};

#define SBX_SC_DENY(sc, e, reason) {#sc, SC_DENY, e, 0, {{0}}, reason},
#define SBX_SC_DENY_IF(sc, e, reason, n, ...) {#sc, SC_DENY, e, n, {__VA_ARGS__}, reason},
#define SBX_SC_ALLOW(sc, reason) {#sc, SC_ALLOW, 0, 0, {{0}}, reason},
#define SBX_SC_ALLOW_IF(sc, e, reason, n, ...) {#sc, SC_ALLOW_IF, e, n, {__VA_ARGS__}, reason},
static const struct sc_entry policy[] = {
#include "policy.def"
};
#define N_POLICY (sizeof(policy) / sizeof(policy[0]))

#define SBX_NT_NOTIFY(sc, reason, n, ...) {#sc, SC_NOTIFY, 0, n, {__VA_ARGS__}, reason},
#define SBX_NT_DENY(sc, e, reason, n, ...) {#sc, SC_DENY, e, n, {__VA_ARGS__}, reason},
#define SBX_NT_OPEN_NOTIFY(sc, reason, n, ...) {#sc, SC_NOTIFY, 0, n, {__VA_ARGS__}, reason, true},
#define SBX_NT_OPEN_DENY(sc, e, reason, n, ...) {#sc, SC_DENY, e, n, {__VA_ARGS__}, reason, true},
static const struct sc_entry notify_policy[] = {
#include "notify.def"
};
#define N_NOTIFY (sizeof(notify_policy) / sizeof(notify_policy[0]))

static _Noreturn void die(const char *what, const struct sc_entry *e)
{
	fprintf(stderr, "gen-bpf: %s: '%s' (%s)\n", what, e->name, e->why);
	exit(1);
}

static int resolve(const struct sc_entry *e)
{
	int nr = seccomp_syscall_resolve_name(e->name);

	if (nr == __NR_SCMP_ERROR)
		die("libseccomp does not know this syscall", e);
	return nr;
}

/* @tree: a binary tree over syscall numbers (SCMP_FLTATR_CTL_OPTIMIZE 2) instead of a linear scan. */
static scmp_filter_ctx new_ctx(uint32_t def_action, bool tree)
{
	scmp_filter_ctx ctx = seccomp_init(def_action);

	if (!ctx || seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
	    (tree && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)) {
		fprintf(stderr, "gen-bpf: seccomp_init failed\n");
		exit(1);
	}
	return ctx;
}

static void add_rule(scmp_filter_ctx ctx, uint32_t action, const struct sc_entry *e, bool with_args)
{
	int r = seccomp_rule_add_array(ctx, action, resolve(e), with_args ? e->n_args : 0, e->args);

	if (r < 0) {
		fprintf(stderr, "gen-bpf: rule for '%s' (%s): %s\n", e->name, e->why, strerror(-r));
		exit(1);
	}
}

static uint32_t entry_action(const struct sc_entry *e)
{
	switch (e->kind) {
	case SC_DENY:
		return SCMP_ACT_ERRNO((uint32_t)e->err);
	case SC_NOTIFY:
		return SCMP_ACT_NOTIFY;
	default:
		return SCMP_ACT_ALLOW;
	}
}

/* The first policy entry of @kind for syscall @name, or NULL. */
static const struct sc_entry *find(const char *name, enum sc_kind kind)
{
	for (size_t i = 0; i < N_POLICY; i++)
		if (policy[i].kind == kind && strcmp(policy[i].name, name) == 0)
			return &policy[i];
	return NULL;
}

/* The contradictions of point 4 of the theory of operation. */
static void check_policy(void)
{
	for (size_t i = 0; i < N_POLICY; i++) {
		const struct sc_entry *e = &policy[i];
		bool allowed = find(e->name, SC_ALLOW) || find(e->name, SC_ALLOW_IF);
		const struct sc_entry *o;

		resolve(e);
		switch (e->kind) {
		case SC_DENY:
			if (e->n_args == 0 && allowed)
				die("refused outright and allowed", e);
			if (e->n_args > 0 && !allowed)
				die("refused on its arguments but never allowed (every call would fail with ENOSYS)",
				    e);
			break;
		case SC_ALLOW:
			if (find(e->name, SC_ALLOW) != e)
				die("allowed twice", e);
			if (find(e->name, SC_ALLOW_IF))
				die("allowed both outright and on its arguments", e);
			break;
		case SC_ALLOW_IF:
			o = find(e->name, SC_ALLOW_IF);
			if (e->n_args == 0)
				die("SBX_SC_ALLOW_IF without a comparison (use SBX_SC_ALLOW)", e);
			if (o->err != e->err)
				die("SBX_SC_ALLOW_IF entries of one syscall disagree on the errno", e);
			break;
		default:
			die("unexpected entry kind", e);
		}
	}
}

struct prog {
	struct sock_filter *insns;
	size_t len, cap;
	char notes[256];
};

static void push(struct prog *p, struct sock_filter f)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->insns = realloc(p->insns, p->cap * sizeof(*p->insns));
		if (!p->insns)
			exit(1);
	}
	p->insns[p->len++] = f;
}

/* Append the BPF of @ctx to @p (libseccomp 2.5 exports to a descriptor only: collect it through a pipe). */
static void export_bpf(scmp_filter_ctx ctx, struct prog *p)
{
	char *bpf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&bpf, &len);
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (!mem || pipe(fds) < 0 || (pid = fork()) < 0)
		exit(1);
	if (pid == 0) {
		close(fds[0]);
		_exit(seccomp_export_bpf(ctx, fds[1]) < 0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, mem);
	close(fds[0]);
	fclose(mem);
	if (waitpid(pid, &status, 0) != pid || status != 0 || len == 0 || len % sizeof(struct sock_filter) != 0) {
		fprintf(stderr, "gen-bpf: export produced %zu bytes\n", len);
		exit(1);
	}
	for (size_t off = 0; off < len; off += sizeof(struct sock_filter)) {
		struct sock_filter f;

		memcpy(&f, bpf + off, sizeof(f));
		push(p, f);
	}
	free(bpf);
}

/*
 * In the instructions [from, p->len) of a non-final stage, turn every
 * "return ALLOW" into "jump to the next stage", which starts at p->len.
 * libseccomp returns constants only (BPF_RET|BPF_K); anything else would
 * make the rewrite unsound, so it is a build error.
 */
static void chain_to_next(struct prog *p, size_t from)
{
	for (size_t i = from; i < p->len; i++) {
		struct sock_filter *f = &p->insns[i];

		if (BPF_CLASS(f->code) != BPF_RET)
			continue;
		if (f->code != (BPF_RET | BPF_K)) {
			fprintf(stderr, "gen-bpf: unexpected return instruction 0x%04x\n", f->code);
			exit(1);
		}
		if (f->k == SECCOMP_RET_ALLOW)
			*f = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(p->len - i - 1), 0, 0);
	}
}

/* The syscalls with SBX_SC_ALLOW_IF entries, each once, in policy order. */
static bool first_allow_if(size_t i)
{
	return policy[i].kind == SC_ALLOW_IF && find(policy[i].name, SC_ALLOW_IF) == &policy[i];
}

/* Stage a: argument-level refusals. */
static scmp_filter_ctx stage_refusals(void)
{
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ALLOW, true);

	for (size_t i = 0; i < N_POLICY; i++)
		if (policy[i].kind == SC_DENY && policy[i].n_args > 0)
			add_rule(ctx, entry_action(&policy[i]), &policy[i], true);
	return ctx;
}

/* Stage b for the syscall of policy[first]: its conditions, else its errno. */
static scmp_filter_ctx stage_allow_if(size_t first)
{
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ERRNO((uint32_t)policy[first].err), true);

	for (size_t i = first; i < N_POLICY; i++)
		if (policy[i].kind == SC_ALLOW_IF && strcmp(policy[i].name, policy[first].name) == 0)
			add_rule(ctx, SCMP_ACT_ALLOW, &policy[i], true);
	return ctx;
}

/*
 * Stage c: the allow-list and the outright refusals. A refusal with ENOSYS
 * is the default already (libseccomp refuses a rule that repeats it); its
 * entry still documents the decision and keeps the syscall off the list.
 */
static scmp_filter_ctx stage_allow(void)
{
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ERRNO(ENOSYS), true);

	for (size_t i = 0; i < N_POLICY; i++) {
		const struct sc_entry *e = &policy[i];

		if (e->kind == SC_ALLOW || first_allow_if(i))
			add_rule(ctx, SCMP_ACT_ALLOW, e, false);
		else if (e->kind == SC_DENY && e->n_args == 0 && e->err != ENOSYS)
			add_rule(ctx, entry_action(e), e, false);
	}
	return ctx;
}

/*
 * Append stage @ctx (released here) to @p, chained to whatever follows unless
 * @last; with @pfc print its pseudo-code instead. @p->notes collects each
 * stage's size for the generated header.
 */
static void add_stage(struct prog *p, scmp_filter_ctx ctx, bool pfc, const char *title, bool last)
{
	size_t from = p->len;

	if (pfc) {
		printf("# ==== stage %s%s\n", title, last ? "" : " (ALLOW = continue with the next stage)");
		fflush(stdout);
		seccomp_export_pfc(ctx, 1);
	} else {
		export_bpf(ctx, p);
		if (!last)
			chain_to_next(p, from);
		snprintf(p->notes + strlen(p->notes), sizeof(p->notes) - strlen(p->notes), "%s%s %zu",
			 *p->notes ? ", " : "", title, p->len - from);
	}
	seccomp_release(ctx);
}

/* Compile the whole base policy into @p; print each stage's pseudo-code instead when @pfc. */
static void build_base(struct prog *p, bool pfc)
{
	add_stage(p, stage_refusals(), pfc, "a: argument-level refusals", false);
	for (size_t i = 0; i < N_POLICY; i++) {
		int nr = resolve(&policy[i]);
		size_t guard = p->len + 2;
		char title[64];

		if (!first_allow_if(i) || nr < 0) /* nr < 0: not a syscall of this architecture */
			continue;
		snprintf(title, sizeof(title), "b: %s", policy[i].name);
		if (!pfc) {
			/* Guard: ld nr; if (nr == NR) skip the jump; else jump past this stage. */
			push(p,
			     (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
			push(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 1, 0));
			push(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
		}
		add_stage(p, stage_allow_if(i), pfc, title, false);
		if (!pfc)
			p->insns[guard].k = (uint32_t)(p->len - guard - 1);
	}
	add_stage(p, stage_allow(), pfc, "c: the allow-list", true);
}

/* Five syscalls: a linear scan is as short as a tree. @open adds the open posture's own entries. */
static void build_notify(struct prog *p, bool pfc, bool open)
{
	scmp_filter_ctx ctx = new_ctx(SCMP_ACT_ALLOW, false);

	for (size_t i = 0; i < N_NOTIFY; i++)
		if (open || !notify_policy[i].open_only)
			add_rule(ctx, entry_action(&notify_policy[i]), &notify_policy[i], true);
	if (pfc)
		seccomp_export_pfc(ctx, 1);
	else
		export_bpf(ctx, p);
	seccomp_release(ctx);
}

static void emit(FILE *out, const char *name, const struct prog *p)
{
	/* The kernel refuses longer programs (BPF_MAXINSNS). */
	if (p->len > BPF_MAXINSNS) {
		fprintf(stderr, "gen-bpf: %s has %zu instructions, more than %d\n", name, p->len, BPF_MAXINSNS);
		exit(1);
	}
	fprintf(out, "/* %zu instructions%s%s%s */\n", p->len, *p->notes ? " (" : "", p->notes, *p->notes ? ")" : "");
	fprintf(out, "static const struct sock_filter %s[] = {\n", name);
	for (size_t i = 0; i < p->len; i++)
		fprintf(out, "\t{0x%04x, %u, %u, 0x%08x},\n", p->insns[i].code, p->insns[i].jt, p->insns[i].jf,
			p->insns[i].k);
	fprintf(out, "};\n");
}

int main(int argc, char **argv)
{
	struct prog base = {0}, notify = {0}, notify_open = {0};
	FILE *out;

	check_policy();
	if (argc == 3 && strcmp(argv[1], "--pfc") == 0) {
		if (strcmp(argv[2], "notify") == 0 || strcmp(argv[2], "notify-open") == 0)
			build_notify(&notify, true, strcmp(argv[2], "notify-open") == 0);
		else
			build_base(&base, true);
		return fflush(stdout) != 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: gen-bpf OUTPUT.h | --pfc base|notify|notify-open\n");
		return 2;
	}
	build_base(&base, false);
	build_notify(&notify, false, false);
	build_notify(&notify_open, false, true);
	out = fopen(argv[1], "w");
	if (!out)
		return 1;
	fprintf(out,
		"/* Generated by seccomp/gen-bpf.c from seccomp/policy.def and seccomp/notify.def. Do not edit. */\n");
	emit(out, "sbx_seccomp_bpf", &base);
	emit(out, "sbx_seccomp_notify_bpf", &notify);
	emit(out, "sbx_seccomp_notify_open_bpf", &notify_open);
	free(base.insns);
	free(notify.insns);
	free(notify_open.insns);
	return fclose(out) != 0;
}
