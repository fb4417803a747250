#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-seccomp-allowlist: the seccomp policy is an allow-list (seccomp/policy.def).
# Ordinary payloads still do real work inside `sbx run --network=blocked`,
# and what the list leaves out fails softly: ENOSYS, the process survives.
#
# Every payload runs the same script twice, in fresh directories: first
# without sbx as the test user (the positive control), then in the sandbox
# from its cwd. A payload whose tool is missing, or whose control fails, is
# SKIPped, never passed. .ci/run installs the tools (scripts/install-deps.sh
# --test: git, make, nodejs, python3-venv, xz-utils, ...).
# shellcheck disable=SC2016 # the payload scripts below are single-quoted: they expand when they run
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 15

CAPTURE_TIMEOUT=${CAPTURE_TIMEOUT:-180}

# payload DIR DESC "TOOL..." SCRIPT: write SCRIPT (bash, run with -e from its
# own directory DIR, HOME there too) and check it prints "payload ok" outside
# and inside the sandbox.
payload() {
	local slug=$1 name=$2 tools=$3 script=$4 t ctl=$W/outside/$1 dir=$W/cwd/$1
	for t in $tools; do
		if ! command -v "$t" >/dev/null; then
			tap_skip "$name" "tool-missing:$t"
			return
		fi
	done
	mkdir -p "$ctl/home" "$dir/home"
	for t in "$ctl" "$dir"; do
		printf 'cd "$(dirname "$0")"\nexport HOME=$PWD/home\n%s\n' "$script" >"$t/payload.sh"
	done
	[ "$IS_ROOT" = 1 ] && chown -R "$TESTUID:$TESTGID" "$ctl" "$dir"
	capture as_user /bin/bash -e "$ctl/payload.sh"
	if [ "$RC" != 0 ] || ! grep -qx 'payload ok' <<<"$OUT"; then
		show "$name: control without sbx"
		tap_skip "$name" control-failed "fails without sbx too"
		return
	fi
	capture sbx run --network=blocked -- /bin/bash -e "$slug/payload.sh"
	if [ "$RC" = 0 ] && grep -qx 'payload ok' <<<"$OUT"; then
		tap_ok "$name"
	else
		show "$name"
		tap_fail "$name"
	fi
}

payload shells "bash, dash, coreutils, find/xargs" "bash dash find xargs sha256sum mkfifo" '
dash -c '\''x=$(echo sub | tr a-z A-Z); [ "$x" = SUB ]; i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; [ $i = 3 ]'\''
bash -c '\''f() { echo "$1" | sed s/a/b/; }; [ "$(f a)" = b ]; (sleep 0.01 &) ; wait; trap "" INT; read -r -t 0.01 x </dev/null || true'\''
seq 1 100 >n; [ "$(sort -rn n | head -n 1)" = 100 ]
cp n m; mv m k; ln -s k l; [ "$(readlink l)" = k ]; chmod 600 k; touch -d @0 k; [ "$(stat -c %Y k)" = 0 ]
mkdir -p d/e; rmdir d/e d; mkfifo ff; rm ff; truncate -s 10 k; install -m 644 k k2; split -l 50 n part.
du -s . >/dev/null; df . >/dev/null; sha256sum n >/dev/null; timeout 5 sleep 0.01; date >/dev/null
id -u >/dev/null; nproc >/dev/null; uname -a >/dev/null; ls -la >/dev/null; nice true; env >/dev/null
[ "$(find . -name n -print0 | xargs -0 -n 1 wc -l)" = "100 ./n" ]
echo "payload ok"'

payload cc "C: gcc/cc compile, ld links, the binary runs (with a thread)" "gcc cc ld" '
cat >hello.c <<EOF
#include <pthread.h>
#include <stdio.h>
static void *run(void *arg) { return arg; }
int main(void) { pthread_t t; void *r; pthread_create(&t, NULL, run, "world"); pthread_join(t, &r); printf("hello %s\n", (char *)r); return 0; }
EOF
gcc -O2 -pthread -o hello hello.c
[ "$(./hello)" = "hello world" ]
cc -c hello.c -o hello.o; cc -pthread hello.o -o hello2; ./hello2 >/dev/null
echo "payload ok"'

payload make "make -j2 builds a C program and pattern targets" "make cc" '
printf "int main(void) { return 0; }\n" >main.c
printf "all: prog out.txt\nprog: main.c\n\t\$(CC) -o \$@ \$<\nout.txt: a.part b.part\n\tcat \$^ >\$@\n%%.part:\n\techo \$* >\$@\n" >Makefile
make -s -j2
./prog; [ "$(cat out.txt)" = "$(printf "a\nb")" ]
echo "payload ok"'

payload python "python3: threads, subprocess, multiprocessing (fork/spawn/forkserver), asyncio, loopback socket, sqlite" "python3" '
python3 -c '\''
import asyncio, concurrent.futures, multiprocessing, socket, sqlite3, subprocess, threading
out = []
ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
assert sorted(out) == [i * i for i in range(8)], out
assert subprocess.run(["echo", "sub"], capture_output=True, text=True).stdout == "sub\n"
for method in ("fork", "spawn", "forkserver"):
    with multiprocessing.get_context(method).Pool(2) as pool:
        assert pool.map(abs, [-1, -2, -3]) == [1, 2, 3], method
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    assert list(ex.map(abs, [-4])) == [4]
async def main():
    await asyncio.sleep(0.01)
    p = await asyncio.create_subprocess_exec("true")
    return await p.wait()
assert asyncio.run(main()) == 0
srv = socket.create_server(("127.0.0.1", 0))
cli = socket.create_connection(srv.getsockname())
conn, _ = srv.accept()
cli.sendall(b"ping")
assert conn.recv(4) == b"ping"
db = sqlite3.connect("x.db")
db.execute("create table t(a)")
db.commit()
print("payload ok")
'\'''

payload venv "python3 -m venv in the cwd; pip installs a local package offline" "python3" '
python3 -m venv venv
./venv/bin/python -c "import sys; assert sys.prefix != sys.base_prefix"
# A wheel made by hand: installing one needs no build backend (and setuptools
# without the wheel package could not build one).
./venv/bin/python - <<EOF
import zipfile
files = {
    "sbxdemo/__init__.py": "VALUE = 42\n",
    "sbxdemo-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: sbxdemo\nVersion: 1.0\n",
    "sbxdemo-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: sbx\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
files["sbxdemo-1.0.dist-info/RECORD"] = "".join(n + ",,\n" for n in [*files, "sbxdemo-1.0.dist-info/RECORD"])
with zipfile.ZipFile("sbxdemo-1.0-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
EOF
./venv/bin/pip --version >/dev/null
./venv/bin/pip install -q --no-index --disable-pip-version-check sbxdemo-1.0-py3-none-any.whl
./venv/bin/pip list --disable-pip-version-check 2>/dev/null | grep -q "^sbxdemo "
[ "$(./venv/bin/python -c "import sbxdemo; print(sbxdemo.VALUE)")" = 42 ]
echo "payload ok"'

payload node "node: worker thread, child_process, fs, http on loopback" "node" '
node -e '\''
const { Worker } = require("worker_threads");
const cp = require("child_process");
const http = require("http");
const w = new Worker("require(\"worker_threads\").parentPort.postMessage(6 * 7)", { eval: true });
w.on("message", (m) => {
  if (m !== 42) process.exit(1);
  if (cp.execFileSync("sh", ["-c", "echo child"]).toString() !== "child\n") process.exit(2);
  if (cp.spawnSync("true").status !== 0) process.exit(3);
  require("fs").writeFileSync("n.txt", "x");
  require("crypto").randomBytes(8);
  const srv = http.createServer((q, r) => r.end("hi")).listen(0, "127.0.0.1", () => {
    http.get({ host: "127.0.0.1", port: srv.address().port }, (res) => {
      let b = "";
      res.on("data", (d) => (b += d));
      res.on("end", () => { srv.close(); if (b !== "hi") process.exit(4); console.log("payload ok"); });
    });
  });
});
'\'''

payload npm "npm init and pack, offline" "node npm" '
export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false npm_config_cache=$PWD/npm-cache
npm init -y >/dev/null
npm pack --dry-run >/dev/null 2>&1
npm --version >/dev/null
echo "payload ok"'

payload git "git init/commit/gc/clone in the cwd" "git" '
git init -q repo
cd repo
git config user.email sbx@example.invalid
git config user.name sbx
echo one >f
git add f
git commit -qm one
echo two >>f
git commit -qam two
[ "$(git log --oneline | wc -l)" = 2 ]
git gc -q
git fsck --no-progress >/dev/null
cd ..
git clone -q repo copy
[ "$(cat copy/f)" = "$(printf "one\ntwo")" ]
echo "payload ok"'

payload tar "tar czf/xzf, tar cJf/xJf, gzip/gunzip" "tar gzip xz cmp" '
mkdir -p src/d
seq 1 1000 >src/d/n
tar czf a.tgz src
mkdir x y
tar xzf a.tgz -C x
cmp src/d/n x/src/d/n
tar cJf a.txz src
tar xJf a.txz -C y
cmp src/d/n y/src/d/n
gzip -k src/d/n
gunzip -c src/d/n.gz | cmp - src/d/n
echo "payload ok"'

payload perl "perl -e: fork, files, backticks, system" "perl" '
perl -e '\''
use strict; use warnings; use POSIX ();
my $pid = fork() // die "fork: $!";
if (!$pid) { POSIX::_exit(7) }
waitpid($pid, 0);
die "child status $?" unless ($? >> 8) == 7;
open(my $f, ">", "p.txt") or die; print $f join(",", map { $_ * 2 } 1 .. 3); close $f;
die "backticks" unless `cat p.txt` eq "2,4,6";
system("true") == 0 or die "system";
print "payload ok\n";
'\'''

payload curl "curl fetches from a server on the sandbox loopback" "curl python3" '
echo hi >index.html
timeout 60 python3 -c "
import http.server
s = http.server.HTTPServer((\"127.0.0.1\", 0), http.server.SimpleHTTPRequestHandler)
open(\"port.tmp\", \"w\").write(str(s.server_port))
__import__(\"os\").rename(\"port.tmp\", \"port\")
s.handle_request()
" 2>/dev/null &
for i in $(seq 100); do [ -f port ] && break; sleep 0.05; done
[ "$(curl -sS --max-time 10 "http://127.0.0.1:$(cat port)/index.html")" = hi ]
wait
echo "payload ok"'

# sysprobe CODE: run python3 CODE (the helpers below in scope) outside and in the sandbox; sets CTL and OUT.
SYSPROBE='
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(label, nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(a) for a in args])
    print(label, "=", "OK" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
    sys.stdout.flush()
'
sysprobe() {
	capture as_user "$PY" -c "$SYSPROBE$1"
	CTL=$OUT
	capture sbx run --network=blocked -- "$PY" -c "$SYSPROBE$1"
}

# label_in TEXT LABEL: the result printed for exactly LABEL ("LABEL = RESULT").
label_in() {
	awk -v l="$2 = " 'index($0, l) == 1 { print substr($0, length(l) + 1); exit }' <<<"$1"
}

# want LABEL CONTROL SANDBOX: LABEL printed CONTROL outside and SANDBOX inside
# (CONTROL "*": anything). A label whose control differs is left out (listed
# in $SKIPPED); a mismatch inside goes to $BAD; $REFUSED counts the refusals
# (SANDBOX other than OK) that were checked.
want() {
	local c s
	c=$(label_in "$CTL" "$1")
	s=$(label_in "$OUT" "$1")
	if [ "$2" != "*" ] && [ "$c" != "$2" ]; then
		SKIPPED="$SKIPPED $1 (control '$c')"
		return
	fi
	[ "$3" != OK ] && REFUSED=$((REFUSED + 1))
	[ "$s" = "$3" ] || BAD="$BAD
  $1: control '$c' sandbox '${s:-missing}', want '$3'"
}

# check DESC: fail on any mismatch; SKIP when no refusal could be checked.
check() {
	[ -n "$SKIPPED" ] && tap_diag "$1: left out, control not served without sbx:$SKIPPED"
	if [ -n "$BAD" ]; then
		show "$1"
		tap_diag "$BAD"
		tap_fail "$1"
	elif [ "$REFUSED" = 0 ]; then
		show "$1"
		tap_skip "$1" control-failed "no refused call is served without sbx"
	else
		tap_ok "$1 ($REFUSED refused)"
	fi
	BAD="" SKIPPED="" REFUSED=0
}
BAD="" SKIPPED="" REFUSED=0

if ! [ -x "$PY" ]; then
	tap_skip "personality() beyond PER_LINUX and the query refused with EPERM" tool-missing:python3
	tap_skip "unlisted syscalls fail with ENOSYS and the process survives" tool-missing:python3
	tap_skip "clone3 refused with ENOSYS (threads start through clone)" tool-missing:python3
	tap_skip "setsockopt IP_OPTIONS / IPV6_RTHDR refused with EPERM" tool-missing:python3
	tap_done
fi

# Syscall numbers of the native ABI (the filter only accepts that one).
case "$(uname -m)" in
x86_64) NR_PERSONALITY=135 NR_GET_ROBUST_LIST=274 ;;
aarch64) NR_PERSONALITY=92 NR_GET_ROBUST_LIST=100 ;;
*) NR_PERSONALITY='' NR_GET_ROBUST_LIST='' ;;
esac
NR_CLONE3=435

if [ -z "$NR_PERSONALITY" ]; then
	tap_skip "personality() beyond PER_LINUX and the query refused with EPERM" not-x86_64 "syscall numbers unknown on $(uname -m)"
	tap_skip "unlisted syscalls fail with ENOSYS and the process survives" not-x86_64 "syscall numbers unknown on $(uname -m)"
else
	sysprobe "
sc('query-0xffffffff', $NR_PERSONALITY, 0xffffffff)
sc('PER_LINUX-0', $NR_PERSONALITY, 0)
sc('PER_LINUX-high-bits', $NR_PERSONALITY, 0x100000000)
sc('ADDR_NO_RANDOMIZE', $NR_PERSONALITY, 0x0040000)
sc('READ_IMPLIES_EXEC', $NR_PERSONALITY, 0x0400000)
sc('ADDR_NO_RANDOMIZE-high-bits', $NR_PERSONALITY, 0xdead00040000)
sc('PER_LINUX32', $NR_PERSONALITY, 0x0008)
sc('restore', $NR_PERSONALITY, 0)
"
	want "query-0xffffffff" OK OK
	want "PER_LINUX-0" OK OK
	want "PER_LINUX-high-bits" OK OK
	want "ADDR_NO_RANDOMIZE" OK EPERM
	want "READ_IMPLIES_EXEC" OK EPERM
	want "ADDR_NO_RANDOMIZE-high-bits" OK EPERM
	want "PER_LINUX32" OK EPERM
	check "personality() beyond PER_LINUX and the query refused with EPERM (low 32 bits compared)"

	sysprobe "
sc('syscall-1000', 1000)
head, size = ctypes.c_ulong(), ctypes.c_ulong()
sc('get_robust_list', $NR_GET_ROBUST_LIST, 0, ctypes.addressof(head), ctypes.addressof(size))
print('alive =', 'OK')
"
	want "syscall-1000" "*" ENOSYS
	want "get_robust_list" OK ENOSYS
	want "alive" OK OK
	[ "$RC" = 0 ] || BAD="$BAD
  exit status $RC"
	check "unlisted syscalls fail with ENOSYS and the process survives (an unknown number; get_robust_list, which the kernel serves)"
fi

if [ -z "$NR_PERSONALITY" ]; then
	tap_skip "clone3 refused with ENOSYS (threads start through clone)" not-x86_64 "syscall numbers unknown on $(uname -m)"
else
	# clone3(NULL, 0): the kernel answers EINVAL (size too small) before touching anything.
	sysprobe "
sc('clone3', $NR_CLONE3, 0, 0)
import threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
print('thread =', 'OK')
"
	want "clone3" EINVAL ENOSYS
	want "thread" OK OK
	check "clone3 refused with ENOSYS (threads start through clone)"
fi

sysprobe "
import socket
def opt(label, family, level, name, value):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.setsockopt(level, name, value)
        print(label, '=', 'OK')
    except OSError as e:
        print(label, '=', errno.errorcode.get(e.errno, e.errno))
    sys.stdout.flush()
# IPv4 options: NOP, loose source route (131, length 7, pointer 4, one hop); NOP, record
# route (7, room for one hop). Some kernels refuse the source route to an unprivileged
# caller themselves; record route shows that any non-empty value is refused.
opt('IP_OPTIONS-lsrr', socket.AF_INET, socket.IPPROTO_IP, 4, bytes([1, 131, 7, 4, 127, 0, 0, 1]))
opt('IP_OPTIONS-rr', socket.AF_INET, socket.IPPROTO_IP, 4, bytes([1, 7, 7, 4, 0, 0, 0, 0]))
opt('IP_OPTIONS-clear', socket.AF_INET, socket.IPPROTO_IP, 4, b'')
# A type 4 (segment routing) header with one segment (the kernel refuses type 0 itself).
opt('IPV6_RTHDR-srh', socket.AF_INET6, socket.IPPROTO_IPV6, 57, bytes([0, 2, 4, 0, 0, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, '::1'))
opt('IPV6_RTHDR-clear', socket.AF_INET6, socket.IPPROTO_IPV6, 57, b'')
opt('IP_TOS', socket.AF_INET, socket.IPPROTO_IP, socket.IP_TOS, 16)
"
want "IP_OPTIONS-lsrr" "*" EPERM
want "IP_OPTIONS-rr" OK EPERM
want "IP_OPTIONS-clear" OK OK
want "IPV6_RTHDR-srh" OK EPERM
want "IPV6_RTHDR-clear" OK OK
want "IP_TOS" OK OK
check "setsockopt IP_OPTIONS / IPV6_RTHDR refused with EPERM (clearing IP_OPTIONS and other options still work)"

tap_done
