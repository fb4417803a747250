#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-setuid: a setuid-root copy of sbx refuses to run (sbx is designed to
# need no privilege; a setuid install would hand the payload's launcher
# root's powers). Needs root to create the copy, else SKIP.
. "$(dirname "$0")/lib.sh"

tap_plan 2

if [ "$IS_ROOT" != 1 ]; then
	tap_skip "setuid-root sbx refuses to run" not-root
	tap_skip "setgid sbx refuses to run" not-root
	tap_done
fi

# Control: setuid works on this filesystem (no nosuid mount), shown with a
# setuid copy of the probe.
cp "$P" "$W/probe-suid"
chown 0:0 "$W/probe-suid"
chmod 4755 "$W/probe-suid"
capture as_user "$W/probe-suid" ids
tap_diag "control: setuid probe as uid $TESTUID: $OUT"
if ! grep -q 'euid = 0 ' <<<"$OUT"; then
	fact=control-failed
	[[ ",$(findmnt -no OPTIONS --target "$W")," == *,nosuid,* ]] && fact=nosuid-workdir
	tap_skip "setuid-root sbx refuses to run" "$fact" "setuid bit has no effect under $W"
	tap_skip "setgid sbx refuses to run" "$fact" "setuid bit has no effect under $W"
	tap_done
fi

cp "$W/sbx" "$W/sbx-suid"
chown 0:0 "$W/sbx-suid"
chmod 4755 "$W/sbx-suid"
rm -f "$W/cwd/marker"
capture as_user "$W/sbx-suid" run -- "$P" write "$W/cwd/marker"
if [ "$RC" = 125 ] && [ ! -e "$W/cwd/marker" ] && [[ "$ERR" == "sbx: "* ]]; then
	tap_ok "setuid-root sbx refuses to run: $ERR"
else
	show; tap_fail "setuid-root sbx ran or failed oddly (rc $RC)"
fi

cp "$W/sbx" "$W/sbx-sgid"
chown 0:0 "$W/sbx-sgid"
chmod 2755 "$W/sbx-sgid"
rm -f "$W/cwd/marker"
capture as_user "$W/sbx-sgid" run -- "$P" write "$W/cwd/marker"
if [ "$RC" = 125 ] && [ ! -e "$W/cwd/marker" ]; then
	tap_ok "setgid-root sbx refuses to run: $ERR"
else
	show; tap_fail "setgid sbx ran or failed oddly (rc $RC)"
fi

tap_done
