/* SPDX-License-Identifier: Apache-2.0 */
/* Shared state of the allowlist gateway's services (proxy.c, dnsstub.c, gateway.c). */
#ifndef SBX_GATEWAY_INT_H
#define SBX_GATEWAY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sbx/config.h"
#include "sbx/gateway.h"
#include "sbx/loop.h"
#include "sbx/netlog.h"
#include "sbx/policy.h"
#include "sbx/resolver.h"

#define SBX_GW_MAX_SELF_ADDRS 256
#define SBX_GW_RELAY_BUF (256 * 1024)

struct sbx_conn;
struct sbx_dns_tcp;
struct sbx_dns_q;

struct sbx_gw_listen {
	struct sbx_watch w;
	struct sbx_gateway *gw;
	enum sbx_gw_listener kind;
};

struct sbx_gateway {
	struct sbx_loop *loop;
	const struct sbx_policy *policy;
	struct sbx_resolver *resolver;
	int log_fd;
	/* limits */
	unsigned max_conns;
	unsigned max_head;
	uint64_t header_timeout_ms;
	uint64_t connect_timeout_ms;
	uint64_t idle_timeout_ms;
	/* the host's own addresses: never dialled, whatever the rules say */
	struct sbx_addr self[SBX_GW_MAX_SELF_ADDRS];
	size_t n_self;
	struct sbx_gw_listen listeners[SBX_GW_N_LISTENERS];
	struct sbx_watch tick_w; /* 1 s timerfd for deadlines */
	struct sbx_conn *conns;	 /* every open proxy connection */
	unsigned n_conns;
	struct sbx_dns_tcp *dns_tcp;
	unsigned n_dns_tcp;
	unsigned dns_udp_inflight;
	struct sbx_dns_q *dns_pending; /* queries waiting for the resolver */
	char *relay_buf; /* shared by every tunnel: data is never kept in it across events */
};

bool sbx_gw_is_self(const struct sbx_gateway *gw, const struct sbx_addr *a);
int sbx_gw_target(const char *text, bool is_v6, struct sbx_dest *dest, const char **why);

void sbx_proxy_accept(struct sbx_gateway *gw, int listen_fd);
void sbx_proxy_tick(struct sbx_gateway *gw, uint64_t now);
void sbx_proxy_close_all(struct sbx_gateway *gw);

void sbx_dns_udp_ready(struct sbx_gateway *gw, int fd);
void sbx_dns_tcp_accept(struct sbx_gateway *gw, int listen_fd);
void sbx_dns_tick(struct sbx_gateway *gw, uint64_t now);
void sbx_dns_close_all(struct sbx_gateway *gw);

#endif
