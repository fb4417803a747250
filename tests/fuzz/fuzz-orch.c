// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the orchestrator's lines (--control-fd requests, --ask-fd answers), with invariants. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether @p points into [@base, @base + @len). */
static bool inside(const char *p, const char *base, size_t len)
{
	return p >= base && p < base + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *copy = malloc(size + 1);
	struct sbx_ctl_request req;
	struct sbx_ask_answer ans;
	const char *why = NULL;
	size_t len;
	int r;

	if (!line || !copy)
		abort();
	memcpy(line, data, size);
	line[size] = '\0'; /* the reader hands over NUL-terminated lines */
	len = strlen(line);
	memcpy(copy, line, len + 1);

	r = sbx_ctl_parse(line, &req, &why);
	if (r != 0 && (r != -EINVAL || !why))
		abort();
	if (r == 0 && (req.op == SBX_CTL_ADD || req.op == SBX_CTL_REMOVE_RULE || req.op == SBX_CTL_POSTURE)) {
		/* The argument is one word of the line: no space, tab, and within it. */
		if (!req.arg || !inside(req.arg, line, len) || !req.arg[0] || strpbrk(req.arg, " \t"))
			abort();
	}
	if (r == 0 && req.op == SBX_CTL_REMOVE_ID && req.id == 0)
		abort();

	memcpy(line, copy, len + 1);
	r = sbx_ask_parse_answer(line, &ans);
	if (r < -EINVAL || r > 1 || (r < 0 && r != -EINVAL))
		abort();
	if (r == 0) {
		if (ans.ask == 0 || (ans.scope == SBX_ANSWER_RULE) != (ans.rule != NULL))
			abort();
		if (ans.rule && (!inside(ans.rule, line, len) || !ans.rule[0] || strpbrk(ans.rule, " \t")))
			abort();
	}
	free(line);
	free(copy);
	return 0;
}
