#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-network-blocked: in the default (blocked) posture the payload has its
# own loopback (127.0.0.1 and ::1 work inside) and cannot reach the host's
# loopback services over TCP or UDP, IPv4 or IPv6. Traffic never leaves
# 127.0.0.0/8 and ::1.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 8

# A TCP+UDP echo server on the host's 127.0.0.1 and ::1, same random port;
# it logs every connection and datagram it sees.
cat >"$W/.t/server.py" <<'PY'
import socket, sys, threading, os
log = open(sys.argv[1], "a", buffering=1)
portfile = sys.argv[2]
have6 = socket.has_ipv6
for attempt in range(50):
    socks = []
    try:
        t4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t4.bind(("127.0.0.1", 0)); socks.append(t4)
        port = t4.getsockname()[1]
        u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.bind(("127.0.0.1", port)); socks.append(u4)
        v6 = []
        try:
            t6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            t6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            t6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t6.bind(("::1", port))
            u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            u6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            u6.bind(("::1", port))
            v6 = [t6, u6]
        except OSError as e:
            if e.errno == 98:
                raise
            have6 = False
        socks += v6
        break
    except OSError:
        for s in socks: s.close()
else:
    sys.exit("no free port")

def tcp(s, fam):
    s.listen(16)
    while True:
        c, a = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(256).decode(errors="replace").strip()
        except Exception:
            data = ""
        log.write("tcp %s %s %s\n" % (fam, a[0], data))
        try: c.sendall(b"pong\n")
        except Exception: pass
        c.close()

def udp(s, fam):
    while True:
        data, a = s.recvfrom(256)
        log.write("udp %s %s %s\n" % (fam, a[0], data.decode(errors="replace")))
        s.sendto(b"pong", a)

ts = []
for s in socks:
    fam = "v4" if s.family == socket.AF_INET else "v6"
    fn = tcp if s.type == socket.SOCK_STREAM else udp
    t = threading.Thread(target=fn, args=(s, fam), daemon=True); t.start(); ts.append(t)
with open(portfile + ".tmp", "w") as f:
    f.write("%d %d\n" % (port, 1 if have6 else 0))
os.rename(portfile + ".tmp", portfile)
threading.Event().wait()
PY

: >"$W/.t/server.log"
"$PY" "$W/.t/server.py" "$W/.t/server.log" "$W/.t/port" 2>"$W/.t/server.err" &
bg_track $!
for _ in $(seq 100); do
	[ -s "$W/.t/port" ] && break
	sleep 0.05
done
if [ ! -s "$W/.t/port" ]; then
	echo "Bail out! helper server did not start: $(cat "$W/.t/server.err")"
	exit 1
fi
read -r PORT HAVE6 <"$W/.t/port"
tap_diag "host server on 127.0.0.1 and ::1 port $PORT (ipv6: $HAVE6)"

seen() { grep -qF -- "$1" "$W/.t/server.log"; }

# attack PROTO ADDR: control then sandbox, each with a unique token.
attack() {
	local proto=$1 addr=$2 tok_c="ctl-$1-$2-$RANDOM" tok_s="sbx-$1-$2-$RANDOM" sub
	[ "$proto" = tcp ] && sub=tcp-connect || sub=udp-send
	local desc="$proto to host $addr:$PORT unreachable from blocked posture"
	if [ "$addr" = ::1 ] && [ "$HAVE6" != 1 ]; then
		tap_skip "$desc" no-ipv6 "the host server could not listen on ::1"
		return
	fi
	capture as_user "$P" $sub "$addr" "$PORT" "$tok_c"
	tap_diag "control: $OUT (rc $RC)"
	if [ "$RC" != 0 ] || ! seen "$tok_c"; then
		tap_skip "$desc" control-failed "host server not reachable without sbx"
		return
	fi
	capture sbx run --network=blocked -- "$P" $sub "$addr" "$PORT" "$tok_s"
	sleep 0.2
	if [ "$RC" = 1 ] && ! seen "$tok_s"; then
		tap_ok "$desc ($(result_of "$sub $addr $PORT"))"
	else
		show "sandbox"
		seen "$tok_s" && tap_diag "server saw the sandbox's token $tok_s"
		tap_fail "$desc"
	fi
}

attack tcp 127.0.0.1
attack tcp ::1
attack udp 127.0.0.1
attack udp ::1
# Default posture is blocked too.
tok="sbx-default-$RANDOM"
capture sbx run -- "$P" tcp-connect 127.0.0.1 "$PORT" "$tok"
sleep 0.2
if [ "$RC" = 1 ] && ! seen "$tok"; then
	tap_ok "default posture (no --network) cannot reach host 127.0.0.1"
else
	show; tap_fail "default posture reached the host loopback"
fi

# The payload's own loopback works, on both address families.
capture sbx run -- "$P" tcp-selftest 127.0.0.1
if [ "$RC" = 0 ]; then tap_ok "sandbox loopback 127.0.0.1 works"; else show; tap_fail "sandbox 127.0.0.1"; fi
capture sbx run -- "$P" tcp-selftest ::1
if [ "$RC" = 0 ]; then tap_ok "sandbox loopback ::1 works"; else show; tap_fail "sandbox ::1"; fi

# Only lo exists in the sandbox's network namespace.
capture sbx run -- /bin/cat /proc/net/dev
ifs=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$OUT" | sort | tr '\n' ' ')
if [ "$RC" = 0 ] && [ "$ifs" = "lo " ]; then
	tap_ok "only lo in the sandbox"
else
	show; tap_fail "interfaces in the sandbox: $ifs"
fi

tap_diag "server log:"
tap_diag "$(cat "$W/.t/server.log")"
tap_done
