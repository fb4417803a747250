#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every fuzz harness (policy, proxy protocols, open posture) for a bounded time; exit non-zero on the first crash.
# Usage: tests/fuzz/run.sh BUILDDIR SECONDS_PER_TARGET
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 BUILDDIR SECONDS_PER_TARGET" >&2
	exit 2
fi
build=$1
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in rule policyfile dest http socks5 dns cmsg msghdr; do
	bin=$build/tests/fuzz/fuzz-$t
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin not built (meson setup -Dfuzz=true with CC=clang)" >&2
		exit 2
	fi
	mkdir -p "$work/$t"
	# Seeds are read from the repo corpus; new inputs go to a scratch dir.
	echo "== fuzz-$t for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$t-" -print_final_stats=1 \
		"$work/$t" "$here/corpus/$t" 2>"$work/$t.log"; then
		echo "fuzz-$t FAILED:" >&2
		tail -n 40 "$work/$t.log" >&2
		for a in "$work/$t-"*; do
			[ -e "$a" ] && { echo "crash input: $(basename "$a")" >&2; od -c "$a" | head -20 >&2; }
		done
		status=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$work/$t.log" | tail -n 2
	fi
done
exit $status
