#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-stage-failure: when an isolation stage cannot be applied, sbx exits 125
# with one line naming the problem and the payload never runs (fail closed).
. "$(dirname "$0")/lib.sh"
require_userns

CASES=(
	"--bind /nonexistent-sbx-src:/mnt"
	"--bind $W/outside:/nonexistent-sbx-dst"
	"--ro-bind /nonexistent-sbx-src"
	"--ro-bind $W/outside:/nonexistent-sbx-dir/sub"
	"--chdir /nonexistent-sbx-dir"
	"--tmpfs /nonexistent-sbx-tmpfs"
	"--pass-fd 57"
	"--json-status-fd 58"
	"--hostname $(printf 'x%.0s' $(seq 100))"
)
tap_plan $((${#CASES[@]} + 2))

for c in "${CASES[@]}"; do
	rm -f "$W/cwd/marker"
	read -r -a a <<<"$c"
	capture sbx run "${a[@]}" -- "$P" write "$W/cwd/marker"
	n=$(grep -c '' <<<"$ERR")
	[ -z "$ERR" ] && n=0
	if [ "$RC" = 125 ] && [ ! -e "$W/cwd/marker" ] && [ "$n" = 1 ] && [[ "$ERR" == "sbx: "* ]]; then
		tap_ok "${c:0:60}: exit 125, payload not run: $ERR"
	else
		show "$c"
		[ -e "$W/cwd/marker" ] && tap_diag "the payload ran: marker file exists"
		tap_fail "${c:0:60}: want exit 125, one 'sbx: ' line, no payload"
	fi
done

# Control for the marker: the same payload does create it when nothing fails.
rm -f "$W/cwd/marker"
capture sbx run -- "$P" write "$W/cwd/marker"
if [ "$RC" = 0 ] && [ -e "$W/cwd/marker" ]; then
	tap_ok "control: the marker payload runs when setup succeeds"
else
	show; tap_fail "control: marker payload did not run"
fi

# Not a failure, by design: hiding a path that does not exist leaves nothing to
# hide (scripts hide ~/.aws or ~/.ssh on machines that may lack them).
rm -f "$W/cwd/marker"
capture sbx run --hide /nonexistent-sbx-path -- "$P" write "$W/cwd/marker"
if [ "$RC" = 0 ] && [ -e "$W/cwd/marker" ] && [ -z "$ERR" ]; then
	tap_ok "--hide of a missing path runs the payload"
else
	show; tap_fail "--hide of a missing path: want exit 0 and the payload run"
fi

tap_done
