/* SPDX-License-Identifier: Apache-2.0 */
/* JSON lines: string escaping, and a writer that never blocks its caller and never tears a line. */
#ifndef SBX_LIB_JSONL_H
#define SBX_LIB_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/loop.h"

/* Lines kept for a reader that does not keep up; past this, lines are dropped and counted. */
#define SBX_JSONL_BUFFER (256 * 1024)
/* How long sbx waits at exit for a slow reader to take what is left. */
#define SBX_JSONL_DRAIN_MS 2000

struct sbx_jsonl;

size_t sbx_json_escape(char *dst, size_t dst_len, const char *src);

/* Every line's first fields: {"time":"RFC 3339 UTC","id":"SANDBOX-ID", */
#define SBX_JSONL_HEADER_MAX 128
/* The longest line sbx_jsonl_printf() writes. */
#define SBX_JSONL_LINE_MAX 4096

int sbx_jsonl_new(struct sbx_loop *loop, int fd, const char *id, struct sbx_jsonl **out);
int sbx_jsonl_begin(const struct sbx_jsonl *j, char *buf, size_t len);
void sbx_jsonl_put(struct sbx_jsonl *j, const char *line, size_t len);
/* The version of the event schema (docs/sbx-events.schema.json, man/sbx-json.7). */
#define SBX_EVENT_SCHEMA 1

void sbx_jsonl_hello(struct sbx_jsonl *j, const char *stream, const char *posture);
__attribute__((format(printf, 2, 3))) void sbx_jsonl_printf(struct sbx_jsonl *j, const char *fmt, ...);
void sbx_jsonl_flush(struct sbx_jsonl *j);
uint64_t sbx_jsonl_dropped(struct sbx_jsonl *j);
int sbx_jsonl_fd(const struct sbx_jsonl *j);
uint64_t sbx_jsonl_free(struct sbx_jsonl *j, int drain_ms);

#endif
