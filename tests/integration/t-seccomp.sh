#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-seccomp: kernel surface refused inside the sandbox. Each case runs the
# same probe without sbx first (the positive control); a label counts only
# if the control shows the kernel serving it (OK, or the subsystem's own
# error such as EBADF for a bad descriptor). A case whose control shows
# nothing served is SKIPped, never passed.
#
# Where the call needs a capability (raw sockets, the new mount API), the
# control runs in a bare user namespace (unshare -U...) where the same user
# does hold it: that is exactly what a payload that regained capabilities
# would have, so the case shows the filter's refusal stands on its own
# layer. Inside sbx both layers (no capabilities, seccomp) answer.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 21

# labels_of OUT: every "LABEL = ..." label, one per line.
labels_of() { sed -n 's/^\(.*\) = .*$/\1/p' <<<"$1"; }

# served LABEL REACH: did the control output ($CTL) show LABEL served?
served() {
	local line r
	line=$(grep -F -x -- "$(grep -F -- "$1 = " <<<"$CTL" | head -n1)" <<<"$CTL" | head -n1)
	r=${line#*" = "}
	r=${r%% *}
	case "$r" in
	OK) return 0 ;;
	esac
	[[ "$line" == *" reached" ]] && return 0
	[ -n "$2" ] && [[ " $2 " == *" $r "* ]] && return 0
	return 1
}

# seccase DESC CONTROL-PREFIX LABEL-REGEX EXCLUDE-REGEX REACH-ERRNOS PROBE-ARGS...
#   CONTROL-PREFIX: "" or e.g. "unshare -Urn"; LABEL-REGEX selects the
#   labels of this case (extended regex), EXCLUDE-REGEX drops some ("" for
#   none); REACH-ERRNOS: errnos that in the control mean the subsystem was
#   reached.
seccase() {
	local desc=$1 prefix=$2 re=$3 ex=$4 reach=$5 l r bad="" n=0 killed=0
	shift 5
	# shellcheck disable=SC2086
	capture as_user $prefix "$P" "$@"
	CTL=$OUT
	local labels=()
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		[[ "$l" =~ $re ]] || continue
		[ -n "$ex" ] && [[ "$l" =~ $ex ]] && continue
		served "$l" "$reach" && labels+=("$l")
	done < <(labels_of "$CTL")
	tap_diag "$desc: control${prefix:+ under '$prefix'} (rc $RC) served ${#labels[@]} label(s)"
	if [ ${#labels[@]} = 0 ]; then
		tap_diag "$(sed 's/^/  control: /' <<<"$CTL")"
		tap_skip "$desc" "kernel-refuses:$1" "without sbx: $(grep -m1 -F ' = ' <<<"$CTL")"
		return
	fi
	capture sbx run -- "$P" "$@"
	[ "$RC" = 159 ] && killed=1
	for l in "${labels[@]}"; do
		r=$(result_of "$l")
		if [ -z "$r" ] && [ "$killed" = 1 ]; then
			n=$((n + 1))
			continue
		fi
		if [ -n "$r" ] && [ "$r" != OK ] && ! [[ " $reach " == *" $r "* ]] && is_refusal "$r" &&
			! grep -qF -- "$l = $r reached" <<<"$OUT"; then
			n=$((n + 1))
		else
			bad="$bad
  $l: control '$(grep -F -- "$l = " <<<"$CTL" | head -n1 | sed 's/.* = //')' sandbox '${r:-missing}'"
		fi
	done
	if [ -z "$bad" ] && [ "$RC" != 999 ]; then
		tap_ok "$desc ($n refused$([ "$killed" = 1 ] && echo ", killed by SIGSYS"))"
	else
		show "$desc"
		tap_diag "not refused:$bad"
		tap_fail "$desc"
	fi
}

seccase "inet/inet6 SOCK_RAW refused (all flag variants)" "unshare -Urn" '^socket [^ ]*inet6?-raw' "" "" raw-variants
seccase "AF_PACKET and SOCK_PACKET refused (all flag variants)" "unshare -Urn" '^socket [^ ]*(packet)' "" "" raw-variants
seccase "raw/packet sockets with garbage in the upper 32 bits refused" "unshare -Urn" '^socket-hi ' "" "" raw-variants
seccase "socket families and netlink protocols beyond unix/inet/inet6/netlink-route refused" "" '^socket ' 'netlink-route' "" families
seccase "same, garbage in the upper 32 bits" "" '^socket-hi ' 'netlink-route' "" families
seccase "io_uring_setup refused" "" '^io_uring_setup$' "" "" io-uring
seccase "io_uring_enter/io_uring_register refused" "" '^io_uring_(enter|register)' "" "EBADF" io-uring
seccase "i386 int 0x80 getpid from a 64-bit process refused" "" '^int80 getpid$' "" "" int80-getpid
seccase "i386 socketcall/socket via int 0x80 refused" "unshare -Urn" '^int80 ' "" "" int80-socketcall
seccase "x32 ABI getpid refused" "" '^x32 getpid$' "" "" x32-getpid
seccase "keyctl/add_key/request_key refused" "" '.' "" "" keyctl
seccase "bpf refused" "" '^bpf\(' "" "EBADF" bpf
seccase "perf_event_open refused" "" '.' "" "" perf
seccase "userfaultfd refused" "" '.' "" "" userfaultfd
seccase "open_tree refused" "" '^open_tree' "" "" open_tree
seccase "fsopen/fspick/fsmount/move_mount refused" "unshare -Urm" '^(fsopen|fspick|fsmount|move_mount)' "" "EBADF ENOENT" fsopen
seccase "TIOCSTI on a terminal of its own refused (also with high bits in the request)" "" '^tiocsti' "" "" tiocsti-ownpty
seccase "TIOCLINUX refused (also with high bits in the request)" "" '^tioclinux' "" "" tioclinux
seccase "kexec_load/kexec_file_load refused" "" '.' "" "" kexec
seccase "init_module/finit_module refused" "" '.' "" "" init-module

# The filter is not a blanket refusal: what the sandbox needs still works.
capture sbx run -- /bin/sh -c "'$P' socket 1 1 0; '$P' socket 1 2 0; '$P' socket 2 1 0; '$P' socket 2 2 0; '$P' socket 10 1 0; '$P' socket 10 2 0; '$P' socket 16 3 0"
nok=$(grep -c ' = OK' <<<"$OUT")
if [ "$nok" = 7 ]; then
	tap_ok "unix, inet, inet6 stream/dgram and netlink route sockets still work"
else
	show; tap_fail "allowed socket families refused ($nok of 7 OK)"
fi

tap_done
