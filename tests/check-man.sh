#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TAP: every option in `--help` is documented in the man page, and the man page documents no option --help lacks;
# `sbx --version` and every man page name meson.build's project version.
set -u
sbx=${SBX:?set SBX to the sbx binary}
mandir=${MANDIR:?set MANDIR to the man/ directory}

n=0 failed=0
help_opts() { "$sbx" "$@" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u; }
man_opts() { grep -oE -- '\\-\\-[a-z][a-z\\-]*' "$1" | sed 's/\\-/-/g' | sort -u; }

compare() { # label manpage help-args...
	local label=$1 page=$2
	shift 2
	n=$((n + 1))
	if [[ ! -f $page ]]; then
		echo "not ok $n - $label: $page missing"
		failed=1
		return
	fi
	local h m
	h=$(for cmd in "$@"; do help_opts $cmd; done | sort -u)
	m=$(man_opts "$page")
	if [[ -z $h ]]; then
		echo "not ok $n - $label: --help lists no options"
		failed=1
	elif [[ $h == "$m" ]]; then
		echo "ok $n - $label: --help and $(basename "$page") list the same $(wc -l <<<"$h") options"
	else
		echo "not ok $n - $label: --help and $(basename "$page") differ"
		diff <(echo "$h") <(echo "$m") | sed 's/^/# /'
		failed=1
	fi
}

# The version's source is meson.build's project(version: ...); sbx's SBX_VERSION
# (include/sbx/config.h) and the man pages' .TH lines are copies kept in step here.
version() {
	n=$((n + 1))
	local want got bad="" page
	want=$(grep -m1 -oE "^[[:space:]]*version: '[^']*'" "$mandir/../meson.build" | sed -E "s/.*'(.*)'/\1/")
	got=$("$sbx" --version)
	[[ $got == "sbx $want" ]] || bad="$bad sbx --version says '$got';"
	for page in "$mandir"/*.[1-8]; do
		grep -qE "^\.TH .* \"sbx $want\"" "$page" || bad="$bad $(basename "$page") .TH: $(grep -m1 '^\.TH' "$page");"
	done
	if [[ -n $want && -z $bad ]]; then
		echo "ok $n - version $want in meson.build, sbx --version and every man page"
	else
		echo "not ok $n - version: meson.build says '$want';$bad"
		failed=1
	fi
}

echo "1..3"
compare "sbx, sbx run" "$mandir/sbx.1" "" run
compare "sbx check, sbx presets" "$mandir/sbx-check.1" check presets
version
exit $failed
