// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the allowlist gateway's pure helpers: DNS judging, host-address refusal, targets, the log line. */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway.h"
#include "lib/netlog.h"

static struct sbx_policy *make_policy(const char *const *allow, const char *const *deny)
{
	struct sbx_policy *p = NULL;
	struct sbx_rule_origin o = {0};
	char err[256];

	assert_int_equal(sbx_policy_new(SBX_POSTURE_ALLOWLIST, false, &p), 0);
	for (; allow && *allow; allow++)
		assert_int_equal(sbx_policy_add_rule(p, false, *allow, &o, err, sizeof(err)), 0);
	for (; deny && *deny; deny++)
		assert_int_equal(sbx_policy_add_rule(p, true, *deny, &o, err, sizeof(err)), 0);
	return p;
}

static struct sbx_addr addr(const char *text)
{
	struct sbx_addr a;
	assert_int_equal(sbx_policy_addr_parse(text, strlen(text), &a), 0);
	return a;
}

static void test_judge_dns(void **state)
{
	const char *allow[] = {"github.com:443", "*.pythonhosted.org", "mirror.test", NULL};
	const char *deny[] = {"mirror.test:25", "bad.pythonhosted.org", "203.0.113.0/24", NULL};
	struct sbx_policy *p = make_policy(allow, deny);
	struct sbx_decision d;
	struct sbx_addr good = addr("93.184.216.34"), meta = addr("169.254.169.254"), doc = addr("203.0.113.9");
	struct sbx_addr mixed[2] = {good, meta};

	/* A port-limited allow still lets the name resolve; the port is checked at connect. */
	assert_int_equal(sbx_policy_judge_dns(p, "github.com", NULL, 0, &d), SBX_VERDICT_ALLOW);
	/* ...while a name-only judgement with "every port" would not. */
	assert_int_equal(sbx_policy_judge_name(p, "github.com", 0, &d), SBX_VERDICT_DENY);
	/* A port-limited deny does not hide the name. */
	assert_int_equal(sbx_policy_judge_dns(p, "mirror.test", NULL, 0, &d), SBX_VERDICT_ALLOW);
	assert_int_equal(sbx_policy_judge_dns(p, "files.pythonhosted.org", NULL, 0, &d), SBX_VERDICT_ALLOW);
	assert_int_equal(sbx_policy_judge_dns(p, "bad.pythonhosted.org", NULL, 0, &d), SBX_VERDICT_DENY);
	assert_int_equal(sbx_policy_judge_dns(p, "pythonhosted.org", NULL, 0, &d), SBX_VERDICT_DENY);
	assert_int_equal(sbx_policy_judge_dns(p, "evil.com", NULL, 0, &d), SBX_VERDICT_DENY);
	/* Answers: every address judged, one bad record refuses all. */
	assert_int_equal(sbx_policy_judge_dns(p, "github.com", &good, 1, &d), SBX_VERDICT_ALLOW);
	assert_int_equal(sbx_policy_judge_dns(p, "github.com", mixed, 2, &d), SBX_VERDICT_DENY);
	assert_true(d.has_addr);
	assert_memory_equal(&d.addr, &meta, sizeof(meta));
	assert_int_equal(sbx_policy_judge_dns(p, "github.com", &doc, 1, &d), SBX_VERDICT_DENY);
	sbx_policy_free(p);
}

static bool self_text(struct sbx_hostaddr *h, const char *text)
{
	struct sbx_addr a = addr(text);
	return sbx_hostaddr_is_self(h, &a);
}

static void test_is_self(void **state)
{
	static struct sbx_hostaddr gw;

	gw.self[gw.n++] = addr("192.0.2.10");
	gw.self[gw.n++] = addr("2001:db8::10");
	assert_true(self_text(&gw, "127.0.0.1"));
	assert_true(self_text(&gw, "127.1.2.3"));
	assert_true(self_text(&gw, "0.0.0.0"));
	assert_true(self_text(&gw, "::1"));
	assert_true(self_text(&gw, "::"));
	assert_true(self_text(&gw, "::ffff:127.0.0.1"));
	assert_true(self_text(&gw, "::ffff:192.0.2.10"));
	assert_true(self_text(&gw, "192.0.2.10"));
	assert_true(self_text(&gw, "2001:db8::10"));
	assert_false(self_text(&gw, "192.0.2.11"));
	assert_false(self_text(&gw, "2001:db8::11"));
	assert_false(self_text(&gw, "93.184.216.34"));
}

/* Add or remove @text/@plen on lo with one RTM_NEWADDR/RTM_DELADDR; 0 or a negative errno. */
static int lo_addr(int type, const char *text, int plen)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		struct rtattr rta;
		uint8_t b[16];
	} req = {0};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack = {0};
	struct sbx_addr a = addr(text);
	size_t alen = a.family == AF_INET ? 4 : 16;
	int fd, r;

	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.ifa)) + RTA_LENGTH(alen));
	req.nh.nlmsg_type = (uint16_t)type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.ifa.ifa_family = a.family;
	req.ifa.ifa_prefixlen = (uint8_t)plen;
	req.ifa.ifa_flags = IFA_F_NODAD;
	req.ifa.ifa_index = if_nametoindex("lo");
	req.rta.rta_type = IFA_LOCAL;
	req.rta.rta_len = (uint16_t)RTA_LENGTH(alen);
	memcpy(req.b, a.b, alen);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r = send(fd, &req, req.nh.nlmsg_len, 0) < 0 || recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack)
		    ? -EIO
		    : ack.err.error;
	close(fd);
	return r;
}

/*
 * The list follows the host: in a private network namespace (the test's own
 * user namespace gives CAP_NET_ADMIN over it), an address added after
 * sbx_hostaddr_load() is the host's at the very next check, and one removed
 * is not. Runs in a child: a forked cmocka assert would unwind into a copy
 * of the runner, so the child reports the first failing step as its status.
 */
static int follows_changes(void)
{
	struct sbx_hostaddr h;
	int step = 10;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 1; /* skip */
	sbx_hostaddr_load(&h);
	if (h.nl_fd < 0)
		return step;
	step++;
	if (self_text(&h, "198.51.100.7") || self_text(&h, "2001:db8::7") || !self_text(&h, "127.0.0.1"))
		return step;
	step++;
	if (lo_addr(RTM_NEWADDR, "198.51.100.7", 32) < 0 || lo_addr(RTM_NEWADDR, "2001:db8::7", 128) < 0)
		return step;
	step++;
	if (!self_text(&h, "198.51.100.7") || !self_text(&h, "::ffff:198.51.100.7") || !self_text(&h, "2001:db8::7"))
		return step;
	step++;
	if (self_text(&h, "198.51.100.8") || h.stale)
		return step;
	step++;
	if (lo_addr(RTM_DELADDR, "198.51.100.7", 32) < 0)
		return step;
	step++;
	if (self_text(&h, "198.51.100.7") || !self_text(&h, "2001:db8::7"))
		return step;
	step++;
	sbx_hostaddr_free(&h);
	if (h.nl_fd != -1)
		return step;
	return 0;
}

static void test_is_self_follows_changes(void **state)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(follows_changes());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 1)
		skip(); /* no unprivileged user namespaces here */
	if (WEXITSTATUS(st) != 0)
		fail_msg("failed at step %d (see follows_changes())", WEXITSTATUS(st));
}

static void test_target(void **state)
{
	struct sbx_dest d;
	const char *why = NULL;

	assert_int_equal(sbx_target_parse("PyPI.org.", false, &d, &why), 0);
	assert_false(d.is_addr);
	assert_string_equal(d.host, "pypi.org");
	assert_int_equal(sbx_target_parse("10.1.2.3", false, &d, &why), 0);
	assert_true(d.is_addr);
	assert_int_equal(sbx_target_parse("2001:db8::1", true, &d, &why), 0);
	assert_true(d.is_addr);
	/* Numeric spellings a libc resolver would read as addresses are refused, never resolved. */
	const char *bad[] = {"2130706433", "0x7f.1", "127.1", "0177.0.0.1", "127.0.0.01", "1.2.3", NULL};
	for (const char **b = bad; *b; b++) {
		why = NULL;
		if (sbx_target_parse(*b, false, &d, &why) == 0)
			fail_msg("'%s' accepted as %s", *b, d.is_addr ? "an address" : d.host);
		assert_non_null(why);
	}
	assert_int_equal(sbx_target_parse("fe80::1%eth0", true, &d, &why), -EINVAL);
}

static void test_netlog(void **state)
{
	const char *allow[] = {"pypi.org", NULL};
	struct sbx_policy *p = make_policy(allow, NULL);
	struct sbx_addr a = addr("151.101.0.223");
	struct sbx_decision d;
	struct sbx_netlog_entry e = {.proto = "connect",
				     .host = "pypi.org",
				     .port = 443,
				     .addrs = &a,
				     .n_addrs = 1,
				     .d = &d,
				     .bytes_up = 10,
				     .bytes_down = 20};
	char buf[4096] = {0};
	struct sbx_jsonl *log = NULL;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(sbx_jsonl_new(NULL, fds[1], "t-2", &log), 0);
	sbx_policy_judge_resolved(p, "pypi.org", 443, &a, 1, &d);
	sbx_netlog_write(log, &e);
	assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
	assert_non_null(
		strstr(buf,
		       "\"proto\":\"connect\",\"host\":\"pypi.org\",\"port\":443,\"addresses\":[\"151.101.0.223\"]"));
	assert_non_null(strstr(buf, "\"verdict\":\"allow\",\"rule\":\"pypi.org\",\"source\":\"--allow\""));
	assert_non_null(strstr(buf, "\"bytes_up\":10,\"bytes_down\":20"));
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	assert_null(strchr(buf, '\n') + 1 == buf + strlen(buf) ? NULL : "more than one line");
	/* A hostile name cannot break the JSON line. */
	e.host = "a\"b\n{\"verdict\":\"allow\"}";
	e.d = NULL;
	sbx_netlog_write(log, &e);
	memset(buf, 0, sizeof(buf));
	assert_true(read(fds[0], buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "\"host\":\"a\\\"b\\n{\\\"verdict\\\":\\\"allow\\\"}\""));
	assert_non_null(strstr(buf, "\"verdict\":\"deny\""));
	sbx_jsonl_free(log, 0);
	close(fds[0]);
	close(fds[1]);
	sbx_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_dns),
		cmocka_unit_test(test_is_self),
		cmocka_unit_test(test_is_self_follows_changes),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_netlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
