#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""netclient.py - a scripted network client for sbx's allowlist tests.

Runs inside the sandbox (or on the fake host as a control). Python 3
standard library only; speaks every protocol byte by byte so the tests
control exact spellings (curl would normalise 0x7f.1 before sending it).

Usage: netclient.py [--proxy HOST:PORT] [--dns ADDR] [--timeout S] OP...
Each OP is one argument, fields separated by spaces, the first field an id:
  "ID connect HOST PORT TOKEN"    HTTP CONNECT HOST:PORT, then GET /TOKEN in
                                  the tunnel (plain HTTP)
  "ID connect-tls HOST PORT"      CONNECT only, report the status
  "ID get HOST PORT TOKEN [HOSTHDR]"  absolute-form GET http://HOST:PORT/TOKEN
  "ID socks HOST PORT TOKEN ATYP" SOCKS5 CONNECT (ATYP domain|ipv4|ipv6),
                                  then GET /TOKEN in the tunnel
  "ID socks-cmd CMD"              SOCKS5 with command bind|udp to 11.11.0.10:80
  "ID socks4 HOST PORT"           a SOCKS4(a) request
  "ID dns NAME TYPE [tcp]"        query the DNS stub
  "ID dns-tcp-batch NAME 0|1"     A and AAAA in one TCP write (1: then half-close);
                                  class answered-N
  "ID tcp HOST PORT TOKEN"        plain TCP connect, send TOKEN
  "ID udp HOST PORT TOKEN"        connected UDP socket, send TOKEN, wait 0.5 s
  "ID scan HOST PORTSPEC"         TCP connect to every port (1-1024,3128,...)
  "ID direct HOST PORT TOKEN"     plain HTTP GET /TOKEN straight to HOST
  "ID hold proxy|direct HOST PORT TOKEN"  a kept-alive HTTP connection: one
                                  GET, "READY" on stdout, a line from stdin,
                                  a second GET; class open or closed
One line per OP on stdout: ID <TAB> CLASS <TAB> JSON details. CLASS is
  allowed        the world answered through the proxy (status 200)
  denied         HTTP 403 with X-Sbx-Denied / SOCKS5 reply 2
  http-N / socks-N  any other proxy answer
  rcode-N        DNS answer code (answers in JSON)
  connected      raw connect succeeded
  errno-NAME     a socket error (ENETUNREACH, ECONNREFUSED, ...)
  timeout        nothing within --timeout
"""
import errno
import ipaddress
import json
import os
import random
import select
import socket
import struct
import sys
import time

PROXY = ("10.255.255.1", 3128)
DNS = "10.255.255.1"
TIMEOUT = 5.0


def ename(e):
    return "errno-" + errno.errorcode.get(e, str(e))


def fam_of(host):
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


def dial(host, port, timeout=None):
    s = socket.socket(fam_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout or TIMEOUT)
    s.connect((host, port))
    return s


def read_head(s, limit=65536):
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        d = s.recv(4096)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1"), rest


def read_all(s, rest=b"", limit=65536):
    buf = rest
    try:
        while len(buf) < limit:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except socket.timeout:
        pass
    return buf


def parse_head(head):
    lines = head.split("\r\n")
    status = 0
    parts = lines[0].split(" ", 2) if lines and lines[0] else []
    if len(parts) >= 2 and parts[1].isdigit():
        status = int(parts[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, lines[0] if lines else ""


def authority(host, port):
    h = host
    if ":" in host and not host.startswith("["):
        h = "[" + host + "]"
    return "%s:%s" % (h, port)


def classify_http(status, hdrs, world_ok):
    if status == 403 and "x-sbx-denied" in hdrs:
        return "denied"
    if status == 200 and world_ok:
        return "allowed"
    return "http-%d" % status


def tunnel_get(s, host, token):
    s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (token, host)).encode())
    head, rest = read_head(s)
    st, _, first = parse_head(head)
    body = read_all(s, rest, 4096).decode("latin-1")
    return st, first, body


def op_connect(host, port, token=None):
    s = dial(*PROXY)
    a = authority(host, port)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a, a)).encode())
    head, rest = read_head(s)
    st, hdrs, first = parse_head(head)
    d = {"status": st, "first": first, "denied_hdr": hdrs.get("x-sbx-denied")}
    if st != 200:
        d["body"] = read_all(s, rest, 4096).decode("latin-1")[:600]
        return classify_http(st, hdrs, False), d
    if token is None:
        return "allowed", d
    tst, tfirst, tbody = tunnel_get(s, host, token)
    d.update(tunnel_status=tst, tunnel_body=tbody[:300])
    return ("allowed" if tst == 200 and "world" in tbody else "tunnel-%d" % tst), d


def op_get(host, port, token, hosthdr=None):
    s = dial(*PROXY)
    a = authority(host, port)
    req = "GET http://%s/%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (a, token, hosthdr or a)
    s.sendall(req.encode())
    head, rest = read_head(s)
    st, hdrs, first = parse_head(head)
    body = read_all(s, rest, 8192).decode("latin-1")
    d = {"status": st, "first": first, "denied_hdr": hdrs.get("x-sbx-denied"), "body": body[:600]}
    return classify_http(st, hdrs, "world" in body), d


def socks_hello(s):
    s.sendall(b"\x05\x01\x00")
    r = s.recv(2)
    return r


def socks_addr(host, atyp):
    if atyp == "domain":
        b = host.encode()
        return b"\x03" + bytes([len(b)]) + b
    if atyp == "ipv4":
        return b"\x01" + socket.inet_pton(socket.AF_INET, host)
    return b"\x04" + socket.inet_pton(socket.AF_INET6, host.strip("[]"))


def socks_reply(s):
    r = b""
    while len(r) < 4:
        d = s.recv(4 - len(r))
        if not d:
            break
        r += d
    if len(r) < 2:
        return None, r
    # Drain the bound address.
    if len(r) == 4:
        n = {1: 6, 4: 18}.get(r[3])
        if r[3] == 3:
            n = s.recv(1)[0] + 2
        if n:
            s.recv(n)
    return r[1], r


def op_socks(host, port, token, atyp):
    s = dial(*PROXY)
    h = socks_hello(s)
    if h != b"\x05\x00":
        return "socks-hello-" + h.hex(), {"hello": h.hex()}
    s.sendall(b"\x05\x01\x00" + socks_addr(host, atyp) + struct.pack("!H", int(port)))
    code, raw = socks_reply(s)
    d = {"reply": raw.hex()}
    if code is None:
        return "socks-closed", d
    if code != 0:
        return ("denied" if code == 2 else "socks-%d" % code), d
    tst, tfirst, tbody = tunnel_get(s, host, token)
    d.update(tunnel_status=tst, tunnel_body=tbody[:300])
    return ("allowed" if tst == 200 and "world" in tbody else "tunnel-%d" % tst), d


def op_socks_cmd(cmd):
    s = dial(*PROXY)
    if socks_hello(s) != b"\x05\x00":
        return "socks-hello", {}
    c = {"bind": 2, "udp": 3}[cmd]
    s.sendall(bytes([5, c, 0]) + socks_addr("11.11.0.10", "ipv4") + struct.pack("!H", 80))
    code, raw = socks_reply(s)
    return ("socks-closed" if code is None else "socks-%d" % code), {"reply": raw.hex()}


def op_socks4(host, port):
    s = dial(*PROXY)
    s.sendall(b"\x04\x01" + struct.pack("!H", int(port)) + b"\x00\x00\x00\x01" + b"u\x00" + host.encode() + b"\x00")
    try:
        r = s.recv(8)
    except socket.timeout:
        return "timeout", {}
    if not r:
        return "closed", {}
    if len(r) >= 2 and r[0] == 0 and r[1] == 0x5A:
        return "socks4-granted", {"reply": r.hex()}
    return "socks4-refused", {"reply": r.hex()}


def dns_message(name, qtype):
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for lab in name.rstrip(".").split("."):
        b = lab.encode()
        q += bytes([len(b)]) + b
    q += b"\x00" + struct.pack("!HH", {"A": 1, "AAAA": 28}[qtype], 1)
    return qid, q


def op_dns_tcp_batch(name, halfclose):
    """A and AAAA in one write on one TCP connection (as glibc's use-vc does),
    optionally half-closed at once; class answered-N for N answers read."""
    s = socket.socket(fam_of(DNS), socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect((DNS, 53))
    data = b""
    for qt in ("A", "AAAA"):
        q = dns_message(name, qt)[1]
        data += struct.pack("!H", len(q)) + q
    s.sendall(data)
    if halfclose == "1":
        s.shutdown(socket.SHUT_WR)
    got = 0
    try:
        for _ in range(2):
            h = s.recv(2, socket.MSG_WAITALL)
            if len(h) < 2:
                break
            n = struct.unpack("!H", h)[0]
            if len(s.recv(n, socket.MSG_WAITALL)) < n:
                break
            got += 1
    except socket.timeout:
        return "timeout", {"answers": got}
    return "answered-%d" % got, {}


def dns_query(name, qtype, tcp=False, server=None):
    server = server or DNS
    qid, q = dns_message(name, qtype)
    fam = fam_of(server)
    if tcp:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect((server, 53))
        s.sendall(struct.pack("!H", len(q)) + q)
        n = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
        r = s.recv(n, socket.MSG_WAITALL)
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(TIMEOUT)
        s.connect((server, 53))
        s.send(q)
        while True:
            r = s.recv(4096)
            if len(r) >= 2 and struct.unpack("!H", r[:2])[0] == qid:
                break
    flags, qd, an = struct.unpack("!HHH", r[2:8])
    i = 12
    for _ in range(qd):
        while r[i] != 0:
            if r[i] & 0xC0:
                i += 1
                break
            i += r[i] + 1
        i += 5
    answers = []
    for _ in range(an):
        if r[i] & 0xC0:
            i += 2
        else:
            while r[i] != 0:
                i += r[i] + 1
            i += 1
        t, _, _, ln = struct.unpack("!HHIH", r[i:i + 10])
        i += 10
        data = r[i:i + ln]
        i += ln
        if t == 1 and ln == 4:
            answers.append(socket.inet_ntop(socket.AF_INET, data))
        elif t == 28 and ln == 16:
            answers.append(socket.inet_ntop(socket.AF_INET6, data))
        else:
            answers.append("type%d" % t)
    return flags & 0xF, answers


def op_dns(name, qtype, proto="udp"):
    rc, ans = dns_query(name, qtype, proto == "tcp")
    return "rcode-%d" % rc, {"answers": ans}


def op_tcp(host, port, token):
    t0 = time.monotonic()
    s = socket.socket(fam_of(host), socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host.strip("[]"), int(port)))
    except socket.timeout:
        return "timeout", {"ms": int((time.monotonic() - t0) * 1000)}
    except OSError as e:
        return ename(e.errno), {"ms": int((time.monotonic() - t0) * 1000)}
    s.sendall(token.encode() + b"\n")
    return "connected", {"ms": int((time.monotonic() - t0) * 1000)}


def op_udp(host, port, token):
    t0 = time.monotonic()
    s = socket.socket(fam_of(host), socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.connect((host.strip("[]"), int(port)))
        s.send(token.encode())
        r = s.recv(512)
        return "connected", {"reply": r.decode("latin-1"), "ms": int((time.monotonic() - t0) * 1000)}
    except socket.timeout:
        return "timeout", {}
    except OSError as e:
        return ename(e.errno), {"ms": int((time.monotonic() - t0) * 1000)}


def parse_ports(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def op_scan(host, spec):
    ports = parse_ports(spec)
    fam = fam_of(host)
    open_ports, errs, pending = [], {}, {}
    todo = list(ports)
    deadline = time.monotonic() + 10
    while (todo or pending) and time.monotonic() < deadline:
        while todo and len(pending) < 200:
            p = todo.pop(0)
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setblocking(False)
            e = s.connect_ex((host, p))
            if e == 0:
                open_ports.append(p)
                s.close()
            elif e in (errno.EINPROGRESS, errno.EAGAIN):
                pending[s] = p
            else:
                errs[ename(e)] = errs.get(ename(e), 0) + 1
                s.close()
        if not pending:
            continue
        _, w, _ = select.select([], list(pending), [], 0.5)
        for s in w:
            p = pending.pop(s)
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e == 0:
                open_ports.append(p)
            else:
                errs[ename(e)] = errs.get(ename(e), 0) + 1
            s.close()
    d = {"open": sorted(open_ports), "errors": errs, "unanswered": sorted(pending.values()) + todo}
    return "scanned", d


def op_direct(host, port, token):
    s = dial(host.strip("[]"), int(port))
    st, first, body = tunnel_get(s, host, token)
    return ("allowed" if st == 200 else "http-%d" % st), {"body": body[:300]}


def keepalive_get(s, host, token):
    """One GET on a kept-alive connection; returns the status (0: nothing came back)."""
    s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (token, host)).encode())
    head, rest = read_head(s)
    st, hdrs, _ = parse_head(head)
    need = int(hdrs.get("content-length", "0") or 0) - len(rest)
    while need > 0:
        d = s.recv(need)
        if not d:
            return 0
        need -= len(d)
    return st


def op_hold(how, host, port, token):
    """A connection that stays open: one request, READY on stdout, wait for a
    line on stdin (the test changes the policy meanwhile), then a second
    request on the same connection: "open" if it is answered, "closed" if
    the connection was shut (end of stream, reset, broken pipe)."""
    port = int(port)
    if how == "proxy":
        s = dial(*PROXY)
        a = authority(host, port)
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a, a)).encode())
        head, _ = read_head(s)
        if parse_head(head)[0] != 200:
            return "denied", {"first": head[:200]}
    else:
        s = dial(host.strip("[]"), port)
    first = keepalive_get(s, host, token + "-1")
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    sys.stdin.readline()
    try:
        second = keepalive_get(s, host, token + "-2")
    except OSError as e:
        return "closed", {"first": first, "errno": errno.errorcode.get(e.errno, str(e.errno))}
    return ("open" if second == 200 else "closed"), {"first": first, "second": second}


OPS = {"connect": lambda h, p, t: op_connect(h, p, t), "hold": op_hold, "dns-tcp-batch": op_dns_tcp_batch, "connect-tls": lambda h, p: op_connect(h, p),
       "get": op_get, "socks": op_socks, "socks-cmd": op_socks_cmd, "socks4": op_socks4,
       "dns": op_dns, "tcp": op_tcp, "udp": op_udp, "scan": op_scan, "direct": op_direct}


def main():
    global PROXY, DNS, TIMEOUT
    argv, args = sys.argv[1:], []
    while argv:
        if not argv[0].startswith("--"):
            args.append(argv.pop(0))
            continue
        opt, val = argv[0], argv[1]
        argv = argv[2:]
        if opt == "--proxy":
            h, _, p = val.rpartition(":")
            PROXY = (h.strip("[]"), int(p))
        elif opt == "--dns":
            DNS = val
        elif opt == "--timeout":
            TIMEOUT = float(val)
    for spec in args:
        f = spec.split(" ")
        if len(f) < 2 or f[1] not in OPS:
            sys.stdout.write("%s\tbad-op\t{}\n" % f[0])
            continue
        oid, name, rest = f[0], f[1], f[2:]
        t0 = time.monotonic()
        try:
            cls, d = OPS[name](*rest)
        except socket.timeout:
            cls, d = "timeout", {}
        except OSError as e:
            cls, d = ename(e.errno) if e.errno else "error", {"error": str(e)}
        except Exception as e:  # a protocol surprise is a result, not a crash
            cls, d = "error", {"error": repr(e)}
        d["op"] = spec
        d["ms"] = d.get("ms", int((time.monotonic() - t0) * 1000))
        sys.stdout.write("%s\t%s\t%s\n" % (oid, cls, json.dumps(d, sort_keys=True)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
