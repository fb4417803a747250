#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""upstream.py - a small corporate-style upstream proxy for sbx's --upstream-proxy tests.

Runs in the world namespace of tests/world. One listener speaks HTTP CONNECT
and SOCKS5 (told apart by the first byte: 0x05 is SOCKS5), optionally
requires credentials, refuses some targets, resolves some names itself, and
relays bytes both ways. Python 3 standard library only.

Usage: upstream.py --listen ADDR:PORT [--listen ...] --log FILE --ready FILE
                   [--auth USER:PASS] [--deny HOST]... [--hosts NAME=ADDR]...
                   [--greet BYTES]

  --auth      HTTP: Proxy-Authorization Basic required (else 407); SOCKS5:
              method 0x02 required (else 0xff), wrong credentials: status 1
  --deny      a target (name or address as asked) answered 403 / SOCKS5 2
  --hosts     names this proxy resolves itself (sbx's host cannot)
  --greet     after the tunnel opens, the proxy sends these bytes to the
              client itself in the same segment as its reply (checks that
              sbx passes on bytes that follow the reply)

Log: one JSON object per request: proto, peer, target, port, user (the user
name the client gave, never the password), auth ("ok", "missing", "bad",
"none"), result ("tunnel", "refused-auth", "refused-target", "unreachable",
"bad-request").
"""
import argparse
import base64
import json
import select
import socket
import struct
import sys
import threading

A = None
LOCK = threading.Lock()


def log(**kw):
    with LOCK:
        with open(A.log, "a") as f:
            f.write(json.dumps(kw, sort_keys=True) + "\n")


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def resolve(host, port):
    for name, addr in A.hosts:
        if name == host:
            return addr
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]


def dial(host, port):
    addr = resolve(host, port)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((addr, port))
    s.settimeout(None)
    return s


def relay(a, b, first=b""):
    if first:
        b.sendall(first)
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                d = s.recv(65536)
                if not d:
                    return
                (b if s is a else a).sendall(d)
    except OSError:
        return


def http(c, peer, first):
    buf = first
    while b"\r\n\r\n" not in buf and len(buf) < 65536:
        d = c.recv(4096)
        if not d:
            return
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "CONNECT":
        log(proto="http", peer=peer, result="bad-request", line=lines[0][:200])
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        return
    target = parts[1]
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    user, auth = None, "none"
    if A.auth:
        cred = hdrs.get("proxy-authorization", "")
        auth = "missing"
        if cred.lower().startswith("basic "):
            try:
                dec = base64.b64decode(cred[6:]).decode()
            except Exception:
                dec = ""
            user = dec.partition(":")[0]
            auth = "ok" if dec == A.auth else "bad"
        if auth != "ok":
            log(proto="http", peer=peer, target=host, port=int(port), user=user, auth=auth, result="refused-auth")
            # The page quotes what the client sent: sbx must never pass it on.
            body = ("auth required; you sent: %s\n" % cred).encode()
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required (you sent %s)\r\n"
                      b"Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: %d\r\n\r\n%s"
                      % (cred.encode(), len(body), body))
            return
    if host in A.deny:
        log(proto="http", peer=peer, target=host, port=int(port), user=user, auth=auth, result="refused-target")
        c.sendall(b"HTTP/1.1 403 Forbidden by corporate policy\r\nContent-Length: 0\r\n\r\n")
        return
    try:
        u = dial(host, int(port))
    except OSError as e:
        log(proto="http", peer=peer, target=host, port=int(port), user=user, auth=auth, result="unreachable",
            error=str(e))
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        return
    log(proto="http", peer=peer, target=host, port=int(port), user=user, auth=auth, result="tunnel")
    c.sendall(b"HTTP/1.1 200 Connection established\r\nVia: 1.1 upstream.py\r\n\r\n" + A.greet)
    relay(c, u, rest)


def socks(c, peer, first):
    buf = first
    buf += recv_exact(c, 2 - len(buf)) if len(buf) < 2 else b""
    n = buf[1]
    buf += recv_exact(c, 2 + n - len(buf)) if len(buf) < 2 + n else b""
    methods = buf[2:2 + n]
    user, auth = None, "none"
    if A.auth:
        if 2 not in methods:
            log(proto="socks5", peer=peer, auth="missing", result="refused-auth")
            c.sendall(b"\x05\xff")
            return
        c.sendall(b"\x05\x02")
        ver, ul = recv_exact(c, 2)
        user = recv_exact(c, ul).decode("latin-1")
        pl = recv_exact(c, 1)[0]
        pw = recv_exact(c, pl).decode("latin-1")
        auth = "ok" if "%s:%s" % (user, pw) == A.auth else "bad"
        if auth != "ok":
            log(proto="socks5", peer=peer, user=user, auth=auth, result="refused-auth")
            c.sendall(b"\x01\x01")
            return
        c.sendall(b"\x01\x00")
    else:
        if 0 not in methods:
            c.sendall(b"\x05\xff")
            return
        c.sendall(b"\x05\x00")
    ver, cmd, _, atyp = recv_exact(c, 4)
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, recv_exact(c, 4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
    else:
        host = recv_exact(c, recv_exact(c, 1)[0]).decode("latin-1")
    port = struct.unpack("!H", recv_exact(c, 2))[0]
    fail = b"\x00\x01\x00\x00\x00\x00\x00\x00"
    if host in A.deny:
        log(proto="socks5", peer=peer, target=host, port=port, user=user, auth=auth, result="refused-target")
        c.sendall(b"\x05\x02" + fail)
        return
    try:
        u = dial(host, port)
    except OSError as e:
        log(proto="socks5", peer=peer, target=host, port=port, user=user, auth=auth, result="unreachable",
            error=str(e))
        c.sendall(b"\x05\x05" + fail)
        return
    log(proto="socks5", peer=peer, target=host, port=port, user=user, auth=auth, result="tunnel")
    c.sendall(b"\x05\x00\x00\x01\x0b\x0b\x00\x50\x0c\x38" + A.greet)
    relay(c, u)


def serve(c, peer):
    try:
        first = c.recv(1)
        if not first:
            return
        if first[0] == 5:
            socks(c, peer, first)
        else:
            http(c, peer, first)
    except (OSError, EOFError, ValueError, IndexError):
        pass
    finally:
        c.close()


def listener(spec):
    h, _, p = spec.rpartition(":")
    h = h.strip("[]")
    fam = socket.AF_INET6 if ":" in h else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # The world's addresses are whole prefixes routed to its lo (ip route add
    # local), not addresses of an interface: binding one needs FREEBIND.
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 15, 1)  # IP_FREEBIND
    else:
        s.setsockopt(socket.IPPROTO_IPV6, 78, 1)  # IPV6_FREEBIND
    s.bind((h, int(p)))
    s.listen(128)
    return s


def accept_loop(s):
    while True:
        c, a = s.accept()
        threading.Thread(target=serve, args=(c, a[0]), daemon=True).start()


def main():
    global A
    p = argparse.ArgumentParser()
    p.add_argument("--listen", action="append", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--auth")
    p.add_argument("--deny", action="append", default=[])
    p.add_argument("--hosts", action="append", default=[])
    p.add_argument("--greet", default="")
    A = p.parse_args()
    A.hosts = [tuple(h.split("=", 1)) for h in A.hosts]
    A.greet = A.greet.encode()
    socks_ = [listener(l) for l in A.listen]
    for s in socks_[1:]:
        threading.Thread(target=accept_loop, args=(s,), daemon=True).start()
    open(A.ready, "w").close()
    accept_loop(socks_[0])


if __name__ == "__main__":
    sys.exit(main())
