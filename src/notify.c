// SPDX-License-Identifier: Apache-2.0
/* Open posture: judge and perform the payload's connect/sendto/sendmsg/sendmmsg calls (seccomp user notification). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sbx/netlog.h"
#include "sbx/notify.h"
#include "sbx/resolver.h"
#include "sbx/status.h"
#include "sbx/util.h"

/*
 * Theory of operation
 *
 * The payload runs under a second seccomp filter (seccomp/notify.def) whose
 * listener only the supervisor holds. Every connect(), sendto() with an
 * address, sendmsg() and sendmmsg() stops in the kernel until we answer.
 *
 * 1. A receiver thread sits in SECCOMP_IOCTL_NOTIF_RECV. That ioctl blocks
 *    and a notification can vanish between poll() and the ioctl (its
 *    thread was signalled or killed), so it cannot live on the event loop
 *    without risking a stalled loop. It queues each notification.
 * 2. A worker thread (a pool that grows up to SBX_NOTIFY_MAX_WORKERS) takes
 *    it: reads the arguments it needs (destination, msghdr, data) from the
 *    payload's memory with process_vm_readv() into its own buffers, checks
 *    SECCOMP_IOCTL_NOTIF_ID_VALID (the thread id was not recycled while we
 *    read), judges *its copy* with the policy engine plus the addresses of
 *    exact-name deny rules, then takes a duplicate of the payload's socket
 *    with pidfd_getfd() (pidfd of the notifying thread, PIDFD_THREAD; ID_VALID
 *    again after pidfd_open) and performs the call itself with that copy.
 *    The answer is the call's own result (value or errno). No call that
 *    carries an address is ever let through with
 *    SECCOMP_USER_NOTIF_FLAG_CONTINUE: the kernel would re-read memory and
 *    descriptors another payload thread may have changed since the check.
 * 3. The duplicate shares the payload's open file description, so blocking
 *    and non-blocking sockets behave as the payload set them (EINPROGRESS,
 *    SO_SNDTIMEO, ...), and a slow blocking call ties up one worker, never
 *    the event loop.
 * 4. Refusals: connect answers ECONNREFUSED, the sends EACCES; each
 *    decision goes to the decision log (proto connect/sendto/sendmsg/sendmmsg).
 * 5. Unix sockets: the call is performed by the supervisor, whose root and
 *    working directory are not the payload's. A path is therefore opened
 *    (O_PATH) inside the payload's root (/proc/TID/root, RESOLVE_IN_ROOT,
 *    relative paths from /proc/TID/cwd) and the call is made to
 *    /proc/self/fd/N. Abstract addresses are refused (EPERM): they live in
 *    the host's network namespace, so they would be host sockets.
 * 6. Exact-name deny rules are resolved at start and again every
 *    SBX_NOTIFY_REFRESH_SEC seconds on the event loop (the resolver pool);
 *    a failed refresh keeps the previous addresses.
 */

#define SBX_NOTIFY_MAX_WORKERS 64
#define SBX_NOTIFY_MAX_DATA (4u << 20)	/* bytes copied per send; larger stream sends are short writes */
#define SBX_NOTIFY_MAX_CONTROL 65536
#define SBX_NOTIFY_MAX_IOV 1024		/* UIO_MAXIOV */
#define SBX_NOTIFY_MAX_NAME_ADDRS SBX_RESOLVE_MAX_ADDRS

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct job {
	struct seccomp_notif req;
	struct job *next;
};

struct deny_name {
	char host[SBX_POLICY_HOST_MAX];
	const struct sbx_rule *rule;
	struct sbx_addr addrs[SBX_NOTIFY_MAX_NAME_ADDRS];
	size_t n_addrs;
	struct sbx_resolve_req *pending;
	struct sbx_notify *owner;
};

struct sbx_notify {
	struct sbx_loop *loop;
	const struct sbx_policy *policy;
	int log_fd;
	int listener_fd;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	pthread_t receiver;
	bool receiver_started;
	pthread_t workers[SBX_NOTIFY_MAX_WORKERS];
	unsigned n_workers, n_idle;
	bool stopping;

	pthread_rwlock_t names_lock;
	struct deny_name *names;
	size_t n_names;
	struct sbx_resolver *resolver;
	int timer_fd;
	struct sbx_watch timer_w;
};

static int sbx_notify_sig(void)
{
	return SIGRTMIN + 4;
}

static void on_notify_sig(int sig)
{
	(void)sig;
}

/* ---- exact-name deny rules ---------------------------------------------- */

static size_t resolve_now(const char *host, struct sbx_addr *out, size_t max)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	size_t n = 0;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
		struct sbx_addr a = {.family = (sa_family_t)ai->ai_family};

		if (ai->ai_family == AF_INET)
			memcpy(a.b, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		else if (ai->ai_family == AF_INET6)
			memcpy(a.b, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		else
			continue;
		out[n++] = a;
	}
	freeaddrinfo(res);
	return n;
}

static void on_refreshed(void *ctx, int err, const struct sbx_addr *addrs, size_t n)
{
	struct deny_name *dn = ctx;

	dn->pending = NULL;
	if (err < 0 || n == 0)
		return; /* keep what we had: a resolver hiccup must not lift a deny */
	if (n > SBX_NOTIFY_MAX_NAME_ADDRS)
		n = SBX_NOTIFY_MAX_NAME_ADDRS;
	pthread_rwlock_wrlock(&dn->owner->names_lock);
	memcpy(dn->addrs, addrs, n * sizeof(*addrs));
	dn->n_addrs = n;
	pthread_rwlock_unlock(&dn->owner->names_lock);
}

static void on_refresh_timer(struct sbx_loop *loop, struct sbx_watch *w, uint32_t events)
{
	struct sbx_notify *n = (struct sbx_notify *)((char *)w - offsetof(struct sbx_notify, timer_w));
	uint64_t ticks;

	(void)loop;
	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (size_t i = 0; i < n->n_names; i++) {
		struct deny_name *dn = &n->names[i];

		if (!dn->pending)
			sbx_resolver_submit(n->resolver, dn->host, on_refreshed, dn, &dn->pending);
	}
}

/* Collect exact-name deny rules; refuse wildcard deny rules, which cannot be enforced. */
static int collect_names(struct sbx_notify *n, char *err, size_t errlen)
{
	size_t count = sbx_policy_rule_count(n->policy);

	n->names = calloc(count ? count : 1, sizeof(*n->names));
	if (!n->names)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct sbx_rule *r = sbx_policy_rule_at(n->policy, i);
		char host[SBX_POLICY_HOST_MAX];
		bool wild;

		if (!sbx_policy_rule_is_deny(r) || sbx_policy_rule_host(r, host, sizeof(host), &wild) != 1)
			continue;
		if (wild) {
			snprintf(err, errlen,
				 "--network=open cannot enforce the wildcard deny rule '%s': a payload that does its "
				 "own DNS reaches subdomains sbx never saw; deny their addresses or exact names, or "
				 "use --network=allowlist",
				 sbx_policy_rule_text(r));
			return -EINVAL;
		}
		struct deny_name *dn = &n->names[n->n_names++];
		snprintf(dn->host, sizeof(dn->host), "%s", host);
		dn->rule = r;
		dn->owner = n;
		dn->n_addrs = resolve_now(host, dn->addrs, SBX_NOTIFY_MAX_NAME_ADDRS);
	}
	return 0;
}

/* IPv4-mapped IPv6 is the IPv4 address it carries: the kernel connects to exactly that. */
static void unmap(const struct sbx_addr *in, struct sbx_addr *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	*out = *in;
	if (in->family == AF_INET6 && memcmp(in->b, mapped, 12) == 0) {
		out->family = AF_INET;
		memmove(out->b, in->b + 12, 4);
		memset(out->b + 4, 0, 12);
	}
}

static bool names_deny(struct sbx_notify *n, const struct sbx_addr *a, uint16_t port, struct sbx_decision *d)
{
	struct sbx_addr u;
	bool hit = false;

	if (!n->n_names)
		return false;
	unmap(a, &u);
	pthread_rwlock_rdlock(&n->names_lock);
	for (size_t i = 0; i < n->n_names && !hit; i++) {
		const struct deny_name *dn = &n->names[i];

		if (!sbx_policy_rule_port_match(dn->rule, port))
			continue;
		for (size_t k = 0; k < dn->n_addrs; k++) {
			if (dn->addrs[k].family == u.family &&
			    memcmp(dn->addrs[k].b, u.b, u.family == AF_INET ? 4 : 16) == 0) {
				memset(d, 0, sizeof(*d));
				d->verdict = SBX_VERDICT_DENY;
				d->reason = SBX_REASON_RULE;
				d->rule = dn->rule;
				d->has_addr = true;
				d->addr = u;
				hit = true;
				break;
			}
		}
	}
	pthread_rwlock_unlock(&n->names_lock);
	return hit;
}

/* ---- decision log --------------------------------------------------------- */

static void log_decision(struct sbx_notify *n, const char *proto, const struct sbx_addr *a, uint16_t port,
			 const struct sbx_decision *d, int result, uint64_t bytes)
{
	char host[SBX_POLICY_ADDR_STRLEN] = "";
	struct sbx_netlog_entry e = {
		.posture = "open", .proto = proto, .host = host, .port = port, .addrs = a, .n_addrs = 1, .d = d,
		.error = result < 0 ? strerror(-result) : NULL, .bytes_up = bytes,
	};

	sbx_policy_addr_format(a, host, sizeof(host));
	sbx_netlog_write(n->log_fd, &e);
}

/* ---- one notification ------------------------------------------------------ */

struct call {
	struct sbx_notify *n;
	const struct seccomp_notif *req;
	int pidfd;	/* of the notifying thread, -1 until needed */
	int sock_fd;	/* the duplicate, -1 until needed */
	int path_fd;	/* unix path opened in the payload's root, or -1 */
	const char *proto;
};

static bool still_valid(const struct call *c)
{
	uint64_t id = c->req->id;

	return ioctl(c->n->listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static int peek(const struct call *c, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
	ssize_t r;

	if (len == 0)
		return 0;
	r = process_vm_readv((pid_t)c->req->pid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)r == len ? 0 : -EFAULT;
}

static int poke(const struct call *c, uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = {.iov_base = (void *)buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};

	return process_vm_writev((pid_t)c->req->pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

static int thread_pidfd(struct call *c)
{
	if (c->pidfd >= 0)
		return 0;
	c->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)c->req->pid, PIDFD_THREAD);
	if (c->pidfd < 0 && errno == EINVAL) {
		/* Kernel before 6.9: the thread group's pidfd (threads normally share the table). */
		char path[64], buf[512];
		int fd, tgid = -1;
		ssize_t k;

		snprintf(path, sizeof(path), "/proc/%u/status", c->req->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			k = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (k > 0) {
				char *t;
				buf[k] = '\0';
				t = strstr(buf, "\nTgid:");
				if (t)
					tgid = atoi(t + 6);
			}
		}
		if (tgid > 0)
			c->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	}
	if (c->pidfd < 0)
		return -ESRCH;
	/* The thread id named the notifying thread when we opened it, not a recycled one. */
	return still_valid(c) ? 0 : -ESRCH;
}

static int take_fd(struct call *c, int remote_fd, int *out)
{
	int r = thread_pidfd(c), fd;

	if (r < 0)
		return r;
	fd = (int)syscall(SYS_pidfd_getfd, c->pidfd, remote_fd, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : -EBADF;
	*out = fd;
	return 0;
}

static void reply(const struct call *c, int64_t val, int err)
{
	struct seccomp_notif_resp resp = {.id = c->req->id, .val = err ? 0 : val, .error = err ? -err : 0};

	/* ENOENT: the thread is gone or was interrupted; nothing is waiting for the answer. */
	ioctl(c->n->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * Judge the destination in @ss (our copy). Return 0 to perform the call,
 * else the positive errno to answer. Unix path addresses are rewritten to
 * /proc/self/fd/N of the same socket file opened inside the payload's root.
 */
static int judge(struct call *c, struct sockaddr_storage *ss, socklen_t *len, bool is_send, int deny_err)
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
		char path[PATH_MAX + sizeof(sun->sun_path) + 2], link[64];
		struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
		int root_fd;

		if (*len <= offsetof(struct sockaddr_un, sun_path))
			return 0;
		if (sun->sun_path[0] == '\0')
			return EPERM; /* abstract: a host socket (same network namespace) */
		if (plen > sizeof(sun->sun_path))
			plen = sizeof(sun->sun_path);
		path[0] = '\0';
		if (sun->sun_path[0] != '/') {
			ssize_t k;

			snprintf(link, sizeof(link), "/proc/%u/cwd", c->req->pid);
			k = readlink(link, path, PATH_MAX);
			if (k < 0)
				return EACCES;
			path[k++] = '/';
			path[k] = '\0';
		}
		strncat(path, sun->sun_path, plen);
		snprintf(link, sizeof(link), "/proc/%u/root", c->req->pid);
		root_fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			return EACCES;
		c->path_fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		close(root_fd);
		if (c->path_fd < 0)
			return errno == ENOENT || errno == ENOTDIR ? ENOENT : errno;
		if (!still_valid(c))
			return ESRCH;
		memset(sun->sun_path, 0, sizeof(sun->sun_path));
		snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d", c->path_fd);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sun->sun_path) + 1);
		return 0;
	} else {
		return 0; /* AF_UNSPEC connect (dissolve), netlink...: no network destination */
	}
	if (sbx_policy_judge_addr(c->n->policy, &a, port, &d) == SBX_VERDICT_ALLOW)
		names_deny(c->n, &a, port, &d);
	if (d.verdict == SBX_VERDICT_DENY) {
		log_decision(c->n, c->proto, &a, port, &d, -deny_err, 0);
		return deny_err;
	}
	if (c->n->log_fd >= 0)
		log_decision(c->n, c->proto, &a, port, &d, 0, 0);
	return 0;
}

static int read_addr(struct call *c, uint64_t ptr, uint64_t ulen, struct sockaddr_storage *ss, socklen_t *len)
{
	if (ulen > sizeof(*ss) || (int64_t)ulen < 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	*len = (socklen_t)ulen;
	return peek(c, ptr, ss, (size_t)ulen);
}

static void do_connect(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	c->proto = "connect";
	r = read_addr(c, req->data.args[1], (uint32_t)req->data.args[2], &ss, &len);
	if (r < 0)
		return reply(c, 0, -r);
	if (!still_valid(c))
		return;
	r = judge(c, &ss, &len, false, ECONNREFUSED);
	if (r)
		return reply(c, 0, r);
	r = take_fd(c, (int)req->data.args[0], &c->sock_fd);
	if (r < 0)
		return reply(c, 0, -r);
	if (connect(c->sock_fd, (struct sockaddr *)&ss, len) < 0)
		return reply(c, 0, errno);
	reply(c, 0, 0);
}

/* The payload asked for SIGPIPE semantics: deliver it to the calling thread, as the kernel would. */
static void maybe_sigpipe(struct call *c, int err, int flags)
{
	if (err == EPIPE && !(flags & MSG_NOSIGNAL) && c->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGPIPE, NULL, 0);
}

/* Copy the data of @iov (payload addresses) into one buffer; stream sockets may get a short copy. */
static int gather(struct call *c, const struct iovec *iov, size_t n_iov, bool stream, char **buf, size_t *len)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n_iov; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	if (total > SBX_NOTIFY_MAX_DATA) {
		if (!stream)
			return -EMSGSIZE;
		total = SBX_NOTIFY_MAX_DATA;
	}
	*buf = malloc(total ? total : 1);
	if (!*buf)
		return -ENOBUFS;
	for (size_t i = 0; i < n_iov && off < total; i++) {
		size_t k = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;
		int r = peek(c, (uint64_t)(uintptr_t)iov[i].iov_base, *buf + off, k);

		if (r < 0) {
			free(*buf);
			*buf = NULL;
			return r;
		}
		off += k;
	}
	*len = total;
	return 0;
}

static bool is_stream(int fd)
{
	int type = 0;
	socklen_t l = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_STREAM;
}

static void do_sendto(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)req->data.args[1], .iov_len = (size_t)req->data.args[2]};
	int flags = (int)req->data.args[3];
	char *data = NULL;
	size_t dlen;
	socklen_t len;
	ssize_t k;
	int r;

	c->proto = "sendto";
	r = read_addr(c, req->data.args[4], (uint32_t)req->data.args[5], &ss, &len);
	if (r < 0)
		return reply(c, 0, -r);
	if (!still_valid(c))
		return;
	r = judge(c, &ss, &len, true, EACCES);
	if (r)
		return reply(c, 0, r);
	r = take_fd(c, (int)req->data.args[0], &c->sock_fd);
	if (r < 0)
		return reply(c, 0, -r);
	r = gather(c, &iov, 1, is_stream(c->sock_fd), &data, &dlen);
	if (r < 0)
		return reply(c, 0, -r);
	k = sendto(c->sock_fd, data, dlen, flags | MSG_NOSIGNAL, (struct sockaddr *)&ss, len);
	r = k < 0 ? errno : 0;
	free(data);
	maybe_sigpipe(c, r, flags);
	reply(c, k, r);
}

/*
 * One msghdr of sendmsg()/sendmmsg(): copy name, iovec, data and control,
 * judge, translate SCM_RIGHTS descriptors (payload numbers -> our duplicates),
 * send on the duplicate socket. Return bytes sent or a negative errno.
 */
static ssize_t send_one(struct call *c, uint64_t msg_addr, int flags)
{
	struct msghdr um, m = {0};
	struct sockaddr_storage ss;
	struct iovec *uiov = NULL, one;
	char *data = NULL, *ctl = NULL;
	int passed[SBX_NOTIFY_MAX_CONTROL / sizeof(int)];
	size_t n_passed = 0, dlen = 0;
	socklen_t len = 0;
	ssize_t ret = 0;
	int r;

	r = peek(c, msg_addr, &um, sizeof(um));
	if (r < 0)
		return r;
	if (um.msg_name && um.msg_namelen) {
		r = read_addr(c, (uint64_t)(uintptr_t)um.msg_name, um.msg_namelen, &ss, &len);
		if (r < 0)
			return r;
	}
	if (um.msg_iovlen > SBX_NOTIFY_MAX_IOV)
		return -EMSGSIZE;
	if (um.msg_controllen > SBX_NOTIFY_MAX_CONTROL)
		return -ENOBUFS;
	if (!still_valid(c))
		return -ESRCH;
	if (len) {
		r = judge(c, &ss, &len, true, EACCES);
		if (r)
			return -r;
		m.msg_name = &ss;
		m.msg_namelen = len;
	}
	if (c->sock_fd < 0) {
		r = take_fd(c, (int)c->req->data.args[0], &c->sock_fd);
		if (r < 0)
			return r;
	}
	uiov = calloc(um.msg_iovlen ? um.msg_iovlen : 1, sizeof(*uiov));
	if (!uiov)
		return -ENOBUFS;
	r = peek(c, (uint64_t)(uintptr_t)um.msg_iov, uiov, um.msg_iovlen * sizeof(*uiov));
	if (r == 0)
		r = gather(c, uiov, um.msg_iovlen, is_stream(c->sock_fd), &data, &dlen);
	free(uiov);
	if (r < 0)
		return r;
	if (um.msg_control && um.msg_controllen) {
		ctl = malloc(um.msg_controllen);
		r = ctl ? peek(c, (uint64_t)(uintptr_t)um.msg_control, ctl, um.msg_controllen) : -ENOBUFS;
		if (r < 0)
			goto out;
		m.msg_control = ctl;
		m.msg_controllen = um.msg_controllen;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len < CMSG_LEN(0))
				continue;
			for (size_t i = 0; i < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd, mine;

				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
				r = take_fd(c, fd, &mine);
				if (r < 0)
					goto out;
				passed[n_passed++] = mine;
				memcpy(CMSG_DATA(h) + i * sizeof(int), &mine, sizeof(int));
			}
		}
	}
	one = (struct iovec){.iov_base = data, .iov_len = dlen};
	m.msg_iov = &one;
	m.msg_iovlen = 1;
	ret = sendmsg(c->sock_fd, &m, flags | MSG_NOSIGNAL);
	r = ret < 0 ? -errno : 0;
	maybe_sigpipe(c, -r, flags);
out:
	for (size_t i = 0; i < n_passed; i++)
		close(passed[i]);
	free(ctl);
	free(data);
	return r < 0 ? r : ret;
}

static void do_sendmsg(struct call *c)
{
	ssize_t k;

	c->proto = "sendmsg";
	k = send_one(c, c->req->data.args[1], (int)c->req->data.args[2]);
	if (k == -ESRCH)
		return;
	reply(c, k < 0 ? 0 : k, k < 0 ? (int)-k : 0);
}

static void do_sendmmsg(struct call *c)
{
	uint64_t vec = c->req->data.args[1];
	unsigned vlen = (unsigned)c->req->data.args[2];
	int flags = (int)c->req->data.args[3];
	unsigned sent = 0;
	ssize_t k = 0;

	c->proto = "sendmmsg";
	if (vlen > SBX_NOTIFY_MAX_IOV)
		vlen = SBX_NOTIFY_MAX_IOV;
	for (; sent < vlen; sent++) {
		uint64_t at = vec + (uint64_t)sent * sizeof(struct mmsghdr);
		unsigned int msg_len;

		k = send_one(c, at, flags);
		if (k < 0)
			break;
		msg_len = (unsigned int)k;
		if (poke(c, at + offsetof(struct mmsghdr, msg_len), &msg_len, sizeof(msg_len)) < 0) {
			k = -EFAULT;
			break;
		}
		if (c->path_fd >= 0) {
			close(c->path_fd);
			c->path_fd = -1;
		}
	}
	if (k == -ESRCH)
		return;
	if (sent > 0)
		return reply(c, sent, 0);
	reply(c, 0, k < 0 ? (int)-k : 0);
}

static void handle(struct sbx_notify *n, const struct seccomp_notif *req)
{
	struct call c = {.n = n, .req = req, .pidfd = -1, .sock_fd = -1, .path_fd = -1};

	switch (req->data.nr) {
	case SYS_connect:
		do_connect(&c);
		break;
	case SYS_sendto:
		do_sendto(&c);
		break;
	case SYS_sendmsg:
		do_sendmsg(&c);
		break;
	case SYS_sendmmsg:
		do_sendmmsg(&c);
		break;
	default:
		reply(&c, 0, ENOSYS);
		break;
	}
	if (c.sock_fd >= 0)
		close(c.sock_fd);
	if (c.path_fd >= 0)
		close(c.path_fd);
	if (c.pidfd >= 0)
		close(c.pidfd);
}

/* ---- threads -------------------------------------------------------------- */

static void unblock_notify_sig(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sbx_notify_sig());
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

static void *worker_main(void *arg)
{
	struct sbx_notify *n = arg;

	unblock_notify_sig();
	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct job *j;

		while (!n->head && !n->stopping)
			pthread_cond_wait(&n->cv, &n->mu);
		if (n->stopping)
			break;
		j = n->head;
		n->head = j->next;
		if (!n->head)
			n->tail = NULL;
		n->n_idle--;
		pthread_mutex_unlock(&n->mu);
		handle(n, &j->req);
		free(j);
		pthread_mutex_lock(&n->mu);
		n->n_idle++;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

static void *receiver_main(void *arg)
{
	struct sbx_notify *n = arg;

	unblock_notify_sig();
	for (;;) {
		struct job *j = calloc(1, sizeof(*j));

		if (!j) {
			usleep(1000);
			continue;
		}
		if (ioctl(n->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, &j->req) < 0) {
			int e = errno;

			free(j);
			if (__atomic_load_n(&n->stopping, __ATOMIC_ACQUIRE))
				break;
			if (e == EINTR || e == ENOENT)
				continue;
			break; /* the listener is dead: no filter user is left */
		}
		pthread_mutex_lock(&n->mu);
		if (n->tail)
			n->tail->next = j;
		else
			n->head = j;
		n->tail = j;
		if (n->n_idle == 0 && n->n_workers < SBX_NOTIFY_MAX_WORKERS &&
		    pthread_create(&n->workers[n->n_workers], NULL, worker_main, n) == 0) {
			n->n_workers++;
			n->n_idle++;
		}
		pthread_cond_signal(&n->cv);
		pthread_mutex_unlock(&n->mu);
	}
	return NULL;
}

/* ---- public ------------------------------------------------------------- */

/**
 * sbx_notify_new() - prepare the open posture's supervisor side.
 * @loop: the supervisor's event loop (name refreshes run on it)
 * @policy: the built policy (posture open); must outlive the result
 * @log_fd: decision log, or -1
 * @out: the new object
 * @err: one user-facing line on refusal
 * @errlen: size of @err
 *
 * Refuses wildcard deny rules (they cannot be enforced against a payload
 * that resolves names itself) and resolves every exact-name deny rule once,
 * before the payload starts.
 *
 * Context: the supervisor, before clone.
 * Return: 0, -EINVAL with @err set, or a negative errno.
 */
int sbx_notify_new(struct sbx_loop *loop, const struct sbx_policy *policy, int log_fd, struct sbx_notify **out,
		   char *err, size_t errlen)
{
	struct sbx_notify *n = calloc(1, sizeof(*n));
	struct sigaction sa = {.sa_handler = on_notify_sig};
	int r;

	*out = NULL;
	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->policy = policy;
	n->log_fd = log_fd;
	n->listener_fd = -1;
	n->timer_fd = -1;
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	pthread_rwlock_init(&n->names_lock, NULL);
	/* No SA_RESTART: it interrupts the receiver's blocking ioctl at shutdown. */
	sigemptyset(&sa.sa_mask);
	sigaction(sbx_notify_sig(), &sa, NULL);

	r = collect_names(n, err, errlen);
	if (r < 0)
		goto fail;
	if (n->n_names) {
		struct itimerspec its = {.it_interval = {.tv_sec = SBX_NOTIFY_REFRESH_SEC},
					 .it_value = {.tv_sec = SBX_NOTIFY_REFRESH_SEC}};

		r = sbx_resolver_new(loop, &n->resolver);
		if (r < 0)
			goto fail;
		n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (n->timer_fd < 0 || timerfd_settime(n->timer_fd, 0, &its, NULL) < 0) {
			r = -errno;
			goto fail;
		}
		n->timer_w = (struct sbx_watch){.cb = on_refresh_timer, .fd = n->timer_fd};
		r = sbx_loop_watch(loop, &n->timer_w, EPOLLIN);
		if (r < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	if (r != -EINVAL)
		snprintf(err, errlen, "preparing the open posture: %s", strerror(-r));
	sbx_notify_free(n);
	return r;
}

/**
 * sbx_notify_start() - serve the payload's seccomp listener.
 * @n: from sbx_notify_new()
 * @listener_fd: the listener (ownership taken)
 *
 * Context: the supervisor's event loop, when sandbox init hands the listener over.
 * Return: 0, -EBUSY if already started, or a negative errno.
 */
int sbx_notify_start(struct sbx_notify *n, int listener_fd)
{
	int r;

	if (n->listener_fd >= 0) {
		close(listener_fd);
		return -EBUSY;
	}
	n->listener_fd = listener_fd;
	r = pthread_create(&n->receiver, NULL, receiver_main, n);
	if (r != 0)
		return -r;
	n->receiver_started = true;
	return 0;
}

/**
 * sbx_notify_free() - stop the threads and release everything.
 * @n: the object, or NULL
 *
 * Workers blocked in a call (a slow connect) are interrupted with a signal.
 */
void sbx_notify_free(struct sbx_notify *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	__atomic_store_n(&n->stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	if (n->receiver_started) {
		pthread_kill(n->receiver, sbx_notify_sig());
		pthread_join(n->receiver, NULL);
	}
	for (unsigned i = 0; i < n->n_workers; i++) {
		pthread_kill(n->workers[i], sbx_notify_sig());
		pthread_join(n->workers[i], NULL);
	}
	while (n->head) {
		struct job *j = n->head;
		n->head = j->next;
		free(j);
	}
	for (size_t i = 0; i < n->n_names; i++)
		if (n->names[i].pending)
			sbx_resolver_cancel(n->names[i].pending);
	sbx_resolver_free(n->resolver);
	if (n->timer_fd >= 0) {
		sbx_loop_unwatch(n->loop, &n->timer_w);
		close(n->timer_fd);
	}
	if (n->listener_fd >= 0)
		close(n->listener_fd);
	free(n->names);
	pthread_rwlock_destroy(&n->names_lock);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
