#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-proxy-faults: the proxy under destinations and clients that misbehave
# (issue 11 items 5, 6 and 8), in the fake internet of tests/world, with
# servers of proxyfaults.py in the world namespace.
#
# - A tunnel whose destination half-closed and stopped reading while sbx
#   holds bytes for it, then the client closes (and the mirror: a client
#   that half-closed and stopped reading, then the destination closes): the
#   supervisor must not spin (its CPU time over 2 s, /proc/PID/stat).
# - sbx out of descriptors (started with a low RLIMIT_NOFILE, tunnels
#   opened until none is left): no spin while clients wait in the proxy's
#   and the DNS stub's backlogs; a request with no descriptor left for its
#   upstream socket gets 503 naming ulimit -n and --proxy-max-conns, never a
#   502 that blames the destination; waiting clients are served once
#   descriptors free up.
# - --proxy-idle-timeout ends a stalled tunnel with a reset, never a clean
#   end of stream, and logs why.
# - A destination that resets mid-response: the client sees ECONNRESET, not
#   a clean end of stream, through CONNECT, SOCKS5 and plain-HTTP
#   forwarding; a client's reset reaches the destination as a reset. The
#   decision log says who reset.
# Positive controls: the same resets reach a client on the fake host
# without sbx; a case whose set-up did not reach the state it tests (the
# proxy holding bytes, no descriptor left) is SKIPped as control-failed.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 18
al_start

C=$W/cwd
PF=$C/proxyfaults.py
cp "$HERE/proxyfaults.py" "$PF"
chmod 0644 "$PF"
FLOG=$C/faults.log
: >"$FLOG"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$FLOG"
world_cmd world "$PY" "$PF" serve "$FLOG"
"${CMD[@]}" >/dev/null 2>"$W/.t/faults.err" &
bg_track $!
for ((i = 0; i < 200; i++)); do
	grep -q '^ready' "$FLOG" && break
	sleep 0.05
done
if ! grep -q '^ready' "$FLOG"; then
	echo "Bail out! proxyfaults.py servers did not start: $(cat "$W/.t/faults.err")"
	exit 1
fi

HZ=$(getconf CLK_TCK)
# The supervisor may use this much CPU over the 2 s it is watched (a spin
# takes all of it, or at least a CPU's share on a loaded machine).
MAX_CPU_MS=200

# mkdir_user DIR: a fresh directory the payload can write.
mkdir_user() {
	rm -rf "$1"
	mkdir -p "$1"
	[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$1"
	return 0
}

# start_bg NAME SBX-RUN-ARGS...: sbx run in the fake host, in the background,
# under the command prefix BG_PRE (an array, may be empty), its status stream
# in $C/NAME.status; sets BGPID.
BG_PRE=()
start_bg() {
	local name=$1
	shift
	: >"$C/$name.status"
	world_cmd sbx run "$@"
	timeout -k 3 90 "${BG_PRE[@]}" "${CMD[@]}" 3>"$C/$name.status" >"$W/.t/$name.out" 2>&1 &
	BGPID=$!
	bg_track "$BGPID"
}

# sbx_pid NAME: the supervisor's pid (in the fake host) from its status stream.
sbx_pid() {
	"$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "started":
        print(e["sbx_pid"])
' "$C/$1.status" 2>/dev/null
}

# wait_for PATH [SECS]: PATH exists, within SECS (default 30).
wait_for() {
	local i
	for ((i = 0; i < ${2:-30} * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_line REGEX [SECS]: a line of the servers' log matches, within SECS (default 5).
wait_line() {
	local i
	for ((i = 0; i < ${2:-5} * 20; i++)); do
		grep -qE -- "$1" "$FLOG" && return 0
		sleep 0.05
	done
	return 1
}

# cpu_ms PID: user+system CPU time of PID in the fake host, in ms.
cpu_ms() {
	world_cmd root cat "/proc/$1/stat"
	"${CMD[@]}" 2>/dev/null | awk -v hz="$HZ" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }'
}

# spin_ms PID: CPU ms PID used over the next 2 s.
spin_ms() {
	local a b
	a=$(cpu_ms "$1")
	sleep 2
	b=$(cpu_ms "$1")
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo "?"
	else
		echo $((b - a))
	fi
}

val() { sed -n "s/^$1 = //p" <<<"$2"; }

# ---- 1-2. Controls without sbx: the destination's reset reaches a client as a reset.
wcapture user "$PY" "$PF" reset direct
CTL_RESET=0
if [ "$RC" = 0 ] && [ "$(val direct "$OUT" | cut -d' ' -f1)" = reset ]; then
	CTL_RESET=1
	tap_ok "control without sbx: the :7002 server's reset reaches a direct client as ECONNRESET ($(val direct "$OUT"))"
else
	show "control"; tap_fail "control without sbx: the :7002 server does not reset as it should"
fi
tok=ctl-$RANDOM$RANDOM
wcapture user "$PY" "$PF" client-reset direct "$tok"
CTL_CRESET=0
if [ "$RC" = 0 ] && wait_line "^7004 $tok " && grep -q "^7004 $tok reset" "$FLOG"; then
	CTL_CRESET=1
	tap_ok "control without sbx: a client's reset reaches the :7004 server as ECONNRESET"
else
	show "control"; tap_diag "server log: $(grep "$tok" "$FLOG")"
	tap_fail "control without sbx: the :7004 server does not see a direct client's reset"
fi

# ---- 3. Destination half-closed, stops reading; sbx holds bytes for it; the client closes.
D=$C/spin-up
mkdir_user "$D"
start_bg spinup --network=allowlist --allow 11.11.0.10 --json-status-fd 3 -- "$PY" "$PF" spin "$D"
wait_for "$D/closed" 30
sleep 0.3
pid=$(sbx_pid spinup)
world_cmd root ss -tn state close-wait '( dport = :7001 )'
held=$("${CMD[@]}" 2>/dev/null | awk 'NR > 1 && $2 > 0 { n++ } END { print n + 0 }')
ms=?
[ -n "$pid" ] && ms=$(spin_ms "$pid")
: >"$D/go"
wait_pid "$BGPID" 30 || kill -KILL "$BGPID" 2>/dev/null
out=$(cat "$W/.t/spinup.out")
tap_diag "half-closed destination: $(tr '\n' ' ' <<<"$out"); sbx pid $pid; tunnels holding bytes: $held; CPU ${ms} ms in 2 s"
if [ ! -e "$D/closed" ] || [ "$held" != 1 ] || ! grep -q 'unacked 0$' <<<"$out"; then
	tap_skip "destination half-closed and not reading, client closed: no spin" control-failed \
		"the proxy did not end up holding bytes for the destination with the client gone"
elif [ "$ms" != "?" ] && [ "$ms" -lt "$MAX_CPU_MS" ]; then
	tap_ok "destination half-closed and not reading, client closed: the supervisor does not spin (${ms} ms CPU in 2 s)"
else
	tap_fail "destination half-closed and not reading, client closed: the supervisor spins (${ms} ms CPU in 2 s)"
fi

# ---- 4-5. The mirror: the client half-closed and stops reading; the destination closes.
D=$C/spin-down
mkdir_user "$D"
start_bg spindown --network=allowlist --allow 11.11.0.10 --json-status-fd 3 -- "$PY" "$PF" spin-down "$D"
wait_line '^7005 closed' 30
sleep 0.3
pid=$(sbx_pid spindown)
ms=?
[ -n "$pid" ] && ms=$(spin_ms "$pid")
: >"$D/go"
wait_pid "$BGPID" 30 || kill -KILL "$BGPID" 2>/dev/null
out=$(cat "$W/.t/spindown.out")
srv=$(grep '^7005 closed' "$FLOG" | tail -n 1)
queued=$(val spin-down-queued "$out")
tap_diag "half-closed client: $(tr '\n' ' ' <<<"$out"); server: $srv; CPU ${ms} ms in 2 s"
srv_sent=$(sed -n 's/^7005 closed sent \([0-9]*\) unacked 0$/\1/p' <<<"$srv")
if [ -z "$srv_sent" ] || [ -z "$queued" ] || [ "$queued" -ge "$srv_sent" ]; then
	tap_skip "client half-closed and not reading, destination closed: no spin" control-failed \
		"the proxy did not end up holding bytes for the client with the destination gone"
	tap_skip "client half-closed: every byte arrives once it reads" control-failed "see above"
else
	if [ "$ms" != "?" ] && [ "$ms" -lt "$MAX_CPU_MS" ]; then
		tap_ok "client half-closed and not reading, destination closed: the supervisor does not spin (${ms} ms CPU in 2 s)"
	else
		tap_fail "client half-closed and not reading, destination closed: the supervisor spins (${ms} ms CPU in 2 s)"
	fi
	if [ "$(val spin-down-got "$out")" = "$srv_sent eof" ]; then
		tap_ok "client half-closed: once it reads, every byte the destination sent arrives, then the end of stream"
	else
		tap_fail "client half-closed: got $(val spin-down-got "$out") (want $srv_sent eof)"
	fi
fi

# ---- 6-11. sbx out of descriptors.
D=$C/flood
mkdir_user "$D"
FDLOG=$C/flood.jsonl
: >"$FDLOG"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$FDLOG"
BG_PRE=(prlimit --nofile=64:64 --)
start_bg flood --network=allowlist --allow 11.11.0.10 --proxy-header-timeout 60 \
	--log-file "$FDLOG" --json-status-fd 3 -- "$PY" "$PF" flood "$D"
BG_PRE=()
wait_for "$D/flooded" 60
sleep 0.3
pid=$(sbx_pid flood)
ms1=?
[ -n "$pid" ] && [ -e "$D/flooded" ] && ms1=$(spin_ms "$pid")
: >"$D/go"
wait_for "$D/dnsflooded" 20
sleep 0.3
ms2=?
[ -n "$pid" ] && [ -e "$D/dnsflooded" ] && ms2=$(spin_ms "$pid")
: >"$D/go2"
wait_pid "$BGPID" 40 || kill -KILL "$BGPID" 2>/dev/null
out=$(cat "$W/.t/flood.out")
tap_diag "flood (RLIMIT_NOFILE 64): $(tr '\n' ' ' <<<"$out"); CPU ${ms1} ms, then ${ms2} ms in 2 s"
tunnels=$(val tunnels "$out")
exhausted=$(val exhausted "$out")
# The state to test: tunnels open, and X waiting in the backlog (found so by the
# flood itself, or after a 503 and one more unfinished head took the last descriptor).
if [ "${tunnels:-0}" = 0 ] || { grep -q '^first = ' <<<"$out" && ! grep -q '^waiting = none' <<<"$out"; }; then
	for d in "out of descriptors: no spin while a client waits in the proxy's backlog" \
		"out of descriptors: 503 naming ulimit -n and --proxy-max-conns" \
		"out of descriptors: the decision log says so"; do
		tap_skip "$d" control-failed "the flood did not run sbx out of descriptors"
	done
else
	if [ "$ms1" != "?" ] && [ "$ms1" -lt "$MAX_CPU_MS" ]; then
		tap_ok "out of descriptors ($tunnels tunnels open): no spin while a client waits in the proxy's backlog (${ms1} ms CPU in 2 s)"
	else
		tap_fail "out of descriptors: the supervisor spins while a client waits (${ms1} ms CPU in 2 s)"
	fi
	first=$(val first "$out")
	if [[ $exhausted == "503 "*"ulimit -n"*"--proxy-max-conns"* ]] && { [ -z "$first" ] || [[ $first == "503 "* ]]; }; then
		tap_ok "out of descriptors: a request with no descriptor for its upstream socket gets 503 (${exhausted#503 })"
	else
		tap_fail "out of descriptors: want 503 naming ulimit -n and --proxy-max-conns, got '$exhausted' (first: '$first')"
	fi
	if al_json_ok "$FDLOG" 'any(e.get("port") == 7003 and "out of file descriptors" in e.get("error", "") for e in ev)'; then
		tap_ok "out of descriptors: the decision log's error says sbx is out of file descriptors"
	else
		tap_diag "log: $(cat "$FDLOG")"; tap_fail "out of descriptors: no decision log line says so"
	fi
fi
if [ "$(val dns-before "$out")" != waiting ]; then
	tap_skip "out of descriptors: no spin while a client waits in the DNS stub's TCP backlog" control-failed \
		"the DNS-over-TCP client was answered before a descriptor was freed ($(val dns-before "$out"))"
	tap_skip "out of descriptors: the waiting DNS-over-TCP client is served" control-failed "see above"
else
	if [ "$ms2" != "?" ] && [ "$ms2" -lt "$MAX_CPU_MS" ]; then
		tap_ok "out of descriptors: no spin while a client waits in the DNS stub's TCP backlog (${ms2} ms CPU in 2 s)"
	else
		tap_fail "out of descriptors: the supervisor spins while a DNS-over-TCP client waits (${ms2} ms CPU in 2 s)"
	fi
	if [ "$(val dns-after "$out")" = "rcode 5" ]; then
		tap_ok "out of descriptors: the waiting DNS-over-TCP client is served once a descriptor is free (REFUSED)"
	else
		tap_fail "out of descriptors: the waiting DNS-over-TCP client got '$(val dns-after "$out")'"
	fi
fi
if [ "$(val after "$out")" = "200 ping" ]; then
	tap_ok "out of descriptors: once the flood closes, a new client gets a working tunnel"
else
	tap_fail "out of descriptors: a new client after the flood got '$(val after "$out")'"
fi

# ---- 12-17. Resets are passed on, never turned into a clean end of stream.
al_run --allow 11.11.0.10 -- /bin/sh -c "$PY $PF reset connect; $PY $PF reset socks; $PY $PF reset http"
for m in connect:CONNECT socks:SOCKS5 http:plain-HTTP; do
	r=$(val "${m%%:*}" "$OUT")
	if [ "$CTL_RESET" != 1 ]; then
		tap_skip "${m#*:}: the destination's reset reaches the client" control-failed "no control"
	elif [ "${r%% *}" = reset ]; then
		tap_ok "${m#*:}: the destination's reset mid-response reaches the client as ECONNRESET ($r bytes)"
	else
		show; tap_fail "${m#*:}: the destination's reset reached the client as '$r' (want reset, not eof)"
	fi
done
if al_json_ok "$DLOG" 'len([e for e in ev if e.get("port") == 7002 and e.get("error") == "reset by the destination"]) == 3 and {e.get("proto") for e in ev if e.get("port") == 7002} == {"connect", "socks5", "http"}'; then
	tap_ok "decision log: \"reset by the destination\" for CONNECT, SOCKS5 and plain HTTP"
else
	tap_diag "log: $(cat "$DLOG")"; tap_fail "decision log: want error \"reset by the destination\" three times"
fi
tok=sbx-$RANDOM$RANDOM
al_run --allow 11.11.0.10 -- "$PY" "$PF" client-reset connect "$tok"
wait_line "^7004 $tok "
if [ "$CTL_CRESET" != 1 ]; then
	tap_skip "a client's reset reaches the destination as a reset" control-failed "no control"
elif [ "$RC" = 0 ] && grep -q "^7004 $tok reset" "$FLOG"; then
	tap_ok "a client's reset reaches the destination as ECONNRESET"
else
	show; tap_diag "server: $(grep "$tok" "$FLOG")"; tap_fail "a client's reset reached the destination as '$(grep "$tok" "$FLOG")'"
fi
if al_json_ok "$DLOG" 'any(e.get("port") == 7004 and e.get("error") == "reset by the client" for e in ev)'; then
	tap_ok "decision log: \"reset by the client\""
else
	tap_diag "log: $(cat "$DLOG")"; tap_fail "decision log: want error \"reset by the client\""
fi
# A tunnel idle past --proxy-idle-timeout is reset (a clean end would make a
# stalled transfer look complete), and the log says why. The hold client
# reads one response on a kept-alive tunnel, then waits 3 s and tries again.
al_run --allow www.test --proxy-idle-timeout 1 -- sh -c "(sleep 3; echo go) | $PY $WD/bin/netclient.py --timeout 8 'h hold proxy www.test 80 idle-$RANDOM'"
d=$(nc_detail h)
if [ "$(nc_class h)" = closed ] && grep -Eq '"errno": "(ECONNRESET|EPIPE)"' <<<"$d" && grep -q '"first": 200' <<<"$d" &&
	al_json_ok "$DLOG" 'any(e.get("host") == "www.test" and "proxy-idle-timeout" in e.get("error", "") for e in ev)'; then
	tap_ok "--proxy-idle-timeout resets a stalled tunnel and logs why"
else
	show; tap_diag "log: $(cat "$DLOG")"; tap_fail "idle timeout: want a reset, got '$(nc_class h)' $d"
fi
tap_done
