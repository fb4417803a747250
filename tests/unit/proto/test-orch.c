// SPDX-License-Identifier: Apache-2.0
/* Unit tests: the orchestrator's lines, --control-fd requests and --ask-fd answers. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sbx/proto.h"

static int ctl(const char *text, struct sbx_ctl_request *req)
{
	static char line[256];
	const char *why = NULL;
	int r;

	snprintf(line, sizeof(line), "%s", text);
	r = sbx_ctl_parse(line, req, &why);
	if (r < 0)
		assert_non_null(why);
	return r;
}

static void test_ctl(void **state)
{
	struct sbx_ctl_request q;

	(void)state;
	assert_int_equal(ctl("list", &q), 0);
	assert_int_equal(q.op, SBX_CTL_LIST);
	assert_int_equal(ctl("  allow\tpypi.org:443 ", &q), 0);
	assert_int_equal(q.op, SBX_CTL_ADD);
	assert_false(q.deny);
	assert_string_equal(q.arg, "pypi.org:443");
	assert_int_equal(ctl("deny 10.0.0.0/8", &q), 0);
	assert_true(q.deny);
	assert_int_equal(ctl("remove 12", &q), 0);
	assert_int_equal(q.op, SBX_CTL_REMOVE_ID);
	assert_int_equal(q.id, 12);
	assert_int_equal(ctl("remove 4294967295", &q), 0);
	assert_int_equal(q.id, 4294967295u);
	assert_int_equal(ctl("remove deny @pypi", &q), 0);
	assert_int_equal(q.op, SBX_CTL_REMOVE_RULE);
	assert_true(q.deny);
	assert_string_equal(q.arg, "@pypi");
	assert_int_equal(ctl("posture blocked", &q), 0);
	assert_int_equal(q.op, SBX_CTL_POSTURE);
	assert_string_equal(q.arg, "blocked");
	/* Nothing to do. */
	assert_int_equal(ctl("", &q), 0);
	assert_int_equal(q.op, SBX_CTL_NONE);
	assert_int_equal(ctl("   # allow everything", &q), 0);
	assert_int_equal(q.op, SBX_CTL_NONE);
	/* Refused: unknown words, wrong counts, ids that are not 1..2^32-1 in decimal. */
	static const char *const bad[] =
		{"lis",		  "list all",  "allow",	      "allow a b",	   "ALLOW x",	     "remove",
		 "remove 0",	  "remove -1", "remove 0x10", "remove 4294967296", "remove 1 2",     "remove allow",
		 "remove both x", "posture",   "posture a b", "a b c d e",	   "allow x # note", "frobnicate"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl(bad[i], &q) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
}

static int answer(const char *text, struct sbx_ask_answer *a)
{
	static char line[256];

	snprintf(line, sizeof(line), "%s", text);
	return sbx_ask_parse_answer(line, a);
}

static void test_answers(void **state)
{
	struct sbx_ask_answer a;

	(void)state;
	assert_int_equal(answer("7 allow", &a), 0);
	assert_int_equal(a.ask, 7);
	assert_false(a.deny);
	assert_int_equal(a.scope, SBX_ANSWER_ONCE);
	assert_null(a.rule);
	assert_int_equal(answer("7 deny once", &a), 0);
	assert_true(a.deny);
	assert_int_equal(a.scope, SBX_ANSWER_ONCE);
	assert_int_equal(answer("\t12  allow always\r", &a), -EINVAL); /* \r is stripped by the reader, not here */
	assert_int_equal(answer("\t12  allow always", &a), 0);
	assert_int_equal(a.scope, SBX_ANSWER_ALWAYS);
	assert_int_equal(answer("3 allow rule *.pythonhosted.org", &a), 0);
	assert_int_equal(a.scope, SBX_ANSWER_RULE);
	assert_string_equal(a.rule, "*.pythonhosted.org");
	assert_int_equal(answer("", &a), 1);
	assert_int_equal(answer("# later", &a), 1);
	static const char *const bad[] = {"allow",
					  "7",
					  "7 maybe",
					  "0 allow",
					  "-1 allow",
					  "7 allow twice",
					  "7 allow rule",
					  "7 allow rule a b",
					  "7 allow once x",
					  "x7 allow",
					  "4294967296 allow",
					  "7 allow always x",
					  "07x allow"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (answer(bad[i], &a) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
