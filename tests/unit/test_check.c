// SPDX-License-Identifier: Apache-2.0
/* Unit tests for cmd/check.c: `sbx check` and `sbx presets` output. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

static void test_check_run(void **state)
{
	struct sbx_rule_arg rules[] = {
		{SBX_RULE_ARG_ALLOW, "pypi.org"},
		{SBX_RULE_ARG_ALLOW, "127.0.0.1:3141"},
		{SBX_RULE_ARG_DENY, "*.evil.example"},
	};
	char *dests[] = {"pypi.org:443", "169.254.169.254:80", "[::ffff:127.0.0.1]:3141", "x.evil.example",
			 "example.org"};
	struct sbx_config cfg = {.posture = SBX_POSTURE_ALLOWLIST,
				 .rules = rules,
				 .n_rules = 3,
				 .dests = dests,
				 .n_dests = 5};
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);

	assert_int_equal(sbx_check_run(&cfg, out, err), 3);
	fflush(out);
	assert_string_equal(
		obuf,
		"allow  pypi.org:443  rule \"pypi.org\" (--allow)\n"
		"deny  169.254.169.254:80  special-purpose address (link-local, cloud metadata) (built-in default)\n"
		"allow  [::ffff:127.0.0.1]:3141  rule \"127.0.0.1:3141\" (--allow) opens a host service (loopback)\n"
		"deny  x.evil.example  rule \"*.evil.example\" (--deny)\n"
		"deny  example.org  no allow rule matches, allowlist posture (built-in default)\n");

	/* A refused spelling is the proxy's 403: a deny, not bad input. */
	dests[1] = "0177.0.0.1";
	rewind(out);
	olen = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), 3);
	fputc('\0', out);
	fflush(out);
	assert_non_null(strstr(obuf, "deny  0177.0.0.1  refused spelling: "));
	/* A malformed destination is. */
	dests[1] = "10.0.0.0/8";
	assert_int_equal(sbx_check_run(&cfg, out, err), -EINVAL);
	fflush(err);
	assert_non_null(strstr(ebuf, "invalid destination '10.0.0.0/8'"));

	/* Blocked posture. */
	dests[1] = "8.8.8.8";
	cfg.posture = SBX_POSTURE_BLOCKED;
	cfg.n_dests = 2;
	rewind(out);
	olen = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), 2);
	fputc('\0', out);
	fflush(out);
	assert_string_equal(obuf, "deny  pypi.org:443  posture blocked\ndeny  8.8.8.8  posture blocked\n");

	cfg.n_dests = 0;
	assert_int_equal(sbx_check_run(&cfg, out, err), -EINVAL);
	fclose(out);
	fclose(err);
	free(obuf);
	free(ebuf);
}

/* The text `sbx check` prints for @rules and @dests, or NULL; @ret gets its return value. */
static char *check_text(enum sbx_posture posture, struct sbx_rule_arg *rules, size_t n_rules, char **dests,
			size_t n_dests, int *ret)
{
	struct sbx_config cfg = {.posture = posture,
				 .rules = rules,
				 .n_rules = n_rules,
				 .dests = dests,
				 .n_dests = n_dests};
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = fopen("/dev/null", "w");

	*ret = sbx_check_run(&cfg, out, err);
	fclose(out);
	fclose(err);
	return obuf;
}

/* Host services on loopback: exactly one address and one port, never a name, never a CIDR. */
static void test_check_host_services(void **state)
{
	struct sbx_rule_arg rules[] = {
		{SBX_RULE_ARG_ALLOW, "127.0.0.1:3141"},
		{SBX_RULE_ARG_ALLOW, "[::1]:5432"},
		{SBX_RULE_ARG_ALLOW, "localhost:8000"},
		{SBX_RULE_ARG_ALLOW, "127.0.0.0/8:8000"},
	};
	char *dests[] = {"127.0.0.1:3141", "[::1]:5432",     "127.0.0.1:3142",
			 "localhost:8000", "127.0.0.1:8000", "0.0.0.0:3141"};
	int r;
	char *text = check_text(SBX_POSTURE_ALLOWLIST, rules, 4, dests, 6, &r);

	assert_int_equal(r, 3);
	assert_string_equal(
		text,
		"allow  127.0.0.1:3141  rule \"127.0.0.1:3141\" (--allow) opens a host service (loopback)\n"
		"allow  [::1]:5432  rule \"[::1]:5432\" (--allow) opens a host service (loopback)\n"
		"deny  127.0.0.1:3142  127.0.0.1 is an address of the host itself (loopback); only a rule naming "
		"exactly this address and one port opens it (built-in default)\n"
		/* The name itself is allowed; the proxy then refuses every loopback record (--resolve says so). */
		"allow  localhost:8000  rule \"localhost:8000\" (--allow)\n"
		"deny  127.0.0.1:8000  127.0.0.1 is an address of the host itself (loopback); only a rule naming "
		"exactly this address and one port opens it (built-in default)\n"
		"deny  0.0.0.0:3141  0.0.0.0 is an address of the host itself (unspecified), never a host service "
		"(built-in default)\n");
	free(text);

	/* Resolved, localhost is loopback: a name never reaches a host service. */
	{
		struct sbx_config cfg = {.posture = SBX_POSTURE_ALLOWLIST,
					 .rules = rules,
					 .n_rules = 4,
					 .dests = (char *[]){"localhost:8000"},
					 .n_dests = 1,
					 .resolve = true};
		char *obuf = NULL;
		size_t olen = 0;
		FILE *out = open_memstream(&obuf, &olen), *err = fopen("/dev/null", "w");

		assert_int_equal(sbx_check_run(&cfg, out, err), 1);
		fclose(out);
		fclose(err);
		assert_non_null(strstr(obuf, "deny  localhost:8000  address "));
		assert_non_null(strstr(obuf,
				       ": an address of the host itself (loopback); host services are reached by "
				       "address, never through a name (built-in default)\n"));
		free(obuf);
	}
}

/* Add @text/@plen to lo with one RTM_NEWADDR; 0 or a negative errno. */
static int lo_addr_add(int family, const void *b, int plen)
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
	size_t alen = family == AF_INET ? 4 : 16;
	int fd, r;

	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.ifa)) + RTA_LENGTH(alen));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.ifa.ifa_family = (uint8_t)family;
	req.ifa.ifa_prefixlen = (uint8_t)plen;
	req.ifa.ifa_flags = IFA_F_NODAD;
	req.ifa.ifa_index = if_nametoindex("lo");
	req.rta.rta_type = IFA_LOCAL;
	req.rta.rta_len = (uint16_t)RTA_LENGTH(alen);
	memcpy(req.b, b, alen);
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
 * An interface address of the host is judged as the proxy judges it: only a
 * host-service rule opens it. In a private network namespace (the test's own
 * user namespace gives CAP_NET_ADMIN over it) where 198.51.100.7 is the
 * host's; run in a child, which reports the first failing step.
 */
static int host_interface_child(void)
{
	static const uint8_t a4[4] = {198, 51, 100, 7};
	struct sbx_rule_arg rules[] = {
		{SBX_RULE_ARG_ALLOW, "198.51.100.7:8080"},
		{SBX_RULE_ARG_ALLOW, "198.51.100.0/24"},
	};
	char *dests[] = {"198.51.100.7:8080", "198.51.100.7:8081", "198.51.100.8:8081"};
	const char *want =
		"allow  198.51.100.7:8080  rule \"198.51.100.7:8080\" (--allow) opens a host service (interface "
		"address)\n"
		"deny  198.51.100.7:8081  198.51.100.7 is an address of the host itself (interface address); only a "
		"rule naming exactly this address and one port opens it (built-in default)\n"
		"allow  198.51.100.8:8081  rule \"198.51.100.0/24\" (--allow) opens special-purpose address "
		"(documentation)\n";
	char *text;
	int r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return 1; /* skip */
	text = check_text(SBX_POSTURE_ALLOWLIST, rules, 2, dests, 3, &r);
	/* Not the host's yet: an ordinary (documentation) address. */
	if (r != 0 || !text || !strstr(text, "allow  198.51.100.7:8081  rule \"198.51.100.0/24\""))
		return 10;
	free(text);
	if (lo_addr_add(AF_INET, a4, 32) < 0)
		return 11;
	text = check_text(SBX_POSTURE_ALLOWLIST, rules, 2, dests, 3, &r);
	if (r != 1 || !text || strcmp(text, want) != 0) {
		fprintf(stderr, "got:\n%s", text ? text : "(null)");
		return 12;
	}
	free(text);
	/* Open posture has no host-service step. */
	text = check_text(SBX_POSTURE_OPEN, rules, 0, dests, 3, &r);
	if (r != 0)
		return 13;
	free(text);
	return 0;
}

static void test_check_host_interface(void **state)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(host_interface_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 1)
		skip(); /* no unprivileged user namespaces here */
	if (WEXITSTATUS(st) != 0)
		fail_msg("failed at step %d (see host_interface_child())", WEXITSTATUS(st));
}

static void test_presets_print(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	FILE *err = fopen("/dev/null", "w");

	assert_int_equal(sbx_presets_print(NULL, out, err), 0);
	fflush(out);
	assert_non_null(strstr(buf, "@pypi "));
	assert_non_null(strstr(buf, "@cloud-metadata "));
	rewind(out);
	len = 0;
	assert_int_equal(sbx_presets_print("@pypi", out, err), 0);
	fputc('\0', out);
	fflush(out);
	assert_string_equal(buf, "pypi.org:443\nfiles.pythonhosted.org:443\n");
	assert_int_equal(sbx_presets_print("nope", out, err), -ENOENT);
	fclose(out);
	fclose(err);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_run),
		cmocka_unit_test(test_check_host_services),
		cmocka_unit_test(test_check_host_interface),
		cmocka_unit_test(test_presets_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
