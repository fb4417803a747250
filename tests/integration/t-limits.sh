#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-limits: what bounds a sandbox. --timeout and --kill-after (a payload that
# ignores SIGTERM cannot keep sbx waiting), --tmp-size and /dev/shm (tmpfs
# memory), --pids (processes and threads, without cgroups), --pass-fd at its
# limit.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 18

# A payload that ignores SIGTERM, SIGINT and SIGHUP (SIG_IGN survives exec).
IGNORE_TERM=(/bin/sh -c "trap '' TERM INT HUP; exec '$P' sleep 30")

# gone_within MS: no process of this script's sandboxes is left within MS ms.
gone_within() {
	local i
	for ((i = 0; i < $1 / 20; i++)); do
		[ -z "$(leftovers)" ] && return 0
		sleep 0.02
	done
	return 1
}

# start_bg STATUSFILE CMD...: sbx in the background (status on fd 3 into
# STATUSFILE, stdout/stderr into $W/.t/bg.out/.err); sets SPID once the
# payload has started, or bails out.
start_bg() {
	local status=$1 i
	shift
	: >"$status"
	"${USERCMD[@]}" "$W/sbx" run --json-status-fd 3 "$@" 3>"$status" >"$W/.t/bg.out" 2>"$W/.t/bg.err" &
	SPID=$!
	for ((i = 0; i < 500; i++)); do
		grep -q '"event":"started"' "$status" && return 0
		sleep 0.02
	done
	echo "Bail out! the payload did not start: $(cat "$W/.t/bg.err")"
	exit 1
}

# --- --timeout and --kill-after -------------------------------------------

# Control: the payload really ignores SIGTERM without sbx (not through the
# as_user function: in the background that would be a subshell's pid).
"${USERCMD[@]}" "${IGNORE_TERM[@]}" >/dev/null 2>&1 &
cpid=$!
sleep 0.3
kill -TERM "$cpid"
sleep 0.5
ignores=0
alive "$cpid" && ignores=1
kill -KILL "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
tap_diag "control (no sbx): the payload $([ $ignores = 1 ] && echo survives || echo dies of) SIGTERM"

if [ "$ignores" = 0 ]; then
	for d in "--timeout 0.5 --kill-after 1 ends a payload that ignores SIGTERM" \
		"--timeout without --kill-after: the default 5 s grace" \
		"SIGTERM to sbx with --kill-after 1 ends a payload that ignores it" \
		"SIGINT to sbx with --kill-after 1 ends a payload that ignores it" \
		"SIGTERM to sbx without --kill-after: the payload decides"; do
		tap_skip "$d" control-failed "the payload dies of SIGTERM even without sbx"
	done
else
	t0=$(now_ms)
	capture sbx run --timeout 0.5 --kill-after 1 --json-status-fd 3 -- "${IGNORE_TERM[@]}" 3>"$W/.t/status"
	el=$(($(now_ms) - t0))
	st=$(cat "$W/.t/status")
	tap_diag "--timeout 0.5 --kill-after 1: rc=$RC after $el ms; status: $(tail -n1 <<<"$st")"
	if [ "$RC" = 124 ] && [ "$el" -ge 1400 ] && [ "$el" -le 5000 ] &&
		grep -q '"id":"[^"]*","event":"timeout","seconds":0.5,"code":124,"killed":true}$' <<<"$st" &&
		[ "$(grep -c '' <<<"$ERR")" = 1 ] && grep -q -- '--kill-after' <<<"$ERR" && gone_within 2000; then
		tap_ok "--timeout 0.5 --kill-after 1 ends a payload that ignores SIGTERM: 124 after $el ms, \"killed\":true"
	else
		show; tap_diag "status: $st; left: $(leftovers)"
		tap_fail "--timeout 0.5 --kill-after 1 with a payload ignoring SIGTERM: want 124 after 1.5 s"
	fi

	t0=$(now_ms)
	capture sbx run --timeout 0.3 --json-status-fd 3 -- "${IGNORE_TERM[@]}" 3>"$W/.t/status"
	el=$(($(now_ms) - t0))
	if [ "$RC" = 124 ] && [ "$el" -ge 5200 ] && [ "$el" -le 10000 ] &&
		grep -q '"event":"timeout".*"killed":true' "$W/.t/status" && gone_within 2000; then
		tap_ok "--timeout without --kill-after: SIGKILL after the default 5 s grace (124 after $el ms)"
	else
		show; tap_diag "after $el ms; status: $(cat "$W/.t/status")"
		tap_fail "--timeout 0.3 with a payload ignoring SIGTERM: want 124 after 5.3 s"
	fi

	for sig in TERM INT; do
		start_bg "$W/.t/status" --kill-after 1 -- "${IGNORE_TERM[@]}"
		t0=$(now_ms)
		kill -"$sig" "$SPID"
		wait_pid "$SPID" 10
		el=$(($(now_ms) - t0))
		err=$(cat "$W/.t/bg.err")
		if [ "$WRC" = 137 ] && [ "$el" -ge 900 ] && [ "$el" -le 4000 ] &&
			grep -q '"id":"[^"]*","event":"exited","signal":9,"code":137,"killed":true}$' "$W/.t/status" &&
			[ "$(grep -c '' <<<"$err")" = 1 ] && grep -q "forwarded SIG$sig (--kill-after)" <<<"$err" &&
			gone_within 2000; then
			tap_ok "SIG$sig to sbx with --kill-after 1 ends a payload that ignores it: 137 after $el ms"
		else
			tap_diag "rc=$WRC after $el ms; err: $err; status: $(cat "$W/.t/status"); left: $(leftovers)"
			tap_fail "SIG$sig to sbx with --kill-after 1: want 137 about 1 s later"
			kill -KILL "$SPID" 2>/dev/null
		fi
	done

	# No --kill-after: a forwarded signal has no deadline (the payload
	# decides; whoever sent it can still SIGKILL sbx, which ends everything).
	start_bg "$W/.t/status" -- /bin/sh -c "trap '' TERM; exec '$P' sleep 2.5"
	t0=$(now_ms)
	kill -TERM "$SPID"
	sleep 1.5
	still=0
	alive "$SPID" && still=1
	wait_pid "$SPID" 10
	el=$(($(now_ms) - t0))
	if [ "$still" = 1 ] && [ "$WRC" = 0 ] && grep -q '"id":"[^"]*","event":"exited","code":0}$' "$W/.t/status"; then
		tap_ok "SIGTERM to sbx without --kill-after: the payload decides (it ignored it and exited 0 after $el ms)"
	else
		tap_diag "still running after 1.5 s: $still; rc=$WRC after $el ms; status: $(cat "$W/.t/status")"
		tap_fail "SIGTERM to sbx without --kill-after: want no deadline"
		kill -KILL "$SPID" 2>/dev/null
	fi
fi

# --timeout sends SIGTERM first: a payload that handles it sees it (from
# sandbox init, PID 1) and the run still ends 124, with no SIGKILL.
t0=$(now_ms)
capture sbx run --timeout 0.5 --json-status-fd 3 -- "$P" signal-wait 3>"$W/.t/status"
el=$(($(now_ms) - t0))
if [ "$RC" = 124 ] && grep -q '^GOT TERM from pid 1$' <<<"$OUT" && [ "$el" -le 3000 ] &&
	grep -q '"id":"[^"]*","event":"timeout","seconds":0.5,"code":124}$' "$W/.t/status"; then
	tap_ok "--timeout sends the payload SIGTERM first; it ends, exit 124 after $el ms"
else
	show; tap_diag "after $el ms; status: $(cat "$W/.t/status")"
	tap_fail "--timeout 0.5 with a payload that handles SIGTERM"
fi

capture sbx run --timeout 0.5 --kill-after 0 --json-status-fd 3 -- "$P" signal-wait 3>"$W/.t/status"
if [ "$RC" = 124 ] && ! grep -q 'GOT' <<<"$OUT" &&
	grep -q '"id":"[^"]*","event":"timeout","seconds":0.5,"code":124,"killed":true}$' "$W/.t/status" && gone_within 2000; then
	tap_ok "--kill-after 0: --timeout SIGKILLs at once (no SIGTERM), 124, \"killed\":true"
else
	show; tap_diag "status: $(cat "$W/.t/status")"
	tap_fail "--timeout 0.5 --kill-after 0"
fi

# The grace never delays a payload that does end on SIGTERM.
start_bg "$W/.t/status" --kill-after 5 -- "$P" sleep 30
t0=$(now_ms)
kill -TERM "$SPID"
wait_pid "$SPID" 10
el=$(($(now_ms) - t0))
if [ "$WRC" = 143 ] && [ "$el" -le 2000 ] && grep -q '"id":"[^"]*","event":"exited","signal":15,"code":143}$' "$W/.t/status"; then
	tap_ok "SIGTERM with --kill-after 5 to a payload that dies of it: 143 after $el ms"
else
	tap_diag "rc=$WRC after $el ms; status: $(cat "$W/.t/status")"
	tap_fail "SIGTERM with --kill-after 5: want 143 at once"
	kill -KILL "$SPID" 2>/dev/null
fi

# --- tmpfs sizes ------------------------------------------------------------

# df_k MOUNTPOINT: its size in KiB in $OUT (df -k output, up to a line
# INODES); df_i MOUNTPOINT: its inode count (df -i output after INODES).
df_k() { sed '/^INODES$/q' <<<"$OUT" | awk -v m="$1" '$NF == m { print $2 }'; }
df_i() { sed -n '/^INODES$/,$p' <<<"$OUT" | awk -v m="$1" '$NF == m { print $2 }'; }

capture sbx run -- /bin/sh -c 'df -k /tmp /dev/shm'
if [ "$RC" = 0 ] && [ "$(df_k /tmp)" = 1048576 ] && [ "$(df_k /dev/shm)" = 65536 ]; then
	tap_ok "default sizes: /tmp 1 GiB, /dev/shm 64 MiB (not half of RAM)"
else
	show; tap_fail "default tmpfs sizes: /tmp $(df_k /tmp) KiB, /dev/shm $(df_k /dev/shm) KiB"
fi

capture sbx run --tmp-size 8M --tmpfs /tmp/scratch -- /bin/sh -c \
	'df -k /tmp /tmp/scratch /dev/shm; echo INODES; df -i /tmp'
if [ "$RC" = 0 ] && [ "$(df_k /tmp)" = 8192 ] && [ "$(df_k /tmp/scratch)" = 8192 ] &&
	[ "$(df_k /dev/shm)" = 65536 ] && [ "$(df_i /tmp)" = 2048 ]; then
	tap_ok "--tmp-size 8M: df shows 8 MiB for /tmp and a --tmpfs (2048 inodes), /dev/shm stays 64 MiB"
else
	show; tap_fail "--tmp-size 8M: /tmp $(df_k /tmp) KiB, --tmpfs $(df_k /tmp/scratch) KiB, inodes $(df_i /tmp)"
fi

# Writing past the size fails inside with ENOSPC; the same write fits the default.
WRITE9M='head -c 9437184 /dev/zero >/tmp/f && echo WROTE'
capture sbx run -- /bin/sh -c "$WRITE9M"
ctl=$OUT
capture sbx run --tmp-size 8M -- /bin/sh -c "$WRITE9M"
if [ "$ctl" != WROTE ]; then
	tap_skip "--tmp-size 8M: writing 9 MiB to /tmp fails with ENOSPC" control-failed "the write fails without --tmp-size too"
elif [ "$RC" != 0 ] && [ "$OUT" != WROTE ] && grep -q 'No space left on device' <<<"$ERR"; then
	tap_ok "--tmp-size 8M: writing 9 MiB to /tmp fails with ENOSPC (and fits the default size)"
else
	show; tap_fail "--tmp-size 8M: writing 9 MiB to /tmp"
fi

WRITE70M='head -c 73400320 /dev/zero >/dev/shm/f && echo WROTE'
capture sbx run --tmpfs /dev/shm --tmp-size 128M -- /bin/sh -c "$WRITE70M"
ctl=$OUT
capture sbx run -- /bin/sh -c "$WRITE70M"
if [ "$ctl" != WROTE ]; then
	tap_skip "/dev/shm: 70 MiB fails with ENOSPC" control-failed "the write fails on a 128 MiB --tmpfs /dev/shm too"
elif [ "$OUT" != WROTE ] && grep -q 'No space left on device' <<<"$ERR"; then
	tap_ok "/dev/shm: writing 70 MiB fails with ENOSPC; --tmpfs /dev/shm --tmp-size 128M allows it"
else
	show; tap_fail "/dev/shm: writing 70 MiB"
fi

# --- --pids -----------------------------------------------------------------

PIDS_CASES=("--pids 5: the payload forks 4 more, then EAGAIN" "--pids 5 counts threads"
	"--pids bounds one sandbox only")
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
capture sbx run -- "$P" forks 20
tap_diag "control (sbx without --pids): $OUT"
if [ "$kmaj" -lt 5 ] || { [ "$kmaj" = 5 ] && [ "${kmin%%[!0-9]*}" -lt 14 ]; }; then
	for d in "${PIDS_CASES[@]}"; do
		tap_skip "$d" kernel-nproc-per-user "Linux $(uname -r)"
	done
elif [ "$OUT" != "forks = 20 OK" ]; then
	for d in "${PIDS_CASES[@]}"; do
		tap_skip "$d" control-failed "without --pids the payload does not fork 20 ($OUT)"
	done
else
	# N counts the payload and everything it starts; sandbox init is not counted.
	capture sbx run --pids 5 -- "$P" forks 20
	if [ "$OUT" = "forks = 4 EAGAIN" ]; then
		tap_ok "--pids 5: the payload forks 4 more, then EAGAIN"
	else
		show; tap_fail "--pids 5: want 'forks = 4 EAGAIN'"
	fi
	capture sbx run --pids 5 -- "$P" threads 20
	if [ "$OUT" = "threads = 4 EAGAIN" ]; then
		tap_ok "--pids 5 counts threads: 4 more, then EAGAIN"
	else
		show; tap_fail "--pids 5 threads: want 'threads = 4 EAGAIN'"
	fi
	# While one sandbox sits at its limit, the same user's host processes
	# and another sandbox are not counted against it (per user namespace).
	"${USERCMD[@]}" "$W/sbx" run --pids 3 -- "$P" forks 10 20 >"$W/.t/bg.out" 2>&1 &
	spid=$!
	for ((i = 0; i < 500; i++)); do
		[ -s "$W/.t/bg.out" ] && break
		sleep 0.02
	done
	held=$(cat "$W/.t/bg.out")
	capture as_user "$P" forks 20
	host=$OUT
	capture sbx run --pids 5 -- "$P" forks 20
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	if [ "$held" = "forks = 2 EAGAIN" ] && [ "$host" = "forks = 20 OK" ] && [ "$OUT" = "forks = 4 EAGAIN" ]; then
		tap_ok "--pids bounds one sandbox only: host processes of the same user and another sandbox fork freely"
	else
		tap_diag "held sandbox: $held; host: $host; second sandbox: $OUT"
		tap_fail "--pids must count per sandbox"
	fi
fi

# The kernel exempts uid 0 from RLIMIT_NPROC: sbx run by root refuses --pids
# (on any kernel: the uid is checked first).
if [ "$IS_ROOT" = 1 ]; then
	rm -f "$W/cwd/marker"
	CMD=("$W/sbx" run --pids 5 -- "$P" write "$W/cwd/marker")
	run_cmd
	if [ "$RC" = 125 ] && [ ! -e "$W/cwd/marker" ] && grep -q 'uid 0' <<<"$ERR"; then
		tap_ok "--pids as uid 0 on the host: refused, exit 125 ($ERR)"
	else
		show; tap_fail "--pids as root: want exit 125"
	fi
else
	tap_skip "--pids as uid 0 on the host is refused" not-root
fi

# --- --pass-fd at its limit ---------------------------------------------------

args=()
for ((fd = 10; fd < 74; fd++)); do
	eval "exec $fd</dev/null"
	args+=(--pass-fd "$fd")
done
capture sbx run "${args[@]}" -- "$P" fds
n=$(grep -c '^fd ' <<<"$OUT")
if [ "$RC" = 0 ] && [ "$n" = 67 ]; then
	tap_ok "64 --pass-fd (the most accepted): all 64 reach the payload"
else
	show "(first lines)"; tap_fail "64 --pass-fd: rc $RC, payload has $n descriptors (want 67)"
fi
rm -f "$W/cwd/marker"
capture sbx run "${args[@]}" --pass-fd 74 -- "$P" write "$W/cwd/marker"
if [ "$RC" = 125 ] && [ ! -e "$W/cwd/marker" ] && [ "$(grep -c '' <<<"$ERR")" = 1 ] &&
	grep -q -- '--pass-fd: given more than 64 times' <<<"$ERR"; then
	tap_ok "a 65th --pass-fd is refused by the parser: $ERR"
else
	show; tap_fail "65 --pass-fd: want exit 125 from the parser"
fi
for ((fd = 10; fd < 74; fd++)); do
	eval "exec $fd<&-"
done

tap_done
