#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-init: the sandbox init reaps orphans and forwards SIGINT, SIGTERM,
# SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to sbx to the payload.
. "$(dirname "$0")/lib.sh"
require_userns

SIGS=(INT HUP QUIT USR1 USR2 WINCH TERM)
tap_plan $((3 + ${#SIGS[@]} + 1))

# --- orphans ------------------------------------------------------------------
# The payload double-forks a child that exits after 0.3 s; by then its
# parent is gone, so only the sandbox init can reap it.
capture sbx run -- /bin/sh -c "'$P' sleep-orphan 0.3; '$P' sleep 1; '$P' zombies"
tap_diag "$(sed 's/^/  /' <<<"$OUT")"
if [ "$RC" = 0 ] && grep -q '^orphan = [0-9]' <<<"$OUT" && grep -q '^zombies = 0$' <<<"$OUT"; then
	tap_ok "orphaned grandchild is reaped by the sandbox init (no zombie)"
else
	show; tap_fail "zombie left in the sandbox"
fi

# Control for the reaping check: the probe does see a zombie when one
# exists (a parent that never waits).
capture as_user "$PY" -c "
import os, subprocess, sys, time
if os.fork() == 0:
    os._exit(0)
time.sleep(0.2)
sys.exit(subprocess.run(['$P', 'zombies']).returncode)"
if grep -q '^zombies = [1-9]' <<<"$OUT"; then
	tap_ok "control: the probe does see a zombie when one exists"
else
	show; tap_fail "control: probe zombies cannot see an unreaped child"
fi

# Orphans still running when the payload exits do not keep sbx waiting
# and do not survive.
t0=$(now_ms)
capture sbx run -- "$P" sleep-orphan 20
el=$(($(now_ms) - t0))
sleep 0.3
left=$(leftovers)
if [ "$RC" = 0 ] && [ "$el" -lt 10000 ] && [ -z "$left" ]; then
	tap_ok "sbx returns when the payload exits; a running orphan is killed (${el} ms)"
else
	show
	tap_diag "leftover: $left"
	tap_fail "orphan outlived the payload (rc $RC after ${el} ms, leftover: $left)"
fi

# --- signal forwarding ----------------------------------------------------
# Job control gives the background sbx default SIGINT/SIGQUIT dispositions
# (a non-interactive shell would start it with them ignored).
set -m
out=$W/.t/sig.out
"${USERCMD[@]}" "$W/sbx" run -- "$P" signal-wait >"$out" 2>"$W/.t/sig.err" &
spid=$!
set +m
bg_track "$spid"
for _ in $(seq 200); do
	grep -q READY "$out" 2>/dev/null && break
	sleep 0.025
done
tap_diag "payload: $(head -n1 "$out" 2>/dev/null)"
for s in "${SIGS[@]}"; do
	if ! grep -q READY "$out"; then
		tap_fail "SIG$s forwarded (payload never got ready)"
		continue
	fi
	kill -"$s" "$spid" 2>/dev/null
	got=0
	for _ in $(seq 100); do
		grep -q "^GOT $s " "$out" && { got=1; break; }
		sleep 0.02
	done
	if [ "$got" = 1 ]; then
		tap_ok "SIG$s sent to sbx reaches the payload"
	else
		tap_diag "payload output: $(tr '\n' ';' <"$out")"
		tap_fail "SIG$s sent to sbx did not reach the payload"
	fi
done
# After SIGTERM the probe exits 0; sbx must exit 0 too.
wait_pid "$spid" 5
rc=$WRC
if [ "$rc" = 0 ]; then
	tap_ok "payload exits 0 after SIGTERM, sbx exits 0"
else
	tap_diag "stderr: $(cat "$W/.t/sig.err")"
	tap_fail "sbx after forwarded SIGTERM: rc $rc"
	kill -KILL "$spid" 2>/dev/null
fi

tap_done
