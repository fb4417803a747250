#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Allowlist benchmark: sbx's in-process proxy side by side with direct loopback,
# a plain 256 KiB relay, tinyproxy and microsocks, inside a private fake host.
#
# Usage: tests/bench/allowlist.sh BUILDDIR [--quick]
#   BUILDDIR holds cmd/sbx, tests/bench/launch and tests/bench/abt.
#   Default run: under 3 minutes; --quick (CI): under 40 s, smaller sizes.
#   A benchmark, not a test: figures are printed next to the targets of
#   issue 4; the exit status is 0 unless a measurement crashed or failed.
#
# Topology (no packet leaves namespaces made here; nothing global is touched):
#
#   real host -- (uid 23456) unshare -Urnm -p --fork --mount-proc
#     FAKE HOST: own user/net/mount/PID namespaces, lo, /etc/hosts with
#       world.test -> 198.18.0.2 bind-mounted. Runs sbx (as uid 23456 again,
#       no caps), tinyproxy, microsocks, the relay, and a loopback server.
#       fh0 198.18.0.1/24 ===veth=== fw0 198.18.0.2/24  WORLD netns: abt serve
#       fc0 10.77.0.1/30  ===veth=== cc0 10.77.0.2/30   CLIENT netns: clients
#                                                       of the other proxies
#     sbx builds its own client -> gateway veth; its proxy dials out from the
#     fake host, so every contender has the same path:
#       client ns --veth--> proxy in the fake host --veth--> world.
#     Both veths use the MTU sbx gives its own veth (read inside a sandbox).
#
# Helper: tests/bench/allowlist/abt.c (servers, relay, bulk/rate/hold/get clients).
set -uo pipefail

if [[ ${1:-} != --fakehost ]]; then
	# ------------------------------------------------------------- outside
	build=${1:?usage: allowlist.sh BUILDDIR [--quick]}
	quick=0
	[[ ${2:-} == --quick ]] && quick=1
	for f in cmd/sbx tests/bench/launch tests/bench/abt; do
		[[ -x $build/$f ]] || { echo "allowlist.sh: $build/$f missing (build first)" >&2; exit 2; }
	done
	command -v nsenter >/dev/null && command -v ip >/dev/null ||
		{ echo "allowlist.sh: needs nsenter (util-linux) and ip (iproute2)" >&2; exit 2; }
	work=$(mktemp -d /var/tmp/sbx-bench-allowlist.XXXXXX) || exit 2
	fh=
	cleanup() {
		[[ -n $fh ]] && kill -KILL "$fh" 2>/dev/null && wait "$fh" 2>/dev/null
		rm -rf "$work"
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	cp "$build/cmd/sbx" "$build/tests/bench/launch" "$build/tests/bench/abt" "$work/" || exit 2
	cp "${BASH_SOURCE[0]}" "$work/allowlist.sh" || exit 2
	chmod 0755 "$work" "$work"/*
	as_user=()
	if [[ $(id -u) -eq 0 ]]; then
		uid=${SBX_TEST_UID:-23456}
		chown -R "$uid:$uid" "$work"
		# keep the bounding set: the fake host's root configures its own namespaces
		as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all --)
	fi
	# PID 1 of the fake host is our script: when it (or unshare) dies, the
	# PID namespace takes every server, proxy and sandbox with it.
	"${as_user[@]}" unshare -Urnm -p --fork --kill-child=SIGKILL --mount-proc --propagation private \
		-- /bin/bash "$work/allowlist.sh" --fakehost "$work" "$quick" "$(id -u)" </dev/null &
	fh=$!
	wait "$fh"
	rc=$?
	fh=
	exit $rc
fi

# ------------------------------------------------------------ in the fake host
W=$2
QUICK=$3
TUID=${SBX_TEST_UID:-23456}
cd "$W" || exit 1
ABT=$W/abt
SBX=$W/sbx
LOG=$W/log
mkdir -p "$LOG" "$W/etc"
RC=0
T_START=$SECONDS

if [[ $QUICK == 1 ]]; then
	BULK_BYTES=$((512 << 20)) BULK_SECS=1 BULK_ROUNDS=1
	RATE_SECS=1 HOLD_N=300 START_RUNS=30 FIRST_N=100 FIRST_CAP=8
else
	BULK_BYTES=$((4 << 30)) BULK_SECS=3 BULK_ROUNDS=2
	RATE_SECS=3 HOLD_N=1000 START_RUNS=150 FIRST_N=1000 FIRST_CAP=45
fi
RATE_CLIENTS=8

note() { printf '%s\n' "$*"; }
fail() {
	note "FAIL $*"
	RC=1
}
die() {
	note "FAIL $*"
	exit 1
}

# Refuse to run anywhere but in a fresh network namespace holding only lo.
[[ $(ip -o link show | grep -vc ': lo:') == 0 ]] || die "not in an empty network namespace"
ip link set lo up || die "lo up"

# A user with no capabilities, as sbx's users are (nested user ns mapping TUID).
U=(setpriv --inh-caps=-all -- unshare -U --map-user="$TUID" --map-group="$TUID" --)

# new_netns: start a process holding a new network namespace; prints its pid.
new_netns() {
	local p i
	unshare -n -- sleep infinity </dev/null >/dev/null 2>&1 &
	p=$!
	for ((i = 0; i < 250; i++)); do
		[[ -n $(readlink "/proc/$p/ns/net" 2>/dev/null) &&
			$(readlink "/proc/$p/ns/net") != $(readlink /proc/self/ns/net) ]] && break
		sleep 0.02
	done
	echo "$p"
}
# wait_line FILE REGEX [SECONDS]
wait_line() {
	local i n=$((${3:-10} * 50))
	for ((i = 0; i < n; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}
# sysctls of a network namespace (per-netns, ours): many short connections.
tune() {
	"$@" sh -c 'echo "1024 65000" >/proc/sys/net/ipv4/ip_local_port_range; echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse' 2>/dev/null
}

SBXNET=(--network=allowlist --allow world.test --allow 198.18.0.0/15)
printf '127.0.0.1 localhost\n::1 localhost\n198.18.0.2 world.test\n' >"$W/etc/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$W/etc/resolv.conf"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$W/etc/nsswitch.conf"
mount --bind "$W/etc/hosts" /etc/hosts || die "bind /etc/hosts"
mount --bind "$W/etc/resolv.conf" /etc/resolv.conf || die "bind /etc/resolv.conf"
mount --bind "$W/etc/nsswitch.conf" /etc/nsswitch.conf || die "bind /etc/nsswitch.conf"

# The MTU sbx gives its veth, read from inside a sandbox.
MTU=$("${U[@]}" "$SBX" run "${SBXNET[@]}" -- /bin/sh -c \
	'for d in /sys/class/net/*; do [ "${d##*/}" = lo ] || cat "$d/mtu"; done' 2>"$LOG/mtu.err" | head -n 1)
if [[ ! $MTU =~ ^[0-9]+$ ]]; then
	note "FAIL sbx --network=allowlist does not start: $(head -c 300 "$LOG/mtu.err")"
	exit 1
fi

WPID=$(new_netns)
CPID=$(new_netns)
INW=(nsenter -t "$WPID" -n --)
INC=(nsenter -t "$CPID" -n --)
ip link add fh0 mtu "$MTU" type veth peer name fw0 mtu "$MTU" netns "$WPID" || die "veth world"
ip link add fc0 mtu "$MTU" type veth peer name cc0 mtu "$MTU" netns "$CPID" || die "veth client"
ip addr add 198.18.0.1/24 dev fh0 && ip link set fh0 up || die "fh0"
ip addr add 10.77.0.1/30 dev fc0 && ip link set fc0 up || die "fc0"
"${INW[@]}" sh -c 'ip link set lo up && ip addr add 198.18.0.2/24 dev fw0 && ip link set fw0 up' || die "fw0"
"${INC[@]}" sh -c 'ip link set lo up && ip addr add 10.77.0.2/30 dev cc0 && ip link set cc0 up' || die "cc0"
tune ; tune "${INW[@]}" ; tune "${INC[@]}"
for ((i = 0; i < 250; i++)); do
	ip -o link show fh0 | grep -q 'state UP' && ip -o link show fc0 | grep -q 'state UP' &&
		"${INW[@]}" ip -o link show fw0 | grep -q 'state UP' &&
		"${INC[@]}" ip -o link show cc0 | grep -q 'state UP' && break
	sleep 0.02
done

# Servers: in the world (sink 9001, echo 9003, http 80, echo1 9101-9106) and on
# the fake host's loopback for the direct figures.
"${INW[@]}" "$ABT" serve sink:0.0.0.0:9001 echo:0.0.0.0:9003 http:0.0.0.0:80 \
	echo1:0.0.0.0:9101 echo1:0.0.0.0:9102 echo1:0.0.0.0:9103 echo1:0.0.0.0:9104 \
	echo1:0.0.0.0:9105 echo1:0.0.0.0:9106 >"$LOG/world.out" 2>&1 &
"$ABT" serve sink:127.0.0.1:9001 echo1:127.0.0.1:9101 >"$LOG/loop.out" 2>&1 &
wait_line "$LOG/world.out" serving && wait_line "$LOG/loop.out" serving || die "servers: $(cat "$LOG"/*.out)"
# Sanity: the world answers over the veth.
"$ABT" get none world.test:80 >/dev/null 2>"$LOG/sanity.err" || die "world unreachable: $(cat "$LOG/sanity.err")"

# Contenders in the proxy position (fake host, listening on fc0).
# HAVE_*: 0 not installed, 1 running, 2 installed but would not start.
HAVE_TINY=0 HAVE_MSOCKS=0 TINY_PID= MSOCKS_PID=
TINY_VER=$(tinyproxy -v 2>/dev/null | head -n 1)
if command -v tinyproxy >/dev/null; then
	HAVE_TINY=2
	cat >"$W/etc/tinyproxy.conf" <<EOF
Port 8888
Listen 10.77.0.1
Timeout 600
MaxClients 4096
LogLevel Critical
LogFile "$LOG/tinyproxy.log"
DisableViaHeader Yes
EOF
	"${U[@]}" tinyproxy -d -c "$W/etc/tinyproxy.conf" >"$LOG/tinyproxy.out" 2>&1 &
	for ((i = 0; i < 250; i++)); do
		"${INC[@]}" "$ABT" bulk http:10.77.0.1:8888 world.test:9001 1 1 >/dev/null 2>&1 && HAVE_TINY=1 && break
		sleep 0.02
	done
	TINY_PID=$(pgrep -n -x tinyproxy)
	[[ $HAVE_TINY == 1 ]] || fail "tinyproxy did not start: $(tail -n 3 "$LOG/tinyproxy.out")"
fi
if command -v microsocks >/dev/null; then
	HAVE_MSOCKS=2
	"${U[@]}" microsocks -i 10.77.0.1 -p 1080 >/dev/null 2>"$LOG/microsocks.err" &
	for ((i = 0; i < 250; i++)); do
		"${INC[@]}" "$ABT" bulk socks:10.77.0.1:1080 world.test:9001 1 1 >/dev/null 2>&1 && HAVE_MSOCKS=1 && break
		sleep 0.02
	done
	MSOCKS_PID=$(pgrep -n -x microsocks)
	[[ $HAVE_MSOCKS == 1 ]] || fail "microsocks did not start: $(tail -n 3 "$LOG/microsocks.err")"
fi
"${U[@]}" "$ABT" relay 10.77.0.1:7001 198.18.0.2:9001 >"$LOG/relay1.out" 2>&1 &
"${U[@]}" "$ABT" relay 10.77.0.1:7005 198.18.0.2:9105 >"$LOG/relay5.out" 2>&1 &
wait_line "$LOG/relay1.out" relaying && wait_line "$LOG/relay5.out" relaying || die "relay did not start"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { if (v == "n/a") { print "n/a"; exit }
	ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0); print ok ? "meets" : "MISSES" }'; }

nprocs=$(nproc)
note "# sbx allowlist benchmark ($([[ $QUICK == 1 ]] && echo quick || echo default)): $(uname -r), $nprocs CPUs, veth MTU $MTU (sbx's), uid $TUID in a private fake host"
note "# tinyproxy: ${TINY_VER:-missing}; microsocks: $(dpkg-query -W -f='${Version}' microsocks 2>/dev/null || echo '?'); relay: abt relay (2 threads per connection, 256 KiB read/write)"

# ---------------------------------------------------------------- 1. throughput
declare -A BEST
bulk() { # LABEL CMD... ; keeps the best MiB/s of the rounds
	local out
	if ! out=$(timeout -k 2 $((BULK_SECS * 3 + 20)) "${@:2}" 2>"$LOG/bulk.err"); then
		fail "bulk $1: $(head -c 300 "$LOG/bulk.err")"
		return
	fi
	read -r _ _ mibs <<<"$out"
	awk -v a="$mibs" -v b="${BEST[$1]:-0}" 'BEGIN { exit !(a > b) }' && BEST[$1]=$mibs
}
note ""
note "## 1. bulk throughput: $((BULK_BYTES >> 20)) MiB or ${BULK_SECS} s per run, whichever ends first; best of $BULK_ROUNDS (interleaved), 256 KiB writes"
for ((r = 0; r < BULK_ROUNDS; r++)); do
	bulk direct "$ABT" bulk none 127.0.0.1:9001 $BULK_BYTES $BULK_SECS
	bulk sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" -- "$ABT" bulk http:10.255.255.1:3128 world.test:9001 $BULK_BYTES $BULK_SECS
	bulk sbxsocks "${U[@]}" "$SBX" run "${SBXNET[@]}" -- "$ABT" bulk socks:10.255.255.1:3128 world.test:9001 $BULK_BYTES $BULK_SECS
	bulk relay "${INC[@]}" "$ABT" bulk relay:10.77.0.1:7001 world.test:9001 $BULK_BYTES $BULK_SECS
	[[ $HAVE_TINY == 1 ]] && bulk tiny "${INC[@]}" "$ABT" bulk http:10.77.0.1:8888 world.test:9001 $BULK_BYTES $BULK_SECS
	[[ $HAVE_MSOCKS == 1 ]] && bulk msocks "${INC[@]}" "$ABT" bulk socks:10.77.0.1:1080 world.test:9001 $BULK_BYTES $BULK_SECS
done
d=${BEST[direct]:-}
row() { # LABEL KEY [HAVE]
	if [[ ${3:-1} == 0 ]]; then
		printf '%-52s SKIP (not installed)\n' "$1"
	elif [[ ${3:-1} == 2 ]]; then
		printf '%-52s FAIL (did not start)\n' "$1"
	elif [[ -z ${BEST[$2]:-} ]]; then
		printf '%-52s FAIL\n' "$1"
	else
		printf '%-52s %9.0f %8s\n' "$1" "${BEST[$2]}" "$(ratio "${BEST[$2]}" "$d")"
	fi
}
printf '%-52s %9s %8s\n' "path" "MiB/s" "x direct"
row "direct loopback (fake host, 127.0.0.1)" direct
row "sbx CONNECT tunnel (sandbox -> gateway -> world)" sbx
row "sbx SOCKS5 tunnel (same path)" sbxsocks
row "256 KiB relay (client ns -> fake host -> world)" relay
row "tinyproxy (same position, HTTP CONNECT)" tiny "$HAVE_TINY"
row "microsocks (same position, SOCKS5)" msocks "$HAVE_MSOCKS"
v=$(ratio "${BEST[sbx]:-}" "${BEST[relay]:-}")
note "ratio sbx/relay:      $v  (target >= 0.9: $(verdict "$v" ">=" 0.9))"
if [[ $HAVE_TINY == 1 ]]; then
	v=$(ratio "${BEST[sbx]:-}" "${BEST[tiny]:-}")
	note "ratio sbx/tinyproxy:  $v  (target >= 4: $(verdict "$v" ">=" 4))"
elif [[ $HAVE_TINY == 0 ]]; then
	note "SKIP ratio sbx/tinyproxy: tinyproxy not installed"
fi
[[ $HAVE_MSOCKS == 1 ]] && note "ratio sbx/microsocks: $(ratio "${BEST[sbx]:-}" "${BEST[msocks]:-}")"

# ------------------------------------------------------------ 2. tunnels/s
declare -A RATE
rate() { # LABEL CMD...
	local out
	if ! out=$(timeout -k 2 $((RATE_SECS + 20)) "${@:2}" 2>"$LOG/rate.err"); then
		fail "rate $1: $(head -c 300 "$LOG/rate.err")"
		return
	fi
	read -r ok errs _ per <<<"$out"
	RATE[$1]=$per
	RATE_E[$1]=$errs
	[[ $errs != 0 ]] && note "note: $1: $errs failed tunnels ($(head -c 200 "$LOG/rate.err"))"
}
declare -A RATE_E
note ""
note "## 2. new tunnels per second: $RATE_CLIENTS clients, ${RATE_SECS} s each, connect -> handshake -> 16 bytes each way -> close (server closes first)"
rate direct "$ABT" rate none 127.0.0.1:9101 $RATE_CLIENTS $RATE_SECS
rate sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" -- "$ABT" rate http:10.255.255.1:3128 world.test:9102 $RATE_CLIENTS $RATE_SECS
rate sbxsocks "${U[@]}" "$SBX" run "${SBXNET[@]}" -- "$ABT" rate socks:10.255.255.1:3128 world.test:9106 $RATE_CLIENTS $RATE_SECS
[[ $HAVE_TINY == 1 ]] && rate tiny "${INC[@]}" "$ABT" rate http:10.77.0.1:8888 world.test:9103 $RATE_CLIENTS $RATE_SECS
[[ $HAVE_MSOCKS == 1 ]] && rate msocks "${INC[@]}" "$ABT" rate socks:10.77.0.1:1080 world.test:9104 $RATE_CLIENTS $RATE_SECS
rate relay "${INC[@]}" "$ABT" rate relay:10.77.0.1:7005 world.test:9105 $RATE_CLIENTS $RATE_SECS
rrow() {
	if [[ ${3:-1} == 0 ]]; then
		printf '%-52s SKIP (not installed)\n' "$1"
	elif [[ ${3:-1} == 2 ]]; then
		printf '%-52s FAIL (did not start)\n' "$1"
	elif [[ -z ${RATE[$2]:-} ]]; then
		printf '%-52s FAIL\n' "$1"
	else
		printf '%-52s %9s %8s %7s\n' "$1" "${RATE[$2]}" "$(ratio "${RATE[$2]}" "${RATE[direct]:-}")" "${RATE_E[$2]}"
	fi
}
printf '%-52s %9s %8s %7s\n' "path" "tunnels/s" "x direct" "errors"
rrow "direct loopback (fake host, 127.0.0.1, no handshake)" direct
rrow "sbx CONNECT" sbx
rrow "sbx SOCKS5" sbxsocks
rrow "tinyproxy (CONNECT, resolves world.test each time)" tiny "$HAVE_TINY"
rrow "microsocks (SOCKS5, resolves world.test each time)" msocks "$HAVE_MSOCKS"
rrow "256 KiB relay (no handshake, 2 threads/conn)" relay
if [[ $HAVE_TINY == 1 ]]; then
	v=$(ratio "${RATE[sbx]:-}" "${RATE[tiny]:-}")
	note "ratio sbx/tinyproxy:  $v  (target >= 1.5: $(verdict "$v" ">=" 1.5))"
elif [[ $HAVE_TINY == 0 ]]; then
	note "SKIP ratio sbx/tinyproxy: tinyproxy not installed"
fi

# ------------------------------------------------------- 3. idle tunnel memory
# snap PID: "rss_kB threads slab_kB sunreclaim_kB memfree_kB tcpmem_pages sockets pipes"
snap() {
	local rss=0 thr=0 pipes=n/a
	if [[ $1 != - ]]; then
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		thr=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		pipes=$(find "/proc/$1/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -c '^pipe:')
		[[ -r /proc/$1/fd ]] || pipes=n/a
	fi
	echo "${rss:-0} ${thr:-0}" \
		"$(awk '/^Slab:/ { s = $2 } /^SUnreclaim:/ { u = $2 } /^MemFree:/ { f = $2 } END { print s, u, f }' /proc/meminfo)" \
		"$(awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1) } ' /proc/net/sockstat)" \
		"$(awk '/^sockets:/ { print $3 }' /proc/net/sockstat)" "$pipes"
}
declare -A MEM
# hold LABEL WATCH(sbx|pid|-) CMD...: open HOLD_N idle tunnels, snapshot before and after.
hold() {
	local label=$1 watch=$2 hp pid a b line
	shift 2
	rm -f "$W/hold.in" "$W/status.json"
	mkfifo "$W/hold.in"
	: >"$LOG/hold.out"
	"$@" <"$W/hold.in" >"$LOG/hold.out" 2>"$LOG/hold.err" 3>"$W/status.json" &
	hp=$!
	exec 8>"$W/hold.in"
	if ! wait_line "$LOG/hold.out" '^up' 15; then
		fail "hold $label: holder did not start: $(head -c 300 "$LOG/hold.err")"
		exec 8>&-
		kill "$hp" 2>/dev/null
		wait "$hp" 2>/dev/null
		return
	fi
	pid=$watch
	[[ $watch == sbx ]] && pid=$(sed -n 's/.*"event":"started".*"sbx_pid":\([0-9]*\).*/\1/p' "$W/status.json" | head -n 1)
	sleep 0.5
	a=$(snap "${pid:--}")
	echo open >&8
	if ! wait_line "$LOG/hold.out" '^(ready|failed)' 60 || ! grep -q '^ready' "$LOG/hold.out"; then
		fail "hold $label: $(grep -m1 failed "$LOG/hold.out") $(head -c 300 "$LOG/hold.err")"
	else
		sleep 1
		b=$(snap "${pid:--}")
		MEM[$label]="$a $b"
	fi
	exec 8>&-
	timeout 15 tail --pid="$hp" -f /dev/null
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
}
note ""
note "## 3. memory with $HOLD_N idle tunnels (each checked with one 8-byte echo, then idle 1 s)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null
hold direct - "$ABT" hold none 198.18.0.2:9003 $HOLD_N
hold sbx sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- "$ABT" hold http:10.255.255.1:3128 world.test:9003 $HOLD_N
[[ $HAVE_TINY == 1 ]] && hold tiny "$TINY_PID" "${INC[@]}" "$ABT" hold http:10.77.0.1:8888 world.test:9003 $HOLD_N
[[ $HAVE_MSOCKS == 1 ]] && hold msocks "$MSOCKS_PID" "${INC[@]}" "$ABT" hold socks:10.77.0.1:1080 world.test:9003 $HOLD_N
# Per tunnel: user = RSS delta of the proxy process; kernel = Slab delta +
# sockstat TCP "mem" pages delta, minus the same for direct connections
# (the client's and the server's sockets exist whatever sits between them).
printf '%-30s %10s %10s %10s %10s %10s %9s %7s\n' "proxy" "RSS KiB/t" "slab KiB/t" "tcpmem/t" "kern KiB/t" "kern-dir/t" "total/t" "thr+"
mrow() { # LABEL KEY [HAVE]
	if [[ ${3:-1} == 0 ]]; then
		printf '%-30s SKIP (not installed)\n' "$1"
		return
	elif [[ ${3:-1} == 2 ]]; then
		printf '%-30s FAIL (did not start)\n' "$1"
		return
	fi
	if [[ -z ${MEM[$2]:-} ]]; then
		printf '%-30s FAIL\n' "$1"
		return
	fi
	# shellcheck disable=SC2086
	set -- "$1" $2 ${MEM[$2]} ${MEM[direct]:-}
	awk -v n="$HOLD_N" -v label="$1" -v key="$2" \
		-v r0="$3" -v t0="$4" -v s0="$5" -v m0="$8" -v r1="${11}" -v t1="${12}" -v s1="${13}" -v m1="${16}" \
		-v ds0="${21:-}" -v dm0="${24:-}" -v ds1="${29:-}" -v dm1="${32:-}" 'BEGIN {
		rss = (r1 - r0) / n; slab = (s1 - s0) / n; tcp = (m1 - m0) * 4 / n; kern = slab + tcp
		dk = (ds0 == "") ? 0 : ((ds1 - ds0) + (dm1 - dm0) * 4) / n
		if (key == "direct") { printf "%-30s %10s %10.2f %10.2f %10.2f %10s %9s %7s\n", label, "-", slab, tcp, kern, "-", "-", "-"; exit }
		printf "%-30s %10.2f %10.2f %10.2f %10.2f %10.2f %9.2f %7d\n", label, rss, slab, tcp, kern, kern - dk, rss + kern - dk, t1 - t0 }'
}
mrow "direct (client+server only)" direct
mrow "sbx supervisor" sbx
mrow "tinyproxy" tiny "$HAVE_TINY"
mrow "microsocks" msocks "$HAVE_MSOCKS"
if [[ -n ${MEM[sbx]:-} ]]; then
	read -r -a s <<<"${MEM[sbx]}"
	note "sbx supervisor: RSS ${s[0]} -> ${s[8]} KiB, threads ${s[1]} -> ${s[9]}, pipe fds ${s[7]} -> ${s[15]}; MemFree fell $(((s[4] - s[12]) / HOLD_N)) KiB/tunnel (everything, noisy)"
	v=$(awk -v a="$(mrow x sbx | awk '{ print $7 }')" 'BEGIN { print (a == "") ? "n/a" : a }')
	note "sbx total per idle tunnel: $v KiB (user + kernel beyond the endpoints; target <= 4: $(verdict "$v" "<=" 4))"
fi
note "(RSS from /proc/PID/status; slab from /proc/meminfo Slab (machine-wide, includes the proxy's two"
note " sockets, their dentries/inodes/files and epoll items); tcpmem = /proc/net/sockstat TCP mem pages x 4 KiB;"
note " /proc/slabinfo is root-only and not read; pipe pages are not in any counter: pipe fds are listed instead)"

# ----------------------------------------------------------------- 4. start-up
note ""
note "## 4. start-up: $START_RUNS runs each, interleaved (launch serial), as uid $TUID in the fake host"
cmdline=("$SBX" run "${SBXNET[@]}" -- /bin/true :: "$SBX" run --network=blocked -- /bin/true)
have_bwrap=0
command -v bwrap >/dev/null && "${U[@]}" bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev /bin/true 2>/dev/null && have_bwrap=1
[[ $have_bwrap == 1 ]] && cmdline+=(:: bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev /bin/true)
if mapfile -t res < <(timeout 120 "${U[@]}" "$W/launch" serial "$START_RUNS" "${cmdline[@]}") && [[ ${#res[@]} -ge 2 ]]; then
	read -r al_med al_p90 al_rss <<<"${res[0]}"
	read -r bl_med bl_p90 bl_rss <<<"${res[1]}"
	printf '%-52s %8s %8s %10s\n' "command" "median" "p90" "peak RSS"
	printf '%-52s %6.2fms %6.2fms %7.0f KiB\n' "sbx run --network=allowlist -- /bin/true" "$al_med" "$al_p90" "$al_rss"
	printf '%-52s %6.2fms %6.2fms %7.0f KiB\n' "sbx run --network=blocked -- /bin/true" "$bl_med" "$bl_p90" "$bl_rss"
	if [[ $have_bwrap == 1 && ${#res[@]} -ge 3 ]]; then
		read -r bw_med bw_p90 _ <<<"${res[2]}"
		printf '%-52s %6.2fms %6.2fms\n' "bwrap --unshare-all ... /bin/true" "$bw_med" "$bw_p90"
		v=$(ratio "$al_med" "$bw_med")
		note "ratio allowlist/bwrap median:   $v  (target <= 1.0: $(verdict "$v" "<=" 1.0))"
	else
		note "SKIP bwrap: not installed or cannot run here"
	fi
	note "ratio allowlist/blocked median: $(ratio "$al_med" "$bl_med")"
else
	fail "start-up: launch failed"
fi

# ------------------------------------------------------ 5. first-connection stall
note ""
if command -v curl >/dev/null; then
	client=(curl -sS -o /dev/null -w '%{time_total}\n' http://world.test/)
	cname="curl (absolute-form GET via HTTP_PROXY)"
else
	client=("$ABT" get http:10.255.255.1:3128 world.test:80)
	cname="abt get (absolute-form GET)"
fi
note "## 5. first-connection stall: up to $FIRST_N launches (cap ${FIRST_CAP} s) of sbx run --network=allowlist -- $cname"
: >"$W/first.txt"
timeout -k 2 $((FIRST_CAP + 15)) "${U[@]}" /bin/bash -c '
	out=$1 n=$2 cap=$3; shift 3
	end=$((SECONDS + cap)); fails=0
	for ((i = 0; i < n && SECONDS < end; i++)); do
		if t=$("$@" 2>>"${out%.txt}.err") && [[ -n $t ]]; then echo "$t" >>"$out"; else echo fail >>"$out"; fi
	done' first "$W/first.txt" "$FIRST_N" "$FIRST_CAP" "$SBX" run "${SBXNET[@]}" -- "${client[@]}"
grep -v fail "$W/first.txt" | sort -g | awk -v fails="$(grep -c fail "$W/first.txt")" '
	{ v[NR] = $1; if ($1 >= 0.5) slow++; if ($1 >= 0.1) slow100++ }
	END {
		n = NR
		if (n == 0) { print "FAIL no launch completed (" fails " failed)"; exit 1 }
		p50 = v[int(n * 0.50 + 0.999)]; p99 = v[int(n * 0.99 + 0.999)]
		printf "launches %d, failed %d; first request: median %.1f ms, p99 %.1f ms, max %.1f ms; >= 0.1 s: %d; >= 0.5 s: %d  (target: none >= 0.5 s: %s)\n",
			n + fails, fails, p50 * 1000, p99 * 1000, v[n] * 1000, slow100 + 0, slow + 0, (slow + fails == 0) ? "meets" : "MISSES"
	}' || RC=1
[[ $(grep -c fail "$W/first.txt") != 0 ]] && note "first failure: $(head -c 300 "$W/first.err" 2>/dev/null)" && RC=1

note ""
note "# done in $((SECONDS - T_START)) s"
exit $RC
