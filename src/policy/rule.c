// SPDX-License-Identifier: Apache-2.0
/* Rule text: host, *.domain, address, CIDR, optional :PORT or :LO-HI, or @preset. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int parse_error(char *err, size_t errlen, const char *msg)
{
	if (errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

static int parse_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * sbx_policy_port_parse() - parse PORT or LO-HI.
 * @s: text.
 * @len: its length.
 * @lo: first port.
 * @hi: last port (== @lo for a single port).
 * @allow_range: accept LO-HI.
 * @err: reason on failure.
 * @errlen: size of @err.
 *
 * Return: 0 or -EINVAL (ports are 1..65535, decimal, no leading zeros).
 */
static int sbx_policy_port_parse(const char *s, size_t len, uint16_t *lo, uint16_t *hi, bool allow_range, char *err,
				 size_t errlen)
{
	const char *dash = memchr(s, '-', len);
	unsigned a, b;

	if (dash && !allow_range)
		return parse_error(err, errlen, "a destination has a single port, not a range");
	if (!dash) {
		if (parse_dec(s, len, 65535, &a) < 0 || a == 0)
			return parse_error(err, errlen, "invalid port (expected 1-65535)");
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if (parse_dec(s, (size_t)(dash - s), 65535, &a) < 0 || a == 0 ||
	    parse_dec(dash + 1, len - (size_t)(dash - s) - 1, 65535, &b) < 0 || b == 0)
		return parse_error(err, errlen, "invalid port range (expected LO-HI, 1-65535)");
	if (a > b)
		return parse_error(err, errlen, "invalid port range (LO is greater than HI)");
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_prefix(const char *s, size_t len, struct sbx_rule_spec *spec, char *err, size_t errlen)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned width, plen;
	struct sbx_addr masked;

	if (memchr(s, '%', len))
		return parse_error(err, errlen, "IPv6 zone ids are not accepted");
	if (sbx_policy_addr_parse(s, alen, &spec->addr) < 0)
		return parse_error(err, errlen,
				   memchr(s, ':', alen)
					   ? "invalid IPv6 address (expected RFC 4291 text)"
					   : "invalid IPv4 address (expected a canonical dotted quad such as 192.0.2.1)");
	width = sbx_policy_addr_width(&spec->addr);
	plen = width;
	if (slash && parse_dec(slash + 1, len - alen - 1, width, &plen) < 0)
		return parse_error(err, errlen,
				   width == 32 ? "invalid prefix length (expected /0 to /32)"
					       : "invalid prefix length (expected /0 to /128)");
	masked = spec->addr;
	sbx_policy_prefix_mask(masked.b, width, plen);
	if (memcmp(masked.b, spec->addr.b, 16) != 0) {
		char a[SBX_POLICY_ADDR_STRLEN];

		sbx_policy_addr_format(&masked, a, sizeof(a));
		if (errlen)
			snprintf(err, errlen, "address has bits set past the prefix length (did you mean %s/%u?)", a,
				 plen);
		return -EINVAL;
	}
	spec->kind = SBX_RULE_CIDR;
	spec->plen = plen;
	return 0;
}

static int parse_host(const char *s, size_t len, struct sbx_rule_spec *spec, char *err, size_t errlen)
{
	const char *why = NULL;
	bool wild = len >= 2 && s[0] == '*' && s[1] == '.';

	if (len == 1 && s[0] == '*')
		return parse_error(err, errlen, "'*' alone is not a rule (use --network=open to allow everything)");
	if (wild) {
		s += 2;
		len -= 2;
	}
	if (len && (s[0] == '.' || memchr(s, '*', len)))
		return parse_error(err, errlen, "'*' is only valid as a leading '*.' label");
	if (sbx_policy_host_normalise(s, len, spec->host, sizeof(spec->host), &why) < 0)
		return parse_error(err, errlen, why);
	spec->kind = wild ? SBX_RULE_WILDCARD : SBX_RULE_HOST;
	return 0;
}

/**
 * sbx_policy_rule_parse() - parse one rule.
 * @text: the rule as written.
 * @spec: the result.
 * @err: reason on failure (no location prefix).
 * @errlen: size of @err.
 *
 * Return: 0 or -EINVAL.
 */
int sbx_policy_rule_parse(const char *text, struct sbx_rule_spec *spec, char *err, size_t errlen)
{
	size_t len = strlen(text);
	const char *port = NULL;
	size_t hlen = len;
	const char *colon;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->any_port = true;
	spec->port_lo = 1;
	spec->port_hi = 65535;
	if (len == 0)
		return parse_error(err, errlen, "empty rule");
	if (text[0] == '@') {
		spec->preset = NULL;
		if (memchr(text, ':', len))
			return parse_error(err, errlen, "a preset takes no port (its rules carry their own)");
		{
			const struct sbx_preset *pr = sbx_policy_preset_find(text + 1, len - 1);

			if (!pr)
				return parse_error(err, errlen, "unknown preset (see `sbx presets`)");
			spec->preset = pr->name;
		}
		return 0;
	}
	if (text[0] == '[') {
		const char *close = memchr(text, ']', len);

		if (!close)
			return parse_error(err, errlen, "missing ']' after IPv6 address");
		if (close + 1 < text + len) {
			if (close[1] != ':')
				return parse_error(err, errlen, "expected ':PORT' after ']'");
			port = close + 2;
		}
		r = parse_prefix(text + 1, (size_t)(close - text - 1), spec, err, errlen);
		if (r < 0)
			return r;
		if (spec->addr.family != AF_INET6)
			return parse_error(err, errlen, "brackets are only for IPv6 addresses");
	} else if ((colon = strchr(text, ':')) && strchr(colon + 1, ':')) {
		r = parse_prefix(text, len, spec, err, errlen); /* bare IPv6, no port */
		if (r < 0)
			return r;
	} else {
		if (colon) {
			hlen = (size_t)(colon - text);
			port = colon + 1;
		}
		if (hlen == 0)
			return parse_error(err, errlen, "missing host before ':'");
		if (memchr(text, '/', hlen) || sbx_policy_addr_parse(text, hlen, &spec->addr) == 0)
			r = parse_prefix(text, hlen, spec, err, errlen);
		else
			r = parse_host(text, hlen, spec, err, errlen);
		if (r < 0)
			return r;
	}
	if (port) {
		r = sbx_policy_port_parse(port, strlen(port), &spec->port_lo, &spec->port_hi, true, err, errlen);
		if (r < 0)
			return r;
		spec->any_port = false;
	}
	return 0;
}

/* A host the proxy answers with a 403: a verdict for `sbx check`, not bad input. */
static int refused(char *err, size_t errlen, const char *msg)
{
	parse_error(err, errlen, msg);
	return -EPERM;
}

int sbx_policy_dest_parse(const char *s, struct sbx_dest *dest, char *err, size_t errlen)
{
	size_t len = strlen(s), hlen = len;
	const char *port = NULL, *colon;
	const char *why = NULL;
	uint16_t hi;

	memset(dest, 0, sizeof(*dest));
	if (len == 0)
		return parse_error(err, errlen, "empty destination");
	if (memchr(s, '%', len))
		return parse_error(err, errlen, "IPv6 zone ids are not accepted");
	if (memchr(s, '/', len))
		return parse_error(err, errlen, "a destination is one host or address, not a prefix");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return parse_error(err, errlen, "missing ']' after IPv6 address");
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return parse_error(err, errlen, "expected ':PORT' after ']'");
			port = close + 2;
		}
		if (sbx_policy_addr_parse(s + 1, (size_t)(close - s - 1), &dest->addr) < 0 ||
		    dest->addr.family != AF_INET6)
			return refused(err, errlen, "not a canonical IPv6 address (expected RFC 4291 text)");
		dest->is_addr = true;
	} else if ((colon = strchr(s, ':')) && strchr(colon + 1, ':')) {
		if (sbx_policy_addr_parse(s, len, &dest->addr) < 0)
			return refused(err, errlen, "not a canonical IPv6 address (expected RFC 4291 text)");
		dest->is_addr = true;
	} else {
		if (colon) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		}
		if (hlen == 0)
			return parse_error(err, errlen, "missing host before ':'");
		if (sbx_policy_addr_parse(s, hlen, &dest->addr) == 0) {
			dest->is_addr = true;
		} else if (sbx_policy_host_normalise(s, hlen, dest->host, sizeof(dest->host), &why) < 0) {
			dest->host[0] = '\0';
			return refused(err, errlen, why);
		}
	}
	if (port && sbx_policy_port_parse(port, strlen(port), &dest->port, &hi, false, err, errlen) < 0)
		return -EINVAL;
	return 0;
}
