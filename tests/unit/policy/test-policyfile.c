// SPDX-License-Identifier: Apache-2.0
/* Unit tests: policy-file syntax and errors, sbx_policy_build() from a config, `sbx check` output. */

#include "helpers.h"

#include <unistd.h>

static void test_file_ok(void **state)
{
	static const char text[] =
		"# registries\n"
		"network allowlist\n"
		"allow pypi.org *.pythonhosted.org   # two rules\n"
		"\r\n"
		"\tdeny 10.0.0.0/8:22\r\n"
		"allow @npm";
	struct sbx_policy *p = policy_of(SBX_POSTURE_BLOCKED, false, NULL);
	enum sbx_posture posture = SBX_POSTURE_BLOCKED;
	bool set = false;
	char err[256] = "", why[SBX_POLICY_EXPLAIN_MAX];

	assert_int_equal(sbx_policy_load_buffer(p, "t.policy", text, sizeof(text) - 1, &posture, &set, err,
						sizeof(err)),
			 0);
	assert_true(set);
	assert_int_equal(posture, SBX_POSTURE_ALLOWLIST);
	assert_int_equal(sbx_policy_posture(p), SBX_POSTURE_ALLOWLIST);
	assert_int_equal(judge(p, "files.pythonhosted.org:443", why, sizeof(why)), SBX_VERDICT_ALLOW);
	assert_string_equal(why, "rule \"*.pythonhosted.org\" (t.policy:3)");
	assert_int_equal(judge(p, "registry.npmjs.org:443", why, sizeof(why)), SBX_VERDICT_ALLOW);
	assert_string_equal(why, "rule \"registry.npmjs.org:443\" (@npm via t.policy:6)");
	sbx_policy_free(p);
}

static void test_file_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err; /* exact message */
	} t[] = {
		{"allow pypi.org\nalow x\n", "f:2:1: unknown directive 'alow' (expected allow, deny or network)"},
		{"allow\n", "f:1:1: allow needs at least one rule"},
		{"  deny   # nothing\n", "f:1:3: deny needs at least one rule"},
		{"allow pypi.org 127.1\n",
		 "f:1:16: invalid rule '127.1': numeric host that is not a canonical dotted-quad or IPv6 address"},
		{"\n\n   allow  10.1.2.3/8\n",
		 "f:3:11: invalid rule '10.1.2.3/8': address has bits set past the prefix length (did you mean 10.0.0.0/8?)"},
		{"allow a:0\n", "f:1:7: invalid rule 'a:0': invalid port (expected 1-65535)"},
		{"allow @nope\n", "f:1:7: invalid rule '@nope': unknown preset (see `sbx presets`)"},
		{"network\n", "f:1:1: network needs a posture (blocked, allowlist or open)"},
		{"network wide\n", "f:1:9: unknown posture 'wide' (expected blocked, allowlist or open)"},
		{"network open open\n", "f:1:14: network takes one posture"},
		{"network open\nnetwork allowlist\n", "f:2:9: network posture 'allowlist' conflicts with f:1 (open)"},
		{"allow fe80::1%eth0\n", "f:1:7: invalid rule 'fe80::1%eth0': IPv6 zone ids are not accepted"},
		/* Tokens from the file are quoted: one line, no byte a terminal acts on. */
		{"\x1b]0;owned\x07 x\n",
		 "f:1:1: unknown directive '\\e]0;owned\\x07' (expected allow, deny or network)"},
		{"network \x1b[2J\n", "f:1:9: unknown posture '\\e[2J' (expected blocked, allowlist or open)"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbx_policy *p = policy_of(SBX_POSTURE_ALLOWLIST, false, NULL);
		enum sbx_posture posture;
		bool set = false;
		char err[512] = "";
		int r = sbx_policy_load_buffer(p, "f", t[i].text, strlen(t[i].text), &posture, &set, err, sizeof(err));

		if (r != -EINVAL || strcmp(err, t[i].err) != 0)
			fail_msg("case %zu: r=%d err '%s', expected '%s'", i, r, err, t[i].err);
		sbx_policy_free(p);
	}
	{
		struct sbx_policy *p = policy_of(SBX_POSTURE_ALLOWLIST, false, NULL);
		enum sbx_posture posture;
		bool set = false;
		char err[256] = "";

		assert_int_equal(sbx_policy_load_buffer(p, "f", "allow a\0b\n", 10, &posture, &set, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "f:1:8: NUL byte in policy file");
		sbx_policy_free(p);
	}
	{
		/* A file name that would split the line is quoted where it starts the message. */
		struct sbx_policy *p = policy_of(SBX_POSTURE_ALLOWLIST, false, NULL);
		enum sbx_posture posture;
		bool set = false;
		char err[256] = "";

		assert_int_equal(sbx_policy_load_buffer(p, "a\nb", "bogus\n", 6, &posture, &set, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "'a\\nb':1:1: unknown directive 'bogus' (expected allow, deny or network)");
		sbx_policy_free(p);
	}
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/sbx-policy-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_build(void **state)
{
	char *file = write_tmp("network open\ndeny example.com\n");
	struct sbx_rule_arg rules[] = {
		{SBX_RULE_ARG_ALLOW, "pypi.org"},
		{SBX_RULE_ARG_FILE, file},
		{SBX_RULE_ARG_DENY, "10.0.0.0/8"},
	};
	struct sbx_config cfg = {.posture = SBX_POSTURE_ALLOWLIST, .rules = rules, .n_rules = 3};
	struct sbx_policy *p = NULL;
	char err[512] = "", why[SBX_POLICY_EXPLAIN_MAX], want[600];

	/* No --network: the file sets the posture. */
	assert_int_equal(sbx_policy_build(&cfg, &p, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_posture(p), SBX_POSTURE_OPEN);
	assert_int_equal(sbx_policy_rule_count(p), 3);
	assert_int_equal(judge(p, "example.com", why, sizeof(why)), SBX_VERDICT_DENY);
	snprintf(want, sizeof(want), "rule \"example.com\" (%s:2)", file);
	assert_string_equal(why, want);
	sbx_policy_free(p);

	/* --network=allowlist given and the file says open: error at the file's line. */
	cfg.posture_set = true;
	assert_int_equal(sbx_policy_build(&cfg, &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	snprintf(want, sizeof(want), "%s:1:9: network posture 'open' conflicts with --network=allowlist (allowlist)",
		 file);
	assert_string_equal(err, want);

	/* Same posture: fine. */
	cfg.posture = SBX_POSTURE_OPEN;
	assert_int_equal(sbx_policy_build(&cfg, &p, err, sizeof(err)), 0);
	sbx_policy_free(p);

	/* A bad flag argument is named. */
	rules[2].text = "0x7f.1";
	assert_int_equal(sbx_policy_build(&cfg, &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--deny '0x7f.1': numeric host that is not a canonical dotted-quad or IPv6 address");

	/* A missing file. */
	rules[1].text = "/nonexistent/sbx.policy";
	assert_true(sbx_policy_build(&cfg, &p, err, sizeof(err)) == -ENOENT);
	assert_non_null(strstr(err, "'/nonexistent/sbx.policy': cannot open policy file"));

	/* A flag's text is quoted: one line, no control byte. */
	rules[1].text = "x\n\x1b[31m";
	rules[1].kind = SBX_RULE_ARG_DENY;
	assert_int_equal(sbx_policy_build(&cfg, &p, err, sizeof(err)), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_null(strchr(err, '\x1b'));
	assert_non_null(strstr(err, "--deny 'x\\n\\e[31m': "));

	unlink(file);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_ok),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
