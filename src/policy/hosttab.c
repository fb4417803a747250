// SPDX-License-Identifier: Apache-2.0
/* Host rule table: open-addressing hash from normalised name to its rules. */

/*
 * A name with k labels costs k probes (the name itself for exact rules,
 * then each proper suffix for "*.suffix" rules), whatever the number of
 * rules: that is what keeps lookups flat as policies grow.
 */

#include <errno.h>
#include <string.h>

#include "internal.h"

static int grow(struct sbx_host_table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 64;
	struct sbx_host_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		struct sbx_host_slot *s = &t->slots[i];
		size_t j;

		if (!s->key)
			continue;
		for (j = s->hash & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *s;
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

/**
 * sbx_policy_hosts_reserve() - size the table for @n more keys.
 * @t: the table.
 * @n: expected number of new keys.
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_hosts_reserve(struct sbx_host_table *t, size_t n)
{
	while ((t->used + n) * 2 > t->cap) {
		int r = grow(t);

		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * sbx_policy_hosts_add() - link a rule under a host key.
 * @p: the policy (owns the table and the rules).
 * @key: normalised name (for wildcards, the part after "*.").
 * @wildcard: the rule matches strict subdomains of @key.
 * @rule: index of the rule in @p->rules.
 *
 * Return: 0 or -ENOMEM.
 */
int sbx_policy_hosts_add(struct sbx_policy *p, const char *key, bool wildcard, uint32_t rule)
{
	struct sbx_host_table *t = &p->hosts;
	size_t len = strlen(key);
	uint64_t h = sbx_policy_hash(key, len);
	struct sbx_host_slot *s;
	size_t j;

	if ((t->used + 1) * 2 > t->cap) {
		int r = grow(t);

		if (r < 0)
			return r;
	}
	for (j = h & (t->cap - 1); t->slots[j].key; j = (j + 1) & (t->cap - 1))
		if (t->slots[j].hash == h && strcmp(t->slots[j].key, key) == 0)
			break;
	s = &t->slots[j];
	if (!s->key) {
		s->key = strdup(key);
		if (!s->key)
			return -ENOMEM;
		s->hash = h;
		s->exact = SBX_NONE;
		s->wild = SBX_NONE;
		t->used++;
	}
	/* Keep rules in insertion order so explanations cite the first one written. */
	{
		uint32_t *head = wildcard ? &s->wild : &s->exact;

		while (*head != SBX_NONE)
			head = &p->rules[*head].next;
		*head = rule;
		p->rules[rule].next = SBX_NONE;
	}
	return 0;
}

/**
 * sbx_policy_hosts_find() - the slot for one key.
 * @t: the table.
 * @key: name bytes (not necessarily NUL-terminated).
 * @len: their number.
 *
 * Return: the slot, or NULL.
 */
const struct sbx_host_slot *sbx_policy_hosts_find(const struct sbx_host_table *t, const char *key, size_t len)
{
	uint64_t h;

	if (!t->cap)
		return NULL;
	h = sbx_policy_hash(key, len);
	for (size_t j = h & (t->cap - 1); t->slots[j].key; j = (j + 1) & (t->cap - 1)) {
		const struct sbx_host_slot *s = &t->slots[j];

		if (s->hash == h && strncmp(s->key, key, len) == 0 && s->key[len] == '\0')
			return s;
	}
	return NULL;
}

/**
 * sbx_policy_hosts_free() - release the table.
 * @t: the table.
 */
void sbx_policy_hosts_free(struct sbx_host_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].key);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
