#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-fds: only 0, 1, 2 (and --pass-fd ones) reach the payload; a closed
# 0/1/2 at launch is reopened on /dev/null, never on an internal socket.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 7

fd_list() { awk '$1 == "fd" { print $2 }' <<<"$1" | sort -n | tr '\n' ' '; }

echo secret >"$W/outside/leak"

# Control: without sbx the extra descriptors are visible, so the probe sees them.
capture as_user "$P" fds 7<"$W/outside/leak" 9<"$W/outside/leak"
tap_diag "control fds: $(fd_list "$OUT")"
if ! grep -q '^fd 7 ' <<<"$OUT"; then
	tap_skip "inherited fds 7 and 9 do not reach the payload" control-failed "probe does not see fd 7 without sbx"
else
	capture sbx run -- "$P" fds 7<"$W/outside/leak" 9<"$W/outside/leak"
	l=$(fd_list "$OUT")
	if [ "$RC" = 0 ] && [ "$l" = "0 1 2 " ]; then
		tap_ok "inherited fds 7 and 9 do not reach the payload"
	else
		show; tap_fail "payload fds: $l (want 0 1 2)"
	fi
fi

capture sbx run --pass-fd 7 -- "$P" fds 7<"$W/outside/leak" 9<"$W/outside/leak"
l=$(fd_list "$OUT")
if [ "$RC" = 0 ] && [ "$l" = "0 1 2 7 " ] && grep -q "^fd 7 -> $W/outside/leak" <<<"$OUT"; then
	tap_ok "--pass-fd 7 keeps fd 7 (same file), not fd 9"
else
	show; tap_fail "--pass-fd 7: payload fds $l"
fi

capture sbx run --pass-fd=7 --pass-fd=9 -- "$P" fds 7<"$W/outside/leak" 9<"$W/outside/leak"
l=$(fd_list "$OUT")
if [ "$RC" = 0 ] && [ "$l" = "0 1 2 7 9 " ]; then
	tap_ok "--pass-fd repeatable"
else
	show; tap_fail "--pass-fd=7 --pass-fd=9: payload fds $l"
fi

# No descriptor of sbx's own (sockets, pipes, pidfds, namespace fds) is
# visible even when the payload asks for a listing mid-run.
capture sbx run -- "$P" fds
if [ "$RC" = 0 ] && ! grep -Eq 'socket:|anon_inode:|ns:|/proc/' <<<"$(grep -Ev '^fd [012] ' <<<"$OUT")"; then
	tap_ok "no internal descriptor in the payload"
else
	show; tap_fail "internal descriptor leaked"
fi

# Closed standard descriptors. Output goes to a file because stdout may be
# the closed one.
for n in 0 1 2; do
	rm -f "$W/cwd/fds.out"
	# Not through capture: its own redirections would reopen 1 and 2.
	case $n in
	0) timeout -k 3 60 "${USERCMD[@]}" "$W/sbx" run -- "$P" fds "$W/cwd/fds.out" <&- >"$W/.t/out" 2>"$W/.t/err" ;;
	1) timeout -k 3 60 "${USERCMD[@]}" "$W/sbx" run -- "$P" fds "$W/cwd/fds.out" >&- 2>"$W/.t/err" ;;
	2) timeout -k 3 60 "${USERCMD[@]}" "$W/sbx" run -- "$P" fds "$W/cwd/fds.out" 2>&- >"$W/.t/out" ;;
	esac
	RC=$?
	ERR=$(cat "$W/.t/err" 2>/dev/null)
	OUT=$(cat "$W/cwd/fds.out" 2>/dev/null)
	if grep -q "^fd $n -> /dev/null" <<<"$OUT"; then
		tap_ok "closed fd $n at launch is /dev/null in the payload"
	else
		show "closed fd $n"
		tap_fail "closed fd $n at launch: payload sees '$(grep "^fd $n " <<<"$OUT")' (want /dev/null)"
	fi
done

tap_done
