#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""worldd.py - the servers of the fake internet used by sbx's allowlist tests.

Python 3 standard library only. Subcommands (each runs until killed):
  http  --tag T --log F --ready F --listen ADDR:PORT... [--tls CERT,KEY]
        [--tls-listen ADDR:PORT...] [--root DIR] [--sites DIR]
        HTTP/1.1 (and HTTPS) server; one JSON line per request in F with
        the local address, the peer, the request line and the Host header.
        With --sites, a request whose Host names a directory DIR/HOST is
        served by sites.py (registries and a code host under their real
        names). With --root, GET of an existing file under DIR serves it (the
        package index); otherwise a short body naming the server.
  raw   --tag T --log F --ready F --tcp ADDR:PORT... --udp ADDR:PORT...
        logs every TCP connection (first bytes) and UDP datagram.
  dns   --zone F --log F --ready F --listen ADDR:PORT...
        scripted hostile DNS server, UDP and TCP (see zone format below).
  wheel --out DIR --name NAME --version V
        builds a pure-Python wheel with zipfile and a PEP 503 index:
        DIR/simple/index.html, DIR/simple/NAME/index.html, DIR/packages/*.whl

Zone file (JSON): {"names": {NAME: ENTRY}, "wild": {SUFFIX: ENTRY}}
  ENTRY: {"A": [addr...], "AAAA": [addr...]}        static records
         {"seq": {"A": [[...], [...]], "AAAA": [...]}}   the k-th query of a
             type for this exact name gets element min(k, len-1): records
             that change between queries (rebinding)
         {"silent": true}                             never answered
  "wild" matches any name ending in "." + SUFFIX (each distinct name keeps
  its own query counter). Unknown names get NXDOMAIN. TTL is always 0.
"""
import argparse
import hashlib
import base64
import http.server
import ipaddress
import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import zipfile

import sites as sites_mod

_log_lock = threading.Lock()


def log_line(f, obj):
    obj["t"] = round(time.time(), 3)
    with _log_lock:
        f.write(json.dumps(obj, sort_keys=True) + "\n")
        f.flush()


def split_addr(s):
    host, _, port = s.rpartition(":")
    host = host.strip("[]")
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return fam, host, int(port)


def bound_socket(spec, kind):
    fam, host, port = split_addr(spec)
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, port))
    return s


# UDP replies must leave from the address the query was sent to: world
# addresses are "local" routes on lo, so a socket bound to the wildcard
# would otherwise answer from fw0's own address and resolvers drop that.
IP_PKTINFO, IPV6_RECVPKTINFO, IPV6_PKTINFO, IPV6_FREEBIND = 8, 49, 50, 78


def udp_socket(spec):
    s = bound_socket(spec, socket.SOCK_DGRAM)
    if s.family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        # IPv6 checks the pktinfo source against assigned addresses; world
        # addresses are a local route, so allow any (IPV6_FREEBIND).
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
    return s


def udp_recv(s):
    """Return (data, peer, local address)."""
    data, anc, _, peer = s.recvmsg(65535, 256)
    local = s.getsockname()[0]
    for level, typ, cdata in anc:
        if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
            local = socket.inet_ntop(socket.AF_INET, cdata[8:12])
        elif level == socket.IPPROTO_IPV6 and typ == IPV6_PKTINFO:
            local = socket.inet_ntop(socket.AF_INET6, cdata[:16])
    return data, peer, local


def udp_reply(s, data, peer, local):
    if s.family == socket.AF_INET:
        anc = struct.pack("=i4s4s", 0, socket.inet_pton(socket.AF_INET, local), b"\0" * 4)
        s.sendmsg([data], [(socket.IPPROTO_IP, IP_PKTINFO, anc)], 0, peer)
    else:
        anc = socket.inet_pton(socket.AF_INET6, local) + struct.pack("=i", 0)
        s.sendmsg([data], [(socket.IPPROTO_IPV6, IPV6_PKTINFO, anc)], 0, peer)


def ready(path):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(path + ".tmp", path)


def serve_forever_threads(targets):
    for fn, args in targets:
        threading.Thread(target=fn, args=args, daemon=True).start()
    threading.Event().wait()


# ---------------------------------------------------------------- http
def make_handler(tag, logf, root, tls, sites=None):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "world/1"
        timeout = 10

        def log_message(self, *a):
            pass

        def _log(self):
            local = self.connection.getsockname()
            log_line(logf, {"srv": tag, "tls": tls, "local": local[0], "lport": local[1],
                            "peer": self.client_address[0], "line": self.requestline,
                            "host": self.headers.get("Host", "")})

        def _send(self, code, body, ctype="text/plain"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            self._log()
            if sites and sites_mod.serve(sites, self):
                return
            self._generic()

        def _generic(self):
            path = self.path.split("?", 1)[0]
            if path.startswith("http://") or path.startswith("https://"):
                path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
            if root:
                rel = os.path.normpath(path).lstrip("/")
                full = os.path.join(root, rel)
                if os.path.isdir(full):
                    full = os.path.join(full, "index.html")
                if not rel.startswith("..") and os.path.isfile(full):
                    with open(full, "rb") as f:
                        data = f.read()
                    ctype = "text/html" if full.endswith(".html") else "application/octet-stream"
                    return self._send(200, data, ctype)
            local = self.connection.getsockname()
            body = ("world srv=%s local=%s port=%d tls=%d path=%s host=%s\n" % (
                tag, local[0], local[1], tls, self.path, self.headers.get("Host", ""))).encode()
            self._send(200, body)

        do_HEAD = do_GET

        def do_POST(self):
            self._log()
            if sites and sites_mod.serve(sites, self):
                return
            n = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(min(n, 1 << 20))
            self._generic()

    return H


class TServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sock, handler, ctx=None):
        socketserver.BaseServer.__init__(self, sock.getsockname(), handler)
        self.socket = sock
        self.ctx = ctx
        self.socket.listen(128)

    def server_bind(self):
        pass

    def get_request(self):
        c, a = self.socket.accept()
        if self.ctx is not None:
            c.settimeout(10)
            try:
                c = self.ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError):
                c.close()
                raise
        return c, a

    def handle_error(self, request, client_address):
        pass


def cmd_http(a):
    logf = open(a.log, "a")
    servers = []
    for spec in a.listen:
        s = bound_socket(spec, socket.SOCK_STREAM)
        servers.append(TServer(s, make_handler(a.tag, logf, a.root, False, a.sites)))
    if a.tls:
        cert, key = a.tls.split(",")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        for spec in a.tls_listen:
            s = bound_socket(spec, socket.SOCK_STREAM)
            servers.append(TServer(s, make_handler(a.tag, logf, a.root, True, a.sites), ctx))
    ready(a.ready)
    serve_forever_threads([(srv.serve_forever, ()) for srv in servers])


# ---------------------------------------------------------------- raw
def cmd_raw(a):
    logf = open(a.log, "a")

    def tcp(s):
        s.listen(64)
        while True:
            c, peer = s.accept()
            threading.Thread(target=tcp_one, args=(s, c, peer), daemon=True).start()

    def tcp_one(s, c, peer):
        c.settimeout(1)
        try:
            data = c.recv(512)
        except OSError:
            data = b""
        local = c.getsockname()
        log_line(logf, {"srv": a.tag, "proto": "tcp", "local": local[0], "lport": local[1],
                        "peer": peer[0], "data": data.decode("latin-1")})
        try:
            c.sendall(b"pong\n")
        except OSError:
            pass
        c.close()

    def udp(s):
        while True:
            data, peer, local = udp_recv(s)
            log_line(logf, {"srv": a.tag, "proto": "udp", "local": local, "lport": s.getsockname()[1],
                            "peer": peer[0], "data": data.decode("latin-1")})
            udp_reply(s, b"pong", peer, local)

    targets = [(tcp, (bound_socket(x, socket.SOCK_STREAM),)) for x in a.tcp]
    targets += [(udp, (udp_socket(x),)) for x in a.udp]
    ready(a.ready)
    serve_forever_threads(targets)


# ---------------------------------------------------------------- dns
QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 16: "TXT", 33: "SRV", 64: "SVCB", 65: "HTTPS",
          2: "NS", 6: "SOA", 12: "PTR", 255: "ANY"}


def parse_query(msg):
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd < 1 or flags & 0x8000:
        return None
    labels, i = [], 12
    while True:
        if i >= len(msg):
            return None
        n = msg[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0 or i + n > len(msg):
            return None
        labels.append(msg[i:i + n].decode("latin-1"))
        i += n
    if i + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[i:i + 4])
    return qid, flags, ".".join(labels), qtype, qclass, msg[12:i + 4]


class Zone:
    def __init__(self, path):
        with open(path) as f:
            z = json.load(f)
        self.names = {k.lower(): v for k, v in z.get("names", {}).items()}
        self.wild = {k.lower(): v for k, v in z.get("wild", {}).items()}
        self.count = {}
        self.lock = threading.Lock()

    def lookup(self, name):
        name = name.lower().rstrip(".")
        if name in self.names:
            return self.names[name]
        best = None
        for suf, ent in self.wild.items():
            if name.endswith("." + suf) and (best is None or len(suf) > len(best[0])):
                best = (suf, ent)
        return best[1] if best else None

    def answer(self, name, qtype):
        """Return (rcode, [addresses]) or None for silence."""
        ent = self.lookup(name)
        if ent is None:
            return 3, []
        if ent.get("silent"):
            return None
        tname = QTYPES.get(qtype, "")
        if "seq" in ent:
            seq = ent["seq"].get(tname)
            if not seq:
                return 0, []
            with self.lock:
                key = (name.lower().rstrip("."), tname)
                k = self.count.get(key, 0)
                self.count[key] = k + 1
            return 0, list(seq[min(k, len(seq) - 1)])
        return 0, list(ent.get(tname, []))


def build_reply(q, rcode, addrs):
    qid, flags, name, qtype, qclass, question = q
    rflags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | rcode  # QR, opcode+RD, AA, RA
    rrs = b""
    n = 0
    for ad in addrs:
        ip = ipaddress.ip_address(ad)
        t = 1 if ip.version == 4 else 28
        rrs += struct.pack("!HHHIH", 0xC00C, t, 1, 0, len(ip.packed)) + ip.packed
        n += 1
    return struct.pack("!HHHHHH", qid, rflags, 1, n, 0, 0) + question + rrs


def cmd_dns(a):
    logf = open(a.log, "a")
    zone = Zone(a.zone)

    def handle(msg, peer, proto):
        q = parse_query(msg)
        if q is None:
            log_line(logf, {"proto": proto, "peer": peer, "name": None, "bad": len(msg)})
            return None
        name, qtype = q[2], q[3]
        res = zone.answer(name, qtype)
        log_line(logf, {"proto": proto, "peer": peer, "name": name.lower(),
                        "type": QTYPES.get(qtype, str(qtype)),
                        "rcode": None if res is None else res[0],
                        "answers": [] if res is None else res[1]})
        if res is None:
            return None
        return build_reply(q, res[0], res[1])

    def udp(s):
        while True:
            msg, peer, local = udp_recv(s)
            r = handle(msg, peer[0], "udp")
            if r is not None:
                udp_reply(s, r, peer, local)

    def tcp(s):
        s.listen(64)
        while True:
            c, peer = s.accept()
            threading.Thread(target=tcp_one, args=(c, peer), daemon=True).start()

    def tcp_one(c, peer):
        c.settimeout(10)
        try:
            while True:
                hdr = c.recv(2, socket.MSG_WAITALL)
                if len(hdr) < 2:
                    break
                n = struct.unpack("!H", hdr)[0]
                msg = c.recv(n, socket.MSG_WAITALL)
                r = handle(msg, peer[0], "tcp")
                if r is None:
                    time.sleep(10)
                    break
                c.sendall(struct.pack("!H", len(r)) + r)
        except OSError:
            pass
        c.close()

    targets = []
    for spec in a.listen:
        targets.append((udp, (udp_socket(spec),)))
        targets.append((tcp, (bound_socket(spec, socket.SOCK_STREAM),)))
    ready(a.ready)
    serve_forever_threads(targets)


# ---------------------------------------------------------------- wheel
def cmd_wheel(a):
    name, ver = a.name, a.version
    dist = "%s-%s.dist-info" % (name, ver)
    files = {
        "%s/__init__.py" % name: "VALUE = %r\n" % ("hello from the fake index " + ver),
        dist + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: sbx test package\n" % (name, ver),
        dist + "/WHEEL": "Wheel-Version: 1.0\nGenerator: sbx-worldd\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(data)))
    record.append(dist + "/RECORD,,")
    files[dist + "/RECORD"] = "\n".join(record) + "\n"
    os.makedirs(os.path.join(a.out, "packages"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "simple", name), exist_ok=True)
    whl = "%s-%s-py3-none-any.whl" % (name, ver)
    wpath = os.path.join(a.out, "packages", whl)
    with zipfile.ZipFile(wpath, "w", zipfile.ZIP_DEFLATED) as z:
        for path, text in files.items():
            z.writestr(path, text)
    with open(wpath, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(a.out, "simple", "index.html"), "w") as f:
        f.write('<!DOCTYPE html>\n<html><body>\n<a href="%s/">%s</a>\n</body></html>\n' % (name, name))
    with open(os.path.join(a.out, "simple", name, "index.html"), "w") as f:
        f.write('<!DOCTYPE html>\n<html><body>\n<a href="../../packages/%s#sha256=%s">%s</a>\n'
                '</body></html>\n' % (whl, sha, whl))
    print(wpath)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("http")
    h.add_argument("--tag", required=True)
    h.add_argument("--log", required=True)
    h.add_argument("--ready", required=True)
    h.add_argument("--listen", action="append", default=[])
    h.add_argument("--tls")
    h.add_argument("--tls-listen", action="append", default=[])
    h.add_argument("--root")
    h.add_argument("--sites")
    r = sub.add_parser("raw")
    r.add_argument("--tag", required=True)
    r.add_argument("--log", required=True)
    r.add_argument("--ready", required=True)
    r.add_argument("--tcp", action="append", default=[])
    r.add_argument("--udp", action="append", default=[])
    d = sub.add_parser("dns")
    d.add_argument("--zone", required=True)
    d.add_argument("--log", required=True)
    d.add_argument("--ready", required=True)
    d.add_argument("--listen", action="append", default=[])
    w = sub.add_parser("wheel")
    w.add_argument("--out", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--version", required=True)
    a = p.parse_args()
    {"http": cmd_http, "raw": cmd_raw, "dns": cmd_dns, "wheel": cmd_wheel}[a.cmd](a)


if __name__ == "__main__":
    main()
