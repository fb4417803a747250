#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-unix-doors: issue 9 item 1. A network namespace does not cover pathname
# unix sockets and a read-only mount does not stop connect(): in every
# posture (blocked, allowlist, open) the host's sockets must be out of reach
# (the session bus in /run/user/UID, a root-owned 0666 socket under /run,
# agents in $HOME, a socket in the working directory), whatever call names
# them (connect, sendto, sendmsg, sendmmsg), however they are named (a link,
# /proc/self/fd/N/NAME), and however a payload races sbx's bookkeeping; the
# sockets the payload makes itself (in /tmp, its working directory, a --bind
# directory), socketpairs and, in blocked and allowlist postures, abstract
# sockets keep working; --allow-unix opens exactly the socket it names. Each
# host socket is reached without sbx first (the control). Decision-log lines
# are checked here and against the schema (tap_done).
. "$(dirname "$0")/lib.sh"
require_userns

POSTURES=(blocked allowlist open)
tap_plan 32

cp "$TESTDIR/doors.py" "$W/doors.py" && chmod 0644 "$W/doors.py"
DOORS=("$PY" "$W/doors.py")
L=$W/outside # servers' logs and the decision logs: the sandbox only reads them
mkdir -p "$W/bindsrc"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$W/bindsrc"

# hexpath PATH-IN-PYTHON-SYNTAX: the path as doors.py's "hex:..." argument.
hexpath() { "$PY" -c "import sys; print('hex:' + ($1).hex())"; }

# start_server NAME stream|dgram PATH MODE user|root: a server that logs to $L/NAME.log.
start_server() {
	local name=$1 kind=$2 path=$3 mode=$4 who=$5 pfx=()
	[ "$who" = user ] && pfx=("${USERCMD[@]}")
	: >"$L/$name.log"
	[ "$IS_ROOT" = 1 ] && [ "$who" = user ] && chown "$TESTUID:$TESTGID" "$L/$name.log"
	"${pfx[@]}" "${DOORS[@]}" serve "$kind" "$path" "$L/$name.log" "$mode" >"$W/.t/$name.out" 2>&1 &
	bg_track $!
	for _ in $(seq 100); do
		grep -q ready "$W/.t/$name.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "Bail out! server $name did not start: $(cat "$W/.t/$name.out")"
	exit 1
}
hits() { wc -l <"$L/$1.log"; }

# log_has FILE EXPR: the decision log FILE satisfies the Python expression EXPR over its decisions (ev).
log_has() { "$PY" "$TESTDIR/events.py" "$1" "$2" decision; }

# ---- the host's sockets --------------------------------------------------------
created_run_user="" created_run_user_dir=""
RUNSOCK="" ROOTSOCK="" HOMESOCK=""
cleanup() {
	rm -f "$RUNSOCK" "$ROOTSOCK" "$HOMESOCK"
	[ -n "$created_run_user" ] && rm -rf "$created_run_user"
	[ -n "$created_run_user_dir" ] && rmdir "$created_run_user_dir" 2>/dev/null
	_lib_cleanup
}
trap cleanup EXIT

declare -A DOOR_PATH DOOR_SKIP
DOORS_LIST=(run-user run-root home cwd)

# The session bus's directory, $XDG_RUNTIME_DIR: /run/user/UID, the test user's.
rundir=/run/user/$TESTUID
if [ "$IS_ROOT" = 1 ]; then
	if [ ! -d /run/user ]; then
		mkdir -m 0755 /run/user && created_run_user_dir=/run/user
	fi
	if [ ! -d "$rundir" ]; then
		mkdir -m 0700 "$rundir" && chown "$TESTUID:$TESTGID" "$rundir" && created_run_user=$rundir
	fi
fi
if as_user test -w "$rundir" 2>/dev/null; then
	RUNSOCK=$rundir/sbx-doors-$$.sock
	start_server run-user stream "$RUNSOCK" 0600 user
	DOOR_PATH[run-user]=$RUNSOCK
else
	DOOR_SKIP[run-user]=not-root
fi
# A root-owned socket anyone may write to (docker.sock's kind).
if [ "$IS_ROOT" = 1 ]; then
	ROOTSOCK=/run/sbx-doors-$$.sock
	start_server run-root stream "$ROOTSOCK" 0666 root
	DOOR_PATH[run-root]=$ROOTSOCK
else
	DOOR_SKIP[run-root]=not-root
fi
# An agent in $HOME (ssh-agent's and gpg-agent's kind).
if [ -n "${HOME:-}" ] && as_user test -w "$HOME" 2>/dev/null; then
	HOMESOCK=$HOME/.sbx-doors-$$.sock
	start_server home stream "$HOMESOCK" 0600 user
	DOOR_PATH[home]=$HOMESOCK
else
	DOOR_SKIP[home]=no-writable-home
fi
# A socket in the working directory, which the sandbox sees read-write.
start_server cwd stream "$W/cwd/host-$$.sock" 0600 user
DOOR_PATH[cwd]=$W/cwd/host-$$.sock
start_server dgram dgram "$W/cwd/hostd-$$.sock" 0600 user
start_server a stream "$L/a.sock" 0600 user
start_server b stream "$L/b.sock" 0600 user
start_server race stream "$W/cwd/race-host.sock" 0600 user
ODD=$(hexpath "'$L/odd\\n'.encode() + b'\\xff.sock'")
start_server odd stream "$ODD" 0600 user

# ---- 1-12: every host socket, every posture --------------------------------------
for door in "${DOORS_LIST[@]}"; do
	path=${DOOR_PATH[$door]:-}
	if [ -z "$path" ]; then
		for p in "${POSTURES[@]}"; do
			tap_skip "$p: the host's $door socket is unreachable" "${DOOR_SKIP[$door]}"
		done
		continue
	fi
	capture as_user "${DOORS[@]}" connect "$path"
	control=$(result_of "$path")
	for p in "${POSTURES[@]}"; do
		desc="$p: the host's $door socket ($path) is unreachable"
		if [ "$control" != connected ]; then
			tap_skip "$desc" control-failed "without sbx: $OUT"
			continue
		fi
		before=$(hits "$door")
		log=$L/log-$door-$p.jsonl
		capture sbx run --network="$p" --log-file "$log" -- "${DOORS[@]}" connect "$path"
		got=$(grep -F -- "$path = " <<<"$OUT")
		if [ "$RC" = 0 ] && [ "$got" = "$path = error EACCES" ] && [ "$(hits "$door")" = "$before" ] &&
			log_has "$log" "len(ev) == 1 and ev[0]['proto'] == 'unix-connect' and ev[0]['verdict'] == 'deny' and ev[0]['host'] == '$path' and ev[0]['posture'] == '$p' and ev[0]['source'] == 'built-in default'"; then
			tap_ok "$desc (EACCES, one decision line; control: connected)"
		else
			show "$door"
			tap_diag "log: $(cat "$log" 2>/dev/null)"
			tap_fail "$desc: got '$got', the server saw $(($(hits "$door") - before)) connections"
		fi
	done
done

# ---- 13-15: the sends name a host datagram socket ---------------------------------
capture as_user "${DOORS[@]}" send "$W/cwd/hostd-$$.sock"
control=$OUT
sleep 0.1
for p in "${POSTURES[@]}"; do
	desc="$p: sendto, sendmsg and sendmmsg to a host datagram socket are refused"
	if [[ "$control" != *"sendto = OK"*"sendmsg = OK"*"sendmmsg = OK"* ]]; then
		tap_skip "$desc" control-failed "without sbx: $control"
		continue
	fi
	before=$(hits dgram)
	log=$L/log-dgram-$p.jsonl
	capture sbx run --network="$p" --log-file "$log" -- "${DOORS[@]}" send "$W/cwd/hostd-$$.sock"
	sleep 0.1
	if [ "$(result_of sendto)/$(result_of sendmsg)/$(result_of sendmmsg)" = EACCES/EACCES/EACCES ] &&
		[ "$(hits dgram)" = "$before" ] &&
		log_has "$log" "sorted(e['proto'] for e in ev) == ['unix-sendmmsg', 'unix-sendmsg', 'unix-sendto'] and all(e['verdict'] == 'deny' for e in ev)"; then
		tap_ok "$desc (EACCES each, one decision line each; control: sent)"
	else
		show dgram
		tap_diag "log: $(cat "$log" 2>/dev/null)"
		tap_fail "$desc: the server saw $(($(hits dgram) - before)) datagrams"
	fi
done

# ---- 16-18: the payload's own sockets and socketpairs -----------------------------
# $HOME is an overlay by default: a file of its private layer shows a device
# of that layer's own, which sandbox init learns for sbx.
owndirs=(/tmp . "$W/bindsrc")
as_user test -d "${HOME:-/nonexistent}" 2>/dev/null && owndirs+=("$HOME")
for p in "${POSTURES[@]}"; do
	desc="$p: sockets the payload makes in ${owndirs[*]} work (/tmp, the working directory, a --bind directory, \$HOME), and socketpairs"
	capture sbx run --network="$p" --bind "$W/bindsrc" -- sh -c \
		"for d in ${owndirs[*]}; do echo \"dir \$d\"; ${DOORS[*]} own \"\$d\"; done"
	want=$(printf 'dir %s\nstream = mine\ndgram = dmine\nsocketpair = pair\n' "${owndirs[@]}")
	if [ "$RC" = 0 ] && [ "$OUT" = "$want" ]; then
		tap_ok "$desc"
	else
		show own
		tap_fail "$desc"
	fi
done

# ---- 19-21: a path through the payload's descriptor --------------------------------
capture as_user "${DOORS[@]}" fdpath "$W/cwd" "host-$$.sock"
control=$OUT
for p in "${POSTURES[@]}"; do
	desc="$p: through /proc/self/fd/N/NAME, the payload's own socket works and a host socket is refused"
	if [ "$control" != "$(printf 'own = mine\nhost = connected pong')" ]; then
		tap_skip "$desc" control-failed "without sbx: $control"
		continue
	fi
	capture sbx run --network="$p" -- "${DOORS[@]}" fdpath "$W/cwd" "host-$$.sock"
	if [ "$RC" = 0 ] && [ "$OUT" = "$(printf 'own = mine\nhost = error EACCES')" ]; then
		tap_ok "$desc"
	else
		show fdpath
		tap_fail "$desc"
	fi
done

# ---- 22-24: --allow-unix opens exactly the socket it names ------------------------
for p in "${POSTURES[@]}"; do
	desc="$p: --allow-unix opens the socket it names and not its neighbour"
	log=$L/log-allow-$p.jsonl
	before_a=$(hits a) before_b=$(hits b)
	capture sbx run --network="$p" --allow-unix "$L/a.sock" --log-file "$log" -- "${DOORS[@]}" connect "$L/a.sock" "$L/b.sock"
	if [ "$(result_of "$L/a.sock")" = connected ] && [ "$(grep -F -- "$L/b.sock = " <<<"$OUT")" = "$L/b.sock = error EACCES" ] &&
		[ "$(hits a)" = $((before_a + 1)) ] && [ "$(hits b)" = "$before_b" ] &&
		log_has "$log" "[(e['host'], e['verdict'], e['rule'], e['source']) for e in ev] == [('$L/a.sock', 'allow', '$L/a.sock', '--allow-unix'), ('$L/b.sock', 'deny', '', 'built-in default')]"; then
		tap_ok "$desc (an allow line, a deny line)"
	else
		show allow
		tap_diag "log: $(cat "$log" 2>/dev/null)"
		tap_fail "$desc"
	fi
done

# ---- 25: a path the payload names with control bytes and invalid UTF-8 ------------
desc="a refused path with a newline and invalid UTF-8 is logged escaped, as valid JSON"
log=$L/log-odd.jsonl
capture sbx run --log-file "$log" -- "${DOORS[@]}" connect "$ODD"
if [[ "$OUT" == *"= error EACCES" ]] && [ "$(hits odd)" = 0 ] &&
	log_has "$log" "len(ev) == 1 and ev[0]['host'] == r'$L/odd\\n\\xff.sock'"; then
	tap_ok "$desc"
else
	show odd
	tap_diag "log: $(cat "$log" 2>/dev/null)"
	tap_fail "$desc"
fi

# ---- 26: abstract sockets are the sandbox's own in blocked and allowlist -----------
desc="blocked and allowlist: the payload's own abstract sockets work (its own network namespace)"
capture sbx run -- "${DOORS[@]}" abstract
r1=$OUT
capture sbx run --network=allowlist -- "${DOORS[@]}" abstract
r2=$OUT
if [ "$r1/$r2" = "abstract = mine/abstract = mine" ]; then
	tap_ok "$desc"
else
	tap_fail "$desc: blocked '$r1', allowlist '$r2'"
fi

# ---- 27: links to a host socket -------------------------------------------------------
desc="a symbolic and a hard link to a host socket in the working directory are refused"
capture as_user sh -c "cd '$W/cwd' && ${DOORS[*]} links '$W/cwd/host-$$.sock'"
control=$OUT
if [ "$control" != "$(printf 'symlink = connected pong\nhardlink = connected pong')" ]; then
	tap_skip "$desc" control-failed "without sbx: $control"
else
	capture sbx run -- "${DOORS[@]}" links "$W/cwd/host-$$.sock"
	if [ "$OUT" = "$(printf 'symlink = error EACCES\nhardlink = error EACCES')" ]; then
		tap_ok "$desc"
	else
		show links
		tap_fail "$desc"
	fi
fi

# ---- 28-29: the rename race on sbx's record of the payload's sockets ------------------
# Open posture: sbx performs bind() and records the socket file. A host socket
# of the working directory renamed over the name the payload is binding,
# between sbx's bind and its look at the file: without the kernel's word on
# which file the socket was bound to (UNIX_DIAG_VFS), sbx would record the
# host's socket as the payload's own. Blocked posture: no record (the kernel
# says which sockets are the sandbox's), the same attack.
capture as_user sh -c "cd '$W/cwd' && ${DOORS[*]} race race-host.sock 0.5"
control=$(result_of race)
for p in open blocked; do
	desc="$p: a host socket renamed over the payload's socket while it is bound stays unreachable"
	if [ "${control:-0}" = 0 ]; then
		tap_skip "$desc" control-failed "without sbx the renamed host socket was never reached: $OUT"
		continue
	fi
	CAPTURE_TIMEOUT=30 capture sbx run --network=$p -- "${DOORS[@]}" race race-host.sock 3
	if [ "$RC" = 0 ] && [[ "$OUT" == "race = 0 breaches"* ]] && [[ "$OUT" != *" 0 renames"* ]]; then
		tap_ok "$desc (${OUT#race = }; without sbx: $control breaches)"
	else
		show race
		tap_fail "$desc"
	fi
done

# ---- 30: --allow-unix needs a socket that exists ---------------------------------------
desc="--allow-unix refuses a path that is not there or not a socket (exit 125)"
capture sbx run --allow-unix "$L/nope.sock" -- true
r1="$RC $ERR"
capture sbx run --allow-unix /etc/hostname -- true
r2="$RC $ERR"
if [[ "$r1" == "125 "*"no such socket"* ]] && [[ "$r2" == "125 "*"not a unix socket"* ]]; then
	tap_ok "$desc"
else
	tap_fail "$desc: '$r1', '$r2'"
fi

# ---- 31: the names the payload binds are its own ---------------------------------
# Blocked and allowlist postures leave bind() to the payload: getsockname()
# names the path it bound, which Python's multiprocessing.Manager hands to
# its clients (in open posture sbx performs the bind and the name is
# /proc/thread-self/fd/N/NAME: a known limit, src/deputy/bind.c).
desc="blocked and allowlist: getsockname() names the path the payload bound (multiprocessing.Manager works)"
cat >"$W/mgr.py" <<'PY'
import multiprocessing
if __name__ == "__main__":
    with multiprocessing.Manager() as m:
        d = m.dict()
        d["k"] = 1
        print("manager =", "OK" if d["k"] == 1 else "wrong")
PY
chmod 0644 "$W/mgr.py"
capture sbx run -- "$PY" "$W/mgr.py"
r1=$OUT
capture sbx run --network=allowlist -- "$PY" "$W/mgr.py"
r2=$OUT
if [ "$r1/$r2" = "manager = OK/manager = OK" ]; then
	tap_ok "$desc"
else
	show manager
	tap_fail "$desc: blocked '$r1', allowlist '$r2'"
fi

# ---- 32: the socket file a bind sbx performs gets the payload's umask, not sbx's -------
desc="open: a socket the payload binds gets its umask (077: mode 0700), not sbx's"
capture as_user "${DOORS[@]}" bindmode 077 "$W/cwd/umask-$$.sock"
control=$OUT
if [ "$control" != "mode = 0700" ]; then
	tap_skip "$desc" control-failed "without sbx: $control"
else
	capture sbx run --network=open -- sh -c "umask 022; ${DOORS[*]} bindmode 077 '$W/cwd/umask-$$.sock'"
	if [ "$OUT" = "mode = 0700" ]; then
		tap_ok "$desc"
	else
		show umask
		tap_fail "$desc"
	fi
fi

tap_done
