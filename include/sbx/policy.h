/* SPDX-License-Identifier: Apache-2.0 */
/* Network policy engine: rules, address classification, verdicts with explanations. */
#ifndef SBX_POLICY_H
#define SBX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sbx/config.h"

/*
 * One engine answers every network question (proxy, DNS stub, open-posture
 * checks, `sbx check`), so a destination gets the same answer however it is
 * reached. The engine is pure: no sockets, no global state. A built policy
 * is immutable and may be shared between threads for lookups.
 *
 * Order of evaluation for one destination (name or address) and port:
 *   1. posture blocked: deny everything;
 *   2. a matching deny rule (user, file or preset) denies;
 *   3. allowlist: an address of the host itself (loopback, the unspecified
 *      address and, where the caller knows them, the host's interface
 *      addresses: sbx_policy_judge_host()) is denied unless the destination
 *      is that address, given as an address, and a host-service rule names
 *      it: an allow rule for exactly one address (/32, /128) and one port;
 *      names never reach host services;
 *   4. addresses: special-purpose ranges are denied (allowlist posture), and
 *      cloud-metadata endpoints are denied (every posture, unless
 *      --no-default-deny), unless an explicit address/CIDR allow rule that
 *      lies inside the special range matches; names of cloud-metadata
 *      services likewise, unless an exact-name allow rule matches;
 *   5. allowlist: allowed only by a matching allow rule; open: allowed.
 * IPv6 addresses that embed an IPv4 address (mapped, compatible, NAT64,
 * 6to4, Teredo) are judged by the IPv4 address they embed as well.
 */

struct sbx_policy;
struct sbx_rule;

/** Largest normalised host name (RFC 1035 text form, no trailing dot), plus NUL. */
#define SBX_POLICY_HOST_MAX 254
/** Buffer size that holds any explanation from sbx_policy_explain(). */
#define SBX_POLICY_EXPLAIN_MAX 512
/** Buffer size that holds any formatted address (with brackets and port). */
#define SBX_POLICY_ADDR_STRLEN 56

/** struct sbx_addr - an IPv4 or IPv6 address; IPv4 uses b[0..3]. */
struct sbx_addr {
	sa_family_t family; /* AF_INET or AF_INET6 */
	uint8_t b[16];
};

/* Special-purpose address classes (bit mask). */
enum sbx_addr_class {
	SBX_ADDR_UNSPECIFIED = 1u << 0,	 /* 0.0.0.0, :: */
	SBX_ADDR_THIS_NETWORK = 1u << 1, /* 0.0.0.0/8 */
	SBX_ADDR_LOOPBACK = 1u << 2,	 /* 127.0.0.0/8, ::1 */
	SBX_ADDR_PRIVATE = 1u << 3,	 /* RFC 1918 */
	SBX_ADDR_SHARED = 1u << 4,	 /* 100.64.0.0/10 (CGNAT) */
	SBX_ADDR_LINK_LOCAL = 1u << 5,	 /* 169.254.0.0/16, fe80::/10 */
	SBX_ADDR_ULA = 1u << 6,		 /* fc00::/7 */
	SBX_ADDR_MULTICAST = 1u << 7,	 /* 224.0.0.0/4, ff00::/8 */
	SBX_ADDR_BROADCAST = 1u << 8,	 /* 255.255.255.255 */
	SBX_ADDR_DOCUMENTATION = 1u << 9,
	SBX_ADDR_BENCHMARKING = 1u << 10,
	SBX_ADDR_RESERVED = 1u << 11, /* reserved, deprecated or unallocated */
	SBX_ADDR_PROTOCOL = 1u << 12, /* IETF protocol assignments */
	SBX_ADDR_DISCARD = 1u << 13,  /* 100::/64 discard-only */
	SBX_ADDR_METADATA = 1u << 14, /* a cloud provider's metadata endpoint */
	SBX_ADDR_HOST = 1u << 15,     /* an interface address of the host (only in decisions: the caller knows it) */
};

/**
 * struct sbx_addr_info - classification of one address.
 * @classes: union of enum sbx_addr_class for the address itself and for
 *	every IPv4 address it embeds.
 * @plen: length of the narrowest special range holding the address itself
 *	(0 when the address itself is in no special range).
 * @self_classes: classes of the address itself (without what it embeds).
 * @n_embedded: number of IPv4 addresses embedded (0, 1, 2 for Teredo,
 *	up to 4 for the local-use NAT64 prefix whose layout is not fixed).
 * @embedded: those IPv4 addresses.
 * @emb_classes: classes of each embedded address.
 * @emb_plen: narrowest special range holding each embedded address.
 */
struct sbx_addr_info {
	uint32_t classes;
	unsigned plen;
	uint32_t self_classes;
	unsigned n_embedded;
	struct sbx_addr embedded[4];
	uint32_t emb_classes[4];
	unsigned emb_plen[4];
};

enum sbx_verdict {
	SBX_VERDICT_DENY = 0,
	SBX_VERDICT_ALLOW = 1,
};

enum sbx_reason {
	SBX_REASON_RULE,	    /* @rule matched */
	SBX_REASON_SPECIAL_OPENED,  /* @rule, lying inside the special range, opened it */
	SBX_REASON_POSTURE_BLOCKED, /* posture blocked */
	SBX_REASON_NOT_ALLOWED,	    /* allowlist posture, no allow rule matched */
	SBX_REASON_OPEN_DEFAULT,    /* open posture, no deny rule matched */
	SBX_REASON_SPECIAL,	    /* special-purpose address (see @classes) */
	SBX_REASON_METADATA_NAME,   /* host name of a cloud metadata service */
	SBX_REASON_HOST_SERVICE,    /* @rule, one address and one port, opens that service of the host itself */
	SBX_REASON_HOST_ADDRESS, /* an address of the host itself (@classes, @addr) that no host-service rule opens */
	/* Decided by the orchestrator (--ask-fd) for a destination no rule decides: */
	SBX_REASON_GRANTED,    /* allowed once by its answer */
	SBX_REASON_REFUSED,    /* denied once by its answer */
	SBX_REASON_UNANSWERED, /* no answer in time, or no one left to ask */
};

/**
 * struct sbx_decision - a verdict and why.
 * @verdict: allow or deny.
 * @reason: which step of the evaluation decided.
 * @rule: the rule that decided (RULE, SPECIAL_OPENED), else NULL; it lives
 *	as long as the policy.
 * @classes: special classes of the deciding address (SPECIAL, SPECIAL_OPENED,
 *	HOST_SERVICE, HOST_ADDRESS).
 * @has_addr: @addr is the resolved address that decided (multi-address judgements).
 * @addr: see @has_addr; also set, without @has_addr, to the address of the
 *	host itself that decided (HOST_SERVICE, HOST_ADDRESS).
 */
struct sbx_decision {
	enum sbx_verdict verdict;
	enum sbx_reason reason;
	const struct sbx_rule *rule;
	uint32_t classes;
	bool has_addr;
	struct sbx_addr addr;
};

/**
 * struct sbx_dest - a parsed destination: an address or a normalised name.
 * @is_addr: @addr is valid, else @host.
 * @port: 1..65535, or 0 when no port was given ("every port").
 */
struct sbx_dest {
	bool is_addr;
	struct sbx_addr addr;
	char host[SBX_POLICY_HOST_MAX];
	uint16_t port;
};

/* ---- Entry points for cmd/ ---------------------------------------------- */

/**
 * sbx_policy_build() - build the policy a configuration describes.
 * @cfg: posture, rules (in order; policy files read where they appear) and
 *	no_default_deny.
 * @out: the new policy, to be released with sbx_policy_free().
 * @err: buffer for one message (file:line:col for policy files, the offending
 *	flag argument for rules).
 * @errlen: size of @err.
 *
 * A policy file may set the posture; if @cfg->posture_set and the file names
 * another posture, or two files disagree, that is an error.
 *
 * Return: 0, -EINVAL on bad input, -ENOMEM, or a negative errno from reading a file.
 */
int sbx_policy_build(const struct sbx_config *cfg, struct sbx_policy **out, char *err, size_t errlen);

/**
 * sbx_policy_free() - release a policy and every rule it holds.
 * @p: the policy, or NULL.
 */
void sbx_policy_free(struct sbx_policy *p);

/* ---- Presets (@name) ---------------------------------------------------- */

struct sbx_preset {
	const char *name; /* without '@' */
	const char *description;
	const char *const *rules; /* NULL-terminated */
};

/**
 * sbx_policy_presets() - every built-in preset, in listing order.
 * @n: the number of presets
 *
 * Return: a static array.
 */
const struct sbx_preset *sbx_policy_presets(size_t *n);

/**
 * sbx_policy_preset_find() - a preset by name.
 * @name: without '@'; need not be NUL-terminated
 * @len: length of @name
 *
 * Return: the preset, or NULL if there is none of that name.
 */
const struct sbx_preset *sbx_policy_preset_find(const char *name, size_t len);

/* ---- Building a policy piece by piece (proxy, tests, fuzzers) ----------- */

/* Where a rule came from. Strings must outlive the call only; they are copied. */
enum sbx_rule_origin_kind {
	SBX_ORIGIN_FLAG,    /* --allow / --deny */
	SBX_ORIGIN_FILE,    /* policy file @file line @line */
	SBX_ORIGIN_BUILTIN, /* built into sbx */
	SBX_ORIGIN_CONTROL, /* --control-fd, request @line */
	SBX_ORIGIN_ASK,	    /* an answer on --ask-fd to question @line */
};

struct sbx_rule_origin {
	enum sbx_rule_origin_kind kind;
	const char *file;
	unsigned line;
};

/**
 * sbx_policy_new() - create an empty policy.
 * @posture: network posture.
 * @no_default_deny: drop the built-in cloud-metadata deny.
 * @out: the new policy.
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_new(enum sbx_posture posture, bool no_default_deny, struct sbx_policy **out);

/**
 * sbx_policy_add_rule() - parse one rule and add it.
 * @p: the policy.
 * @deny: deny rule (else allow).
 * @text: rule text: host, *.domain, address, CIDR, each with optional
 *	:PORT or :LO-HI; or @preset.
 * @origin: where the rule came from (for explanations).
 * @err: buffer for the reason @text was refused (without location prefix).
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL if @text is not a valid rule, -ENOMEM.
 */
int sbx_policy_add_rule(struct sbx_policy *p, bool deny, const char *text, const struct sbx_rule_origin *origin,
			char *err, size_t errlen);

/**
 * sbx_policy_load_buffer() - parse policy-file text and add its rules.
 * @p: the policy.
 * @name: file name used in messages and explanations.
 * @buf: the text (need not be NUL-terminated).
 * @len: its length.
 * @posture: set to the posture the text names, if any.
 * @posture_set: set to true if the text names a posture (left alone otherwise).
 * @err: buffer for "name:line:col: message".
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL on a syntax error, -ENOMEM.
 */
int sbx_policy_load_buffer(struct sbx_policy *p, const char *name, const char *buf, size_t len,
			   enum sbx_posture *posture, bool *posture_set, char *err, size_t errlen);

/**
 * sbx_policy_load_file() - read a policy file and add its rules.
 * @p: the policy.
 * @path: the file.
 * @posture: see sbx_policy_load_buffer().
 * @posture_set: see sbx_policy_load_buffer().
 * @err: buffer for one message.
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL on a syntax error, -EFBIG if over 16 MiB, or the errno
 * of open/read as a negative value.
 */
int sbx_policy_load_file(struct sbx_policy *p, const char *path, enum sbx_posture *posture, bool *posture_set,
			 char *err, size_t errlen);
int sbx_policy_file_posture(const char *path, enum sbx_posture *posture, bool *found, char *err, size_t errlen);

/**
 * sbx_policy_posture() - the posture of a policy.
 * @p: the policy.
 *
 * Return: the posture.
 */
enum sbx_posture sbx_policy_posture(const struct sbx_policy *p);

/**
 * sbx_policy_rule_count() - number of rules (after preset expansion).
 * @p: the policy.
 *
 * Return: the count.
 */
size_t sbx_policy_rule_count(const struct sbx_policy *p);

/**
 * sbx_policy_rule_at() - the @i-th rule (after preset expansion), in the order added.
 * @p: the policy.
 * @i: index below sbx_policy_rule_count().
 *
 * Return: the rule, or NULL if @i is out of range.
 */
const struct sbx_rule *sbx_policy_rule_at(const struct sbx_policy *p, size_t i);

/**
 * sbx_policy_rule_host() - the normalised host name of a name rule.
 * @r: the rule.
 * @host: output (without the "*." of a wildcard rule).
 * @len: size of @host (SBX_POLICY_HOST_MAX suffices).
 * @wildcard: set to true for "*.suffix" rules, false otherwise.
 *
 * Open posture enforces exact-name deny rules by resolving them and refuses
 * wildcard deny rules it cannot enforce (src/notify.c).
 *
 * Return: 1 for a name rule, 0 for an address/CIDR rule, -ENOSPC.
 */
int sbx_policy_rule_host(const struct sbx_rule *r, char *host, size_t len, bool *wildcard);

/**
 * sbx_policy_rule_port_match() - whether a rule covers a port.
 * @r: the rule.
 * @port: 1..65535, or 0 for "every port" (as in judging: covered by a
 *	port-limited deny rule, not by a port-limited allow rule).
 *
 * Return: true if it does.
 */
bool sbx_policy_rule_port_match(const struct sbx_rule *r, uint16_t port);

/* ---- Changing a policy while the payload runs (--control-fd, --ask-fd) -- */

/*
 * A policy in use is never changed: a change builds a new one (a copy,
 * then edits on the copy) and the caller swaps it in (lib/livepolicy.h).
 * Rule ids survive copies, so an id read from one version names the same
 * rule in the next.
 */

/**
 * sbx_policy_copy() - a new policy with the same posture and rules, minus some.
 * @p: the policy.
 * @skip: ids of rules to leave out (may be NULL).
 * @n_skip: how many.
 * @out: the copy, to be released with sbx_policy_free().
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_copy(const struct sbx_policy *p, const uint32_t *skip, size_t n_skip, struct sbx_policy **out);

/**
 * sbx_policy_set_posture() - change the posture of a policy nobody uses yet.
 * @p: a fresh copy.
 * @posture: the new posture.
 */
void sbx_policy_set_posture(struct sbx_policy *p, enum sbx_posture posture);

/**
 * sbx_policy_rule_id() - a rule's id: unique in the run, kept by copies.
 * @r: the rule.
 *
 * Return: the id (1 or more).
 */
uint32_t sbx_policy_rule_id(const struct sbx_rule *r);

/**
 * sbx_policy_rule_by_id() - the rule with an id.
 * @p: the policy.
 * @id: from sbx_policy_rule_id().
 *
 * Return: the rule, or NULL when @p has none with @id.
 */
const struct sbx_rule *sbx_policy_rule_by_id(const struct sbx_policy *p, uint32_t id);

/**
 * sbx_policy_rule_preset() - the preset a rule came from.
 * @r: the rule.
 *
 * Return: the preset's name (without '@'), or NULL.
 */
const char *sbx_policy_rule_preset(const struct sbx_rule *r);

/**
 * sbx_policy_askable() - whether a decision is one the orchestrator may be asked about.
 * @d: a decision of this engine.
 *
 * Only a destination no rule decides is asked about: allowlist posture,
 * nothing allows it. A deny rule, a special-purpose or metadata address, an
 * address of the host itself and posture blocked are floors, never asked.
 *
 * Return: true if so.
 */
bool sbx_policy_askable(const struct sbx_decision *d);

/**
 * sbx_policy_judge_granted() - judge a destination the orchestrator allowed once.
 * @p: the policy.
 * @dest: the destination asked about (a name or an address, with its port;
 *	port 0 and a name: a DNS question, as sbx_policy_judge_dns()).
 * @addrs: the addresses a name resolved to (NULL, 0: the name alone).
 * @n: number of @addrs.
 * @d: the decision: SBX_REASON_GRANTED when allowed.
 *
 * The answer stands in for the missing allow rule and nothing more: deny
 * rules, special-purpose ranges and the host's own addresses still deny.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_granted(const struct sbx_policy *p, const struct sbx_dest *dest,
					  const struct sbx_addr *addrs, size_t n, struct sbx_decision *d);

/* ---- Judging ----------------------------------------------------------- */

/**
 * sbx_policy_judge_name() - judge a normalised host name and port.
 * @p: the policy.
 * @host: a name as produced by sbx_policy_host_normalise() (not an address).
 * @port: 1..65535, or 0 for "every port" (only rules without a port allow it;
 *	any matching deny rule denies it).
 * @d: the decision.
 *
 * Before resolving a name, the proxy and DNS stub call this and never send a
 * denied name upstream.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_name(const struct sbx_policy *p, const char *host, uint16_t port,
				       struct sbx_decision *d);

/**
 * sbx_policy_judge_addr() - judge an address literal and port.
 * @p: the policy.
 * @addr: the address (as the client spelled it, already parsed).
 * @port: as for sbx_policy_judge_name().
 * @d: the decision.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_addr(const struct sbx_policy *p, const struct sbx_addr *addr, uint16_t port,
				       struct sbx_decision *d);

/**
 * sbx_policy_judge_resolved() - judge a name together with all its addresses.
 * @p: the policy.
 * @host: normalised name.
 * @port: as for sbx_policy_judge_name().
 * @addrs: every A and AAAA record the name resolved to.
 * @n: number of @addrs.
 * @d: the decision; for a denied address, @d->has_addr and @d->addr name it.
 *
 * The name must be allowed, and then each address is checked against deny
 * rules and special ranges (it needs no allow rule of its own: the name's
 * rule allows it). One denied address denies the whole request.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_resolved(const struct sbx_policy *p, const char *host, uint16_t port,
					   const struct sbx_addr *addrs, size_t n, struct sbx_decision *d);

enum sbx_verdict sbx_policy_judge_dns(const struct sbx_policy *p, const char *host, const struct sbx_addr *addrs,
				      size_t n, struct sbx_decision *d);

/**
 * sbx_policy_judge_host() - judge an address that the caller knows to be the host's own.
 * @p: the policy.
 * @addr: one of the host's interface addresses (loopback and the unspecified
 *	address are the host's without being told).
 * @port: as for sbx_policy_judge_name().
 * @literal: the destination was named by this address (not by a name that
 *	resolved to it).
 * @d: the decision.
 *
 * The proxy dials from the host, so an address of the host is its own
 * services, which no broad rule may open. In allowlist posture: deny rules
 * still win; then @addr is allowed only when @literal and a host-service
 * rule (an allow rule for exactly @addr and exactly @port) matches
 * (SBX_REASON_HOST_SERVICE), and denied otherwise (SBX_REASON_HOST_ADDRESS).
 * In open posture it is judged like any address.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_host(const struct sbx_policy *p, const struct sbx_addr *addr, uint16_t port,
				       bool literal, struct sbx_decision *d);

/**
 * sbx_policy_rule_is_host_service() - whether a rule opens a service of the host.
 * @r: the rule.
 *
 * Return: true for an allow rule naming exactly one address (IPv4 /32 or
 * IPv6 /128, not an unspecified or IPv4-mapped one) and exactly one port.
 */
bool sbx_policy_rule_is_host_service(const struct sbx_rule *r);

/**
 * sbx_policy_judge_dest() - judge a parsed destination.
 * @p: the policy.
 * @dest: from sbx_policy_dest_parse().
 * @d: the decision.
 *
 * Return: the verdict (also in @d).
 */
enum sbx_verdict sbx_policy_judge_dest(const struct sbx_policy *p, const struct sbx_dest *dest, struct sbx_decision *d);

/**
 * sbx_policy_explain() - format why a decision was made.
 * @d: the decision.
 * @buf: output, e.g. `rule "pypi.org" (--allow)` or
 *	`special-purpose address (link-local, cloud metadata) (built-in default)`.
 * @len: size of @buf (SBX_POLICY_EXPLAIN_MAX always suffices).
 *
 * Return: the length snprintf would have written.
 */
int sbx_policy_explain(const struct sbx_decision *d, char *buf, size_t len);

/**
 * sbx_policy_rule_text() - a rule as written (without its source).
 * @r: the rule.
 *
 * Return: the text, valid as long as the policy.
 */
const char *sbx_policy_rule_text(const struct sbx_rule *r);

/**
 * sbx_policy_rule_source() - format where a rule came from.
 * @r: the rule.
 * @buf: output: "--allow", "--deny", "FILE:LINE", "@preset via --allow", ...
 * @len: size of @buf.
 *
 * Return: the length snprintf would have written.
 */
int sbx_policy_rule_source(const struct sbx_rule *r, char *buf, size_t len);

/**
 * sbx_policy_rule_is_deny() - whether a rule denies.
 * @r: the rule.
 *
 * Return: true for a deny rule.
 */
bool sbx_policy_rule_is_deny(const struct sbx_rule *r);

/* ---- Parsing and classification ---------------------------------------- */

/**
 * sbx_policy_addr_parse() - parse canonical address text.
 * @s: text: dotted-quad IPv4 (four decimal octets, no leading zeros) or
 *	RFC 4291 IPv6 text (no zone id, no brackets).
 * @len: length of @s.
 * @out: the address.
 *
 * Return: 0, or -EINVAL for anything else (decimal, octal, hex, short forms...).
 */
int sbx_policy_addr_parse(const char *s, size_t len, struct sbx_addr *out);

/**
 * sbx_policy_addr_format() - format an address (RFC 5952 for IPv6).
 * @a: the address.
 * @buf: output.
 * @len: size of @buf (SBX_POLICY_ADDR_STRLEN suffices).
 *
 * Return: the length written, or -ENOSPC / -EAFNOSUPPORT.
 */
int sbx_policy_addr_format(const struct sbx_addr *a, char *buf, size_t len);

/**
 * sbx_policy_addr_classify() - special-purpose classification.
 * @a: the address.
 * @info: classes, narrowest special range, embedded IPv4 addresses.
 */
void sbx_policy_addr_classify(const struct sbx_addr *a, struct sbx_addr_info *info);

/**
 * sbx_policy_addr_classify_ex() - classification ignoring some classes.
 * @a: the address.
 * @ignore: classes to leave out (as if their ranges were not special).
 * @info: as for sbx_policy_addr_classify().
 */
void sbx_policy_addr_classify_ex(const struct sbx_addr *a, uint32_t ignore, struct sbx_addr_info *info);

/**
 * sbx_policy_class_names() - human text for a class mask.
 * @classes: enum sbx_addr_class bits.
 * @buf: output, e.g. "link-local, cloud metadata".
 * @len: size of @buf.
 *
 * Return: the length snprintf would have written.
 */
int sbx_policy_class_names(uint32_t classes, char *buf, size_t len);

/**
 * sbx_policy_host_normalise() - normalise a host name once.
 * @in: the name as given (UTF-8 allowed).
 * @len: its length.
 * @out: ASCII lower case, one trailing dot dropped, IDN as punycode.
 * @outlen: size of @out (SBX_POLICY_HOST_MAX suffices).
 * @why: on failure, set to a static reason.
 *
 * Names that look numeric (last label all digits, or 0x...) are refused: a
 * canonical dotted quad is an address, not a name, and every other numeric
 * spelling would be read differently by different resolvers.
 *
 * Return: the length of @out, or -EINVAL.
 */
int sbx_policy_host_normalise(const char *in, size_t len, char *out, size_t outlen, const char **why);

/**
 * sbx_policy_dest_parse() - parse a destination as `sbx check` and the proxy see it.
 * @s: host, host:port, IPv4, IPv4:port, IPv6, [IPv6], [IPv6]:port.
 * @dest: the result.
 * @err: buffer for the reason on failure.
 * @errlen: size of @err.
 *
 * A host the proxy would refuse (a numeric spelling that is not canonical,
 * a name that is not LDH, IPv6 text that is not RFC 4291's) is told apart
 * from a malformed destination: the proxy answers it with a 403, so it is
 * a verdict, not bad input.
 *
 * Return: 0, -EPERM for a host the proxy refuses (reason in @err), or
 * -EINVAL for a malformed destination.
 */
int sbx_policy_dest_parse(const char *s, struct sbx_dest *dest, char *err, size_t errlen);

/**
 * sbx_policy_dest_format() - a destination as a rule or `sbx check` writes it.
 * @d: the destination.
 * @buf: output: "host", "host:port", "1.2.3.4", "1.2.3.4:port", "::1", "[::1]:port".
 * @len: size of @buf (SBX_POLICY_HOST_MAX + 8 suffices).
 *
 * Return: the length snprintf would have written.
 */
int sbx_policy_dest_format(const struct sbx_dest *d, char *buf, size_t len);

/**
 * sbx_policy_is_metadata_name() - whether a normalised name is a cloud metadata service.
 * @host: normalised name.
 *
 * Return: true if so.
 */
bool sbx_policy_is_metadata_name(const char *host);

#endif
