/* SPDX-License-Identifier: Apache-2.0 */
/* The commands that resolve and print (`sbx check`, `sbx presets`) and the choice of sbx's exit status. */
#ifndef SBX_CMD_H
#define SBX_CMD_H

#include <stdio.h>

#include "sbx/config.h"
#include "supervisor/supervisor.h"

/**
 * sbx_check_run() - the `sbx check` command.
 * @cfg: policy options, cfg->dests and cfg->resolve.
 * @out: one line per destination: "VERDICT  DEST  WHY".
 * @err: one message on bad input.
 *
 * Return: the number of denied destinations (0: all allowed), or a negative
 * errno (-EINVAL for bad input) after writing a message to @err.
 */
int sbx_check_run(const struct sbx_config *cfg, FILE *out, FILE *err);

/**
 * sbx_presets_print() - the `sbx presets [NAME]` command.
 * @name: preset name (with or without '@'), or NULL to list every preset.
 * @out: the list ("@name  description") or the preset's rules, one a line.
 * @err: message when @name is unknown.
 *
 * Return: 0, or -ENOENT if @name is unknown.
 */
int sbx_presets_print(const char *name, FILE *out, FILE *err);

int sbx_exit_status(const struct sbx_outcome *o);

/* The largest profile file sbx reads. */
#define SBX_PROFILE_MAX 65536

struct sbx_profile {
	const char *name;
	const char *description;
	const char *text; /* profile file syntax */
};

const struct sbx_profile *sbx_profile_builtin(const char *name);
int sbx_profiles_print(const char *name, FILE *out, FILE *err);

#endif
