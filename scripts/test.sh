#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build and run the whole test suite (the README's second command; .ci/run runs it).
#   unit (cmocka) + integration (TAP, sbx run as an unprivileged user)
#   then the same suite under ASan+UBSan, then every fuzzer for a bounded time.
# SBX_FUZZ_SECONDS (default 20) bounds each fuzz target; SBX_SKIP_SANITIZE=1 skips the sanitizer pass.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test || exit 1

failed=0
total_pass=0 total_fail=0 total_skip=0

count_tap() { # sum TAP results from a meson test log
	local log=$1
	local p f s
	p=$(grep -cE '^ok [0-9]+' "$log" || true)
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" || true)
	f=$(grep -cE '^not ok [0-9]+' "$log" || true)
	total_pass=$((total_pass + p - s)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

run_suite() { # name builddir [meson setup args...]
	local name=$1 dir=$2
	shift 2
	echo "=== $name: configure and build ($dir)"
	if [[ ! -f $dir/build.ninja ]]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; failed=1; return; }
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { cat "$dir.ninja.log"; failed=1; return; }
	echo "=== $name: tests"
	if ! meson test -C "$dir" --print-errorlogs --num-processes 2; then
		failed=1
	fi
	# Per-assertion counts: cmocka and TAP lines from the test log.
	local log=$dir/meson-logs/testlog.txt
	count_tap "$log"
	local up uf
	up=$(grep -cE '^\[       OK \]' "$log" || true)
	uf=$(grep -cE '^\[  FAILED  \]' "$log" || true)
	total_pass=$((total_pass + up)) total_fail=$((total_fail + uf))
	grep -E '^ok [0-9]+.*# SKIP' "$log" | sed "s/^/  [$name skip] /" || true
}

run_suite "default build" build
if [[ ${SBX_SKIP_SANITIZE:-0} != 1 ]]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_suite "ASan+UBSan build" build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi

if command -v clang >/dev/null; then
	echo "=== fuzzers (${SBX_FUZZ_SECONDS:-20}s each)"
	if [[ ! -f build-fuzz/build.ninja ]]; then
		CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false >build-fuzz.setup.log 2>&1 || { cat build-fuzz.setup.log; failed=1; }
	fi
	if ninja -C build-fuzz >build-fuzz.ninja.log 2>&1; then
		if bash tests/fuzz/run.sh build-fuzz "${SBX_FUZZ_SECONDS:-20}"; then
			total_pass=$((total_pass + 1))
		else
			total_fail=$((total_fail + 1)) failed=1
		fi
	else
		cat build-fuzz.ninja.log
		failed=1
	fi
fi

echo
echo "summary: $total_pass passed, $total_fail failed, $total_skip skipped"
exit $failed
