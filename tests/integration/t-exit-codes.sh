#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-exit-codes: sbx exits with the payload's status, 128+N for signal N,
# 126/127 for exec failures, 124 when --timeout expires.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 13

expect_rc() { # DESC WANT CMD...
	local desc=$1 want=$2
	shift 2
	capture "$@"
	if [ "$RC" = "$want" ]; then
		tap_ok "$desc (rc $RC)"
	else
		show "$desc"
		tap_fail "$desc: want $want, got $RC"
	fi
}

expect_rc "payload exit 0" 0 sbx run -- "$P" exit 0
expect_rc "payload exit 3" 3 sbx run -- "$P" exit 3
expect_rc "payload exit 255" 255 sbx run -- "$P" exit 255
expect_rc "payload exit 125 passes through" 125 sbx run -- "$P" exit 125
expect_rc "payload killed by SIGKILL -> 137" 137 sbx run -- "$P" kill-self 9
expect_rc "payload killed by SIGTERM -> 143" 143 sbx run -- "$P" kill-self 15
expect_rc "payload killed by SIGSEGV -> 139" 139 sbx run -- "$P" kill-self 11
expect_rc "command not found -> 127" 127 sbx run -- /nonexistent/sbx-no-such-command
expect_rc "command not found in PATH -> 127" 127 sbx run -- sbx-no-such-command-on-path

printf '#!/bin/sh\necho should-not-run\n' >"$W/cwd/notexec.sh"
chmod 0644 "$W/cwd/notexec.sh"
expect_rc "file without execute bit -> 126" 126 sbx run -- "$W/cwd/notexec.sh"
expect_rc "directory as command -> 126" 126 sbx run -- "$W/cwd"

t0=$(now_ms)
capture sbx run --timeout 0.5 -- "$P" sleep 20
el=$(($(now_ms) - t0))
tap_diag "--timeout 0.5: rc=$RC after ${el} ms"
if [ "$RC" = 124 ] && [ "$el" -lt 5000 ]; then
	tap_ok "--timeout 0.5 kills a sleeping payload, exit 124"
else
	show timeout
	tap_fail "--timeout 0.5: want 124 within 5 s, got rc $RC after ${el} ms"
fi

capture sbx run --timeout=5 -- "$P" exit 7
if [ "$RC" = 7 ]; then
	tap_ok "--timeout not reached: payload status kept"
else
	show
	tap_fail "--timeout=5 with a fast payload: want 7, got $RC"
fi

tap_done
