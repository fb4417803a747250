// SPDX-License-Identifier: Apache-2.0
/* Address text (strict canonical forms only) and special-purpose classification. */

/*
 * Theory of operation
 *
 * Parsing: only two spellings are addresses: four decimal octets without
 * leading zeros, and RFC 4291 section 2.2 IPv6 text (hex groups, one "::",
 * an optional canonical dotted-quad tail). Everything else that libc's
 * inet_aton() or a resolver would read as a number (2130706433, 0177.0.0.1,
 * 0x7f.1, 127.1, zone ids) is refused here and, because host.c refuses
 * numeric-looking names, never reaches a resolver either.
 *
 * Classification: a fixed table of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries, the multicast blocks, the IPv6 blocks that are not
 * allocated for unicast, and every cloud metadata endpoint we know of.
 * Entries marked global are the registry's "Globally Reachable: True"
 * carve-outs (and the IPv4-embedding prefixes); they cancel the classes of
 * shorter entries, so 2001:3::/32 (AMT) is not swept up by 2001::/23.
 * Embedding prefixes additionally yield the IPv4 address(es) they carry,
 * which are classified in turn: ::ffff:127.0.0.1 is loopback.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/**
 * sbx_policy_addr_parse_v4() - parse a canonical dotted quad.
 * @s: text.
 * @len: its length.
 * @out: four bytes, network order.
 *
 * Return: 0, or -EINVAL unless @s is exactly four decimal octets 0..255
 * without leading zeros.
 */
static int sbx_policy_addr_parse_v4(const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			start = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255)
			return -EINVAL;
		if (s[start] == '0' && i - start > 1)
			return -EINVAL;
		out[part] = (uint8_t)v;
	}
	return i == len ? 0 : -EINVAL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_v6(const char *s, size_t len, uint8_t out[16])
{
	uint16_t words[8] = {0};
	int n = 0, gap = -1;
	size_t i = 0;

	if (len < 2 || len > 64)
		return -EINVAL;
	if (s[0] == ':') {
		if (s[1] != ':')
			return -EINVAL;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t j = i;
		unsigned v = 0;

		if (n == 8)
			return -EINVAL;
		while (j < len && hexval(s[j]) >= 0)
			j++;
		if (j < len && s[j] == '.') {
			uint8_t v4[4];

			if (n > 6 || sbx_policy_addr_parse_v4(s + i, len - i, v4) < 0)
				return -EINVAL;
			words[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			words[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = len;
			break;
		}
		if (j == i || j - i > 4)
			return -EINVAL;
		for (size_t k = i; k < j; k++)
			v = v << 4 | (unsigned)hexval(s[k]);
		words[n++] = (uint16_t)v;
		i = j;
		if (i == len)
			break;
		if (s[i] != ':')
			return -EINVAL;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = n;
			i++;
		} else if (i == len) {
			return -EINVAL;
		}
	}
	if (gap < 0 && n != 8)
		return -EINVAL;
	if (gap >= 0 && n > 7)
		return -EINVAL; /* "::" stands for one or more zero groups */
	if (gap >= 0) {
		int tail = n - gap;

		memmove(&words[8 - tail], &words[gap], (size_t)tail * sizeof(words[0]));
		for (int k = gap; k < 8 - tail; k++)
			words[k] = 0;
	}
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (uint8_t)(words[k] >> 8);
		out[2 * k + 1] = (uint8_t)words[k];
	}
	return 0;
}

int sbx_policy_addr_parse(const char *s, size_t len, struct sbx_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (memchr(s, ':', len)) {
		if (parse_v6(s, len, out->b) < 0)
			return -EINVAL;
		out->family = AF_INET6;
		return 0;
	}
	if (sbx_policy_addr_parse_v4(s, len, out->b) < 0)
		return -EINVAL;
	out->family = AF_INET;
	return 0;
}

int sbx_policy_addr_format(const struct sbx_addr *a, char *buf, size_t len)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(a->family, a->b, buf, (socklen_t)len))
		return -ENOSPC;
	return (int)strlen(buf);
}

/**
 * sbx_policy_addr_width() - address length in bits.
 * @a: the address.
 *
 * Return: 32 for IPv4, 128 for IPv6.
 */
unsigned sbx_policy_addr_width(const struct sbx_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/**
 * sbx_policy_prefix_match() - compare the first @plen bits of two addresses.
 * @a: first address bytes.
 * @b: second address bytes.
 * @plen: number of leading bits to compare.
 *
 * Return: true if they are equal.
 */
bool sbx_policy_prefix_match(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rem == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

/**
 * sbx_policy_prefix_mask() - clear every bit after the first @plen.
 * @a: address bytes, modified.
 * @width: address width in bits.
 * @plen: bits to keep.
 */
void sbx_policy_prefix_mask(uint8_t *a, unsigned width, unsigned plen)
{
	unsigned full = plen / 8;

	if (full >= width / 8)
		return;
	if (plen % 8)
		a[full++] &= (uint8_t)(0xff << (8 - plen % 8));
	memset(a + full, 0, width / 8 - full);
}

enum {
	SP_GLOBAL = 1 << 0,  /* registry: globally reachable (a carve-out) */
	SP_GENERIC = 1 << 1, /* unallocated block: counts only if nothing specific matched */
	SP_EMBED96 = 1 << 2, /* IPv4 in the last 32 bits */
	SP_EMBED6TO4 = 1 << 3,
	SP_TEREDO = 1 << 4,
	SP_RFC6052 = 1 << 5, /* local-use NAT64: any RFC 6052 format inside the /48 */
};

struct special {
	uint8_t family;
	uint8_t plen;
	uint8_t flags;
	uint32_t classes;
	uint8_t b[16];
};

#define V4(a, b_, c, d, len, cls, fl)  \
	{                              \
		AF_INET, len, fl, cls, \
		{                      \
			a, b_, c, d    \
		}                      \
	}
#define W(x) (uint8_t)((x) >> 8), (uint8_t)((x)&0xff)
#define V6(len, cls, fl, ...)           \
	{                               \
		AF_INET6, len, fl, cls, \
		{                       \
			__VA_ARGS__     \
		}                       \
	}

/*
 * Sources: https://www.iana.org/assignments/iana-ipv4-special-registry/
 * https://www.iana.org/assignments/iana-ipv6-special-registry/
 * https://www.iana.org/assignments/multicast-addresses/
 * https://www.iana.org/assignments/ipv6-address-space/
 * Metadata endpoints: each entry names its provider's documentation.
 */
static const struct special specials[] = {
	/* RFC 791: "this network"; 0.0.0.0/32 "this host" (RFC 1122). */
	V4(0, 0, 0, 0, 8, SBX_ADDR_THIS_NETWORK, 0),
	V4(0, 0, 0, 0, 32, SBX_ADDR_UNSPECIFIED, 0),
	/* RFC 1918 private-use. */
	V4(10, 0, 0, 0, 8, SBX_ADDR_PRIVATE, 0),
	/* RFC 6598 shared address space (carrier-grade NAT). */
	V4(100, 64, 0, 0, 10, SBX_ADDR_SHARED, 0),
	/* RFC 1122 loopback. */
	V4(127, 0, 0, 0, 8, SBX_ADDR_LOOPBACK, 0),
	/* RFC 3927 link-local. */
	V4(169, 254, 0, 0, 16, SBX_ADDR_LINK_LOCAL, 0),
	/* RFC 1918 private-use. */
	V4(172, 16, 0, 0, 12, SBX_ADDR_PRIVATE, 0),
	/* RFC 6890 IETF protocol assignments (incl. DS-Lite 192.0.0.0/29, 192.0.0.8, 192.0.0.170/171). */
	V4(192, 0, 0, 0, 24, SBX_ADDR_PROTOCOL, 0),
	/* RFC 7723 PCP anycast and RFC 8155 TURN anycast: globally reachable. */
	V4(192, 0, 0, 9, 32, 0, SP_GLOBAL),
	V4(192, 0, 0, 10, 32, 0, SP_GLOBAL),
	/* RFC 5737 TEST-NET-1. */
	V4(192, 0, 2, 0, 24, SBX_ADDR_DOCUMENTATION, 0),
	/* RFC 7526: deprecated 6to4 relay anycast. */
	V4(192, 88, 99, 0, 24, SBX_ADDR_RESERVED, 0),
	/* RFC 1918 private-use. */
	V4(192, 168, 0, 0, 16, SBX_ADDR_PRIVATE, 0),
	/* RFC 2544 benchmarking. */
	V4(198, 18, 0, 0, 15, SBX_ADDR_BENCHMARKING, 0),
	/* RFC 5737 TEST-NET-2 and TEST-NET-3. */
	V4(198, 51, 100, 0, 24, SBX_ADDR_DOCUMENTATION, 0),
	V4(203, 0, 113, 0, 24, SBX_ADDR_DOCUMENTATION, 0),
	/* RFC 5771 multicast. */
	V4(224, 0, 0, 0, 4, SBX_ADDR_MULTICAST, 0),
	/* RFC 1112 reserved for future use. */
	V4(240, 0, 0, 0, 4, SBX_ADDR_RESERVED, 0),
	/* RFC 919 limited broadcast. */
	V4(255, 255, 255, 255, 32, SBX_ADDR_BROADCAST, 0),

	/* AWS IMDS, Azure IMDS, GCP, Oracle OCI, DigitalOcean, Hetzner, OpenStack,
	 * Linode/Akamai, Vultr, IBM Cloud VPC, Huawei: 169.254.169.254.
	 * docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
	 * learn.microsoft.com/azure/virtual-machines/instance-metadata-service
	 * cloud.google.com/compute/docs/metadata/querying-metadata
	 * docs.oracle.com/iaas/Content/Compute/Tasks/gettingmetadata.htm
	 * docs.digitalocean.com/reference/api/metadata-api/
	 * docs.hetzner.cloud/#server-metadata
	 * docs.openstack.org/nova/latest/user/metadata.html */
	V4(169, 254, 169, 254, 32, SBX_ADDR_METADATA, 0),
	/* AWS ECS task metadata and credentials endpoint (169.254.170.2).
	 * docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html */
	V4(169, 254, 170, 2, 32, SBX_ADDR_METADATA, 0),
	/* AWS EKS Pod Identity agent (169.254.170.23).
	 * docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html */
	V4(169, 254, 170, 23, 32, SBX_ADDR_METADATA, 0),
	/* Tencent Cloud metadata (metadata.tencentyun.com).
	 * www.tencentcloud.com/document/product/213/4934 */
	V4(169, 254, 0, 23, 32, SBX_ADDR_METADATA, 0),
	/* Scaleway instance metadata. www.scaleway.com/en/docs/instances/ */
	V4(169, 254, 42, 42, 32, SBX_ADDR_METADATA, 0),
	/* Azure WireServer / host agent: a public address, not link-local.
	 * learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16 */
	V4(168, 63, 129, 16, 32, SBX_ADDR_METADATA, 0),
	/* Oracle Cloud legacy metadata endpoint (inside 192.0.0.0/24). */
	V4(192, 0, 0, 192, 32, SBX_ADDR_METADATA, 0),
	/* Alibaba Cloud ECS metadata (inside 100.64.0.0/10).
	 * www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata */
	V4(100, 100, 100, 200, 32, SBX_ADDR_METADATA, 0),

	/* RFC 4291 unspecified and loopback. */
	V6(128, SBX_ADDR_UNSPECIFIED, 0, 0),
	V6(128, SBX_ADDR_LOOPBACK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
	/* RFC 4291 2.5.5.1 IPv4-compatible (deprecated): judged by the IPv4 it holds. */
	V6(96, 0, SP_GLOBAL | SP_EMBED96, 0),
	/* RFC 4291 2.5.5.2 IPv4-mapped. */
	V6(96, 0, SP_GLOBAL | SP_EMBED96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff),
	/* RFC 6052 NAT64 well-known prefix. */
	V6(96, 0, SP_GLOBAL | SP_EMBED96, W(0x64), W(0xff9b)),
	/* RFC 8215 local-use NAT64 prefix: any RFC 6052 layout inside the /48. */
	V6(48, 0, SP_GLOBAL | SP_RFC6052, W(0x64), W(0xff9b), W(0x1)),
	/* RFC 6666 discard-only. */
	V6(64, SBX_ADDR_DISCARD, 0, W(0x100)),
	/* RFC 9780 dummy prefix. */
	V6(64, SBX_ADDR_RESERVED, 0, W(0x100), 0, 0, 0, 0, W(1)),
	/* RFC 2928 IETF protocol assignments. */
	V6(23, SBX_ADDR_PROTOCOL, 0, W(0x2001)),
	/* RFC 4380 Teredo: judged by its server and (obfuscated) client IPv4. */
	V6(32, 0, SP_GLOBAL | SP_TEREDO, W(0x2001)),
	/* RFC 7723 PCP, RFC 8155 TURN, RFC 9665 DNS-SD SRP anycast: global. */
	V6(128, 0, SP_GLOBAL, W(0x2001), W(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(1)),
	V6(128, 0, SP_GLOBAL, W(0x2001), W(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(2)),
	V6(128, 0, SP_GLOBAL, W(0x2001), W(1), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(3)),
	/* RFC 5180 benchmarking. */
	V6(48, SBX_ADDR_BENCHMARKING, 0, W(0x2001), W(2)),
	/* RFC 7450 AMT, RFC 7535 AS112-v6: global. */
	V6(32, 0, SP_GLOBAL, W(0x2001), W(3)),
	V6(48, 0, SP_GLOBAL, W(0x2001), W(4), W(0x112)),
	/* RFC 4843 deprecated ORCHID. */
	V6(28, SBX_ADDR_RESERVED, 0, W(0x2001), W(0x10)),
	/* RFC 7343 ORCHIDv2, RFC 9374 drone DETs: global. */
	V6(28, 0, SP_GLOBAL, W(0x2001), W(0x20)),
	V6(28, 0, SP_GLOBAL, W(0x2001), W(0x30)),
	/* RFC 3849 and RFC 9637 documentation. */
	V6(32, SBX_ADDR_DOCUMENTATION, 0, W(0x2001), W(0xdb8)),
	V6(20, SBX_ADDR_DOCUMENTATION, 0, W(0x3fff)),
	/* RFC 3056 6to4: judged by the IPv4 in bits 16..47. */
	V6(16, 0, SP_GLOBAL | SP_EMBED6TO4, W(0x2002)),
	/* RFC 9602 SRv6 SIDs. */
	V6(16, SBX_ADDR_RESERVED, 0, W(0x5f00)),
	/* RFC 4193 unique-local, RFC 4291 link-local, RFC 3879 site-local, multicast. */
	V6(7, SBX_ADDR_ULA, 0, W(0xfc00)),
	V6(10, SBX_ADDR_LINK_LOCAL, 0, W(0xfe80)),
	V6(10, SBX_ADDR_RESERVED, 0, W(0xfec0)),
	V6(8, SBX_ADDR_MULTICAST, 0, W(0xff00)),
	/* IPv6 address space registry: everything outside 2000::/3 that is not
	 * listed above is reserved by the IETF or unallocated. */
	V6(3, SBX_ADDR_RESERVED, SP_GENERIC, W(0x0000)),
	V6(2, SBX_ADDR_RESERVED, SP_GENERIC, W(0x4000)),
	V6(1, SBX_ADDR_RESERVED, SP_GENERIC, W(0x8000)),

	/* AWS IMDS and EKS Pod Identity over IPv6 (Nitro).
	 * docs.aws.amazon.com/whitepapers/latest/ipv6-on-aws/supporting-amazon-vpc-services.html */
	V6(128, SBX_ADDR_METADATA, 0, W(0xfd00), W(0xec2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(0x254)),
	V6(128, SBX_ADDR_METADATA, 0, W(0xfd00), W(0xec2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(0x23)),
	/* GCP metadata server over IPv6.
	 * cloud.google.com/compute/docs/metadata/querying-metadata */
	V6(128, SBX_ADDR_METADATA, 0, W(0xfd20), W(0xce), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(0x254)),
	/* Linode/Akamai metadata service over IPv6.
	 * techdocs.akamai.com/cloud-computing/docs/overview-of-the-metadata-service */
	V6(128, SBX_ADDR_METADATA, 0, W(0xfd00), W(0xa9fe), W(0xa9fe), 0, 0, 0, 0, 0, 0, 0, 0, W(1)),
	/* Scaleway metadata over IPv6. */
	V6(128, SBX_ADDR_METADATA, 0, W(0xfd00), W(0x42), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(0x42)),
	/* OpenStack metadata over IPv6 (link-local fe80::a9fe:a9fe).
	 * docs.openstack.org/neutron/latest/admin/config-services.html */
	V6(128, SBX_ADDR_METADATA, 0, W(0xfe80), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W(0xa9fe), W(0xa9fe)),
};

static void set_v4(struct sbx_addr *a, const uint8_t *b, bool invert)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	for (int i = 0; i < 4; i++)
		a->b[i] = invert ? (uint8_t)~b[i] : b[i];
}

static void add_embedded(struct sbx_addr_info *info, const uint8_t *b, bool invert)
{
	struct sbx_addr e;

	if (info->n_embedded >= sizeof(info->embedded) / sizeof(info->embedded[0]))
		return;
	set_v4(&e, b, invert);
	for (unsigned i = 0; i < info->n_embedded; i++)
		if (memcmp(info->embedded[i].b, e.b, 4) == 0)
			return;
	info->embedded[info->n_embedded++] = e;
}

/* RFC 6052 section 2.2 layouts that fit inside a /48 (bits 64..71 must be zero). */
static void add_rfc6052(struct sbx_addr_info *info, const uint8_t *b)
{
	static const uint8_t zero[16];
	uint8_t v[4];

	if (b[8] == 0 && memcmp(b + 11, zero, 5) == 0) { /* /48 */
		v[0] = b[6], v[1] = b[7], v[2] = b[9], v[3] = b[10];
		add_embedded(info, v, false);
	}
	if (b[8] == 0 && memcmp(b + 12, zero, 4) == 0) { /* /56 */
		v[0] = b[7], v[1] = b[9], v[2] = b[10], v[3] = b[11];
		add_embedded(info, v, false);
	}
	if (b[8] == 0 && memcmp(b + 13, zero, 3) == 0) /* /64 */
		add_embedded(info, b + 9, false);
	add_embedded(info, b + 12, false); /* /96 */
}

static void classify_one(const struct sbx_addr *a, uint32_t ignore, uint32_t *classes, unsigned *plen,
			 struct sbx_addr_info *info)
{
	const size_t n = sizeof(specials) / sizeof(specials[0]);
	const struct special *embed = NULL;
	bool overridden = false;
	int global = -1;
	uint32_t specific = 0, generic = 0;
	unsigned plen_s = 0, plen_g = 0;

	for (size_t i = 0; i < n; i++) {
		const struct special *s = &specials[i];

		if (s->family == a->family && (s->flags & SP_GLOBAL) && sbx_policy_prefix_match(s->b, a->b, s->plen) &&
		    (int)s->plen > global) {
			global = s->plen;
			embed = s;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct special *s = &specials[i];
		uint32_t c = s->classes & ~ignore;

		if (s->family != a->family || (s->flags & SP_GLOBAL) || (int)s->plen <= global ||
		    !sbx_policy_prefix_match(s->b, a->b, s->plen))
			continue;
		if (!(s->flags & SP_GENERIC))
			overridden = true;
		if (!c)
			continue;
		if (s->flags & SP_GENERIC) {
			generic |= c;
			plen_g = s->plen > plen_g ? s->plen : plen_g;
		} else {
			specific |= c;
			plen_s = s->plen > plen_s ? s->plen : plen_s;
		}
	}
	*classes = specific ? specific : generic;
	*plen = specific ? plen_s : plen_g;

	/* A narrower registry entry (::1 inside ::/96) wins over the embedding reading. */
	if (!info || !embed || overridden)
		return;
	if (embed->flags & SP_EMBED96)
		add_embedded(info, a->b + 12, false);
	if (embed->flags & SP_EMBED6TO4)
		add_embedded(info, a->b + 2, false);
	if (embed->flags & SP_TEREDO) {
		add_embedded(info, a->b + 4, false);
		add_embedded(info, a->b + 12, true);
	}
	if (embed->flags & SP_RFC6052)
		add_rfc6052(info, a->b);
}

void sbx_policy_addr_classify_ex(const struct sbx_addr *a, uint32_t ignore, struct sbx_addr_info *info)
{
	memset(info, 0, sizeof(*info));
	classify_one(a, ignore, &info->self_classes, &info->plen, a->family == AF_INET6 ? info : NULL);
	info->classes = info->self_classes;
	for (unsigned i = 0; i < info->n_embedded; i++) {
		classify_one(&info->embedded[i], ignore, &info->emb_classes[i], &info->emb_plen[i], NULL);
		info->classes |= info->emb_classes[i];
	}
}

void sbx_policy_addr_classify(const struct sbx_addr *a, struct sbx_addr_info *info)
{
	sbx_policy_addr_classify_ex(a, 0, info);
}

int sbx_policy_class_names(uint32_t classes, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{SBX_ADDR_UNSPECIFIED, "unspecified"},
		{SBX_ADDR_THIS_NETWORK, "this network"},
		{SBX_ADDR_LOOPBACK, "loopback"},
		{SBX_ADDR_PRIVATE, "private-use"},
		{SBX_ADDR_SHARED, "shared address space"},
		{SBX_ADDR_LINK_LOCAL, "link-local"},
		{SBX_ADDR_ULA, "unique-local"},
		{SBX_ADDR_MULTICAST, "multicast"},
		{SBX_ADDR_BROADCAST, "broadcast"},
		{SBX_ADDR_DOCUMENTATION, "documentation"},
		{SBX_ADDR_BENCHMARKING, "benchmarking"},
		{SBX_ADDR_RESERVED, "reserved"},
		{SBX_ADDR_PROTOCOL, "IETF protocol assignment"},
		{SBX_ADDR_DISCARD, "discard-only"},
		{SBX_ADDR_METADATA, "cloud metadata"},
		{SBX_ADDR_HOST, "interface address"},
	};
	size_t off = 0;
	int total = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int w;

		if (!(classes & names[i].bit))
			continue;
		w = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, "%s%s", total ? ", " : "",
			     names[i].name);
		if (w < 0)
			return w;
		total += w;
		off = (size_t)total;
	}
	return total;
}
