// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the payload environment (src/env.c) and the outcome -> exit status mapping. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "env.h"
#include "init/init.h"

static void free_env(char **env)
{
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

static size_t count(char **env)
{
	size_t n = 0;
	while (env[n])
		n++;
	return n;
}

static void test_passthrough_and_ops(void **state)
{
	char *in[] = {"A=1", "B=2", "PATH=/bin", NULL};
	struct sbx_env_op ops[] = {{"B", NULL}, {"C", "3"}, {"A", "x=y"}};
	struct sbx_config cfg = {.env_ops = ops, .n_env_ops = 3};
	char **env = NULL;

	assert_int_equal(sbx_env_build(&cfg, in, &env, NULL), 0);
	assert_int_equal(count(env), 3);
	assert_string_equal(env[0], "PATH=/bin");
	assert_string_equal(env[1], "C=3");
	assert_string_equal(env[2], "A=x=y");
	free_env(env);
}

static void test_clearenv(void **state)
{
	char *in[] = {"SECRET=1", NULL};
	struct sbx_env_op ops[] = {{"ONLY", "me"}};
	struct sbx_config cfg = {.clearenv = true, .env_ops = ops, .n_env_ops = 1};
	char **env = NULL;

	assert_int_equal(sbx_env_build(&cfg, in, &env, NULL), 0);
	assert_int_equal(count(env), 1);
	assert_string_equal(env[0], "ONLY=me");
	free_env(env);
}

static void test_unset_does_not_match_prefix(void **state)
{
	char *in[] = {"HOMEDIR=/x", "HOME=/h", NULL};
	struct sbx_env_op ops[] = {{"HOME", NULL}};
	struct sbx_config cfg = {.env_ops = ops, .n_env_ops = 1};
	char **env = NULL;

	assert_int_equal(sbx_env_build(&cfg, in, &env, NULL), 0);
	assert_int_equal(count(env), 1);
	assert_string_equal(env[0], "HOMEDIR=/x");
	free_env(env);
}

/* Credential variables are left out and named; --keep-env passes one; --setenv sets anything. */
static void test_credentials_left_out(void **state)
{
	char *in[] = {"GITHUB_TOKEN=ghp_x",
		      "AWS_SECRET_ACCESS_KEY=k",
		      "npm_config__authToken=t",
		      "SSH_AUTH_SOCK=/run/a",
		      "MY_DB_PASSWORD=p",
		      "PATH=/bin",
		      "TOKENIZERS_PARALLELISM=false",
		      "CI=true",
		      "KEEP_TOKEN=1",
		      NULL};
	const char *keep[] = {"KEEP_*"};
	struct sbx_env_op ops[] = {{"NPM_TOKEN", "set-on-purpose"}};
	struct sbx_config cfg = {.env_ops = ops, .n_env_ops = 1, .keep_env = keep, .n_keep_env = 1};
	char **env = NULL, **removed = NULL;

	(void)state;
	assert_int_equal(sbx_env_build(&cfg, in, &env, &removed), 0);
	assert_int_equal(count(env), 5);
	assert_string_equal(env[0], "PATH=/bin");
	assert_string_equal(env[1], "TOKENIZERS_PARALLELISM=false");
	assert_string_equal(env[2], "CI=true");
	assert_string_equal(env[3], "KEEP_TOKEN=1");
	assert_string_equal(env[4], "NPM_TOKEN=set-on-purpose");
	assert_int_equal(count(removed), 5);
	assert_string_equal(removed[0], "GITHUB_TOKEN");
	assert_string_equal(removed[2], "npm_config__authToken");
	assert_string_equal(removed[3], "SSH_AUTH_SOCK");
	assert_string_equal(removed[4], "MY_DB_PASSWORD");
	sbx_env_free(removed);
	free_env(env);
}

static void test_exit_status(void **state)
{
	struct sbx_outcome o = {.kind = SBX_OUTCOME_EXITED, .code = 7};

	assert_int_equal(sbx_exit_status(&o), 7);
	o = (struct sbx_outcome){.kind = SBX_OUTCOME_SIGNALED, .signal = 9};
	assert_int_equal(sbx_exit_status(&o), 137);
	o.kind = SBX_OUTCOME_TIMEOUT;
	assert_int_equal(sbx_exit_status(&o), 124);
	o.kind = SBX_OUTCOME_SETUP_FAILED;
	assert_int_equal(sbx_exit_status(&o), 125);
	o.kind = SBX_OUTCOME_NOT_EXECUTABLE;
	assert_int_equal(sbx_exit_status(&o), 126);
	o.kind = SBX_OUTCOME_NOT_FOUND;
	assert_int_equal(sbx_exit_status(&o), 127);
	assert_string_equal(sbx_stage_name(SBX_STAGE_MOUNT_PROC), "mounting /proc");
	assert_string_equal(sbx_stage_name((enum sbx_stage)999), "setup");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passthrough_and_ops),
		cmocka_unit_test(test_clearenv),
		cmocka_unit_test(test_unset_does_not_match_prefix),
		cmocka_unit_test(test_credentials_left_out),
		cmocka_unit_test(test_exit_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
