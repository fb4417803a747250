// SPDX-License-Identifier: Apache-2.0
/* Drop every capability of the payload, in every set, for good. */

#include <errno.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "internal.h"

/*
 * Order matters: the bounding set and securebits need CAP_SETPCAP, so they go
 * first; the ambient set is cleared before the effective/permitted/inheritable
 * sets, which are emptied last. With the bounding set empty and SECBIT_NOROOT
 * locked, even a payload that runs as uid 0 inside (--uid 0) or execs a file
 * with capabilities gains nothing at execve().
 *
 * sbx_caps_drop_all() runs in a vfork-style child that shares init's memory,
 * so it must not allocate: the empty set is made beforehand by
 * sbx_caps_prepare().
 */

static cap_t sbx_empty_caps;

/**
 * sbx_caps_prepare() - allocate what sbx_caps_drop_all() needs.
 *
 * Context: sandbox init, before spawning the payload.
 * Return: 0, or -ENOMEM.
 */
int sbx_caps_prepare(void)
{
	if (!sbx_empty_caps)
		sbx_empty_caps = cap_init();
	return sbx_empty_caps ? 0 : -ENOMEM;
}

/**
 * sbx_caps_drop_all() - clear the bounding, ambient, inheritable, permitted
 * and effective sets and lock the securebits that would re-grant root powers.
 *
 * Context: the payload, after every step that needs privilege; no allocation.
 * Return: 0, or a negative errno.
 */
int sbx_caps_drop_all(void)
{
	cap_value_t last = cap_max_bits() - 1;

	if (!sbx_empty_caps)
		return -EINVAL;
	for (cap_value_t c = 0; c <= last; c++) {
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return -errno;
	}
	if (cap_set_secbits(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
			    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) < 0)
		return -errno;
	/* One call, where libcap's cap_reset_ambient() probes every capability. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	if (cap_set_proc(sbx_empty_caps) < 0)
		return -errno;
	return 0;
}
