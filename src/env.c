// SPDX-License-Identifier: Apache-2.0
/* The payload's environment: the caller's (unless --clearenv), then --setenv/--unsetenv in order. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/sandbox.h"

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

/**
 * sbx_env_build() - compute the payload's environment.
 * @cfg: configuration (clearenv and the ordered --setenv/--unsetenv list)
 * @environ_in: the caller's environment
 * @out: receives a NULL-terminated, heap-allocated array of "K=V" strings
 *
 * Context: supervisor, before clone (the child inherits the result).
 * Return: 0, or -ENOMEM.
 */
int sbx_env_build(const struct sbx_config *cfg, char **environ_in, char ***out)
{
	size_t n_in = 0, n = 0, cap;
	char **env;

	if (!cfg->clearenv)
		while (environ_in && environ_in[n_in])
			n_in++;
	cap = n_in + cfg->n_env_ops + 1;
	env = calloc(cap, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n_in; i++) {
		env[n] = strdup(environ_in[i]);
		if (!env[n])
			goto oom;
		n++;
	}
	env[n] = NULL;
	for (size_t i = 0; i < cfg->n_env_ops; i++) {
		const struct sbx_env_op *op = &cfg->env_ops[i];

		remove_name(env, &n, op->name);
		if (!op->value)
			continue;
		size_t len = strlen(op->name) + strlen(op->value) + 2;
		env[n] = malloc(len);
		if (!env[n])
			goto oom;
		strcpy(env[n], op->name);
		strcat(env[n], "=");
		strcat(env[n], op->value);
		env[++n] = NULL;
	}
	*out = env;
	return 0;
oom:
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	return -ENOMEM;
}
