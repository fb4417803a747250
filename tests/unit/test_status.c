// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the JSON status lines (src/status.c). */

#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/jsonl.h"
#include "status.h"

static void test_escape(void **state)
{
	char out[64];

	sbx_json_escape(out, sizeof(out), "plain");
	assert_string_equal(out, "plain");
	sbx_json_escape(out, sizeof(out),
			"a\"b\\c\nd\te\x01"
			"f\x7f");
	assert_string_equal(out, "a\\\"b\\\\c\\nd\\te\\u0001f\\u007f");
	/* truncation never splits an escape sequence */
	sbx_json_escape(out, 4, "a\"b");
	assert_string_equal(out, "a\\\"");
	sbx_json_escape(out, 3, "a\"b");
	assert_string_equal(out, "a");
	assert_int_equal(sbx_json_escape(out, 0, "x"), 0);
}

static char *read_pipe(int fd)
{
	static char buf[2048];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Every line: {"time":"<RFC 3339 UTC, ms>","id":"<id>", then the event's fields. */
static const char *body(const char *line, const char *id)
{
	char prefix[96];
	int n = snprintf(prefix, sizeof(prefix), "\",\"id\":\"%s\",", id);

	assert_memory_equal(line, "{\"time\":\"", 9);
	/* 2026-11-29T10:15:33.123Z */
	assert_int_equal(strlen(line) > 9 + 24, 1);
	assert_int_equal(line[9 + 4], '-');
	assert_int_equal(line[9 + 10], 'T');
	assert_int_equal(line[9 + 19], '.');
	assert_int_equal(line[9 + 23], 'Z');
	assert_memory_equal(line + 9 + 24, prefix, (size_t)n);
	return line + 9 + 24 + n;
}

static void test_lines(void **state)
{
	struct sbx_jsonl *j = NULL;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(sbx_jsonl_new(NULL, p[1], "t-1", &j), 0);
	sbx_jsonl_hello(j, "status", "blocked");
	assert_non_null(strstr(body(read_pipe(p[0]), "t-1"), "\"event\":\"hello\",\"schema\":1,\"sbx\":\""));
	sbx_status_started(j, 10, 11, 12, 2);
	assert_string_equal(body(read_pipe(p[0]), "t-1"),
			    "\"event\":\"started\",\"sbx_pid\":10,\"init_pid\":11,\"pid\":12,\"ns_pid\":2}\n");
	sbx_status_exited(j, 0, 3, false);
	assert_string_equal(body(read_pipe(p[0]), "t-1"), "\"event\":\"exited\",\"code\":3}\n");
	sbx_status_exited(j, 9, 137, false);
	assert_string_equal(body(read_pipe(p[0]), "t-1"), "\"event\":\"exited\",\"signal\":9,\"code\":137}\n");
	sbx_status_exited(j, 9, 137, true);
	assert_string_equal(body(read_pipe(p[0]), "t-1"),
			    "\"event\":\"exited\",\"signal\":9,\"code\":137,\"killed\":true}\n");
	sbx_status_timeout(j, "1.5", false);
	assert_string_equal(body(read_pipe(p[0]), "t-1"), "\"event\":\"timeout\",\"seconds\":1.5,\"code\":124}\n");
	sbx_status_timeout(j, "0.001", true);
	assert_string_equal(body(read_pipe(p[0]), "t-1"),
			    "\"event\":\"timeout\",\"seconds\":0.001,\"code\":124,\"killed\":true}\n");
	sbx_status_error(j, "mount-proc", "mounting /proc", 1, "say \"no\"");
	assert_string_equal(body(read_pipe(p[0]), "t-1"),
			    "\"event\":\"error\",\"code\":\"mount-proc\",\"stage\":\"mounting /proc\",\"errno\":1,"
			    "\"errno_name\":\"EPERM\",\"message\":\"say \\\"no\\\"\"}\n");
	/* No stream writes nothing and does not crash. */
	sbx_status_exited(NULL, 0, 0, false);
	sbx_jsonl_free(j, 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
