// SPDX-License-Identifier: Apache-2.0
/* The built-in profiles: whole sandboxes for common jobs, as data in the profile file syntax (sbx-policy(5)). */

#include <stddef.h>
#include <string.h>

#include "cmd.h"

/*
 * A profile is a file of lines "OPTION [VALUE]": any `sbx run` option
 * without its leading "--" (network, allow, deny, bind, home, persist,
 * setenv, keep-env, uid, pids, ...), except those that name the caller's
 * descriptors or change what sbx does (pass-fd, json-status-fd, log-fd,
 * profile, explain, json). Command-line options after --profile apply after
 * it, in order.
 */
static const struct sbx_profile sbx_builtin_profiles[] = {
	{"ci", "a strict CI job: nothing reachable until --allow, an empty private $HOME, bounded processes",
	 "# sbx built-in profile: ci\n"
	 "network allowlist\n"
	 "home tmpfs\n"
	 "pids 4096\n"
	 "kill-after 10\n"},
	{"npm", "npm ci / npm install from the npm registry; ~/.npm writable, discarded at exit",
	 "# sbx built-in profile: npm\n"
	 "network allowlist\n"
	 "allow @npm\n"
	 "home overlay\n"},
	{"pip", "pip install from PyPI; ~/.cache/pip and ~/.local writable, discarded at exit",
	 "# sbx built-in profile: pip\n"
	 "network allowlist\n"
	 "allow @pypi\n"
	 "home overlay\n"},
};

/**
 * sbx_profile_builtin() - a built-in profile by name.
 * @name: "ci", "npm", "pip", ...
 *
 * Return: the profile, or NULL.
 */
const struct sbx_profile *sbx_profile_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(sbx_builtin_profiles) / sizeof(sbx_builtin_profiles[0]); i++)
		if (strcmp(sbx_builtin_profiles[i].name, name) == 0)
			return &sbx_builtin_profiles[i];
	return NULL;
}

/**
 * sbx_profiles_print() - the `sbx profiles [NAME]` command.
 * @name: a built-in profile's name, or NULL to list them
 * @out: the list ("NAME  description") or the profile's text
 * @err: the message when @name is unknown
 *
 * Return: 0, or -ENOENT.
 */
int sbx_profiles_print(const char *name, FILE *out, FILE *err)
{
	const struct sbx_profile *p;

	if (!name) {
		for (size_t i = 0; i < sizeof(sbx_builtin_profiles) / sizeof(sbx_builtin_profiles[0]); i++)
			fprintf(out, "%-8s %s\n", sbx_builtin_profiles[i].name, sbx_builtin_profiles[i].description);
		return 0;
	}
	p = sbx_profile_builtin(name);
	if (!p) {
		fprintf(err, "sbx profiles: no built-in profile '%s' (run `sbx profiles` for the list)\n", name);
		return -2;
	}
	fputs(p->text, out);
	return 0;
}
