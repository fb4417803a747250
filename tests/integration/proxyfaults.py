# SPDX-License-Identifier: Apache-2.0
# proxyfaults.py - both ends of t-proxy-faults: destinations that misbehave
# (run in the fake internet's world namespace) and the clients that reach
# them through sbx's proxy (run inside `sbx run --network=allowlist`).
#
#   serve LOG              servers on 0.0.0.0 of the world, until killed:
#     7001 halfclose  sends "hello\n", half-closes (SHUT_WR) and never reads;
#                     a tiny receive window and MSS, so the proxy soon holds
#                     bytes it cannot send
#     7002 reset      reads a request head, sends 20000 bytes of a longer
#                     response, then resets the connection (SO_LINGER 0)
#     7003 echo       echoes until the peer closes
#     7004 watch      reads until EOF or an error; logs "7004 TOKEN eof" or
#                     "7004 TOKEN reset" to LOG (TOKEN: the first word read)
#     7005 sendclose  sends until the proxy stops reading (feed()), then
#                     closes; logs "7005 closed sent N unacked N"
#   spin DIR               CONNECT to :7001, read to EOF, send until the proxy
#                          holds bytes for the destination, close, touch
#                          DIR/closed, wait for DIR/go
#   spin-down DIR          CONNECT to :7005 with a tiny window, half-close,
#                          read nothing until DIR/go, then read to the end
#   reset MODE [HOST PORT] fetch from :7002 (MODE connect, socks, http, or
#                          direct: no proxy, the control) and print
#                          "MODE = reset|eof|error-ERRNO BYTES"
#   client-reset MODE TOKEN  connect to :7004 (MODE connect or direct), send,
#                          then reset the connection
#   flood DIR              run sbx out of descriptors with tunnels to :7003
#                          (see flood())
import errno
import fcntl
import os
import select
import socket
import struct
import sys
import termios
import threading
import time

GW = ("10.255.255.1", 3128)
DEST = "11.11.0.10"
RESET_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
RESET_SENT = 20000


# ---------------------------------------------------------------- servers
def listener(port, rcvbuf=0, mss=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.bind(("0.0.0.0", port))
    s.listen(128)
    return s


def read_head(c, limit=65536):
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    return buf


def serve(logpath):
    held = []
    lock = threading.Lock()

    def log(line):
        with lock, open(logpath, "a") as f:
            f.write(line + "\n")

    def halfclose(c):
        c.sendall(b"hello\n")
        c.shutdown(socket.SHUT_WR)
        held.append(c)  # never read, never closed

    def reset(c):
        c.settimeout(10)
        read_head(c)
        c.sendall(RESET_HEAD + b"x" * (RESET_SENT - len(RESET_HEAD)))
        time.sleep(0.5)  # the bytes reach the client first: a truncated download
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()

    def echo(c):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    def watch(c):
        c.settimeout(30)
        token = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                token = token or d.split()[0]
            how = "eof"
        except ConnectionResetError:
            how = "reset"
        except OSError as e:
            how = errno.errorcode.get(e.errno, str(e.errno))
        log("7004 %s %s" % (token.decode(errors="replace"), how))
        c.close()

    def sendclose(c):
        # The mirror of halfclose: send what the client will not read until
        # the proxy stops reading (it holds bytes for the client), then close.
        sent = feed(c, b"z")
        log("7005 closed sent %d unacked %d" % (sent, outq(c)))
        c.close()

    def loop(s, fn):
        while True:
            c, _ = s.accept()
            threading.Thread(target=fn, args=(c,), daemon=True).start()

    kinds = [(listener(7001, rcvbuf=1, mss=536), halfclose), (listener(7002), reset), (listener(7003), echo),
             (listener(7004), watch), (listener(7005), sendclose)]
    for s, fn in kinds:
        threading.Thread(target=loop, args=(s, fn), daemon=True).start()
    log("ready")
    threading.Event().wait()


# ---------------------------------------------------------------- clients
def proxy_connect(host, port, timeout=10):
    s = socket.create_connection(GW, timeout=timeout)
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port, host.encode(), port))
    head = read_head(s)
    status = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "none"
    return s, status, head.partition(b"\r\n\r\n")[2], head


def socks_connect(host, port, timeout=10):
    s = socket.create_connection(GW, timeout=timeout)
    s.sendall(b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        raise OSError("socks greeting refused")
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(host) + struct.pack("!H", port))
    rep = b""
    while len(rep) < 10:
        d = s.recv(10 - len(rep))
        if not d:
            break
        rep += d
    if len(rep) < 2 or rep[1] != 0:
        raise OSError("socks reply %r" % rep[:2])
    return s


def outq(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def right_edge(s):
    """The right edge of the peer's receive window: bytes acked + window (tcp_info)."""
    ti = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    return struct.unpack_from("Q", ti, 120)[0] + struct.unpack_from("I", ti, 228)[0]


def feed(s, byte, limit=4 << 20):
    """Send 8 KiB at a time, each acked before the next, until the proxy stops reading.

    A reader that keeps up moves the right edge of its window on by what we
    sent; one that stopped (sbx's proxy, once it keeps bytes its destination
    will not take) leaves it where it is, give or take the little the kernel
    still grants (it never shrinks a window it offered).
    Stopping there leaves room in the window, so nothing stays queued on our
    side and our FIN goes out when we close. Return: the bytes sent.
    """
    sent, still, edge = 0, 0, right_edge(s)
    while sent < limit and still < 2:
        s.sendall(byte * 8192)
        sent += 8192
        end = time.monotonic() + 2
        while outq(s) and time.monotonic() < end:
            time.sleep(0.005)
        if outq(s):
            break  # the window is full: the FIN would wait behind these bytes
        time.sleep(0.05)  # time for the proxy to read, if it still does
        e = right_edge(s)
        still = still + 1 if e - edge < 4096 else 0  # the kernel may still grant a little
        edge = e
    return sent


def wait_file(path, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end and not os.path.exists(path):
        time.sleep(0.05)


def spin_down(d):
    # A client that half-closes at once and never reads, with a tiny window:
    # the proxy soon holds bytes it cannot send it.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    s.settimeout(10)
    s.connect(GW)
    s.sendall(b"CONNECT %s:7005 HTTP/1.1\r\nHost: %s:7005\r\n\r\n" % (DEST.encode(), DEST.encode()))
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b:
            break
        head += b
    s.shutdown(socket.SHUT_WR)
    print("spin-down-connect =", head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "none")
    sys.stdout.flush()
    wait_file(os.path.join(d, "go"), 60)
    # What reached us while the test watched; the rest was the proxy's.
    print("spin-down-queued =", struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0])
    got, how = 0, "eof"
    s.settimeout(10)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
    except socket.timeout:
        how = "timeout"
    except OSError as e:
        how = errno.errorcode.get(e.errno or 0, "error")
    print("spin-down-got =", got, how)
    s.close()


def spin(d):
    s, status, rest, _ = proxy_connect(DEST, 7001)
    got = rest
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    print("spin-connect =", status, got.decode(errors="replace").strip())
    # The destination reads nothing: the proxy soon keeps what it cannot send,
    # and stops reading from us.
    sent = feed(s, b"y")
    print("spin-sent =", sent, "unacked", outq(s))
    sys.stdout.flush()
    s.close()
    open(os.path.join(d, "closed"), "w").close()
    wait_file(os.path.join(d, "go"), 60)


def fetch_reset(mode, host=DEST, port=7002):
    req = b"GET /big HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port)
    got = 0
    try:
        if mode == "connect":
            s, status, rest, _ = proxy_connect(host, port)
            if status != "200":
                return "proxy-%s" % status, 0
            got = len(rest)
            s.sendall(req)
        elif mode == "socks":
            s = socks_connect(host, port)
            s.sendall(req)
        elif mode == "http":
            s = socket.create_connection(GW, timeout=10)
            s.sendall(b"GET http://%s:%d/big HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port, host.encode(),
                                                                                  port))
        else:
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(req)
        while True:
            b = s.recv(65536)
            if not b:
                return "eof", got
            got += len(b)
    except ConnectionResetError:
        return "reset", got
    except OSError as e:
        return "error-" + errno.errorcode.get(e.errno or 0, str(e)), got


def client_reset(mode, token):
    if mode == "direct":
        s, status = socket.create_connection((DEST, 7004), timeout=10), "direct"
    else:
        s, status, _, _ = proxy_connect(DEST, 7004)
    s.sendall(token.encode() + b" some bytes, then a reset\n")
    time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("client-reset =", status)
    time.sleep(1)


def flood(d):
    """Run sbx's descriptors out (it runs with a low RLIMIT_NOFILE).

    P0, a request head never finished, holds one descriptor; tunnels to :7003
    hold two each, until a request gets no tunnel: a 503 (one descriptor
    was left: the accept took it, the upstream socket found none) or no
    answer at all (none left: it waits in the backlog). Then one more
    unfinished head P1 after a 503, so the last descriptor is taken, and X,
    a CONNECT that waits in the backlog. flooded: sbx has no descriptor
    and a client waiting (the test measures its CPU time); go: P1 closes, so
    X is accepted with no descriptor left for its upstream socket: a 503.
    Then DNS over TCP in the same state (P2, D; dnsflooded, go2), and a new
    client once everything closed.
    """
    def partial():
        s = socket.create_connection(GW, timeout=10)
        s.sendall(b"C")
        time.sleep(0.2)
        return s

    def connect_req(s):
        s.sendall(b"CONNECT %s:7003 HTTP/1.1\r\nHost: %s:7003\r\n\r\n" % (DEST.encode(), DEST.encode()))

    def answer(s, timeout):
        s.settimeout(timeout)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                b = s.recv(4096)
                if not b:
                    break
                data += b
            if data.startswith(b"HTTP/1.1 5"):
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
        except socket.timeout:
            pass
        except OSError as e:
            data += b"[" + errno.errorcode.get(e.errno or 0, "?").encode() + b"]"
        return data

    def status(data):
        return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else ("none" if not data else "?")

    def show(name, data):
        body = data.partition(b"\r\n\r\n")[2].decode(errors="replace").strip().replace("\n", " | ")
        print("%s = %s %s" % (name, status(data), body))

    tunnels, p1, x, first = [], None, None, b""
    p0 = partial()
    for _ in range(100):
        s = socket.create_connection(GW, timeout=10)
        connect_req(s)
        data = answer(s, 1.5)
        if status(data) == "200":
            tunnels.append(s)
            continue
        first = data
        if status(data) == "none":
            x, p1 = s, p0
        else:
            s.close()
        break
    print("tunnels =", len(tunnels))
    if first:
        show("first", first)
    if x is None:
        p1 = partial()
        x = socket.create_connection(GW, timeout=10)
        connect_req(x)
        show("waiting", answer(x, 1.0))
    sys.stdout.flush()
    open(os.path.join(d, "flooded"), "w").close()
    wait_file(os.path.join(d, "go"), 60)
    p1.close()
    show("exhausted", answer(x, 5))
    x.close()

    # DNS over TCP with no descriptor left: waits, then is served.
    p2 = partial()
    q = struct.pack("!HHHHHH", 0x5bd5, 0x0100, 1, 0, 0, 0) + b"\x03www\x04test\x00" + struct.pack("!HH", 1, 1)
    dq = socket.create_connection((GW[0], 53), timeout=10)
    dq.sendall(struct.pack("!H", len(q)) + q)
    open(os.path.join(d, "dnsflooded"), "w").close()
    wait_file(os.path.join(d, "go2"), 60)
    print("dns-before =", "answered" if select.select([dq], [], [], 0)[0] else "waiting")
    p2.close()
    dq.settimeout(5)
    try:
        r = dq.recv(512)
        print("dns-after = rcode", r[5] & 0xF if len(r) > 5 else "short")
    except OSError as e:
        print("dns-after =", type(e).__name__)
    dq.close()

    # Everything closed: a new client is served again.
    for s in tunnels:
        s.close()
    p0.close()
    time.sleep(0.5)
    s = socket.create_connection(GW, timeout=10)
    connect_req(s)
    data = answer(s, 5)
    echo = b""
    if status(data) == "200":
        s.sendall(b"ping\n")
        try:
            echo = s.recv(64)
        except OSError:
            pass
    print("after =", status(data), echo.decode(errors="replace").strip())


def main():
    mode = sys.argv[1]
    if mode == "serve":
        serve(sys.argv[2])
    elif mode == "spin":
        spin(sys.argv[2])
    elif mode == "reset":
        host = sys.argv[3] if len(sys.argv) > 3 else DEST
        port = int(sys.argv[4]) if len(sys.argv) > 4 else 7002
        r, n = fetch_reset(sys.argv[2], host, port)
        print("%s = %s %d" % (sys.argv[2], r, n))
    elif mode == "client-reset":
        client_reset(sys.argv[2], sys.argv[3])
    elif mode == "spin-down":
        spin_down(sys.argv[2])
    elif mode == "flood":
        flood(sys.argv[2])


if __name__ == "__main__":
    main()
