// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the open posture's sendmsg() copy: control messages rebuilt (cmsg.c), the msghdr built (msghdr.c). */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmsg.h"
#include "msghdr.h"

/* The payload's descriptor table: numbers below 100 exist, each taken as a new duplicate of /dev/null. */
struct fake_fds {
	int devnull;
	size_t n;
	int mine[64];
};

static int take_fd(void *ctx, int theirs, int *mine)
{
	struct fake_fds *f = ctx;
	int fd;

	if (theirs < 0 || theirs >= 100)
		return -EBADF;
	fd = fcntl(f->devnull, F_DUPFD_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_true(f->n < 64);
	f->mine[f->n++] = fd;
	*mine = fd;
	return 0;
}

static int setup(void **state)
{
	struct fake_fds *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	*state = f;
	return f->devnull < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fake_fds *f = *state;

	close(f->devnull);
	free(f);
	return 0;
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* One control message at @p (aligned storage), its data copied in; returns its CMSG_SPACE. */
static size_t put(unsigned char *p, int level, int type, const void *data, size_t dlen)
{
	struct cmsghdr h = {.cmsg_len = CMSG_LEN(dlen), .cmsg_level = level, .cmsg_type = type};

	memcpy(p, &h, sizeof(h));
	if (dlen)
		memcpy(p + CMSG_LEN(0), data, dlen);
	return CMSG_SPACE(dlen);
}

/* A lie about the length of the message at @p. */
static void set_len(unsigned char *p, size_t len)
{
	memcpy(p + offsetof(struct cmsghdr, cmsg_len), &len, sizeof(len));
}

struct rebuilt {
	int r;
	void *out;
	size_t out_len;
	int *fds;
	size_t n_fds;
};

static struct rebuilt rebuild(struct fake_fds *f, const void *ctl, size_t len)
{
	struct rebuilt b = {0};

	f->n = 0;
	b.r = sbx_cmsg_rebuild(ctl, len, take_fd, f, &b.out, &b.out_len, &b.fds, &b.n_fds);
	return b;
}

static void done(struct rebuilt *b)
{
	for (size_t i = 0; i < b->n_fds; i++)
		close(b->fds[i]);
	free(b->fds);
	free(b->out);
}

static void assert_refused(struct rebuilt *b, int err)
{
	assert_int_equal(b->r, err);
	assert_null(b->out);
	assert_int_equal(b->out_len, 0);
	assert_null(b->fds);
	assert_int_equal(b->n_fds, 0);
}

/* Issue 10 item 1: a 24-byte buffer whose SCM_RIGHTS header claims 0x7ffffff0 bytes. */
static void test_huge_len(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[24];
		struct cmsghdr align;
	} ctl = {0};
	int fds[2] = {3, 4};
	struct rebuilt b;

	put(ctl.b, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds));
	set_len(ctl.b, 0x7ffffff0);
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_refused(&b, -EINVAL);
	assert_int_equal(f->n, 0);
	/* Past the end by a few bytes is as bad, whatever the message. */
	set_len(ctl.b, sizeof(ctl.b) + 1);
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_refused(&b, -EINVAL);
	put(ctl.b, IPPROTO_IP, IP_TTL, fds, sizeof(int));
	set_len(ctl.b, sizeof(ctl.b) + 4);
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_refused(&b, -EINVAL);
	assert_int_equal(f->n, 0);
}

static void test_short_len(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[32];
		struct cmsghdr align;
	} ctl = {0};
	int ttl = 7;
	struct rebuilt b;

	put(ctl.b, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	for (size_t len = 0; len < sizeof(struct cmsghdr); len += 4) {
		set_len(ctl.b, len);
		b = rebuild(f, ctl.b, sizeof(ctl.b));
		assert_refused(&b, -EINVAL);
	}
	/* An SCM_RIGHTS payload that is not whole ints. */
	put(ctl.b, SOL_SOCKET, SCM_RIGHTS, "\1\0\0\0\2", 5);
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_refused(&b, -EINVAL);
	assert_int_equal(f->n, 0);
}

static void test_refused(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[64];
		struct cmsghdr align;
	} ctl;
	int mark = 1;
	unsigned char lsrr[8] = {0x83, 7, 4, 127, 0, 0, 1, 0};
	struct ucred cred = {.pid = 2, .uid = 12345, .gid = 12345};
	struct {
		int level, type;
		const void *data;
		size_t len;
	} cases[] = {
		{SOL_SOCKET, SO_MARK, &mark, sizeof(mark)},
		{IPPROTO_IP, IP_RETOPTS, lsrr, sizeof(lsrr)},
		{SOL_SOCKET, SCM_CREDENTIALS, &cred, sizeof(cred)},
		{IPPROTO_IP, IP_PKTINFO, lsrr, sizeof(lsrr)},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		struct rebuilt b;

		memset(&ctl, 0, sizeof(ctl));
		len = put(ctl.b, cases[i].level, cases[i].type, cases[i].data, cases[i].len);
		b = rebuild(f, ctl.b, len);
		assert_refused(&b, -EPERM);
	}
}

static void test_rights_translated(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} ctl = {0};
	int theirs[3] = {5, 6, 7}, got[3];
	struct cmsghdr *h;
	struct msghdr m = {0};
	struct rebuilt b;

	put(ctl.b, SOL_SOCKET, SCM_RIGHTS, theirs, sizeof(theirs));
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_int_equal(b.r, 0);
	assert_int_equal(b.n_fds, 3);
	assert_int_equal(f->n, 3);
	assert_int_equal(b.out_len, CMSG_SPACE(sizeof(theirs)));
	m.msg_control = b.out;
	m.msg_controllen = b.out_len;
	h = CMSG_FIRSTHDR(&m);
	assert_non_null(h);
	assert_int_equal(h->cmsg_level, SOL_SOCKET);
	assert_int_equal(h->cmsg_type, SCM_RIGHTS);
	assert_int_equal(h->cmsg_len, CMSG_LEN(sizeof(theirs)));
	memcpy(got, CMSG_DATA(h), sizeof(got));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(got[i], f->mine[i]);
		assert_int_equal(b.fds[i], f->mine[i]);
		assert_true(is_open(got[i]));
	}
	assert_null(CMSG_NXTHDR(&m, h));
	done(&b);
}

static void test_value_kept(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl = {0};
	int ttl = 3;
	struct rebuilt b;

	put(ctl.b, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_int_equal(b.r, 0);
	assert_int_equal(b.n_fds, 0);
	assert_int_equal(b.out_len, sizeof(ctl.b));
	assert_memory_equal(b.out, ctl.b, CMSG_LEN(sizeof(int)));
	done(&b);
	/* Unpadded at the end of the buffer (cmsg_len == the buffer's length): accepted, padded in ours. */
	b = rebuild(f, ctl.b, CMSG_LEN(sizeof(int)));
	assert_int_equal(b.r, 0);
	assert_int_equal(b.out_len, CMSG_SPACE(sizeof(int)));
	assert_memory_equal(b.out, ctl.b, CMSG_LEN(sizeof(int)));
	done(&b);
}

static void test_two_in_a_row(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(2)];
		struct cmsghdr align;
	} ctl = {0};
	int one = 9, hop = 64;
	uint16_t gso = 1200;
	size_t off = 0, n = 0;
	struct msghdr m = {0};
	struct rebuilt b;

	off += put(ctl.b + off, SOL_SOCKET, SCM_RIGHTS, &one, sizeof(one));
	off += put(ctl.b + off, IPPROTO_IPV6, IPV6_HOPLIMIT, &hop, sizeof(hop));
	off += put(ctl.b + off, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso));
	b = rebuild(f, ctl.b, off);
	assert_int_equal(b.r, 0);
	assert_int_equal(b.out_len, off);
	assert_int_equal(b.n_fds, 1);
	m.msg_control = b.out;
	m.msg_controllen = b.out_len;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h), n++) {
		int v;

		switch (n) {
		case 0:
			assert_int_equal(h->cmsg_type, SCM_RIGHTS);
			memcpy(&v, CMSG_DATA(h), sizeof(v));
			assert_int_equal(v, f->mine[0]);
			break;
		case 1:
			assert_int_equal(h->cmsg_level, IPPROTO_IPV6);
			assert_int_equal(h->cmsg_type, IPV6_HOPLIMIT);
			memcpy(&v, CMSG_DATA(h), sizeof(v));
			assert_int_equal(v, 64);
			break;
		case 2:
			assert_int_equal(h->cmsg_level, SOL_UDP);
			assert_int_equal(h->cmsg_len, CMSG_LEN(2));
			assert_memory_equal(CMSG_DATA(h), &gso, 2);
			break;
		}
	}
	assert_int_equal(n, 3);
	done(&b);
}

static void test_trailing_garbage(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[CMSG_SPACE(sizeof(int)) + sizeof(struct cmsghdr) - 1];
		struct cmsghdr align;
	} ctl;
	int tos = 0x10;
	struct rebuilt b;

	memset(&ctl, 0xee, sizeof(ctl));
	put(ctl.b, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	memset(ctl.b + CMSG_LEN(sizeof(int)), 0, CMSG_SPACE(sizeof(int)) - CMSG_LEN(sizeof(int)));
	b = rebuild(f, ctl.b, sizeof(ctl.b));
	assert_int_equal(b.r, 0);
	assert_int_equal(b.out_len, CMSG_SPACE(sizeof(int)));
	assert_memory_equal(b.out, ctl.b, CMSG_SPACE(sizeof(int)));
	done(&b);
	/* A buffer shorter than one header holds nothing. */
	b = rebuild(f, ctl.b, sizeof(struct cmsghdr) - 1);
	assert_int_equal(b.r, 0);
	assert_null(b.out);
	assert_int_equal(b.out_len, 0);
	done(&b);
}

static void test_fds_closed_on_failure(void **state)
{
	struct fake_fds *f = *state;
	union {
		unsigned char b[CMSG_SPACE(2 * sizeof(int)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} ctl = {0};
	int two[2] = {10, 11}, mark = 1, bad[3] = {12, 13, 1000};
	size_t off;
	struct rebuilt b;

	/* Descriptors taken for the first message, then a refused one. */
	off = put(ctl.b, SOL_SOCKET, SCM_RIGHTS, two, sizeof(two));
	off += put(ctl.b + off, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	b = rebuild(f, ctl.b, off);
	assert_refused(&b, -EPERM);
	assert_int_equal(f->n, 2);
	assert_false(is_open(f->mine[0]));
	assert_false(is_open(f->mine[1]));
	/* Then a descriptor the payload does not have: take_fd's error, the others closed. */
	off = put(ctl.b, SOL_SOCKET, SCM_RIGHTS, two, sizeof(two));
	off += put(ctl.b + off, SOL_SOCKET, SCM_RIGHTS, bad, sizeof(bad));
	b = rebuild(f, ctl.b, off);
	assert_refused(&b, -EBADF);
	assert_int_equal(f->n, 4);
	for (size_t i = 0; i < f->n; i++)
		assert_false(is_open(f->mine[i]));
	/* Then a malformed header after descriptors. */
	off = put(ctl.b, SOL_SOCKET, SCM_RIGHTS, two, sizeof(two));
	put(ctl.b + off, IPPROTO_IP, IP_TTL, &mark, sizeof(mark));
	set_len(ctl.b + off, 4);
	b = rebuild(f, ctl.b, off + CMSG_SPACE(sizeof(int)));
	assert_refused(&b, -EINVAL);
	assert_false(is_open(f->mine[0]));
	assert_false(is_open(f->mine[1]));
}

static void test_sizes(void **state)
{
	struct fake_fds *f = *state;
	static unsigned char big[SBX_CMSG_MAX + 1];
	struct rebuilt b;

	b = rebuild(f, big, sizeof(big));
	assert_refused(&b, -ENOBUFS);
	b = rebuild(f, big, 0);
	assert_int_equal(b.r, 0);
	assert_null(b.out);
}

/*
 * msghdr.c through a fake payload: its memory is this process's, but only
 * inside [lo, hi); addresses from FAKE_BIG read as 'z' (room for more than
 * SBX_DEPUTY_MAX_DATA); anything else is -EFAULT.
 */
#define FAKE_BIG 0x00007e0000000000ull

struct fake_mem {
	uintptr_t lo, hi;
	struct fake_fds *fds;
};

static int fake_peek(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *mem = ctx;

	assert_true(len > 0);
	if (addr >= FAKE_BIG && addr - FAKE_BIG < (64u << 20)) {
		memset(buf, 'z', len);
		return 0;
	}
	if (addr < mem->lo || addr > mem->hi || len > mem->hi - addr)
		return -EFAULT;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

static int fake_take_fd(void *ctx, int theirs, int *mine)
{
	struct fake_mem *mem = ctx;

	return take_fd(mem->fds, theirs, mine);
}

struct payload {
	struct msghdr m;
	struct iovec iov[3];
	char data[16];
	union {
		unsigned char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
};

static void test_msghdr_build(void **state)
{
	struct fake_fds *f = *state;
	struct payload p = {0};
	struct fake_mem mem = {.lo = (uintptr_t)&p, .hi = (uintptr_t)(&p + 1), .fds = f};
	const struct sbx_msghdr_reader rd = {.peek = fake_peek, .take_fd = fake_take_fd, .ctx = &mem};
	struct sbx_msghdr_copy out;
	struct msghdr um;
	int theirs[2] = {20, 21}, got[2];

	memcpy(p.data, "hello, world", 12);
	p.iov[0] = (struct iovec){.iov_base = p.data, .iov_len = 5};
	p.iov[1] = (struct iovec){.iov_base = NULL, .iov_len = 0};
	p.iov[2] = (struct iovec){.iov_base = p.data + 5, .iov_len = 7};
	put(p.ctl.b, SOL_SOCKET, SCM_RIGHTS, theirs, sizeof(theirs));
	p.m = (struct msghdr){.msg_iov = p.iov,
			      .msg_iovlen = 3,
			      .msg_control = p.ctl.b,
			      .msg_controllen = sizeof(p.ctl.b)};
	f->n = 0;
	assert_int_equal(sbx_msghdr_read(&rd, (uintptr_t)&p.m, &um), 0);
	assert_int_equal(sbx_msghdr_check(&um), 0);
	assert_int_equal(sbx_msghdr_build(&rd, &um, false, &out), 0);
	assert_null(out.m.msg_name);
	assert_ptr_equal(out.m.msg_iov, &out.iov);
	assert_int_equal(out.m.msg_iovlen, 1);
	assert_int_equal(out.iov.iov_len, 12);
	assert_memory_equal(out.iov.iov_base, "hello, world", 12);
	assert_int_equal(out.m.msg_controllen, sizeof(p.ctl.b));
	memcpy(got, CMSG_DATA((struct cmsghdr *)out.m.msg_control), sizeof(got));
	assert_int_equal(got[0], f->mine[0]);
	assert_int_equal(got[1], f->mine[1]);
	assert_int_equal(out.n_fds, 2);
	sbx_msghdr_release(&out);
	assert_false(is_open(f->mine[0]));
	assert_false(is_open(f->mine[1]));

	/* The control buffer is unreadable: EFAULT, nothing taken. */
	um.msg_control = (void *)8;
	f->n = 0;
	assert_int_equal(sbx_msghdr_build(&rd, &um, false, &out), -EFAULT);
	assert_int_equal(f->n, 0);
	/* An unreadable msghdr, iovec array or data. */
	assert_int_equal(sbx_msghdr_read(&rd, 8, &um), -EFAULT);
	assert_int_equal(sbx_msghdr_read(&rd, mem.hi - sizeof(um) + 1, &um), -EFAULT);
	um = p.m;
	um.msg_iov = (void *)(mem.hi - sizeof(struct iovec));
	assert_int_equal(sbx_msghdr_build(&rd, &um, false, &out), -EFAULT);
	p.iov[2].iov_len = 100;
	assert_int_equal(sbx_msghdr_build(&rd, &p.m, true, &out), -EFAULT);
	assert_int_equal(f->n, 0);
}

static void test_msghdr_limits(void **state)
{
	struct fake_fds *f = *state;
	struct fake_mem mem = {.fds = f};
	const struct sbx_msghdr_reader rd = {.peek = fake_peek, .take_fd = fake_take_fd, .ctx = &mem};
	struct iovec big[2] = {
		{.iov_base = (void *)(uintptr_t)FAKE_BIG, .iov_len = SBX_DEPUTY_MAX_DATA - 1},
		{.iov_base = (void *)(uintptr_t)FAKE_BIG, .iov_len = 2},
	};
	struct iovec wrap[2] = {{.iov_len = SIZE_MAX / 2}, {.iov_len = SIZE_MAX / 2 + 1}};
	struct msghdr um = {.msg_iovlen = SBX_DEPUTY_MAX_IOV + 1};
	struct sbx_msghdr_copy out;
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(sbx_msghdr_check(&um), -EMSGSIZE);
	assert_int_equal(sbx_msghdr_build(&rd, &um, true, &out), -EMSGSIZE);
	um = (struct msghdr){.msg_iovlen = SBX_DEPUTY_MAX_IOV, .msg_controllen = SBX_CMSG_MAX + 1};
	assert_int_equal(sbx_msghdr_check(&um), -ENOBUFS);
	um.msg_controllen = SBX_CMSG_MAX;
	assert_int_equal(sbx_msghdr_check(&um), 0);
	/* One byte over: a datagram cannot be cut, a stream send is short. */
	assert_int_equal(sbx_msghdr_gather(&rd, big, 2, false, &buf, &len), -EMSGSIZE);
	assert_int_equal(sbx_msghdr_gather(&rd, big, 2, true, &buf, &len), 0);
	assert_int_equal(len, SBX_DEPUTY_MAX_DATA);
	assert_int_equal(buf[0], 'z');
	assert_int_equal(buf[SBX_DEPUTY_MAX_DATA - 1], 'z');
	free(buf);
	big[1].iov_len = 1;
	assert_int_equal(sbx_msghdr_gather(&rd, big, 2, false, &buf, &len), 0);
	assert_int_equal(len, SBX_DEPUTY_MAX_DATA);
	free(buf);
	assert_int_equal(sbx_msghdr_gather(&rd, wrap, 2, true, &buf, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_huge_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights_translated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_in_a_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fds_closed_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msghdr_build, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msghdr_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
