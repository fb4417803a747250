#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Allowlist benchmark: sbx's in-process proxy side by side with direct loopback,
# a plain 256 KiB relay, tinyproxy and microsocks, inside a private fake host.
#
# Usage: tests/bench/allowlist.sh BUILDDIR [--quick]
#   BUILDDIR holds cmd/sbx, tests/bench/launch and tests/bench/abt.
#   Default run: under 3 minutes; --quick (CI): under 40 s, smaller sizes.
#   SBX_BENCH_ONLY="1 3" runs only those sections (1 throughput, 2 tunnels/s,
#   3 idle memory, 4 start-up, 5 first-connection stall).
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
	. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
	bench_as_user "$work"
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
	BULK_BYTES=$((4 << 30)) BULK_SECS=2 BULK_ROUNDS=3
	RATE_SECS=3 HOLD_N=1000 START_RUNS=150 FIRST_N=1000 FIRST_CAP=45
fi
RATE_CLIENTS=8
ONLY=" ${SBX_BENCH_ONLY:-1 2 3 4 5} "
section() { [[ $ONLY == *" $1 "* ]]; }

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

# Servers: in the world (sink 9001, echo 9003, http 80, echo1 9101-9108) and on
# the fake host's loopback for the direct figures; a port per contender.
"${INW[@]}" "$ABT" serve sink:0.0.0.0:9001 echo:0.0.0.0:9003 http:0.0.0.0:80 \
	echo1:0.0.0.0:9101 echo1:0.0.0.0:9102 echo1:0.0.0.0:9103 echo1:0.0.0.0:9104 \
	echo1:0.0.0.0:9105 echo1:0.0.0.0:9106 echo1:0.0.0.0:9107 echo1:0.0.0.0:9108 >"$LOG/world.out" 2>&1 &
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
	MSOCKS_PID=$!
	for ((i = 0; i < 250; i++)); do
		"${INC[@]}" "$ABT" bulk socks:10.77.0.1:1080 world.test:9001 1 1 >/dev/null 2>&1 && HAVE_MSOCKS=1 && break
		sleep 0.02
	done
	[[ $HAVE_MSOCKS == 1 ]] || fail "microsocks did not start: $(tail -n 3 "$LOG/microsocks.err")"
fi
"${U[@]}" "$ABT" relay 10.77.0.1:7001 198.18.0.2:9001 >"$LOG/relay1.out" 2>&1 &
RELAY1_PID=$! # setpriv and unshare exec: this is the relay itself
"${U[@]}" "$ABT" relay 10.77.0.1:7005 198.18.0.2:9105 >"$LOG/relay5.out" 2>&1 &
RELAY5_PID=$!
wait_line "$LOG/relay1.out" relaying && wait_line "$LOG/relay5.out" relaying || die "relay did not start"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { if (v == "n/a") { print "n/a"; exit }
	ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0); print ok ? "meets" : "MISSES" }'; }

nprocs=$(nproc)
note "# sbx allowlist benchmark ($([[ $QUICK == 1 ]] && echo quick || echo default)): $(uname -r), $nprocs CPUs, veth MTU $MTU (sbx's), uid $TUID in a private fake host"
note "# tinyproxy: ${TINY_VER:-missing}; microsocks: $(dpkg-query -W -f='${Version}' microsocks 2>/dev/null || echo '?'); relay: abt relay (2 threads per connection, 256 KiB read/write)"

# ---------------------------------------------------------------- 1. throughput
HZ=$(getconf CLK_TCK)
# cpu_ms PID: user+system CPU of a whole process (all its threads), in ms.
cpu_ms() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v hz="$HZ" '{ printf "%.0f", ($12 + $13) * 1000 / hz }'; }
# busy_ms: CPU time all CPUs spent busy since boot (machine-wide, /proc/stat), in ms.
busy_ms() { awk -v hz="$HZ" '/^cpu / { printf "%.0f", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / hz; exit }' /proc/stat; }
# measure PROXY CMD...: run a client that prints one line and then lingers
# 0.5 s; PROXY is a pid, "sbx" (the supervisor of the sandbox CMD starts:
# CMD must pass --json-status-fd 3) or "-". Sets OUT and PCPU (the proxy's
# CPU ms over the run; for sbx everything since it started) and SCPU (the
# whole machine's busy CPU ms over the run).
measure() {
	local who=$1 p c0=0 c1 i b0
	shift
	OUT= PCPU= SCPU=
	b0=$(busy_ms)
	: >"$LOG/m.out"
	: >"$W/m.json"
	[[ $who =~ ^[0-9]+$ ]] && c0=$(cpu_ms "$who")
	timeout -k 2 60 "$@" >"$LOG/m.out" 2>"$LOG/m.err" 3>"$W/m.json" &
	p=$!
	for ((i = 0; i < 3000; i++)); do
		[[ -s $LOG/m.out ]] && break
		kill -0 "$p" 2>/dev/null || break
		sleep 0.02
	done
	if [[ $who == sbx ]]; then
		who=$(sed -n 's/.*"event":"started".*"sbx_pid":\([0-9]*\).*/\1/p' "$W/m.json" | head -n 1)
		c0=0
	fi
	SCPU=$(($(busy_ms) - b0))
	[[ $who =~ ^[0-9]+$ ]] && c1=$(cpu_ms "$who") && [[ -n $c1 ]] && PCPU=$((c1 - c0))
	wait "$p" || return 1
	OUT=$(head -n 1 "$LOG/m.out")
	[[ -n $OUT ]]
}
declare -A BEST BCPU
if section 1; then
bulk() { # LABEL PROXY CMD... ; keeps the best MiB/s of the rounds
	local mibs
	if ! measure "${@:2}"; then
		fail "bulk $1: $(head -c 300 "$LOG/m.err")"
		return
	fi
	read -r bytes _ mibs <<<"$OUT"
	if awk -v a="$mibs" -v b="${BEST[$1]:-0}" 'BEGIN { exit !(a > b) }'; then
		BEST[$1]=$mibs
		BCPU[$1]=
		[[ -n $PCPU ]] && BCPU[$1]=$(awk -v c="$PCPU" -v b="$bytes" 'BEGIN { printf "%.0f", c / (b / 2^30) }')
	fi
}
note ""
note "## 1. bulk throughput: $((BULK_BYTES >> 20)) MiB or ${BULK_SECS} s per run, whichever ends first; best of $BULK_ROUNDS (interleaved), 256 KiB writes"
for ((r = 0; r < BULK_ROUNDS; r++)); do
	bulk direct - "$ABT" bulk none 127.0.0.1:9001 $BULK_BYTES $BULK_SECS
	bulk sbx sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- \
		"$ABT" bulk http:10.255.255.1:3128 world.test:9001 $BULK_BYTES $BULK_SECS 0.5
	bulk sbxsocks sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- \
		"$ABT" bulk socks:10.255.255.1:3128 world.test:9001 $BULK_BYTES $BULK_SECS 0.5
	bulk relay "$RELAY1_PID" "${INC[@]}" "$ABT" bulk relay:10.77.0.1:7001 world.test:9001 $BULK_BYTES $BULK_SECS
	[[ $HAVE_TINY == 1 ]] && bulk tiny "$TINY_PID" "${INC[@]}" "$ABT" bulk http:10.77.0.1:8888 world.test:9001 $BULK_BYTES $BULK_SECS
	[[ $HAVE_MSOCKS == 1 ]] && bulk msocks "$MSOCKS_PID" "${INC[@]}" "$ABT" bulk socks:10.77.0.1:1080 world.test:9001 $BULK_BYTES $BULK_SECS
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
		printf '%-52s %9.0f %8s %15s\n' "$1" "${BEST[$2]}" "$(ratio "${BEST[$2]}" "$d")" "${BCPU[$2]:--}"
	fi
}
printf '%-52s %9s %8s %15s\n' "path" "MiB/s" "x direct" "proxy CPU ms/GiB"
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
note "(proxy CPU: user+system time of the proxy process over the run, from /proc/PID/stat; for sbx the"
note " supervisor's whole life, set-up included)"
fi

# ------------------------------------------------------------ 2. tunnels/s
declare -A RATE RATE_E RCPU RSYS
if section 2; then
rate() { # LABEL PROXY CMD...
	local ok errs per
	if ! measure "${@:2}"; then
		fail "rate $1: $(head -c 300 "$LOG/m.err")"
		return
	fi
	read -r ok errs _ per <<<"$OUT"
	RATE[$1]=$per
	RATE_E[$1]=$errs
	RCPU[$1]=
	[[ -n $PCPU && $ok -gt 0 ]] && RCPU[$1]=$(awk -v c="$PCPU" -v n="$ok" 'BEGIN { printf "%.0f", c * 1000 / n }')
	[[ $ok -gt 0 ]] && RSYS[$1]=$(awk -v c="$SCPU" -v n="$ok" 'BEGIN { printf "%.0f", c * 1000 / n }')
	[[ $errs != 0 ]] && note "note: $1: $errs failed tunnels ($(head -c 200 "$LOG/m.err"))"
}
note ""
note "## 2. new tunnels per second: $RATE_CLIENTS clients, ${RATE_SECS} s each, connect -> handshake -> 16 bytes each way -> close (server closes first)"
R=($RATE_CLIENTS $RATE_SECS 0.5)
rate direct - "$ABT" rate none 127.0.0.1:9101 "${R[@]}"
rate sbx sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- "$ABT" rate http:10.255.255.1:3128 world.test:9102 "${R[@]}"
rate sbxsocks sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- "$ABT" rate socks:10.255.255.1:3128 world.test:9106 "${R[@]}"
[[ $HAVE_TINY == 1 ]] && rate tiny "$TINY_PID" "${INC[@]}" "$ABT" rate http:10.77.0.1:8888 world.test:9103 "${R[@]}"
[[ $HAVE_MSOCKS == 1 ]] && rate msocks "$MSOCKS_PID" "${INC[@]}" "$ABT" rate socks:10.77.0.1:1080 world.test:9104 "${R[@]}"
rate relay "$RELAY5_PID" "${INC[@]}" "$ABT" rate relay:10.77.0.1:7005 world.test:9105 "${R[@]}"
# the same without name resolution (CONNECT to the address)
rate sbxip sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- "$ABT" rate http:10.255.255.1:3128 198.18.0.2:9107 "${R[@]}"
[[ $HAVE_TINY == 1 ]] && rate tinyip "$TINY_PID" "${INC[@]}" "$ABT" rate http:10.77.0.1:8888 198.18.0.2:9108 "${R[@]}"
rrow() {
	if [[ ${3:-1} == 0 ]]; then
		printf '%-52s SKIP (not installed)\n' "$1"
	elif [[ ${3:-1} == 2 ]]; then
		printf '%-52s FAIL (did not start)\n' "$1"
	elif [[ -z ${RATE[$2]:-} ]]; then
		printf '%-52s FAIL\n' "$1"
	else
		printf '%-52s %9s %8s %7s %14s %11s\n' "$1" "${RATE[$2]}" "$(ratio "${RATE[$2]}" "${RATE[direct]:-}")" "${RATE_E[$2]}" "${RCPU[$2]:--}" "${RSYS[$2]:--}"
	fi
}
printf '%-52s %9s %8s %7s %14s %11s\n' "path" "tunnels/s" "x direct" "errors" "proxy CPU us/t" "all us/t"
rrow "direct loopback (fake host, 127.0.0.1, no handshake)" direct
rrow "sbx CONNECT" sbx
rrow "sbx SOCKS5" sbxsocks
rrow "tinyproxy (CONNECT, resolves world.test each time)" tiny "$HAVE_TINY"
rrow "microsocks (SOCKS5, resolves world.test each time)" msocks "$HAVE_MSOCKS"
rrow "256 KiB relay (no handshake, 2 threads/conn)" relay
rrow "sbx CONNECT 198.18.0.2 (no name to resolve)" sbxip
rrow "tinyproxy CONNECT 198.18.0.2 (no name to resolve)" tinyip "$HAVE_TINY"
if [[ $HAVE_TINY == 1 ]]; then
	v=$(ratio "${RATE[sbx]:-}" "${RATE[tiny]:-}")
	note "ratio sbx/tinyproxy:  $v  (target >= 1.5: $(verdict "$v" ">=" 1.5))"
	note "proxy CPU per tunnel, tinyproxy/sbx: $(ratio "${RCPU[tiny]:-}" "${RCPU[sbx]:-}")"
	note "(proxy CPU: the proxy process's user+system time per tunnel; all: every CPU's busy time per tunnel"
	note " from /proc/stat, machine-wide (clients, proxy, server, kernel, and anything else running): on $nprocs CPUs"
	note " the proxy's share bounds what a faster proxy can gain)"
elif [[ $HAVE_TINY == 0 ]]; then
	note "SKIP ratio sbx/tinyproxy: tinyproxy not installed"
fi
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
# hold LABEL WATCH(sbx|pid|-) CMD...: open HOLD_N idle tunnels; MEM[LABEL] =
# snapshots before opening, while holding (after 1 s idle), and 1 s after closing.
hold() {
	local label=$1 watch=$2 hp pid a b c
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
		exec 8>&-
	else
		sleep 1
		b=$(snap "${pid:--}")
		echo close >&8
		wait_line "$LOG/hold.out" '^closed' 30
		sleep 1
		c=$(snap "${pid:--}")
		exec 8>&-
		MEM[$label]="$a $b $c"
	fi
	timeout 15 tail --pid="$hp" -f /dev/null
	kill "$hp" 2>/dev/null
	wait "$hp" 2>/dev/null
}
if section 3; then
note ""
note "## 3. memory with $HOLD_N idle tunnels (each checked with one 8-byte echo, then idle 1 s)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null
hold direct - "$ABT" hold none 198.18.0.2:9003 $HOLD_N
hold sbx sbx "${U[@]}" "$SBX" run "${SBXNET[@]}" --json-status-fd 3 -- "$ABT" hold http:10.255.255.1:3128 world.test:9003 $HOLD_N
[[ $HAVE_TINY == 1 ]] && hold tiny "$TINY_PID" "${INC[@]}" "$ABT" hold http:10.77.0.1:8888 world.test:9003 $HOLD_N
[[ $HAVE_MSOCKS == 1 ]] && hold msocks "$MSOCKS_PID" "${INC[@]}" "$ABT" hold socks:10.77.0.1:1080 world.test:9003 $HOLD_N
# Per tunnel: user = RSS delta of the proxy process; kernel = Slab delta
# while holding, minus the Slab delta of direct connections (the client's
# and the server's sockets exist whatever sits between them).
printf '%-28s %9s %10s %10s %10s %10s %9s %6s\n' "proxy" "RSS KiB/t" "slab KiB/t" "-direct/t" "total/t" "closed/t" "tcpmem/t" "thr+"
# mrow LABEL KEY [HAVE]; snapshot fields: rss thr slab sunreclaim memfree tcpmem sockets pipes
mrow() {
	if [[ ${3:-1} == 0 ]]; then
		printf '%-28s SKIP (not installed)\n' "$1"
		return
	elif [[ ${3:-1} == 2 ]]; then
		printf '%-28s FAIL (did not start)\n' "$1"
		return
	fi
	if [[ -z ${MEM[$2]:-} ]]; then
		printf '%-28s FAIL\n' "$1"
		return
	fi
	awk -v n="$HOLD_N" -v label="$1" -v key="$2" -v m="${MEM[$2]}" -v d="${MEM[direct]:-}" 'BEGIN {
		split(m, x, " "); nd = split(d, y, " ")
		rss = (x[9] - x[1]) / n; slab = (x[11] - x[3]) / n; closed = (x[11] - x[19]) / n
		tcp = (x[14] - x[6]) * 4 / n; dslab = nd ? (y[11] - y[3]) / n : 0
		if (key == "direct") {
			printf "%-28s %9s %10.2f %10s %10s %10.2f %9.2f %6s\n", label, "-", slab, "-", "-", closed, tcp, "-"; exit }
		printf "%-28s %9.2f %10.2f %10.2f %10.2f %10.2f %9.2f %6d\n", label, rss, slab, slab - dslab,
			rss + slab - dslab, closed, tcp, x[10] - x[2] }'
}
mrow "direct (client+server only)" direct
mrow "sbx supervisor" sbx
mrow "tinyproxy" tiny "$HAVE_TINY"
mrow "microsocks" msocks "$HAVE_MSOCKS"
if [[ -n ${MEM[sbx]:-} ]]; then
	read -r -a s <<<"${MEM[sbx]}"
	note "sbx supervisor: RSS ${s[0]} -> ${s[8]} KiB, threads ${s[1]} -> ${s[9]}, pipe fds ${s[7]} -> ${s[15]}, outbound sockets in the fake host ${s[6]} -> ${s[14]}"
	v=$(mrow x sbx | awk '{ print $5 }')
	note "sbx total per idle tunnel: ${v:-n/a} KiB (RSS + slab beyond the endpoints; target <= 4: $(verdict "${v:-n/a}" "<=" 4))"
fi
note "(RSS: /proc/PID/status VmRSS of the proxy process. slab: /proc/meminfo Slab, machine-wide: the proxy's"
note " two sockets per tunnel with their inode, file, dentry and epoll item; '-direct' subtracts the same delta for"
note " $HOLD_N direct client->world connections; 'closed' = slab freed 1 s after the tunnels closed (cross-check)."
note " tcpmem: /proc/net/sockstat TCP mem, an accounting quota batched in 1 MiB per-CPU steps since Linux 6.0:"
note " shown, not summed. /proc/slabinfo is root-only; the supervisor holds no pipes per tunnel (pipe fds above).)"
fi

# ----------------------------------------------------------------- 4. start-up
if section 4; then
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
fi

# ------------------------------------------------------ 5. first-connection stall
if section 5; then
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
fi

note ""
note "# done in $((SECONDS - T_START)) s"
exit $RC
