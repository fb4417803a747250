#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-status-fd: --json-status-fd writes JSON lines: "network" (the posture in
# force, with Landlock's part), "started" with pids after the payload was
# exec'd, then "exited" (code or signal) or "timeout".
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 7

J=$W/.t/status.json

# check_json PYTHON-EXPR: evaluate against the events (list "ev"; events.py).
check_json() {
	"$PY" "$TESTDIR/events.py" "$J" "$1"
}

# Run the payload in the background so the test knows sbx's pid.
: >"$J"
"${USERCMD[@]}" "$W/sbx" run --json-status-fd 3 -- "$P" getpid 3>"$J" >"$W/.t/out" 2>"$W/.t/err" &
spid=$!
wait_pid "$spid" 30
rc=$WRC
tap_diag "status lines: $(cat "$J")"
tap_diag "payload: $(cat "$W/.t/out")"
read -r _ _ nspid _ <"$W/.t/out"
if [ "$rc" = 0 ] && check_json "len(ev) == 3 and all(isinstance(e, dict) for e in ev) and ev[0]['event'] == 'network' and ev[0]['posture'] == 'blocked' and ev[0]['landlock_unix'].split(' (')[0] in ('applied', 'unavailable')"; then
	tap_ok "three events (after the hello line) for a normal run: network (blocked), started, exited"
else
	tap_diag "stderr: $(cat "$W/.t/err")"
	tap_fail "want exactly three valid events after the hello line, network first (rc $rc)"
fi
if check_json "ev[1]['event'] == 'started' and ev[1]['sbx_pid'] == $spid and all(isinstance(ev[1][k], int) and ev[1][k] > 0 for k in ('init_pid', 'pid', 'ns_pid'))"; then
	tap_ok "started: event, sbx_pid matches, init_pid/pid/ns_pid are positive ints"
else
	tap_fail "started line wrong (sbx pid $spid)"
fi
if [ -n "$nspid" ] && check_json "ev[1]['ns_pid'] == $nspid and ev[1]['pid'] != ev[1]['init_pid'] and ev[1]['ns_pid'] != 1"; then
	tap_ok "ns_pid is the payload's own getpid() ($nspid), not 1"
else
	tap_fail "ns_pid does not match the payload's getpid() ($nspid)"
fi
if check_json "ev[2] == {'event': 'exited', 'code': 0}"; then
	tap_ok "exited: code 0"
else
	tap_fail "exited line for code 0"
fi

capture sbx run --json-status-fd=3 -- "$P" exit 42 3>"$J"
tap_diag "status lines: $(cat "$J")"
if [ "$RC" = 42 ] && check_json "ev[-1] == {'event': 'exited', 'code': 42}"; then
	tap_ok "exited: code 42"
else
	show; tap_fail "exited line for code 42"
fi

capture sbx run --json-status-fd 3 -- "$P" kill-self 9 3>"$J"
tap_diag "status lines: $(cat "$J")"
if [ "$RC" = 137 ] && check_json "ev[-1] == {'event': 'exited', 'signal': 9, 'code': 137}"; then
	tap_ok "exited: signal 9, code 137"
else
	show; tap_fail "exited line for SIGKILL"
fi

capture sbx run --json-status-fd 3 --timeout 0.3 -- "$P" sleep 20 3>"$J"
tap_diag "status lines: $(cat "$J")"
if [ "$RC" = 124 ] && check_json "ev[1]['event'] == 'started' and ev[-1]['event'] == 'timeout' and not any(e['event'] == 'exited' and e.get('code') == 0 for e in ev)"; then
	tap_ok "timeout event after --timeout"
else
	show; tap_fail "no timeout event"
fi

tap_done
