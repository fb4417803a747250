// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: policy-file parser (sbx_policy_load_buffer) and judging with what it built. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dests[] = {"pypi.org:443", "127.0.0.1:3141", "[::ffff:10.0.0.1]:80",
					    "a.b.c.example.com", "169.254.169.254"};
	struct sbx_policy *p = NULL;
	enum sbx_posture posture;
	bool set = false;
	char err[512];

	if (size > 65536 || sbx_policy_new(SBX_POSTURE_ALLOWLIST, false, &p) < 0)
		return 0;
	if (sbx_policy_load_buffer(p, "fuzz", (const char *)data, size, &posture, &set, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < sizeof(dests) / sizeof(dests[0]); i++) {
			struct sbx_dest dest;
			struct sbx_decision d;
			char why[SBX_POLICY_EXPLAIN_MAX];

			if (sbx_policy_dest_parse(dests[i], &dest, err, sizeof(err)) != 0)
				abort();
			sbx_policy_judge_dest(p, &dest, &d);
			sbx_policy_explain(&d, why, sizeof(why));
		}
	} else if (strncmp(err, "fuzz:", 5) != 0) {
		abort(); /* every syntax error names file:line:col */
	}
	sbx_policy_free(p);
	return 0;
}
