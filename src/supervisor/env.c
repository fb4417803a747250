// SPDX-License-Identifier: Apache-2.0
/* The payload's environment: the caller's (unless --clearenv), then --setenv/--unsetenv in order. */

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doors.h"
#include "env.h"
#include "lib/topology.h"
#include "sbx/util.h"

static size_t name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');
	return eq ? (size_t)(eq - entry) : strlen(entry);
}

static void remove_name(char **env, size_t *n, const char *name)
{
	size_t len = strlen(name), w = 0;

	for (size_t r = 0; r < *n; r++) {
		if (name_len(env[r]) == len && strncmp(env[r], name, len) == 0) {
			free(env[r]);
			continue;
		}
		env[w++] = env[r];
	}
	*n = w;
	env[w] = NULL;
}

/*
 * allowlist: what common clients need to find the proxy. Set before the
 * caller's --setenv/--unsetenv, which may override them; they replace any
 * proxy settings inherited from the host, which cannot work inside.
 */
#define SBX_NO_PROXY "localhost,127.0.0.0/8,::1"
static const struct sbx_env_op sbx_proxy_env[] = {
	{"HTTP_PROXY", SBX_PROXY_URL},
	{"HTTPS_PROXY", SBX_PROXY_URL},
	{"http_proxy", SBX_PROXY_URL},
	{"https_proxy", SBX_PROXY_URL},
	{"ALL_PROXY", SBX_SOCKS_URL},
	{"all_proxy", SBX_SOCKS_URL},
	{"NO_PROXY", SBX_NO_PROXY},
	{"no_proxy", SBX_NO_PROXY},
	{"PIP_PROXY", SBX_PROXY_URL},	     /* pip, also for its own subprocesses */
	{"npm_config_proxy", SBX_PROXY_URL}, /* npm ignores HTTP_PROXY */
	{"npm_config_https_proxy", SBX_PROXY_URL},
	{"npm_config_noproxy", SBX_NO_PROXY},
	{"YARN_HTTP_PROXY", SBX_PROXY_URL},
	{"YARN_HTTPS_PROXY", SBX_PROXY_URL},
	{"NODE_USE_ENV_PROXY", "1"},		    /* Node >= 24: fetch() and http honour HTTP(S)_PROXY */
	{"GLOBAL_AGENT_HTTP_PROXY", SBX_PROXY_URL}, /* global-agent, for older Node programs */
	{"JAVA_TOOL_OPTIONS",
	 "-Dhttp.proxyHost=" SBX_GW_ADDR4
	 " -Dhttp.proxyPort=" SBX_STR(SBX_PROXY_PORT) " -Dhttps.proxyHost=" SBX_GW_ADDR4 " -Dhttps.proxyPort=" SBX_STR(
		 SBX_PROXY_PORT) " -Dhttp.nonProxyHosts=localhost|127.*|[::1]"},
};

static int apply_ops(char **env, size_t *n, const struct sbx_env_op *ops, size_t n_ops)
{
	for (size_t i = 0; i < n_ops; i++) {
		const struct sbx_env_op *op = &ops[i];
		size_t len;

		remove_name(env, n, op->name);
		if (!op->value)
			continue;
		len = strlen(op->name) + strlen(op->value) + 2;
		env[*n] = malloc(len);
		if (!env[*n])
			return -ENOMEM;
		snprintf(env[*n], len, "%s=%s", op->name, op->value);
		env[++*n] = NULL;
	}
	return 0;
}

/* A credential variable is left out unless a --keep-env glob names it. */
static bool keep(const struct sbx_config *cfg, const char *entry)
{
	size_t len = name_len(entry);
	char name[256];

	if (!sbx_doors_env_is_secret(entry, len))
		return true;
	if (len >= sizeof(name))
		return false;
	memcpy(name, entry, len);
	name[len] = '\0';
	for (size_t i = 0; i < cfg->n_keep_env; i++)
		if (fnmatch(cfg->keep_env[i], name, 0) == 0)
			return true;
	return false;
}

/* Record @entry's name in @removed (a NULL-terminated list the caller frees). */
static int note_removed(char ***removed, size_t *n_removed, const char *entry)
{
	char **grown = realloc(*removed, (*n_removed + 2) * sizeof(**removed));

	if (!grown)
		return -ENOMEM;
	*removed = grown;
	grown[*n_removed] = strndup(entry, name_len(entry));
	if (!grown[*n_removed])
		return -ENOMEM;
	grown[++*n_removed] = NULL;
	return 0;
}

/**
 * sbx_env_build() - compute the payload's environment.
 * @cfg: configuration (clearenv, --keep-env, the ordered --setenv/--unsetenv list)
 * @environ_in: the caller's environment
 * @out: receives a NULL-terminated, heap-allocated array of "K=V" strings
 * @removed: receives the names (never the values) of the credential
 *	variables left out (doors.c), NULL-terminated, heap-allocated; may be NULL
 *
 * The caller's environment is passed on (unless --clearenv) but for the
 * variables that carry credentials; --setenv sets anything, credentials
 * included, since the user wrote it.
 *
 * Context: supervisor, before clone (the child inherits the result).
 * Return: 0, or -ENOMEM.
 */
int sbx_env_build(const struct sbx_config *cfg, char **environ_in, char ***out, char ***removed)
{
	size_t n_in = 0, n = 0, n_removed = 0, cap;
	char **env, **gone = NULL;

	if (!cfg->clearenv)
		while (environ_in && environ_in[n_in])
			n_in++;
	cap = n_in + cfg->n_env_ops + SBX_ARRAY_SIZE(sbx_proxy_env) + 1;
	env = calloc(cap, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n_in; i++) {
		if (!keep(cfg, environ_in[i])) {
			if (note_removed(&gone, &n_removed, environ_in[i]) < 0)
				goto oom;
			continue;
		}
		env[n] = strdup(environ_in[i]);
		if (!env[n])
			goto oom;
		n++;
	}
	env[n] = NULL;
	if (cfg->posture == SBX_POSTURE_ALLOWLIST &&
	    apply_ops(env, &n, sbx_proxy_env, SBX_ARRAY_SIZE(sbx_proxy_env)) < 0)
		goto oom;
	if (apply_ops(env, &n, cfg->env_ops, cfg->n_env_ops) < 0)
		goto oom;
	*out = env;
	if (removed)
		*removed = gone;
	else
		sbx_env_free(gone);
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	sbx_env_free(gone);
	return -ENOMEM;
}

/**
 * sbx_env_free() - free a list from sbx_env_build().
 * @list: NULL-terminated, or NULL
 */
void sbx_env_free(char **list)
{
	for (char **e = list; e && *e; e++)
		free(*e);
	free(list);
}
