/* SPDX-License-Identifier: Apache-2.0 */
/* JSON lines: string escaping and whole-line writes, for the status stream and the decision log. */
#ifndef SBX_LIB_JSONL_H
#define SBX_LIB_JSONL_H

#include <stddef.h>

size_t sbx_json_escape(char *dst, size_t dst_len, const char *src);
void sbx_jsonl_write(int fd, const char *line, size_t len);

#endif
