// SPDX-License-Identifier: Apache-2.0
/* CIDR rules: a path-compressed binary (patricia) trie per address family. */

/*
 * Nodes live in one array and refer to each other by index, so a policy of
 * n prefixes holds at most 2n nodes and a lookup visits at most one node per
 * distinct prefix length on the address's path (33 or 129), whatever n is.
 */

#include <errno.h>
#include <string.h>

#include "internal.h"

static unsigned bit_at(const uint8_t *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned max)
{
	unsigned i = 0;

	while (i + 8 <= max && a[i / 8] == b[i / 8])
		i += 8;
	if (i < max) {
		unsigned x = (unsigned)(a[i / 8] ^ b[i / 8]);

		/* x != 0 here unless max is not a byte boundary; clz counts within 32 bits. */
		i += x ? (unsigned)__builtin_clz(x) - 24 : 8;
	}
	return i < max ? i : max;
}

/**
 * sbx_policy_trie_init() - make an empty trie.
 * @t: the trie.
 * @width: 32 or 128.
 */
void sbx_policy_trie_init(struct sbx_trie *t, unsigned width)
{
	memset(t, 0, sizeof(*t));
	t->root = SBX_NONE;
	t->width = width;
}

static uint32_t node_new(struct sbx_trie *t, const uint8_t *addr, unsigned plen)
{
	struct sbx_trie_node *n;

	if (t->n == t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 64;
		struct sbx_trie_node *nn = realloc(t->nodes, (size_t)ncap * sizeof(*nn));

		if (!nn)
			return SBX_NONE;
		t->nodes = nn;
		t->cap = ncap;
	}
	n = &t->nodes[t->n];
	memset(n, 0, sizeof(*n));
	memcpy(n->addr, addr, t->width / 8);
	sbx_policy_prefix_mask(n->addr, t->width, plen);
	n->plen = (uint8_t)plen;
	n->child[0] = n->child[1] = SBX_NONE;
	n->rules = SBX_NONE;
	return t->n++;
}

static void link_rule(struct sbx_policy *p, struct sbx_trie_node *n, uint32_t rule)
{
	uint32_t *head = &n->rules;

	while (*head != SBX_NONE)
		head = &p->rules[*head].next;
	*head = rule;
	p->rules[rule].next = SBX_NONE;
}

/**
 * sbx_policy_trie_add() - add a rule for a prefix.
 * @p: the policy owning the rules.
 * @t: the trie of the rule's family.
 * @addr: prefix bytes (bits past @plen are ignored).
 * @plen: prefix length.
 * @rule: index of the rule.
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_trie_add(struct sbx_policy *p, struct sbx_trie *t, const uint8_t *addr, unsigned plen, uint32_t rule)
{
	uint32_t parent = SBX_NONE, cur = t->root;
	unsigned side = 0;

	while (cur != SBX_NONE) {
		struct sbx_trie_node *n = &t->nodes[cur];
		unsigned lim = n->plen < plen ? n->plen : plen;
		unsigned common = common_bits(n->addr, addr, lim);

		if (common < n->plen) {
			/* The new prefix leaves n's path inside n's prefix: insert above n. */
			uint32_t up = node_new(t, addr, common);

			if (up == SBX_NONE)
				return -ENOMEM;
			n = &t->nodes[cur];
			t->nodes[up].child[bit_at(n->addr, common)] = cur;
			if (common < plen) {
				uint32_t leaf = node_new(t, addr, plen);

				if (leaf == SBX_NONE)
					return -ENOMEM;
				t->nodes[up].child[bit_at(addr, common)] = leaf;
				link_rule(p, &t->nodes[leaf], rule);
			} else {
				link_rule(p, &t->nodes[up], rule);
			}
			if (parent == SBX_NONE)
				t->root = up;
			else
				t->nodes[parent].child[side] = up;
			return 0;
		}
		if (n->plen == plen) {
			link_rule(p, n, rule);
			return 0;
		}
		parent = cur;
		side = bit_at(addr, n->plen);
		cur = n->child[side];
	}
	cur = node_new(t, addr, plen);
	if (cur == SBX_NONE)
		return -ENOMEM;
	link_rule(p, &t->nodes[cur], rule);
	if (parent == SBX_NONE)
		t->root = cur;
	else
		t->nodes[parent].child[side] = cur;
	return 0;
}

/**
 * sbx_policy_trie_walk() - visit the rules of every prefix holding an address.
 * @p: the policy owning the rules.
 * @t: the trie.
 * @addr: full address bytes.
 * @fn: called per rule, shortest prefix first; returning true stops the walk.
 * @ctx: passed to @fn.
 *
 * Return: true if @fn stopped the walk.
 */
bool sbx_policy_trie_walk(const struct sbx_policy *p, const struct sbx_trie *t, const uint8_t *addr,
			  sbx_policy_trie_visit_fn fn, void *ctx)
{
	uint32_t cur = t->root;

	while (cur != SBX_NONE) {
		const struct sbx_trie_node *n = &t->nodes[cur];

		if (!sbx_policy_prefix_match(n->addr, addr, n->plen))
			return false;
		for (uint32_t r = n->rules; r != SBX_NONE; r = p->rules[r].next)
			if (fn(p, &p->rules[r], n->plen, ctx))
				return true;
		if (n->plen >= t->width)
			return false;
		cur = n->child[bit_at(addr, n->plen)];
	}
	return false;
}

/**
 * sbx_policy_trie_free() - release a trie's nodes.
 * @t: the trie.
 */
void sbx_policy_trie_free(struct sbx_trie *t)
{
	free(t->nodes);
	t->nodes = NULL;
	t->n = t->cap = 0;
	t->root = SBX_NONE;
}
