/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The allowlist posture's fixed topology: addresses, ports, and the order of
 * the listeners sandbox init hands to the supervisor. The contract between
 * src/init (which creates them in the gateway namespace), src/allowlist
 * (which serves them) and src/supervisor (which passes them on and names the
 * proxy in the payload's environment).
 */
#ifndef SBX_LIB_TOPOLOGY_H
#define SBX_LIB_TOPOLOGY_H

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

/*
 * Sandbox init hands over the listeners, in that order, and then one
 * NETLINK_SOCK_DIAG socket of the sandbox's network namespace: the gateway
 * looks a client's socket up with it (which process connected, for the
 * decision log) in constant time.
 */
#define SBX_GW_DIAG SBX_GW_N_LISTENERS
#define SBX_GW_N_FDS (SBX_GW_N_LISTENERS + 1)

#endif
