#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""sites.py - package registries and a code host in the fake internet, under their real names.

Python 3 standard library (and git, for the repository). The world's
HTTP(S) server (worldd.py http --sites ROOT) hands a request to serve() when
its Host header names a directory ROOT/HOST, so pypi.org, files.pythonhosted.org,
registry.npmjs.org and github.com answer as themselves (tests/world/world.sh
gives them addresses and puts them in the test CA's certificate).

Building (each subcommand writes under ROOT/HOST/ and prints what a test needs):
  pypi --root ROOT --name NAME --version V
      a pure-Python wheel (import name: NAME with "-" as "_", VALUE a string)
      at ROOT/files.pythonhosted.org/packages/xx/yy/<blake2b>/FILE, as PyPI
      lays files out, and the PEP 503 simple index on ROOT/pypi.org/simple/
      whose links are absolute https://files.pythonhosted.org/... URLs with
      #sha256=. Prints the wheel's URL path.
  npm --root ROOT --name NAME --version V --project DIR
      the tarball (package/package.json, package/index.js) and its packument
      on registry.npmjs.org (GET /NAME), and in DIR a package.json and a
      package-lock.json (lockfileVersion 3) pinning it by its sha512
      integrity, which is what `npm ci` reads. Prints the tarball's URL path.
  git --root ROOT --repo ORG/REPO
      a bare repository ROOT/github.com/ORG/REPO.git, branch main, one commit
      with README.md. Prints the commit.

Serving (serve()):
  - git's smart HTTP (GET .../info/refs?service=git-upload-pack, POST
    .../git-upload-pack) runs `git http-backend` as a CGI with
    GIT_PROJECT_ROOT=ROOT/HOST (clone only: receive-pack is refused), so
    https://github.com/ORG/REPO and .../REPO.git both clone.
  - anything else is a file: a directory serves its index.json or
    index.html (POST too: npm's audit endpoint is a file), a missing one is
    404. Index pages carry an ETag (a matching If-None-Match gets 304) and
    max-age=600; every other file is immutable for a year, as PyPI's and
    npm's files are, so a client's HTTP cache may answer for them.
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.parse
import zipfile

HOST_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
FIXED_TIME = "2026-01-01T00:00:00.000Z"


def site_dir(root, handler):
    """The site directory the request's Host names, or None."""
    host = handler.headers.get("Host", "").strip().lower()
    if host.startswith("["):
        return None
    host = host.split(":", 1)[0]
    if not HOST_RE.match(host) or ".." in host:
        return None
    d = os.path.join(root, host)
    return d if os.path.isdir(d) else None


def read_body(handler):
    """The request body (Content-Length or chunked), at most 64 MiB."""
    limit = 64 << 20
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            line = handler.rfile.readline(1024)
            n = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if n == 0:
                while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            if len(out) + n > limit:
                raise ValueError("request body too large")
            out += handler.rfile.read(n)
            handler.rfile.readline(1024)
    n = int(handler.headers.get("Content-Length", "0") or 0)
    if n > limit:
        raise ValueError("request body too large")
    return handler.rfile.read(n) if n > 0 else b""


def send(handler, code, body, headers=()):
    handler.send_response(code)
    for k, v in headers:
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def serve(root, handler):
    """Answer the request if its Host is a site under root; False if it is not."""
    d = site_dir(root, handler)
    if d is None:
        return False
    url = urllib.parse.urlsplit(handler.path)
    path = urllib.parse.unquote(url.path) or "/"
    body = read_body(handler) if handler.command == "POST" else b""
    if (path.endswith("/info/refs") and "service=git-upload-pack" in url.query) or \
            path.endswith("/git-upload-pack"):
        serve_git(d, handler, path, url.query, body)
        return True
    if path.endswith("/info/refs") or path.endswith("/git-receive-pack"):
        send(handler, 403, b"read-only\n", [("Content-Type", "text/plain")])
        return True
    rel = os.path.normpath(path).lstrip("/")
    full = os.path.join(d, rel)
    if rel.startswith("..") or os.path.islink(full):
        full = None
    elif os.path.isdir(full):
        for index in ("index.json", "index.html"):
            if os.path.isfile(os.path.join(full, index)):
                full = os.path.join(full, index)
                break
    if full is None or not os.path.isfile(full):
        send(handler, 404, b"not found\n", [("Content-Type", "text/plain")])
        return True
    with open(full, "rb") as f:
        data = f.read()
    base = os.path.basename(full)
    if base in ("index.json", "index.html"):
        ctype = "application/json" if base.endswith(".json") else "text/html"
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        hdrs = [("Content-Type", ctype), ("ETag", etag), ("Cache-Control", "max-age=600, public")]
        if handler.headers.get("If-None-Match", "") == etag and handler.command != "POST":
            send(handler, 304, b"", hdrs)
            return True
    else:
        hdrs = [("Content-Type", "application/octet-stream"),
                ("Cache-Control", "max-age=365000000, immutable, public")]
    send(handler, 200, data, hdrs)
    return True


def serve_git(d, handler, path, query, body):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": d,
        "GIT_PROJECT_ROOT": d,
        "GIT_HTTP_EXPORT_ALL": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        # The repository may belong to another uid of the fake host's user namespace.
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": handler.command,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REMOTE_ADDR": handler.client_address[0],
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
    }
    for h in ("Content-Encoding", "Git-Protocol", "Accept"):
        v = handler.headers.get(h)
        if v is not None:
            env["HTTP_" + h.upper().replace("-", "_")] = v
    try:
        p = subprocess.run(["git", "http-backend"], input=body, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        send(handler, 500, ("git http-backend: %s\n" % e).encode(), [("Content-Type", "text/plain")])
        return
    if p.stderr:
        sys.stderr.write("git http-backend %s: %s\n" % (path, p.stderr.decode("latin-1").strip()))
    out = p.stdout
    cut = [i for i in (out.find(b"\r\n\r\n"), out.find(b"\n\n")) if i >= 0]
    if not cut:
        send(handler, 502, b"git http-backend gave no headers\n", [("Content-Type", "text/plain")])
        return
    i = min(cut)
    head, data = out[:i], out[i + (4 if out[i:i + 4] == b"\r\n\r\n" else 2):]
    code, hdrs = 200, []
    for line in head.decode("latin-1").splitlines():
        k, _, v = line.partition(":")
        k, v = k.strip(), v.strip()
        if k.lower() == "status":
            code = int(v.split()[0])
        elif k and k.lower() not in ("content-length", "connection", "transfer-encoding"):
            hdrs.append((k, v))
    send(handler, code, data, hdrs)


# ---------------------------------------------------------------- building
def b64digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(name, ver, value):
    """A pure-Python wheel: (file name, bytes). The module is NAME with "-" as "_"."""
    dist = re.sub(r"[-_.]+", "_", name)
    mod = dist.lower()
    info = "%s-%s.dist-info" % (dist, ver)
    files = {
        "%s/__init__.py" % mod: "VALUE = %r\n" % value,
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: sbx test package\n"
                            % (name, ver),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: sbx-world\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ["%s,sha256=%s,%d" % (p, b64digest(t.encode()), len(t.encode())) for p, t in files.items()]
    record.append(info + "/RECORD,,")
    files[info + "/RECORD"] = "\n".join(record) + "\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p, t in files.items():
            z.writestr(zipfile.ZipInfo(p, date_time=(2026, 1, 1, 0, 0, 0)), t)
    return "%s-%s-py3-none-any.whl" % (dist, ver), buf.getvalue()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def cmd_pypi(a):
    fname, data = build_wheel(a.name, a.version, "hello from the fake pypi.org " + a.version)
    h = hashlib.blake2b(data, digest_size=32).hexdigest()
    rel = "packages/%s/%s/%s/%s" % (h[:2], h[2:4], h[4:], fname)
    write(os.path.join(a.root, "files.pythonhosted.org", rel), data)
    norm = re.sub(r"[-_.]+", "-", a.name).lower()
    simple = os.path.join(a.root, "pypi.org", "simple")
    write(os.path.join(simple, "index.html"),
          '<!DOCTYPE html>\n<html><body>\n<a href="/simple/%s/">%s</a>\n</body></html>\n' % (norm, a.name))
    write(os.path.join(simple, norm, "index.html"),
          '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"></head><body>\n'
          '<h1>Links for %s</h1>\n<a href="https://files.pythonhosted.org/%s#sha256=%s">%s</a>\n'
          '</body></html>\n' % (norm, rel, hashlib.sha256(data).hexdigest(), fname))
    print("/" + rel)


def tar_gz(members):
    """A gzip'd tar of {path: text}, with fixed owners and times (npm pack's shape)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p, text in members.items():
            b = text.encode()
            ti = tarfile.TarInfo(p)
            ti.size, ti.mode, ti.mtime = len(b), 0o644, 499162500
            t.addfile(ti, io.BytesIO(b))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(raw.getvalue())
    return out.getvalue()


def cmd_npm(a):
    name, ver = a.name, a.version
    manifest = {"name": name, "version": ver, "main": "index.js", "license": "Apache-2.0"}
    tgz = tar_gz({
        "package/package.json": json.dumps(manifest, indent=2) + "\n",
        "package/index.js": "module.exports = %s;\n" % json.dumps("hello from the fake npm registry " + ver),
    })
    base = name.split("/")[-1]
    rel = "%s/-/%s-%s.tgz" % (name, base, ver)
    url = "https://registry.npmjs.org/" + rel
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    reg = os.path.join(a.root, "registry.npmjs.org")
    write(os.path.join(reg, rel), tgz)
    version = dict(manifest, _id="%s@%s" % (name, ver),
                   dist={"tarball": url, "integrity": integrity, "shasum": hashlib.sha1(tgz).hexdigest()})
    packument = {"_id": name, "name": name, "dist-tags": {"latest": ver}, "versions": {ver: version},
                 "time": {"created": FIXED_TIME, "modified": FIXED_TIME, ver: FIXED_TIME},
                 "modified": FIXED_TIME}
    write(os.path.join(reg, name, "index.json"), json.dumps(packument, indent=1) + "\n")
    # npm ci ends with an audit (POST /-/npm/v1/security/advisories/bulk): no advisories.
    write(os.path.join(reg, "-", "npm", "v1", "security", "advisories", "bulk", "index.json"), "{}\n")
    app = {"name": "headline-app", "version": "1.0.0", "private": True, "dependencies": {name: "^" + ver}}
    lock = {"name": app["name"], "version": app["version"], "lockfileVersion": 3, "requires": True,
            "packages": {
                "": {"name": app["name"], "version": app["version"], "dependencies": app["dependencies"]},
                "node_modules/" + name: {"version": ver, "resolved": url, "integrity": integrity,
                                         "license": "Apache-2.0"}}}
    write(os.path.join(a.project, "package.json"), json.dumps(app, indent=2) + "\n")
    write(os.path.join(a.project, "package-lock.json"), json.dumps(lock, indent=2) + "\n")
    print("/" + rel)


def cmd_git(a):
    org, repo = a.repo.split("/")
    bare = os.path.join(a.root, "github.com", org, repo + ".git")
    work = bare + ".work"
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_AUTHOR_NAME="sbx world", GIT_AUTHOR_EMAIL="world@sbx.test",
               GIT_COMMITTER_NAME="sbx world", GIT_COMMITTER_EMAIL="world@sbx.test",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")

    def git(*args, cwd=None):
        return subprocess.run(["git", "-c", "init.defaultBranch=main"] + list(args), cwd=cwd, env=env,
                              check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout.decode()

    os.makedirs(work)
    write(os.path.join(work, "README.md"), "hello from the fake github.com %s/%s\n" % (org, repo))
    git("init", "-q", work)
    git("add", "README.md", cwd=work)
    git("commit", "-q", "-m", "first", cwd=work)
    git("clone", "-q", "--bare", work, bare)
    commit = git("rev-parse", "HEAD", cwd=work).strip()
    subprocess.run(["rm", "-rf", work], check=True)
    print(commit)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for n in ("pypi", "npm", "git"):
        s = sub.add_parser(n)
        s.add_argument("--root", required=True)
        if n == "git":
            s.add_argument("--repo", required=True)
        else:
            s.add_argument("--name", required=True)
            s.add_argument("--version", required=True)
        if n == "npm":
            s.add_argument("--project", required=True)
    a = p.parse_args()
    {"pypi": cmd_pypi, "npm": cmd_npm, "git": cmd_git}[a.cmd](a)


if __name__ == "__main__":
    main()
