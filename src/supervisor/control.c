// SPDX-License-Identifier: Apache-2.0
/* --control-fd: the orchestrator reads and changes the policy while the payload runs. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "lib/linein.h"
#include "sbx/proto.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * One request per line, in the words of the command line and of policy
 * files (sbx-policy(5)), so sbx needs no JSON parser for what it reads
 * (split by src/proto/orch.c, which is fuzzed):
 *
 *   list                     every rule, with its id and source
 *   allow RULE | deny RULE   add a rule, as --allow / --deny would
 *   remove ID                remove the rule with that id ("list" shows it)
 *   remove allow|deny RULE   remove the rules written so (a preset: all of it)
 *   posture blocked|NAME     narrow to blocked, or restore the run's posture
 *
 * Every request gets exactly one "reply" line, in order, naming the
 * request's line number; "list" writes one "rule" line per rule before its
 * reply. A request that fails changes nothing and says why, in the words
 * the command line would use. Blank lines and "#" comments get no reply.
 *
 * Each change is one new policy version (lib/livepolicy.c): the proxy and
 * the deputy are told and close what the new version denies, and the
 * decision log gets a "policy" line. The controller is trusted to change
 * the policy but not to crash or stall sbx: lines are bounded, replies
 * never block (lib/jsonl.c), and the end of its input changes nothing.
 */

struct sbx_control {
	struct sbx_linein in;
	struct sbx_livepolicy *lp;
	struct sbx_jsonl *out; /* replies */
	bool own_out;	       /* @out is this module's own writer */
};

static void reply_error(struct sbx_control *c, unsigned lineno, const char *op, const char *code, const char *msg)
{
	char m[1024];

	sbx_json_escape(m, sizeof(m), msg);
	sbx_jsonl_printf(c->out,
			 "\"event\":\"reply\",\"request\":%u,\"op\":\"%s\",\"ok\":false,\"code\":\"%s\",\"message\":\"%s\"}",
			 lineno, op, code, m);
}

static void reply_ok(struct sbx_control *c, unsigned lineno, const char *op, const char *extra)
{
	sbx_jsonl_printf(c->out,
			 "\"event\":\"reply\",\"request\":%u,\"op\":\"%s\",\"ok\":true,%s\"version\":%u,\"posture\":\"%s\"}",
			 lineno, op, extra, sbx_livepolicy_version(c->lp),
			 sbx_posture_name(sbx_policy_posture(sbx_livepolicy_peek(c->lp))));
}

static void do_list(struct sbx_control *c, unsigned lineno)
{
	const struct sbx_policy *p = sbx_livepolicy_peek(c->lp);
	size_t n = sbx_policy_rule_count(p);
	char extra[64];

	for (size_t i = 0; i < n; i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(p, i);
		char t[SBX_POLICY_HOST_MAX * 2], src[400], s[800];

		sbx_json_escape(t, sizeof(t), sbx_policy_rule_text(r));
		sbx_policy_rule_source(r, src, sizeof(src));
		sbx_json_escape(s, sizeof(s), src);
		sbx_jsonl_printf(
			c->out,
			"\"event\":\"rule\",\"request\":%u,\"rule_id\":%u,\"action\":\"%s\",\"rule\":\"%s\",\"source\":\"%s\"}",
			lineno, (unsigned)sbx_policy_rule_id(r), sbx_policy_rule_is_deny(r) ? "deny" : "allow", t, s);
	}
	snprintf(extra, sizeof(extra), "\"rules\":%zu,", n);
	reply_ok(c, lineno, "list", extra);
}

static void do_add(struct sbx_control *c, unsigned lineno, bool deny, const char *text)
{
	struct sbx_rule_origin o = {.kind = SBX_ORIGIN_CONTROL, .line = lineno};
	const char *op = deny ? "deny" : "allow";
	char err[768], extra[64];
	uint32_t id = 0;
	int r = sbx_livepolicy_add_rule(c->lp, deny, text, &o, &id, err, sizeof(err));

	if (r < 0) {
		reply_error(c, lineno, op, r == -ENOMEM ? "no-memory" : "bad-rule", err);
		return;
	}
	snprintf(extra, sizeof(extra), "\"rule_id\":%u,", (unsigned)id);
	reply_ok(c, lineno, op, extra);
}

/* Every rule written @text with that action (a preset's as "@name"). */
static size_t find_rules(const struct sbx_policy *p, bool deny, const char *text, uint32_t *ids, size_t max)
{
	size_t n = 0, count = sbx_policy_rule_count(p);

	for (size_t i = 0; i < count && n < max; i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(p, i);
		const char *preset = sbx_policy_rule_preset(r);
		bool same = text[0] == '@' ? preset && strcmp(preset, text + 1) == 0
					   : !preset && strcmp(sbx_policy_rule_text(r), text) == 0;

		if (same && sbx_policy_rule_is_deny(r) == deny)
			ids[n++] = sbx_policy_rule_id(r);
	}
	return n;
}

static void do_remove(struct sbx_control *c, unsigned lineno, const struct sbx_ctl_request *req)
{
	const struct sbx_policy *p = sbx_livepolicy_peek(c->lp);
	size_t max = sbx_policy_rule_count(p) + 1;
	_cleanup_free_ uint32_t *ids = calloc(max, sizeof(*ids));
	char err[768], extra[1024], q[SBX_QUOTE_LEN], src[32];
	size_t n, w;
	int r;

	if (!ids) {
		reply_error(c, lineno, "remove", "no-memory", "out of memory");
		return;
	}
	if (req->op == SBX_CTL_REMOVE_ID) {
		n = sbx_policy_rule_by_id(p, req->id) ? 1 : 0;
		ids[0] = req->id;
	} else {
		n = find_rules(p, req->deny, req->arg, ids, max);
	}
	if (n == 0) {
		if (req->op == SBX_CTL_REMOVE_ID)
			snprintf(err, sizeof(err), "no rule has id %u (see 'list')", (unsigned)req->id);
		else
			snprintf(err, sizeof(err), "no %s rule is written %s (see 'list')",
				 req->deny ? "deny" : "allow", sbx_quote(q, sizeof(q), req->arg));
		reply_error(c, lineno, "remove", "no-such-rule", err);
		return;
	}
	snprintf(src, sizeof(src), "control:%u", lineno);
	r = sbx_livepolicy_remove(c->lp, ids, n, src, err, sizeof(err));
	if (r < 0) {
		reply_error(c, lineno, "remove", r == -ENOMEM ? "no-memory" : "refused", err);
		return;
	}
	w = (size_t)snprintf(extra, sizeof(extra), "\"removed\":[");
	for (size_t i = 0; i < n && w + 16 < sizeof(extra); i++)
		w += (size_t)snprintf(extra + w, sizeof(extra) - w, "%s%u", i ? "," : "", (unsigned)ids[i]);
	snprintf(extra + w, sizeof(extra) - w, "],");
	reply_ok(c, lineno, "remove", extra);
}

static void do_posture(struct sbx_control *c, unsigned lineno, const char *name)
{
	static const enum sbx_posture all[] = {SBX_POSTURE_BLOCKED, SBX_POSTURE_ALLOWLIST, SBX_POSTURE_OPEN};
	char err[768], q[SBX_QUOTE_LEN], src[32];

	for (size_t i = 0; i < SBX_ARRAY_SIZE(all); i++) {
		int r;

		if (strcmp(name, sbx_posture_name(all[i])) != 0)
			continue;
		snprintf(src, sizeof(src), "control:%u", lineno);
		r = sbx_livepolicy_set_posture(c->lp, all[i], src, err, sizeof(err));
		if (r < 0)
			reply_error(c, lineno, "posture", r == -EPERM ? "wider-posture" : "no-memory", err);
		else
			reply_ok(c, lineno, "posture", "");
		return;
	}
	snprintf(err, sizeof(err), "posture: %s is not blocked, allowlist or open", sbx_quote(q, sizeof(q), name));
	reply_error(c, lineno, "posture", "bad-request", err);
}

static void on_line(struct sbx_linein *in, unsigned lineno, char *line, bool bad)
{
	struct sbx_control *c = sbx_container_of(in, struct sbx_control, in);
	struct sbx_ctl_request req;
	const char *why;
	char err[512];

	if (bad) {
		snprintf(err, sizeof(err), "request longer than %d bytes, or with a NUL byte: ignored", SBX_LINEIN_MAX);
		reply_error(c, lineno, "unknown", "bad-line", err);
		return;
	}
	if (sbx_ctl_parse(line, &req, &why) < 0) {
		reply_error(c, lineno, "unknown", "bad-request", why);
		return;
	}
	switch (req.op) {
	case SBX_CTL_NONE:
		break;
	case SBX_CTL_LIST:
		do_list(c, lineno);
		break;
	case SBX_CTL_ADD:
		do_add(c, lineno, req.deny, req.arg);
		break;
	case SBX_CTL_REMOVE_ID:
	case SBX_CTL_REMOVE_RULE:
		do_remove(c, lineno, &req);
		break;
	case SBX_CTL_POSTURE:
		do_posture(c, lineno, req.arg);
		break;
	}
}

/**
 * sbx_control_new() - serve --control-fd on the loop.
 * @loop: the supervisor's event loop
 * @in_fd: requests (not owned)
 * @out: the writer for replies (the status stream's or the log's when the
 *	caller gave the same descriptor), or NULL: open one on @out_fd
 * @out_fd: the replies' descriptor when @out is NULL
 * @id: the sandbox id, for a writer of its own
 * @lp: the policy in force
 * @ctl: the new server
 *
 * Return: 0 or a negative errno (-EBADF: @in_fd is not readable).
 */
int sbx_control_new(struct sbx_loop *loop, int in_fd, struct sbx_jsonl *out, int out_fd, const char *id,
		    struct sbx_livepolicy *lp, struct sbx_control **ctl)
{
	struct sbx_control *c = calloc(1, sizeof(*c));
	int r;

	*ctl = NULL;
	if (!c)
		return -ENOMEM;
	c->lp = lp;
	c->in.w.fd = -1;
	c->out = out;
	if (!out) {
		r = sbx_jsonl_new(loop, out_fd, id, &c->out);
		if (r < 0) {
			free(c);
			return r;
		}
		c->own_out = true;
		sbx_jsonl_hello(c->out, "control", sbx_posture_name(sbx_livepolicy_launch_posture(lp)));
	}
	r = sbx_linein_start(&c->in, loop, in_fd, on_line, NULL);
	if (r < 0) {
		sbx_control_free(c);
		return r;
	}
	*ctl = c;
	return 0;
}

/**
 * sbx_control_free() - stop serving; the last replies are drained briefly.
 * @c: the server, or NULL
 */
void sbx_control_free(struct sbx_control *c)
{
	if (!c)
		return;
	sbx_linein_stop(&c->in);
	if (c->own_out)
		sbx_jsonl_free(c->out, SBX_JSONL_DRAIN_MS);
	free(c);
}
