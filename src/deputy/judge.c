// SPDX-License-Identifier: Apache-2.0
/* The open posture's judgement: a copied destination against the policy and the deny names, logged. */

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

static void log_decision(struct sbx_deputy *srv, pid_t pid, const char *proto, const struct sbx_addr *a, uint16_t port,
			 const struct sbx_decision *d, int result, uint64_t bytes)
{
	char host[SBX_POLICY_ADDR_STRLEN] = "";
	struct sbx_procinfo who;
	struct sbx_netlog_entry e = {
		.posture = "open",
		.proto = proto,
		.host = host,
		.port = port,
		.addrs = a,
		.n_addrs = 1,
		.d = d,
		.error = result < 0 ? strerror(-result) : NULL,
		.bytes_up = bytes,
	};

	sbx_policy_addr_format(a, host, sizeof(host));
	if (sbx_procinfo_read(pid, &who) == 0) {
		e.pid = who.ns_pid;
		e.comm = who.comm;
	}
	sbx_netlog_write(srv->log, &e);
}

/**
 * sbx_judge_dest() - judge the destination in @ss, our copy of the payload's.
 * @c: the call
 * @ss: the address; a unix path is rewritten to /proc/self/fd/N of the same
 *      socket file opened inside the payload's root
 * @len: its length (updated with @ss)
 * @is_send: sendto/sendmsg (an AF_UNSPEC destination is read as IPv4)
 * @deny_err: the errno a refusal answers
 *
 * Context: a worker thread.
 * Return: 0 to perform the call, else the positive errno to answer.
 */
int sbx_judge_dest(struct call *c, struct sockaddr_storage *ss, socklen_t *len, bool is_send, int deny_err)
{
	struct sbx_decision d;
	struct sbx_addr a = {0};
	uint16_t port;
	sa_family_t fam;

	if (*len < sizeof(sa_family_t))
		return 0; /* the kernel refuses it (EINVAL) on our copy */
	memcpy(&fam, ss, sizeof(fam));
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
	} else if (fam == AF_UNIX) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		size_t plen = *len - offsetof(struct sockaddr_un, sun_path);
		char path[sizeof(sun->sun_path) + 1];
		int r;

		if (*len <= offsetof(struct sockaddr_un, sun_path))
			return 0;
		if (sun->sun_path[0] == '\0')
			return EPERM; /* abstract: a host socket (same network namespace) */
		if (plen > sizeof(sun->sun_path))
			plen = sizeof(sun->sun_path);
		memcpy(path, sun->sun_path, plen);
		path[plen] = '\0';
		r = sbx_call_open_path(c, path, O_PATH | O_CLOEXEC, &c->path_fd);
		if (r < 0)
			return -r;
		if (!sbx_call_valid(c))
			return ESRCH;
		memset(sun->sun_path, 0, sizeof(sun->sun_path));
		snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d", c->path_fd);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
		return 0;
	} else {
		return 0; /* AF_UNSPEC connect (dissolve), netlink...: no network destination */
	}
	if (sbx_policy_judge_addr(c->srv->policy, &a, port, &d) == SBX_VERDICT_ALLOW)
		sbx_names_deny(c->srv->names, &a, port, &d);
	if (d.verdict == SBX_VERDICT_DENY) {
		log_decision(c->srv, (pid_t)c->req->pid, c->proto, &a, port, &d, -deny_err, 0);
		return deny_err;
	}
	if (c->srv->log)
		log_decision(c->srv, (pid_t)c->req->pid, c->proto, &a, port, &d, 0, 0);
	return 0;
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
