// SPDX-License-Identifier: Apache-2.0
/* A destination as a proxy client named it: canonical address text, or a normalised host name. */

#include <errno.h>
#include <string.h>

#include "gateway.h"

/**
 * sbx_target_parse() - turn a host as a client named it into a destination.
 * @text: a name, IPv4 text, or IPv6 text (without brackets)
 * @is_v6: @text was given as an IPv6 literal
 * @dest: the address, or the normalised name (port left 0)
 * @why: on failure, a static reason
 *
 * Only canonical address text is an address; any other numeric spelling
 * (2130706433, 0x7f.1, 127.1, ...) is refused here and never resolved.
 *
 * Return: 0, or -EINVAL.
 */
int sbx_target_parse(const char *text, bool is_v6, struct sbx_dest *dest, const char **why)
{
	size_t len = strlen(text);
	int r;

	memset(dest, 0, sizeof(*dest));
	if (sbx_policy_addr_parse(text, len, &dest->addr) == 0) {
		dest->is_addr = true;
		return 0;
	}
	if (is_v6 || strchr(text, ':')) {
		*why = "not a canonical IPv6 address";
		return -EINVAL;
	}
	r = sbx_policy_host_normalise(text, len, dest->host, sizeof(dest->host), why);
	if (r < 0) {
		dest->host[0] = '\0'; /* no normalised form: never shown as if it had one */
		return -EINVAL;
	}
	return 0;
}
