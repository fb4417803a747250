// SPDX-License-Identifier: Apache-2.0
/* The payload's sendmsg() arguments (msghdr, iovecs, data, control) copied into the msghdr sbx sends. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msghdr.h"

/*
 * Theory of operation
 *
 * sbx performs the payload's sendmsg() itself (perform.c). Nothing sbx
 * hands to the kernel may point into the payload: another payload thread
 * can rewrite its memory at any time, so every byte is copied once, checked
 * on the copy, and never read from the payload again. The stages follow the
 * order of the kernel's own ____sys_sendmsg(), so a msghdr wrong in several
 * ways fails with the errno the kernel would give first:
 *
 *   1. sbx_msghdr_read()    the struct msghdr itself (EFAULT)
 *      (the caller copies and judges msg_name here, as the kernel's
 *      move_addr_to_kernel() comes before the iovec)
 *   2. sbx_msghdr_check()   msg_iovlen <= UIO_MAXIOV (EMSGSIZE), msg_controllen
 *                           <= SBX_CMSG_MAX (ENOBUFS, the kernel's test against
 *                           optmem_max), before any allocation sized by them
 *   3. sbx_msghdr_build()   the iovec array, then the data gathered into one
 *                           buffer (at most SBX_DEPUTY_MAX_DATA: a stream socket
 *                           gets a short copy, as from a full send buffer; a
 *                           datagram cannot be cut, EMSGSIZE), then the control
 *                           buffer, parsed and rebuilt by cmsg.c. A NULL
 *                           msg_control is no control buffer whatever its
 *                           length (the kernel would answer EFAULT).
 *
 * The payload's memory and descriptors come through struct
 * sbx_msghdr_reader, so tests/fuzz/fuzz-msghdr.c runs this file on
 * arbitrary bytes exactly as sbx runs it on a payload.
 */

static int peek(const struct sbx_msghdr_reader *rd, uint64_t addr, void *buf, size_t len)
{
	return len ? rd->peek(rd->ctx, addr, buf, len) : 0;
}

/**
 * sbx_msghdr_read() - copy the payload's struct msghdr at @addr.
 * @rd: the payload's memory
 * @addr: the msghdr's address in the payload
 * @um: our copy; its pointers are payload addresses, never to be dereferenced
 *
 * Return: 0, or an error of @rd->peek (-EFAULT, -ESRCH).
 */
int sbx_msghdr_read(const struct sbx_msghdr_reader *rd, uint64_t addr, struct msghdr *um)
{
	return peek(rd, addr, um, sizeof(*um));
}

/**
 * sbx_msghdr_check() - the sizes of a copied msghdr, before anything is allocated from them.
 * @um: our copy of the payload's msghdr
 *
 * Return: 0, -EMSGSIZE for more than SBX_DEPUTY_MAX_IOV iovecs, -ENOBUFS for a
 * control buffer larger than SBX_CMSG_MAX.
 */
int sbx_msghdr_check(const struct msghdr *um)
{
	if (um->msg_iovlen > SBX_DEPUTY_MAX_IOV)
		return -EMSGSIZE;
	if (um->msg_controllen > SBX_CMSG_MAX)
		return -ENOBUFS;
	return 0;
}

/**
 * sbx_msghdr_gather() - copy the data of @iov (payload addresses) into one buffer of ours.
 * @rd: the payload's memory
 * @iov: our copy of the payload's iovecs
 * @n_iov: how many
 * @stream: the socket is SOCK_STREAM, so the data may be cut at SBX_DEPUTY_MAX_DATA
 * @buf: the data; free() it
 * @len: its length (at most SBX_DEPUTY_MAX_DATA)
 *
 * Return: 0, -EINVAL if the lengths overflow ssize_t, -EMSGSIZE for a
 * datagram larger than SBX_DEPUTY_MAX_DATA, -ENOBUFS, or an error of @rd->peek.
 */
int sbx_msghdr_gather(const struct sbx_msghdr_reader *rd, const struct iovec *iov, size_t n_iov, bool stream,
		      char **buf, size_t *len)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n_iov; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	if (total > SBX_DEPUTY_MAX_DATA) {
		if (!stream)
			return -EMSGSIZE;
		total = SBX_DEPUTY_MAX_DATA;
	}
	*buf = malloc(total ? total : 1);
	if (!*buf)
		return -ENOBUFS;
	for (size_t i = 0; i < n_iov && off < total; i++) {
		size_t k = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;
		int r = peek(rd, (uint64_t)(uintptr_t)iov[i].iov_base, *buf + off, k);

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

/**
 * sbx_msghdr_build() - the msghdr sbx sends, from the payload's (stage 3 above).
 * @rd: the payload's memory and descriptors
 * @um: our copy of the payload's msghdr (sbx_msghdr_read()); checked again
 *      with sbx_msghdr_check()
 * @stream: the socket is SOCK_STREAM (a short copy is allowed)
 * @out: filled in place; msg_name stays NULL. Release it with
 *       sbx_msghdr_release() after the send.
 *
 * SCM_RIGHTS descriptors are taken with @rd->take_fd; on failure every one
 * taken is closed and @out holds nothing to release.
 *
 * Context: a worker thread, after the destination was judged and the
 * socket taken (its type gives @stream); touches nothing but @rd and the heap.
 * Return: 0, or a negative errno: those of sbx_msghdr_check(),
 * sbx_msghdr_gather() and sbx_cmsg_rebuild(), -ENOBUFS, or an error of @rd.
 */
int sbx_msghdr_build(const struct sbx_msghdr_reader *rd, const struct msghdr *um, bool stream,
		     struct sbx_msghdr_copy *out)
{
	struct iovec *uiov;
	char *ctl = NULL;
	void *rebuilt = NULL;
	size_t rebuilt_len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = sbx_msghdr_check(um);
	if (r < 0)
		return r;
	uiov = calloc(um->msg_iovlen ? um->msg_iovlen : 1, sizeof(*uiov));
	if (!uiov)
		return -ENOBUFS;
	r = peek(rd, (uint64_t)(uintptr_t)um->msg_iov, uiov, um->msg_iovlen * sizeof(*uiov));
	if (r == 0)
		r = sbx_msghdr_gather(rd, uiov, um->msg_iovlen, stream, &out->data, &out->iov.iov_len);
	free(uiov);
	if (r < 0)
		return r;
	if (um->msg_control && um->msg_controllen) {
		/* Our copy, parsed and rebuilt from validated pieces: see cmsg.c. */
		ctl = malloc(um->msg_controllen);
		r = ctl ? peek(rd, (uint64_t)(uintptr_t)um->msg_control, ctl, um->msg_controllen) : -ENOBUFS;
		if (r == 0)
			r = sbx_cmsg_rebuild(ctl, um->msg_controllen, rd->take_fd, rd->ctx, &rebuilt, &rebuilt_len,
					     &out->fds, &out->n_fds);
		free(ctl);
		if (r < 0) {
			free(out->data);
			memset(out, 0, sizeof(*out));
			return r;
		}
	}
	out->iov.iov_base = out->data;
	out->ctl = rebuilt;
	out->m.msg_iov = &out->iov;
	out->m.msg_iovlen = 1;
	out->m.msg_control = rebuilt;
	out->m.msg_controllen = rebuilt_len;
	return 0;
}

/**
 * sbx_msghdr_release() - close the passed descriptors and free what sbx_msghdr_build() made.
 * @out: as built (or zeroed); zeroed again
 */
void sbx_msghdr_release(struct sbx_msghdr_copy *out)
{
	for (size_t i = 0; i < out->n_fds; i++)
		close(out->fds[i]);
	free(out->fds);
	free(out->ctl);
	free(out->data);
	memset(out, 0, sizeof(*out));
}
