#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-profiles: --profile keeps a whole sandbox in one file (network, filesystem,
# environment, identity); options after it apply after it; a line is checked
# as its option would be; built-in profiles are data (sbx profiles).
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 7
P1=$W/cwd/job.profile
cat >"$P1" <<'PROF'
# a CI job
network allowlist
allow example.org
home tmpfs
setenv SBX_PROFILE_VAR=from profile
hostname job-host
PROF
chmod 0644 "$P1"

capture sbx run --profile "$P1" -- sh -c 'echo "$SBX_PROFILE_VAR|$(hostname)|$(ls -A "$HOME" | wc -l)|${HTTP_PROXY:+proxy}"'
if [ "$RC" = 0 ] && [ "$OUT" = "from profile|job-host|0|proxy" ]; then
	tap_ok "a profile sets posture, home model, environment and identity"
else
	show; tap_fail "profile applied: $OUT"
fi
capture sbx run --profile "$P1" --hostname cli-host --setenv SBX_PROFILE_VAR=cli -- sh -c 'echo "$SBX_PROFILE_VAR|$(hostname)"'
if [ "$OUT" = "cli|cli-host" ]; then
	tap_ok "command-line options after --profile apply after it"
else
	show; tap_fail "order: $OUT"
fi
capture sbx run --profile "$P1" --explain -- true
if [[ $OUT == *"allow  'example.org'  '$P1:3'"* ]]; then
	tap_ok "--explain names a profile rule's FILE:LINE"
else
	show; tap_fail "--explain source of a profile rule"
fi
printf 'network allowlist\nallow 10.1.2.3/8\n' >"$W/cwd/bad.profile"
printf 'pass-fd 3\n' >"$W/cwd/fd.profile"
chmod 0644 "$W/cwd/bad.profile" "$W/cwd/fd.profile"
capture sbx run --profile "$W/cwd/bad.profile" -- true
r1=$RC e1=$ERR
capture sbx run --profile "$W/cwd/fd.profile" -- true
if [ "$r1" = 125 ] && [[ $e1 == *"bad.profile:2:"*"10.0.0.0/8"* ]] && [ "$RC" = 125 ] && [[ $ERR == *"fd.profile:1:"* ]]; then
	tap_ok "a bad rule or a forbidden option: exit 125, FILE:LINE and the option's own message"
else
	tap_diag "bad rule: $r1 $e1"; show; tap_fail "profile errors"
fi
capture sbx profiles
c1=$OUT
capture sbx profiles npm
if [[ $c1 == *ci*npm*pip* ]] && [[ $OUT == *"allow @npm"* ]]; then
	tap_ok "sbx profiles lists the built-in profiles and prints one"
else
	show; tap_fail "sbx profiles"
fi
capture sbx run --profile npm --explain -- true
if [[ $OUT == *"registry.npmjs.org:443"*"@npm via npm:3"* && $OUT == *"home  '$HOME'  overlay"* ]]; then
	tap_ok "--profile npm: the npm preset, the home overlay"
else
	show; tap_fail "--profile npm"
fi
mkfifo -m 0666 "$W/cwd/fifo.profile"
CAPTURE_TIMEOUT=10 capture sbx run --profile "$W/cwd/fifo.profile" -- true
if [ "$RC" = 125 ]; then
	tap_ok "--profile naming a FIFO: refused at once"
else
	show; tap_fail "--profile FIFO: rc $RC (999: hung)"
fi
tap_done
