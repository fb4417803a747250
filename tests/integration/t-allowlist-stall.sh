#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-stall: the first connection after start never stalls. A SYN
# sent before both veth ends are up is dropped and retried a second later
# (DESIGN.md); 50 launches, each making one request through the proxy as
# its very first network action, must each finish in well under a second.
# Run alone (timing).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

N=${SBX_STALL_RUNS:-50}
LIMIT_MS=500
tap_plan 2
al_start

# Control: the same request from the fake host without sbx is fast.
wcapture root curl -sS -o /dev/null --max-time 5 -w '%{time_total}' http://www.test/ctl
tap_diag "control without sbx: rc $RC, ${OUT}s"
if [ "$RC" != 0 ]; then
	tap_skip "first request after start" control-failed "www.test not reachable from the fake host"
	tap_skip "launch time" control-failed "www.test not reachable from the fake host"
	tap_done
fi

worst=0 slow=0 failed=0 times=() launch_worst=0
for ((i = 1; i <= N; i++)); do
	t0=$(now_ms)
	CAPTURE_TIMEOUT=20 wcapture sbx run --network=allowlist --allow www.test -- \
		curl -sS -o /dev/null --max-time 5 -w '%{time_connect} %{time_total}\n' "http://www.test/stall-$i"
	lt=$(($(now_ms) - t0))
	[ "$lt" -gt "$launch_worst" ] && launch_worst=$lt
	if [ "$RC" != 0 ]; then
		failed=$((failed + 1))
		[ "$failed" -le 3 ] && show "launch $i"
		continue
	fi
	ms=$(awk '{ printf "%d", $2 * 1000 }' <<<"$OUT")
	times+=("$ms")
	[ "$ms" -gt "$worst" ] && worst=$ms
	[ "$ms" -ge "$LIMIT_MS" ] && slow=$((slow + 1)) && tap_diag "launch $i: request took $ms ms ($OUT)"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
med=$(sed -n "$(((${#times[@]} + 1) / 2))p" <<<"$sorted")
tap_diag "request times (ms): median ${med:-?}, worst $worst; failed launches $failed"
if [ "$failed" = 0 ] && [ "$slow" = 0 ]; then
	tap_ok "$N launches: first request through the proxy always under $LIMIT_MS ms (worst $worst ms)"
else
	tap_fail "$N launches: $slow slow (>= $LIMIT_MS ms), $failed failed"
fi
if [ "$launch_worst" -lt 3000 ]; then
	tap_ok "every launch+request finished in under 3 s (worst $launch_worst ms, including nsenter)"
else
	tap_fail "slowest launch+request took $launch_worst ms"
fi
tap_done
