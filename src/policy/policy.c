// SPDX-License-Identifier: Apache-2.0
/* Policy object, rule insertion, and the evaluation that turns a destination into a verdict. */

/*
 * Theory of operation
 *
 * Rules are parsed once into struct sbx_rule and indexed by what they
 * match: host rules in a hash table keyed by normalised name (wildcards
 * under the suffix they cover), address/CIDR rules in one patricia trie per
 * family. A lookup never scans the rule list.
 *
 * Evaluation, in order (the first step that decides wins):
 *   1. posture blocked denies everything;
 *   2. any matching deny rule denies (deny beats allow, whatever the order);
 *   3. allowlist: an address of the host itself is denied unless it was
 *      named as an address and a host-service rule opens exactly it and the
 *      port. The proxy dials from the host, so these are the host's own
 *      services (a database on 127.0.0.1, an agent on the host's LAN
 *      address): "--allow 127.0.0.1:3141" opens that one, while
 *      "--allow 127.0.0.0/8:3141", "--allow 127.0.0.1" (every port),
 *      "--allow 127.0.0.1:3000-4000" and every name (localhost, or any name
 *      that resolves there) open none. The engine knows loopback
 *      (127.0.0.0/8, ::1) and the unspecified address (0.0.0.0/8, ::, which
 *      the kernel sends to loopback) itself; the host's interface addresses
 *      only the caller knows (sbx_policy_judge_host()). The unspecified
 *      address is never a host service, whatever the rule;
 *   4. special-purpose addresses (allowlist: every class; open: only cloud
 *      metadata; --no-default-deny drops the metadata class) are denied
 *      unless an allow rule matches whose prefix lies inside the narrowest
 *      special range holding the address: "--allow 127.0.0.1:3141" opens
 *      that loopback port, "--allow 0.0.0.0/0" opens nothing special.
 *      An IPv6 address that embeds IPv4 addresses must pass this for each
 *      of them, with IPv4 rules. Metadata host names are denied unless an
 *      exact-name allow rule names them;
 *   5. allowlist: a matching allow rule allows, else deny; open: allow.
 * A resolved name is allowed when the name is, and each of its addresses
 * passes steps 1 to 4 (it needs no allow rule of its own).
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int sbx_policy_new(enum sbx_posture posture, bool no_default_deny, struct sbx_policy **out)
{
	struct sbx_policy *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->posture = posture;
	p->no_default_deny = no_default_deny;
	sbx_policy_trie_init(&p->t4, 32);
	sbx_policy_trie_init(&p->t6, 128);
	*out = p;
	return 0;
}

void sbx_policy_free(struct sbx_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++)
		free(p->rules[i].text);
	free(p->rules);
	sbx_policy_hosts_free(&p->hosts);
	sbx_policy_trie_free(&p->t4);
	sbx_policy_trie_free(&p->t6);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p);
}

enum sbx_posture sbx_policy_posture(const struct sbx_policy *p)
{
	return p->posture;
}

size_t sbx_policy_rule_count(const struct sbx_policy *p)
{
	return p->n_rules;
}

/**
 * sbx_policy_reserve() - make room for @n more rules before adding them.
 * @p: the policy.
 * @n: expected number of rules.
 *
 * Saves the repeated reallocations (and their page faults) that otherwise
 * dominate loading a large policy.
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_reserve(struct sbx_policy *p, size_t n)
{
	size_t want = p->n_rules + n;

	if (want > p->cap_rules) {
		struct sbx_rule *nr = realloc(p->rules, want * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		p->rules = nr;
		p->cap_rules = want;
	}
	return sbx_policy_hosts_reserve(&p->hosts, n);
}

static const char *intern_file(struct sbx_policy *p, const char *file)
{
	char **nf;

	if (!file)
		return NULL;
	for (size_t i = p->n_files; i > 0; i--)
		if (strcmp(p->files[i - 1], file) == 0)
			return p->files[i - 1];
	nf = realloc(p->files, (p->n_files + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	p->files = nf;
	nf[p->n_files] = strdup(file);
	if (!nf[p->n_files])
		return NULL;
	return nf[p->n_files++];
}

static int insert(struct sbx_policy *p, bool deny, const char *text, const struct sbx_rule_spec *s,
		  const struct sbx_rule_origin *origin, const char *file, const char *preset)
{
	struct sbx_rule *r;
	uint32_t idx;

	if (p->n_rules >= UINT32_MAX - 1)
		return -E2BIG;
	if (p->n_rules == p->cap_rules) {
		size_t ncap = p->cap_rules ? p->cap_rules * 2 : 32;
		struct sbx_rule *nr = realloc(p->rules, ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		p->rules = nr;
		p->cap_rules = ncap;
	}
	idx = (uint32_t)p->n_rules;
	r = &p->rules[idx];
	memset(r, 0, sizeof(*r));
	r->text = strdup(text);
	if (!r->text)
		return -ENOMEM;
	r->kind = s->kind;
	r->deny = deny;
	r->any_port = s->any_port;
	r->port_lo = s->port_lo;
	r->port_hi = s->port_hi;
	r->addr = s->addr;
	r->plen = s->plen;
	r->origin = origin ? origin->kind : SBX_ORIGIN_BUILTIN;
	r->file = file;
	r->line = origin ? origin->line : 0;
	r->preset = preset;
	r->next = SBX_NONE;
	r->id = ++p->last_id;
	p->n_rules++;
	if (s->kind == SBX_RULE_CIDR)
		return sbx_policy_trie_add(p, s->addr.family == AF_INET ? &p->t4 : &p->t6, s->addr.b, s->plen, idx);
	return sbx_policy_hosts_add(p, s->host, s->kind == SBX_RULE_WILDCARD, idx);
}

int sbx_policy_add_rule(struct sbx_policy *p, bool deny, const char *text, const struct sbx_rule_origin *origin,
			char *err, size_t errlen)
{
	struct sbx_rule_spec spec;
	const char *file = NULL;
	int r;

	r = sbx_policy_rule_parse(text, &spec, err, errlen);
	if (r < 0)
		return r;
	if (origin && origin->kind == SBX_ORIGIN_FILE) {
		file = intern_file(p, origin->file);
		if (!file)
			return -ENOMEM;
	}
	if (!spec.preset)
		return insert(p, deny, text, &spec, origin, file, NULL);

	{
		const struct sbx_preset *pr = sbx_policy_preset_find(spec.preset, strlen(spec.preset));

		for (const char *const *t = pr->rules; *t; t++) {
			struct sbx_rule_spec ps;

			r = sbx_policy_rule_parse(*t, &ps, err, errlen);
			if (r < 0 || ps.preset)
				return -EINVAL; /* presets are checked by the unit tests */
			r = insert(p, deny, *t, &ps, origin, file, pr->name);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- changes while the payload runs: copies ------------------------------ */

static bool skipped(uint32_t id, const uint32_t *skip, size_t n_skip)
{
	for (size_t i = 0; i < n_skip; i++)
		if (skip[i] == id)
			return true;
	return false;
}

int sbx_policy_copy(const struct sbx_policy *p, const uint32_t *skip, size_t n_skip, struct sbx_policy **out)
{
	struct sbx_policy *c;
	int r = sbx_policy_new(p->posture, p->no_default_deny, &c);

	*out = NULL;
	if (r < 0)
		return r;
	c->posture_locked = p->posture_locked;
	memcpy(c->posture_origin, p->posture_origin, sizeof(c->posture_origin));
	r = sbx_policy_reserve(c, p->n_rules);
	for (size_t i = 0; r == 0 && i < p->n_rules; i++) {
		const struct sbx_rule *src = &p->rules[i];
		struct sbx_rule_origin o = {.kind = src->origin, .file = src->file, .line = src->line};
		struct sbx_rule_spec spec;
		const char *file = NULL;
		char err[160];

		if (skipped(src->id, skip, n_skip))
			continue;
		/* The text was parsed when the rule was added: it parses again. */
		r = sbx_policy_rule_parse(src->text, &spec, err, sizeof(err));
		if (r == 0 && spec.preset)
			r = -EINVAL;
		if (r == 0 && src->file && !(file = intern_file(c, src->file)))
			r = -ENOMEM;
		if (r == 0)
			r = insert(c, src->deny, src->text, &spec, &o, file, src->preset);
		if (r == 0)
			c->rules[c->n_rules - 1].id = src->id;
	}
	c->last_id = p->last_id;
	if (r < 0) {
		sbx_policy_free(c);
		return r == -EINVAL ? -ENOMEM : r;
	}
	*out = c;
	return 0;
}

void sbx_policy_set_posture(struct sbx_policy *p, enum sbx_posture posture)
{
	p->posture = posture;
}

uint32_t sbx_policy_rule_id(const struct sbx_rule *r)
{
	return r->id;
}

const struct sbx_rule *sbx_policy_rule_by_id(const struct sbx_policy *p, uint32_t id)
{
	for (size_t i = 0; i < p->n_rules; i++) /* rules are added in id order */
		if (p->rules[i].id == id)
			return &p->rules[i];
	return NULL;
}

const char *sbx_policy_rule_preset(const struct sbx_rule *r)
{
	return r->preset;
}

/* ---- evaluation ---------------------------------------------------------- */

/*
 * Ports inside the evaluator: 1..65535; 0 for "every port" (`sbx check
 * host`); SBX_PORT_DNS for the DNS stub, which answers for a name before any
 * port is known: a name is answered when some rule allows it on some port,
 * and only a deny rule for every port refuses the lookup (a deny of
 * x.org:25 must not hide x.org:443).
 */
#define SBX_PORT_DNS (-1)

static bool port_ok(const struct sbx_rule *r, int32_t port)
{
	if (r->any_port)
		return true;
	if (port == SBX_PORT_DNS)
		return !r->deny;
	if (port == 0) /* "every port": a port-limited deny denies it, a port-limited allow cannot allow it */
		return r->deny;
	return port >= r->port_lo && port <= r->port_hi;
}

static void host_scan(const struct sbx_policy *p, uint32_t head, int32_t port, const struct sbx_rule **deny,
		      const struct sbx_rule **allow)
{
	for (uint32_t i = head; i != SBX_NONE; i = p->rules[i].next) {
		const struct sbx_rule *r = &p->rules[i];

		if (!port_ok(r, port))
			continue;
		if (r->deny && !*deny)
			*deny = r;
		if (!r->deny && !*allow)
			*allow = r;
	}
}

static void host_match(const struct sbx_policy *p, const char *host, int32_t port, const struct sbx_rule **deny,
		       const struct sbx_rule **allow)
{
	size_t len = strlen(host);
	const struct sbx_host_slot *s;

	*deny = *allow = NULL;
	s = sbx_policy_hosts_find(&p->hosts, host, len);
	if (s)
		host_scan(p, s->exact, port, deny, allow);
	/* Wildcards: each proper suffix that starts after a dot, longest first. */
	for (size_t i = 0; i < len; i++) {
		if (host[i] != '.')
			continue;
		s = sbx_policy_hosts_find(&p->hosts, host + i + 1, len - i - 1);
		if (s)
			host_scan(p, s->wild, port, deny, allow);
	}
}

static void decide(struct sbx_decision *d, enum sbx_verdict v, enum sbx_reason why, const struct sbx_rule *r)
{
	d->verdict = v;
	d->reason = why;
	d->rule = r;
}

static enum sbx_verdict judge_name(const struct sbx_policy *p, const char *host, int32_t port, struct sbx_decision *d)
{
	const struct sbx_rule *deny, *allow;

	memset(d, 0, sizeof(*d));
	if (p->posture == SBX_POSTURE_BLOCKED) {
		decide(d, SBX_VERDICT_DENY, SBX_REASON_POSTURE_BLOCKED, NULL);
		return d->verdict;
	}
	host_match(p, host, port, &deny, &allow);
	if (deny)
		decide(d, SBX_VERDICT_DENY, SBX_REASON_RULE, deny);
	else if (!p->no_default_deny && sbx_policy_is_metadata_name(host) && !(allow && allow->kind == SBX_RULE_HOST))
		decide(d, SBX_VERDICT_DENY, SBX_REASON_METADATA_NAME, NULL);
	else if (allow)
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_RULE, allow);
	else if (p->posture == SBX_POSTURE_OPEN)
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_OPEN_DEFAULT, NULL);
	else
		decide(d, SBX_VERDICT_DENY, SBX_REASON_NOT_ALLOWED, NULL);
	return d->verdict;
}

struct walk_ctx {
	int32_t port;
	bool deny;	   /* looking for a deny rule (else an allow rule) */
	unsigned min_plen; /* allow rules only: prefix at least this long */
	const struct sbx_rule *found;
};

static bool walk_visit(const struct sbx_policy *p, const struct sbx_rule *r, unsigned plen, void *ctx)
{
	struct walk_ctx *c = ctx;

	if (r->deny != c->deny || !port_ok(r, c->port) || (!c->deny && plen < c->min_plen))
		return false;
	c->found = r;
	return true;
}

static const struct sbx_rule *cidr_find(const struct sbx_policy *p, const struct sbx_addr *a, int32_t port, bool deny,
					unsigned min_plen)
{
	struct walk_ctx c = {.port = port, .deny = deny, .min_plen = min_plen, .found = NULL};

	sbx_policy_trie_walk(p, a->family == AF_INET ? &p->t4 : &p->t6, a->b, walk_visit, &c);
	return c.found;
}

/* ---- the host itself (step 3) -------------------------------------------- */

/* @a with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address: what the kernel dials. */
static void unmap(const struct sbx_addr *a, struct sbx_addr *v)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	*v = *a;
	if (a->family == AF_INET6 && memcmp(a->b, mapped, sizeof(mapped)) == 0) {
		memset(v, 0, sizeof(*v));
		v->family = AF_INET;
		memcpy(v->b, a->b + 12, 4);
	}
}

/*
 * Classes that make @v (unmapped) the host itself whoever asks: loopback,
 * and the unspecified address, which the kernel sends to loopback (all of
 * 0.0.0.0/8 here, as the proxy's own guard counts it, allowlist/hostaddr.c).
 */
static uint32_t self_classes(const struct sbx_addr *v)
{
	static const uint8_t zero[16];

	if (v->family == AF_INET) {
		if (v->b[0] == 127)
			return SBX_ADDR_LOOPBACK;
		if (v->b[0] == 0)
			return memcmp(v->b, zero, 4) == 0 ? SBX_ADDR_UNSPECIFIED : SBX_ADDR_THIS_NETWORK;
		return 0;
	}
	if (memcmp(v->b, zero, 15) == 0 && v->b[15] == 1)
		return SBX_ADDR_LOOPBACK;
	if (memcmp(v->b, zero, 16) == 0)
		return SBX_ADDR_UNSPECIFIED;
	return 0;
}

bool sbx_policy_rule_is_host_service(const struct sbx_rule *r)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (r->deny || r->kind != SBX_RULE_CIDR || r->any_port || r->port_lo != r->port_hi ||
	    r->plen != sbx_policy_addr_width(&r->addr))
		return false;
	if (r->addr.family == AF_INET6 && memcmp(r->addr.b, mapped, sizeof(mapped)) == 0)
		return false; /* judged as its IPv4 address, with IPv4 rules */
	return (self_classes(&r->addr) & (SBX_ADDR_UNSPECIFIED | SBX_ADDR_THIS_NETWORK)) == 0;
}

static bool host_visit(const struct sbx_policy *p, const struct sbx_rule *r, unsigned plen, void *ctx)
{
	struct walk_ctx *c = ctx;

	if (!sbx_policy_rule_is_host_service(r) || r->port_lo != c->port)
		return false;
	c->found = r;
	return true;
}

/* The host-service rule for exactly @v (unmapped) and @port, or NULL. */
static const struct sbx_rule *host_service_find(const struct sbx_policy *p, const struct sbx_addr *v, int32_t port)
{
	struct walk_ctx c = {.port = port};

	if (port <= 0) /* every port, or a DNS question: no single port to open */
		return NULL;
	sbx_policy_trie_walk(p, v->family == AF_INET ? &p->t4 : &p->t6, v->b, host_visit, &c);
	return c.found;
}

/* Step 3: @a is the host itself (@classes); only a host-service rule opens it, for an address literal. */
static enum sbx_verdict judge_self(const struct sbx_policy *p, const struct sbx_addr *a, const struct sbx_addr *v,
				   int32_t port, bool literal, uint32_t classes, struct sbx_decision *d)
{
	const struct sbx_rule *r = literal ? host_service_find(p, v, port) : NULL;

	if (r)
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_HOST_SERVICE, r);
	else
		decide(d, SBX_VERDICT_DENY, SBX_REASON_HOST_ADDRESS, NULL);
	d->classes = classes;
	d->addr = *a;
	return d->verdict;
}

/* Steps 1-4 for one address, then step 5 only if @literal. @host: the caller knows @a is the host's. */
static enum sbx_verdict judge_one_address(const struct sbx_policy *p, const struct sbx_addr *a, int32_t port,
					  bool literal, bool host, struct sbx_decision *d)
{
	struct sbx_addr_info info;
	uint32_t ignore = 0, blocked = 0;
	const struct sbx_rule *r, *opener = NULL;

	memset(d, 0, sizeof(*d));
	if (p->posture == SBX_POSTURE_BLOCKED) {
		decide(d, SBX_VERDICT_DENY, SBX_REASON_POSTURE_BLOCKED, NULL);
		return d->verdict;
	}
	if (p->posture == SBX_POSTURE_OPEN)
		ignore = ~(uint32_t)SBX_ADDR_METADATA;
	if (p->no_default_deny)
		ignore |= SBX_ADDR_METADATA;
	sbx_policy_addr_classify_ex(a, ignore, &info);

	r = cidr_find(p, a, port, true, 0);
	for (unsigned i = 0; !r && i < info.n_embedded; i++)
		r = cidr_find(p, &info.embedded[i], port, true, 0);
	if (r) {
		decide(d, SBX_VERDICT_DENY, SBX_REASON_RULE, r);
		return d->verdict;
	}

	if (p->posture == SBX_POSTURE_ALLOWLIST) {
		struct sbx_addr v;
		uint32_t self;

		unmap(a, &v);
		self = self_classes(&v);
		if (host && !self)
			self = SBX_ADDR_HOST;
		if (self)
			return judge_self(p, a, &v, port, literal, self, d);
	}

	if (info.self_classes) {
		r = cidr_find(p, a, port, false, info.plen);
		if (r)
			opener = r;
		else
			blocked |= info.self_classes;
	}
	for (unsigned i = 0; i < info.n_embedded; i++) {
		if (!info.emb_classes[i])
			continue;
		r = cidr_find(p, &info.embedded[i], port, false, info.emb_plen[i]);
		if (r)
			opener = opener ? opener : r;
		else
			blocked |= info.emb_classes[i];
	}
	if (blocked) {
		decide(d, SBX_VERDICT_DENY, SBX_REASON_SPECIAL, NULL);
		d->classes = blocked;
		return d->verdict;
	}
	if (opener) {
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_SPECIAL_OPENED, opener);
		d->classes = info.classes;
		return d->verdict;
	}
	if (!literal) {
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_RULE, NULL);
		return d->verdict;
	}

	r = cidr_find(p, a, port, false, 0);
	if (!r && info.n_embedded) {
		const struct sbx_rule *first = NULL;
		unsigned i;

		for (i = 0; i < info.n_embedded; i++) {
			const struct sbx_rule *e = cidr_find(p, &info.embedded[i], port, false, 0);

			if (!e)
				break;
			first = first ? first : e;
		}
		if (i == info.n_embedded)
			r = first;
	}
	if (r)
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_RULE, r);
	else if (p->posture == SBX_POSTURE_OPEN)
		decide(d, SBX_VERDICT_ALLOW, SBX_REASON_OPEN_DEFAULT, NULL);
	else
		decide(d, SBX_VERDICT_DENY, SBX_REASON_NOT_ALLOWED, NULL);
	return d->verdict;
}

/*
 * The kernel routes the unspecified address to loopback: connect() or
 * sendto() to 0.0.0.0, :: or ::ffff:0.0.0.0 reaches the host's 127.0.0.1 or
 * ::1. Return the loopback address the destination really is, if it is one.
 */
static bool routes_to_loopback(const struct sbx_addr *a, struct sbx_addr *lo)
{
	static const uint8_t zero[16], mapped_any[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};

	*lo = *a;
	if (a->family == AF_INET && memcmp(a->b, zero, 4) == 0) {
		lo->b[0] = 127;
		lo->b[3] = 1;
		return true;
	}
	if (a->family == AF_INET6 && memcmp(a->b, zero, 16) == 0) {
		lo->b[15] = 1;
		return true;
	}
	if (a->family == AF_INET6 && memcmp(a->b, mapped_any, 16) == 0) {
		lo->b[12] = 127;
		lo->b[15] = 1;
		return true;
	}
	return false;
}

/* An address is judged as written and, if the kernel would send it to loopback, as that too. */
static enum sbx_verdict judge_address(const struct sbx_policy *p, const struct sbx_addr *a, int32_t port, bool literal,
				      bool host, struct sbx_decision *d)
{
	struct sbx_decision as_routed;
	struct sbx_addr lo;

	if (judge_one_address(p, a, port, literal, host, d) == SBX_VERDICT_DENY || !routes_to_loopback(a, &lo))
		return d->verdict;
	if (judge_one_address(p, &lo, port, literal, host, &as_routed) == SBX_VERDICT_DENY)
		*d = as_routed;
	return d->verdict;
}

enum sbx_verdict sbx_policy_judge_name(const struct sbx_policy *p, const char *host, uint16_t port,
				       struct sbx_decision *d)
{
	return judge_name(p, host, port, d);
}

enum sbx_verdict sbx_policy_judge_addr(const struct sbx_policy *p, const struct sbx_addr *addr, uint16_t port,
				       struct sbx_decision *d)
{
	return judge_address(p, addr, port, true, false, d);
}

enum sbx_verdict sbx_policy_judge_host(const struct sbx_policy *p, const struct sbx_addr *addr, uint16_t port,
				       bool literal, struct sbx_decision *d)
{
	enum sbx_verdict v = judge_address(p, addr, port, literal || p->posture != SBX_POSTURE_ALLOWLIST, true, d);

	if (!literal && v == SBX_VERDICT_DENY) {
		d->has_addr = true;
		d->addr = *addr;
	}
	return v;
}

/* The first of @addrs (resolved from an allowed name) that steps 1-4 deny, into @d. Return: true if one is. */
static bool denied_address(const struct sbx_policy *p, const struct sbx_addr *addrs, size_t n, int32_t port,
			   struct sbx_decision *d)
{
	for (size_t i = 0; i < n; i++) {
		struct sbx_decision ad;

		if (judge_address(p, &addrs[i], port, false, false, &ad) == SBX_VERDICT_DENY) {
			*d = ad;
			d->has_addr = true;
			d->addr = addrs[i];
			return true;
		}
	}
	return false;
}

static enum sbx_verdict judge_resolved(const struct sbx_policy *p, const char *host, int32_t port,
				       const struct sbx_addr *addrs, size_t n, struct sbx_decision *d)
{
	struct sbx_decision nd;

	if (judge_name(p, host, port, &nd) == SBX_VERDICT_DENY) {
		*d = nd;
		return d->verdict;
	}
	if (denied_address(p, addrs, n, port, d))
		return d->verdict;
	*d = nd;
	return d->verdict;
}

enum sbx_verdict sbx_policy_judge_resolved(const struct sbx_policy *p, const char *host, uint16_t port,
					   const struct sbx_addr *addrs, size_t n, struct sbx_decision *d)
{
	return judge_resolved(p, host, port, addrs, n, d);
}

/**
 * sbx_policy_judge_dns() - judge a DNS question and, once resolved, its answers.
 * @p: the policy.
 * @host: normalised name.
 * @addrs: the resolved addresses, or NULL with @n 0 to judge the name alone
 *	(before any upstream query: a denied name is never sent upstream).
 * @n: number of @addrs.
 * @d: the decision; for a denied address, @d->has_addr and @d->addr name it.
 *
 * The DNS stub does not know the port the client will use: the name passes
 * when some rule allows it on some port and no deny rule covers every port;
 * each address passes unless a deny rule for every port or a special range
 * (not opened by an allow rule) covers it. One denied address denies all.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_dns(const struct sbx_policy *p, const char *host, const struct sbx_addr *addrs,
				      size_t n, struct sbx_decision *d)
{
	return judge_resolved(p, host, SBX_PORT_DNS, addrs, n, d);
}

bool sbx_policy_askable(const struct sbx_decision *d)
{
	return d->verdict == SBX_VERDICT_DENY && d->reason == SBX_REASON_NOT_ALLOWED;
}

enum sbx_verdict sbx_policy_judge_granted(const struct sbx_policy *p, const struct sbx_dest *dest,
					  const struct sbx_addr *addrs, size_t n, struct sbx_decision *d)
{
	int32_t port = !dest->is_addr && dest->port == 0 ? SBX_PORT_DNS : dest->port;

	if (dest->is_addr)
		judge_address(p, &dest->addr, port, true, false, d);
	else
		judge_name(p, dest->host, port, d);
	if (d->verdict == SBX_VERDICT_ALLOW || !sbx_policy_askable(d))
		return d->verdict; /* a rule decided after all, or a floor */
	if (denied_address(p, addrs, n, port, d))
		return d->verdict;
	memset(d, 0, sizeof(*d));
	decide(d, SBX_VERDICT_ALLOW, SBX_REASON_GRANTED, NULL);
	return d->verdict;
}

enum sbx_verdict sbx_policy_judge_dest(const struct sbx_policy *p, const struct sbx_dest *dest, struct sbx_decision *d)
{
	if (dest->is_addr)
		return sbx_policy_judge_addr(p, &dest->addr, dest->port, d);
	return sbx_policy_judge_name(p, dest->host, dest->port, d);
}

int sbx_policy_dest_format(const struct sbx_dest *d, char *buf, size_t len)
{
	char a[SBX_POLICY_ADDR_STRLEN];

	if (!d->is_addr)
		return d->port ? snprintf(buf, len, "%s:%u", d->host, d->port) : snprintf(buf, len, "%s", d->host);
	if (sbx_policy_addr_format(&d->addr, a, sizeof(a)) < 0)
		snprintf(a, sizeof(a), "?");
	if (!d->port)
		return snprintf(buf, len, "%s", a);
	return snprintf(buf, len, d->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, d->port);
}

/* ---- explanations -------------------------------------------------------- */

const char *sbx_policy_rule_text(const struct sbx_rule *r)
{
	return r->text;
}

bool sbx_policy_rule_is_deny(const struct sbx_rule *r)
{
	return r->deny;
}

int sbx_policy_rule_source(const struct sbx_rule *r, char *buf, size_t len)
{
	char where[300];

	switch (r->origin) {
	case SBX_ORIGIN_FLAG:
		snprintf(where, sizeof(where), "%s", r->deny ? "--deny" : "--allow");
		break;
	case SBX_ORIGIN_FILE:
		snprintf(where, sizeof(where), "%s:%u", r->file ? r->file : "?", r->line);
		break;
	case SBX_ORIGIN_CONTROL:
		snprintf(where, sizeof(where), "control:%u", r->line);
		break;
	case SBX_ORIGIN_ASK:
		snprintf(where, sizeof(where), "ask:%u", r->line);
		break;
	default:
		snprintf(where, sizeof(where), "built-in default");
		break;
	}
	if (r->preset)
		return snprintf(buf, len, "@%s via %s", r->preset, where);
	return snprintf(buf, len, "%s", where);
}

int sbx_policy_explain(const struct sbx_decision *d, char *buf, size_t len)
{
	char pre[SBX_POLICY_ADDR_STRLEN + 16] = "";
	char cls[200], src[400];

	if (d->has_addr) {
		char a[SBX_POLICY_ADDR_STRLEN];

		if (sbx_policy_addr_format(&d->addr, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		snprintf(pre, sizeof(pre), "address %s: ", a);
	}
	sbx_policy_class_names(d->classes, cls, sizeof(cls));
	if (d->rule)
		sbx_policy_rule_source(d->rule, src, sizeof(src));
	switch (d->reason) {
	case SBX_REASON_RULE:
		if (!d->rule)
			return snprintf(buf, len, "%sallowed by the name's rule", pre);
		return snprintf(buf, len, "%srule \"%s\" (%s)", pre, d->rule->text, src);
	case SBX_REASON_SPECIAL_OPENED:
		return snprintf(buf, len, "%srule \"%s\" (%s) opens special-purpose address (%s)", pre, d->rule->text,
				src, cls);
	case SBX_REASON_POSTURE_BLOCKED:
		return snprintf(buf, len, "%sposture blocked", pre);
	case SBX_REASON_NOT_ALLOWED:
		return snprintf(buf, len, "%sno allow rule matches, allowlist posture (built-in default)", pre);
	case SBX_REASON_OPEN_DEFAULT:
		return snprintf(buf, len, "%sno deny rule matches, open posture (built-in default)", pre);
	case SBX_REASON_SPECIAL:
		return snprintf(buf, len, "%sspecial-purpose address (%s) (built-in default)", pre, cls);
	case SBX_REASON_METADATA_NAME:
		return snprintf(buf, len, "%scloud metadata host name (built-in default)", pre);
	case SBX_REASON_HOST_SERVICE:
		return snprintf(buf, len, "%srule \"%s\" (%s) opens a host service (%s)", pre, d->rule->text, src, cls);
	case SBX_REASON_GRANTED:
		return snprintf(buf, len, "%sallowed once by the orchestrator's answer (--ask-fd)", pre);
	case SBX_REASON_REFUSED:
		return snprintf(buf, len, "%sdenied once by the orchestrator's answer (--ask-fd)", pre);
	case SBX_REASON_UNANSWERED:
		return snprintf(buf, len,
				"%sno allow rule matches and the orchestrator gave no answer (--ask-fd, --ask-timeout)",
				pre);
	case SBX_REASON_HOST_ADDRESS: {
		char a[SBX_POLICY_ADDR_STRLEN];

		if (d->has_addr) /* reached through a name */
			return snprintf(buf, len,
					"%san address of the host itself (%s); host services are reached by address, "
					"never through a name (built-in default)",
					pre, cls);
		if (sbx_policy_addr_format(&d->addr, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		if (d->classes & (SBX_ADDR_UNSPECIFIED | SBX_ADDR_THIS_NETWORK))
			return snprintf(buf, len,
					"%s is an address of the host itself (%s), never a host service (built-in "
					"default)",
					a, cls);
		return snprintf(buf, len,
				"%s is an address of the host itself (%s); only a rule naming exactly this address "
				"and one port opens it (built-in default)",
				a, cls);
	}
	}
	return snprintf(buf, len, "%sunknown", pre);
}

/* ---- enumeration (open posture: name rules are enforced by their addresses) ---- */

/**
 * sbx_policy_rule_at() - the @i-th rule, in the order rules were added.
 * @p: the policy.
 * @i: index, below sbx_policy_rule_count().
 *
 * Return: the rule, or NULL when @i is out of range.
 */
const struct sbx_rule *sbx_policy_rule_at(const struct sbx_policy *p, size_t i)
{
	return i < p->n_rules ? &p->rules[i] : NULL;
}

/**
 * sbx_policy_rule_host() - the host name a rule matches, if it names one.
 * @r: the rule.
 * @host: output, the normalised name (without "*." for wildcards).
 * @len: size of @host (SBX_POLICY_HOST_MAX suffices).
 * @wildcard: set to true for a "*.suffix" rule.
 *
 * Return: 1 for a name rule, 0 for an address or CIDR rule, -ENOSPC if
 * @host is too small.
 */
int sbx_policy_rule_host(const struct sbx_rule *r, char *host, size_t len, bool *wildcard)
{
	struct sbx_rule_spec spec;
	char err[128];

	*wildcard = false;
	if (r->kind == SBX_RULE_CIDR)
		return 0;
	if (sbx_policy_rule_parse(r->text, &spec, err, sizeof(err)) < 0 || spec.preset)
		return 0; /* cannot happen: the text was parsed when the rule was added */
	if (strlen(spec.host) >= len)
		return -ENOSPC;
	strcpy(host, spec.host);
	*wildcard = r->kind == SBX_RULE_WILDCARD;
	return 1;
}

/**
 * sbx_policy_rule_port_match() - whether a rule covers a port.
 * @r: the rule.
 * @port: 1..65535, or 0 ("every port": as in judging, a port-limited deny
 *	rule covers it, a port-limited allow rule does not).
 *
 * Return: true if it does.
 */
bool sbx_policy_rule_port_match(const struct sbx_rule *r, uint16_t port)
{
	return port_ok(r, port);
}
