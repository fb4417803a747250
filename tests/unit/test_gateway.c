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
#include <stdlib.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "allowlist/allowlist.h"
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
	assert_non_null(
		strstr(buf,
		       "\"checked\":\"address\",\"verdict\":\"allow\",\"rule\":\"pypi.org\",\"source\":\"--allow\""));
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
	assert_non_null(strstr(buf, "\"checked\":\"none\",\"verdict\":\"deny\""));
	sbx_jsonl_free(log, 0);
	close(fds[0]);
	close(fds[1]);
	sbx_policy_free(p);
}

/* ---- the upstream proxy (uplink.c) ------------------------------------------ */

static struct sbx_uplink *uplink_of(const char *url, const char *env_auth, char *err, size_t errlen, int *ret)
{
	struct sbx_config cfg = {.upstream_proxy = url};
	struct sbx_uplink *up = NULL;

	if (env_auth)
		setenv(SBX_UPSTREAM_AUTH_ENV, env_auth, 1);
	*ret = sbx_uplink_load(&cfg, &up, err, errlen);
	/* Erased from sbx's environment whatever happened. */
	assert_null(getenv(SBX_UPSTREAM_AUTH_ENV));
	return up;
}

static void test_uplink_load(void **state)
{
	struct sbx_uplink *up;
	struct sbx_addr a = addr("127.0.0.1"), m = addr("::ffff:127.0.0.1"), o = addr("127.0.0.2");
	char err[512] = "";
	int r;

	up = uplink_of("http://127.0.0.1:3128", "user:pw", err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_non_null(up);
	assert_string_equal(up->shown, "http://127.0.0.1:3128");
	assert_true(sbx_uplink_is_upstream(up, &a, NULL, 3128));
	assert_true(sbx_uplink_is_upstream(up, &m, NULL, 3128));
	assert_false(sbx_uplink_is_upstream(up, &a, NULL, 3129));
	assert_false(sbx_uplink_is_upstream(up, &o, NULL, 3128));
	assert_true(sbx_uplink_takes_names(up));
	sbx_uplink_free(up);

	/* A name: normalised and resolved now; the name itself is the upstream too. */
	up = uplink_of("socks5://LocalHost:1080", NULL, err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_true(up->n_addrs >= 1);
	assert_true(sbx_uplink_is_upstream(up, NULL, "localhost", 1080));
	assert_false(sbx_uplink_is_upstream(up, NULL, "localhost", 1081));
	assert_false(sbx_uplink_takes_names(up));
	sbx_uplink_free(up);

	/* Credentials in the URL: refused, never repeated; the variable erased anyway. */
	up = uplink_of("http://user:hunter2@127.0.0.1:3128", "u:p", err, sizeof(err), &r);
	assert_int_equal(r, -EACCES);
	assert_null(up);
	assert_non_null(strstr(err, "must not carry credentials"));
	assert_null(strstr(err, "hunter2"));
	/* A malformed variable: refused without quoting it. */
	up = uplink_of("http://127.0.0.1:3128", "no-colon-secret", err, sizeof(err), &r);
	assert_int_equal(r, -EINVAL);
	assert_null(strstr(err, "no-colon-secret"));
	/* Without --upstream-proxy the variable is still erased; an empty one counts as none. */
	{
		struct sbx_config cfg = {0};

		setenv(SBX_UPSTREAM_AUTH_ENV, "u:p", 1);
		assert_int_equal(sbx_uplink_load(&cfg, &up, err, sizeof(err)), 0);
		assert_null(up);
		assert_null(getenv(SBX_UPSTREAM_AUTH_ENV));
	}
	up = uplink_of("http://127.0.0.1:3128", "", err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_null(up->secret);
	sbx_uplink_free(up);
	/* A file: one line, control characters refused, never quoted. */
	{
		char path[] = "/tmp/sbx-test-auth-XXXXXX";
		int fd = mkstemp(path);
		struct sbx_config cfg = {.upstream_proxy = "http://127.0.0.1:3128", .upstream_proxy_auth_file = path};

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "u:p\x1b[2Jsecret\n", 15), 15);
		assert_int_equal(sbx_uplink_load(&cfg, &up, err, sizeof(err)), -EINVAL);
		assert_null(strstr(err, "secret"));
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, "u:p\r\n", 5, 0), 5);
		assert_int_equal(sbx_uplink_load(&cfg, &up, err, sizeof(err)), 0);
		assert_non_null(up->secret);
		sbx_uplink_free(up);
		cfg.upstream_proxy_auth_file = "/nonexistent/sbx-auth";
		assert_int_equal(sbx_uplink_load(&cfg, &up, err, sizeof(err)), -ENOENT);
		close(fd);
		unlink(path);
	}
	/* (An unresolvable name, exit 125, is tested in the fake internet: t-allowlist-upstream.) */
	up = uplink_of("http://0x7f.1:3128", NULL, err, sizeof(err), &r);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, "invalid host '0x7f.1'"));
}

/* Read what the handshake sent, exactly @len bytes, and compare. */
static void expect_sent(int peer, const void *want, size_t len)
{
	char got[1200];

	assert_int_equal(recv(peer, got, sizeof(got), MSG_DONTWAIT), (ssize_t)len);
	assert_memory_equal(got, want, len);
}

static void test_uplink_hs_http(void **state)
{
	struct sbx_uplink_result res;
	struct sbx_uplink_hs *hs;
	struct sbx_uplink *up;
	struct sbx_addr dst = addr("192.0.2.1");
	const uint8_t *rest;
	char err[256];
	size_t n;
	int sv[2], r;
	static const char req[] =
		"CONNECT 192.0.2.1:443 HTTP/1.1\r\nHost: 192.0.2.1:443\r\n"
		"Proxy-Authorization: Basic dTpw\r\n\r\n";

	up = uplink_of("http://127.0.0.1:3128", "u:p", err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sbx_uplink_hs_new(up, &dst, NULL, 443, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], req, sizeof(req) - 1);
	/* The answer in pieces; the destination's first bytes follow it. */
	assert_int_equal(send(sv[1], "HTTP/1.1 200 Con", 16, 0), 16);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_MORE);
	assert_int_equal(send(sv[1], "nection established\r\nVia: x\r\n\r\nSSH-2.0", 38, 0), 38);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_DONE);
	rest = sbx_uplink_hs_rest(hs, &n);
	assert_int_equal(n, 7);
	assert_memory_equal(rest, "SSH-2.0", 7);
	sbx_uplink_hs_free(hs);

	/* A 407 whose reason phrase and page quote the credentials: named in sbx's words only. */
	assert_int_equal(sbx_uplink_hs_new(up, NULL, "www.example", 80, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	{
		char got[1200];
		ssize_t k = recv(sv[1], got, sizeof(got) - 1, MSG_DONTWAIT);

		assert_true(k > 0);
		got[k] = '\0';
		assert_non_null(strstr(got, "CONNECT www.example:80 HTTP/1.1\r\n"));
	}
	static const char no[] = "HTTP/1.1 407 you sent dTpw\r\nContent-Length: 4\r\n\r\ndTpw";
	assert_int_equal(send(sv[1], no, sizeof(no) - 1, 0), (ssize_t)(sizeof(no) - 1));
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_FAILED);
	assert_non_null(strstr(res.why,
			       "refused CONNECT www.example:80: 407 Proxy Authentication Required (it did "
			       "not accept sbx's credentials)"));
	assert_null(strstr(res.why, "dTpw"));
	assert_false(res.next_target);
	assert_int_equal(res.socks_rep, SBX_SOCKS5_REP_GENERAL_FAILURE);
	sbx_uplink_hs_free(hs);
	close(sv[0]);
	close(sv[1]);

	/* A gateway error: another address may do. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sbx_uplink_hs_new(up, &dst, NULL, 443, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], req, sizeof(req) - 1);
	assert_int_equal(send(sv[1], "HTTP/1.0 502 x\n\n", 16, 0), 16);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_FAILED);
	assert_true(res.next_target);
	/* Closed before answering. */
	sbx_uplink_hs_free(hs);
	assert_int_equal(sbx_uplink_hs_new(up, &dst, NULL, 443, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], req, sizeof(req) - 1);
	close(sv[1]);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_FAILED);
	assert_non_null(strstr(res.why, "closed the connection before answering"));
	sbx_uplink_hs_free(hs);
	close(sv[0]);
	sbx_uplink_free(up);
}

static void test_uplink_hs_socks(void **state)
{
	struct sbx_uplink_result res;
	struct sbx_uplink_hs *hs;
	struct sbx_uplink *up;
	struct sbx_addr dst = addr("::ffff:11.11.0.10");
	const uint8_t *rest;
	char err[256];
	size_t n;
	int sv[2], r;

	up = uplink_of("socks5h://127.0.0.1:1080", "u:p", err, sizeof(err), &r);
	assert_int_equal(r, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sbx_uplink_hs_new(up, &dst, NULL, 80, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x05\x02\x00\x02", 4);
	assert_int_equal(send(sv[1], "\x05\x02", 2, 0), 2);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x01\x01u\x01p", 5);
	assert_int_equal(send(sv[1], "\x01\x00", 2, 0), 2);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_MORE);
	/* The mapped address is asked for as IPv4. */
	expect_sent(sv[1], "\x05\x01\x00\x01\x0b\x0b\x00\x0a\x00\x50", 10);
	assert_int_equal(send(sv[1], "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00hi", 12, 0), 12);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_DONE);
	rest = sbx_uplink_hs_rest(hs, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(rest, "hi", 2);
	sbx_uplink_hs_free(hs);

	/* By name, no authentication asked; the upstream says connection refused: passed on, next target. */
	assert_int_equal(sbx_uplink_hs_new(up, NULL, "hidden.test", 443, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x05\x02\x00\x02", 4);
	assert_int_equal(send(sv[1], "\x05\x00", 2, 0), 2);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x05\x01\x00\x03\x0bhidden.test\x01\xbb", 18);
	assert_int_equal(send(sv[1], "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10, 0), 10);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_FAILED);
	assert_int_equal(res.socks_rep, SBX_SOCKS5_REP_CONN_REFUSED);
	assert_true(res.next_target);
	assert_non_null(strstr(res.why, "SOCKS5 reply 5 (connection refused)"));
	sbx_uplink_hs_free(hs);

	/* Credentials refused. */
	assert_int_equal(sbx_uplink_hs_new(up, &dst, NULL, 80, &hs), 0);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLOUT, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x05\x02\x00\x02", 4);
	assert_int_equal(send(sv[1], "\x05\x02", 2, 0), 2);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_MORE);
	expect_sent(sv[1], "\x01\x01u\x01p", 5);
	assert_int_equal(send(sv[1], "\x01\x01", 2, 0), 2);
	assert_int_equal(sbx_uplink_hs_io(hs, sv[0], EPOLLIN, &res), SBX_HS_FAILED);
	assert_non_null(strstr(res.why, "did not accept sbx's user name and password"));
	assert_false(res.next_target);
	sbx_uplink_hs_free(hs);
	close(sv[0]);
	close(sv[1]);
	sbx_uplink_free(up);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_dns),
		cmocka_unit_test(test_is_self),
		cmocka_unit_test(test_is_self_follows_changes),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_netlog),
		cmocka_unit_test(test_uplink_load),
		cmocka_unit_test(test_uplink_hs_http),
		cmocka_unit_test(test_uplink_hs_socks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
