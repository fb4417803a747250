// SPDX-License-Identifier: Apache-2.0
/* The filesystem plan: the command line's mounts plus the defaults that close the doors (doors.c), in order. */

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doors.h"
#include "plan.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * Sandbox init mounts, in this order (src/init/mounts.c): the read-only
 * host tree, /tmp, /proc, /dev, then $HOME as --home says, then the working
 * directory read-write, then /etc files, then the list built here:
 *
 *   1. credential stores under $HOME (doors.c) covered with empty read-only
 *      placeholders, unless --show names one or --no-default-hide;
 *   2. the command line's --bind, --ro-bind, --tmpfs, --hide, --persist, in
 *      order: an explicit --bind of a hidden path re-exposes it;
 *   3. persistence paths (.git/hooks, .git/config, .envrc, ...) inside every
 *      writable directory (the working directory, each read-write --bind
 *      and --persist, $HOME with --home=rw) bound read-only onto themselves,
 *      unless --allow-write names one; with them, $HOME's shell and session
 *      start-up files when $HOME itself is writable (--home=rw, or the
 *      working directory is $HOME or holds it).
 *
 * Only paths that exist on the host are planned: a missing one costs one
 * lookup here and nothing in init. A persistence file the payload creates
 * where none existed (a new .envrc) is not covered: sbx creates nothing in
 * a host directory, and a read-only mount needs something to cover. The
 * README says so.
 */

static char *own(struct sbx_plan *p, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return NULL;
	if ((p->n_owned & (p->n_owned - 1)) == 0) {
		char **grown = realloc(p->owned, (p->n_owned ? p->n_owned * 2 : 1) * sizeof(*grown));

		if (!grown) {
			free(copy);
			return NULL;
		}
		p->owned = grown;
	}
	p->owned[p->n_owned++] = copy;
	return copy;
}

static int add(struct sbx_plan *p, enum sbx_mount_kind kind, const char *src, const char *dst, const char *origin)
{
	struct sbx_mount_op op = {.kind = kind, .origin = origin};

	if ((p->n_mounts & (p->n_mounts - 1)) == 0) {
		struct sbx_mount_op *grown = realloc(p->mounts, (p->n_mounts ? p->n_mounts * 2 : 1) * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->mounts = grown;
	}
	if (src && !(op.src = own(p, src)))
		return -ENOMEM;
	if (!(op.dst = own(p, dst)))
		return -ENOMEM;
	p->mounts[p->n_mounts++] = op;
	return 0;
}

/* "~/x" -> $HOME/x; other paths as they are. */
static void expand(const struct sbx_plan *p, const char *in, char *out, size_t len)
{
	int n;

	if (strncmp(in, "~/", 2) == 0 && p->home[0])
		n = snprintf(out, len, "%s/%s", p->home, in + 2);
	else
		n = snprintf(out, len, "%s", in);
	if (n < 0 || (size_t)n >= len)
		out[0] = '\0'; /* too long to name anything: matches nothing */
}

static bool listed(const struct sbx_plan *p, const char *path, const char *const *list, size_t n)
{
	char x[PATH_MAX];

	for (size_t i = 0; i < n; i++) {
		expand(p, list[i], x, sizeof(x));
		if (strcmp(x, path) == 0)
			return true;
	}
	return false;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Is @dir equal to @path or one of its ancestors? */
static bool covers(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool owned_by_caller(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_uid == getuid();
}

static void find_home(struct sbx_plan *p)
{
	const char *h = getenv("HOME");
	struct stat st;

	if (!h || h[0] != '/') {
		struct passwd *pw = getpwuid(getuid());

		h = pw ? pw->pw_dir : NULL;
	}
	if (!h || h[0] != '/' || strcmp(h, "/") == 0 || strlen(h) >= sizeof(p->home) || stat(h, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return;
	snprintf(p->home, sizeof(p->home), "%s", h);
	/* No trailing slash: compared with other paths below. */
	for (size_t n = strlen(p->home); n > 1 && p->home[n - 1] == '/'; n--)
		p->home[n - 1] = '\0';
}

/* Persistence paths inside one writable directory: @src on the host, seen at @dst inside. */
static int protect_dir(struct sbx_plan *p, const struct sbx_config *cfg, const char *src, const char *dst,
		       const char *const *rels, const char *origin)
{
	char s[PATH_MAX], d[PATH_MAX];

	for (size_t i = 0; rels[i]; i++) {
		int r;

		if (snprintf(s, sizeof(s), "%s/%s", strcmp(src, "/") ? src : "", rels[i]) >= (int)sizeof(s) ||
		    snprintf(d, sizeof(d), "%s/%s", strcmp(dst, "/") ? dst : "", rels[i]) >= (int)sizeof(d))
			continue;
		if (!exists(s) || listed(p, d, cfg->allow_writes, cfg->n_allow_writes))
			continue;
		r = add(p, SBX_MOUNT_RO_BIND, s, d, origin);
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * sbx_plan_build() - the home model and every mount after the working directory, in order.
 * @cfg: the configuration
 * @cwd: the working directory the payload starts in (host path)
 * @p: filled in; release with sbx_plan_free() whatever the result
 *
 * Context: the supervisor, before clone; looks at the host's files (lstat).
 * Return: 0, or -ENOMEM.
 */
int sbx_plan_build(const struct sbx_config *cfg, const char *cwd, struct sbx_plan *p)
{
	bool home_writable;
	char path[PATH_MAX];
	int r;

	memset(p, 0, sizeof(*p));
	find_home(p);
	p->home_model = p->home[0] ? cfg->home : SBX_HOME_RO;
	/*
	 * A $HOME that is not the caller's (sudo's HOME=/root, a service
	 * account's shared directory) cannot take the caller's writes, and its
	 * files are not the caller's to show: unless --home says otherwise, the
	 * sandbox gets an empty private one at that path.
	 */
	if (p->home[0] && !cfg->home_set && !owned_by_caller(p->home))
		p->home_model = SBX_HOME_TMPFS;
	/* 1. credentials */
	for (size_t i = 0; p->home[0] && !cfg->no_default_hide && sbx_doors_home_secrets[i]; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", p->home, sbx_doors_home_secrets[i]) >= (int)sizeof(path))
			continue;
		if (!exists(path) || listed(p, path, cfg->shows, cfg->n_shows))
			continue;
		r = add(p, SBX_MOUNT_HIDE, NULL, path, "default: credentials (--show PATH to expose)");
		if (r < 0)
			return r;
	}
	/* 2. the command line */
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct sbx_mount_op *op = &cfg->mounts[i];

		r = add(p, op->kind, op->src, op->dst, op->origin);
		if (r < 0)
			return r;
	}
	/* 3. persistence paths in every writable directory */
	if (strcmp(cwd, "/") != 0) {
		r = protect_dir(p, cfg, cwd, cwd, sbx_doors_persist,
				"default: runs on the host later (--allow-write PATH)");
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct sbx_mount_op *op = &cfg->mounts[i];

		if (op->kind != SBX_MOUNT_BIND)
			continue;
		r = protect_dir(p, cfg, op->src, op->dst, sbx_doors_persist,
				"default: runs on the host later (--allow-write PATH)");
		if (r < 0)
			return r;
	}
	home_writable = p->home[0] && (p->home_model == SBX_HOME_RW || (strcmp(cwd, "/") != 0 && covers(cwd, p->home)));
	if (home_writable) {
		r = protect_dir(p, cfg, p->home, p->home, sbx_doors_persist,
				"default: runs on the host later (--allow-write PATH)");
		if (r == 0)
			r = protect_dir(p, cfg, p->home, p->home, sbx_doors_home_startup,
					"default: $HOME start-up file (--allow-write PATH)");
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * sbx_plan_free() - release a plan.
 * @p: the plan
 */
void sbx_plan_free(struct sbx_plan *p)
{
	for (size_t i = 0; i < p->n_owned; i++)
		free(p->owned[i]);
	free(p->owned);
	free(p->mounts);
	memset(p, 0, sizeof(*p));
}
