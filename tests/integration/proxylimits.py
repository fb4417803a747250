# SPDX-License-Identifier: Apache-2.0
# Runs inside `sbx run --network=allowlist`: exercises the proxy's limits against the gateway.
# Prints one "name = result" line per check; the TAP script judges them.
import socket, sys, time

GW = ("10.255.255.1", 3128)

def conn():
    s = socket.create_connection(GW, timeout=5)
    return s

def read_all(s, limit=65536):
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data

def status(data):
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return line.split(" ")[1] if line.startswith("HTTP/") else ("closed" if not data else "?" + line[:20])

mode = sys.argv[1]
if mode == "oversized":
    s = conn()
    s.sendall(b"CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\nX-Pad: " + b"a" * 20000 + b"\r\n\r\n")
    print("oversized =", status(read_all(s)))
elif mode == "slowloris":
    # One client sends a byte and stalls; meanwhile another request is answered at once.
    slow = conn()
    slow.sendall(b"C")
    t0 = time.monotonic()
    fast = conn()
    fast.sendall(b"CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n")
    r = status(read_all(fast))
    print("fast =", r, "%.0fms" % ((time.monotonic() - t0) * 1000))
    slow.settimeout(8)
    r = status(read_all(slow))
    print("slow =", r, "%.1fs" % (time.monotonic() - t0))
elif mode == "maxconns":
    held = []
    for _ in range(2):
        s = conn()
        s.sendall(b"C")  # accepted (data arrived), head incomplete: holds a slot
        held.append(s)
    time.sleep(0.3)
    extra = conn()
    extra.sendall(b"CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n")
    extra.settimeout(3)
    print("third =", status(read_all(extra)))
    for s in held:
        s.close()
    time.sleep(0.3)
    again = conn()
    again.sendall(b"CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n")
    print("after =", status(read_all(again)))
elif mode == "garbage":
    s = conn()
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40)
    print("tls-hello =", status(read_all(s)))
    s = conn()
    s.sendall(b"GET /local HTTP/1.1\r\nHost: x\r\n\r\n")
    print("origin-form =", status(read_all(s)))
    s = conn()
    s.sendall(b"GET http://a.test/ HTTP/1.1\r\nHost: b.test\r\n\r\n")
    print("host-mismatch =", status(read_all(s)))
    s = conn()
    s.sendall(b"POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
    print("smuggling =", status(read_all(s)))
