/* SPDX-License-Identifier: Apache-2.0 */
/* Socket addresses <-> the policy engine's struct sbx_addr, in one place. */
#ifndef SBX_LIB_SOCKADDR_H
#define SBX_LIB_SOCKADDR_H

#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sbx/policy.h"

union sbx_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

socklen_t sbx_sockaddr_make(union sbx_sockaddr *u, int family, const void *addr, uint16_t port);
size_t sbx_sockaddr_from_addrinfo(const struct addrinfo *ai, struct sbx_addr *out, size_t max);
void sbx_sockaddr_unmap(const struct sbx_addr *in, struct sbx_addr *out);
int sbx_sockaddr_resolve(const char *host, struct sbx_addr *out, size_t max, size_t *n);

#endif
