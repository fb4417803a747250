/* SPDX-License-Identifier: Apache-2.0 */
/* Shared helpers for the policy unit tests: build a policy from a compact rule string. */
#ifndef SBX_TEST_POLICY_HELPERS_H
#define SBX_TEST_POLICY_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbx/policy.h"

/*
 * rules: "allow:pypi.org deny:10.0.0.0/8:22" (space separated, "allow:" or
 * "deny:" prefix), NULL for none.
 */
static inline struct sbx_policy *policy_of(enum sbx_posture posture, bool no_default_deny, const char *rules)
{
	struct sbx_policy *p = NULL;
	char buf[4096], err[256];

	assert_int_equal(sbx_policy_new(posture, no_default_deny, &p), 0);
	if (!rules)
		return p;
	snprintf(buf, sizeof(buf), "%s", rules);
	for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FLAG};
		bool deny = strncmp(tok, "deny:", 5) == 0;
		const char *text = tok + (deny ? 5 : 6);
		int r;

		assert_true(deny || strncmp(tok, "allow:", 6) == 0);
		r = sbx_policy_add_rule(p, deny, text, &o, err, sizeof(err));
		if (r != 0)
			fail_msg("rule '%s' refused: %s", text, err);
	}
	return p;
}

/* Judge a destination string; returns the verdict and fills why. */
static inline enum sbx_verdict judge(const struct sbx_policy *p, const char *dest, char *why, size_t len)
{
	struct sbx_dest d;
	struct sbx_decision dec;
	char err[256];

	if (sbx_policy_dest_parse(dest, &d, err, sizeof(err)) != 0)
		fail_msg("destination '%s' refused: %s", dest, err);
	sbx_policy_judge_dest(p, &d, &dec);
	sbx_policy_explain(&dec, why, len);
	return dec.verdict;
}

#endif
