// SPDX-License-Identifier: Apache-2.0
/* libFuzzer harness: sbx_cmsg_rebuild() on arbitrary control buffers, checked against an independent reading. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmsg.h"
#include "oracle-cmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fuzz_fds fds;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	unsigned char *ctl = malloc(size ? size : 1);
	void *out = NULL;
	size_t out_len = 0, n_mine = 0;
	int *mine = NULL, r;
	long before;

	if (!ctl)
		abort();
	if (runs == 0)
		fuzz_fds_init(&fds);
	/* Every descriptor taken is checked closed each run; the whole table is counted now and then. */
	before = runs++ % 64 == 0 ? fuzz_fds_count() : -1;
	/* Exactly @size bytes on the heap: ASan reports any read past the payload's buffer. */
	memcpy(ctl, data, size);
	fuzz_fds_reset(&fds);
	r = sbx_cmsg_rebuild(ctl, size, fuzz_take_fd, &fds, &out, &out_len, &mine, &n_mine);
	fuzz_cmsg_check(ctl, size, &fds, r, out, out_len, mine, n_mine);
	for (size_t i = 0; i < n_mine; i++)
		close(mine[i]);
	free(mine);
	free(out);
	free(ctl);
	fuzz_fds_check(&fds, false);
	if (before >= 0 && fuzz_fds_count() != before)
		abort();
	return 0;
}
