/* SPDX-License-Identifier: Apache-2.0 */
/* The policy in force while the payload runs: versions swapped in whole, each freed when its last reader is done. */
#ifndef SBX_LIB_LIVEPOLICY_H
#define SBX_LIB_LIVEPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/jsonl.h"
#include "lib/list.h"
#include "sbx/policy.h"

/*
 * A policy is never edited in place (sbx/policy.h): --control-fd and
 * --ask-fd answers build a new version and propose it here. Watchers (the
 * proxy, the deputy) may refuse a version they cannot enforce, with the
 * message the command line would give; once every watcher agreed, the new
 * version is current and each watcher is told, on the loop thread, so it
 * can close what the new version denies.
 *
 * Readers on other threads take a reference (get/put) for as long as they
 * use a version or a decision pointing into it; the loop thread, which is
 * the only one that swaps, may peek without one for work it finishes in
 * the same callback.
 */

struct sbx_livepolicy;

struct sbx_livepolicy_watcher {
	struct sbx_list link;
	/* May refuse @next: a negative errno and one line in @err. NULL: accepts everything. */
	int (*check)(struct sbx_livepolicy_watcher *w, const struct sbx_policy *next, char *err, size_t errlen);
	/* @now is current (the loop thread). */
	void (*changed)(struct sbx_livepolicy_watcher *w, const struct sbx_policy *now);
};

int sbx_livepolicy_new(struct sbx_policy *initial, struct sbx_livepolicy **out);
const struct sbx_policy *sbx_livepolicy_peek(const struct sbx_livepolicy *lp);
const struct sbx_policy *sbx_livepolicy_get(struct sbx_livepolicy *lp);
void sbx_livepolicy_put(struct sbx_livepolicy *lp, const struct sbx_policy *p);
void sbx_livepolicy_watch(struct sbx_livepolicy *lp, struct sbx_livepolicy_watcher *w);
void sbx_livepolicy_unwatch(struct sbx_livepolicy_watcher *w);
int sbx_livepolicy_propose(struct sbx_livepolicy *lp, struct sbx_policy *next, char *err, size_t errlen);
unsigned sbx_livepolicy_version(const struct sbx_livepolicy *lp);
enum sbx_posture sbx_livepolicy_launch_posture(const struct sbx_livepolicy *lp);

void sbx_livepolicy_set_log(struct sbx_livepolicy *lp, struct sbx_jsonl *log);

/*
 * Edits, each one new version, checked and worded as the command line
 * would, and each logged as a "policy" line naming @source ("control:3",
 * "ask:7").
 */
int sbx_livepolicy_add_rule(struct sbx_livepolicy *lp, bool deny, const char *text,
			    const struct sbx_rule_origin *origin, uint32_t *id, char *err, size_t errlen);
int sbx_livepolicy_remove(struct sbx_livepolicy *lp, const uint32_t *ids, size_t n, const char *source, char *err,
			  size_t errlen);
int sbx_livepolicy_set_posture(struct sbx_livepolicy *lp, enum sbx_posture posture, const char *source, char *err,
			       size_t errlen);
void sbx_livepolicy_free(struct sbx_livepolicy *lp);

#endif
