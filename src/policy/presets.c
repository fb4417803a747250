// SPDX-License-Identifier: Apache-2.0
/* Named rule sets (@NAME), compiled into the binary so sbx needs no data files. */

#include <string.h>

#include "internal.h"

/* Python Package Index: index/API on pypi.org, files on files.pythonhosted.org
 * (docs.pypi.org/api/). */
static const char *const pypi[] = {
	"pypi.org:443",
	"files.pythonhosted.org:443",
	NULL,
};

/* npm registry (docs.npmjs.com/cli/using-npm/registry) and the Yarn classic mirror. */
static const char *const npm[] = {
	"registry.npmjs.org:443",
	"registry.yarnpkg.com:443",
	NULL,
};

/* GitHub web, API and git over HTTPS and SSH; release assets, raw files and
 * archives come from *.githubusercontent.com (docs.github.com, "About GitHub's IP addresses"). */
static const char *const github[] = {
	"github.com:443", "github.com:22", "*.github.com:443", "*.githubusercontent.com:443", NULL,
};

/* crates.io: API, sparse index and downloads (doc.rust-lang.org/cargo/reference/registry-index.html). */
static const char *const crates[] = {
	"crates.io:443",
	"index.crates.io:443",
	"static.crates.io:443",
	NULL,
};

/* Debian archive and security mirrors over HTTP (signed by apt) and HTTPS
 * (www.debian.org/mirror/list, deb.debian.org is the CDN front). */
static const char *const debian[] = {
	"deb.debian.org:80", "deb.debian.org:443", "security.debian.org:80", "security.debian.org:443", NULL,
};

/* Go module proxy and checksum database (go.dev/ref/mod#module-proxy). */
static const char *const golang[] = {
	"proxy.golang.org:443",
	"sum.golang.org:443",
	NULL,
};

/* RubyGems (guides.rubygems.org). */
static const char *const rubygems[] = {
	"rubygems.org:443",
	"index.rubygems.org:443",
	NULL,
};

/* Maven Central (central.sonatype.org). */
static const char *const maven[] = {
	"repo.maven.apache.org:443",
	"repo1.maven.org:443",
	NULL,
};

/*
 * Cloud metadata services, by name and address. addr.c classifies the same
 * addresses as SBX_ADDR_METADATA and host.c lists the same names, which is
 * what makes them denied by default; this preset lets a policy name them
 * explicitly (e.g. "deny @cloud-metadata" with --no-default-deny elsewhere).
 * A unit test checks that the three lists agree.
 */
static const char *const cloud_metadata[] = {
	"169.254.169.254",   /* AWS, Azure, GCP, OCI, DigitalOcean, Hetzner, OpenStack, Linode, Vultr, IBM */
	"169.254.170.2",     /* AWS ECS task metadata and credentials */
	"169.254.170.23",    /* AWS EKS Pod Identity agent */
	"169.254.0.23",	     /* Tencent Cloud */
	"169.254.42.42",     /* Scaleway */
	"168.63.129.16",     /* Azure WireServer (public address) */
	"192.0.0.192",	     /* Oracle Cloud (legacy endpoint) */
	"100.100.100.200",   /* Alibaba Cloud */
	"fd00:ec2::254",     /* AWS IMDS over IPv6 */
	"fd00:ec2::23",	     /* AWS EKS Pod Identity over IPv6 */
	"fd20:ce::254",	     /* GCP over IPv6 */
	"fd00:a9fe:a9fe::1", /* Linode/Akamai over IPv6 */
	"fd00:42::42",	     /* Scaleway over IPv6 */
	"fe80::a9fe:a9fe",   /* OpenStack over IPv6 */
	"metadata.google.internal",
	"metadata.goog",
	"metadata",
	"instance-data",
	"instance-data.ec2.internal",
	"metadata.tencentyun.com",
	"metadata.platformequinix.com",
	"metadata.packet.net",
	NULL,
};

static const struct sbx_preset presets[] = {
	{"cloud-metadata", "cloud provider metadata services (denied by default)", cloud_metadata},
	{"crates", "Rust crates.io registry (HTTPS)", crates},
	{"debian", "Debian package archive and security mirrors (HTTP, HTTPS)", debian},
	{"github", "GitHub web, API, git over HTTPS and SSH, raw and release files", github},
	{"golang", "Go module proxy and checksum database (HTTPS)", golang},
	{"maven", "Maven Central (HTTPS)", maven},
	{"npm", "npm registry (HTTPS)", npm},
	{"pypi", "Python Package Index (HTTPS)", pypi},
	{"rubygems", "RubyGems (HTTPS)", rubygems},
};

/**
 * sbx_policy_preset_find() - look a preset up by name.
 * @name: name without '@'.
 * @len: its length.
 *
 * Return: the preset, or NULL.
 */
const struct sbx_preset *sbx_policy_preset_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strlen(presets[i].name) == len && memcmp(presets[i].name, name, len) == 0)
			return &presets[i];
	return NULL;
}

/**
 * sbx_policy_presets() - every preset, sorted by name.
 * @n: set to their number.
 *
 * Return: the table.
 */
const struct sbx_preset *sbx_policy_presets(size_t *n)
{
	*n = sizeof(presets) / sizeof(presets[0]);
	return presets;
}
