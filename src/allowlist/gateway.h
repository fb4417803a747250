/* SPDX-License-Identifier: Apache-2.0 */
/* What the gateway hands its services (proxy.c, dnsstub.c), private to src/allowlist. */
#ifndef SBX_ALLOWLIST_GATEWAY_H
#define SBX_ALLOWLIST_GATEWAY_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/jsonl.h"
#include "lib/list.h"
#include "lib/livepolicy.h"
#include "lib/loop.h"
#include "lib/procinfo.h"
#include "lib/resolver.h"
#include "sbx/proto.h"
#include "sbx/policy.h"

#define SBX_HOSTADDR_MAX 256

/*
 * The host's own addresses: dialled only as a host service, which the
 * policy decides knowing the address is the host's (hostaddr.c,
 * sbx_policy_judge_host()). A loaded list re-reads itself when the kernel announces a
 * change, so checking it writes to it: owned by one thread (the loop).
 */
struct sbx_hostaddr {
	struct sbx_addr self[SBX_HOSTADDR_MAX];
	size_t n;
	int nl_fd;     /* address-change notifications, or -1: re-read at every check */
	bool live;     /* from sbx_hostaddr_load(); a list filled in by hand is used as is */
	bool stale;    /* a change could not be re-read: everything counts as the host */
	int stale_err; /* why (an errno; EMFILE when sbx ran out of descriptors), 0 when not stale */
};

void sbx_hostaddr_load(struct sbx_hostaddr *h);
bool sbx_hostaddr_is_self(struct sbx_hostaddr *h, const struct sbx_addr *a);
void sbx_hostaddr_free(struct sbx_hostaddr *h);

int sbx_target_parse(const char *text, bool is_v6, struct sbx_dest *dest, const char **why);

struct uplink_secret;

/*
 * The upstream proxy (--upstream-proxy, uplink.c): read-only once loaded.
 * The credentials sit in pages of their own (@secret), never copied into a
 * clone; only sbx_uplink_request() and sbx_uplink_socks_auth() read them.
 */
struct sbx_uplink {
	struct sbx_upstream_url url;
	char shown[300];			      /* "http://HOST:PORT", for messages and logs */
	char name[SBX_POLICY_HOST_MAX];		      /* the host, normalised, when the URL names it; else "" */
	struct sbx_addr addrs[SBX_RESOLVE_MAX_ADDRS]; /* where to dial it, in order */
	size_t n_addrs;
	struct uplink_secret *secret; /* NULL: no credentials */
};

bool sbx_uplink_is_upstream(const struct sbx_uplink *up, const struct sbx_addr *a, const char *name, uint16_t port);
bool sbx_uplink_takes_names(const struct sbx_uplink *up);

/* One handshake with the upstream: sbx asks it for one tunnel (uplink.c). */
struct sbx_uplink_hs;
enum sbx_uplink_hs_status { SBX_HS_MORE, SBX_HS_DONE, SBX_HS_FAILED };

/*
 * Why a handshake failed: what the client gets (HTTP: 502 with @why; SOCKS5:
 * @socks_rep) and the log's error. @why names the upstream's answer in sbx's
 * own words (a status code, a SOCKS5 reply), never its text.
 */
struct sbx_uplink_result {
	uint8_t socks_rep;
	bool next_target; /* the upstream could not reach this address: another one may do */
	char why[400];
};

int sbx_uplink_hs_new(const struct sbx_uplink *up, const struct sbx_addr *a, const char *name, uint16_t port,
		      struct sbx_uplink_hs **out);
enum sbx_uplink_hs_status sbx_uplink_hs_io(struct sbx_uplink_hs *hs, int fd, uint32_t events,
					   struct sbx_uplink_result *res);
bool sbx_uplink_hs_wants_write(const struct sbx_uplink_hs *hs);
const uint8_t *sbx_uplink_hs_rest(const struct sbx_uplink_hs *hs, size_t *n);
void sbx_uplink_hs_free(struct sbx_uplink_hs *hs);

/*
 * The gateway's context, read-only for the services: each service owns its
 * own connections and state and never reaches into another's. The resolver
 * is shared; each service submits and cancels only its own requests.
 */
struct sbx_gw_ctx {
	struct sbx_loop *loop;
	struct sbx_livepolicy *live; /* the policy in force (lib/livepolicy.h) */
	struct sbx_ask *ask;	     /* --ask-fd, or NULL */
	struct sbx_resolver *resolver;
	struct sbx_hostaddr *host;	 /* the one member a check writes (a cache) */
	struct sbx_jsonl *log;		 /* the decision log, or NULL */
	const struct sbx_uplink *uplink; /* --upstream-proxy, or NULL: dial directly */
	pid_t sandbox_pid;		 /* sandbox init: its process tree names who connected */
	int diag_fd;			 /* NETLINK_SOCK_DIAG in the sandbox's network namespace, or -1 */
	unsigned max_conns;
	unsigned max_head;
	uint64_t header_timeout_ms;
	uint64_t connect_timeout_ms;
	uint64_t idle_timeout_ms;
};

/*
 * accept() failed for want of descriptors or memory: the connection is still
 * in the backlog and the listener still readable, so the listeners rest for a
 * moment (gateway.c) instead of being retried at once, in a loop.
 */
static inline bool sbx_gw_accept_starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void sbx_gw_identify(const struct sbx_gw_ctx *ctx, int protocol, const struct sockaddr *peer,
		     const struct sockaddr *local, struct sbx_procinfo *who);

/* --ask-fd (ask.c): a destination no rule decides waits for the orchestrator. */
struct sbx_ask;
enum sbx_ask_result {
	SBX_ASK_ALLOW,	    /* allowed once */
	SBX_ASK_DENY,	    /* denied once */
	SBX_ASK_RULE,	    /* the answer added a rule: judge again (it may still not decide) */
	SBX_ASK_UNANSWERED, /* timed out, or the answers ended: deny */
};
struct sbx_ask_wait {
	struct sbx_list link;
	void *q; /* the question waited on, or NULL */
	/* @why: for SBX_ASK_UNANSWERED, what happened (for the log) */
	void (*done)(struct sbx_ask_wait *w, enum sbx_ask_result res, const char *why);
};
int sbx_ask_new(const struct sbx_gw_ctx *ctx, int in_fd, int out_fd, const char *id, uint64_t timeout_ms,
		struct sbx_ask **out);
bool sbx_ask_submit(struct sbx_ask *a, const char *kind, const char *proto, const struct sbx_dest *dest,
		    const struct sbx_procinfo *who, struct sbx_ask_wait *w);
void sbx_ask_cancel(struct sbx_ask *a, struct sbx_ask_wait *w);
void sbx_ask_free(struct sbx_ask *a);

struct sbx_proxy;
int sbx_proxy_new(const struct sbx_gw_ctx *ctx, struct sbx_proxy **out);
int sbx_proxy_accept(struct sbx_proxy *px, int listen_fd);
void sbx_proxy_tick(struct sbx_proxy *px, uint64_t now);
void sbx_proxy_policy_changed(struct sbx_proxy *px);
void sbx_proxy_free(struct sbx_proxy *px);

struct sbx_dnsstub;
int sbx_dnsstub_new(const struct sbx_gw_ctx *ctx, struct sbx_dnsstub **out);
void sbx_dnsstub_udp_ready(struct sbx_dnsstub *ds, int fd);
int sbx_dnsstub_tcp_accept(struct sbx_dnsstub *ds, int listen_fd);
void sbx_dnsstub_tick(struct sbx_dnsstub *ds, uint64_t now);
void sbx_dnsstub_policy_changed(struct sbx_dnsstub *ds);
void sbx_dnsstub_free(struct sbx_dnsstub *ds);

#endif
