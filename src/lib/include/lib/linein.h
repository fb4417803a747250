/* SPDX-License-Identifier: Apache-2.0 */
/* Lines read from a descriptor the caller gave (--control-fd, --ask-fd): bounded, never blocking. */
#ifndef SBX_LIB_LINEIN_H
#define SBX_LIB_LINEIN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/loop.h"

/* The longest line taken; a longer one is reported as too long and skipped to its end. */
#define SBX_LINEIN_MAX 4096

struct sbx_linein;

/*
 * @line is NUL-terminated, without its "\n" (or "\r\n"); @bad: the line
 * was longer than SBX_LINEIN_MAX (then @line is empty) or held a NUL byte.
 */
typedef void (*sbx_linein_line_fn)(struct sbx_linein *in, unsigned lineno, char *line, bool bad);
/* The writer closed its end (@err 0) or reading failed (-errno): no more lines. */
typedef void (*sbx_linein_end_fn)(struct sbx_linein *in, int err);

struct sbx_linein {
	struct sbx_watch w; /* fd -1 when stopped */
	struct sbx_loop *loop;
	sbx_linein_line_fn line;
	sbx_linein_end_fn end;
	unsigned lineno;
	bool skipping; /* inside a line that was too long */
	size_t len;
	char buf[SBX_LINEIN_MAX + 2];
};

int sbx_linein_start(struct sbx_linein *in, struct sbx_loop *loop, int fd, sbx_linein_line_fn line,
		     sbx_linein_end_fn end);
void sbx_linein_stop(struct sbx_linein *in);

#endif
