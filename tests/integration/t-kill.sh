#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-kill: SIGKILL of sbx at any instant (100 random delays spanning setup,
# exec and steady state) leaves no sandbox process behind.
. "$(dirname "$0")/lib.sh"
require_userns

N=${SBX_KILL_ROUNDS:-100}
tap_plan 3

if [ -n "$(uid_procs)" ]; then
	echo "Bail out! processes already run as uid $TESTUID: $(uid_procs | tr '\n' ' ')"
	exit 1
fi

# any_left: leftover pids: by work-dir command line, and (as root) by uid.
any_left() {
	{ leftovers; uid_procs; } | sort -u | tr '\n' ' '
}

# gone_within MS: wait until nothing is left; 0 if so.
gone_within() {
	local i
	for ((i = 0; i < $1 / 20; i++)); do
		[ -z "$(any_left)" ] && return 0
		sleep 0.02
	done
	return 1
}

# Control: the payload really starts processes that would survive a kill
# of their parent: without sbx, killing the launcher leaves them running.
as_user /bin/sh -c "'$P' sleep-orphan 30; exec '$P' sleep 30" >/dev/null 2>&1 &
cpid=$!
sleep 0.3
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
sleep 0.1
ctl_left=$(any_left)
tap_diag "control (no sbx): left after killing the launcher: ${ctl_left:-nothing}"
for p in $ctl_left; do kill -KILL "$p" 2>/dev/null; done
gone_within 2000

if [ -z "$ctl_left" ]; then
	tap_skip "$N SIGKILLs of sbx leave no sandbox process" control-failed "the payload leaves nothing behind even without sbx"
else
	survivors=0 worst="" total_ms=0
	for ((i = 1; i <= N; i++)); do
		# Delays: a third within the first 5 ms (setup), the rest up to 150 ms.
		if ((i % 3 == 0)); then d=$((RANDOM % 5000)); else d=$((RANDOM % 150000)); fi
		"${USERCMD[@]}" "$W/sbx" run -- /bin/sh -c "'$P' sleep-orphan 30; exec '$P' sleep 30" >/dev/null 2>&1 &
		spid=$!
		sleep "$(printf '0.%06d' "$d")"
		kill -KILL "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		t0=$(now_ms)
		if ! gone_within 2000; then
			survivors=$((survivors + 1))
			left=$(any_left)
			tap_diag "round $i (kill after ${d} us): left: $left"
			for p in $left; do
				tap_diag "  $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")"
				tap_diag "    $(grep -E '^(State|PPid|NSpid|Threads|ShdPnd|SigPnd|SigBlk|SigIgn|SigCgt):' 2>/dev/null <"/proc/$p/status" | tr '\t\n' ' ;')"
				tap_diag "    wchan: $(cat 2>/dev/null "/proc/$p/wchan")"
			done
			for p in $left; do kill -KILL "$p" 2>/dev/null; done
			gone_within 2000
		fi
		el=$(($(now_ms) - t0))
		total_ms=$((total_ms + el))
	done
	tap_diag "teardown after kill: total ${total_ms} ms over $N rounds"
	if [ "$survivors" = 0 ]; then
		tap_ok "$N SIGKILLs of sbx at random delays leave no sandbox process"
	else
		tap_fail "$survivors of $N rounds left sandbox processes running"
	fi
fi

# --timeout also takes the whole sandbox down, orphans included.
capture sbx run --timeout 0.5 -- /bin/sh -c "'$P' sleep-orphan 30; exec '$P' sleep 30"
if [ "$RC" = 124 ] && gone_within 2000; then
	tap_ok "--timeout kills the payload and its orphans"
else
	show; tap_diag "left: $(any_left)"
	tap_fail "--timeout left processes (rc $RC)"
	for p in $(any_left); do kill -KILL "$p" 2>/dev/null; done
fi

# SIGTERM to sbx (forwarded) ends a payload that exits on it; nothing left.
"${USERCMD[@]}" "$W/sbx" run -- /bin/sh -c "'$P' sleep-orphan 30; exec '$P' sleep 30" >/dev/null 2>&1 &
spid=$!
sleep 0.3
kill -TERM "$spid"
wait_pid "$spid" 10
if [ "$WRC" = 143 ] && gone_within 2000; then
	tap_ok "SIGTERM to sbx: payload dies of it (143), orphans gone"
else
	tap_diag "left: $(any_left)"
	tap_fail "SIGTERM to sbx: rc $WRC"
	kill -KILL "$spid" 2>/dev/null
fi

tap_done
