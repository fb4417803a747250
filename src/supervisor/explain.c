// SPDX-License-Identifier: Apache-2.0
/* sbx run --explain: the effective sandbox, from the same plan, policy and environment a run uses. Nothing runs. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "lib/jsonl.h"
#include "plan.h"
#include "sbx/policy.h"
#include "sbx/util.h"
#include "supervisor/supervisor.h"

extern char **environ;

/* One item of output: a text line or a JSON object, from the same fields. */
struct out {
	FILE *f;
	bool json;
	bool first;	 /* no comma before the next JSON section */
	bool item_first; /* no comma before the next JSON item */
};

static void str(FILE *f, const char *s)
{
	char buf[8192];

	sbx_json_escape(buf, sizeof(buf), s ? s : "");
	fprintf(f, "\"%s\"", buf);
}

static void section(struct out *o, const char *name)
{
	if (o->json) {
		fprintf(o->f, "%s\"%s\":[", o->first ? "" : "],", name);
		o->first = false;
	} else {
		fprintf(o->f, "%s:\n", name);
	}
}

/* key/value pairs (NULL-terminated, values may be NULL) as "  k v" text or {"k":"v"} JSON. */
static void item(struct out *o, ...)
{
	va_list ap;
	const char *k, *v;
	bool any = false;

	va_start(ap, o);
	if (o->json)
		fprintf(o->f, "%s{", o->item_first ? "" : ",");
	else
		fputs("  ", o->f);
	o->item_first = false;
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (!v)
			continue;
		if (o->json) {
			fprintf(o->f, "%s\"%s\":", any ? "," : "", k);
			str(o->f, v);
		} else {
			char q[SBX_QUOTE_LEN];

			/* The text form quotes what came from outside (paths, rules, names). */
			bool outside = strcmp(k, "path") == 0 || strcmp(k, "source") == 0 || strcmp(k, "rule") == 0 ||
				       strcmp(k, "name") == 0;

			fprintf(o->f, "%s%s", any ? "  " : "", outside ? sbx_quote(q, sizeof(q), v) : v);
		}
		any = true;
	}
	va_end(ap);
	fputs(o->json ? "}" : "\n", o->f);
}

static void begin_list(struct out *o, const char *name)
{
	section(o, name);
	o->item_first = true;
}

static const char *home_model_name(enum sbx_home_model m)
{
	switch (m) {
	case SBX_HOME_OVERLAY:
		return "overlay: writable, writes discarded at exit";
	case SBX_HOME_TMPFS:
		return "tmpfs: empty, private";
	case SBX_HOME_RO:
		return "read-only";
	case SBX_HOME_RW:
		return "read-write: writes reach the host";
	}
	return "?";
}

static const char *mount_kind_name(enum sbx_mount_kind k)
{
	switch (k) {
	case SBX_MOUNT_BIND:
		return "bind read-write";
	case SBX_MOUNT_RO_BIND:
		return "bind read-only";
	case SBX_MOUNT_TMPFS:
		return "tmpfs";
	case SBX_MOUNT_HIDE:
		return "hide";
	}
	return "?";
}

static void network(struct out *o, const struct sbx_config *cfg, const struct sbx_policy *p)
{
	begin_list(o, "network");
	item(o, "what", "posture", "posture", sbx_posture_name(cfg->posture), NULL);
	/* Issue 9: every posture (src/deputy/unix.c). */
	item(o, "what", "unix-sockets", "origin",
	     "host unix sockets refused (EACCES); the sandbox's own and --allow-unix ones reachable", NULL);
	for (size_t i = 0; i < cfg->n_allow_unix; i++)
		item(o, "what", "allow-unix", "path", cfg->allow_unix[i], "origin", "--allow-unix", NULL);
	/* Issue 13: who else decides while the payload runs. */
	if (cfg->ask_in_fd >= 0) {
		char t[96];

		snprintf(t, sizeof(t), "a destination no rule decides is asked about; no answer in %llu ms denies",
			 (unsigned long long)(cfg->ask_timeout_ms ? cfg->ask_timeout_ms : SBX_DEFAULT_ASK_TIMEOUT_MS));
		item(o, "what", "ask", "origin", t, NULL);
	}
	if (cfg->control_in_fd >= 0)
		item(o, "what", "control", "origin",
		     "rules may be added and removed while the payload runs (--control-fd); the posture only narrowed",
		     NULL);
	if (!p)
		return;
	for (size_t i = 0; i < sbx_policy_rule_count(p); i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(p, i);
		char src[256];

		sbx_policy_rule_source(r, src, sizeof(src));
		item(o, "what", sbx_policy_rule_is_deny(r) ? "deny" : "allow", "rule", sbx_policy_rule_text(r),
		     "source", src, NULL);
	}
}

static void filesystem(struct out *o, const struct sbx_config *cfg, const struct sbx_plan *plan, const char *cwd)
{
	char size[32];

	snprintf(size, sizeof(size), "%lluM",
		 (unsigned long long)((cfg->tmp_size ? cfg->tmp_size : SBX_DEFAULT_TMP_SIZE) >> 20));
	begin_list(o, "filesystem");
	item(o, "what", "read-only", "path", "/", "origin", "the host tree (nosuid, nodev)", NULL);
	item(o, "what", "tmpfs", "path", "/tmp", "size", size, "origin", "private /tmp", NULL);
	item(o, "what", "proc", "path", "/proc", "origin", "the sandbox's processes only", NULL);
	item(o, "what", "dev", "path", "/dev", "origin", "null zero full random urandom tty pts shm", NULL);
	if (plan->home[0])
		item(o, "what", "home", "path", plan->home, "origin", home_model_name(plan->home_model), NULL);
	if (strcmp(cwd, "/") != 0)
		item(o, "what", "bind read-write", "path", cwd, "origin", "the working directory", NULL);
	if (cfg->posture != SBX_POSTURE_OPEN)
		item(o, "what", "generated", "path", "/etc/hosts", NULL);
	if (cfg->posture == SBX_POSTURE_ALLOWLIST)
		item(o, "what", "generated", "path", "/etc/resolv.conf", "origin", "the DNS stub", NULL);
	for (size_t i = 0; i < plan->n_mounts; i++) {
		const struct sbx_mount_op *m = &plan->mounts[i];

		item(o, "what", mount_kind_name(m->kind), "path", m->dst, "source", m->src, "origin",
		     m->origin ? m->origin : "command line", NULL);
	}
	if (cfg->posture != SBX_POSTURE_OPEN)
		item(o, "what", "sysfs", "path", "/sys", "origin", "read-only, the sandbox's network only", NULL);
}

static void environment(struct out *o, const struct sbx_config *cfg, char **env, char **removed)
{
	begin_list(o, "environment");
	if (cfg->clearenv)
		item(o, "what", "cleared", "origin", "--clearenv", NULL);
	for (char **e = removed; e && *e; e++)
		item(o, "what", "removed", "name", *e, "origin", "default: carries a credential (--keep-env NAME)",
		     NULL);
	for (size_t i = 0; i < cfg->n_env_ops; i++)
		item(o, "what", cfg->env_ops[i].value ? "set" : "unset", "name", cfg->env_ops[i].name, "origin",
		     cfg->env_ops[i].value ? "--setenv" : "--unsetenv", NULL);
	(void)env;
}

static void identity(struct out *o, const struct sbx_config *cfg)
{
	char uid[24], gid[24], pids[24];

	snprintf(uid, sizeof(uid), "%u", (unsigned)(cfg->uid_set ? cfg->uid : getuid()));
	snprintf(gid, sizeof(gid), "%u", (unsigned)(cfg->gid_set ? cfg->gid : getgid()));
	snprintf(pids, sizeof(pids), "%lu", cfg->pids);
	begin_list(o, "identity");
	item(o, "what", "uid", "value", uid, NULL);
	item(o, "what", "gid", "value", gid, NULL);
	item(o, "what", "hostname", "value", cfg->hostname, NULL);
	item(o, "what", "capabilities", "value", "none", NULL);
	if (cfg->pids)
		item(o, "what", "pids", "value", pids, NULL);
}

/**
 * sbx_supervisor_explain() - print the sandbox a run would build, and build nothing.
 * @cfg: the configuration, as for sbx_supervisor_run()
 * @f: where to print: a text listing, or one JSON document
 * @json: print JSON
 * @err: one line on failure (a bad rule, an unreadable policy file)
 * @errlen: size of @err
 *
 * Uses the same filesystem plan, policy and environment code as a run, so
 * what it prints is what a run does.
 *
 * Context: the supervisor; no namespace is created.
 * Return: 0, or a negative errno with @err set.
 */
int sbx_supervisor_explain(const struct sbx_config *cfg, FILE *f, bool json, char *err, size_t errlen)
{
	struct out o = {.f = f, .json = json, .first = true};
	struct sbx_policy *policy = NULL;
	struct sbx_plan plan = {0};
	char cwd[4096], **env = NULL, **removed = NULL;
	int r;

	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(err, errlen, "cannot determine the working directory: %s", strerror(errno));
		return -errno;
	}
	r = sbx_plan_build(cfg, cwd, &plan);
	if (r == 0 && cfg->posture != SBX_POSTURE_BLOCKED)
		r = sbx_policy_build(cfg, &policy, err, errlen);
	else if (r < 0)
		snprintf(err, errlen, "planning the filesystem: %s", strerror(-r));
	if (r == 0) {
		r = sbx_env_build(cfg, environ, &env, &removed);
		if (r < 0)
			snprintf(err, errlen, "building the environment: %s", strerror(-r));
	}
	if (r == 0) {
		if (json)
			fputs("{\"sbx\":\"" SBX_VERSION "\",", f);
		network(&o, cfg, policy);
		filesystem(&o, cfg, &plan, cwd);
		environment(&o, cfg, env, removed);
		identity(&o, cfg);
		if (json)
			fputs("]}\n", f);
	}
	sbx_env_free(env);
	sbx_env_free(removed);
	sbx_policy_free(policy);
	sbx_plan_free(&plan);
	return r;
}
