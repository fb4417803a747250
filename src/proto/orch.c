// SPDX-License-Identifier: Apache-2.0
/* The orchestrator's line protocols: --control-fd requests and --ask-fd answers (pure, fuzzed). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbx/proto.h"

/*
 * Both protocols are words separated by spaces or tabs, one request or
 * answer per line, in the command line's own words (a rule is written as
 * --allow takes it), so sbx reads no JSON. These parsers only split and
 * classify: a rule is checked by the policy engine, a posture name and a
 * question number by their owners. The line is split in place.
 */

#define SBX_ORCH_MAX_WORDS 4

/* Split @line at spaces and tabs; returns the number of words, or SBX_ORCH_MAX_WORDS + 1 when there are more. */
static size_t split(char *line, char **w)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == SBX_ORCH_MAX_WORDS)
			return n + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* A decimal number from 1 to UINT32_MAX, digits only. */
static int number(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int action(const char *w, bool *deny)
{
	if (strcmp(w, "allow") == 0)
		*deny = false;
	else if (strcmp(w, "deny") == 0)
		*deny = true;
	else
		return -EINVAL;
	return 0;
}

/**
 * sbx_ctl_parse() - split one --control-fd request.
 * @line: the request, NUL-terminated, without its newline; split in place
 * @req: the request
 * @why: on -EINVAL, a static reason
 *
 * Return: 0 (@req->op SBX_CTL_NONE for a blank line or a comment), or -EINVAL.
 */
int sbx_ctl_parse(char *line, struct sbx_ctl_request *req, const char **why)
{
	char *w[SBX_ORCH_MAX_WORDS];
	size_t n = split(line, w);

	memset(req, 0, sizeof(*req));
	*why = "not a request (list, allow RULE, deny RULE, remove ID, remove allow|deny RULE, posture NAME)";
	if (n == 0 || w[0][0] == '#')
		return 0; /* SBX_CTL_NONE */
	if (strcmp(w[0], "list") == 0 && n == 1) {
		req->op = SBX_CTL_LIST;
	} else if (n == 2 && action(w[0], &req->deny) == 0) {
		req->op = SBX_CTL_ADD;
		req->arg = w[1];
	} else if (strcmp(w[0], "remove") == 0 && n == 2) {
		req->op = SBX_CTL_REMOVE_ID;
		if (number(w[1], &req->id) < 0) {
			*why = "remove takes a rule id (see 'list') or allow|deny RULE";
			return -EINVAL;
		}
	} else if (strcmp(w[0], "remove") == 0 && n == 3 && action(w[1], &req->deny) == 0) {
		req->op = SBX_CTL_REMOVE_RULE;
		req->arg = w[2];
	} else if (strcmp(w[0], "posture") == 0 && n == 2) {
		req->op = SBX_CTL_POSTURE;
		req->arg = w[1];
	} else {
		return -EINVAL;
	}
	return 0;
}

/**
 * sbx_ask_parse_answer() - split one --ask-fd answer.
 * @line: "ASK allow|deny [once|always|rule RULE]", NUL-terminated; split in place
 * @a: the answer
 *
 * Return: 0, 1 for a blank line or a "#" comment (nothing to do), or
 * -EINVAL for anything else.
 */
int sbx_ask_parse_answer(char *line, struct sbx_ask_answer *a)
{
	char *w[SBX_ORCH_MAX_WORDS];
	size_t n = split(line, w);

	memset(a, 0, sizeof(*a));
	if (n == 0 || w[0][0] == '#')
		return 1;
	if (n < 2 || n > 4 || number(w[0], &a->ask) < 0 || action(w[1], &a->deny) < 0)
		return -EINVAL;
	if (n == 2 || (n == 3 && strcmp(w[2], "once") == 0))
		a->scope = SBX_ANSWER_ONCE;
	else if (n == 3 && strcmp(w[2], "always") == 0)
		a->scope = SBX_ANSWER_ALWAYS;
	else if (n == 4 && strcmp(w[2], "rule") == 0)
		a->scope = SBX_ANSWER_RULE;
	else
		return -EINVAL;
	if (a->scope == SBX_ANSWER_RULE)
		a->rule = w[3];
	return 0;
}
