// SPDX-License-Identifier: Apache-2.0
/* JSON lines: string escaping and whole-line writes, for the status stream and the decision log. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/jsonl.h"

/**
 * sbx_json_escape() - escape @src as the inside of a JSON string.
 * @dst: output buffer, always NUL-terminated when @dst_len > 0
 * @dst_len: size of @dst
 * @src: NUL-terminated input (bytes >= 0x80 are copied as they are)
 *
 * Return: the length written (truncated at a character boundary if @dst is short).
 */
size_t sbx_json_escape(char *dst, size_t dst_len, const char *src)
{
	size_t o = 0;

	if (dst_len == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p == '\n') {
			memcpy(esc, "\\n", 2);
			n = 2;
		} else if (*p == '\t') {
			memcpy(esc, "\\t", 2);
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + n >= dst_len)
			break;
		memcpy(dst + o, esc, n);
		o += n;
	}
	dst[o] = '\0';
	return o;
}

/**
 * sbx_jsonl_write() - write one JSON line (ending in a newline) with one write().
 * @fd: the descriptor, or -1 (nothing is written)
 * @line: the line
 * @len: its length
 *
 * One write() per line, so readers see whole lines. A gone reader is not
 * sbx's failure: the line is dropped.
 */
void sbx_jsonl_write(int fd, const char *line, size_t len)
{
	if (fd < 0)
		return;
	while (write(fd, line, len) < 0 && errno == EINTR)
		;
}
