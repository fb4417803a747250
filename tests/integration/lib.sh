# SPDX-License-Identifier: Apache-2.0
# lib.sh - shared helpers for sbx integration tests (TAP output).
#
# Sourced by every t-*.sh. Environment:
#   SBX, PROBE       built binaries (set by meson)
#   SBX_TEST_UID     uid/gid the suite drops to when started as root
#                    (default 23456); sbx always runs unprivileged
#   SBX_TEST_GID     gid (default: SBX_TEST_UID)
#   SBX_TEST_KEEP=1  keep the work directory for debugging
#
# Layout of the work directory $W (outside /tmp, since the sandbox gets a
# private /tmp and would not see it there):
#   $W/sbx $W/probe  copies of the binaries (the build dir may be 0700)
#   $W/cwd           the directory tests run sbx from (read-write inside)
#   $W/outside       writable by the test user on the host, read-only inside
#   $W/home          HOME of the test user when the suite runs as root
#   $W/.t            scratch files of the harness itself

set -u
export LC_ALL=C
# This folder, absolute: the scripts cd into their work directory.
TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

: "${SBX:?SBX must point to the built sbx binary}"
: "${PROBE:?PROBE must point to the built probe binary}"

PY=/usr/bin/python3
TESTUID=${SBX_TEST_UID:-23456}
TESTGID=${SBX_TEST_GID:-$TESTUID}
IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1
if [ "$IS_ROOT" = 0 ]; then
	TESTUID=$(id -u)
	TESTGID=$(id -g)
fi

_tap_n=0
_tap_failed=0
_tap_planned=0

tap_plan() {
	_tap_planned=$1
	echo "1..$1"
}

# Skips. Every skip names the fact of this kernel or machine that explains
# it: a KEY listed in skip-facts beside this file (not-root,
# kernel-refuses:kexec, ...). The one other key, control-failed, says a
# positive control failed for no known reason; scripts/test.sh counts such a
# skip as a failure. A key in neither is a bug in the test: "not ok".
# The TAP line reads "ok N - DESC # SKIP KEY (DETAIL)".
SKIP_FACTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/skip-facts

# skip_key_known KEY: KEY is control-failed or listed in skip-facts.
skip_key_known() {
	[ "$1" = control-failed ] && return 0
	awk -v k="$1" '$1 == k { found = 1 } END { exit !found }' "$SKIP_FACTS"
}

# tap_skip_all KEY [DETAIL]: the whole script cannot run here. After
# tap_plan, every case not yet run is skipped (TAP allows one plan).
tap_skip_all() {
	if [ "$_tap_planned" != 0 ]; then
		while [ "$_tap_n" -lt "$_tap_planned" ]; do
			tap_skip "case $((_tap_n + 1)) not run" "$@"
		done
		tap_done
	fi
	if ! skip_key_known "$1"; then
		echo "1..1"
		echo "not ok 1 - skip_all with a key not in skip-facts: $*"
		exit 1
	fi
	local detail=${2:-}
	echo "1..0 # SKIP $1${detail:+ (${detail//$'\n'/; })}"
	exit 0
}

tap_diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

tap_ok() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

tap_fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
}

# tap_skip DESC KEY [DETAIL]: one case cannot run here (see Skips above).
tap_skip() {
	local detail=${3:-}
	detail=${detail//$'\n'/; }
	if ! skip_key_known "$2"; then
		tap_fail "$1: skipped with a key not in skip-facts: '$2'${detail:+ ($detail)}"
		return
	fi
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2${detail:+ ($detail)}"
}

# tap_check DESC CMD...: ok if CMD succeeds.
tap_check() {
	local desc=$1
	shift
	if "$@"; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
	fi
}

# check_streams: every file under $W that holds sbx's JSON lines (its first
# line starts with {"time":) is checked against docs/sbx-events.schema.json;
# a line that does not fit fails the script.
check_streams() {
	local files=() f
	while IFS= read -r -d '' f; do
		head -c 9 "$f" 2>/dev/null | grep -q '^{"time":' && files+=("$f")
	done < <(find "$W" -maxdepth 3 -type f -size -20M -print0 2>/dev/null)
	[ ${#files[@]} = 0 ] && return 0
	if ! "$PY" "$TESTDIR/events.py" --validate "$TESTDIR/../../docs/sbx-events.schema.json" "${files[@]}"; then
		_tap_failed=$((_tap_failed + 1))
	fi
}

tap_done() {
	check_streams
	if [ "$_tap_n" != "$_tap_planned" ]; then
		echo "# planned $_tap_planned tests but ran $_tap_n"
		_tap_failed=$((_tap_failed + 1))
	fi
	[ "$_tap_failed" = 0 ] && exit 0
	exit 1
}

# USERCMD: the command prefix that drops to the test user (empty when
# the suite already runs unprivileged).
USERCMD=()
if [ "$IS_ROOT" = 1 ]; then
	USERCMD=(setpriv --reuid="$TESTUID" --regid="$TESTGID" --clear-groups
		--inh-caps=-all --bounding-set=-all --)
fi

# as_user CMD...: run CMD as the unprivileged test user.
as_user() {
	"${USERCMD[@]}" "$@"
}

# sbx ARGS...: run the copy of sbx as the test user.
sbx() {
	"${USERCMD[@]}" "$W/sbx" "$@"
}

# resolve CMD...: set CMD (array) to an external command line, mapping the
# shell functions sbx and as_user so timeout(1) can exec them.
resolve() {
	case "$1" in
	sbx) shift; CMD=("${USERCMD[@]}" "$W/sbx" "$@") ;;
	as_user) shift; CMD=("${USERCMD[@]}" "$@") ;;
	*) CMD=("$@") ;;
	esac
}

# capture CMD...: run CMD, set OUT, ERR, RC. A call that outlives
# CAPTURE_TIMEOUT seconds is killed and RC is set to 999 (never a real
# status, so a hang cannot pass for sbx's own 124).
capture() {
	resolve "$@"
	run_cmd
}

# run_cmd: run "${CMD[@]}" as capture() does (OUT, ERR, RC; 999 on timeout).
run_cmd() {
	local t=${CAPTURE_TIMEOUT:-60} t0=$SECONDS
	timeout --foreground -k 3 "$t" "${CMD[@]}" >"$W/.t/out" 2>"$W/.t/err"
	RC=$?
	if [ $((SECONDS - t0)) -ge "$t" ] && { [ "$RC" = 124 ] || [ "$RC" = 137 ]; }; then
		RC=999
	fi
	OUT=$(cat "$W/.t/out")
	ERR=$(cat "$W/.t/err")
}

# show: print the last capture as TAP comments.
show() {
	tap_diag "${1:+$1: }rc=$RC"
	[ -n "$OUT" ] && tap_diag "$(sed 's/^/  out: /' <<<"$OUT")"
	[ -n "$ERR" ] && tap_diag "$(sed 's/^/  err: /' <<<"$ERR")"
	return 0
}

# result_of LABEL: the result word ("OK" or an errno name) that the probe
# printed for LABEL in $OUT, or "" if the label is missing.
result_of() {
	local line
	line=$(grep -F -- "$1 = " <<<"$OUT" | head -n1)
	line=${line#*" = "}
	echo "${line%% *}"
}

# is_refusal WORD: an errno a filter or a missing capability answers with.
is_refusal() {
	case "$1" in
	EPERM | EACCES | ENOSYS | EAFNOSUPPORT | EPROTONOSUPPORT | ESOCKTNOSUPPORT | EINVAL) return 0 ;;
	esac
	return 1
}

# leftovers: pids of processes (other than this shell) whose command line
# names the work directory: every sbx, sandbox init and payload of this
# script does, since they run from copies in $W.
leftovers() {
	local f p
	# "[.]" keeps grep's own command line from matching its pattern.
	for f in $(grep -lsE -- "${W//./[.]}" /proc/[0-9]*/cmdline); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && alive "$p" && echo "$p"
	done
}

# alive PID: PID exists and is not a zombie (a zombie runs nothing; one
# reparented to the host's init waits for that init to reap it).
alive() {
	local st
	st=$(awk '{ print $3 }' 2>/dev/null <"/proc/$1/stat") || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# uid_procs: pids of processes running as the test uid (root mode only;
# the unprivileged user's own shell would match otherwise).
uid_procs() {
	[ "$IS_ROOT" = 1 ] || return 0
	local p
	for p in $(pgrep -u "$TESTUID"); do
		alive "$p" && echo "$p"
	done
	return 0
}

_lib_cleanup() {
	local p
	disown -a 2>/dev/null
	for p in $(leftovers); do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "${_lib_bg_pids:-}" ]; then
		for p in $_lib_bg_pids; do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	if [ "${SBX_TEST_KEEP:-0}" = 1 ]; then
		echo "# kept work directory $W"
	else
		rm -rf "$W"
	fi
}

# bg_track PID: kill PID at exit (helper servers).
bg_track() {
	_lib_bg_pids="${_lib_bg_pids:-} $1"
}

_lib_setup() {
	local base=${SBX_TEST_TMPDIR:-/var/tmp}
	W=$(mktemp -d "$base/sbx-it.XXXXXX") || {
		echo "Bail out! cannot create a work directory under $base"
		exit 1
	}
	trap _lib_cleanup EXIT
	trap 'exit 130' INT TERM
	chmod 0755 "$W"
	cp "$SBX" "$W/sbx"
	cp "$PROBE" "$W/probe"
	chmod 0755 "$W/sbx" "$W/probe"
	mkdir -p "$W/cwd" "$W/outside" "$W/home" "$W/.t"
	if [ "$IS_ROOT" = 1 ]; then
		chown -R "$TESTUID:$TESTGID" "$W/cwd" "$W/outside" "$W/home"
		export HOME="$W/home"
		# root's PATH may name directories the test user cannot search.
		export PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
	fi
	P="$W/probe"
	cd "$W/cwd" || exit 1
}

# require_userns: SKIP the script when the test user cannot create user
# namespaces at all (sbx cannot work; t-cli checks the error message).
# start_loopsink ADDR...: loopsink.py on one free port of each address (default
# 127.0.0.1 and ::1), as root or the test user alike; sets PORT; log in
# $W/.t/server.log. Bails out when it does not start.
start_loopsink() {
	: >"$W/.t/server.log"
	rm -f "$W/.t/port"
	"$PY" "$TESTDIR/loopsink.py" "$W/.t/server.log" "$W/.t/port" "$@" 2>"$W/.t/server.err" &
	bg_track $!
	for _ in $(seq 100); do
		[ -s "$W/.t/port" ] && break
		sleep 0.05
	done
	[ -s "$W/.t/port" ] || { echo "Bail out! loopback server did not start: $(cat "$W/.t/server.err")"; exit 1; }
	read -r PORT <"$W/.t/port"
}

require_userns() {
	if ! as_user unshare -U true 2>/dev/null; then
		tap_skip_all no-userns "uid $TESTUID cannot create a user namespace"
	fi
}


# now_ms: monotonic-enough wall clock in milliseconds.
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# wait_pid PID SECS: wait for a background child of this shell, at most
# SECS seconds; sets WRC to its status, or 999 if it is still running.
wait_pid() {
	local i st
	WRC=999
	for ((i = 0; i < $2 * 50; i++)); do
		st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$1"
			WRC=$?
			return 0
		fi
		sleep 0.02
	done
	return 1
}

_lib_setup
