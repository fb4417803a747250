#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-pools: one slow or dead destination never delays another (issue 11,
# items 3 and 4).
#
# Open posture, in a network namespace of the test's own where
# 198.51.100.7 is a black hole (a veth whose peer drops every frame, so a
# connect() hangs for the kernel's whole SYN timeout): with 16 blocking
# connects to it in flight, a connect to a loopback listener completes at
# once; past the worker bound (SBX_DEPUTY_MAX_WORKERS, 128) a call waits at
# most SBX_DEPUTY_QUEUE_MS (500 ms) and is answered ENOBUFS; the workers of a
# payload that gave up are released.
#
# Allowlist posture, in the fake internet (tests/world), whose DNS server
# never answers *.silent.test: with 8 such lookups in flight through the
# proxy or the DNS stub, an allowed name still resolves at once, and 8
# identical lookups cost one getaddrinfo().
#
# Positive controls: the same burst without sbx (the black hole holds
# every slow connect, the listener answers), and one getaddrinfo() of a
# silent name on the fake host (how many queries one lookup sends).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns
: "${OPENNET:?OPENNET must point to the built opennet helper}"
cp "$OPENNET" "$W/opennet" && chmod 0755 "$W/opennet"
N="$W/opennet"
HANG=198.51.100.7
# The bound and the wait of src/deputy/internal.h.
MAX_WORKERS=128
QUEUE_MS=500

tap_plan 6

# ---- open posture

# netns CMD...: run CMD as the test user in a new user + network namespace
# where lo is up and $HANG is a black hole; OUT, ERR, RC as capture.
BH_SETUP="ip link set lo up && ip link add bh0 type veth peer name bh1 && ip link set bh1 up &&
	ip link set bh0 up && ip addr add 198.51.100.1/24 dev bh0 &&
	ip neigh add $HANG lladdr 02:00:00:00:00:07 dev bh0 nud permanent"
netns() {
	CMD=("${USERCMD[@]}" unshare -Urn -- bash -c "$BH_SETUP || exit 97; exec \"\$@\"" netns "$@")
	run_cmd
}
# netns_sbx ARGS...: sbx ARGS as the test user inside that namespace (a
# nested user namespace maps it back, as world_cmd user does).
netns_sbx() {
	netns setpriv --inh-caps=-all unshare -U --map-user="$TESTUID" --map-group="$TESTGID" -- "$W/sbx" "$@"
}
# normal_ms: the time of the normal connect in $OUT when it succeeded, else "".
normal_ms() {
	sed -nE 's/^normal: OK ([0-9]+)$/\1/p' <<<"$OUT" | tail -n 1
}

open_fact=
if ! command -v ip >/dev/null; then
	open_fact=tool-missing:ip
else
	CAPTURE_TIMEOUT=30 netns "$N" slow $HANG 80 16 300
	ms=$(normal_ms)
	tap_diag "control without sbx: $(tr '\n' ';' <<<"$OUT") rc $RC"
	if [ "$RC" != 0 ] || ! grep -q '^slow: 16 started, 0 finished$' <<<"$OUT" || [ -z "$ms" ] || [ "$ms" -ge 1000 ]; then
		open_fact=control-failed
		show "control"
	fi
fi

desc="open: 16 blocking connects to a black hole in flight, a loopback connect completes within a second"
if [ -n "$open_fact" ]; then
	tap_skip "$desc" "$open_fact" "the black hole or the listener does not behave without sbx"
else
	CAPTURE_TIMEOUT=30 netns_sbx run --network=open -- "$N" slow $HANG 80 16 300
	ms=$(normal_ms)
	if [ "$RC" = 0 ] && grep -q '^slow: 16 started, 0 finished$' <<<"$OUT" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then
		tap_ok "$desc ($ms ms)"
	else
		show "sandbox"
		tap_fail "$desc"
	fi
fi

over=$((MAX_WORKERS + 12))
desc="open: past $MAX_WORKERS calls in flight a call waits at most $QUEUE_MS ms, then fails with ENOBUFS (logged)"
if [ -n "$open_fact" ]; then
	tap_skip "$desc" "$open_fact" "the black hole or the listener does not behave without sbx"
else
	rm -f "$W/cwd/busy.jsonl"
	CAPTURE_TIMEOUT=30 netns_sbx run --network=open --log-file "$W/cwd/busy.jsonl" -- "$N" slow $HANG 80 $over 1200
	ms=$(sed -nE 's/^normal: errno ENOBUFS ([0-9]+)$/\1/p' <<<"$OUT")
	if [ "$RC" = 0 ] && grep -q "^slow: $over started, 12 finished ENOBUFS=12\$" <<<"$OUT" && [ -n "$ms" ] &&
		[ "$ms" -ge $((QUEUE_MS - 50)) ] && [ "$ms" -lt $((QUEUE_MS + 1000)) ] &&
		grep -q '"proto":"connect".*"error":"sbx is busy' "$W/cwd/busy.jsonl"; then
		tap_ok "$desc ($(head -n 1 <<<"$OUT"); normal connect ENOBUFS after $ms ms)"
	else
		show "sandbox"
		tap_diag "log: $(grep -c busy "$W/cwd/busy.jsonl" 2>&1) busy lines"
		tap_fail "$desc"
	fi
fi

desc="open: workers of a payload that gave up are released ($MAX_WORKERS slow connects killed, then 16 more and a normal one)"
if [ -n "$open_fact" ]; then
	tap_skip "$desc" "$open_fact" "the black hole or the listener does not behave without sbx"
else
	CAPTURE_TIMEOUT=30 netns_sbx run --network=open -- /bin/sh -c \
		"'$N' slow $HANG 80 $MAX_WORKERS 300 >/dev/null; sleep 2.5; exec '$N' slow $HANG 80 16 300"
	ms=$(normal_ms)
	if [ "$RC" = 0 ] && grep -q '^slow: 16 started, 0 finished$' <<<"$OUT" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then
		tap_ok "$desc ($ms ms)"
	else
		show "sandbox"
		tap_fail "$desc"
	fi
fi

# ---- allowlist posture: the resolver

al_start
RUN=r$RANDOM$RANDOM
NC=$WD/bin/netclient.py
# burst.sh PY NETCLIENT WAIT BG-OP... -- FG-OP...: each BG-OP in a netclient
# of its own in the background; WAIT seconds later the FG-OPs in one; then
# the background ones are killed (or, without FG-OP, waited for).
cat >"$W/cwd/burst.sh" <<'EOF'
py=$1 nc=$2 wait=$3
shift 3
pids=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	"$py" "$nc" --timeout 20 "$1" &
	pids="$pids $!"
	shift
done
shift
if [ $# = 0 ]; then
	wait
	exit 0
fi
sleep "$wait"
"$py" "$nc" --timeout 10 "$@"
kill $pids 2>/dev/null
wait
exit 0
EOF
chmod 0755 "$W/cwd/burst.sh"
RULES=(--allow '*.silent.test' --allow '*.ok.test')

# op_ms ID: the "ms" netclient reported for ID.
op_ms() {
	nc_detail "$1" | sed -nE 's/.*"ms": ([0-9]+).*/\1/p'
}

mapfile -t BG < <(for i in 1 2 3 4 5 6 7 8; do echo "s$i get $RUN-p$i.silent.test 80 $RUN-p$i"; done)
CAPTURE_TIMEOUT=60 al_run "${RULES[@]}" -- /bin/sh "$W/cwd/burst.sh" "$PY" "$NC" 1 "${BG[@]}" -- \
	"fast get $RUN-pfast.ok.test 80 $RUN-pfast"
ms=$(op_ms fast)
desc="proxy: 8 never-answering names in flight, an allowed name answers within a second"
if [ "$(wclass fast)" = allowed ] && [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then
	tap_ok "$desc ($ms ms)"
elif [ "$(wclass fast)" = allowed ]; then
	tap_fail "$desc: it took $ms ms"
else
	show "sandbox"
	tap_fail "$desc: $(wclass fast) $(nc_detail fast)"
fi

mapfile -t BG < <(for i in 1 2 3 4 5 6 7 8; do echo "s$i dns $RUN-d$i.silent.test A"; done)
CAPTURE_TIMEOUT=60 al_run "${RULES[@]}" -- /bin/sh "$W/cwd/burst.sh" "$PY" "$NC" 1 "${BG[@]}" -- \
	"fast dns $RUN-dfast.ok.test A"
ms=$(op_ms fast)
desc="DNS stub: 8 never-answering names in flight, an allowed name answers within a second"
if [ "$(wclass fast)" = rcode-0 ] && grep -q 11.11.0.10 <<<"$(nc_detail fast)" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]; then
	tap_ok "$desc ($ms ms)"
elif [ "$(wclass fast)" = rcode-0 ]; then
	tap_fail "$desc: it took $ms ms"
else
	show "sandbox"
	tap_fail "$desc: $(wclass fast) $(nc_detail fast)"
fi

# One getaddrinfo() of a silent name on the fake host: the queries it sends.
CAPTURE_TIMEOUT=30 wcapture root getent ahosts "$RUN-ctl.silent.test"
one=$(grep -cF "\"$RUN-ctl.silent.test\"" "$(wlog dns)")
mapfile -t BG < <(for i in 1 2 3 4 5 6 7 8; do echo "c$i dns $RUN-same.silent.test A"; done)
CAPTURE_TIMEOUT=60 al_run "${RULES[@]}" -- /bin/sh "$W/cwd/burst.sh" "$PY" "$NC" 0 "${BG[@]}" --
sleep 0.5
same=$(grep -cF "\"$RUN-same.silent.test\"" "$(wlog dns)")
answered=$(grep -cE $'^c[1-8]\trcode-2\t' <<<"$OUT")
desc="8 identical lookups in flight: one upstream lookup ($same queries, one getaddrinfo sends $one), all 8 answered"
if [ "$one" -lt 1 ]; then
	tap_skip "$desc" control-failed "getent on the fake host sent no query for a silent name"
elif [ "$same" -ge 1 ] && [ "$same" -le "$one" ] && [ "$answered" = 8 ]; then
	tap_ok "$desc"
else
	tap_diag "$(wsummary | tr '\n' ';')"
	tap_fail "$desc ($answered answered SERVFAIL)"
fi

tap_done
