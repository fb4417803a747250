// SPDX-License-Identifier: Apache-2.0
/* Open posture: after a policy change, shut the payload's connections that the new version denies. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "lib/procinfo.h"
#include "lib/sockaddr.h"

/*
 * In open posture the payload owns its sockets: sbx performed each connect
 * but keeps no copy (a copy would keep a connection the payload closed
 * alive). When a change denies a destination, sbx walks the sandbox's
 * process tree (lib/procinfo.c), takes a copy of each connected inet socket
 * (pidfd_getfd(): sbx is their ancestor and owns their user namespace),
 * judges its peer with the new version, and shuts a denied one down both
 * ways: the payload reads end of stream and its writes fail with EPIPE.
 * Each socket is judged once however many descriptors share it. The walk
 * is bounded by what the sandbox has open and runs only on a change.
 *
 * A walk that could not look everywhere (sbx out of descriptors or memory:
 * a /proc directory, a pidfd or a socket copy it could not open) says so,
 * and the server runs it again shortly (server.c): a change must not stay
 * unenforced because sbx was short of descriptors at that moment.
 */

#define SBX_SWEEP_MAX_SOCKETS 65536
#define SBX_SWEEP_MAX_PROCS 4096

struct seen {
	ino_t *ino;
	size_t n, cap;
	bool short_of; /* something could not be opened for want of descriptors or memory */
};

static bool starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
}

/* Whether @ino was judged already; notes it if not. */
static bool seen_before(struct seen *s, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ino[i] == ino)
			return true;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		ino_t *n;

		if (cap > SBX_SWEEP_MAX_SOCKETS)
			return true; /* judged enough: the rest on the next change */
		if (!(n = realloc(s->ino, cap * sizeof(*n)))) {
			s->short_of = true;
			return true;
		}
		s->ino = n;
		s->cap = cap;
	}
	s->ino[s->n++] = ino;
	return false;
}

/* Judge one descriptor of @pid: shut it down when it is a connected inet socket the policy now denies. */
static void judge_fd(struct sbx_deputy *srv, const struct sbx_policy *p, pid_t pid, int pidfd, int fd,
		     struct seen *seen)
{
	union sbx_sockaddr peer;
	socklen_t len = sizeof(peer);
	struct sbx_decision d;
	struct sbx_addr a = {0};
	uint16_t port;
	int sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0), type = 0;
	socklen_t tl = sizeof(type);

	if (sfd < 0) {
		seen->short_of |= starved(errno);
		return;
	}
	if (getpeername(sfd, &peer.sa, &len) < 0 || getsockopt(sfd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    (peer.sa.sa_family != AF_INET && peer.sa.sa_family != AF_INET6)) {
		close(sfd);
		return;
	}
	if (peer.sa.sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.b, &peer.in.sin_addr, 4);
		port = ntohs(peer.in.sin_port);
	} else {
		a.family = AF_INET6;
		memcpy(a.b, &peer.in6.sin6_addr, 16);
		port = ntohs(peer.in6.sin6_port);
	}
	if (sbx_policy_judge_addr(p, &a, port, &d) == SBX_VERDICT_ALLOW)
		sbx_names_deny(srv->names, p, &a, port, &d);
	if (d.verdict == SBX_VERDICT_DENY) {
		shutdown(sfd, SHUT_RDWR);
		sbx_judge_log(srv, pid, type == SOCK_STREAM ? "connect" : "sendto", &a, port, &d,
			      "closed: a policy change denies it");
	}
	close(sfd);
}

static void sweep_process(struct sbx_deputy *srv, const struct sbx_policy *p, pid_t pid, struct seen *seen)
{
	char path[64], link[64];
	struct dirent *de;
	DIR *dir;
	int pidfd;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir) {
		seen->short_of |= starved(errno);
		return;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		seen->short_of |= starved(errno);
	while (pidfd >= 0 && (de = readdir(dir))) {
		ssize_t n;
		unsigned long long ino;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1 || seen_before(seen, (ino_t)ino))
			continue;
		fd = atoi(de->d_name);
		judge_fd(srv, p, pid, pidfd, fd, seen);
	}
	if (pidfd >= 0)
		close(pidfd);
	closedir(dir);
}

struct sweep {
	struct sbx_deputy *srv;
	const struct sbx_policy *p;
	struct seen seen;
};

static bool sweep_one(pid_t pid, void *arg)
{
	struct sweep *sw = arg;

	sweep_process(sw->srv, sw->p, pid, &sw->seen);
	return false;
}

/**
 * sbx_sweep_denied() - shut every connection of the payload that the policy in force denies.
 * @srv: the server (open posture)
 *
 * Context: the supervisor's event loop, after a change (and when a deny
 * name's addresses change).
 * Return: true when every process and socket was looked at; false when sbx
 * was short of descriptors or memory somewhere (run it again).
 */
bool sbx_sweep_denied(struct sbx_deputy *srv)
{
	struct sweep sw = {.srv = srv};
	bool done;

	if (!srv->live || srv->sandbox_pid <= 0)
		return true;
	sw.p = sbx_livepolicy_get(srv->live);
	done = sbx_procinfo_walk(srv->sandbox_pid, SBX_SWEEP_MAX_PROCS, sweep_one, &sw) >= 0;
	sbx_livepolicy_put(srv->live, sw.p);
	done = done && !sw.seen.short_of;
	free(sw.seen.ino);
	return done;
}
