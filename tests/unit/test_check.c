// SPDX-License-Identifier: Apache-2.0
/* Unit tests for cmd/check.c: `sbx check` and `sbx presets` output. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd.h"

static void test_check_run(void **state)
{
	struct sbx_rule_arg rules[] = {
		{SBX_RULE_ARG_ALLOW, "pypi.org"},
		{SBX_RULE_ARG_ALLOW, "127.0.0.1:3141"},
		{SBX_RULE_ARG_DENY, "*.evil.example"},
	};
	char *dests[] = {"pypi.org:443", "169.254.169.254:80", "[::ffff:127.0.0.1]:3141", "x.evil.example",
			 "example.org"};
	struct sbx_config cfg = {.posture = SBX_POSTURE_ALLOWLIST,
				 .rules = rules,
				 .n_rules = 3,
				 .dests = dests,
				 .n_dests = 5};
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);

	assert_int_equal(sbx_check_run(&cfg, out, err), 3);
	fflush(out);
	assert_string_equal(
		obuf,
		"allow  pypi.org:443  rule \"pypi.org\" (--allow)\n"
		"deny  169.254.169.254:80  special-purpose address (link-local, cloud metadata) (built-in default)\n"
		"allow  [::ffff:127.0.0.1]:3141  rule \"127.0.0.1:3141\" (--allow) opens special-purpose address (loopback)\n"
		"deny  x.evil.example  rule \"*.evil.example\" (--deny)\n"
		"deny  example.org  no allow rule matches, allowlist posture (built-in default)\n");

	/* A refused spelling is the proxy's 403: a deny, not bad input. */
	dests[1] = "0177.0.0.1";
	rewind(out);
	olen = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), 3);
	fputc('\0', out);
	fflush(out);
	assert_non_null(strstr(obuf, "deny  0177.0.0.1  refused spelling: "));
	/* A malformed destination is. */
	dests[1] = "10.0.0.0/8";
	assert_int_equal(sbx_check_run(&cfg, out, err), -EINVAL);
	fflush(err);
	assert_non_null(strstr(ebuf, "invalid destination '10.0.0.0/8'"));

	/* Blocked posture. */
	dests[1] = "8.8.8.8";
	cfg.posture = SBX_POSTURE_BLOCKED;
	cfg.n_dests = 2;
	rewind(out);
	olen = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), 2);
	fputc('\0', out);
	fflush(out);
	assert_string_equal(obuf, "deny  pypi.org:443  posture blocked\ndeny  8.8.8.8  posture blocked\n");

	cfg.n_dests = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), -EINVAL);
	fclose(out);
	fclose(err);
	free(obuf);
	free(ebuf);
}

static void test_presets_print(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FILE *err = fopen("/dev/null", "w");

	assert_int_equal(sbx_presets_print(NULL, out, err), 0);
	fflush(out);
	assert_non_null(strstr(buf, "@pypi "));
	assert_non_null(strstr(buf, "@cloud-metadata "));
	rewind(out);
	len = 0;
	assert_int_equal(sbx_presets_print("@pypi", out, err), 0);
	fputc('\0', out);
	fflush(out);
	assert_string_equal(buf, "pypi.org:443\nfiles.pythonhosted.org:443\n");
	assert_int_equal(sbx_presets_print("nope", out, err), -ENOENT);
	fclose(out);
	fclose(err);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_run),
		cmocka_unit_test(test_presets_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
