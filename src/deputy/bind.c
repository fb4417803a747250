// SPDX-License-Identifier: Apache-2.0
/* The open posture's bind(): abstract unix names refused, every other bind performed by sbx on a duplicate, the
 * payload's unix sockets remembered. */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "lib/procinfo.h"

/*
 * In open posture the payload shares the host's network namespace, and with
 * it the abstract unix namespace: a name it binds there (@name, or an
 * autobind name) is reachable by host software that connects to abstract
 * addresses (X11's @/tmp/.X11-unix/X0, D-Bus unix:abstract=...). The filter
 * cannot see the address (it is behind a pointer), so every bind() stops in
 * the open posture's notification filter (seccomp/notify.def) and is decided
 * here, on our copy of the address:
 *
 *  - AF_UNIX, abstract name or autobind (address of sun_family only): EPERM.
 *  - AF_UNIX, a path: the socket file is created by binding our duplicate to
 *    /proc/thread-self/fd/DIR/NAME (thread-self: the worker's descriptor
 *    table is its own), DIR being the parent directory opened inside the
 *    payload's root (sbx_call_open_path()). A name longer than the room left
 *    in sun_path answers ENAMETOOLONG. The file gets the payload's umask,
 *    not sbx's (take_umask()), and is remembered as the payload's own
 *    (unix.c): the host's network namespace holds host sockets too, so the
 *    payload may connect only to sockets recorded here (or on sbx's tmpfs,
 *    or --allow-unix ones). The kernel keeps the name it was given, so
 *    getsockname() answers /proc/thread-self/fd/DIR/NAME, not the payload's
 *    path (a program that connects to the name getsockname() gave it, such
 *    as Python's multiprocessing.Manager, fails in open posture).
 *  - Any other family (inet, inet6, netlink): bound on our duplicate with
 *    our copy. sbx may hold privileges the payload does not (run as root it
 *    could bind ports below net.ipv4.ip_unprivileged_port_start), so those
 *    ports answer EACCES, as the kernel answers the payload.
 *
 * The other postures do not stop bind(): the payload's sockets live in the
 * sandbox's own network namespace, which tells them from the host's
 * (unix.c), and abstract names there are the sandbox's own.
 *
 * The call is never let through with SECCOMP_USER_NOTIF_FLAG_CONTINUE: the
 * kernel would read the address and the descriptor again, after another
 * payload thread had swapped a checked path for an abstract name or a
 * checked inet socket for a unix one.
 */

static int unprivileged_port_start(void)
{
	static int cached;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	char buf[16] = "";
	int fd;

	if (v > 0)
		return v;
	v = 1024;
	fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			v = atoi(buf);
		close(fd);
	}
	if (v <= 0)
		v = 1; /* every port is unprivileged: 0 would mean "not read yet" */
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

/*
 * The notifying thread's umask, which the kernel applies to the socket file a
 * bind() creates (ssh-agent binds with 0177 so that only its user connects).
 * A worker that has no umask of its own keeps sbx's; one whose payload's
 * cannot be read uses 0077 (the payload's user alone).
 */
static void take_umask(const struct call *c)
{
	char v[32];
	mode_t m = 0077;

	if (!sbx_deputy_own_fs)
		return;
	if (sbx_procinfo_status_field((pid_t)c->req->pid, "Umask", v, sizeof(v)) == 0)
		m = (mode_t)strtoul(v, NULL, 8) & 0777;
	umask(m);
}

static int bind_unix(struct call *c, struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t plen = len - offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(sun->sun_path) + 1], *slash;
	const char *dir, *base;
	struct sockaddr_un mine = {.sun_family = AF_UNIX};
	int dir_fd = -1, r, n;

	if (len <= offsetof(struct sockaddr_un, sun_path) || sun->sun_path[0] == '\0')
		return EPERM; /* autobind or abstract: a name in the host's abstract namespace */
	if (plen > sizeof(sun->sun_path))
		plen = sizeof(sun->sun_path);
	memcpy(path, sun->sun_path, plen);
	path[plen] = '\0';
	slash = strrchr(path, '/');
	if (!slash) {
		dir = ".";
		base = path;
	} else {
		*slash = '\0';
		dir = slash == path ? "/" : path;
		base = slash + 1;
	}
	if (!*base)
		return EINVAL; /* "dir/": what the kernel's mknod would refuse */
	r = sbx_call_open_path(c, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, &dir_fd);
	if (r < 0)
		return -r;
	n = snprintf(mine.sun_path, sizeof(mine.sun_path), "/proc/thread-self/fd/%d/%s", dir_fd, base);
	if (n < 0 || (size_t)n >= sizeof(mine.sun_path)) {
		close(dir_fd);
		return ENAMETOOLONG;
	}
	take_umask(c);
	r = sbx_call_valid(c) ? 0 : ESRCH;
	if (r == 0 && bind(c->sock_fd, (struct sockaddr *)&mine, sizeof(mine)) < 0)
		r = errno;
	/* A socket that cannot be remembered stays bound; connecting to it is refused like a host's. */
	if (r == 0)
		sbx_unix_note_bound(c->srv->doors, c->sock_fd, dir_fd, base);
	close(dir_fd);
	return r;
}

static int bind_other(struct call *c, const struct sockaddr_storage *ss, socklen_t len)
{
	uint16_t port = 0;

	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	if (port && port < unprivileged_port_start())
		return EACCES;
	return bind(c->sock_fd, (const struct sockaddr *)ss, len) < 0 ? errno : 0;
}

/**
 * sbx_perform_bind() - bind(): refused for abstract unix names, else performed on our duplicate.
 * @c: the call; answered here, unless the thread is gone
 *
 * Context: a worker thread.
 */
void sbx_perform_bind(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	struct sockaddr_storage ss;
	int domain = 0, r;
	socklen_t len, dlen = sizeof(domain);

	c->proto = "bind";
	r = sbx_judge_read_addr(c, req->data.args[1], (uint32_t)req->data.args[2], &ss, &len);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	if (!sbx_call_valid(c))
		return;
	r = sbx_call_take_fd(c, (int)req->data.args[0], &c->sock_fd);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	if (getsockopt(c->sock_fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0)
		return sbx_call_reply(c, 0, ENOTSOCK);
	if (domain == AF_UNIX)
		r = ss.ss_family == AF_UNIX ? bind_unix(c, &ss, len) : EINVAL;
	else
		r = bind_other(c, &ss, len);
	sbx_call_reply(c, 0, r);
}
