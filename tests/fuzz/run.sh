#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run every fuzz harness (policy and proxy protocols) for a bounded time; exit non-zero if any crashes.
# Usage: tests/fuzz/run.sh BUILDDIR SECONDS_PER_TARGET
# The harnesses are every fuzz-NAME executable meson built in BUILDDIR/tests/fuzz (the list lives
# only in tests/fuzz/meson.build); NAME's seeds are tests/fuzz/corpus/NAME when it exists.
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
n=0
for bin in "$build"/tests/fuzz/fuzz-*; do
	# Skip meson's object directories (fuzz-NAME.p) and anything not executable.
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	t=${bin##*/fuzz-}
	n=$((n + 1))
	mkdir -p "$work/$t"
	# New inputs go to a scratch dir; seeds are read from the repo corpus.
	set -- "$work/$t"
	[ -d "$here/corpus/$t" ] && set -- "$@" "$here/corpus/$t"
	echo "== fuzz-$t for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$t-" -print_final_stats=1 "$@" 2>"$work/$t.log"; then
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
if [ "$n" = 0 ]; then
	echo "run.sh: no fuzz-* executable in $build/tests/fuzz (meson setup -Dfuzz=true with CC=clang, then ninja)" >&2
	exit 2
fi
echo "== $n fuzz targets run"
exit $status
