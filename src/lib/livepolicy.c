// SPDX-License-Identifier: Apache-2.0
/* The policy in force: versions swapped whole under a mutex, reference-counted for the deputy's workers. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/livepolicy.h"
#include "sbx/util.h"

/* One version: the current one holds a reference of its own. */
struct version {
	struct sbx_list link;
	struct sbx_policy *p;
	unsigned refs;
};

struct sbx_livepolicy {
	pthread_mutex_t lock; /* current, every version's refs and the list of versions */
	struct version *current;
	struct sbx_list versions; /* current and the older ones still read */
	struct sbx_list watchers;
	unsigned n_versions; /* swaps so far, plus one */
	enum sbx_posture launch;
	struct sbx_jsonl *log; /* the decision log, or NULL */
};

static struct version *version_new(struct sbx_policy *p)
{
	struct version *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	sbx_list_init(&v->link);
	v->p = p;
	v->refs = 1;
	return v;
}

/* Called with the lock held; frees @v when its last reference goes. */
static void version_unref(struct version *v)
{
	if (--v->refs)
		return;
	sbx_list_del(&v->link);
	sbx_policy_free(v->p);
	free(v);
}

/**
 * sbx_livepolicy_new() - hold the policy in force.
 * @initial: the policy built from the command line; owned from now on
 * @out: the holder
 *
 * Return: 0 or -ENOMEM (then @initial is freed too).
 */
int sbx_livepolicy_new(struct sbx_policy *initial, struct sbx_livepolicy **out)
{
	struct sbx_livepolicy *lp = calloc(1, sizeof(*lp));

	*out = NULL;
	if (lp)
		lp->current = version_new(initial);
	if (!lp || !lp->current) {
		free(lp);
		sbx_policy_free(initial);
		return -ENOMEM;
	}
	pthread_mutex_init(&lp->lock, NULL);
	sbx_list_init(&lp->versions);
	sbx_list_init(&lp->watchers);
	sbx_list_add_tail(&lp->versions, &lp->current->link);
	lp->n_versions = 1;
	lp->launch = sbx_policy_posture(initial);
	*out = lp;
	return 0;
}

/**
 * sbx_livepolicy_peek() - the current version, without a reference.
 * @lp: the holder
 *
 * Context: the loop thread only (the only one that swaps), for work done
 * before the callback returns.
 * Return: the policy.
 */
const struct sbx_policy *sbx_livepolicy_peek(const struct sbx_livepolicy *lp)
{
	return lp->current->p;
}

/**
 * sbx_livepolicy_get() - the current version, with a reference.
 * @lp: the holder
 *
 * Context: any thread.
 * Return: the policy; give it back with sbx_livepolicy_put().
 */
const struct sbx_policy *sbx_livepolicy_get(struct sbx_livepolicy *lp)
{
	const struct sbx_policy *p;

	pthread_mutex_lock(&lp->lock);
	lp->current->refs++;
	p = lp->current->p;
	pthread_mutex_unlock(&lp->lock);
	return p;
}

/**
 * sbx_livepolicy_put() - drop a reference taken with sbx_livepolicy_get().
 * @lp: the holder
 * @p: the version, or NULL
 *
 * Context: any thread.
 */
void sbx_livepolicy_put(struct sbx_livepolicy *lp, const struct sbx_policy *p)
{
	struct sbx_list *pos, *tmp;

	if (!p)
		return;
	pthread_mutex_lock(&lp->lock);
	sbx_list_for_each_safe(pos, tmp, &lp->versions)
	{
		struct version *v = sbx_list_entry(pos, struct version, link);

		if (v->p == p) {
			version_unref(v);
			break;
		}
	}
	pthread_mutex_unlock(&lp->lock);
}

/**
 * sbx_livepolicy_watch() - be asked about, and told of, every change.
 * @lp: the holder
 * @w: the watcher, with its callbacks set; stays registered until unwatched
 */
void sbx_livepolicy_watch(struct sbx_livepolicy *lp, struct sbx_livepolicy_watcher *w)
{
	sbx_list_add_tail(&lp->watchers, &w->link);
}

/**
 * sbx_livepolicy_unwatch() - stop watching.
 * @w: a watcher (a second call is harmless)
 */
void sbx_livepolicy_unwatch(struct sbx_livepolicy_watcher *w)
{
	sbx_list_del(&w->link);
}

/**
 * sbx_livepolicy_propose() - make @next the policy in force, if every watcher can enforce it.
 * @lp: the holder
 * @next: a new version, owned from now on (freed when refused)
 * @err: the refusing watcher's message
 * @errlen: size of @err
 *
 * Context: the loop thread.
 * Return: 0, or the refusing watcher's negative errno (-EINVAL for a
 * version it cannot enforce), or -ENOMEM.
 */
int sbx_livepolicy_propose(struct sbx_livepolicy *lp, struct sbx_policy *next, char *err, size_t errlen)
{
	struct sbx_list *pos, *tmp;
	struct version *v, *old;

	sbx_list_for_each_safe(pos, tmp, &lp->watchers)
	{
		struct sbx_livepolicy_watcher *w = sbx_list_entry(pos, struct sbx_livepolicy_watcher, link);
		int r = w->check ? w->check(w, next, err, errlen) : 0;

		if (r < 0) {
			sbx_policy_free(next);
			return r;
		}
	}
	v = version_new(next);
	if (!v) {
		sbx_policy_free(next);
		return -ENOMEM;
	}
	pthread_mutex_lock(&lp->lock);
	old = lp->current;
	sbx_list_add_tail(&lp->versions, &v->link);
	lp->current = v;
	lp->n_versions++;
	version_unref(old);
	pthread_mutex_unlock(&lp->lock);
	sbx_list_for_each_safe(pos, tmp, &lp->watchers)
	{
		struct sbx_livepolicy_watcher *w = sbx_list_entry(pos, struct sbx_livepolicy_watcher, link);

		if (w->changed)
			w->changed(w, next);
	}
	return 0;
}

/**
 * sbx_livepolicy_version() - how many versions there have been.
 * @lp: the holder
 *
 * Return: 1 before the first change.
 */
unsigned sbx_livepolicy_version(const struct sbx_livepolicy *lp)
{
	return lp->n_versions;
}

/**
 * sbx_livepolicy_free() - release the holder and the current version.
 * @lp: the holder, or NULL
 *
 * Context: after every reader is done (the deputy's workers joined).
 */
void sbx_livepolicy_free(struct sbx_livepolicy *lp)
{
	struct sbx_list *pos, *tmp;

	if (!lp)
		return;
	sbx_list_for_each_safe(pos, tmp, &lp->versions)
	{
		struct version *v = sbx_list_entry(pos, struct version, link);

		sbx_list_del(&v->link);
		sbx_policy_free(v->p);
		free(v);
	}
	pthread_mutex_destroy(&lp->lock);
	free(lp);
}

/**
 * sbx_livepolicy_launch_posture() - the posture the run started with.
 * @lp: the holder
 *
 * Return: the posture; the one in force may only be narrower.
 */
enum sbx_posture sbx_livepolicy_launch_posture(const struct sbx_livepolicy *lp)
{
	return lp->launch;
}

/**
 * sbx_livepolicy_set_log() - log every change to the decision log.
 * @lp: the holder
 * @log: the log, or NULL
 */
void sbx_livepolicy_set_log(struct sbx_livepolicy *lp, struct sbx_jsonl *log)
{
	lp->log = log;
}

/* One "policy" line: the change, the version it made and the posture in force. @what ends with a comma or is "". */
static void log_change(struct sbx_livepolicy *lp, const char *op, const char *what, const char *source)
{
	char src[300];

	sbx_json_escape(src, sizeof(src), source);
	sbx_jsonl_printf(lp->log,
			 "\"event\":\"policy\",\"op\":\"%s\",%s\"source\":\"%s\",\"version\":%u,\"posture\":\"%s\"}",
			 op, what, src, lp->n_versions, sbx_posture_name(sbx_policy_posture(lp->current->p)));
}

/**
 * sbx_livepolicy_add_rule() - a new version with one more rule (or a preset's rules).
 * @lp: the holder
 * @deny: a deny rule, else an allow rule
 * @text: the rule, as --allow and --deny take it
 * @origin: where it came from (SBX_ORIGIN_CONTROL, SBX_ORIGIN_ASK)
 * @id: set to the new rule's id (the first one, for a preset) when added
 * @err: one line, as the command line would word it
 * @errlen: size of @err
 *
 * Context: the loop thread.
 * Return: 0, -EINVAL (bad rule, a posture with no rules, or refused by a
 * watcher), -ENOMEM.
 */
int sbx_livepolicy_add_rule(struct sbx_livepolicy *lp, bool deny, const char *text,
			    const struct sbx_rule_origin *origin, uint32_t *id, char *err, size_t errlen)
{
	const struct sbx_policy *cur = sbx_livepolicy_peek(lp);
	struct sbx_policy *next;
	char why[256], q[SBX_QUOTE_LEN];
	uint32_t new_id;
	size_t before;
	int r;

	if (lp->launch == SBX_POSTURE_BLOCKED) {
		/* The command line's words for the same mistake (cmd/cli.c). */
		snprintf(err, errlen,
			 "--allow, --deny, --policy and --no-default-deny have no effect with --network=blocked "
			 "(everything but the sandbox's own loopback is unreachable); did you mean "
			 "--network=allowlist?");
		return -EINVAL;
	}
	r = sbx_policy_copy(cur, NULL, 0, &next);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	before = sbx_policy_rule_count(next);
	r = sbx_policy_add_rule(next, deny, text, origin, why, sizeof(why));
	if (r < 0) {
		sbx_policy_free(next);
		if (r == -EINVAL)
			snprintf(err, errlen, "%s %s: %s", deny ? "--deny" : "--allow", sbx_quote(q, sizeof(q), text),
				 why);
		else
			snprintf(err, errlen, "out of memory");
		return r;
	}
	new_id = sbx_policy_rule_id(sbx_policy_rule_at(next, before));
	r = sbx_livepolicy_propose(lp, next, err, errlen);
	if (r == 0) {
		const struct sbx_rule *rule = sbx_policy_rule_by_id(sbx_livepolicy_peek(lp), new_id);
		char what[SBX_POLICY_HOST_MAX * 2 + 64], t[SBX_POLICY_HOST_MAX * 2], src[300];

		sbx_json_escape(t, sizeof(t), text);
		*id = new_id;
		snprintf(what, sizeof(what), "\"rule_id\":%u,\"rule\":\"%s\",", (unsigned)new_id, t);
		sbx_policy_rule_source(rule, src, sizeof(src));
		log_change(lp, deny ? "deny" : "allow", what, src);
	}
	return r;
}

/**
 * sbx_livepolicy_remove() - a new version without some rules.
 * @lp: the holder
 * @ids: the rules' ids (each must exist)
 * @n: how many
 * @source: who asked, for the log
 * @err: one line
 * @errlen: size of @err
 *
 * Context: the loop thread.
 * Return: 0, -ENOENT when an id names no rule, -ENOMEM.
 */
int sbx_livepolicy_remove(struct sbx_livepolicy *lp, const uint32_t *ids, size_t n, const char *source, char *err,
			  size_t errlen)
{
	char what[1024];
	size_t w = 0;
	const struct sbx_policy *cur = sbx_livepolicy_peek(lp);
	struct sbx_policy *next;
	int r;

	for (size_t i = 0; i < n; i++) {
		if (!sbx_policy_rule_by_id(cur, ids[i])) {
			snprintf(err, errlen, "no rule has id %u (see 'list')", (unsigned)ids[i]);
			return -ENOENT;
		}
	}
	r = sbx_policy_copy(cur, ids, n, &next);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	r = sbx_livepolicy_propose(lp, next, err, errlen);
	if (r < 0)
		return r;
	w = (size_t)snprintf(what, sizeof(what), "\"removed\":[");
	for (size_t i = 0; i < n && w + 16 < sizeof(what); i++)
		w += (size_t)snprintf(what + w, sizeof(what) - w, "%s%u", i ? "," : "", (unsigned)ids[i]);
	snprintf(what + w, sizeof(what) - w, "],");
	log_change(lp, "remove", what, source);
	return 0;
}

/**
 * sbx_livepolicy_set_posture() - narrow the posture, or restore the one the run started with.
 * @lp: the holder
 * @posture: blocked, or the launch posture
 * @source: who asked, for the log
 * @err: one line
 * @errlen: size of @err
 *
 * A run is never widened: blocked stays blocked, an allowlist run never
 * becomes open. An open run may be narrowed to blocked only: its payload
 * resolves names itself, so allow rules for names could not be enforced.
 *
 * Context: the loop thread.
 * Return: 0, -EPERM for a wider posture, -ENOMEM.
 */
int sbx_livepolicy_set_posture(struct sbx_livepolicy *lp, enum sbx_posture posture, const char *source, char *err,
			       size_t errlen)
{
	struct sbx_policy *next;
	int r;

	if (posture != SBX_POSTURE_BLOCKED && posture != lp->launch) {
		snprintf(err, errlen,
			 "this run started with --network=%s: it may be narrowed to blocked and "
			 "restored to %s, never changed to %s",
			 sbx_posture_name(lp->launch), sbx_posture_name(lp->launch), sbx_posture_name(posture));
		return -EPERM;
	}
	r = sbx_policy_copy(sbx_livepolicy_peek(lp), NULL, 0, &next);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	sbx_policy_set_posture(next, posture);
	r = sbx_livepolicy_propose(lp, next, err, errlen);
	if (r == 0)
		log_change(lp, "posture", "", source);
	return r;
}
