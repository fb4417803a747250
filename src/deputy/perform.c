// SPDX-License-Identifier: Apache-2.0
/* The open posture's checked calls, performed by sbx on a duplicate of the payload's socket. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/**
 * sbx_perform_connect() - connect(): judged, then performed on our duplicate of the socket.
 * @c: the call; answered here, unless the thread is gone
 *
 * Context: a worker thread.
 */
void sbx_perform_connect(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	c->proto = "connect";
	r = sbx_judge_read_addr(c, req->data.args[1], (uint32_t)req->data.args[2], &ss, &len);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	if (!sbx_call_valid(c))
		return;
	r = sbx_judge_dest(c, &ss, &len, false, ECONNREFUSED);
	if (r)
		return sbx_call_reply(c, 0, r);
	r = sbx_call_take_fd(c, (int)req->data.args[0], &c->sock_fd);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	if (connect(c->sock_fd, (struct sockaddr *)&ss, len) < 0)
		return sbx_call_reply(c, 0, errno);
	sbx_call_reply(c, 0, 0);
}

/*
 * The payload's flags, as sbx sends with them: never MSG_NOSIGNAL-less (the
 * SIGPIPE goes to the payload, see maybe_sigpipe()), never MSG_ZEROCOPY
 * (the kernel would read sbx's copy after sbx freed and reused it).
 */
static int send_flags(int flags)
{
	return (flags & ~MSG_ZEROCOPY) | MSG_NOSIGNAL;
}

/* The payload asked for SIGPIPE semantics: deliver it to the calling thread, as the kernel would. */
static void maybe_sigpipe(struct call *c, int err, int flags)
{
	if (err == EPIPE && !(flags & MSG_NOSIGNAL) && c->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGPIPE, NULL, 0);
}

/* The notifying thread's memory and descriptors, for msghdr.c. */
static int peek_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return sbx_call_peek(ctx, addr, buf, len);
}

static int take_fd_cb(void *ctx, int theirs, int *mine)
{
	return sbx_call_take_fd(ctx, theirs, mine);
}

static bool is_stream(int fd)
{
	int type = 0;
	socklen_t l = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 && type == SOCK_STREAM;
}

/**
 * sbx_perform_sendto() - sendto() with an address: judged, data copied, performed on our duplicate.
 * @c: the call; answered here, unless the thread is gone
 *
 * Context: a worker thread.
 */
void sbx_perform_sendto(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	const struct sbx_msghdr_reader rd = {.peek = peek_cb, .take_fd = take_fd_cb, .ctx = c};
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)req->data.args[1], .iov_len = (size_t)req->data.args[2]};
	int flags = (int)req->data.args[3];
	char *data = NULL;
	size_t dlen;
	socklen_t len;
	ssize_t k;
	int r;

	c->proto = "sendto";
	r = sbx_judge_read_addr(c, req->data.args[4], (uint32_t)req->data.args[5], &ss, &len);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	if (!sbx_call_valid(c))
		return;
	r = sbx_judge_dest(c, &ss, &len, true, EACCES);
	if (r)
		return sbx_call_reply(c, 0, r);
	r = sbx_call_take_fd(c, (int)req->data.args[0], &c->sock_fd);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	r = sbx_msghdr_gather(&rd, &iov, 1, is_stream(c->sock_fd), &data, &dlen);
	if (r < 0)
		return sbx_call_reply(c, 0, -r);
	k = sendto(c->sock_fd, data, dlen, send_flags(flags), (struct sockaddr *)&ss, len);
	r = k < 0 ? errno : 0;
	free(data);
	maybe_sigpipe(c, r, flags);
	sbx_call_reply(c, k, r);
}

/*
 * One msghdr of sendmsg()/sendmmsg(): copy it and its name, judge the name,
 * build our own msghdr from the payload's (msghdr.c: iovecs, data, control
 * with SCM_RIGHTS descriptors translated to our duplicates), send on the
 * duplicate socket. Return bytes sent or a negative errno.
 */
static ssize_t send_one(struct call *c, uint64_t msg_addr, int flags)
{
	const struct sbx_msghdr_reader rd = {.peek = peek_cb, .take_fd = take_fd_cb, .ctx = c};
	struct sbx_msghdr_copy out;
	struct msghdr um;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	ssize_t ret;
	int r;

	r = sbx_msghdr_read(&rd, msg_addr, &um);
	if (r < 0)
		return r;
	if (um.msg_name && um.msg_namelen) {
		r = sbx_judge_read_addr(c, (uint64_t)(uintptr_t)um.msg_name, um.msg_namelen, &ss, &len);
		if (r < 0)
			return r;
	}
	r = sbx_msghdr_check(&um);
	if (r < 0)
		return r;
	if (!sbx_call_valid(c))
		return -ESRCH;
	if (len) {
		r = sbx_judge_dest(c, &ss, &len, true, EACCES);
		if (r)
			return -r;
	}
	if (c->sock_fd < 0) {
		r = sbx_call_take_fd(c, (int)c->req->data.args[0], &c->sock_fd);
		if (r < 0)
			return r;
	}
	r = sbx_msghdr_build(&rd, &um, is_stream(c->sock_fd), &out);
	if (r < 0)
		return r;
	if (len) {
		out.m.msg_name = &ss;
		out.m.msg_namelen = len;
	}
	ret = sendmsg(c->sock_fd, &out.m, send_flags(flags));
	r = ret < 0 ? -errno : 0;
	maybe_sigpipe(c, -r, flags);
	sbx_msghdr_release(&out);
	return r < 0 ? r : ret;
}

/**
 * sbx_perform_sendmsg() - sendmsg(): one msghdr rebuilt from the payload's and performed (see send_one()).
 * @c: the call; answered here, unless the thread is gone
 *
 * Context: a worker thread.
 */
void sbx_perform_sendmsg(struct call *c)
{
	ssize_t k;

	c->proto = "sendmsg";
	k = send_one(c, c->req->data.args[1], (int)c->req->data.args[2]);
	if (k == -ESRCH)
		return;
	sbx_call_reply(c, k < 0 ? 0 : k, k < 0 ? (int)-k : 0);
}

/**
 * sbx_perform_sendmmsg() - sendmmsg(): each msghdr as sendmsg(), msg_len written back; stops at the first error.
 * @c: the call; answered here, unless the thread is gone
 *
 * Context: a worker thread.
 */
void sbx_perform_sendmmsg(struct call *c)
{
	uint64_t vec = c->req->data.args[1];
	unsigned vlen = (unsigned)c->req->data.args[2];
	int flags = (int)c->req->data.args[3];
	unsigned sent = 0;
	ssize_t k = 0;

	c->proto = "sendmmsg";
	if (vlen > SBX_DEPUTY_MAX_IOV)
		vlen = SBX_DEPUTY_MAX_IOV;
	for (; sent < vlen; sent++) {
		uint64_t at = vec + (uint64_t)sent * sizeof(struct mmsghdr);
		unsigned int msg_len;

		k = send_one(c, at, flags);
		if (k < 0)
			break;
		msg_len = (unsigned int)k;
		if (sbx_call_poke(c, at + offsetof(struct mmsghdr, msg_len), &msg_len, sizeof(msg_len)) < 0) {
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
		return sbx_call_reply(c, sent, 0);
	sbx_call_reply(c, 0, k < 0 ? (int)-k : 0);
}
