// SPDX-License-Identifier: Apache-2.0
/* Benchmark: policy load time and lookups/s, 10 rules vs 10,000 hosts + 10,000 CIDRs, same run. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbx/policy.h"

#define N_QUERIES 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct rules {
	struct sbx_rule_arg *args;
	char **text;
	size_t n;
};

static void add(struct rules *r, enum sbx_rule_arg_kind kind, const char *text)
{
	r->text[r->n] = strdup(text);
	r->args[r->n].kind = kind;
	r->args[r->n].text = r->text[r->n];
	r->n++;
}

static void make_rules(struct rules *r, size_t hosts, size_t cidrs)
{
	uint32_t s = 12345;
	char buf[128];

	r->args = calloc(hosts + cidrs + 10, sizeof(*r->args));
	r->text = calloc(hosts + cidrs + 10, sizeof(*r->text));
	r->n = 0;
	if (!r->args || !r->text)
		abort();
	/* The same 10 rules open both policies, so the matches are the same. */
	add(r, SBX_RULE_ARG_ALLOW, "pypi.org");
	add(r, SBX_RULE_ARG_ALLOW, "*.pythonhosted.org");
	add(r, SBX_RULE_ARG_ALLOW, "github.com:443");
	add(r, SBX_RULE_ARG_ALLOW, "*.githubusercontent.com:443");
	add(r, SBX_RULE_ARG_ALLOW, "registry.npmjs.org:443");
	add(r, SBX_RULE_ARG_ALLOW, "93.184.216.0/24");
	add(r, SBX_RULE_ARG_ALLOW, "2606:2800::/32");
	add(r, SBX_RULE_ARG_ALLOW, "127.0.0.1:3141");
	add(r, SBX_RULE_ARG_DENY, "*.evil.example");
	add(r, SBX_RULE_ARG_DENY, "203.0.113.0/24");
	for (size_t i = 0; i < hosts; i++) {
		snprintf(buf, sizeof(buf), "%s%u.bench%zu.example%s", i % 3 ? "" : "*.", rng(&s) % 100000, i,
			 i % 5 ? "" : ":443");
		add(r, i % 7 ? SBX_RULE_ARG_ALLOW : SBX_RULE_ARG_DENY, buf);
	}
	for (size_t i = 0; i < cidrs; i++) {
		uint32_t v = rng(&s);

		if (i % 4 == 0) {
			snprintf(buf, sizeof(buf), "2a%02x:%x:%x::/48", (v >> 24) & 0xff, (v >> 8) & 0xffff,
				 rng(&s) & 0xffff);
		} else {
			unsigned plen = 16 + v % 17;
			uint32_t a = (rng(&s) & 0x7fffffff) | 0x01000000;

			a &= plen ? ~0u << (32 - plen) : 0;
			snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
				 a & 0xff, plen);
		}
		add(r, i % 9 ? SBX_RULE_ARG_ALLOW : SBX_RULE_ARG_DENY, buf);
	}
}

static void free_rules(struct rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->text[i]);
	free(r->text);
	free(r->args);
}

static struct sbx_policy *load(struct rules *r, double *ms)
{
	struct sbx_config cfg = {.posture = SBX_POSTURE_ALLOWLIST, .rules = r->args, .n_rules = r->n};
	struct sbx_policy *p = NULL;
	char err[512];
	double t0 = now();

	if (sbx_policy_build(&cfg, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	*ms = (now() - t0) * 1e3;
	return p;
}

static struct sbx_dest queries[N_QUERIES];

static void make_queries(void)
{
	static const char *const names[] = {
		"pypi.org:443",
		"files.pythonhosted.org:443",
		"github.com:443",
		"objects.githubusercontent.com:443",
		"x.evil.example:443",
		"www.example.com:443",
		"a.b.c.d.e.unknown.test:80",
		"registry.npmjs.org:443",
		"93.184.216.34:443",
		"[2606:2800:220:1::1]:443",
		"8.8.8.8:53",
		"127.0.0.1:3141",
		"[::ffff:10.0.0.1]:80",
		"203.0.113.5:443",
		"169.254.169.254:80",
		"[2a04:4e42::223]:443",
	};
	char err[256];

	for (size_t i = 0; i < N_QUERIES; i++)
		if (sbx_policy_dest_parse(names[i % (sizeof(names) / sizeof(names[0]))], &queries[i], err,
					  sizeof(err)) < 0)
			abort();
}

static double lookups_per_sec(const struct sbx_policy *p, unsigned *allowed)
{
	size_t n = 0;
	double t0 = now(), t;

	*allowed = 0;
	do {
		for (size_t i = 0; i < N_QUERIES; i++) {
			struct sbx_decision d;

			*allowed += sbx_policy_judge_dest(p, &queries[i], &d) == SBX_VERDICT_ALLOW;
		}
		n += N_QUERIES;
		t = now() - t0;
	} while (t < 0.5);
	return (double)n / t;
}

int main(void)
{
	struct rules small, big;
	struct sbx_policy *ps, *pb;
	double ms_small, ms_big, lps_small, lps_big;
	unsigned a_small, a_big;

	make_queries();
	make_rules(&small, 0, 0);
	make_rules(&big, 10000, 10000);
	ps = load(&small, &ms_small);
	pb = load(&big, &ms_big);
	/* Alternate runs so frequency scaling hits both alike; keep the best of three. */
	lps_small = lps_big = 0;
	for (int k = 0; k < 3; k++) {
		double s = lookups_per_sec(ps, &a_small), b = lookups_per_sec(pb, &a_big);

		lps_small = s > lps_small ? s : lps_small;
		lps_big = b > lps_big ? b : lps_big;
	}
	printf("policy          rules   load_ms   lookups/s\n");
	printf("small      %10zu %9.3f %11.0f\n", sbx_policy_rule_count(ps), ms_small, lps_small);
	printf("large      %10zu %9.3f %11.0f\n", sbx_policy_rule_count(pb), ms_big, lps_big);
	printf("ratio large/small lookups/s: %.2f (target >= 0.5)\n", lps_big / lps_small);
	printf("large load: %.3f ms (target < 20 ms)\n", ms_big);
	sbx_policy_free(ps);
	sbx_policy_free(pb);
	free_rules(&small);
	free_rules(&big);
	return 0;
}
