// SPDX-License-Identifier: Apache-2.0
/* Host name normalisation: lower case, trailing dot, IDN to punycode, strict LDH syntax. */

#include <errno.h>
#include <dlfcn.h>
#include <idn2.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

/*
 * Names of cloud metadata services (they resolve to the addresses addr.c
 * classifies as SBX_ADDR_METADATA, or to public addresses that serve the
 * same purpose). Keep in step with the @cloud-metadata preset.
 */
static const char *const metadata_names[] = {
	"metadata.google.internal", /* GCP: cloud.google.com/compute/docs/metadata/overview */
	"metadata.goog",	    /* GCP alias, same page */
	"metadata",		    /* GCP short name through the VM's search domain */
	"instance-data", /* AWS EC2 (VPC DNS), docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html */
	"instance-data.ec2.internal",	/* AWS EC2, same page */
	"metadata.tencentyun.com",	/* Tencent Cloud, www.tencentcloud.com/document/product/213/4934 */
	"metadata.platformequinix.com", /* Equinix Metal, deploy.equinix.com/developers/docs/server-metadata/metadata/ */
	"metadata.packet.net",		/* Equinix Metal (former Packet) */
};

bool sbx_policy_is_metadata_name(const char *host)
{
	for (size_t i = 0; i < sizeof(metadata_names) / sizeof(metadata_names[0]); i++)
		if (strcmp(host, metadata_names[i]) == 0)
			return true;
	return false;
}

/**
 * sbx_policy_hash() - FNV-1a of a byte string.
 * @s: bytes.
 * @len: their number.
 *
 * Return: the 64-bit hash.
 */
uint64_t sbx_policy_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/**
 * sbx_policy_looks_numeric() - whether libc or a browser would read a name as a number.
 * @s: the name (one trailing dot allowed).
 * @len: its length.
 *
 * Follows the WHATWG URL "ends in a number" test: the last label is all
 * decimal digits, or "0x"/"0X" followed by hex digits.
 *
 * Return: true if so.
 */
static bool sbx_policy_looks_numeric(const char *s, size_t len)
{
	size_t start;

	if (len && s[len - 1] == '.')
		len--;
	start = len;
	while (start > 0 && s[start - 1] != '.')
		start--;
	if (start == len)
		return false;
	if (len - start >= 2 && s[start] == '0' && (s[start + 1] == 'x' || s[start + 1] == 'X')) {
		for (size_t i = start + 2; i < len; i++)
			if (!is_hex(s[i]))
				return false;
		return true;
	}
	for (size_t i = start; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int ascii_check(const char *in, size_t len, char *out, size_t outlen, const char **why)
{
	size_t label = 0;

	if (len && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty host name";
		return -EINVAL;
	}
	if (len > 253) {
		*why = "host name longer than 253 characters";
		return -EINVAL;
	}
	if (len + 1 > outlen) {
		*why = "host name too long";
		return -EINVAL;
	}
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? in[i] : '.';

		if (c == '.') {
			if (label == 0) {
				*why = "empty label in host name";
				return -EINVAL;
			}
			if (label > 63) {
				*why = "host name label longer than 63 characters";
				return -EINVAL;
			}
			if (out[i - 1] == '-' || out[i - label] == '-') {
				*why = "host name label starts or ends with '-'";
				return -EINVAL;
			}
			label = 0;
			if (i < len)
				out[i] = '.';
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '-')) {
			*why = c == '*'	  ? "'*' is only valid as a leading '*.' in a rule"
			       : c == '%' ? "zone ids are not accepted"
			       : c == '_' ? "'_' is not valid in a host name"
					  : "invalid character in host name";
			return -EINVAL;
		}
		out[i] = c;
		label++;
	}
	out[len] = '\0';
	if (sbx_policy_looks_numeric(out, len)) {
		*why = "numeric host that is not a canonical dotted-quad or IPv6 address";
		return -EINVAL;
	}
	return (int)len;
}

/*
 * libidn2 is loaded on first use, not linked: only names with non-ASCII
 * characters or "xn--" labels need it, and every `sbx run` would otherwise
 * pay for loading it and libunistring (about 0.25 ms of start-up).
 */
struct idn_api {
	int (*to_ascii)(const char *in, char **out, int flags);
	int (*to_unicode)(const char *in, char **out, int flags);
	void (*release)(void *p);
};

static struct idn_api idn;
static bool idn_loaded;

static void idn_load(void)
{
	void *h = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	idn.to_ascii = (int (*)(const char *, char **, int))dlsym(h, "idn2_to_ascii_8z");
	idn.to_unicode = (int (*)(const char *, char **, int))dlsym(h, "idn2_to_unicode_8z8z");
	idn.release = (void (*)(void *))dlsym(h, "idn2_free");
	idn_loaded = idn.to_ascii && idn.to_unicode && idn.release;
}

static const struct idn_api *idn_get(const char **why)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, idn_load);
	if (!idn_loaded) {
		*why = "internationalised host names need libidn2.so.0, which could not be loaded";
		return NULL;
	}
	return &idn;
}

/* An "xn--" label must be what libidn2 itself would produce for its U-label. */
static int check_alabels(const char *name, const char **why)
{
	char *u = NULL;
	char *back = NULL;
	int ok;

	if (!strstr(name, "xn--"))
		return 0;
	const struct idn_api *api = idn_get(why);
	if (!api)
		return -EINVAL;
	ok = api->to_unicode(name, &u, 0) == IDN2_OK && api->to_ascii(u, &back, IDN2_NONTRANSITIONAL) == IDN2_OK &&
	     strcmp(back, name) == 0;
	api->release(u);
	api->release(back);
	if (!ok) {
		*why = "invalid punycode (xn--) label";
		return -EINVAL;
	}
	return 0;
}

int sbx_policy_host_normalise(const char *in, size_t len, char *out, size_t outlen, const char **why)
{
	static const char *unused;
	bool ascii = true;
	int r;

	if (!why)
		why = &unused;
	if (len > 1024) {
		*why = "host name too long";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\0') {
			*why = "NUL byte in host name";
			return -EINVAL;
		}
		if ((unsigned char)in[i] >= 0x80)
			ascii = false;
	}
	if (ascii) {
		r = ascii_check(in, len, out, outlen, why);
	} else {
		const struct idn_api *api = idn_get(why);
		char buf[1025];
		char *res = NULL;

		if (!api)
			return -EINVAL;
		memcpy(buf, in, len);
		buf[len] = '\0';
		/* UTS #46 non-transitional mapping (lower case, width folding), IDNA2008. */
		if (api->to_ascii(buf, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) {
			*why = "invalid internationalised host name (IDNA2008 / UTS #46)";
			return -EINVAL;
		}
		r = ascii_check(res, strlen(res), out, outlen, why);
		api->release(res);
	}
	if (r >= 0 && check_alabels(out, why) < 0)
		return -EINVAL;
	return r;
}
