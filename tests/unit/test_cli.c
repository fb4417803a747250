// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the command-line parser (cmd/cli.c). */

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sbx/cli.h"

struct parsed {
	struct sbx_config cfg;
	char err[512];
	int r;
	char *argv[32];
	char store[32][128];
};

/* Parse a NULL-terminated list of arguments (copied: the parser splits values in place). */
static struct parsed *parse(struct parsed *p, ...)
{
	va_list ap;
	int argc = 0;
	const char *a;

	va_start(ap, p);
	while ((a = va_arg(ap, const char *)) != NULL) {
		snprintf(p->store[argc], sizeof(p->store[argc]), "%s", a);
		p->argv[argc] = p->store[argc];
		argc++;
	}
	va_end(ap);
	p->argv[argc] = NULL;
	p->r = sbx_cli_parse(argc, p->argv, &p->cfg, p->err, sizeof(p->err));
	return p;
}

#define PARSE(p, ...) parse(p, "sbx", __VA_ARGS__, (const char *)NULL)

static void expect_error(const char *needle, struct parsed *p)
{
	assert_int_equal(p->r, -EINVAL);
	if (!strstr(p->err, needle))
		fail_msg("error '%s' does not mention '%s'", p->err, needle);
	for (const unsigned char *c = (const unsigned char *)p->err; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			fail_msg("error '%s' holds control byte 0x%02x", p->err, *c);
	}
	sbx_config_free(&p->cfg);
}

static void test_run_defaults(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--", "/bin/echo", "hi");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.command, SBX_CMD_RUN);
	assert_int_equal(p.cfg.posture, SBX_POSTURE_BLOCKED);
	assert_false(p.cfg.posture_set);
	assert_string_equal(p.cfg.hostname, "sbx");
	assert_int_equal(p.cfg.json_status_fd, -1);
	assert_false(p.cfg.uid_set);
	assert_int_equal(p.cfg.argc, 2);
	assert_string_equal(p.cfg.argv[0], "/bin/echo");
	assert_string_equal(p.cfg.argv[1], "hi");
	assert_null(p.cfg.argv[2]);
	sbx_config_free(&p.cfg);
}

static void test_run_stops_at_first_operand(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--hostname=box", "ls", "--uid", "5");
	assert_int_equal(p.r, 0);
	assert_string_equal(p.cfg.hostname, "box");
	assert_false(p.cfg.uid_set);
	assert_int_equal(p.cfg.argc, 3);
	assert_string_equal(p.cfg.argv[1], "--uid");
	sbx_config_free(&p.cfg);
}

static void test_run_all_options(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--network", "blocked", "--uid", "0", "--gid=100", "--bind", "/src:/dst", "--ro-bind=/etc",
	      "--tmpfs", "/scratch", "--hide", "/home/u/.ssh", "--chdir", "/dst", "--clearenv", "--setenv", "A=b=c",
	      "--unsetenv", "HOME", "--pass-fd", "5", "--pass-fd=7", "--json-status-fd", "9", "--timeout", "1.5",
	      "true");
	assert_int_equal(p.r, 0);
	assert_true(p.cfg.posture_set);
	assert_true(p.cfg.uid_set);
	assert_int_equal(p.cfg.uid, 0);
	assert_int_equal(p.cfg.gid, 100);
	assert_int_equal(p.cfg.n_mounts, 4);
	assert_int_equal(p.cfg.mounts[0].kind, SBX_MOUNT_BIND);
	assert_string_equal(p.cfg.mounts[0].src, "/src");
	assert_string_equal(p.cfg.mounts[0].dst, "/dst");
	assert_int_equal(p.cfg.mounts[1].kind, SBX_MOUNT_RO_BIND);
	assert_string_equal(p.cfg.mounts[1].src, "/etc");
	assert_string_equal(p.cfg.mounts[1].dst, "/etc");
	assert_int_equal(p.cfg.mounts[2].kind, SBX_MOUNT_TMPFS);
	assert_null(p.cfg.mounts[2].src);
	assert_int_equal(p.cfg.mounts[3].kind, SBX_MOUNT_HIDE);
	assert_string_equal(p.cfg.chdir, "/dst");
	assert_true(p.cfg.clearenv);
	assert_int_equal(p.cfg.n_env_ops, 2);
	assert_string_equal(p.cfg.env_ops[0].name, "A");
	assert_string_equal(p.cfg.env_ops[0].value, "b=c");
	assert_string_equal(p.cfg.env_ops[1].name, "HOME");
	assert_null(p.cfg.env_ops[1].value);
	assert_int_equal(p.cfg.n_pass_fds, 2);
	assert_int_equal(p.cfg.pass_fds[1], 7);
	assert_int_equal(p.cfg.json_status_fd, 9);
	assert_int_equal(p.cfg.timeout_ms, 1500);
	sbx_config_free(&p.cfg);
}

static void test_run_bad_input(void **state)
{
	struct parsed p;

	expect_error("missing COMMAND", PARSE(&p, "run"));
	expect_error("missing COMMAND", PARSE(&p, "run", "--"));
	expect_error("empty COMMAND", PARSE(&p, "run", ""));
	expect_error("unknown option '--frobnicate'", PARSE(&p, "run", "--frobnicate", "true"));
	expect_error("unknown option '--resolve'", PARSE(&p, "run", "--resolve", "true"));
	expect_error("--uid needs an argument", PARSE(&p, "run", "--uid"));
	expect_error("not a valid id", PARSE(&p, "run", "--uid", "-1", "true"));
	expect_error("not a valid id", PARSE(&p, "run", "--uid", "4294967295", "true"));
	expect_error("not a valid id", PARSE(&p, "run", "--uid", "99999999999999999999", "true"));
	expect_error("not a valid id", PARSE(&p, "run", "--gid", "12x", "true"));
	expect_error("not a valid id", PARSE(&p, "run", "--gid", "012", "true"));
	expect_error("not a valid id", PARSE(&p, "run", "--gid=", "true"));
	expect_error("unknown posture", PARSE(&p, "run", "--network=wide", "true"));
	expect_error("allowlist only", PARSE(&p, "run", "--network=open", "--proxy-max-conns", "5", "true"));
	expect_error("not both", PARSE(&p, "run", "--network=open", "--log-fd", "3", "--log-file", "x", "true"));
	expect_error("no effect", PARSE(&p, "run", "--allow", "pypi.org", "true"));
	expect_error("absolute", PARSE(&p, "run", "--bind", "rel", "true"));
	expect_error("absolute", PARSE(&p, "run", "--bind", "/a:rel", "true"));
	expect_error("empty source", PARSE(&p, "run", "--ro-bind", ":/x", "true"));
	expect_error("absolute", PARSE(&p, "run", "--tmpfs", "x", "true"));
	expect_error("absolute", PARSE(&p, "run", "--hide", "x", "true"));
	expect_error("absolute", PARSE(&p, "run", "--chdir", "x", "true"));
	expect_error("NAME=VALUE", PARSE(&p, "run", "--setenv", "NOVALUE", "true"));
	expect_error("NAME=VALUE", PARSE(&p, "run", "--setenv", "=v", "true"));
	expect_error("not a variable name", PARSE(&p, "run", "--unsetenv", "A=B", "true"));
	expect_error("not a descriptor", PARSE(&p, "run", "--pass-fd", "-3", "true"));
	expect_error("not a descriptor", PARSE(&p, "run", "--json-status-fd", "x", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "0", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "-1", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "nan", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "inf", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "5s", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "+5", "true"));
	expect_error("positive number", PARSE(&p, "run", "--timeout", "1e99", "true"));
	expect_error("not a valid host name", PARSE(&p, "run", "--hostname", "a b", "true"));
	expect_error("not a valid host name", PARSE(&p, "run", "--hostname", "", "true"));
	expect_error("not a valid host name",
		     PARSE(&p, "run", "--hostname", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			   "true"));
	expect_error("takes no argument", PARSE(&p, "run", "--clearenv=1", "true"));
	expect_error("unknown command 'frob'", PARSE(&p, "frob"));
	expect_error("missing command", parse(&p, "sbx", (const char *)NULL));
}

static void test_allowlist_options(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--network=allowlist", "--allow", "pypi.org", "--deny", "10.0.0.0/8", "--log-fd", "5",
	      "--proxy-max-conns", "10", "--proxy-max-header=2048", "--proxy-header-timeout", "2.5",
	      "--proxy-idle-timeout", "60", "pip", "install", "x");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.posture, SBX_POSTURE_ALLOWLIST);
	assert_int_equal(p.cfg.n_rules, 2);
	assert_int_equal(p.cfg.log_fd, 5);
	assert_null(p.cfg.log_file);
	assert_int_equal(p.cfg.proxy_max_conns, 10);
	assert_int_equal(p.cfg.proxy_max_header, 2048);
	assert_int_equal(p.cfg.proxy_header_timeout_ms, 2500);
	assert_int_equal(p.cfg.proxy_idle_timeout_ms, 60000);
	sbx_config_free(&p.cfg);

	PARSE(&p, "run", "--network=allowlist", "--log-file", "/tmp/x.jsonl", "true");
	assert_int_equal(p.r, 0);
	assert_string_equal(p.cfg.log_file, "/tmp/x.jsonl");
	assert_int_equal(p.cfg.log_fd, -1);
	sbx_config_free(&p.cfg);

	expect_error("not both", PARSE(&p, "run", "--network=allowlist", "--log-fd", "3", "--log-file", "x", "true"));
	/* The decision log is accepted in every posture (blocked logs what it refuses, if anything). */
	PARSE(&p, "run", "--log-fd", "3", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.log_fd, 3);
	sbx_config_free(&p.cfg);
	expect_error("allowlist only", PARSE(&p, "run", "--proxy-max-conns", "3", "true"));
	expect_error("allowlist only", PARSE(&p, "run", "--proxy-idle-timeout", "3", "true"));
	expect_error("did you mean --network=allowlist", PARSE(&p, "run", "--allow", "x.org", "true"));
	expect_error("1 to 1000000", PARSE(&p, "run", "--network=allowlist", "--proxy-max-conns", "0", "true"));
	expect_error("1024 to 1048576", PARSE(&p, "run", "--network=allowlist", "--proxy-max-header", "10", "true"));
	expect_error("positive number",
		     PARSE(&p, "run", "--network=allowlist", "--proxy-header-timeout", "-1", "true"));
	expect_error("empty path", PARSE(&p, "run", "--network=allowlist", "--log-file=", "true"));
}

/* --upstream-proxy: allowlist only; the auth file is absolute and hidden inside, after every other mount. */
static void test_upstream_options(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--network=allowlist", "--upstream-proxy", "http://proxy.corp:3128", "--ro-bind", "/srv",
	      "--upstream-proxy-auth-file=/etc/sbx/proxy-auth", "--bind", "/srv/x", "true");
	assert_int_equal(p.r, 0);
	assert_string_equal(p.cfg.upstream_proxy, "http://proxy.corp:3128");
	assert_string_equal(p.cfg.upstream_proxy_auth_file, "/etc/sbx/proxy-auth");
	assert_int_equal(p.cfg.n_mounts, 3);
	assert_int_equal(p.cfg.mounts[2].kind, SBX_MOUNT_HIDE);
	assert_string_equal(p.cfg.mounts[2].dst, "/etc/sbx/proxy-auth");
	sbx_config_free(&p.cfg);

	PARSE(&p, "run", "--network=allowlist", "--upstream-proxy=socks5h://[::1]:1080", "true");
	assert_int_equal(p.r, 0);
	assert_null(p.cfg.upstream_proxy_auth_file);
	assert_int_equal(p.cfg.n_mounts, 0);
	sbx_config_free(&p.cfg);

	expect_error("allowlist only", PARSE(&p, "run", "--upstream-proxy", "http://p:1", "true"));
	expect_error("allowlist only", PARSE(&p, "run", "--network=open", "--upstream-proxy", "http://p:1", "true"));
	expect_error("needs --upstream-proxy",
		     PARSE(&p, "run", "--network=allowlist", "--upstream-proxy-auth-file", "/a", "true"));
	expect_error("must be an absolute path", PARSE(&p, "run", "--network=allowlist", "--upstream-proxy",
						       "http://p:1", "--upstream-proxy-auth-file", "auth", "true"));
	expect_error("empty URL", PARSE(&p, "run", "--network=allowlist", "--upstream-proxy=", "true"));
	expect_error("unknown option", PARSE(&p, "check", "--upstream-proxy", "http://p:1", "x.org"));
}

static void test_open_options(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--network=open", "--deny", "10.0.0.0/8", "--deny", "@cloud-metadata", "--policy", "f.pol",
	      "--no-default-deny", "--log-file", "n.jsonl", "./tests");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.posture, SBX_POSTURE_OPEN);
	assert_int_equal(p.cfg.n_rules, 3);
	assert_true(p.cfg.no_default_deny);
	assert_string_equal(p.cfg.log_file, "n.jsonl");
	assert_string_equal(p.cfg.argv[0], "./tests");
	sbx_config_free(&p.cfg);

	PARSE(&p, "run", "--network=open", "--log-fd=4", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.log_fd, 4);
	sbx_config_free(&p.cfg);

	expect_error("allowlist only", PARSE(&p, "run", "--network=open", "--proxy-idle-timeout", "3", "true"));
}

static void test_allow_unix(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--allow-unix", "/run/user/1000/bus", "--allow-unix=rel.sock", "--network=open", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.n_allow_unix, 2);
	assert_string_equal(p.cfg.allow_unix[0], "/run/user/1000/bus");
	assert_string_equal(p.cfg.allow_unix[1], "rel.sock");
	sbx_config_free(&p.cfg);

	PARSE(&p, "run", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.n_allow_unix, 0);
	assert_null(p.cfg.allow_unix);
	sbx_config_free(&p.cfg);

	expect_error("--allow-unix: empty path", PARSE(&p, "run", "--allow-unix=", "true"));
	expect_error("needs an argument", PARSE(&p, "run", "--allow-unix"));
	expect_error("unknown option '--allow-unix'", PARSE(&p, "check", "--allow-unix", "x", "pypi.org"));
}

/* argv of "sbx run" + @n times "@opt @pre<i+3>@post" + "true". */
static int build_repeat(char **argv, char (*vals)[32], const char *opt, const char *pre, const char *post, int n)
{
	int argc = 0;

	argv[argc++] = "sbx";
	argv[argc++] = "run";
	if (strncmp(opt, "--allow", 7) == 0 || strncmp(opt, "--deny", 6) == 0)
		argv[argc++] = "--network=allowlist";
	for (int i = 0; i < n; i++) {
		argv[argc++] = (char *)opt;
		snprintf(vals[i], sizeof(vals[i]), "%s%d%s", pre, i + 3, post);
		argv[argc++] = vals[i];
	}
	argv[argc++] = "true";
	argv[argc] = NULL;
	return argc;
}

static void test_repeat_limit(void **state)
{
	static char *argv[2 * 1000 + 8];
	static char vals[1000][32];
	struct sbx_config cfg;
	char err[256];
	int argc;

	/* --pass-fd: exactly SBX_MAX_PASS_FDS (the constant sandbox init's arrays use), not one more. */
	argc = build_repeat(argv, vals, "--pass-fd", "", "", SBX_MAX_PASS_FDS);
	assert_int_equal(sbx_cli_parse(argc, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_pass_fds, SBX_MAX_PASS_FDS);
	assert_int_equal(cfg.pass_fds[SBX_MAX_PASS_FDS - 1], SBX_MAX_PASS_FDS + 2);
	sbx_config_free(&cfg);
	argc = build_repeat(argv, vals, "--pass-fd", "", "", SBX_MAX_PASS_FDS + 1);
	assert_int_equal(sbx_cli_parse(argc, argv, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--pass-fd: given more than 64 times (at most 64 descriptors)"));
	sbx_config_free(&cfg);

	/* Rules, mounts and environment have no count limit of their own. */
	argc = build_repeat(argv, vals, "--allow", "h", ".example", 1000);
	assert_int_equal(sbx_cli_parse(argc, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_rules, 1000);
	assert_string_equal(cfg.rules[999].text, "h1002.example");
	sbx_config_free(&cfg);
	argc = build_repeat(argv, vals, "--tmpfs", "/t", "", 300);
	assert_int_equal(sbx_cli_parse(argc, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_mounts, 300);
	assert_string_equal(cfg.mounts[299].dst, "/t302");
	sbx_config_free(&cfg);
	argc = build_repeat(argv, vals, "--setenv", "V", "=x", 300);
	assert_int_equal(sbx_cli_parse(argc, argv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_env_ops, 300);
	sbx_config_free(&cfg);
}

static void test_durations(void **state)
{
	struct parsed p;

	/* Exact decimal milliseconds; a finer fraction rounds up, never down to 0 ("off"). */
	PARSE(&p, "run", "--timeout", "0.001", "--kill-after", "2.5", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.timeout_ms, 1);
	assert_true(p.cfg.kill_after_set);
	assert_int_equal(p.cfg.kill_after_ms, 2500);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--timeout", "1.0015", "--kill-after=0", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.timeout_ms, 1002);
	assert_true(p.cfg.kill_after_set);
	assert_int_equal(p.cfg.kill_after_ms, 0);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--timeout", ".5", "--kill-after", "0.000", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.timeout_ms, 500);
	assert_int_equal(p.cfg.kill_after_ms, 0);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--timeout", "1000000000", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.timeout_ms, 1000000000000ull);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--network=allowlist", "--proxy-idle-timeout", "1", "--proxy-header-timeout", "1.0001",
	      "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.proxy_idle_timeout_ms, 1000);
	assert_int_equal(p.cfg.proxy_header_timeout_ms, 1001);
	sbx_config_free(&p.cfg);

	/* Below the resolution: refused, not "off". */
	expect_error("--timeout: '0.0004' is below 1 ms, the resolution of --timeout",
		     PARSE(&p, "run", "--timeout", "0.0004", "true"));
	expect_error("--kill-after: '0.0001' is below 1 ms", PARSE(&p, "run", "--kill-after", "0.0001", "true"));
	expect_error("--proxy-idle-timeout: '0.0004' is below 1 second, the resolution of the proxy's deadlines",
		     PARSE(&p, "run", "--network=allowlist", "--proxy-idle-timeout", "0.0004", "true"));
	expect_error("--proxy-header-timeout: '0.5' is below 1 second",
		     PARSE(&p, "run", "--network=allowlist", "--proxy-header-timeout", "0.5", "true"));
	/* Zero, negative, not a number, too large. */
	expect_error("'0' is not a positive number of seconds",
		     PARSE(&p, "run", "--network=allowlist", "--proxy-idle-timeout", "0", "true"));
	expect_error("'0.0' is not a positive number", PARSE(&p, "run", "--timeout", "0.0", "true"));
	expect_error("'-1' is not a non-negative number", PARSE(&p, "run", "--kill-after", "-1", "true"));
	expect_error("'NaN' is not a positive number", PARSE(&p, "run", "--timeout", "NaN", "true"));
	expect_error("'-inf' is not a positive number", PARSE(&p, "run", "--timeout", "-inf", "true"));
	expect_error("'infinity' is not a non-negative", PARSE(&p, "run", "--kill-after", "infinity", "true"));
	expect_error("'1e3' is not a positive number", PARSE(&p, "run", "--timeout", "1e3", "true"));
	expect_error("'0x10' is not a positive number", PARSE(&p, "run", "--timeout", "0x10", "true"));
	expect_error("' 5' is not a positive number", PARSE(&p, "run", "--timeout", " 5", "true"));
	expect_error("'.' is not a positive number", PARSE(&p, "run", "--timeout", ".", "true"));
	expect_error("'' is not a positive number", PARSE(&p, "run", "--timeout=", "true"));
	expect_error("'1000000000.001' is more than 1000000000 seconds",
		     PARSE(&p, "run", "--timeout", "1000000000.001", "true"));
	expect_error("is more than 1000000000 seconds", PARSE(&p, "run", "--network=allowlist", "--proxy-idle-timeout",
							      "99999999999999999999999999999999", "true"));
}

static void test_sizes_and_pids(void **state)
{
	struct parsed p;

	PARSE(&p, "run", "--tmp-size", "64M", "--pids", "10", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.tmp_size, 64ull << 20);
	assert_int_equal(p.cfg.pids, 10);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--tmp-size=4096", "true");
	assert_int_equal(p.cfg.tmp_size, 4096);
	assert_int_equal(p.cfg.pids, 0);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--tmp-size", "2g", "true");
	assert_int_equal(p.cfg.tmp_size, 2ull << 30);
	sbx_config_free(&p.cfg);
	PARSE(&p, "run", "--tmp-size", "1024T", "true");
	assert_int_equal(p.cfg.tmp_size, 1ull << 50);
	sbx_config_free(&p.cfg);

	/* 0 would be an unlimited tmpfs: refused, like anything not a size. */
	expect_error("--tmp-size: '0' is not a size from 4K to 1024T", PARSE(&p, "run", "--tmp-size", "0", "true"));
	expect_error("'4095' is not a size", PARSE(&p, "run", "--tmp-size", "4095", "true"));
	expect_error("'1025T' is not a size", PARSE(&p, "run", "--tmp-size", "1025T", "true"));
	expect_error("'99999999999999999999G' is not a size",
		     PARSE(&p, "run", "--tmp-size", "99999999999999999999G", "true"));
	expect_error("'1.5G' is not a size", PARSE(&p, "run", "--tmp-size", "1.5G", "true"));
	expect_error("'1GB' is not a size", PARSE(&p, "run", "--tmp-size", "1GB", "true"));
	expect_error("'-1M' is not a size", PARSE(&p, "run", "--tmp-size", "-1M", "true"));
	expect_error("'M' is not a size", PARSE(&p, "run", "--tmp-size", "M", "true"));
	expect_error("--pids: '0' is not a number from 1 to 4194304", PARSE(&p, "run", "--pids", "0", "true"));
	expect_error("'4194305' is not a number", PARSE(&p, "run", "--pids", "4194305", "true"));
	expect_error("'-3' is not a number", PARSE(&p, "run", "--pids", "-3", "true"));
}

/* Every value a message repeats is quoted: one line, no byte a terminal would act on. */
static void test_messages_quote_values(void **state)
{
	struct parsed p;

	expect_error("--bind: 'a\\nb\\e[2J' must be an absolute path",
		     PARSE(&p, "run", "--bind", "a\nb\x1b[2J", "true"));
	expect_error("--setenv: expected NAME=VALUE, got 'X\\nY\\e]0;t\\x07'",
		     PARSE(&p, "run", "--setenv", "X\nY\x1b]0;t\x07", "true"));
	expect_error("--timeout: '1\\n2' is not", PARSE(&p, "run", "--timeout", "1\n2", "true"));
	expect_error("--chdir: 'd\\x7f\\xc2\\x9b' must be", PARSE(&p, "run", "--chdir", "d\x7f\xc2\x9b", "true"));
	expect_error("--network: unknown posture 'op\\'en'", PARSE(&p, "run", "--network=op'en", "true"));
	expect_error("unknown option '--x\\ty'", PARSE(&p, "run", "--x\ty", "true"));
	expect_error("unknown command 'r\\xffn'", PARSE(&p, "r\xffn"));
	expect_error("help: unknown command 'a\\rb'", PARSE(&p, "help", "a\rb"));
	/* Printable UTF-8 stays readable; bidirectional controls do not. */
	expect_error("--hostname: 'h\xc3\xa9\\xe2\\x80\\xae' is not",
		     PARSE(&p, "run", "--hostname", "h\xc3\xa9\xe2\x80\xae", "true"));
}

static void test_check_and_presets(void **state)
{
	struct parsed p;

	PARSE(&p, "check", "--allow", "pypi.org", "--deny=10.0.0.0/8", "--policy", "f.policy", "--resolve",
	      "pypi.org:443", "10.1.1.1");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.command, SBX_CMD_CHECK);
	assert_int_equal(p.cfg.posture, SBX_POSTURE_ALLOWLIST);
	assert_true(p.cfg.resolve);
	assert_int_equal(p.cfg.n_rules, 3);
	assert_int_equal(p.cfg.rules[0].kind, SBX_RULE_ARG_ALLOW);
	assert_int_equal(p.cfg.rules[1].kind, SBX_RULE_ARG_DENY);
	assert_string_equal(p.cfg.rules[1].text, "10.0.0.0/8");
	assert_int_equal(p.cfg.rules[2].kind, SBX_RULE_ARG_FILE);
	assert_int_equal(p.cfg.n_dests, 2);
	assert_string_equal(p.cfg.dests[1], "10.1.1.1");
	sbx_config_free(&p.cfg);

	PARSE(&p, "check", "--network=open", "x.org");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.posture, SBX_POSTURE_OPEN);
	sbx_config_free(&p.cfg);

	expect_error("missing DEST", PARSE(&p, "check", "--allow", "x.org"));
	expect_error("unknown option '--uid'", PARSE(&p, "check", "--uid", "0", "x.org"));
	expect_error("empty argument", PARSE(&p, "check", "--allow", "", "x.org"));

	PARSE(&p, "presets");
	assert_int_equal(p.r, 0);
	assert_null(p.cfg.preset_name);
	sbx_config_free(&p.cfg);
	PARSE(&p, "presets", "pypi");
	assert_string_equal(p.cfg.preset_name, "pypi");
	sbx_config_free(&p.cfg);
	expect_error("at most one", PARSE(&p, "presets", "a", "b"));
}

static void test_help_and_version(void **state)
{
	struct parsed p;

	PARSE(&p, "--help");
	assert_int_equal(p.cfg.command, SBX_CMD_HELP);
	assert_null(p.cfg.help_topic);
	PARSE(&p, "--version");
	assert_int_equal(p.cfg.command, SBX_CMD_VERSION);
	PARSE(&p, "run", "--uid", "3", "--help");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.command, SBX_CMD_HELP);
	assert_string_equal(p.cfg.help_topic, "run");
	sbx_config_free(&p.cfg);
	PARSE(&p, "check", "-h");
	assert_string_equal(p.cfg.help_topic, "check");
	sbx_config_free(&p.cfg);
	PARSE(&p, "help", "presets");
	assert_string_equal(p.cfg.help_topic, "presets");
	expect_error("unknown command", PARSE(&p, "help", "nope"));
	/* --help after the COMMAND belongs to the payload */
	PARSE(&p, "run", "ls", "--help");
	assert_int_equal(p.cfg.command, SBX_CMD_RUN);
	sbx_config_free(&p.cfg);
}

/* Issue 13: --ask-fd, --ask-timeout, --control-fd. */
static void test_orchestrator_channels(void **state)
{
	struct parsed p;

	(void)state;
	PARSE(&p, "run", "--network=allowlist", "--ask-fd", "5", "--control-fd", "6,7", "--ask-timeout", "1.5", "true");
	assert_int_equal(p.r, 0);
	assert_int_equal(p.cfg.ask_in_fd, 5);
	assert_int_equal(p.cfg.ask_out_fd, 5);
	assert_int_equal(p.cfg.control_in_fd, 6);
	assert_int_equal(p.cfg.control_out_fd, 7);
	assert_int_equal(p.cfg.ask_timeout_ms, 1500);
	sbx_config_free(&p.cfg);
	/* Unset: -1, and the default timeout is the supervisor's. */
	PARSE(&p, "run", "true");
	assert_int_equal(p.cfg.ask_in_fd, -1);
	assert_int_equal(p.cfg.control_in_fd, -1);
	assert_int_equal(p.cfg.control_out_fd, -1);
	assert_int_equal(p.cfg.ask_timeout_ms, 0);
	sbx_config_free(&p.cfg);
	/* --control-fd in every posture. */
	PARSE(&p, "run", "--control-fd=3", "true");
	assert_int_equal(p.r, 0);
	sbx_config_free(&p.cfg);
	expect_error("--ask-fd: 'x' is not a descriptor number",
		     PARSE(&p, "run", "--network=allowlist", "--ask-fd", "x", "true"));
	expect_error("is not FD or IN,OUT", PARSE(&p, "run", "--network=allowlist", "--ask-fd", "3,", "true"));
	expect_error("is not FD or IN,OUT", PARSE(&p, "run", "--control-fd", ",4", "true"));
	expect_error("is not FD or IN,OUT", PARSE(&p, "run", "--control-fd", "3,4,5", "true"));
	expect_error("allowlist only", PARSE(&p, "run", "--ask-fd", "3", "true"));
	expect_error("allowlist only", PARSE(&p, "run", "--network=open", "--ask-fd", "3", "true"));
	expect_error("--ask-timeout needs --ask-fd",
		     PARSE(&p, "run", "--network=allowlist", "--ask-timeout", "2", "true"));
	expect_error("not a positive number",
		     PARSE(&p, "run", "--network=allowlist", "--ask-fd", "3", "--ask-timeout", "0", "true"));
	expect_error("descriptors of their own",
		     PARSE(&p, "run", "--network=allowlist", "--ask-fd", "3", "--control-fd", "3,4", "true"));
	expect_error("--ask-fd needs descriptors of its own",
		     PARSE(&p, "run", "--network=allowlist", "--ask-fd", "3,4", "--json-status-fd", "4", "true"));
	expect_error("--ask-fd needs descriptors of its own",
		     PARSE(&p, "run", "--network=allowlist", "--ask-fd", "5", "--log-fd", "5", "true"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orchestrator_channels),
		cmocka_unit_test(test_run_defaults),
		cmocka_unit_test(test_run_stops_at_first_operand),
		cmocka_unit_test(test_run_all_options),
		cmocka_unit_test(test_run_bad_input),
		cmocka_unit_test(test_repeat_limit),
		cmocka_unit_test(test_check_and_presets),
		cmocka_unit_test(test_allowlist_options),
		cmocka_unit_test(test_open_options),
		cmocka_unit_test(test_upstream_options),
		cmocka_unit_test(test_allow_unix),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes_and_pids),
		cmocka_unit_test(test_messages_quote_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
