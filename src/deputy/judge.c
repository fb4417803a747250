// SPDX-License-Identifier: Apache-2.0
/* The judgement of a copied destination: open posture, against the policy and the deny names; every posture, a
 * unix socket path (unix.c); logged. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "lib/netlog.h"
#include "lib/procinfo.h"
#include "sbx/util.h"

/**
 * sbx_judge_log() - one decision-log line for an inet destination of the payload.
 * @srv: the server
 * @pid: the payload thread that asked (host view)
 * @proto: "connect", "sendto", ...
 * @a: the destination
 * @port: its port
 * @d: the decision
 * @error: why it failed or was ended (for the log), or NULL
 */
void sbx_judge_log(struct sbx_deputy *srv, pid_t pid, const char *proto, const struct sbx_addr *a, uint16_t port,
		   const struct sbx_decision *d, const char *error)
{
	char host[SBX_POLICY_ADDR_STRLEN] = "";
	struct sbx_procinfo who;
	struct sbx_netlog_entry e = {
		.posture = sbx_posture_name(srv->posture),
		.proto = proto,
		.host = host,
		.port = port,
		.addrs = a,
		.n_addrs = 1,
		.d = d,
		.error = error,
	};

	sbx_policy_addr_format(a, host, sizeof(host));
	if (sbx_procinfo_read(pid, &who) == 0) {
		e.pid = who.ns_pid;
		e.comm = who.comm;
	}
	sbx_netlog_write(srv->log, &e);
}

/*
 * A unix socket address, every posture. A path is opened inside the payload's
 * root and judged by the file found (unix.c); the call is then made to that
 * very file (/proc/thread-self/fd/N in @ss), so no rename after the check matters.
 * Refusals answer EACCES whatever the call (unix.c says why). An abstract
 * name is the host's in open posture (refused, EPERM) and the sandbox's own
 * network namespace's in the others (performed as given).
 */
static int judge_unix(struct call *c, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t plen = *len - offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(sun->sun_path) + 1], shown[sizeof(sun->sun_path) * 4 + 8], proto[32];
	const char *allowed = NULL;
	int r;

	if (*len <= offsetof(struct sockaddr_un, sun_path))
		return 0; /* no name: the kernel answers on our copy */
	if (sun->sun_path[0] == '\0')
		return c->srv->posture == SBX_POSTURE_OPEN ? EPERM : 0;
	if (plen > sizeof(sun->sun_path))
		plen = sizeof(sun->sun_path);
	memcpy(path, sun->sun_path, plen);
	path[plen] = '\0';
	r = sbx_call_open_path(c, path, O_PATH | O_CLOEXEC, &c->path_fd);
	if (r < 0)
		return -r;
	if (!sbx_call_valid(c))
		return ESRCH;
	r = sbx_unix_judge(c->srv->doors, c->path_fd, &allowed);
	if (r < 0)
		return -r;
	if (r == SBX_UNIX_HOST || r == SBX_UNIX_ALLOWED) {
		char rule[sizeof(shown)] = "";
		struct sbx_procinfo who;
		struct sbx_netlog_entry e = {
			.posture = sbx_posture_name(c->srv->posture),
			.proto = proto,
			.host = shown,
			.checked = "path",
			.allow = r == SBX_UNIX_ALLOWED,
			.rule = rule,
			.source = r == SBX_UNIX_ALLOWED ? "--allow-unix" : "built-in default",
			.reason = r == SBX_UNIX_ALLOWED
					  ? "a host unix socket that --allow-unix names"
					  : "a host unix socket (the payload reaches only sockets made in "
					    "the sandbox; --allow-unix PATH opens one)",
			.error = r == SBX_UNIX_HOST ? strerror(EACCES) : NULL,
		};

		/* The path is the payload's: quoted like every payload text, without the quotes. */
		snprintf(proto, sizeof(proto), "unix-%s", c->proto);
		sbx_quote(shown, sizeof(shown), path);
		shown[strlen(shown) - 1] = '\0';
		e.host = shown + 1;
		if (allowed) {
			sbx_quote(rule, sizeof(rule), allowed);
			rule[strlen(rule) - 1] = '\0';
			e.rule = rule + 1;
		}
		if (sbx_procinfo_read((pid_t)c->req->pid, &who) == 0) {
			e.pid = who.ns_pid;
			e.comm = who.comm;
		}
		sbx_netlog_write(c->srv->log, &e);
		if (r == SBX_UNIX_HOST)
			return EACCES;
	}
	memset(sun->sun_path, 0, sizeof(sun->sun_path));
	snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/thread-self/fd/%d", c->path_fd);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
	return 0;
}

/**
 * sbx_judge_dest() - judge the destination in @ss, our copy of the payload's.
 * @c: the call
 * @ss: the address; a unix path is rewritten to /proc/thread-self/fd/N of the same
 *      socket file opened inside the payload's root
 * @len: its length (updated with @ss)
 * @is_send: sendto/sendmsg (an AF_UNSPEC destination is read as IPv4)
 * @deny_err: the errno a refusal of an inet destination answers (a unix
 *            socket's refusal answers EACCES)
 *
 * Inet destinations are judged in open posture only: in the others the
 * payload's socket lives in the sandbox's network namespace, and the call
 * sbx performs on it is bound by that namespace's wall as the payload's
 * own would be.
 *
 * Context: a worker thread.
 * Return: 0 to perform the call, else the positive errno to answer.
 */
int sbx_judge_dest(struct call *c, struct sockaddr_storage *ss, socklen_t *len, bool is_send, int deny_err)
{
	const struct sbx_policy *p;
	struct sbx_decision d;
	struct sbx_addr a = {0};
	uint16_t port;
	sa_family_t fam;

	if (*len < sizeof(sa_family_t))
		return 0; /* the kernel refuses it (EINVAL) on our copy */
	memcpy(&fam, ss, sizeof(fam));
	if (fam == AF_UNIX)
		return judge_unix(c, ss, len);
	if (c->srv->posture != SBX_POSTURE_OPEN)
		return 0;
	if (fam == AF_INET || (fam == AF_UNSPEC && is_send)) {
		/* udp_sendmsg() reads an AF_UNSPEC destination as sockaddr_in. */
		struct sockaddr_in sin;

		if (*len < sizeof(sin))
			return 0;
		memcpy(&sin, ss, sizeof(sin));
		a.family = AF_INET;
		memcpy(a.b, &sin.sin_addr, 4);
		port = ntohs(sin.sin_port);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 sin6;

		if (*len < 24) /* SIN6_LEN_RFC2133 */
			return 0;
		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, ss, *len < sizeof(sin6) ? *len : sizeof(sin6));
		a.family = AF_INET6;
		memcpy(a.b, &sin6.sin6_addr, 16);
		port = ntohs(sin6.sin6_port);
	} else {
		return 0; /* AF_UNSPEC connect (dissolve), netlink...: no network destination */
	}
	/* The version in force, held while the decision (and its rule) is in use. */
	p = sbx_livepolicy_get(c->srv->live);
	if (sbx_policy_judge_addr(p, &a, port, &d) == SBX_VERDICT_ALLOW)
		sbx_names_deny(c->srv->names, p, &a, port, &d);
	if (d.verdict == SBX_VERDICT_DENY)
		sbx_judge_log(c->srv, (pid_t)c->req->pid, c->proto, &a, port, &d, strerror(deny_err));
	else if (c->srv->log)
		sbx_judge_log(c->srv, (pid_t)c->req->pid, c->proto, &a, port, &d, NULL);
	sbx_livepolicy_put(c->srv->live, p);
	return d.verdict == SBX_VERDICT_DENY ? deny_err : 0;
}

/**
 * sbx_judge_read_addr() - copy a socket address out of the payload's memory.
 * @c: the call
 * @ptr: its address in the payload
 * @ulen: its length as the payload gave it
 * @ss: our copy (zero-filled past @ulen)
 * @len: @ulen
 *
 * Return: 0, -EINVAL for a length the kernel would refuse, -EFAULT or -ESRCH.
 */
int sbx_judge_read_addr(struct call *c, uint64_t ptr, uint64_t ulen, struct sockaddr_storage *ss, socklen_t *len)
{
	if (ulen > sizeof(*ss) || (int64_t)ulen < 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	*len = (socklen_t)ulen;
	return sbx_call_peek(c, ptr, ss, (size_t)ulen);
}
