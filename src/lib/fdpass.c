// SPDX-License-Identifier: Apache-2.0
/* One message with descriptors (SCM_RIGHTS) and a sender pid (SCM_CREDENTIALS) over a unix socket. */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/fdpass.h"

union cmsg_room {
	char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * SBX_FDPASS_MAX)];
	struct cmsghdr align;
};

/**
 * sbx_fdpass_send() - send @data with descriptors and, optionally, a pid.
 * @sock: a connected unix socket (SOCK_SEQPACKET keeps one message whole)
 * @data: the message
 * @len: its length
 * @fds: descriptors to pass (the sender keeps its own copies)
 * @n_fds: how many, at most SBX_FDPASS_MAX
 * @cred_pid: a pid to send as SCM_CREDENTIALS, or 0; the kernel translates
 *            it into the receiver's PID namespace
 *
 * Return: 0, or a negative errno.
 */
int sbx_fdpass_send(int sock, const void *data, size_t len, const int *fds, size_t n_fds, pid_t cred_pid)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union cmsg_room u;
	size_t used = 0;

	if (n_fds > SBX_FDPASS_MAX)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (cred_pid > 0) {
		struct ucred cred = {.pid = cred_pid, .uid = getuid(), .gid = getgid()};

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cred));
		memcpy(CMSG_DATA(c), &cred, sizeof(cred));
		used += CMSG_SPACE(sizeof(cred));
		c = (struct cmsghdr *)(u.buf + used);
	}
	if (n_fds) {
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
		used += CMSG_SPACE(sizeof(int) * n_fds);
	}
	msg.msg_controllen = used;
	if (!used)
		msg.msg_control = NULL;
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/**
 * sbx_fdpass_recv() - receive one message, its descriptors and its sender pid, without blocking.
 * @sock: a unix socket with SO_PASSCRED set if @cred_pid is wanted
 * @data: room for the message
 * @len: size of @data
 * @fds: room for SBX_FDPASS_MAX descriptors, received close-on-exec;
 *       further ones are closed
 * @n_fds: how many were stored
 * @cred_pid: the sender's pid, or 0 if none came
 *
 * Return: the message length (0 at end of stream), or a negative errno
 * (-EAGAIN when nothing is queued).
 */
ssize_t sbx_fdpass_recv(int sock, void *data, size_t len, int *fds, size_t *n_fds, pid_t *cred_pid)
{
	struct iovec iov = {.iov_base = data, .iov_len = len};
	union cmsg_room u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	*n_fds = 0;
	*cred_pid = 0;
	do
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*cred_pid = cred.pid;
		} else if (c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(0)) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (*n_fds < SBX_FDPASS_MAX)
					fds[(*n_fds)++] = fd;
				else
					close(fd);
			}
		}
	}
	return n;
}
