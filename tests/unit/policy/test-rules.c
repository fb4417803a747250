// SPDX-License-Identifier: Apache-2.0
/* Unit tests: host normalisation, rule syntax, evaluation and precedence, ports, presets. */

#include "helpers.h"

#include "internal.h"

static void test_normalise(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: refused */
	} t[] = {
		{"PyPI.org", "pypi.org"},
		{"pypi.org.", "pypi.org"},
		{"pypi.org..", NULL},
		{".pypi.org", NULL},
		{"a..b", NULL},
		{"", NULL},
		{".", NULL},
		{"Bücher.example", "xn--bcher-kva.example"},
		{"BÜCHER.EXAMPLE.", "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
		{"xn--zz.example", NULL}, /* invalid punycode */
		{"xn--a.com", NULL},
		{"\xff\xfe.com", NULL},	   /* not UTF-8 */
		{"１２７.０.０.１", NULL}, /* full-width digits map to 127.0.0.1 */
		{"a_b.example", NULL},
		{"-a.example", NULL},
		{"a-.example", NULL},
		{"a-b.example", "a-b.example"},
		{"123.example", "123.example"},
		{"localhost", "localhost"},
		{"2130706433", NULL},
		{"0x7f.1", NULL},
		{"127.1", NULL},
		{"127.0.0.01", NULL},
		{"0177.0.0.1", NULL},
		{"example.0x1f", NULL},
		{"example.123", NULL},
		{"example.123.", NULL},
		{"example.0xg", "example.0xg"},
		{"fe80::1%eth0", NULL},
		{"a.b%c", NULL},
		{"exa mple.com", NULL},
		{"*.example.com", NULL},
		/* 63-character label accepted, 64 refused. */
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", NULL},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[SBX_POLICY_HOST_MAX];
		const char *why = NULL;
		int r = sbx_policy_host_normalise(t[i].in, strlen(t[i].in), out, sizeof(out), &why);

		if (!t[i].out && r >= 0)
			fail_msg("'%s' accepted as '%s'", t[i].in, out);
		if (t[i].out && r < 0)
			fail_msg("'%s' refused: %s", t[i].in, why);
		if (t[i].out) {
			assert_string_equal(out, t[i].out);
			assert_int_equal(r, (int)strlen(t[i].out));
		} else {
			assert_non_null(why);
		}
	}
}

static void test_name_length(void **state)
{
	char name[300], out[SBX_POLICY_HOST_MAX];
	const char *why;

	/* 253 characters: 63.63.63.61 */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	assert_int_equal(sbx_policy_host_normalise(name, 253, out, sizeof(out), &why), 253);
	name[253] = '.';
	name[254] = '\0'; /* one trailing dot is still fine */
	assert_int_equal(sbx_policy_host_normalise(name, 254, out, sizeof(out), &why), 253);
	name[253] = 'a';
	assert_true(sbx_policy_host_normalise(name, 254, out, sizeof(out), &why) < 0);
}

static void test_rule_syntax(void **state)
{
	static const struct {
		const char *rule;
		bool ok;
		const char *err; /* substring of the error */
	} t[] = {
		{"pypi.org", true, NULL},
		{"*.pythonhosted.org", true, NULL},
		{"github.com:443", true, NULL},
		{"*.example.com:8000-8100", true, NULL},
		{"10.0.0.0/8", true, NULL},
		{"10.1.0.0/16:5432", true, NULL},
		{"2001:db8::/32", true, NULL},
		{"[2001:db8::1]:22", true, NULL},
		{"[2001:db8::/32]:443", true, NULL},
		{"[2001:db8::1]", true, NULL},
		{"0.0.0.0/0", true, NULL},
		{"::/0", true, NULL},
		{"127.0.0.1:3141", true, NULL},
		{"@pypi", true, NULL},
		{"@cloud-metadata", true, NULL},
		{"@nope", false, "unknown preset"},
		{"@pypi:443", false, "preset takes no port"},
		{"10.1.2.3/8", false, "did you mean 10.0.0.0/8"},
		{"10.0.0.0/33", false, "prefix length"},
		{"10.0.0.0/08", false, "prefix length"},
		{"2001:db8::/129", false, "prefix length"},
		{"2001:db8::1/32", false, "did you mean 2001:db8::/32"},
		{"127.1", false, "numeric"},
		{"0x7f.1:80", false, "numeric"},
		{"2130706433", false, "numeric"},
		{"0177.0.0.1/8", false, "canonical"},
		{"fe80::1%eth0", false, "zone"},
		{"[fe80::1%eth0]:22", false, "zone"},
		{"pypi.org:0", false, "port"},
		{"pypi.org:65536", false, "port"},
		{"pypi.org:080", false, "port"},
		{"pypi.org:", false, "port"},
		{"pypi.org:100-10", false, "greater"},
		{"pypi.org:1-2-3", false, "port"},
		{"*", false, "alone"},
		{"*.", false, "empty"},
		{"*.*.example.com", false, "'*'"},
		{"foo.*.com", false, "'*'"},
		{"*foo.com", false, "'*'"},
		{"[10.0.0.1]:80", false, "IPv6"},
		{"[::1", false, "]"},
		{"[::1]x", false, "PORT"},
		{":80", false, "missing host"},
		{"", false, "empty"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbx_policy *p = policy_of(SBX_POSTURE_ALLOWLIST, false, NULL);
		struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FLAG};
		char err[256] = "";
		int r = sbx_policy_add_rule(p, false, t[i].rule, &o, err, sizeof(err));

		if (t[i].ok && r != 0)
			fail_msg("'%s' refused: %s", t[i].rule, err);
		if (!t[i].ok && r != -EINVAL)
			fail_msg("'%s' accepted", t[i].rule);
		if (t[i].err && !strstr(err, t[i].err))
			fail_msg("'%s': error '%s' lacks '%s'", t[i].rule, err, t[i].err);
		sbx_policy_free(p);
	}
}

struct eval_case {
	enum sbx_posture posture;
	bool no_default_deny;
	const char *rules;
	const char *dest;
	enum sbx_verdict verdict;
	const char *why; /* substring of the explanation */
};

#define A SBX_POSTURE_ALLOWLIST
#define O SBX_POSTURE_OPEN
#define B SBX_POSTURE_BLOCKED
#define ALLOW SBX_VERDICT_ALLOW
#define DENY SBX_VERDICT_DENY

static const struct eval_case eval_cases[] = {
	/* Exact and wildcard names. */
	{A, false, "allow:pypi.org", "pypi.org", ALLOW, "rule \"pypi.org\" (--allow)"},
	{A, false, "allow:pypi.org", "PYPI.ORG.", ALLOW, "pypi.org"},
	{A, false, "allow:pypi.org", "www.pypi.org", DENY, "no allow rule matches"},
	{A, false, "allow:pypi.org", "evilpypi.org", DENY, "no allow rule matches"},
	{A, false, "allow:*.pythonhosted.org", "files.pythonhosted.org", ALLOW, "*.pythonhosted.org"},
	{A, false, "allow:*.pythonhosted.org", "a.b.c.pythonhosted.org", ALLOW, "*.pythonhosted.org"},
	{A, false, "allow:*.pythonhosted.org", "pythonhosted.org", DENY, "no allow rule"},
	{A, false, "allow:*.pythonhosted.org", "evilpythonhosted.org", DENY, "no allow rule"},
	{A, false, "allow:*.pythonhosted.org", "pythonhosted.org.evil.com", DENY, "no allow rule"},
	{A, false, "allow:*.Bücher.example", "www.xn--bcher-kva.example", ALLOW, "Bücher"},
	/* Deny beats allow, in either order and at any specificity. */
	{A, false, "allow:*.example.com deny:bad.example.com", "bad.example.com", DENY,
	 "rule \"bad.example.com\" (--deny)"},
	{A, false, "deny:bad.example.com allow:*.example.com", "bad.example.com", DENY, "--deny"},
	{A, false, "allow:bad.example.com deny:*.example.com", "bad.example.com", DENY, "*.example.com"},
	{A, false, "allow:*.example.com deny:bad.example.com", "good.example.com", ALLOW, "*.example.com"},
	{A, false, "allow:0.0.0.0/0 deny:203.0.113.0/24", "203.0.113.7", DENY, "203.0.113.0/24"},
	{A, false, "allow:8.8.8.8 deny:8.0.0.0/8", "8.8.8.8", DENY, "8.0.0.0/8"},
	{A, false, "allow:8.0.0.0/8 deny:8.8.8.8", "8.8.4.4", ALLOW, "8.0.0.0/8"},
	/* Postures. */
	{B, false, "allow:pypi.org", "pypi.org", DENY, "posture blocked"},
	{B, false, "allow:8.8.8.8", "8.8.8.8", DENY, "posture blocked"},
	{A, false, NULL, "example.com", DENY, "allowlist posture (built-in default)"},
	{O, false, NULL, "example.com", ALLOW, "open posture (built-in default)"},
	{O, false, "deny:example.com", "example.com", DENY, "--deny"},
	{O, false, "deny:10.0.0.0/8", "10.1.2.3", DENY, "10.0.0.0/8"},
	{O, false, NULL, "10.1.2.3", ALLOW, "open posture"},
	{O, false, NULL, "127.0.0.1", ALLOW, "open posture"},
	/* Addresses and CIDRs. */
	{A, false, "allow:93.184.216.0/24", "93.184.216.34", ALLOW, "93.184.216.0/24"},
	{A, false, "allow:93.184.216.0/24", "93.184.217.34", DENY, "no allow rule"},
	{A, false, "allow:2606:2800::/32", "2606:2800:220:1::1", ALLOW, "2606:2800::/32"},
	{A, false, "allow:2606:2800::/32", "[2606:2801::1]:443", DENY, "no allow rule"},
	{A, false, "allow:8.8.8.8", "::ffff:8.8.8.8", ALLOW, "8.8.8.8"},
	{A, false, "allow:8.8.8.8", "64:ff9b::808:808", ALLOW, "8.8.8.8"},
	{A, false, "deny:8.8.8.8 allow:::/0", "::ffff:8.8.8.8", DENY, "8.8.8.8"},
	{A, false, "deny:8.8.8.8 allow:::/0", "2002:808:808::1", DENY, "8.8.8.8"},
	{O, false, "deny:8.8.8.8", "[64:ff9b::8.8.8.8]:53", DENY, "8.8.8.8"},
	/* Special-purpose ranges in allowlist: broad CIDRs and names never open them. */
	{A, false, "allow:0.0.0.0/0", "127.0.0.1", DENY, "127.0.0.1 is an address of the host itself (loopback)"},
	{A, false, "allow:0.0.0.0/0", "10.0.0.1", DENY, "private-use"},
	{A, false, "allow:0.0.0.0/0", "8.8.8.8", ALLOW, "0.0.0.0/0"},
	{A, false, "allow:::/0", "::1", DENY, "loopback"},
	{A, false, "allow:::/0", "fd12::1", DENY, "unique-local"},
	{A, false, "allow:::/0", "::ffff:127.0.0.1", DENY, "loopback"},
	{A, false, "allow:::/0 allow:0.0.0.0/0", "64:ff9b::7f00:1", DENY, "loopback"},
	{A, false, "allow:0.0.0.0/0", "100.64.0.1", DENY, "shared address space"},
	{A, false, "allow:0.0.0.0/0", "169.254.1.1", DENY, "link-local"},
	{A, false, "allow:0.0.0.0/0", "224.0.0.1", DENY, "multicast"},
	{A, false, "allow:0.0.0.0/0", "255.255.255.255", DENY, "broadcast"},
	{A, false, "allow:0.0.0.0/0", "192.0.2.1", DENY, "documentation"},
	{A, false, "allow:0.0.0.0/0", "198.18.0.1", DENY, "benchmarking"},
	{A, false, "allow:0.0.0.0/0", "240.0.0.1", DENY, "reserved"},
	{A, false, "allow:0.0.0.0/0", "0.0.0.0", DENY, "(unspecified), never a host service"},
	{A, false, "allow:::/0", "::", DENY, "unspecified"},
	{A, false, "allow:::/0", "ff02::1", DENY, "multicast"},
	{A, false, "allow:::/0", "2001:db8::1", DENY, "documentation"},
	{A, false, "allow:::/0", "[2001:0:4136:e378:8000:63bf:80ff:fffe]:80", DENY, "loopback"},
	{A, false, "allow:::/0", "2002:a00:1::", DENY, "private-use"},
	/* An explicit rule inside the special range opens it, and only that. */
	{A, false, "allow:10.1.2.3:3141", "10.1.2.3:3141", ALLOW, "opens special-purpose address (private-use)"},
	{A, false, "allow:10.1.2.3:3141", "10.1.2.3:3142", DENY, "private-use"},
	{A, false, "allow:126.0.0.0/7", "127.9.9.9", DENY, "loopback"},
	/* Host services: the host's loopback is opened only by exactly one address and one port. */
	{A, false, "allow:127.0.0.1:3141", "127.0.0.1:3141", ALLOW,
	 "rule \"127.0.0.1:3141\" (--allow) opens a host service (loopback)"},
	{A, false, "allow:127.0.0.1/32:3141", "127.0.0.1:3141", ALLOW, "opens a host service (loopback)"},
	{A, false, "allow:127.0.0.1:3141", "127.0.0.1:3142", DENY,
	 "127.0.0.1 is an address of the host itself (loopback); only a rule naming exactly this address and one "
	 "port opens it (built-in default)"},
	{A, false, "allow:127.0.0.1:3141", "127.0.0.1", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1:3141", "127.0.0.2:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1:3141", "[::ffff:127.0.0.1]:3141", ALLOW, "rule \"127.0.0.1:3141\""},
	{A, false, "allow:[::ffff:127.0.0.1]:3141", "[::ffff:127.0.0.1]:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:[::ffff:127.0.0.1]:3141", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.0/8:3141", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.0/31:3141", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1:3141-3142", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1:3141-3141", "127.0.0.1:3141", ALLOW, "opens a host service"},
	{A, false, "allow:127.0.0.0/8", "127.9.9.9", DENY, "host itself (loopback)"},
	{A, false, "allow:127.0.0.1:3141 deny:127.0.0.1", "127.0.0.1:3141", DENY, "rule \"127.0.0.1\" (--deny)"},
	{A, false, "allow:127.0.0.1:3141 deny:127.0.0.0/8:3141", "127.0.0.1:3141", DENY, "--deny"},
	{A, false, "allow:0.0.0.0:3141", "0.0.0.0:3141", DENY,
	 "0.0.0.0 is an address of the host itself (unspecified)"},
	{A, false, "allow:127.0.0.1:3141", "0.0.0.0:3141", DENY, "never a host service"},
	{A, false, "allow:0.1.2.3:80", "0.1.2.3:80", DENY, "(this network), never a host service"},
	{A, false, "allow:[::]:3141", "[::]:3141", DENY, "never a host service"},
	{A, false, "allow:[::1]:3141", "[::]:3141", DENY, "never a host service"},
	{A, false, "allow:[::1]:3141", "[::1]:3141", ALLOW, "opens a host service (loopback)"},
	{A, false, "allow:[::1]:3141", "[::1]:3142", DENY, "host itself (loopback)"},
	{A, false, "allow:[::1/128]:3141", "[::1]:3141", ALLOW, "opens a host service"},
	{A, false, "allow:[::/0]:3141", "[::1]:3141", DENY, "host itself (loopback)"},
	{A, false, "allow:localhost:3141", "127.0.0.1:3141", DENY, "host itself (loopback)"},
	/* Open posture: the host's loopback is reachable unless denied (no host-service step). */
	{O, false, NULL, "127.0.0.1:3141", ALLOW, "open posture"},
	{O, false, "deny:127.0.0.0/8", "127.0.0.1:3141", DENY, "--deny"},
	{O, false, NULL, "0.0.0.0:3141", ALLOW, "open posture"},
	{A, false, "allow:10.0.0.0/8", "10.1.1.1", ALLOW, "10.0.0.0/8"},
	{A, false, "allow:10.1.0.0/16:5432", "10.1.2.3:5432", ALLOW, "10.1.0.0/16:5432"},
	{A, false, "allow:10.1.0.0/16:5432", "10.2.2.3:5432", DENY, "private-use"},
	{A, false, "allow:[::1]:8080", "[::1]:8080", ALLOW,
	 "rule \"[::1]:8080\" (--allow) opens a host service (loopback)"},
	{A, false, "allow:fd00::/8", "fd12:3456::1", ALLOW, "fd00::/8"},
	{A, false, "allow:localhost", "127.0.0.1", DENY, "loopback"},
	/* Cloud metadata. */
	{A, false, "allow:0.0.0.0/0", "169.254.169.254:80", DENY,
	 "special-purpose address (link-local, cloud metadata) (built-in default)"},
	{A, false, "allow:169.254.0.0/16", "169.254.169.254", DENY, "cloud metadata"},
	{A, false, "allow:169.254.0.0/16", "169.254.1.1", ALLOW, "169.254.0.0/16"},
	{A, false, "allow:169.254.169.254", "169.254.169.254", ALLOW, "opens"},
	{A, false, "allow:0.0.0.0/0", "168.63.129.16", DENY, "cloud metadata"},
	{A, true, "allow:0.0.0.0/0", "168.63.129.16", ALLOW, "0.0.0.0/0"},
	{A, false, "allow:0.0.0.0/0", "100.100.100.200", DENY, "cloud metadata"},
	{A, false, "allow:0.0.0.0/0", "192.0.0.192", DENY, "cloud metadata"},
	{A, false, "allow:::/0", "fd00:ec2::254", DENY, "cloud metadata"},
	{A, false, "allow:::/0", "[::ffff:169.254.169.254]:80", DENY, "cloud metadata"},
	{A, false, "allow:*.internal", "metadata.google.internal", DENY, "cloud metadata host name"},
	{A, false, "allow:metadata.google.internal", "metadata.google.internal", ALLOW, "metadata.google.internal"},
	{O, false, NULL, "169.254.169.254", DENY, "cloud metadata"},
	{O, false, NULL, "fd00:ec2::254", DENY, "cloud metadata"},
	{O, false, NULL, "fd20:ce::254", DENY, "cloud metadata"},
	{O, false, NULL, "168.63.129.16", DENY, "cloud metadata"},
	{O, false, NULL, "100.100.100.200", DENY, "cloud metadata"},
	{O, false, NULL, "192.0.0.192", DENY, "cloud metadata"},
	{O, false, NULL, "::ffff:169.254.169.254", DENY, "cloud metadata"},
	{O, false, NULL, "2002:a9fe:a9fe::", DENY, "cloud metadata"},
	{O, false, NULL, "metadata.google.internal", DENY, "cloud metadata host name"},
	{O, false, NULL, "metadata", DENY, "cloud metadata host name"},
	{O, false, NULL, "169.254.169.253", ALLOW, "open posture"},
	{O, true, NULL, "169.254.169.254", ALLOW, "open posture"},
	{O, true, NULL, "metadata.google.internal", ALLOW, "open posture"},
	{O, true, "deny:@cloud-metadata", "169.254.169.254", DENY, "@cloud-metadata via --deny"},
	{O, false, "allow:169.254.169.254:80", "169.254.169.254:80", ALLOW, "opens"},
	/* Ports and ranges. */
	{A, false, "allow:github.com:443", "github.com:443", ALLOW, "github.com:443"},
	{A, false, "allow:github.com:443", "github.com:80", DENY, "no allow rule"},
	{A, false, "allow:github.com:443", "github.com", DENY, "no allow rule"},
	{A, false, "allow:github.com", "github.com:22", ALLOW, "github.com"},
	{A, false, "allow:*.example.com:8000-8100", "a.example.com:8000", ALLOW, "8000-8100"},
	{A, false, "allow:*.example.com:8000-8100", "a.example.com:8100", ALLOW, "8000-8100"},
	{A, false, "allow:*.example.com:8000-8100", "a.example.com:7999", DENY, "no allow rule"},
	{A, false, "allow:*.example.com:8000-8100", "a.example.com:8101", DENY, "no allow rule"},
	{A, false, "allow:example.com deny:example.com:22", "example.com:22", DENY, "example.com:22"},
	{A, false, "allow:example.com deny:example.com:22", "example.com:443", ALLOW, "example.com"},
	{A, false, "allow:example.com deny:example.com:22", "example.com", DENY, "example.com:22"},
	{A, false, "allow:[2001:db8::1]:22 allow:::/0", "[2001:db8::1]:22", ALLOW, "opens"},
	{A, false, "allow:[2001:db8::1]:22", "[2001:db8::1]:23", DENY, "documentation"},
	{A, false, "allow:example.com:80 allow:example.com:443", "example.com:443", ALLOW, "example.com:443"},
	/* Presets. */
	{A, false, "allow:@pypi", "pypi.org:443", ALLOW, "rule \"pypi.org:443\" (@pypi via --allow)"},
	{A, false, "allow:@pypi", "files.pythonhosted.org:443", ALLOW, "@pypi"},
	{A, false, "allow:@pypi", "pypi.org:80", DENY, "no allow rule"},
	{A, false, "allow:@github", "objects.githubusercontent.com:443", ALLOW, "@github"},
	{A, false, "allow:@github", "github.com:22", ALLOW, "@github"},
	{A, false, "allow:@npm", "registry.npmjs.org:443", ALLOW, "@npm"},
	{A, false, "allow:@crates", "index.crates.io:443", ALLOW, "@crates"},
	{A, false, "allow:@debian", "deb.debian.org:80", ALLOW, "@debian"},
	{A, false, "allow:@debian", "deb.debian.org:8080", DENY, "no allow rule"},
	{A, false, "allow:@github deny:github.com", "github.com:443", DENY, "--deny"},
};

static void test_evaluation(void **state)
{
	for (size_t i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		const struct eval_case *c = &eval_cases[i];
		struct sbx_policy *p = policy_of(c->posture, c->no_default_deny, c->rules);
		char why[SBX_POLICY_EXPLAIN_MAX];
		enum sbx_verdict v = judge(p, c->dest, why, sizeof(why));

		if (v != c->verdict || !strstr(why, c->why))
			fail_msg("case %zu [%s] %s: got %s '%s', expected %s '...%s...'", i, c->rules ? c->rules : "",
				 c->dest, v ? "allow" : "deny", why, c->verdict ? "allow" : "deny", c->why);
		sbx_policy_free(p);
	}
}

static void addr_of(const char *s, struct sbx_addr *a)
{
	assert_int_equal(sbx_policy_addr_parse(s, strlen(s), a), 0);
}

static void test_resolved(void **state)
{
	struct sbx_policy *p =
		policy_of(A, false, "allow:pypi.org deny:203.0.113.0/24 allow:127.0.0.1:3141 allow:10.0.0.7:3141");
	struct sbx_addr addrs[3];
	struct sbx_decision d;
	char why[SBX_POLICY_EXPLAIN_MAX];

	addr_of("151.101.0.223", &addrs[0]);
	addr_of("2a04:4e42::223", &addrs[1]);
	addr_of("10.0.0.1", &addrs[2]);
	/* Public addresses need no rule of their own: the name allowed them. */
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 443, addrs, 2, &d), ALLOW);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why, "rule \"pypi.org\" (--allow)");
	/* One special address denies the whole answer (DNS rebinding). */
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 443, addrs, 3, &d), DENY);
	assert_true(d.has_addr);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why, "address 10.0.0.1: special-purpose address (private-use) (built-in default)");
	/* A deny CIDR applies to resolved addresses too. */
	addr_of("203.0.113.9", &addrs[2]);
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 443, addrs, 3, &d), DENY);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_non_null(strstr(why, "address 203.0.113.9: rule \"203.0.113.0/24\" (--deny)"));
	/* An explicit address rule opens a special address behind a name, on its port only. */
	addr_of("10.0.0.7", &addrs[0]);
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 3141, addrs, 1, &d), ALLOW);
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 3142, addrs, 1, &d), DENY);
	/* ...but never the host itself: host services are reached by address only. */
	addr_of("127.0.0.1", &addrs[0]);
	assert_int_equal(sbx_policy_judge_resolved(p, "pypi.org", 3141, addrs, 1, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_HOST_ADDRESS);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why,
			    "address 127.0.0.1: an address of the host itself (loopback); host services are "
			    "reached by address, never through a name (built-in default)");
	assert_int_equal(sbx_policy_judge_dns(p, "pypi.org", addrs, 1, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_HOST_ADDRESS);
	/* A denied name is denied before any address is looked at. */
	assert_int_equal(sbx_policy_judge_resolved(p, "example.org", 443, addrs, 0, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_NOT_ALLOWED);
	assert_false(d.has_addr);
	sbx_policy_free(p);
}

/*
 * An interface address of the host, which only the caller knows: opened by a
 * host-service rule for that address and port when named as an address,
 * never by a broader rule, a rule without a port, or a name.
 */
static void test_judge_host(void **state)
{
	struct sbx_policy *p = policy_of(A, false,
					 "allow:192.0.2.5:8080 allow:198.51.100.0/24:8080 allow:93.184.216.34 "
					 "allow:[2001:db8::5]:22 allow:example.com deny:192.0.2.9:8080 "
					 "allow:192.0.2.9:8080");
	struct sbx_decision d;
	struct sbx_addr a;
	char why[SBX_POLICY_EXPLAIN_MAX];

	addr_of("192.0.2.5", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, true, &d), ALLOW);
	assert_int_equal(d.reason, SBX_REASON_HOST_SERVICE);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why, "rule \"192.0.2.5:8080\" (--allow) opens a host service (interface address)");
	/* The same address, not known to be the host's: an ordinary address (documentation range opened). */
	assert_int_equal(sbx_policy_judge_addr(p, &a, 8080, &d), ALLOW);
	assert_int_equal(d.reason, SBX_REASON_SPECIAL_OPENED);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8081, true, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_HOST_ADDRESS);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why,
			    "192.0.2.5 is an address of the host itself (interface address); only a rule naming "
			    "exactly this address and one port opens it (built-in default)");
	/* Through a name: never. */
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, false, &d), DENY);
	assert_true(d.has_addr);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_non_null(strstr(why,
			       "address 192.0.2.5: an address of the host itself (interface address); host "
			       "services are reached by address, never through a name"));
	/* A CIDR wider than one address, or a rule for every port, opens no host service. */
	addr_of("198.51.100.7", &a);
	assert_int_equal(sbx_policy_judge_addr(p, &a, 8080, &d), ALLOW);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, true, &d), DENY);
	addr_of("93.184.216.34", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 443, true, &d), DENY);
	/* IPv4-mapped: judged as the IPv4 address, with IPv4 rules. */
	addr_of("::ffff:192.0.2.5", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, true, &d), ALLOW);
	addr_of("2001:db8::5", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 22, true, &d), ALLOW);
	/* Deny rules still win. */
	addr_of("192.0.2.9", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, true, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_RULE);
	/* Loopback needs no telling. */
	addr_of("127.0.0.1", &a);
	assert_int_equal(sbx_policy_judge_addr(p, &a, 8080, &d), DENY);
	assert_int_equal(d.reason, SBX_REASON_HOST_ADDRESS);
	sbx_policy_free(p);

	/* Open posture: no host-service step; the host's addresses are ordinary. */
	p = policy_of(O, false, NULL);
	addr_of("192.0.2.5", &a);
	assert_int_equal(sbx_policy_judge_host(p, &a, 8080, false, &d), ALLOW);
	sbx_policy_free(p);

	/* Which rules are host-service rules. */
	{
		static const struct {
			const char *rule;
			bool yes;
		} cases[] = {
			{"127.0.0.1:3141", true},
			{"[::1]:5432", true},
			{"192.0.2.5/32:8080", true},
			{"127.0.0.1:1-1", true},
			{"127.0.0.1", false},
			{"127.0.0.1:3141-3142", false},
			{"127.0.0.0/8:3141", false},
			{"0.0.0.0:3141", false},
			{"0.1.2.3:80", false},
			{"[::]:3141", false},
			{"[::ffff:127.0.0.1]:80", false},
			{"localhost:3141", false},
			{"[2001:db8::/127]:22", false},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char rule[64];

			snprintf(rule, sizeof(rule), "allow:%s", cases[i].rule);
			p = policy_of(A, false, rule);
			if (sbx_policy_rule_is_host_service(sbx_policy_rule_at(p, 0)) != cases[i].yes)
				fail_msg("%s: want %s", cases[i].rule, cases[i].yes ? "a host service" : "none");
			sbx_policy_free(p);
		}
		p = policy_of(A, false, "deny:127.0.0.1:3141");
		assert_false(sbx_policy_rule_is_host_service(sbx_policy_rule_at(p, 0)));
		sbx_policy_free(p);
	}
}

static bool count_visit(const struct sbx_policy *p, const struct sbx_rule *r, unsigned plen, void *ctx)
{
	(*(unsigned *)ctx)++;
	return false;
}

/* The patricia trie against a linear scan, on random prefixes of both families. */
static void test_trie_vs_scan(void **state)
{
	struct sbx_policy *p = policy_of(SBX_POSTURE_ALLOWLIST, false, NULL);
	static struct sbx_rule_spec specs[3000];
	uint32_t seed = 99;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct sbx_rule_origin o = {.kind = SBX_ORIGIN_FLAG};
		char text[80], a[SBX_POLICY_ADDR_STRLEN], err[256];
		struct sbx_addr addr = {.family = i % 3 ? AF_INET : AF_INET6};
		unsigned width = addr.family == AF_INET ? 32 : 128, plen;

		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			/* few distinct leading bytes so prefixes nest and share paths */
			addr.b[k] = (uint8_t)(k < 1 ? (seed >> 16) % 3 : seed >> 16);
		}
		seed = seed * 1103515245u + 12345u;
		plen = (seed >> 16) % (width + 1);
		sbx_policy_prefix_mask(addr.b, width, plen);
		sbx_policy_addr_format(&addr, a, sizeof(a));
		snprintf(text, sizeof(text), "%s/%u", a, plen);
		if (sbx_policy_add_rule(p, false, text, &o, err, sizeof(err)) != 0)
			fail_msg("%s: %s", text, err);
		assert_int_equal(sbx_policy_rule_parse(text, &specs[i], err, sizeof(err)), 0);
	}
	for (int q = 0; q < 3000; q++) {
		struct sbx_addr addr = {.family = q % 2 ? AF_INET : AF_INET6};
		unsigned width = addr.family == AF_INET ? 32 : 128, want = 0, got = 0;

		for (int k = 0; k < 16; k++) {
			seed = seed * 1103515245u + 12345u;
			addr.b[k] = (uint8_t)(k < 1 ? (seed >> 16) % 3 : seed >> 16);
		}
		/* Half the queries start inside a rule's prefix. */
		if (q % 4 < 2) {
			const struct sbx_rule_spec *s = &specs[(seed >> 8) % 3000];

			if (s->addr.family == addr.family)
				for (unsigned b = 0; b < s->plen; b++)
					addr.b[b / 8] = (uint8_t)((addr.b[b / 8] & ~(0x80u >> (b % 8))) |
								  (s->addr.b[b / 8] & (0x80u >> (b % 8))));
		}
		for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
			want += specs[i].addr.family == addr.family &&
				sbx_policy_prefix_match(specs[i].addr.b, addr.b, specs[i].plen);
		sbx_policy_trie_walk(p, addr.family == AF_INET ? &p->t4 : &p->t6, addr.b, count_visit, &got);
		if (got != want)
			fail_msg("query %d (width %u): trie found %u matching rules, scan %u", q, width, got, want);
	}
	sbx_policy_free(p);
}

static void test_presets_consistent(void **state)
{
	size_t n;
	const struct sbx_preset *pr = sbx_policy_presets(&n);

	assert_true(n >= 6);
	for (const char *want[] = {"pypi", "npm", "github", "crates", "debian", "cloud-metadata", NULL}, **w = want; *w;
	     w++)
		assert_non_null(sbx_policy_preset_find(*w, strlen(*w)));
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(strcmp(pr[i - 1].name, pr[i].name) < 0);
		assert_non_null(pr[i].rules[0]);
		for (const char *const *r = pr[i].rules; *r; r++) {
			struct sbx_rule_spec spec;
			char err[256];

			if (sbx_policy_rule_parse(*r, &spec, err, sizeof(err)) != 0)
				fail_msg("@%s: rule '%s' invalid: %s", pr[i].name, *r, err);
			assert_null(spec.preset);
		}
	}
	/* Every @cloud-metadata entry is denied by default, and nothing else there. */
	pr = sbx_policy_preset_find("cloud-metadata", 14);
	for (const char *const *r = pr->rules; *r; r++) {
		struct sbx_rule_spec spec;
		struct sbx_addr_info info;

		assert_int_equal(sbx_policy_rule_parse(*r, &spec, NULL, 0), 0);
		if (spec.kind == SBX_RULE_CIDR) {
			sbx_policy_addr_classify(&spec.addr, &info);
			if (!(info.classes & SBX_ADDR_METADATA))
				fail_msg("%s is in @cloud-metadata but not classified as metadata", *r);
		} else if (!sbx_policy_is_metadata_name(spec.host)) {
			fail_msg("%s is in @cloud-metadata but not a metadata name", *r);
		}
	}
}

/* Enumerating rules for the open posture: name rules, wildcards, ports. */
static void test_enumerate(void **state)
{
	struct sbx_policy *p = policy_of(SBX_POSTURE_OPEN, false,
					 "deny:Evil.Example. deny:*.wild.example deny:10.0.0.0/8 deny:db.example:5432 "
					 "deny:@cloud-metadata");
	char host[SBX_POLICY_HOST_MAX];
	const struct sbx_rule *r;
	bool wild = true;

	(void)state;
	assert_true(sbx_policy_rule_count(p) > 4);
	r = sbx_policy_rule_at(p, 0);
	assert_int_equal(sbx_policy_rule_host(r, host, sizeof(host), &wild), 1);
	assert_string_equal(host, "evil.example");
	assert_false(wild);
	assert_true(sbx_policy_rule_port_match(r, 443));
	assert_true(sbx_policy_rule_port_match(r, 0));

	r = sbx_policy_rule_at(p, 1);
	assert_int_equal(sbx_policy_rule_host(r, host, sizeof(host), &wild), 1);
	assert_string_equal(host, "wild.example");
	assert_true(wild);

	r = sbx_policy_rule_at(p, 2);
	assert_int_equal(sbx_policy_rule_host(r, host, sizeof(host), &wild), 0);
	assert_false(wild);

	r = sbx_policy_rule_at(p, 3);
	assert_int_equal(sbx_policy_rule_host(r, host, sizeof(host), &wild), 1);
	assert_string_equal(host, "db.example");
	assert_true(sbx_policy_rule_port_match(r, 5432));
	assert_false(sbx_policy_rule_port_match(r, 5433));
	assert_true(sbx_policy_rule_port_match(r, 0)); /* a port-limited deny covers "every port" */
	assert_int_equal(sbx_policy_rule_host(r, host, 4, &wild), -ENOSPC);

	/* The preset's rules are enumerated one by one, none of them a wildcard. */
	for (size_t i = 4; i < sbx_policy_rule_count(p); i++) {
		assert_non_null(sbx_policy_rule_at(p, i));
		assert_true(sbx_policy_rule_host(sbx_policy_rule_at(p, i), host, sizeof(host), &wild) >= 0);
		assert_false(wild);
	}
	assert_null(sbx_policy_rule_at(p, sbx_policy_rule_count(p)));
	sbx_policy_free(p);
}

/* Issue 13: copies keep ids and verdicts; removal; a narrowed posture; sources of live rules. */
static void test_copy_and_edit(void **state)
{
	struct sbx_policy *p = policy_of(A, false, "allow:pypi.org deny:93.184.0.0/16 allow:@npm"), *c = NULL,
			  *c2 = NULL;
	struct sbx_rule_origin ctl = {.kind = SBX_ORIGIN_CONTROL, .line = 7}, ask = {.kind = SBX_ORIGIN_ASK, .line = 3};
	char why[SBX_POLICY_EXPLAIN_MAX], err[256], src[64];
	uint32_t skip;

	(void)state;
	assert_int_equal(sbx_policy_copy(p, NULL, 0, &c), 0);
	assert_int_equal(sbx_policy_rule_count(c), sbx_policy_rule_count(p));
	for (size_t i = 0; i < sbx_policy_rule_count(p); i++) {
		const struct sbx_rule *a = sbx_policy_rule_at(p, i), *b = sbx_policy_rule_at(c, i);

		assert_int_equal(sbx_policy_rule_id(a), sbx_policy_rule_id(b));
		assert_string_equal(sbx_policy_rule_text(a), sbx_policy_rule_text(b));
		assert_ptr_equal(sbx_policy_rule_by_id(c, sbx_policy_rule_id(a)), b);
	}
	assert_string_equal(sbx_policy_rule_preset(sbx_policy_rule_at(c, 2)), "npm");
	assert_int_equal(judge(c, "pypi.org:443", why, sizeof(why)), ALLOW);
	assert_int_equal(judge(c, "93.184.216.34:443", why, sizeof(why)), DENY);
	assert_int_equal(judge(c, "registry.npmjs.org:443", why, sizeof(why)), ALLOW);

	/* Live rules: ids go on from the last, sources name the request or the question. */
	assert_int_equal(sbx_policy_add_rule(c, false, "other.test", &ctl, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_add_rule(c, true, "pypi.org:22", &ask, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_rule_id(sbx_policy_rule_at(c, sbx_policy_rule_count(c) - 2)),
			 sbx_policy_rule_id(sbx_policy_rule_at(p, sbx_policy_rule_count(p) - 1)) + 1);
	sbx_policy_rule_source(sbx_policy_rule_at(c, sbx_policy_rule_count(c) - 2), src, sizeof(src));
	assert_string_equal(src, "control:7");
	sbx_policy_rule_source(sbx_policy_rule_at(c, sbx_policy_rule_count(c) - 1), src, sizeof(src));
	assert_string_equal(src, "ask:3");
	assert_int_equal(judge(c, "other.test:80", why, sizeof(why)), ALLOW);
	assert_string_equal(why, "rule \"other.test\" (control:7)");
	assert_int_equal(judge(p, "other.test:80", why, sizeof(why)), DENY); /* the original is untouched */

	/* Removal: the deny CIDR goes, everything else stays with its id. */
	skip = sbx_policy_rule_id(sbx_policy_rule_at(c, 1));
	assert_int_equal(sbx_policy_copy(c, &skip, 1, &c2), 0);
	assert_int_equal(sbx_policy_rule_count(c2), sbx_policy_rule_count(c) - 1);
	assert_null(sbx_policy_rule_by_id(c2, skip));
	assert_int_equal(judge(c2, "93.184.216.34:443", why, sizeof(why)), DENY); /* now: no allow rule */
	assert_string_equal(why, "no allow rule matches, allowlist posture (built-in default)");
	assert_int_equal(judge(c2, "other.test:80", why, sizeof(why)), ALLOW);
	assert_int_equal(judge(c2, "pypi.org:22", why, sizeof(why)), DENY);

	/* A narrowed copy denies everything; the policy it came from does not change. */
	sbx_policy_set_posture(c2, SBX_POSTURE_BLOCKED);
	assert_int_equal(judge(c2, "pypi.org:443", why, sizeof(why)), DENY);
	assert_string_equal(why, "posture blocked");
	assert_int_equal(judge(c, "pypi.org:443", why, sizeof(why)), ALLOW);
	sbx_policy_free(c2);
	sbx_policy_free(c);
	sbx_policy_free(p);
}

/* Issue 13: only a destination no rule decides is asked about; an answer stands in for the allow rule only. */
static void test_askable_and_granted(void **state)
{
	struct sbx_policy *p = policy_of(A, false, "allow:pypi.org deny:evil.test deny:198.51.100.0/24");
	struct sbx_decision d;
	struct sbx_dest dest;
	struct sbx_addr addrs[2];
	char why[SBX_POLICY_EXPLAIN_MAX], err[128];

	(void)state;
	/* Askable: no rule at all, by name or by address. */
	assert_int_equal(sbx_policy_dest_parse("other.test:443", &dest, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_judge_dest(p, &dest, &d), DENY);
	assert_true(sbx_policy_askable(&d));
	assert_int_equal(sbx_policy_dest_parse("93.184.216.34:443", &dest, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_judge_dest(p, &dest, &d), DENY);
	assert_true(sbx_policy_askable(&d));
	/* Floors are never askable: deny rules, special and metadata addresses, metadata names, the host. */
	static const char *const floors[] =
		{"evil.test:443", "198.51.100.1:80", "10.0.0.1:80", "169.254.169.254:80", "metadata.google.internal:80",
		 "127.0.0.1:22",  "[::1]:22",	     "0.0.0.0:80"};
	for (size_t i = 0; i < SBX_ARRAY_SIZE(floors); i++) {
		assert_int_equal(sbx_policy_dest_parse(floors[i], &dest, err, sizeof(err)), 0);
		assert_int_equal(sbx_policy_judge_dest(p, &dest, &d), DENY);
		if (sbx_policy_askable(&d))
			fail_msg("%s would be asked about", floors[i]);
		assert_int_equal(sbx_policy_judge_granted(p, &dest, NULL, 0, &d), DENY);
	}
	/* Posture blocked: never asked. */
	{
		struct sbx_policy *b = policy_of(SBX_POSTURE_BLOCKED, false, NULL);

		assert_int_equal(sbx_policy_dest_parse("other.test:443", &dest, err, sizeof(err)), 0);
		assert_int_equal(sbx_policy_judge_dest(b, &dest, &d), DENY);
		assert_false(sbx_policy_askable(&d));
		assert_int_equal(sbx_policy_judge_granted(b, &dest, NULL, 0, &d), DENY);
		sbx_policy_free(b);
	}

	/* Granted: the name, then each address it resolves to still passes the floors. */
	assert_int_equal(sbx_policy_dest_parse("other.test:443", &dest, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_judge_granted(p, &dest, NULL, 0, &d), ALLOW);
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why, "allowed once by the orchestrator's answer (--ask-fd)");
	addr_of("93.184.216.34", &addrs[0]);
	addr_of("10.1.2.3", &addrs[1]);
	assert_int_equal(sbx_policy_judge_granted(p, &dest, addrs, 1, &d), ALLOW);
	assert_int_equal(sbx_policy_judge_granted(p, &dest, addrs, 2, &d), DENY); /* rebinding to a private address */
	sbx_policy_explain(&d, why, sizeof(why));
	assert_string_equal(why, "address 10.1.2.3: special-purpose address (private-use) (built-in default)");
	addr_of("198.51.100.7", &addrs[1]);
	assert_int_equal(sbx_policy_judge_granted(p, &dest, addrs, 2, &d), DENY); /* a deny CIDR */
	/* A name a rule allows is judged by the rule, not by the grant. */
	assert_int_equal(sbx_policy_dest_parse("pypi.org:443", &dest, err, sizeof(err)), 0);
	assert_int_equal(sbx_policy_judge_granted(p, &dest, NULL, 0, &d), ALLOW);
	assert_int_equal(d.reason, SBX_REASON_RULE);
	/* A DNS question (a name, port 0) is granted as the DNS stub judges: any port. */
	memset(&dest, 0, sizeof(dest));
	snprintf(dest.host, sizeof(dest.host), "other.test");
	assert_int_equal(sbx_policy_judge_granted(p, &dest, NULL, 0, &d), ALLOW);
	assert_int_equal(d.reason, SBX_REASON_GRANTED);
	sbx_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_rule_syntax),
		cmocka_unit_test(test_evaluation),
		cmocka_unit_test(test_resolved),
		cmocka_unit_test(test_judge_host),
		cmocka_unit_test(test_trie_vs_scan),
		cmocka_unit_test(test_presets_consistent),
		cmocka_unit_test(test_enumerate),
		cmocka_unit_test(test_copy_and_edit),
		cmocka_unit_test(test_askable_and_granted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
