#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-cli: --help, --version, option syntax, and bad input: exit 125 with one
# "sbx: " line on stderr and nothing run.
. "$(dirname "$0")/lib.sh"

BAD=(
	"--bogus"
	"run --bogus -- MARK"
	"run --network=bogus -- MARK"
	"run --network -- MARK"
	"run --uid notanumber -- MARK"
	"run --uid=-5 -- MARK"
	"run --gid= -- MARK"
	"run --timeout abc -- MARK"
	"run --timeout=-1 -- MARK"
	"run --timeout 0.0004 -- MARK"
	"run --timeout nan -- MARK"
	"run --timeout inf -- MARK"
	"run --timeout 1e99 -- MARK"
	"run --timeout 99999999999 -- MARK"
	"run --network=allowlist --proxy-idle-timeout 0.0004 -- MARK"
	"run --network=allowlist --proxy-header-timeout 0.0004 -- MARK"
	"run --network=allowlist --proxy-idle-timeout 0 -- MARK"
	"run --network=allowlist --proxy-header-timeout -inf -- MARK"
	"run --kill-after 0.0001 -- MARK"
	"run --kill-after -1 -- MARK"
	"run --tmp-size 0 -- MARK"
	"run --tmp-size 1.5G -- MARK"
	"run --pids 0 -- MARK"
	"run --pass-fd notanfd -- MARK"
	"run --json-status-fd=x -- MARK"
	"run --setenv NOEQUALSIGN -- MARK"
	"run --hostname"
	"run"
	"run --"
	"nosuchsubcommand MARK"
)

# Text a message repeats that holds a newline or an escape sequence: the
# message stays one line, with no control byte (sbx_quote()). RC then how.
RAW=(
	"125|--bind|/no"$'\n'"such"$'\e'"[31m"
	"125|--bind|rel"$'\n'$'\e'"[2J"
	"125|--setenv|NOEQ"$'\n'$'\e'"]0;owned"$'\a'
	"125|--chdir|/no"$'\n'"such"$'\e'"[2J"
	"127|--|/no/such"$'\n'$'\e'"[2Jcmd"
	"127|--|no-such"$'\e'"[31m"$'\n'"cmd"
)

tap_plan $((11 + ${#BAD[@]} + ${#RAW[@]}))

capture sbx --help
if [ "$RC" = 0 ] && grep -qi 'usage' <<<"$OUT" && grep -qw 'run' <<<"$OUT" && [ -z "$ERR" ]; then
	tap_ok "--help: usage on stdout, exit 0"
else
	show; tap_fail "--help"
fi
help_out=$OUT

capture sbx -h
if [ "$RC" = 0 ] && [ "$OUT" = "$help_out" ]; then
	tap_ok "-h is --help"
else
	show; tap_fail "-h"
fi

# The run options are listed by 'sbx run --help' (the top-level help may
# list only the commands).
capture sbx run --help
run_help=$OUT
missing=""
for opt in --network --uid --gid --hostname --bind --ro-bind --tmpfs --hide --chdir \
	--clearenv --setenv --unsetenv --pass-fd --json-status-fd --timeout --kill-after --tmp-size --pids; do
	grep -q -- "$opt" <<<"$run_help$help_out" || missing="$missing $opt"
done
if [ "$RC" = 0 ] && [ -z "$missing" ]; then
	tap_ok "'sbx run --help' names every run option, exit 0"
else
	show; tap_fail "'sbx run --help' (rc $RC) does not mention:$missing"
fi

# Which version is tests/check-man.sh's business (it must be meson.build's).
capture sbx --version
if [ "$RC" = 0 ] && [[ "$OUT" =~ ^sbx\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	tap_ok "--version prints '$OUT'"
else
	show; tap_fail "--version"
fi

# Both option spellings, and options stop at the first non-option word.
capture sbx run --hostname=eqform -- /bin/cat /proc/sys/kernel/hostname
if [ "$RC" = 0 ] && [ "$OUT" = eqform ]; then tap_ok "--opt=VALUE form"; else show; tap_fail "--opt=VALUE form"; fi
capture sbx run --hostname spaceform -- /bin/cat /proc/sys/kernel/hostname
if [ "$RC" = 0 ] && [ "$OUT" = spaceform ]; then tap_ok "--opt VALUE form"; else show; tap_fail "--opt VALUE form"; fi
capture sbx run /bin/echo --hostname=x --bogus
if [ "$RC" = 0 ] && [ "$OUT" = "--hostname=x --bogus" ]; then
	tap_ok "options stop at the first non-option word"
else
	show; tap_fail "options after the command must go to the command"
fi
capture sbx run -- /bin/echo -- --x
if [ "$RC" = 0 ] && [ "$OUT" = "-- --x" ]; then
	tap_ok "only the first -- is sbx's"
else
	show; tap_fail "second -- must reach the payload"
fi
capture sbx run --network=blocked -- "$P" exit 0
if [ "$RC" = 0 ]; then tap_ok "--network=blocked accepted"; else show; tap_fail "--network=blocked"; fi

# Bad input. MARK is replaced by a payload that would create a marker file.
for b in "${BAD[@]}"; do
	rm -f "$W/cwd/marker"
	read -r -a args <<<"$b"
	for i in "${!args[@]}"; do
		if [ "${args[$i]}" = MARK ]; then
			args[$i]=$P
			args=("${args[@]:0:$((i + 1))}" write "$W/cwd/marker" "${args[@]:$((i + 1))}")
			break
		fi
	done
	capture sbx "${args[@]}"
	nlines=$(grep -c '' <<<"$ERR")
	[ -z "$ERR" ] && nlines=0
	if [ "$RC" = 125 ] && [ "$nlines" = 1 ] && [[ "$ERR" == "sbx: "* ]] && [ ! -e "$W/cwd/marker" ] && [ -z "$OUT" ]; then
		tap_ok "sbx $b: exit 125, one line: $ERR"
	else
		show "sbx $b"
		[ -e "$W/cwd/marker" ] && tap_diag "payload ran (marker exists)"
		tap_fail "sbx $b: want exit 125, one 'sbx: ' line on stderr, nothing run"
	fi
done

for r in "${RAW[@]}"; do
	IFS='|' read -r want opt text <<<"$r"
	text=${r#*|*|}
	rm -f "$W/cwd/marker"
	if [ "$opt" = -- ]; then
		capture sbx run -- "$text" "$W/cwd/marker"
	else
		capture sbx run "$opt" "$text" -- "$P" write "$W/cwd/marker"
	fi
	shown=$(printf '%q' "$text")
	label=$opt
	[ "$opt" = -- ] && label=COMMAND
	nlines=$(grep -c '' <<<"$ERR")
	if [ "$RC" = "$want" ] && [ "$nlines" = 1 ] && [[ "$ERR" == "sbx: "* ]] && [ ! -e "$W/cwd/marker" ] &&
		! LC_ALL=C grep -q '[[:cntrl:]]' <<<"$ERR" && grep -qF '\e' <<<"$ERR" && grep -qF '\n' <<<"$ERR"; then
		tap_ok "$label $shown: exit $want, one line, quoted: $ERR"
	else
		show "$opt $shown"
		tap_diag "stderr bytes: $(od -c <<<"$ERR" | head -n 4 | tr '\n' ' ')"
		tap_fail "$label $shown: want exit $want and one 'sbx: ' line with no control byte"
	fi
done

# A --policy file names the posture: no --network needed (man/sbx-policy.5); a missing file is named as missing.
printf 'network allowlist\nallow example.org\n' >"$W/cwd/ci.policy"
chmod 0644 "$W/cwd/ci.policy"
capture sbx run --policy "$W/cwd/ci.policy" -- sh -c 'echo "$HTTP_PROXY"'
if [ "$RC" = 0 ] && [ "$OUT" = "http://10.255.255.1:3128" ]; then
	tap_ok "--policy FILE with 'network allowlist' inside: allowlist posture, no --network needed"
else
	show; tap_fail "--policy with a posture line"
fi
capture sbx run --policy "$W/cwd/missing.policy" -- true
if [ "$RC" = 125 ] && [[ $ERR == *"missing.policy"*"No such file or directory"* ]]; then
	tap_ok "--policy naming a missing file: exit 125, the file named as missing"
else
	show; tap_fail "--policy missing file"
fi
tap_done
