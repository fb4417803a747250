#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-deputy: issue 10, "the supervisor is a deputy". In open posture sbx copies,
# judges and performs the payload's connect/sendto/sendmsg with its own
# memory and privileges; in allowlist posture it dials and answers for the
# payload; it opens the decision log with the invoking user's rights. Each
# case performs the attack for real (tests/deputy.c issues the raw calls)
# and has a positive control without sbx, or with the defence not involved;
# a failed control is a SKIP, never a PASS. Traffic stays on 127.0.0.0/8,
# ::1 and the fake internet of tests/world.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns
: "${DEPUTY:?DEPUTY must point to the built deputy helper}"
cp "$DEPUTY" "$W/deputy" && chmod 0755 "$W/deputy"
D="$W/deputy"

tap_plan 19

# res LABEL: the result word deputy printed for LABEL ("OK" or an errno name).
res() { result_of "$1"; }

# rsbx ARGS...: sbx run as root, the supervisor holding root's privileges
# (how a CI runner that is root uses it); the payload still has none.
rsbx() { capture "$W/sbx" "$@"; }

# ---- 1. cmsg_len beyond the control buffer (issue 10, item 1) -------------
# 24-byte control buffer, SCM_RIGHTS header claiming 0x7ffffff0 bytes. The
# kernel answers EINVAL; today sbx reads and writes past its heap copy and
# aborts (munmap_chunk(): invalid pointer), so the payload sees ENOSYS from a
# dead listener and the run ends with 134.
capture as_user "$D" cmsg-huge
control=$(res sendmsg)
capture sbx run --network=open -- "$D" cmsg-huge
if [ "$control" != EINVAL ]; then
	tap_skip "huge cmsg_len: EINVAL, sbx survives" control-failed "the kernel answered '$control', not EINVAL"
elif [ "$RC" = 42 ] && [ "$(res sendmsg)" = EINVAL ]; then
	tap_ok "huge cmsg_len: the payload gets EINVAL, sbx survives and returns its status"
else
	show "huge cmsg_len"
	tap_fail "huge cmsg_len: want sendmsg = EINVAL and exit 42, got '$(res sendmsg)' and exit $RC"
fi

# Many descriptors in one SCM_RIGHTS: 253 (SCM_MAX_FD) arrive, 300 get EINVAL.
capture as_user "$D" cmsg-many 300
c300=$(res sendmsg)
capture as_user "$D" cmsg-many 253
c253=$(grep -F 'sendmsg = ' <<<"$OUT")
capture sbx run --network=open -- "$D" cmsg-many 300
i300=$(res sendmsg) r300=$RC
capture sbx run --network=open -- "$D" cmsg-many 253
i253=$(grep -F 'sendmsg = ' <<<"$OUT")
if [ "$c300" != EINVAL ] || [ "$c253" != "sendmsg = OK received 253" ]; then
	tap_skip "SCM_RIGHTS with 253 and 300 descriptors" control-failed "300 -> '$c300', 253 -> '$c253'"
elif [ "$r300" = 42 ] && [ "$i300" = EINVAL ] && [ "$RC" = 42 ] && [ "$i253" = "$c253" ]; then
	tap_ok "SCM_RIGHTS: 253 descriptors pass through sbx, 300 get EINVAL, sbx survives"
else
	show "253"
	tap_fail "SCM_RIGHTS many: 300 -> '$i300' (exit $r300), 253 -> '$i253' (exit $RC)"
fi

# ---- 2. the unspecified address is loopback (issue 10, item 2) ------------
start_loopsink
hits() { wc -l <"$W/.t/server.log"; }

for a in 0.0.0.0 :: ::ffff:0.0.0.0; do
	desc="open, --deny 127.0.0.0/8 --deny ::1: connect/sendto to [$a]:$PORT refused, nothing arrives"
	before=$(hits)
	capture as_user sh -c "'$D' connect $a $PORT; '$D' sendto $a $PORT"
	sleep 0.1
	if [ "$(res connect)" != OK ] || [ "$(res sendto)" != OK ] || [ "$(hits)" -lt $((before + 2)) ]; then
		tap_skip "$desc" control-failed "without sbx [$a] did not reach the loopback server ($OUT)"
		continue
	fi
	before=$(hits)
	capture sbx run --network=open --deny 127.0.0.0/8 --deny ::1 -- sh -c "'$D' connect $a $PORT; '$D' sendto $a $PORT"
	sleep 0.1
	if [ "$(res connect)" = ECONNREFUSED ] && [ "$(res sendto)" = EACCES ] && [ "$(hits)" = "$before" ]; then
		tap_ok "$desc"
	else
		show "[$a]"
		tap_fail "$desc (connect $(res connect), sendto $(res sendto), server saw $(($(hits) - before)))"
	fi
done

capture sbx check --network=open --deny 127.0.0.0/8 --deny ::1 0.0.0.0:80 '[::]:80' '[::ffff:0.0.0.0]:80'
if [ "$RC" = 1 ] && ! grep -q '^allow' <<<"$OUT"; then
	tap_ok "sbx check --network=open --deny 127.0.0.0/8 --deny ::1: 0.0.0.0, [::] and [::ffff:0.0.0.0] are denied"
else
	show "check open"
	tap_fail "sbx check --network=open: the unspecified address is loopback and must be denied with it"
fi
capture sbx check --allow 0.0.0.0/0 --allow ::/0 0.0.0.0:80 '[::]:80' '[::ffff:0.0.0.0]:80'
if [ "$RC" = 1 ] && ! grep -q '^allow' <<<"$OUT"; then
	tap_ok "sbx check --allow 0.0.0.0/0 --allow ::/0: the unspecified address stays denied"
else
	show "check allowlist"
	tap_fail "sbx check allowlist: the unspecified address must stay denied"
fi

# ---- 3. control messages applied with the supervisor's privileges (item 3) --
# sbx performs sendmsg itself, control messages included. The payload has no
# capabilities, so the kernel would refuse SO_MARK and a source route (IP
# options LSRR) with EPERM; a supervisor run as root applies them. The
# control: root outside sbx gets OK (the kernel applies it for a privileged
# caller), and the payload in blocked posture (no deputy: the kernel answers
# it directly) gets the refusal the open posture must give too.
# SCM_RIGHTS keeps passing (item 1's 253 descriptors).
for kind in somark retopts; do
	desc="root supervisor: a $kind control message is refused as the kernel refuses the payload"
	if [ "$IS_ROOT" != 1 ]; then
		tap_skip "$desc" not-root "a privileged supervisor needs root"
		continue
	fi
	capture "$D" cmsg $kind 127.0.0.1 "$PORT"
	root_says=$(res $kind)
	rsbx run --network=blocked -- "$D" cmsg $kind 127.0.0.1 "$PORT"
	own=$(res $kind)
	if [ "$root_says" != OK ] || ! is_refusal "$own"; then
		tap_skip "$desc" control-failed "root outside got '$root_says', the payload alone got '$own'"
		continue
	fi
	before=$(hits)
	rsbx run --network=open --deny 127.0.0.2 -- "$D" cmsg $kind 127.0.0.1 "$PORT"
	sleep 0.1
	if [ "$RC" = 42 ] && [ "$(res $kind)" = "$own" ] && [ "$(hits)" = "$before" ]; then
		tap_ok "$desc ($own)"
	else
		show "$kind"
		tap_fail "$desc: want $own, got '$(res $kind)' (server saw $(($(hits) - before)))"
	fi
done

# SCM_CREDENTIALS naming uid 12345 and pid 2 (the payload's own pid inside,
# kthreadd's on the host) to a host receiver. Only sbx's own credentials may
# be claimed through sbx; as root it may claim anyone's.
desc="root supervisor: forged SCM_CREDENTIALS are refused (the receiver sees nothing)"
cat >"$W/.t/credd.py" <<'PY'
import socket, struct, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
log = open(sys.argv[2], "a", buffering=1)
open(sys.argv[2] + ".ready", "w").close()
while True:
    msg, anc, flags, addr = s.recvmsg(64, socket.CMSG_SPACE(12))
    for lvl, typ, data in anc:
        if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            log.write("pid=%d uid=%d gid=%d\n" % struct.unpack("iII", data[:12]))
PY
if [ "$IS_ROOT" != 1 ]; then
	tap_skip "$desc" not-root "a privileged supervisor needs root"
else
	csock=$W/cwd/cred.sock
	: >"$W/.t/cred.log"
	"$PY" "$W/.t/credd.py" "$csock" "$W/.t/cred.log" 2>"$W/.t/credd.err" &
	bg_track $!
	for _ in $(seq 100); do [ -e "$W/.t/cred.log.ready" ] && break; sleep 0.05; done
	capture "$D" creds "$csock" 12345
	sleep 0.1
	root_says=$(res creds) seen=$(cat "$W/.t/cred.log")
	# The payload's own rights: an unprivileged user's (sbx performs sendmsg in every posture).
	capture as_user "$D" creds "$csock" 12345
	own=$(res creds)
	: >"$W/.t/cred.log"
	if [ "$root_says" != OK ] || [[ "$seen" != *"uid=12345"* ]] || ! is_refusal "$own"; then
		tap_skip "$desc" control-failed "root outside got '$root_says' (receiver saw '$seen'), the payload alone '$own'"
	else
		# --allow-unix: the host socket is reachable, so the refusal is the control message's.
		rsbx run --network=open --allow-unix "$csock" -- "$D" creds "$csock" 12345
		sleep 0.1
		seen=$(cat "$W/.t/cred.log")
		# sbx answers EPERM for every control message it does not pass on.
		if [ "$(res creds)" = EPERM ] && [ -z "$seen" ]; then
			tap_ok "$desc ($(res creds); the payload alone: $own)"
		else
			show "creds"
			tap_fail "$desc: want $own, got '$(res creds)'; the host receiver saw '$seen'"
		fi
	fi
fi

# ---- 4. routing headers and source routes (issue 10, item 4) ---------------
# A routing header (IPV6_RTHDR, segment routing type 4) or an IPv4 source route
# (IP_OPTIONS LSRR/SSRR) sends the packet to its first hop, not to the
# destination sbx judged. The seccomp filter must refuse these setsockopt
# calls (EPERM) in every posture. Only options the kernel takes from the
# test user outside sbx are checked (today LSRR/SSRR need CAP_NET_RAW, and
# type 0 is refused by the kernel).
capture as_user "$D" sockopt
control=$OUT
checked=$(awk '$3 == "OK" { print $1 }' <<<"$control" | tr '\n' ' ')
for posture in open blocked allowlist; do
	desc="$posture posture: setsockopt of routing headers and source routes refused (EPERM)"
	if [ -z "$checked" ]; then
		tap_skip "$desc" control-failed "the kernel refuses every option outside sbx too ($control)"
		continue
	fi
	capture sbx run --network=$posture -- "$D" sockopt
	bad=
	for l in $checked; do
		[ "$(res "$l")" = EPERM ] || bad="$bad $l=$(res "$l")"
	done
	if [ "$RC" = 42 ] && [ -z "$bad" ]; then
		tap_ok "$desc ($checked)"
	else
		show "$posture"
		tap_fail "$desc:$bad"
	fi
done

# ---- 5. abstract bind in open posture (issue 10, item 5) ------------------
# Abstract names live in the network namespace: in open posture a payload's
# listener is a host socket any host process can connect to (a fake X11, D-Bus
# or agent socket).
name=sbx-test-$$-$RANDOM
as_user "$D" abstract-listen "$name-c" 5 >"$W/.t/abs-c.out" 2>&1 &
lpid=$!
capture as_user "$D" abstract-connect "$name-c" 4
control=$(res connect)
wait_pid $lpid 10
desc="open posture: bind() on an abstract name is refused (EPERM), no host process reaches it"
if [ "$control" != OK ]; then
	tap_skip "$desc" control-failed "host to host abstract connect failed ($control; $(cat "$W/.t/abs-c.out"))"
else
	resolve sbx run --network=open -- "$D" abstract-listen "$name" 5
	timeout -k 3 30 "${CMD[@]}" >"$W/.t/abs.out" 2>&1 &
	spid=$!
	capture as_user "$D" abstract-connect "$name" 4
	host=$(res connect)
	wait_pid $spid 20
	OUT=$(cat "$W/.t/abs.out")
	if [ "$(res bind)" = EPERM ] && [ "$host" != OK ]; then
		tap_ok "$desc"
	else
		show "abstract"
		tap_fail "$desc: bind $(res bind), host connect $host"
	fi
fi

# ---- 7. --log-file through a symlink or into another user's file (item 7) --
# The payload makes one decision: a CONNECT for a name no rule allows (never
# resolved), which the proxy logs at once.
cat >"$W/cwd/denyme.py" <<'PY'
import socket
s = socket.create_connection(("10.255.255.1", 3128), timeout=5)
s.sendall(b"CONNECT denied.invalid:443 HTTP/1.1\r\nHost: denied.invalid:443\r\n\r\n")
print(s.recv(64).split(b"\r\n")[0].decode())
PY
chmod 0644 "$W/cwd/denyme.py"
capture sbx run --network=allowlist --log-file "$W/cwd/plain.jsonl" -- "$PY" "$W/cwd/denyme.py"
control_log=$(cat "$W/cwd/plain.jsonl" 2>/dev/null)
desc="--log-file that is a symlink: exit 125, one line, nothing written through it"
if [ "$RC" != 0 ] || ! grep -q '"verdict":"deny"' <<<"$control_log"; then
	show "log control"
	tap_skip "$desc" control-failed "a plain --log-file got no decision line"
else
	as_user sh -c ": >'$W/outside/victim'; ln -s '$W/outside/victim' '$W/cwd/link.jsonl'"
	capture sbx run --network=allowlist --log-file "$W/cwd/link.jsonl" -- "$PY" "$W/cwd/denyme.py"
	if [ "$RC" = 125 ] && [ "$(wc -l <<<"$ERR")" = 1 ] && [ ! -s "$W/outside/victim" ]; then
		tap_ok "$desc ($ERR)"
	else
		show "symlink"
		tap_fail "$desc: exit $RC, victim has $(wc -c <"$W/outside/victim") bytes"
	fi
fi
desc="--log-file owned by another uid: exit 125, nothing written"
if [ "$IS_ROOT" != 1 ]; then
	tap_skip "$desc" not-root "a file owned by another uid needs root"
else
	other=$W/cwd/other.jsonl
	: >"$other"
	chown $((TESTUID + 1)):$((TESTGID + 1)) "$other"
	chmod 0666 "$other"
	if ! as_user sh -c ": >>'$other'"; then
		tap_skip "$desc" control-failed "the test user cannot open the other uid's 0666 file"
	else
		capture sbx run --network=allowlist --log-file "$other" -- "$PY" "$W/cwd/denyme.py"
		if [ "$RC" = 125 ] && [ ! -s "$other" ]; then
			tap_ok "$desc ($ERR)"
		else
			show "other uid"
			tap_fail "$desc: exit $RC, the file has $(wc -c <"$other") bytes"
		fi
	fi
fi

# ---- 8. the seccomp filter is an allow-list (issue 10, item 8) ------------
capture as_user "$D" personality
control=$OUT
capture sbx run -- "$D" personality
desc="personality(ADDR_NO_RANDOMIZE) and personality(READ_IMPLIES_EXEC) refused (EPERM), the query works"
if ! grep -q 'addr-no-randomize = OK' <<<"$control" || ! grep -q 'read-implies-exec = OK' <<<"$control"; then
	tap_skip "$desc" control-failed "refused outside sbx too ($control)"
elif [ "$RC" = 42 ] && [ "$(res addr-no-randomize)" = EPERM ] && [ "$(res read-implies-exec)" = EPERM ] &&
	[ "$(res query)" = OK ]; then
	tap_ok "$desc"
else
	show "personality"
	tap_fail "$desc"
fi

# 460 lsm_set_self_attr and 467 open_tree_attr (x86_64) are newer than the
# deny-list and reach the kernel today; 1000 is no syscall at all. A filter
# that allows only what it knows answers ENOSYS, and kills nobody.
capture as_user "$D" nosys 460 467 1000
control=$OUT
capture sbx run -- "$D" nosys 460 467 1000
desc="syscalls the filter does not list (460, 467, 1000) answer ENOSYS, the process lives"
if [ "$(uname -m)" != x86_64 ]; then
	tap_skip "$desc" not-x86_64 "the syscall numbers are x86_64's"
elif [ "$RC" = 42 ] && [ "$(res nr-460)" = ENOSYS ] && [ "$(res nr-467)" = ENOSYS ] && [ "$(res nr-1000)" = ENOSYS ]; then
	tap_ok "$desc (outside: $(tr '\n' ' ' <<<"$control"))"
else
	show "nosys"
	tap_diag "outside sbx: $control"
	tap_fail "$desc"
fi

# ---- 6. the SOCKS5 reply names the host's outbound address (item 6) -------
# Last: it needs the fake internet. BND.ADDR/BND.PORT of a CONNECT reply must
# be 0.0.0.0:0, not the proxy's outbound socket.
cat >"$W/cwd/socks5.py" <<'PY'
import socket, sys
s = socket.create_connection(("10.255.255.1", 3128), timeout=8)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
host = sys.argv[1].encode()
s.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host + (80).to_bytes(2, "big"))
r = b""
while len(r) < 10:
    d = s.recv(10 - len(r))
    if not d:
        break
    r += d
rest = b""
if len(r) == 10 and r[1] == 0:
    if r[3] == 4:
        r += s.recv(12)
    s.sendall(b"GET /" + sys.argv[2].encode() + b" HTTP/1.0\r\nHost: " + host + b"\r\n\r\n")
    rest = s.recv(200)
print("reply", r.hex())
print("tunnel", rest.split(b"\r\n")[0].decode("latin-1"))
PY
chmod 0644 "$W/cwd/socks5.py"
desc="allowlist: SOCKS5 CONNECT reply carries BND.ADDR 0.0.0.0, BND.PORT 0"
if ! world_up; then
	tap_skip "$desc" control-failed "fake internet unavailable: $WORLD_ERR"
else
	al_run --allow www.test -- "$PY" "$W/cwd/socks5.py" www.test "deputy-$RANDOM"
	reply=$(sed -n 's/^reply //p' <<<"$OUT")
	if [ "${reply:0:4}" != 0500 ] || ! grep -q '^tunnel HTTP/1.[01] 200' <<<"$OUT"; then
		show "socks5"
		tap_skip "$desc" control-failed "the CONNECT to www.test did not succeed ($reply)"
	elif [ "$reply" = 05000001000000000000 ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc: reply $reply reveals the proxy's outbound address/port"
	fi
	world_down
fi

tap_done
