// SPDX-License-Identifier: Apache-2.0
/* The payload's control messages, validated and rebuilt before sbx sends anything with its own rights. */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmsg.h"

/*
 * sbx performs the payload's sendmsg() itself, with sbx's own credentials
 * and capabilities (root's, when root runs sbx). A control message is an
 * instruction to the kernel, so the payload's control buffer is never
 * passed on: it is parsed here, from a copy, every header checked against
 * the copied length, and a new buffer is built holding only messages that
 * mean the same whoever sends them:
 *
 *   SOL_SOCKET SCM_RIGHTS            descriptors, translated to sbx's duplicates
 *   IPPROTO_IP IP_TTL, IP_TOS        per-packet hop limit and traffic class
 *   IPPROTO_IPV6 IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_DONTFRAG
 *   SOL_UDP UDP_SEGMENT              GSO (QUIC senders)
 *
 * Anything else is refused with EPERM, what the kernel answers an
 * unprivileged sender for the dangerous ones (SO_MARK, SO_PRIORITY above 6,
 * IP_RETOPTS source routes, IPV6_RTHDR, IP_PKTINFO/IPV6_PKTINFO with a
 * chosen source or interface, SCM_CREDENTIALS with another pid).
 * A malformed buffer gets EINVAL, as from the kernel.
 */

static bool allowed_value(int level, int type)
{
	switch (level) {
	case IPPROTO_IP:
		return type == IP_TTL || type == IP_TOS;
	case IPPROTO_IPV6:
		return type == IPV6_HOPLIMIT || type == IPV6_TCLASS || type == IPV6_DONTFRAG;
	case SOL_UDP:
		return type == UDP_SEGMENT;
	default:
		return false;
	}
}

/**
 * sbx_cmsg_rebuild() - check the payload's control buffer and build the one sbx sends.
 * @ctl: our copy of the payload's control buffer
 * @ctl_len: its length (at most SBX_CMSG_MAX)
 * @take_fd: turns a payload descriptor number into a duplicate of ours
 *           (0 or a negative errno); called once per passed descriptor
 * @ctx: for @take_fd
 * @out: the rebuilt buffer (NULL when there is nothing to send); free() it
 * @out_len: its length
 * @fds: the duplicates @take_fd made, to close after the call; free() it
 * @n_fds: how many
 *
 * On failure every duplicate made so far is closed and nothing is returned.
 *
 * Return: 0, -EINVAL for a malformed buffer, -EPERM for a refused message,
 * -ENOBUFS, or an error of @take_fd.
 */
int sbx_cmsg_rebuild(const void *ctl, size_t ctl_len, sbx_cmsg_take_fd_fn take_fd, void *ctx, void **out,
		     size_t *out_len, int **fds, size_t *n_fds)
{
	const unsigned char *p = ctl;
	unsigned char *buf = NULL;
	size_t off = 0, used = 0, cap;
	int *mine = NULL;
	size_t n_mine = 0;
	int r = 0;

	*out = NULL;
	*out_len = 0;
	*fds = NULL;
	*n_fds = 0;
	if (ctl_len == 0)
		return 0;
	if (ctl_len > SBX_CMSG_MAX)
		return -ENOBUFS;
	/* Never larger than the input: each message is copied at its own aligned size. */
	cap = ctl_len + CMSG_ALIGN(1);
	buf = calloc(1, cap);
	mine = calloc(ctl_len / sizeof(int) + 1, sizeof(int));
	if (!buf || !mine) {
		r = -ENOBUFS;
		goto fail;
	}
	while (ctl_len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		size_t data_len, space;

		memcpy(&h, p + off, sizeof(h));
		/* The kernel's own test (__cmsg_nxthdr / cmsghdr_from_user_compat): a header fits whole. */
		if (h.cmsg_len < sizeof(struct cmsghdr) || h.cmsg_len > ctl_len - off) {
			r = -EINVAL;
			goto fail;
		}
		data_len = h.cmsg_len - CMSG_LEN(0);
		space = CMSG_SPACE(data_len);
		if (used + space > cap) {
			r = -EINVAL;
			goto fail;
		}
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
			size_t k = data_len / sizeof(int);
			struct cmsghdr *o = (struct cmsghdr *)(void *)(buf + used);

			if (data_len % sizeof(int)) {
				r = -EINVAL;
				goto fail;
			}
			for (size_t i = 0; i < k; i++) {
				int theirs, dup = -1;

				memcpy(&theirs, p + off + CMSG_LEN(0) + i * sizeof(int), sizeof(int));
				r = take_fd(ctx, theirs, &dup);
				if (r < 0)
					goto fail;
				mine[n_mine++] = dup;
				memcpy(buf + used + CMSG_LEN(0) + i * sizeof(int), &dup, sizeof(int));
			}
			o->cmsg_len = CMSG_LEN(k * sizeof(int));
			o->cmsg_level = SOL_SOCKET;
			o->cmsg_type = SCM_RIGHTS;
		} else if (allowed_value(h.cmsg_level, h.cmsg_type)) {
			struct cmsghdr *o = (struct cmsghdr *)(void *)(buf + used);

			o->cmsg_len = h.cmsg_len;
			o->cmsg_level = h.cmsg_level;
			o->cmsg_type = h.cmsg_type;
			memcpy(buf + used + CMSG_LEN(0), p + off + CMSG_LEN(0), data_len);
		} else {
			r = -EPERM;
			goto fail;
		}
		used += space;
		if (CMSG_ALIGN(h.cmsg_len) >= ctl_len - off)
			break;
		off += CMSG_ALIGN(h.cmsg_len);
	}
	if (used == 0) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	*out_len = used;
	*fds = mine;
	*n_fds = n_mine;
	return 0;
fail:
	for (size_t i = 0; i < n_mine; i++)
		close(mine[i]);
	free(mine);
	free(buf);
	return r;
}
