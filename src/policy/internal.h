/* SPDX-License-Identifier: Apache-2.0 */
/* Policy engine internals shared by the files of src/policy/ (not installed). */
#ifndef SBX_POLICY_INTERNAL_H
#define SBX_POLICY_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>

#include "sbx/policy.h"
#include "sbx/util.h"

#define SBX_NONE UINT32_MAX

enum sbx_rule_kind {
	SBX_RULE_HOST,	   /* exact name */
	SBX_RULE_WILDCARD, /* *.suffix: strict subdomains of key */
	SBX_RULE_CIDR,	   /* address or prefix */
};

struct sbx_rule {
	enum sbx_rule_kind kind;
	bool deny;
	bool any_port;
	uint16_t port_lo, port_hi;
	struct sbx_addr addr; /* CIDR: network address */
	unsigned plen;	      /* CIDR: prefix length */
	char *text;	      /* rule text as written (owned) */
	enum sbx_rule_origin_kind origin;
	const char *file; /* interned in the policy, or NULL */
	unsigned line;
	const char *preset; /* static preset name, or NULL */
	uint32_t next;	    /* next rule with the same key / trie node */
	uint32_t id;	    /* stable for the run: kept by sbx_policy_copy() */
};

/* Host key table: one slot per distinct normalised name. */
struct sbx_host_slot {
	char *key; /* NULL: empty slot */
	uint64_t hash;
	uint32_t exact; /* head of exact-name rules */
	uint32_t wild;	/* head of *.key rules */
};

struct sbx_host_table {
	struct sbx_host_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t used;
};

struct sbx_trie_node {
	uint8_t addr[16];
	uint8_t plen;
	uint32_t child[2];
	uint32_t rules; /* head of rules with exactly this prefix */
};

struct sbx_trie {
	struct sbx_trie_node *nodes;
	uint32_t n, cap;
	uint32_t root;
	unsigned width; /* 32 or 128 */
};

struct sbx_policy {
	enum sbx_posture posture;
	bool no_default_deny;
	struct sbx_rule *rules;
	size_t n_rules, cap_rules;
	struct sbx_host_table hosts;
	struct sbx_trie t4, t6;
	char **files;
	size_t n_files;
	uint32_t last_id;	  /* the highest rule id given out */
	bool posture_locked;	  /* --network given, or a file named the posture */
	char posture_origin[300]; /* "--network=allowlist" or "FILE:LINE" */
};

/* addr.c */
bool sbx_policy_prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen);
void sbx_policy_prefix_mask(uint8_t *a, unsigned width, unsigned plen);
unsigned sbx_policy_addr_width(const struct sbx_addr *a);

/* host.c */
uint64_t sbx_policy_hash(const char *s, size_t len);

/* policy.c */
int sbx_policy_reserve(struct sbx_policy *p, size_t n);

/* hosttab.c */
int sbx_policy_hosts_reserve(struct sbx_host_table *t, size_t n);
int sbx_policy_hosts_add(struct sbx_policy *p, const char *key, bool wildcard, uint32_t rule);
const struct sbx_host_slot *sbx_policy_hosts_find(const struct sbx_host_table *t, const char *key, size_t len);
void sbx_policy_hosts_free(struct sbx_host_table *t);

/* trie.c */
void sbx_policy_trie_init(struct sbx_trie *t, unsigned width);
int sbx_policy_trie_add(struct sbx_policy *p, struct sbx_trie *t, const uint8_t *addr, unsigned plen, uint32_t rule);
typedef bool (*sbx_policy_trie_visit_fn)(const struct sbx_policy *p, const struct sbx_rule *r, unsigned plen,
					 void *ctx);
bool sbx_policy_trie_walk(const struct sbx_policy *p, const struct sbx_trie *t, const uint8_t *addr,
			  sbx_policy_trie_visit_fn fn, void *ctx);
void sbx_policy_trie_free(struct sbx_trie *t);

/* rule.c */
struct sbx_rule_spec {
	enum sbx_rule_kind kind;
	char host[SBX_POLICY_HOST_MAX]; /* HOST / WILDCARD key (without "*.") */
	struct sbx_addr addr;
	unsigned plen;
	bool any_port;
	uint16_t port_lo, port_hi;
	const char *preset; /* set for @NAME (static string), other fields unused */
};
int sbx_policy_rule_parse(const char *text, struct sbx_rule_spec *spec, char *err, size_t errlen);

#endif
