#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-env: the environment passes through unless --clearenv; --setenv and
# --unsetenv edit it.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 6

export SBX_T_KEEP=kept SBX_T_DROP=dropped
has() { grep -qx -- "$1" <<<"$OUT"; }
lacks() { ! grep -q -- "^$1=" <<<"$OUT"; }

capture sbx run -- /usr/bin/env
if [ "$RC" = 0 ] && has SBX_T_KEEP=kept && has SBX_T_DROP=dropped; then
	tap_ok "environment passes through by default"
else
	show; tap_fail "environment not passed through"
fi

capture sbx run --unsetenv SBX_T_DROP -- /usr/bin/env
if [ "$RC" = 0 ] && has SBX_T_KEEP=kept && lacks SBX_T_DROP; then
	tap_ok "--unsetenv removes one variable"
else
	show; tap_fail "--unsetenv"
fi

capture sbx run --setenv SBX_T_NEW=a=b --setenv=SBX_T_KEEP=changed -- /usr/bin/env
if [ "$RC" = 0 ] && has SBX_T_NEW=a=b && has SBX_T_KEEP=changed && ! has SBX_T_KEEP=kept; then
	tap_ok "--setenv adds and overrides (value may contain '=')"
else
	show; tap_fail "--setenv"
fi

capture sbx run --clearenv -- /usr/bin/env
tap_diag "after --clearenv: $(tr '\n' ' ' <<<"$OUT")"
if [ "$RC" = 0 ] && lacks SBX_T_KEEP && lacks SBX_T_DROP && lacks HOME; then
	tap_ok "--clearenv drops the caller's environment"
else
	show; tap_fail "--clearenv"
fi

capture sbx run --clearenv --setenv SBX_T_ONLY=1 -- /usr/bin/env
if [ "$RC" = 0 ] && has SBX_T_ONLY=1 && lacks SBX_T_KEEP; then
	tap_ok "--clearenv with --setenv"
else
	show; tap_fail "--clearenv --setenv"
fi

# A relative command is found through PATH even after --clearenv (exec
# falls back to a default search path) or at least fails with 127, never
# with sbx's own 125.
capture sbx run --clearenv -- env
if [ "$RC" = 0 ] || [ "$RC" = 127 ]; then
	tap_ok "--clearenv with a bare command name: rc $RC"
else
	show; tap_fail "--clearenv with a bare command name: rc $RC"
fi

tap_done
