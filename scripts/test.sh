#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build and run the whole test suite (the README's second command; .ci/run runs it).
#   unit (cmocka) + integration (TAP, sbx run as an unprivileged user), built with gcc,
#   again built with clang, again under ASan+UBSan (gcc); then every fuzzer for a bounded time.
#
# Build directories: this script owns build-test/ (gcc, clang, asan, fuzz) and leaves build/
# (yours) and build-demo/ (scripts/demo.sh's, configured without tests) alone. A directory that
# already exists is reconfigured with exactly the options its pass needs, so no earlier
# configuration can switch tests off.
#
# It fails when:
#   - a build prints a compiler warning (every pass must build warning-clean);
#   - a pass runs no tests: zero cmocka or zero TAP results counted;
#   - a test fails;
#   - a skip is not justified: every skip names a fact (tests/integration/skip-facts); a key not
#     listed there (control-failed: a positive control failed for no known reason) or, when
#     SBX_EXPECTED_SKIPS is set, not in that list, counts as a failure.
#
# Environment:
#   SBX_FUZZ_SECONDS     bound for each fuzz target (default 20)
#   SBX_SKIP_SANITIZE=1  skip the ASan+UBSan pass
#   SBX_EXPECTED_SKIPS   space-separated skip-facts keys: the only facts that may justify a skip
#                        on this machine (unset: any listed fact)
# The last line is always "summary: N passed, N failed, N skipped" (CI reads it).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test || exit 1

B=build-test
mkdir -p "$B"
failed=0
total_pass=0 total_fail=0 total_skip=0

declare -A FACT=()
while read -r key desc; do
	[[ -z $key || $key == \#* ]] && continue
	FACT[$key]=$desc
done <tests/integration/skip-facts
declare -A EXPECTED=()
for key in ${SBX_EXPECTED_SKIPS:-}; do
	EXPECTED[$key]=1
done
skip_lines=() facts_used=()

# build NAME [meson options...]: configure build-test/NAME (CC from the environment picks the
# compiler on first setup) and build it warning-clean. Logs: build-test/NAME.{setup,ninja}.log.
build() {
	local name=$1 dir=$B/$1
	shift
	echo "=== $name: configure and build ($dir)"
	if [[ -f $dir/build.ninja ]]; then
		meson configure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi || { cat "$dir.setup.log"; return 1; }
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { cat "$dir.ninja.log"; return 1; }
	if grep -q 'warning:' "$dir.ninja.log"; then
		grep -B2 -A4 'warning:' "$dir.ninja.log"
		echo "$name: compiler warnings (every build must be warning-clean)"
		return 1
	fi
}

# tally NAME LOG: add a pass's results (meson's testlog.txt) to the totals and judge its skips.
tally() {
	local name=$1 log=$2 kind test desc key detail
	local tap_pass=0 tap_fail=0 cm_run=0 cm_ok=0 skips=0
	# One record per line: P (TAP pass), F (TAP fail), R/O (cmocka run/ok), and
	# S<TAB>test<TAB>description<TAB>key<TAB>detail for each skip.
	while IFS=$'\t' read -r kind test desc key detail; do
		case $kind in
		P) tap_pass=$((tap_pass + 1)) ;;
		F) tap_fail=$((tap_fail + 1)) ;;
		R) cm_run=$((cm_run + 1)) ;;
		O) cm_ok=$((cm_ok + 1)) ;;
		S)
			skips=$((skips + 1))
			if [[ -z ${FACT[$key]+x} ]]; then
				skip_lines+=("  UNEXPECTED [$name] $test: $desc -- $key${detail:+ ($detail)}: not a fact in tests/integration/skip-facts")
				total_fail=$((total_fail + 1))
			elif [[ -n ${SBX_EXPECTED_SKIPS:-} && -z ${EXPECTED[$key]+x} ]]; then
				skip_lines+=("  UNEXPECTED [$name] $test: $desc -- $key${detail:+ ($detail)}: not in SBX_EXPECTED_SKIPS")
				total_fail=$((total_fail + 1))
			else
				skip_lines+=("  [$name] $test: $desc -- $key${detail:+ ($detail)}")
				[[ " ${facts_used[*]} " == *" $key "* ]] || facts_used+=("$key")
				total_skip=$((total_skip + 1))
			fi
			;;
		esac
	done < <(awk '
		# A test meson saw fail with no failed result of its own (a crash, a
		# timeout, a wrong plan) counts as one failure.
		function flush() {
			if (bad && !fails && run == ok)
				print "F"
			bad = fails = run = ok = 0
		}
		/^test: / { flush(); test = $NF; next }
		/^result: / { bad = $0 !~ /exit status 0$/; next }
		/^\[ RUN      \]/ { print "R"; run++; next }
		/^\[       OK \]/ { print "O"; ok++; next }
		/^not ok [0-9]+/ || /^Bail out!/ { print "F"; fails++; next }
		/^1\.\.0 # [Ss][Kk][Ii][Pp]/ { skip("(whole script)", $0); next }
		/^ok [0-9]+/ {
			if (match($0, / # [Ss][Kk][Ii][Pp]/)) {
				desc = substr($0, 1, RSTART - 1)
				sub(/^ok [0-9]+( -)? */, "", desc)
				skip(desc, substr($0, RSTART))
			} else
				print "P"
		}
		# skip DESC DIRECTIVE: DIRECTIVE is "# SKIP KEY (DETAIL)".
		function skip(desc, d,   key, detail) {
			sub(/^.*# [Ss][Kk][Ii][Pp] */, "", d)
			key = d; sub(/ .*/, "", key)
			detail = substr(d, length(key) + 1); sub(/^ *\(?/, "", detail); sub(/\)$/, "", detail)
			printf "S\t%s\t%s\t%s\t%s\n", test, desc, (key == "" ? "(no reason)" : key), detail
		}
		END { flush() }' "$log")
	echo "=== $name: $tap_pass TAP passed, $tap_fail failed, $skips skipped; $cm_ok of $cm_run cmocka tests passed"
	total_pass=$((total_pass + tap_pass + cm_ok))
	total_fail=$((total_fail + tap_fail + cm_run - cm_ok))
	if ((tap_pass + tap_fail + skips == 0 || cm_run == 0)); then
		echo "$name: no tests ran (TAP results: $((tap_pass + tap_fail + skips)), cmocka results: $cm_run)"
		total_fail=$((total_fail + 1))
		return 1
	fi
	((tap_fail == 0 && cm_run == cm_ok))
}

# suite NAME [meson options...]: build, run unit and integration tests, count them.
suite() {
	local name=$1 dir=$B/$1
	if ! build "$@"; then
		total_fail=$((total_fail + 1)) failed=1
		return
	fi
	echo "=== $name: tests"
	rm -f "$dir/meson-logs/testlog.txt"
	meson test -C "$dir" --print-errorlogs --num-processes 2 || failed=1
	if [[ ! -f $dir/meson-logs/testlog.txt ]]; then
		echo "$name: meson wrote no test log"
		total_fail=$((total_fail + 1)) failed=1
		return
	fi
	tally "$name" "$dir/meson-logs/testlog.txt" || failed=1
}

echo "=== format: every C file as .clang-format says (fix with: clang-format -i FILE)"
if git ls-files -z '*.c' '*.h' | xargs -0 clang-format --dry-run --Werror; then
	total_pass=$((total_pass + 1))
else
	total_fail=$((total_fail + 1)) failed=1
fi

plain=(-Dtests=true -Dfuzz=false -Dbuildtype=debugoptimized -Db_sanitize=none -Db_lundef=true)
CC=gcc suite gcc "${plain[@]}"
CC=clang suite clang "${plain[@]}"
if [[ ${SBX_SKIP_SANITIZE:-0} != 1 ]]; then
	CC=gcc ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		suite asan -Dtests=true -Dfuzz=false -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
fi

echo "=== fuzzers (${SBX_FUZZ_SECONDS:-20}s each)"
if CC=clang build fuzz -Dtests=false -Dfuzz=true -Dbuildtype=debugoptimized -Db_sanitize=none &&
	bash tests/fuzz/run.sh "$B/fuzz" "${SBX_FUZZ_SECONDS:-20}"; then
	total_pass=$((total_pass + 1))
else
	total_fail=$((total_fail + 1)) failed=1
fi

echo
echo "=== skips: each names a fact of this kernel or machine (tests/integration/skip-facts)"
if ((${#skip_lines[@]} == 0)); then
	echo "  none"
else
	printf '%s\n' "${skip_lines[@]}"
	for key in "${facts_used[@]}"; do
		echo "  fact $key: ${FACT[$key]}"
	done
fi
((total_fail == 0)) || failed=1
echo
echo "summary: $total_pass passed, $total_fail failed, $total_skip skipped"
exit $failed
