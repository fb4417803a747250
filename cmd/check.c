// SPDX-License-Identifier: Apache-2.0
/* `sbx check` (judge destinations without a sandbox) and `sbx presets`. */

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "allowlist/allowlist.h"
#include "cmd.h"
#include "lib/resolver.h"
#include "lib/sockaddr.h"
#include "sbx/policy.h"
#include "sbx/util.h"

static int check_resolved(const struct sbx_policy *p, const struct sbx_dest *d, const char *shown, FILE *out)
{
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS];
	struct sbx_decision dec;
	char why[SBX_POLICY_EXPLAIN_MAX];
	size_t n = 0;
	int r;

	if (sbx_policy_judge_name(p, d->host, d->port, &dec) == SBX_VERDICT_DENY) {
		/* A denied name is never sent to a resolver. */
		sbx_policy_explain(&dec, why, sizeof(why));
		fprintf(out, "deny  %s  %s\n", shown, why);
		return 1;
	}
	r = sbx_sockaddr_resolve(d->host, addrs, SBX_ARRAY_SIZE(addrs), &n);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		fprintf(out, "deny  %s  cannot resolve: %s\n", shown,
			r == -ENOENT ? "no IPv4 or IPv6 address" : "name resolution failed");
		return 1;
	}
	sbx_policy_judge_resolved(p, d->host, d->port, addrs, n, &dec);
	/* As the proxy: a name never reaches the host's own addresses (loopback the policy knows itself). */
	for (size_t i = 0; i < n && dec.verdict == SBX_VERDICT_ALLOW && sbx_policy_posture(p) == SBX_POSTURE_ALLOWLIST;
	     i++)
		if (sbx_allowlist_is_host_address(&addrs[i]))
			sbx_policy_judge_host(p, &addrs[i], d->port, false, &dec);
	sbx_policy_explain(&dec, why, sizeof(why));
	fprintf(out, "%s  %s  %s", dec.verdict == SBX_VERDICT_ALLOW ? "allow" : "deny", shown, why);
	if (dec.verdict == SBX_VERDICT_ALLOW) {
		fputs("; addresses", out);
		for (size_t i = 0; i < n; i++) {
			char a[SBX_POLICY_ADDR_STRLEN];

			sbx_policy_addr_format(&addrs[i], a, sizeof(a));
			fprintf(out, "%s%s", i ? ", " : " ", a);
		}
	}
	fputc('\n', out);
	return dec.verdict == SBX_VERDICT_DENY;
}

/*
 * One destination's line. A host the proxy refuses before judging it (a
 * numeric spelling, a name that is not LDH: @refused holds why) is a deny,
 * as the proxy's 403 is, never a usage error.
 */
static int check_one(const struct sbx_config *cfg, const struct sbx_policy *p, const char *arg,
		     const struct sbx_dest *d, const char *refused, FILE *out)
{
	char shown[SBX_POLICY_HOST_MAX + 16], why[SBX_POLICY_EXPLAIN_MAX];
	struct sbx_decision dec;

	if (refused) {
		fprintf(out,
			"deny  %s  refused spelling: %s (the proxy answers 403; name the host by its name or "
			"its canonical address)\n",
			arg, refused);
		return 1;
	}
	sbx_policy_dest_format(d, shown, sizeof(shown));
	if (cfg->resolve && !d->is_addr && sbx_policy_posture(p) != SBX_POSTURE_BLOCKED)
		return check_resolved(p, d, shown, out);
	/* The proxy dials from this host: an address of its own is a host service or nothing. */
	if (d->is_addr && sbx_policy_posture(p) == SBX_POSTURE_ALLOWLIST && sbx_allowlist_is_host_address(&d->addr))
		sbx_policy_judge_host(p, &d->addr, d->port, true, &dec);
	else
		sbx_policy_judge_dest(p, d, &dec);
	sbx_policy_explain(&dec, why, sizeof(why));
	fprintf(out, "%s  %s  %s\n", dec.verdict == SBX_VERDICT_ALLOW ? "allow" : "deny", shown, why);
	return dec.verdict == SBX_VERDICT_DENY;
}

/* See cmd.h. */
int sbx_check_run(const struct sbx_config *cfg, FILE *out, FILE *err)
{
	_cleanup_free_ struct sbx_dest *dests = NULL;
	_cleanup_free_ char **refused = NULL;
	struct sbx_policy *p = NULL;
	char msg[1024];
	int r = 0, denied = 0;

	if (cfg->n_dests == 0) {
		fprintf(err, "sbx check: no destination given (usage: sbx check [POLICY OPTIONS] DEST...)\n");
		return -EINVAL;
	}
	dests = calloc(cfg->n_dests, sizeof(*dests));
	refused = calloc(cfg->n_dests, sizeof(*refused));
	if (!dests || !refused)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_dests && r == 0; i++) {
		r = sbx_policy_dest_parse(cfg->dests[i], &dests[i], msg, sizeof(msg));
		if (r == -EPERM)
			r = (refused[i] = strdup(msg)) ? 0 : -ENOMEM;
		else if (r < 0) {
			char q[SBX_QUOTE_LEN];

			fprintf(err, "sbx check: invalid destination %s: %s\n", sbx_quote(q, sizeof(q), cfg->dests[i]),
				msg);
		}
	}
	if (r == 0) {
		r = sbx_policy_build(cfg, &p, msg, sizeof(msg));
		if (r < 0)
			fprintf(err, "sbx check: %s\n", msg);
	}
	for (size_t i = 0; i < cfg->n_dests && r == 0; i++) {
		int k = check_one(cfg, p, cfg->dests[i], &dests[i], refused[i], out);

		if (k < 0)
			r = k;
		else
			denied += k;
	}
	if (r == -ENOMEM)
		fprintf(err, "sbx check: out of memory\n");
	sbx_policy_free(p);
	for (size_t i = 0; i < cfg->n_dests; i++)
		free(refused[i]);
	fflush(out);
	return r < 0 ? r : denied;
}

/* See cmd.h. */
int sbx_presets_print(const char *name, FILE *out, FILE *err)
{
	const char *orig = name;
	const struct sbx_preset *pr;
	size_t n;

	if (!name) {
		pr = sbx_policy_presets(&n);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "@%-16s %s\n", pr[i].name, pr[i].description);
		return 0;
	}
	if (name[0] == '@')
		name++;
	pr = sbx_policy_preset_find(name, strlen(name));
	if (!pr) {
		char q[SBX_QUOTE_LEN];

		fprintf(err, "sbx presets: unknown preset %s (run `sbx presets` for the list)\n",
			sbx_quote(q, sizeof(q), orig));
		return -ENOENT;
	}
	for (const char *const *r = pr->rules; *r; r++)
		fprintf(out, "%s\n", *r);
	return 0;
}
