#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-open-unix: in open posture sbx performs connect() itself, from the host's
# side. It must resolve unix socket paths inside the sandbox's root (a host
# socket hidden by the private /tmp must stay unreachable; a socket the
# payload made in its /tmp must work), and refuse abstract sockets, which
# live in the host's network namespace. Each attack has a control without sbx.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 8
PYX=/usr/bin/python3
cat >"$W/cwd/unixc.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
addr = sys.argv[1]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
try:
    s.connect(addr)
    s.sendall(b"hello")
    print("connected", s.recv(16).decode())
except OSError as e:
    print("error", e.errno)
PY
cat >"$W/.t/unixd.py" <<'PY'
import socket, sys, os
addr = sys.argv[1]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(addr); s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.recv(16); c.sendall(b"pong"); c.close()
PY
cp "$W/.t/unixd.py" "$W/cwd/unixd.py"
chmod 0644 "$W/cwd/unixc.py" "$W/.t/unixd.py" "$W/cwd/unixd.py"

# A host socket at a path the sandbox's private /tmp hides.
hostsock=/tmp/sbx-open-unix-$$.sock
abstract=@sbx-open-abstract-$$
as_user "$PYX" "$W/.t/unixd.py" "$hostsock" >"$W/.t/u1.out" 2>&1 &
bg_track $!
as_user "$PYX" "$W/.t/unixd.py" "$abstract" >"$W/.t/u2.out" 2>&1 &
bg_track $!
for _ in $(seq 50); do grep -q ready "$W/.t/u1.out" 2>/dev/null && grep -q ready "$W/.t/u2.out" 2>/dev/null && break; sleep 0.1; done
trap 'rm -f "$hostsock"; _lib_cleanup' EXIT

capture as_user "$PYX" "$W/cwd/unixc.py" "$hostsock"
control_path=$OUT
capture sbx run --network=open -- "$PYX" "$W/cwd/unixc.py" "$hostsock"
if [ "$control_path" != "connected pong" ]; then
	tap_skip "host unix socket hidden by the private /tmp" control-failed "could not connect: $control_path"
elif [ "$RC" = 0 ] && [[ "$OUT" == "error 2" ]]; then
	tap_ok "a host unix socket under the hidden /tmp stays unreachable (ENOENT; control: $control_path)"
else
	show; tap_fail "host unix socket reached through sbx's connect: $OUT"
fi

capture sbx run --network=open -- sh -c "$PYX '$W/cwd/unixd.py' /tmp/inner.sock >/tmp/d.out 2>&1 & for i in \$(seq 50); do grep -q ready /tmp/d.out 2>/dev/null && break; sleep 0.1; done; $PYX '$W/cwd/unixc.py' /tmp/inner.sock"
if [ "$RC" = 0 ] && [ "$OUT" = "connected pong" ]; then
	tap_ok "a unix socket the payload made in its own /tmp works"
else
	show; tap_fail "sandbox-internal unix socket: $OUT"
fi

capture as_user "$PYX" "$W/cwd/unixc.py" "$abstract"
control_abs=$OUT
capture sbx run --network=open -- "$PYX" "$W/cwd/unixc.py" "$abstract"
if [ "$control_abs" != "connected pong" ]; then
	tap_skip "host abstract unix socket refused" control-failed "could not connect: $control_abs"
elif [ "$RC" = 0 ] && [[ "$OUT" == error* ]]; then
	tap_ok "a host abstract unix socket is refused in open posture ($OUT; control: $control_abs)"
else
	show; tap_fail "host abstract socket reached: $OUT"
fi

# sendmsg() is performed by sbx in open posture: descriptors passed with
# SCM_RIGHTS must arrive as the payload's own (translated), with their data.
cat >"$W/cwd/fdpass.py" <<'PY'
import os, socket
a, b = socket.socketpair()
fd = os.open("/etc/hostname", os.O_RDONLY)
socket.send_fds(a, [b"x"], [fd])
msg, fds, flags, addr = socket.recv_fds(b, 16, 4)
print("received", msg.decode(), len(fds), os.read(fds[0], 100).decode().strip() if fds else "-")
PY
chmod 0644 "$W/cwd/fdpass.py"
capture as_user "$PYX" "$W/cwd/fdpass.py"
control_fd=$OUT
capture sbx run --network=open -- "$PYX" "$W/cwd/fdpass.py"
want="received x 1 $(cat /etc/hostname 2>/dev/null)"
if [[ "$control_fd" != "received x 1 "* ]]; then
	tap_skip "SCM_RIGHTS through sendmsg in open posture" control-failed "$control_fd"
elif [ "$RC" = 0 ] && [ "$OUT" = "$want" ]; then
	tap_ok "SCM_RIGHTS descriptors pass through sbx's sendmsg ($OUT)"
else
	show; tap_fail "SCM_RIGHTS through sendmsg: got '$OUT', want '$want'"
fi

# Blocked posture: abstract sockets belong to the sandbox's own network namespace.
capture sbx run -- "$PYX" "$W/cwd/unixc.py" "$abstract"
if [ "$RC" = 0 ] && [[ "$OUT" == error* ]]; then
	tap_ok "blocked posture: host abstract sockets are in another network namespace ($OUT)"
else
	show; tap_fail "blocked posture reached a host abstract socket: $OUT"
fi
# bind() is performed by sbx (src/deputy/bind.c): a relative path lands in the
# working directory the payload sees (and so on the host), port 0 works, and
# a port below ip_unprivileged_port_start answers EACCES as it does for the
# payload alone (control: the test user outside sbx).
cat >"$W/cwd/bindp.py" <<'PY'
import socket, sys, os
kind = sys.argv[1]
try:
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("rel.sock")
        print("bound", os.path.exists("rel.sock"))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", int(sys.argv[2])))
        print("bound", s.getsockname()[1] != 0)
except OSError as e:
    print("error", e.errno)
PY
chmod 0644 "$W/cwd/bindp.py"
rm -f "$W/cwd/rel.sock"
capture sbx run --network=open -- "$PYX" "$W/cwd/bindp.py" unix
if [ "$RC" = 0 ] && [ "$OUT" = "bound True" ] && [ -S "$W/cwd/rel.sock" ]; then
	tap_ok "open posture: bind() to a relative unix path creates the socket in the working directory"
else
	show; tap_fail "relative unix bind in open posture: $OUT (host sees: $(ls -l "$W/cwd/rel.sock" 2>&1))"
fi
capture sbx run --network=open -- "$PYX" "$W/cwd/bindp.py" inet 0
if [ "$RC" = 0 ] && [ "$OUT" = "bound True" ]; then
	tap_ok "open posture: bind() to an inet port chosen by the kernel works"
else
	show; tap_fail "inet bind to port 0 in open posture: $OUT"
fi
capture as_user "$PYX" "$W/cwd/bindp.py" inet 81
control_priv=$OUT
capture sbx run --network=open -- "$PYX" "$W/cwd/bindp.py" inet 81
if [ "$control_priv" != "error 13" ]; then
	tap_skip "open posture: privileged port refused" low-unprivileged-port-start "the test user outside sbx got '$control_priv'"
elif [ "$OUT" = "error 13" ]; then
	tap_ok "open posture: bind() to port 81 answers EACCES, as to the payload alone (even when sbx runs as root)"
else
	show; tap_fail "privileged port in open posture: $OUT"
fi
tap_done
