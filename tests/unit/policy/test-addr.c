// SPDX-License-Identifier: Apache-2.0
/* Unit tests: address parsing (refused spellings), formatting, special-purpose classification. */

#include "helpers.h"

#include <arpa/inet.h>

static void test_parse_accepts(void **state)
{
	static const struct {
		const char *text;
		int family;
	} ok[] = {
		{"0.0.0.0", AF_INET},
		{"127.0.0.1", AF_INET},
		{"255.255.255.255", AF_INET},
		{"192.0.2.10", AF_INET},
		{"::", AF_INET6},
		{"::1", AF_INET6},
		{"1::", AF_INET6},
		{"2001:db8::1", AF_INET6},
		{"2001:DB8:0:0:0:0:0:1", AF_INET6},
		{"2001:0db8:0000:0000:0000:0000:0000:0001", AF_INET6},
		{"::ffff:127.0.0.1", AF_INET6},
		{"64:ff9b::192.0.2.1", AF_INET6},
		{"1:2:3:4:5:6:1.2.3.4", AF_INET6},
		{"1:2:3:4:5:6:7::", AF_INET6},
		{"::2:3:4:5:6:7:8", AF_INET6},
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct sbx_addr a;
		unsigned char ref[16];

		if (sbx_policy_addr_parse(ok[i].text, strlen(ok[i].text), &a) != 0)
			fail_msg("refused valid address %s", ok[i].text);
		assert_int_equal(a.family, ok[i].family);
		assert_int_equal(inet_pton(ok[i].family, ok[i].text, ref), 1);
		assert_memory_equal(a.b, ref, ok[i].family == AF_INET ? 4 : 16);
	}
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
		"2130706433",
		"0177.0.0.1",
		"0x7f.1",
		"0x7f000001",
		"127.1",
		"127.0.1",
		"127.0.0.01",
		"127.000.000.001",
		"0127.0.0.1",
		"256.0.0.1",
		"1.2.3.4.5",
		"1.2.3.",
		".1.2.3",
		"1..2.3",
		"1.2.3.4 ",
		" 1.2.3.4",
		"+1.2.3.4",
		"1.2.3.-4",
		"fe80::1%eth0",
		"fe80::1%25eth0",
		":::",
		"1:::2",
		"1::2::3",
		":1::",
		"1:",
		":1",
		"1:2:3:4:5:6:7:8:9",
		"1:2:3:4:5:6:7:8::",
		"12345::",
		"g::1",
		"::ffff:127.1",
		"::ffff:0177.0.0.1",
		"::1.2.3.4:5",
		"[::1]",
		"",
		"::ffff:1.2.3.4.5",
		"1:2:3:4:5:6:7:1.2.3.4",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbx_addr a;

		if (sbx_policy_addr_parse(bad[i], strlen(bad[i]), &a) == 0)
			fail_msg("accepted non-canonical spelling '%s'", bad[i]);
	}
}

static void test_format(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{"2001:0DB8:0:0:0:0:0:1", "2001:db8::1"},
		{"::ffff:7f00:1", "::ffff:127.0.0.1"},
		{"10.0.0.1", "10.0.0.1"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbx_addr a;
		char buf[SBX_POLICY_ADDR_STRLEN];

		assert_int_equal(sbx_policy_addr_parse(t[i].in, strlen(t[i].in), &a), 0);
		assert_true(sbx_policy_addr_format(&a, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, t[i].out);
	}
}

/*
 * Both sides of every boundary: each row is an address and the classes it
 * must have (0: none). Rows come in pairs around range edges.
 */
static const struct {
	const char *addr;
	uint32_t classes;
} class_table[] = {
	{"0.0.0.0", SBX_ADDR_UNSPECIFIED | SBX_ADDR_THIS_NETWORK},
	{"0.255.255.255", SBX_ADDR_THIS_NETWORK},
	{"1.0.0.0", 0},
	{"9.255.255.255", 0},
	{"10.0.0.0", SBX_ADDR_PRIVATE},
	{"10.255.255.255", SBX_ADDR_PRIVATE},
	{"11.0.0.0", 0},
	{"100.63.255.255", 0},
	{"100.64.0.0", SBX_ADDR_SHARED},
	{"100.127.255.255", SBX_ADDR_SHARED},
	{"100.128.0.0", 0},
	{"126.255.255.255", 0},
	{"127.0.0.0", SBX_ADDR_LOOPBACK},
	{"127.255.255.255", SBX_ADDR_LOOPBACK},
	{"128.0.0.0", 0},
	{"169.253.255.255", 0},
	{"169.254.0.0", SBX_ADDR_LINK_LOCAL},
	{"169.254.255.255", SBX_ADDR_LINK_LOCAL},
	{"169.255.0.0", 0},
	{"172.15.255.255", 0},
	{"172.16.0.0", SBX_ADDR_PRIVATE},
	{"172.31.255.255", SBX_ADDR_PRIVATE},
	{"172.32.0.0", 0},
	{"191.255.255.255", 0},
	{"192.0.0.0", SBX_ADDR_PROTOCOL},
	{"192.0.0.8", SBX_ADDR_PROTOCOL},
	{"192.0.0.9", 0},  /* PCP anycast: globally reachable */
	{"192.0.0.10", 0}, /* TURN anycast */
	{"192.0.0.11", SBX_ADDR_PROTOCOL},
	{"192.0.0.255", SBX_ADDR_PROTOCOL},
	{"192.0.1.0", 0},
	{"192.0.2.0", SBX_ADDR_DOCUMENTATION},
	{"192.0.2.255", SBX_ADDR_DOCUMENTATION},
	{"192.0.3.0", 0},
	{"192.88.98.255", 0},
	{"192.88.99.0", SBX_ADDR_RESERVED},
	{"192.88.99.255", SBX_ADDR_RESERVED},
	{"192.88.100.0", 0},
	{"192.167.255.255", 0},
	{"192.168.0.0", SBX_ADDR_PRIVATE},
	{"192.168.255.255", SBX_ADDR_PRIVATE},
	{"192.169.0.0", 0},
	{"198.17.255.255", 0},
	{"198.18.0.0", SBX_ADDR_BENCHMARKING},
	{"198.19.255.255", SBX_ADDR_BENCHMARKING},
	{"198.20.0.0", 0},
	{"198.51.99.255", 0},
	{"198.51.100.0", SBX_ADDR_DOCUMENTATION},
	{"198.51.100.255", SBX_ADDR_DOCUMENTATION},
	{"198.51.101.0", 0},
	{"203.0.112.255", 0},
	{"203.0.113.0", SBX_ADDR_DOCUMENTATION},
	{"203.0.113.255", SBX_ADDR_DOCUMENTATION},
	{"203.0.114.0", 0},
	{"223.255.255.255", 0},
	{"224.0.0.0", SBX_ADDR_MULTICAST},
	{"239.255.255.255", SBX_ADDR_MULTICAST},
	{"240.0.0.0", SBX_ADDR_RESERVED},
	{"255.255.255.254", SBX_ADDR_RESERVED},
	{"255.255.255.255", SBX_ADDR_RESERVED | SBX_ADDR_BROADCAST},
	{"8.8.8.8", 0},
	/* Metadata endpoints, IPv4. */
	{"169.254.169.254", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"169.254.169.253", SBX_ADDR_LINK_LOCAL},
	{"169.254.170.2", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"169.254.170.23", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"169.254.0.23", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"169.254.42.42", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"168.63.129.16", SBX_ADDR_METADATA},
	{"168.63.129.15", 0},
	{"168.63.129.17", 0},
	{"192.0.0.192", SBX_ADDR_PROTOCOL | SBX_ADDR_METADATA},
	{"100.100.100.200", SBX_ADDR_SHARED | SBX_ADDR_METADATA},
	{"100.100.100.201", SBX_ADDR_SHARED},

	/* IPv6. */
	{"::", SBX_ADDR_UNSPECIFIED},
	{"::1", SBX_ADDR_LOOPBACK},
	{"::2", SBX_ADDR_THIS_NETWORK},
	{"2000::", 0},
	{"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_RESERVED},
	{"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_DOCUMENTATION},
	{"3fff:1000::", 0},
	{"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0},
	{"4000::", SBX_ADDR_RESERVED},
	{"2607:f8b0:4004:800::200e", 0},
	{"100::", SBX_ADDR_DISCARD},
	{"100::ffff:ffff:ffff:ffff", SBX_ADDR_DISCARD},
	{"100:0:0:1::", SBX_ADDR_RESERVED},
	{"100:0:0:2::", SBX_ADDR_RESERVED},
	/* Teredo: judged by what it embeds (server 0.0.0.0, client ~0 = 255.255.255.255). */
	{"2001::", SBX_ADDR_UNSPECIFIED | SBX_ADDR_THIS_NETWORK | SBX_ADDR_BROADCAST | SBX_ADDR_RESERVED},
	{"2001:1::1", 0}, /* PCP anycast */
	{"2001:1::4", SBX_ADDR_PROTOCOL},
	{"2001:2::", SBX_ADDR_BENCHMARKING | SBX_ADDR_PROTOCOL},
	{"2001:2:0:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_BENCHMARKING | SBX_ADDR_PROTOCOL},
	{"2001:2:1::", SBX_ADDR_PROTOCOL},
	{"2001:3::1", 0},     /* AMT */
	{"2001:4:112::1", 0}, /* AS112-v6 */
	{"2001:4:113::1", SBX_ADDR_PROTOCOL},
	{"2001:10::1", SBX_ADDR_RESERVED | SBX_ADDR_PROTOCOL},
	{"2001:20::1", 0},
	{"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_PROTOCOL},
	{"2001:200::", 0},
	{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0},
	{"2001:db8::", SBX_ADDR_DOCUMENTATION},
	{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_DOCUMENTATION},
	{"2001:db9::", 0},
	{"5f00::1", SBX_ADDR_RESERVED},
	{"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_RESERVED},
	{"fc00::", SBX_ADDR_ULA},
	{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_ULA},
	{"fe00::", SBX_ADDR_RESERVED},
	{"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_RESERVED},
	{"fe80::", SBX_ADDR_LINK_LOCAL},
	{"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_LINK_LOCAL},
	{"fec0::", SBX_ADDR_RESERVED},
	{"ff00::", SBX_ADDR_MULTICAST},
	{"ff02::1", SBX_ADDR_MULTICAST},
	/* Metadata endpoints, IPv6. */
	{"fd00:ec2::254", SBX_ADDR_ULA | SBX_ADDR_METADATA},
	{"fd00:ec2::253", SBX_ADDR_ULA},
	{"fd00:ec2::23", SBX_ADDR_ULA | SBX_ADDR_METADATA},
	{"fd20:ce::254", SBX_ADDR_ULA | SBX_ADDR_METADATA},
	{"fd00:a9fe:a9fe::1", SBX_ADDR_ULA | SBX_ADDR_METADATA},
	{"fd00:42::42", SBX_ADDR_ULA | SBX_ADDR_METADATA},
	{"fe80::a9fe:a9fe", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},

	/* Embedding forms, judged by the IPv4 they carry. */
	{"::ffff:8.8.8.8", 0},
	{"::ffff:127.0.0.1", SBX_ADDR_LOOPBACK},
	{"::ffff:169.254.169.254", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"::ffff:10.0.0.1", SBX_ADDR_PRIVATE},
	{"::127.0.0.1", SBX_ADDR_LOOPBACK}, /* IPv4-compatible */
	{"::8.8.8.8", 0},
	{"::192.168.1.1", SBX_ADDR_PRIVATE},
	{"::fffe:127.0.0.1", SBX_ADDR_RESERVED}, /* just below the mapped range */
	{"::1:0:0:0", SBX_ADDR_RESERVED},	 /* just above it */
	{"64:ff9b::8.8.8.8", 0},
	{"64:ff9b::127.0.0.1", SBX_ADDR_LOOPBACK},
	{"64:ff9b::169.254.169.254", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"64:ff9b::1:0:0", SBX_ADDR_RESERVED}, /* past the /96 */
	{"64:ff9b:1::8.8.8.8", 0},	       /* local-use, /96 layout */
	{"64:ff9b:1::10.0.0.1", SBX_ADDR_PRIVATE},
	{"64:ff9b:1:7f00:1::", SBX_ADDR_LOOPBACK | SBX_ADDR_THIS_NETWORK |
				       SBX_ADDR_UNSPECIFIED}, /* /48 layout 127.0.1.0, and 0.0.0.0 as /96 */
	{"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", SBX_ADDR_BROADCAST | SBX_ADDR_RESERVED},
	{"64:ff9b:2::", SBX_ADDR_RESERVED},
	{"2002:808:808::", 0}, /* 6to4 of 8.8.8.8 */
	{"2002:7f00:1::", SBX_ADDR_LOOPBACK},
	{"2002:a9fe:a9fe::1", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
	{"2002:c0a8:101:1::1", SBX_ADDR_PRIVATE},
	{"2003::", 0},
	/* Teredo: server 65.54.227.120, client ~(80ff:fffe) = 127.0.0.1. */
	{"2001:0:4136:e378:8000:63bf:80ff:fffe", SBX_ADDR_LOOPBACK},
	/* Teredo with a public server and public client (~f7f7:f7f7 = 8.8.8.8). */
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", 0},
	/* Teredo with a private server address. */
	{"2001:0:a00:1:8000:63bf:f7f7:f7f7", SBX_ADDR_PRIVATE},
	/* Teredo client 169.254.169.254 (~5601:5601). */
	{"2001:0:4136:e378::5601:5601", SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA},
};

static void test_classify(void **state)
{
	for (size_t i = 0; i < sizeof(class_table) / sizeof(class_table[0]); i++) {
		struct sbx_addr a;
		struct sbx_addr_info info;
		char got[200], want[200];

		if (sbx_policy_addr_parse(class_table[i].addr, strlen(class_table[i].addr), &a) != 0)
			fail_msg("cannot parse %s", class_table[i].addr);
		sbx_policy_addr_classify(&a, &info);
		if (info.classes != class_table[i].classes) {
			sbx_policy_class_names(info.classes, got, sizeof(got));
			sbx_policy_class_names(class_table[i].classes, want, sizeof(want));
			fail_msg("%s: classes '%s', expected '%s'", class_table[i].addr, got, want);
		}
	}
}

static void test_embedded_extraction(void **state)
{
	struct sbx_addr a;
	struct sbx_addr_info info;
	char buf[SBX_POLICY_ADDR_STRLEN];
	const char *t = "2001:0:4136:e378:8000:63bf:3fff:fdd2"; /* RFC 4380 example: client 192.0.2.45 */

	assert_int_equal(sbx_policy_addr_parse(t, strlen(t), &a), 0);
	sbx_policy_addr_classify(&a, &info);
	assert_int_equal(info.n_embedded, 2);
	sbx_policy_addr_format(&info.embedded[0], buf, sizeof(buf));
	assert_string_equal(buf, "65.54.227.120");
	sbx_policy_addr_format(&info.embedded[1], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.45");
	assert_int_equal(info.classes, SBX_ADDR_DOCUMENTATION);
}

static void test_class_names(void **state)
{
	char buf[200];

	sbx_policy_class_names(SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA, buf, sizeof(buf));
	assert_string_equal(buf, "link-local, cloud metadata");
	/* Truncation must not overflow and must still report the full length. */
	assert_int_equal(sbx_policy_class_names(SBX_ADDR_LINK_LOCAL | SBX_ADDR_METADATA, buf, 4),
			 (int)strlen("link-local, cloud metadata"));
	assert_string_equal(buf, "lin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_embedded_extraction),
		cmocka_unit_test(test_class_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
