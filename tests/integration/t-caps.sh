#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-caps: the payload holds no capability in any set, has no_new_privs,
# cannot create user namespaces, runs under the requested ids, is not
# PID 1 and leads its own session.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 12

# check_caps DESC SBX-ARGS...
check_caps() {
	local desc=$1 bad="" set v
	shift
	capture sbx run "$@" -- "$P" caps
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(awk -v s="$set:" '$1 == s { print $2 }' <<<"$OUT")
		[ "$v" = 0000000000000000 ] || bad="$bad $set=${v:-missing}"
	done
	if [ "$RC" = 0 ] && [ -z "$bad" ]; then
		tap_ok "$desc: all capability sets empty"
	else
		show "$desc"
		tap_fail "$desc: capabilities left:$bad"
	fi
	v=$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$OUT")
	if [ "$RC" = 0 ] && [ "$v" = 1 ] && grep -q '^prctl_no_new_privs: 1$' <<<"$OUT"; then
		tap_ok "$desc: no_new_privs set"
	else
		show "$desc"
		tap_fail "$desc: no_new_privs not set (NoNewPrivs=${v:-missing})"
	fi
}

# Control: a bare user namespace root does hold capabilities, so an empty
# set inside sbx is sbx's doing.
capture as_user unshare -Ur "$P" caps
tap_diag "control (unshare -Ur, no sbx): $(grep -E '^Cap(Eff|Bnd)' <<<"$OUT" | tr '\n\t' '  ')"

check_caps "default ids"
check_caps "--uid 0 --gid 0" --uid 0 --gid 0

# Nested user namespaces: control first.
capture as_user "$P" userns
ctl_out=$OUT ctl_rc=$RC
tap_diag "control (no sbx): $(tr '\n' ';' <<<"$ctl_out")"
if [ "$ctl_rc" != 0 ]; then
	tap_skip "probe userns refused inside sbx" no-userns "the probe's user namespace is refused without sbx"
	tap_skip "unshare -U refused inside sbx" no-userns "the probe's user namespace is refused without sbx"
else
	capture sbx run -- "$P" userns
	bad=""
	for l in "unshare(CLONE_NEWUSER)" "clone(CLONE_NEWUSER)" "clone3(CLONE_NEWUSER)"; do
		r=$(result_of "$l")
		case "$r" in
		EPERM | ENOSPC | ENOSYS | EINVAL) ;;
		*) bad="$bad $l=${r:-missing}" ;;
		esac
	done
	if [ "$RC" != 0 ] && [ -z "$bad" ]; then
		tap_ok "unshare/clone/clone3(CLONE_NEWUSER) refused inside sbx"
	elif [ "$RC" = 159 ]; then
		show; tap_ok "user namespace creation killed by seccomp (SIGSYS)"
	else
		show; tap_fail "nested user namespace creation not refused:$bad"
	fi
	capture sbx run -- unshare -U /bin/true
	if [ "$RC" != 0 ] && [ "$RC" != 999 ]; then
		tap_ok "unshare -U fails inside sbx (rc $RC)"
	else
		show; tap_fail "unshare -U succeeded inside sbx"
	fi
fi

# Ids.
capture sbx run -- "$P" ids
if [ "$RC" = 0 ] && grep -q "^uid = $TESTUID gid = $TESTGID euid = $TESTUID egid = $TESTGID" <<<"$OUT"; then
	tap_ok "default: caller's uid/gid inside ($TESTUID/$TESTGID)"
else
	show; tap_fail "default ids: want $TESTUID/$TESTGID"
fi
capture sbx run --uid 0 --gid 0 -- "$P" ids
if [ "$RC" = 0 ] && grep -q "^uid = 0 gid = 0 euid = 0 egid = 0" <<<"$OUT"; then
	tap_ok "--uid 0 --gid 0"
else
	show; tap_fail "--uid 0 --gid 0"
fi
capture sbx run --uid=1234 --gid=4321 -- "$P" ids
if [ "$RC" = 0 ] && grep -q "^uid = 1234 gid = 4321 euid = 1234 egid = 4321" <<<"$OUT"; then
	tap_ok "--uid=1234 --gid=4321"
else
	show; tap_fail "--uid=1234 --gid=4321"
fi

# PID 1 and session.
capture sbx run -- "$P" getpid
read -r _ _ pid _ _ ppid _ _ sid _ _ pgid <<<"$OUT"
tap_diag "payload: $OUT"
if [ "$RC" = 0 ] && [ -n "$pid" ] && [ "$pid" != 1 ] && [ "$ppid" = 1 ]; then
	tap_ok "payload is not PID 1; its parent is the sandbox init (PID 1)"
else
	show; tap_fail "payload pid=$pid ppid=$ppid"
fi
if [ "$RC" = 0 ] && [ -n "$sid" ] && [ "$sid" = "$pid" ]; then
	tap_ok "payload leads its own session"
else
	tap_fail "payload session id $sid, pid $pid"
fi

# Seccomp is on (mode 2) in the payload.
capture sbx run -- "$P" caps
v=$(awk '$1 == "Seccomp:" { print $2 }' <<<"$OUT")
if [ "$v" = 2 ]; then tap_ok "seccomp filter mode active"; else show; tap_fail "Seccomp: ${v:-missing}, want 2"; fi

tap_done
