#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start-up benchmark: sbx blocked vs bwrap --unshare-all vs unshare -Urnpf, side by side, as an unprivileged user.
# Usage: tests/bench/startup.sh BUILDDIR [RUNS]   (prints medians, ratios, supervisor RSS, launches/s)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build=${1:?usage: startup.sh BUILDDIR [RUNS]}
runs=${2:-200}
conc=${SBX_BENCH_CONCURRENT:-200}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$build/cmd/sbx" "$build/tests/bench/launch" "$work/"
chmod 0755 "$work" "$work/sbx" "$work/launch"
cd "$work"
bench_as_user "$work"
have_bwrap=0
command -v bwrap >/dev/null && have_bwrap=1

sbx=(./sbx run --network=blocked -- /bin/true)
bwrap=(bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev /bin/true)
unsh=(unshare -Urnpf --mount-proc /bin/true)

echo "# start-up, $runs runs each, interleaved, as uid $("${as_user[@]}" id -u)"
cmdline=("${sbx[@]}" :: "${unsh[@]}" :: /bin/true)
[[ $have_bwrap == 1 ]] && cmdline+=(:: "${bwrap[@]}")
mapfile -t res < <("${as_user[@]}" ./launch serial "$runs" "${cmdline[@]}")
read -r sbx_med sbx_p90 sbx_rss <<<"${res[0]}"
read -r un_med un_p90 _ <<<"${res[1]}"
read -r true_med true_p90 _ <<<"${res[2]}"
printf "%-44s %8s %8s\n" "command" "median" "p90"
printf "%-44s %6.2fms %6.2fms\n" "sbx run --network=blocked -- /bin/true" "$sbx_med" "$sbx_p90"
printf "%-44s %6.2fms %6.2fms\n" "unshare -Urnpf --mount-proc /bin/true" "$un_med" "$un_p90"
printf "%-44s %6.2fms %6.2fms\n" "/bin/true" "$true_med" "$true_p90"
if [[ $have_bwrap == 1 ]]; then
	read -r bw_med bw_p90 _ <<<"${res[3]}"
	printf "%-44s %6.2fms %6.2fms\n" "bwrap --unshare-all ... /bin/true" "$bw_med" "$bw_p90"
	awk -v s="$sbx_med" -v b="$bw_med" 'BEGIN { printf "ratio sbx/bwrap median:   %.2f  (target <= 0.60)\n", s / b }'
fi
awk -v s="$sbx_med" -v u="$un_med" 'BEGIN { printf "ratio sbx/unshare median: %.2f\n", s / u }'
awk -v r="$sbx_rss" 'BEGIN { printf "sbx supervisor peak RSS:  %.2f MiB  (target < 4 MiB)\n", r / 1024 }'

echo "# $conc launched concurrently"
read -r sbx_wall sbx_rate < <("${as_user[@]}" ./launch concurrent "$conc" "${sbx[@]}")
printf "%-44s %8s sandboxes/s (%.0f ms)\n" "sbx" "$sbx_rate" "$sbx_wall"
if [[ $have_bwrap == 1 ]]; then
	read -r bw_wall bw_rate < <("${as_user[@]}" ./launch concurrent "$conc" "${bwrap[@]}")
	printf "%-44s %8s sandboxes/s (%.0f ms)\n" "bwrap" "$bw_rate" "$bw_wall"
	awk -v s="$sbx_rate" -v b="$bw_rate" 'BEGIN { printf "ratio sbx/bwrap launches/s: %.2f  (target >= 1.0)\n", s / b }'
fi
