// SPDX-License-Identifier: Apache-2.0
/* One notification: the payload's memory and descriptors as the notifying thread sees them, and the answer. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"
#include "lib/procinfo.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/**
 * sbx_call_valid() - whether the notifying thread still waits for this answer.
 * @c: the call
 *
 * Checked after every read of the payload's memory: a thread id that was
 * recycled while we read must not get our answer, and what we read must
 * have come from the thread that asked.
 *
 * Return: true while the notification is live.
 */
bool sbx_call_valid(const struct call *c)
{
	uint64_t id = c->req->id;

	return ioctl(c->srv->listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/**
 * sbx_call_peek() - copy @len bytes of the payload's memory at @addr into @buf.
 * @c: the call
 * @addr: an address in the notifying thread's memory
 * @buf: our buffer
 * @len: bytes to copy
 *
 * Return: 0, -EFAULT for an unreadable or short range, -ESRCH if the thread is gone.
 */
int sbx_call_peek(const struct call *c, uint64_t addr, void *buf, size_t len)
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

/**
 * sbx_call_poke() - write @len bytes into the payload's memory at @addr.
 * @c: the call
 * @addr: an address in the notifying thread's memory
 * @buf: the bytes
 * @len: how many
 *
 * Return: 0, or -EFAULT.
 */
int sbx_call_poke(const struct call *c, uint64_t addr, const void *buf, size_t len)
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
		char v[32];
		int tgid = -1;

		if (sbx_procinfo_status_field((pid_t)c->req->pid, "Tgid", v, sizeof(v)) == 0)
			tgid = atoi(v);
		if (tgid > 0)
			c->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	}
	if (c->pidfd < 0)
		return -ESRCH;
	/* The thread id named the notifying thread when we opened it, not a recycled one. */
	return sbx_call_valid(c) ? 0 : -ESRCH;
}

/**
 * sbx_call_take_fd() - a duplicate of one of the notifying thread's descriptors.
 * @c: the call (its thread's pidfd is opened on first use)
 * @remote_fd: the descriptor number in the payload
 * @out: our duplicate (close-on-exec), which shares the open file description
 *
 * Return: 0, -EBADF, -ENOBUFS when sbx is short of descriptors or memory,
 * or -ESRCH if the thread is gone.
 */
int sbx_call_take_fd(struct call *c, int remote_fd, int *out)
{
	int r = thread_pidfd(c), fd;

	if (r < 0)
		return r;
	fd = (int)syscall(SYS_pidfd_getfd, c->pidfd, remote_fd, 0);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM))
		return -ENOBUFS; /* sbx ran short, not the payload: nothing was done, it may retry */
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : -EBADF;
	*out = fd;
	return 0;
}

/**
 * sbx_call_reply() - answer the notification: the call's return value, or an errno.
 * @c: the call
 * @val: the value the payload's syscall returns when @err is 0
 * @err: a positive errno, or 0
 */
void sbx_call_reply(const struct call *c, int64_t val, int err)
{
	struct seccomp_notif_resp resp = {.id = c->req->id, .val = err ? 0 : val, .error = err ? -err : 0};

	/* ENOENT: the thread is gone or was interrupted; nothing is waiting for the answer. */
	ioctl(c->srv->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * "/proc/self/fd/N", "/proc/thread-self/fd/N" and "/dev/fd/N", alone or
 * followed by "/REST": the payload's own descriptor N (programs reach
 * socket paths longer than sun_path this way, through an O_PATH directory).
 * Resolved by sbx inside the payload's root they would name nothing ("self"
 * is the reader, and sbx is not in the sandbox's PID namespace).
 * Return: true with *@fd and *@rest (NULL when nothing follows) set.
 */
static bool fd_path(const char *path, int *fd, const char **rest)
{
	static const char *const prefixes[] = {"/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/"};
	const char *p = NULL;
	long n = 0;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !p; i++)
		if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
			p = path + strlen(prefixes[i]);
	if (!p || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
			return false;
	}
	if (*p && *p != '/')
		return false;
	while (*p == '/')
		p++;
	*fd = (int)n;
	*rest = *p ? p : NULL;
	return true;
}

/* @path through the payload's descriptor @remote: the descriptor itself, or REST beneath it. */
static int open_beneath_fd(struct call *c, int remote, const char *rest, int o_flags, int *out)
{
	struct open_how how = {.flags = (uint64_t)o_flags, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	int base = -1, fd, r;
	struct stat st;

	r = sbx_call_take_fd(c, remote, &base);
	if (r < 0)
		return r;
	if (!rest) {
		if ((o_flags & O_DIRECTORY) && (fstat(base, &st) < 0 || !S_ISDIR(st.st_mode))) {
			close(base);
			return -ENOTDIR;
		}
		*out = base;
		return 0;
	}
	fd = (int)syscall(SYS_openat2, base, rest, &how, sizeof(how));
	r = fd < 0 ? -errno : 0;
	close(base);
	if (r < 0)
		return r == -ENOTDIR ? -ENOENT : r;
	*out = fd;
	return 0;
}

/**
 * sbx_call_open_path() - open @path as the notifying thread would find it.
 * @c: the call
 * @path: absolute, or relative to the thread's working directory
 * @o_flags: open flags (O_PATH | O_CLOEXEC, with O_DIRECTORY for a directory)
 * @out: the descriptor
 *
 * The supervisor's root and working directory are not the payload's, so the
 * path is resolved inside the payload's root (/proc/TID/root with
 * RESOLVE_IN_ROOT: ".." and absolute symlinks stay inside it), a relative
 * one from the thread's working directory as that root shows it. A path
 * through one of the payload's descriptors (fd_path()) starts at a
 * duplicate of that descriptor, and what follows stays beneath it
 * (RESOLVE_BENEATH).
 *
 * Return: 0, or a negative errno (-ENOENT for a path that is not there).
 */
int sbx_call_open_path(struct call *c, const char *path, int o_flags, int *out)
{
	char full[PATH_MAX + 110], link[64];
	struct open_how how = {.flags = (uint64_t)o_flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	const char *rest;
	int root_fd, fd, remote;

	if (fd_path(path, &remote, &rest))
		return open_beneath_fd(c, remote, rest, o_flags, out);
	full[0] = '\0';
	if (path[0] != '/') {
		/*
		 * readlink() shows both links as the supervisor's view of the
		 * sandbox's mount tree (".../root/var/tmp/w" and ".../root"): the
		 * working directory inside the payload's root is the difference.
		 */
		char root[PATH_MAX];
		ssize_t k, rk;

		snprintf(link, sizeof(link), "/proc/%u/root", c->req->pid);
		rk = readlink(link, root, sizeof(root) - 1);
		snprintf(link, sizeof(link), "/proc/%u/cwd", c->req->pid);
		k = readlink(link, full, PATH_MAX);
		if (k < 0 || rk < 0)
			return -EACCES;
		root[rk] = '\0';
		full[k] = '\0';
		if (!(rk == 1 && root[0] == '/')) {
			if (strncmp(full, root, (size_t)rk) != 0 || (full[rk] != '/' && full[rk] != '\0'))
				return -EACCES; /* the working directory is outside the payload's root */
			k -= rk;
			memmove(full, full + rk, (size_t)k + 1);
		}
		full[k++] = '/';
		full[k] = '\0';
	}
	if (strlen(full) + strlen(path) >= sizeof(full))
		return -ENAMETOOLONG;
	strcat(full, path);
	snprintf(link, sizeof(link), "/proc/%u/root", c->req->pid);
	root_fd = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return -EACCES;
	fd = (int)syscall(SYS_openat2, root_fd, full, &how, sizeof(how));
	close(root_fd);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
	*out = fd;
	return 0;
}
