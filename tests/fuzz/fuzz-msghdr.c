// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: the msghdr sbx sends, built from a fake payload memory image (msghdr.c and cmsg.c). */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msghdr.h"
#include "oracle-cmsg.h"

/*
 * The input is the payload: byte 0 holds flags (bit 0: the socket is
 * SOCK_STREAM), the rest is the payload's memory at FUZZ_BASE, where its
 * struct msghdr lies. Pointers in it are payload addresses:
 *
 *   [FUZZ_BASE, FUZZ_BASE + size - 1)         the input's bytes
 *   [FUZZ_PATTERN, FUZZ_PATTERN + 256 MiB)    a large mapping of generated
 *                                             bytes, so data past
 *                                             SBX_DEPUTY_MAX_DATA can be sent
 *   anything else, or a range across the end  -EFAULT
 *
 * Descriptors in SCM_RIGHTS come from oracle-cmsg.c's fake table.
 */
#define FUZZ_BASE 0x00007f0000000000ull
#define FUZZ_PATTERN 0x00007e0000000000ull
#define FUZZ_PATTERN_LEN (256ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct image {
	const uint8_t *p;
	size_t size;
};

static struct fuzz_fds fds;

static unsigned char pattern_byte(uint64_t addr)
{
	return (unsigned char)((addr >> 12) * 31 + 7);
}

enum region { FAULT, IMAGE, PATTERN };

static enum region region(const struct image *im, uint64_t addr, size_t len)
{
	if (addr >= FUZZ_BASE && addr - FUZZ_BASE <= im->size && len <= im->size - (addr - FUZZ_BASE))
		return IMAGE;
	if (addr >= FUZZ_PATTERN && addr - FUZZ_PATTERN <= FUZZ_PATTERN_LEN &&
	    len <= FUZZ_PATTERN_LEN - (addr - FUZZ_PATTERN))
		return PATTERN;
	return FAULT;
}

/* At most up to the end of @addr's page, so one pattern byte. */
static size_t page_rest(uint64_t addr, size_t len)
{
	size_t n = ((addr | 0xfff) + 1) - addr;

	return n < len ? n : len;
}

static int mem_read(const struct image *im, uint64_t addr, void *buf, size_t len)
{
	unsigned char *b = buf;

	switch (region(im, addr, len)) {
	case IMAGE:
		memcpy(buf, im->p + (addr - FUZZ_BASE), len);
		return 0;
	case PATTERN:
		for (size_t n; len; b += n, addr += n, len -= n) {
			n = page_rest(addr, len);
			memset(b, pattern_byte(addr), n);
		}
		return 0;
	default:
		return -EFAULT;
	}
}

/* Whether @len bytes at @p are the payload's at @addr (checked in place: the data can be 4 MiB). */
static bool mem_equal(const struct image *im, uint64_t addr, const unsigned char *p, size_t len)
{
	static unsigned char page[4096];

	switch (region(im, addr, len)) {
	case IMAGE:
		return memcmp(p, im->p + (addr - FUZZ_BASE), len) == 0;
	case PATTERN:
		for (size_t n; len; p += n, addr += n, len -= n) {
			n = page_rest(addr, len);
			memset(page, pattern_byte(addr), n);
			if (memcmp(p, page, n) != 0)
				return false;
		}
		return true;
	default:
		abort();
	}
}

static int fake_peek(void *ctx, uint64_t addr, void *buf, size_t len)
{
	/* msghdr.h: never asked for nothing. */
	if (len == 0)
		abort();
	return mem_read(ctx, addr, buf, len);
}

static int fake_take_fd(void *ctx, int theirs, int *mine)
{
	return fuzz_take_fd(&fds, theirs, mine);
}

static struct iovec iov[SBX_DEPUTY_MAX_IOV];

/* What the data stage must answer, and how much data it must give (the payload's iovecs are left in iov[]). */
static int expect_data(const struct image *im, const struct msghdr *um, bool stream, size_t *exp_len)
{
	size_t n = um->msg_iovlen, total = 0, off = 0;

	if (n && mem_read(im, (uint64_t)(uintptr_t)um->msg_iov, iov, n * sizeof(*iov)) < 0)
		return -EFAULT;
	for (size_t i = 0; i < n; i++) {
		if (iov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	if (total > SBX_DEPUTY_MAX_DATA && !stream)
		return -EMSGSIZE;
	if (total > SBX_DEPUTY_MAX_DATA)
		total = SBX_DEPUTY_MAX_DATA;
	for (size_t i = 0; i < n && off < total; i++) {
		size_t k = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;

		/* An empty iovec is never read (the kernel allows NULL there). */
		if (k && region(im, (uint64_t)(uintptr_t)iov[i].iov_base, k) == FAULT)
			return -EFAULT;
		off += k;
	}
	*exp_len = total;
	return 0;
}

/* The data sbx sends is the iovecs' bytes, concatenated, cut at SBX_DEPUTY_MAX_DATA for a stream. */
static bool same_data(const struct image *im, size_t n_iov, const char *data, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < n_iov && off < len; i++) {
		size_t k = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;

		if (k && !mem_equal(im, (uint64_t)(uintptr_t)iov[i].iov_base, (const unsigned char *)data + off, k))
			return false;
		off += k;
	}
	return off == len;
}

static bool is_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void run(const struct image *im, bool stream)
{
	const struct sbx_msghdr_reader rd = {.peek = fake_peek, .take_fd = fake_take_fd, .ctx = (void *)im};
	struct sbx_msghdr_copy out;
	struct msghdr um;
	unsigned char *ctl = NULL;
	size_t exp_len = 0;
	int r, want;

	r = sbx_msghdr_read(&rd, FUZZ_BASE, &um);
	if (r != (im->size >= sizeof(um) ? 0 : -EFAULT))
		abort();
	if (r < 0)
		return;
	if (memcmp(&um, im->p, sizeof(um)) != 0)
		abort();
	want = um.msg_iovlen > SBX_DEPUTY_MAX_IOV ? -EMSGSIZE : um.msg_controllen > SBX_CMSG_MAX ? -ENOBUFS : 0;
	if (sbx_msghdr_check(&um) != want)
		abort();
	/* Built whatever the check said: sbx_msghdr_build() must refuse on its own. */
	r = sbx_msghdr_build(&rd, &um, stream, &out);
	if (want == 0)
		want = expect_data(im, &um, stream, &exp_len);
	if (want < 0) {
		if (r != want || fds.n != 0 || !is_zero(&out, sizeof(out)))
			abort();
		return;
	}
	if (um.msg_control && um.msg_controllen) {
		ctl = malloc(um.msg_controllen);
		if (!ctl)
			abort();
		if (mem_read(im, (uint64_t)(uintptr_t)um.msg_control, ctl, um.msg_controllen) < 0) {
			if (r != -EFAULT || fds.n != 0)
				abort();
		} else {
			fuzz_cmsg_check(ctl, um.msg_controllen, &fds, r, out.m.msg_control, out.m.msg_controllen,
					out.fds, out.n_fds);
		}
		free(ctl);
	} else if (r != 0 || fds.n != 0 || out.m.msg_control || out.m.msg_controllen || out.fds || out.n_fds) {
		abort();
	}
	if (r < 0) {
		if (!is_zero(&out, sizeof(out)))
			abort();
		return;
	}
	/* The msghdr handed to sendmsg(): ours throughout, the payload's bytes in it. */
	if (out.m.msg_name || out.m.msg_namelen || out.m.msg_flags || out.m.msg_iov != &out.iov ||
	    out.m.msg_iovlen != 1 || out.iov.iov_base != out.data || !out.data || out.m.msg_control != out.ctl)
		abort();
	if (out.iov.iov_len != exp_len || exp_len > SBX_DEPUTY_MAX_DATA ||
	    !same_data(im, um.msg_iovlen, out.data, exp_len))
		abort();
	sbx_msghdr_release(&out);
	if (!is_zero(&out, sizeof(out)))
		abort();
	fuzz_fds_check(&fds, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	struct image im;
	long before;

	if (runs == 0)
		fuzz_fds_init(&fds);
	if (size < 1)
		return 0;
	/* Every descriptor taken is checked closed each run; the whole table is counted now and then. */
	before = runs++ % 64 == 0 ? fuzz_fds_count() : -1;
	im.p = data + 1;
	im.size = size - 1;
	fuzz_fds_reset(&fds);
	run(&im, data[0] & 1);
	if (before >= 0 && fuzz_fds_count() != before)
		abort();
	return 0;
}
