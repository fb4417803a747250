// SPDX-License-Identifier: Apache-2.0
/* The host-address guard: the proxy dials from the host, so the host itself is never a destination. */

#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#include "gateway.h"
#include "lib/sockaddr.h"

/*
 * The proxy dials from the host, so the host itself is the confused deputy
 * to guard: its loopback, unspecified and own interface addresses are
 * refused whatever the rules say (the policy engine already refuses every
 * special-purpose range unless an address rule opens it; this list adds the
 * host's public addresses and makes loopback unconditional).
 */

static void add_self(struct sbx_hostaddr *h, int family, const void *b)
{
	struct sbx_addr a = {.family = (sa_family_t)family};

	if (h->n >= SBX_HOSTADDR_MAX)
		return;
	memcpy(a.b, b, family == AF_INET ? 4 : 16);
	h->self[h->n++] = a;
}

/**
 * sbx_hostaddr_load() - snapshot the host's interface addresses.
 * @h: filled in (loopback and the unspecified addresses need no entry)
 *
 * Context: the supervisor, in the host's network namespace.
 */
void sbx_hostaddr_load(struct sbx_hostaddr *h)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			add_self(h, AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			add_self(h, AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

/**
 * sbx_hostaddr_is_self() - whether @a is the host itself (loopback, unspecified, or an interface address).
 * @h: from sbx_hostaddr_load()
 * @a: an address about to be dialled; IPv4-mapped IPv6 is judged as its IPv4
 *
 * Return: true if the proxy must not dial it.
 */
bool sbx_hostaddr_is_self(const struct sbx_hostaddr *h, const struct sbx_addr *a)
{
	struct sbx_addr v;

	sbx_sockaddr_unmap(a, &v);
	if (v.family == AF_INET && (v.b[0] == 127 || v.b[0] == 0))
		return true;
	if (v.family == AF_INET6) {
		static const uint8_t zero[16];
		if (memcmp(v.b, zero, 15) == 0 && (v.b[15] == 0 || v.b[15] == 1))
			return true;
	}
	for (size_t i = 0; i < h->n; i++) {
		size_t len = v.family == AF_INET ? 4 : 16;
		if (h->self[i].family == v.family && memcmp(h->self[i].b, v.b, len) == 0)
			return true;
	}
	return false;
}

