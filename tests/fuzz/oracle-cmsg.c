// SPDX-License-Identifier: Apache-2.0
/* Fake payload descriptors and an independent reading of a control buffer, for fuzz-cmsg and fuzz-msghdr. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "oracle-cmsg.h"

void fuzz_fds_init(struct fuzz_fds *f)
{
	f->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (f->devnull < 0)
		abort();
	f->n = 0;
}

void fuzz_fds_reset(struct fuzz_fds *f)
{
	f->n = 0;
}

int fuzz_take_fd(void *ctx, int theirs, int *mine)
{
	struct fuzz_fds *f = ctx;
	int r = 0, fd = -1;

	/* sbx_cmsg_rebuild() asks once per int of its input, never more. */
	if (f->n >= FUZZ_FDS_MAX)
		abort();
	if (theirs < 0) {
		r = -EBADF;
	} else if (theirs % 997 == 996) {
		r = -ESRCH;
	} else {
		fd = fcntl(f->devnull, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			r = -errno;
	}
	f->theirs[f->n] = theirs;
	f->r[f->n] = r;
	f->mine[f->n] = fd;
	f->n++;
	if (r == 0)
		*mine = fd;
	return r;
}

/* Every descriptor handed out since the reset is open (sbx holds it for the send) or closed (sbx let go). */
void fuzz_fds_check(const struct fuzz_fds *f, bool open)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->r[i] < 0)
			continue;
		if ((fcntl(f->mine[i], F_GETFD) >= 0) != open)
			abort();
	}
}

/* Open descriptors, counted: a run must end with as many as it began with. */
long fuzz_fds_count(void)
{
	long n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* cmsg.c's list, written out again: a message outside it in sbx's output is a bug there. */
static bool allowed(int level, int type)
{
	switch (level) {
	case SOL_SOCKET:
		return type == SCM_RIGHTS;
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

/*
 * Read @ctl as the kernel reads a control buffer (for_each_cmsghdr() and
 * CMSG_OK(): the next header starts at the aligned end of this one if a
 * whole header fits there; each must lie inside the buffer), work out what
 * sbx_cmsg_rebuild() had to answer, and compare: the errno, the take_fd
 * calls made (in order, none extra), and on success the rebuilt buffer,
 * walked with glibc's CMSG_FIRSTHDR()/CMSG_NXTHDR(): message i of the
 * input as message i of the output, tightly packed, zero padding,
 * SCM_RIGHTS carrying exactly the descriptors taken.
 */
void fuzz_cmsg_check(const unsigned char *ctl, size_t len, const struct fuzz_fds *f, int r, const void *out,
		     size_t out_len, const int *fds, size_t n_fds)
{
	static size_t in_off[SBX_CMSG_MAX / sizeof(struct cmsghdr) + 1];
	const unsigned char *o = out;
	struct cmsghdr h, *c;
	struct msghdr m = {0};
	size_t off = 0, calls = 0, n_in = 0, i = 0, used = 0, j = 0;
	int want = 0;

	if (len > SBX_CMSG_MAX)
		want = -ENOBUFS;
	while (!want && len >= sizeof(h) && off <= len - sizeof(h)) {
		memcpy(&h, ctl + off, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off) {
			want = -EINVAL;
			break;
		}
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
			size_t dlen = h.cmsg_len - CMSG_LEN(0);

			if (dlen % sizeof(int)) {
				want = -EINVAL;
				break;
			}
			for (size_t k = 0; k < dlen / sizeof(int) && !want; k++, calls++) {
				int theirs;

				memcpy(&theirs, ctl + off + CMSG_LEN(0) + k * sizeof(int), sizeof(int));
				if (calls >= f->n || f->theirs[calls] != theirs)
					abort();
				want = f->r[calls];
			}
			if (want)
				break;
		} else if (!allowed(h.cmsg_level, h.cmsg_type)) {
			want = -EPERM;
			break;
		}
		in_off[n_in++] = off;
		if (CMSG_ALIGN(h.cmsg_len) > len - off)
			break;
		off += CMSG_ALIGN(h.cmsg_len);
	}
	if (calls != f->n || r != want)
		abort();
	if (r < 0) {
		if (out || out_len || fds || n_fds)
			abort();
		fuzz_fds_check(f, false);
		return;
	}
	if ((out == NULL) != (out_len == 0) || out_len > len + CMSG_ALIGN(1) - 1)
		abort();
	if (n_fds != f->n || (n_fds && !fds))
		abort();
	for (size_t k = 0; k < n_fds; k++)
		if (fds[k] != f->mine[k])
			abort();
	fuzz_fds_check(f, true);

	m.msg_control = (void *)out;
	m.msg_controllen = out_len;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), i++) {
		const unsigned char *in;
		size_t dlen;

		if (i >= n_in || (const unsigned char *)c != o + used)
			abort();
		in = ctl + in_off[i];
		memcpy(&h, in, sizeof(h));
		if (c->cmsg_len != h.cmsg_len || c->cmsg_level != h.cmsg_level || c->cmsg_type != h.cmsg_type ||
		    !allowed(c->cmsg_level, c->cmsg_type) || c->cmsg_len > out_len - used)
			abort();
		dlen = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			for (size_t k = 0; k < dlen / sizeof(int); k++, j++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (j >= n_fds || fd != fds[j])
					abort();
			}
		} else if (memcmp(CMSG_DATA(c), in + CMSG_LEN(0), dlen) != 0) {
			abort();
		}
		for (size_t k = c->cmsg_len; k < CMSG_ALIGN(c->cmsg_len) && used + k < out_len; k++)
			if (o[used + k] != 0)
				abort();
		used += CMSG_ALIGN(c->cmsg_len);
	}
	if (i != n_in || used != out_len || j != n_fds)
		abort();
}
