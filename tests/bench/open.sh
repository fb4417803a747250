#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Open-posture benchmark: connect rate and bulk throughput to a loopback sink, side by side:
# without sbx, sbx --network=open with an empty deny-list, and with a 1,000-rule deny-list.
# Usage: tests/bench/open.sh BUILDDIR [SECONDS_PER_RATE_RUN] [MIB_PER_BULK_RUN]
# Traffic stays on 127.0.0.1.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=${1:?usage: open.sh BUILDDIR [SECS] [MIB]}
secs=${2:-3}
mib=${3:-4096}

work=$(mktemp -d /var/tmp/sbx-bench-open.XXXXXX)
cp "$build/cmd/sbx" "$build/tests/bench/netbench" "$work/"
chmod 0755 "$work" "$work/sbx" "$work/netbench"
bench_as_user "$work"
cd "$work"
# 1,000 deny rules that never match the sink (documentation-free private /24s).
for i in $(seq 0 999); do echo "deny 10.$((i / 250)).$((i % 250)).0/24"; done >deny1000.policy
echo "network open" >>deny1000.policy

port=$((20000 + RANDOM % 20000))
"${as_user[@]}" ./netbench serve "$port" >serve.out &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q ready serve.out 2>/dev/null && break; sleep 0.1; done

# One round: connect rate, then bulk, for one configuration; best of $rounds rounds,
# interleaved across configurations so machine noise hits all of them alike.
rounds=${SBX_BENCH_ROUNDS:-3}
labels=(direct open-empty open-1000-rules)
cmd_direct=(env)
cmd_open_empty=(./sbx run --network=open --)
cmd_open_1000_rules=(./sbx run --network=open --policy deny1000.policy --)
for label in "${labels[@]}"; do echo "0 0" >"res.$label"; done
for _ in $(seq "$rounds"); do
	for label in "${labels[@]}"; do
		var="cmd_${label//-/_}[@]"
		rate=$("${as_user[@]}" "${!var}" ./netbench connrate "$port" "$secs")
		bulk=$("${as_user[@]}" "${!var}" ./netbench bulk "$port" "$mib")
		read -r br bb <"res.$label"
		awk -v r="$rate" -v b="$bulk" -v br="$br" -v bb="$bb" \
			'BEGIN { print (r > br ? r : br), (b > bb ? b : bb) }' >"res.$label"
	done
done

echo "# open posture: best of $rounds interleaved rounds; ${secs}s connect-rate runs, ${mib} MiB bulk runs, to 127.0.0.1:$port"
for label in "${labels[@]}"; do
	read -r rate bulk <"res.$label"
	printf "%-34s %12s conn/s %10s MiB/s\n" "$label" "$rate" "$bulk"
done
read -r r0 b0 <res.direct
read -r r1 b1 <res.open-empty
read -r r2 b2 <res.open-1000-rules
awk -v r0="$r0" -v b0="$b0" -v r1="$r1" -v b1="$b1" -v r2="$r2" -v b2="$b2" 'BEGIN {
	printf "ratio open/direct, empty deny-list:   connect %.2f (target >= 0.5)   bulk %.2f (target >= 0.95)\n", r1 / r0, b1 / b0
	printf "ratio open/direct, 1,000 deny rules:  connect %.2f (target >= 0.5)   bulk %.2f (target >= 0.95)\n", r2 / r0, b2 / b0
}'
