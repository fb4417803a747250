#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Host-unix-socket benchmark (issue 9): since every posture runs the payload under the notification filter, every
# connect() is a round trip to sbx, which performs it. Cost of one connect, side by side: without sbx, and inside
# sbx to a unix socket on its tmpfs (/tmp), to one the payload bound in its working directory (the record of the
# payload's own sockets), and over TCP to 127.0.0.1 in each posture.
# Usage: tests/bench/doors.sh BUILDDIR [CONNECTS_PER_RUN]   (best of SBX_BENCH_ROUNDS=3 interleaved rounds)
# Traffic stays on 127.0.0.1 and unix sockets.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=${1:?usage: doors.sh BUILDDIR [N]}
n=${2:-10000}
rounds=${SBX_BENCH_ROUNDS:-3}

work=$(mktemp -d /var/tmp/sbx-bench-doors.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$build/cmd/sbx" "$build/tests/bench/connbench" "$work/"
chmod 0755 "$work" "$work/sbx" "$work/connbench"
bench_as_user "$work"
cd "$work"

labels=(unix-direct unix-tmp unix-cwd tcp-direct tcp-blocked tcp-allowlist tcp-open)
cmd_unix_direct=(./connbench unix "$work/d.sock" "$n")
cmd_unix_tmp=(./sbx run -- ./connbench unix /tmp/b.sock "$n")
cmd_unix_cwd=(./sbx run -- ./connbench unix "$work/c.sock" "$n")
cmd_tcp_direct=(./connbench tcp "$n")
cmd_tcp_blocked=(./sbx run --network=blocked -- ./connbench tcp "$n")
cmd_tcp_allowlist=(./sbx run --network=allowlist -- ./connbench tcp "$n")
cmd_tcp_open=(./sbx run --network=open -- ./connbench tcp "$n")
for label in "${labels[@]}"; do echo 1e9 >"res.$label"; done
for _ in $(seq "$rounds"); do
	for label in "${labels[@]}"; do
		var="cmd_${label//-/_}[@]"
		us=$("${as_user[@]}" "${!var}" | awk '{ print $(NF - 3) }')
		awk -v u="$us" -v b="$(cat "res.$label")" 'BEGIN { print (u < b ? u : b) }' >"res.$label"
	done
done

echo "# one connect()+close() (and the acceptor's accept()+close()), best of $rounds interleaved rounds of $n"
for label in "${labels[@]}"; do
	printf "%-16s %8.2f us\n" "$label" "$(cat "res.$label")"
done
ud=$(cat res.unix-direct) td=$(cat res.tcp-direct)
for label in unix-tmp unix-cwd; do
	awk -v l="$label" -v u="$(cat "res.$label")" -v d="$ud" 'BEGIN { printf "%-16s +%.2f us per connect (%.1fx direct)\n", l, u - d, u / d }'
done
for label in tcp-blocked tcp-allowlist tcp-open; do
	awk -v l="$label" -v u="$(cat "res.$label")" -v d="$td" 'BEGIN { printf "%-16s +%.2f us per connect (%.1fx direct)\n", l, u - d, u / d }'
done
