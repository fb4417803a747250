/* SPDX-License-Identifier: Apache-2.0 */
/* The decision log: one JSON line per network decision (--log-fd, --log-file). */
#ifndef SBX_LIB_NETLOG_H
#define SBX_LIB_NETLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/jsonl.h"
#include "sbx/policy.h"

struct sbx_netlog_entry {
	const char *posture;	      /* "blocked", "allowlist" (default when NULL) or "open" */
	const char *proto;	      /* "connect", "http", "socks5", "dns", "sendto", "sendmsg", "sendmmsg", "bind",
				"unix-connect", "unix-sendto", "unix-sendmsg", "unix-sendmmsg" */
	const char *host;	      /* as the client named it (name, address text, unix socket path) */
	uint16_t port;		      /* 0 for DNS */
	const struct sbx_addr *addrs; /* judged addresses (may be NULL) */
	size_t n_addrs;
	const struct sbx_decision *d; /* NULL: refused before the policy was asked (bad request), or judged
					 outside it (then @reason is set) */
	/* With @d NULL and @reason set: a verdict of a judge other than the policy (unix socket paths). */
	bool allow;
	const char *rule, *source, *reason;
	const char *error;   /* why the request failed or was refused outside the policy, or NULL */
	const char *checked; /* "address", "name", "name+addresses", "path"; NULL: "address" when decided, else "none" */
	uint64_t bytes_up, bytes_down; /* client -> destination, destination -> client */
	uint64_t duration_ms;
	pid_t pid;	  /* the sandbox process that asked, its pid inside the sandbox; 0: unknown */
	const char *comm; /* its command name, or NULL */
};

void sbx_netlog_write(struct sbx_jsonl *log, const struct sbx_netlog_entry *e);
const char *sbx_netlog_shown_host(const char *raw, char *buf, size_t len);

#endif
