// SPDX-License-Identifier: Apache-2.0
/* Socket addresses <-> the policy engine's struct sbx_addr: building, resolver results, IPv4-mapped forms. */

#include <errno.h>
#include <string.h>

#include "lib/sockaddr.h"

/**
 * sbx_sockaddr_make() - a socket address from raw address bytes and a port.
 * @u: filled in
 * @family: AF_INET (4 bytes at @addr) or AF_INET6 (16 bytes)
 * @addr: the address, network order
 * @port: host order
 *
 * Return: the length to pass to bind() or connect().
 */
socklen_t sbx_sockaddr_make(union sbx_sockaddr *u, int family, const void *addr, uint16_t port)
{
	memset(u, 0, sizeof(*u));
	if (family == AF_INET) {
		u->in.sin_family = AF_INET;
		u->in.sin_port = htons(port);
		memcpy(&u->in.sin_addr, addr, 4);
		return sizeof(u->in);
	}
	u->in6.sin6_family = AF_INET6;
	u->in6.sin6_port = htons(port);
	memcpy(&u->in6.sin6_addr, addr, 16);
	return sizeof(u->in6);
}

/**
 * sbx_sockaddr_from_addrinfo() - the distinct IPv4 and IPv6 addresses of a getaddrinfo() result.
 * @ai: the result list (other families are skipped)
 * @out: filled in, in the resolver's order, without duplicates
 * @max: room in @out; further addresses are dropped
 *
 * Return: the number of addresses stored.
 */
size_t sbx_sockaddr_from_addrinfo(const struct addrinfo *ai, struct sbx_addr *out, size_t max)
{
	size_t n = 0;

	for (; ai && n < max; ai = ai->ai_next) {
		struct sbx_addr a = {.family = (sa_family_t)ai->ai_family};
		bool dup = false;

		if (ai->ai_family == AF_INET)
			memcpy(a.b, &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(a.b, &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = out[k].family == a.family && memcmp(out[k].b, a.b, sizeof(a.b)) == 0;
		if (!dup)
			out[n++] = a;
	}
	return n;
}

/**
 * sbx_sockaddr_resolve() - every A and AAAA record of @host (blocking getaddrinfo()).
 * @host: a name or address text
 * @out: filled in (see sbx_sockaddr_from_addrinfo())
 * @max: room in @out
 * @n: the number stored
 *
 * Context: may block for the resolver's whole timeout: never on the event loop's thread.
 * Return: 0 with at least one address; -ENOENT when the name has none;
 * -EHOSTUNREACH when resolution failed; -EMFILE, -ENFILE or -ENOMEM when
 * sbx was short of descriptors or memory (whatever getaddrinfo() said);
 * another negative errno.
 */
int sbx_sockaddr_resolve(const char *host, struct sbx_addr *out, size_t max, size_t *n)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int r, e;

	errno = 0;
	r = getaddrinfo(host, NULL, &hints, &ai);
	e = errno;
	*n = 0;
	/* Out of descriptors, glibc answers "no such name": that is sbx's shortage, not the name's. */
	if (r != 0 && (e == EMFILE || e == ENFILE || e == ENOMEM))
		return -e;
	if (r != 0)
		return r == EAI_NONAME || r == EAI_NODATA ? -ENOENT : r == EAI_SYSTEM ? -e : -EHOSTUNREACH;
	*n = sbx_sockaddr_from_addrinfo(ai, out, max);
	freeaddrinfo(ai);
	return *n ? 0 : -ENOENT;
}

/**
 * sbx_sockaddr_unmap() - IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address it carries.
 * @in: any address
 * @out: @in, or its IPv4 form (may be @in)
 *
 * The kernel connects an IPv6 socket to a mapped address over IPv4, so that
 * is the destination to compare with lists of addresses.
 */
void sbx_sockaddr_unmap(const struct sbx_addr *in, struct sbx_addr *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	*out = *in;
	if (in->family == AF_INET6 && memcmp(in->b, mapped, 12) == 0) {
		out->family = AF_INET;
		memmove(out->b, in->b + 12, 4);
		memset(out->b + 4, 0, 12);
	}
}
