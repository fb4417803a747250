/* SPDX-License-Identifier: Apache-2.0 */
/* Command-line parsing: argv -> struct sbx_config, with no side effects. */
#ifndef SBX_CLI_H
#define SBX_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "sbx/config.h"

extern const char sbx_cli_usage_main[];
extern const char sbx_cli_usage_run[];
extern const char sbx_cli_usage_check[];
extern const char sbx_cli_usage_presets[];

int sbx_cli_parse(int argc, char **argv, struct sbx_config *cfg, char *err, size_t errlen);
int sbx_cli_parse_profiles(int argc, char **argv, const struct sbx_profile_text *texts, size_t n_texts,
			   struct sbx_config *cfg, char *err, size_t errlen);
int sbx_cli_check_run(const struct sbx_config *cfg, char *err, size_t errlen);
bool sbx_cli_needs_posture(const struct sbx_config *cfg);
void sbx_config_free(struct sbx_config *cfg);

#endif
