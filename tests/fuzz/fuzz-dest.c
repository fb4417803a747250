// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: host/address parsing, normalisation and classification, with round-trip checks. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbx_addr a, b;
	struct sbx_addr_info info;
	struct sbx_dest dest;
	char buf[SBX_POLICY_ADDR_STRLEN], host[SBX_POLICY_HOST_MAX], host2[SBX_POLICY_HOST_MAX];
	char err[256], *text;
	const char *why;
	int n;

	/* Addresses: whatever parses must format and parse back to the same bytes. */
	if (sbx_policy_addr_parse((const char *)data, size, &a) == 0) {
		if (sbx_policy_addr_format(&a, buf, sizeof(buf)) < 0)
			abort();
		if (sbx_policy_addr_parse(buf, strlen(buf), &b) != 0 || memcmp(a.b, b.b, 16) != 0 ||
		    a.family != b.family)
			abort();
		sbx_policy_addr_classify(&a, &info);
		if (info.n_embedded > 4)
			abort();
	}
	/* Names: normalisation is idempotent and never yields something numeric-looking. */
	n = sbx_policy_host_normalise((const char *)data, size, host, sizeof(host), &why);
	if (n >= 0) {
		if ((size_t)n != strlen(host) || n > 253)
			abort();
		if (sbx_policy_host_normalise(host, (size_t)n, host2, sizeof(host2), &why) != n ||
		    strcmp(host, host2) != 0)
			abort();
		if (sbx_policy_addr_parse(host, (size_t)n, &b) == 0)
			abort();
	}
	if (size > 2048)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sbx_policy_dest_parse(text, &dest, err, sizeof(err)) == 0 && !dest.is_addr && strlen(dest.host) > 253)
		abort();
	free(text);
	return 0;
}
