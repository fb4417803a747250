// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: rule parser (sbx_policy_add_rule) plus lookups on the result, with the host-service invariant. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_policy *p = NULL;
	struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FLAG};
	struct sbx_decision d;
	struct sbx_addr a = {.family = AF_INET, .b = {10, 1, 2, 3}};
	char err[256], why[SBX_POLICY_EXPLAIN_MAX];
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sbx_policy_new(SBX_POSTURE_ALLOWLIST, false, &p) == 0) {
		if (sbx_policy_add_rule(p, size & 1, text, &o, err, sizeof(err)) == 0) {
			sbx_policy_judge_addr(p, &a, 443, &d);
			sbx_policy_explain(&d, why, sizeof(why));
			sbx_policy_judge_name(p, "a.b.example.com", 0, &d);
			sbx_policy_explain(&d, why, sizeof(why));
			/* Invariant: only a host-service rule opens the host itself (loopback, or an address told). */
			{
				struct sbx_addr lo = {.family = AF_INET, .b = {127, 0, 0, 1}};
				bool host_service = false;

				for (size_t i = 0; i < sbx_policy_rule_count(p); i++)
					host_service = host_service ||
						       sbx_policy_rule_is_host_service(sbx_policy_rule_at(p, i));
				if (sbx_policy_judge_addr(p, &lo, 443, &d) == SBX_VERDICT_ALLOW && !host_service)
					abort();
				if (sbx_policy_judge_host(p, &a, 443, true, &d) == SBX_VERDICT_ALLOW && !host_service)
					abort();
				if (sbx_policy_judge_host(p, &a, 443, false, &d) == SBX_VERDICT_ALLOW)
					abort(); /* never through a name */
				sbx_policy_explain(&d, why, sizeof(why));
			}
		} else if (!memchr(err, '\0', sizeof(err))) {
			abort(); /* an error message must always be terminated */
		}
		sbx_policy_free(p);
	}
	free(text);
	return 0;
}
