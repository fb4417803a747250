/* SPDX-License-Identifier: Apache-2.0 */
/* The allowlist posture's fixed topology: addresses, ports, and the listeners handed to the supervisor. */
#ifndef SBX_GATEWAY_H
#define SBX_GATEWAY_H

/*
 * Private addresses inside namespaces nobody else shares: they never appear
 * on the host. Point-to-point prefixes (/31, RFC 3021; /127, RFC 6164) hold
 * exactly the two ends, so the sandbox has no route but to the gateway and
 * no on-link address that could leave a connect() waiting for neighbour
 * discovery: everything else fails at once.
 */
#define SBX_GW_ADDR4 "10.255.255.1"
#define SBX_SANDBOX_ADDR4 "10.255.255.0"
#define SBX_PREFIX4 31
#define SBX_GW_ADDR6 "fd73:6278::1"
#define SBX_SANDBOX_ADDR6 "fd73:6278::"
#define SBX_PREFIX6 127
#define SBX_PROXY_PORT 3128
#define SBX_DNS_PORT 53
#define SBX_SANDBOX_IF "eth0"
#define SBX_GW_IF "gw0"
#define SBX_VETH_MTU 65520

#define SBX_STR_(x) #x
#define SBX_STR(x) SBX_STR_(x)
#define SBX_PROXY_URL "http://" SBX_GW_ADDR4 ":" SBX_STR(SBX_PROXY_PORT)
#define SBX_SOCKS_URL "socks5h://" SBX_GW_ADDR4 ":" SBX_STR(SBX_PROXY_PORT)

enum sbx_gw_listener {
	SBX_GW_PROXY4,
	SBX_GW_PROXY6,
	SBX_GW_DNS_UDP4,
	SBX_GW_DNS_UDP6,
	SBX_GW_DNS_TCP4,
	SBX_GW_DNS_TCP6,
	SBX_GW_N_LISTENERS,
};
_Static_assert(SBX_GW_N_LISTENERS == 6, "update the initialisers of struct sbx_gateway_fds");

/* Both ends: -1 when empty (initialise every listen_fds entry to -1). */
struct sbx_gateway_fds {
	int sandbox_ns_fd;
	int listen_fds[SBX_GW_N_LISTENERS];
};

int sbx_net_new_allowlist(struct sbx_gateway_fds *gw, const char **detail);

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

union sbx_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

socklen_t sbx_sockaddr_make(union sbx_sockaddr *u, int family, const void *addr, uint16_t port);

struct sbx_config;
struct sbx_loop;
struct sbx_policy;
struct sbx_gateway;

int sbx_gateway_start(struct sbx_loop *loop, const struct sbx_config *cfg, const struct sbx_policy *policy,
		      int log_fd, int *fds, struct sbx_gateway **out);
void sbx_gateway_free(struct sbx_gateway *gw);
void sbx_gateway_fds_close(struct sbx_gateway_fds *gw);

#endif
