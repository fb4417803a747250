# SPDX-License-Identifier: Apache-2.0
# loopsink.py LOG PORTFILE [ADDR...]: a TCP listener and a UDP receiver on one
# free port of each loopback address (default 127.0.0.1 and ::1). Each
# accepted connection or datagram appends "tcp ADDR" or "udp ADDR" to LOG;
# the port is written to PORTFILE once every socket is bound. Used by the
# integration tests as the host's loopback service an attack must not reach.
import os
import socket
import sys
import threading

log = open(sys.argv[1], "a", buffering=1)
addrs = sys.argv[3:] or ["127.0.0.1", "::1"]
for attempt in range(50):
    socks = []
    try:
        port = 0
        for a in addrs:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                t.setsockopt(socket.IPPROTO_TCP, 23, 16)  # TCP_FASTOPEN
            except OSError:
                pass
            t.bind((a, port))
            port = t.getsockname()[1]
            t.listen(512)
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.bind((a, port))
            socks += [t, u]
        break
    except OSError:
        for s in socks:
            s.close()
else:
    sys.exit("no free port")


def tcp(s):
    while True:
        c, _ = s.accept()
        log.write("tcp %s\n" % s.getsockname()[0])
        c.close()


def udp(s):
    while True:
        s.recvfrom(256)
        log.write("udp %s\n" % s.getsockname()[0])


for s in socks:
    threading.Thread(target=tcp if s.type == socket.SOCK_STREAM else udp, args=(s,), daemon=True).start()
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
threading.Event().wait()
