# SPDX-License-Identifier: Apache-2.0
# world.sh - a hermetic "fake internet" for sbx's allowlist tests.
#
# Source it after tests/integration/lib.sh (it uses W, PY, TESTUID,
# TESTGID, IS_ROOT, bg_track). Nothing here sends a packet outside
# namespaces it creates:
#
#   real host ── (test user) unshare -Urnm -p --fork --mount-proc
#                  └─ FAKE HOST: own user, net, mount and PID namespaces;
#                     only lo + fh0; routes ONLY to the world prefixes below
#                     (no default route); /etc/resolv.conf, /etc/hosts and
#                     /etc/nsswitch.conf bind-mounted from $WD/etc.
#                     Runs: hostapi (HTTP on every local address :80 :8000,
#                     the confused-deputy target), hostraw (TCP :9000,
#                     UDP :9999), and sbx itself (world_sbx).
#                     └─ WORLD: a child network namespace joined by a veth
#                        pair fh0 198.18.0.1/24 fd00:5b::1/64 <-> fw0
#                        198.18.0.2/24 fd00:5b::2/64 (MTU 65520). Every
#                        address of the prefixes below is local in the world
#                        (ip route add local PREFIX dev lo):
#                          11.11.0.0/24, 3ffe:5b::/64   "public" servers: the
#                             policy engine classifies them as ordinary
#                             public unicast, so a name rule alone allows
#                             them (11/8 is a DoD block, 3ffe::/16 the
#                             returned 6bone block; both live only here)
#                          198.18.1.0/24    benchmarking range: special, needs
#                                           an explicit --allow 198.18.0.0/15
#                          169.254.169.254, 169.254.170.2, 100.100.100.200,
#                          168.63.129.16, fd00:ec2::254   metadata look-alikes
#                        Servers: world HTTP :80 :8080 (and the package index
#                        at /simple/; registries and a code host under
#                        their real names, see below), HTTPS :443 (test
#                        CA), raw TCP :22
#                        :9000, UDP :9999 :123, DNS :53 (UDP+TCP) answering
#                        the zone below. 11.11.0.53 is the fake host's
#                        nameserver.
#
# Logs (JSON lines) under $WD/log: http.log (world HTTP/HTTPS: srv, tls,
# local, lport, peer, line, host), hostapi.log (same fields), raw.log and
# hostraw.log (proto, local, lport, peer, data), dns.log (proto, peer,
# name, type, rcode, answers), err.log (stderr of the servers).
# Files: $WD/etc/ca.crt (the test CA), $WD/pypi (PEP 503 index with the
# wheel sbxworldpkg 1.0), $WD/bin/netclient.py (scripted client),
# $WD/bin/upstream.py (an upstream proxy, HTTP CONNECT and SOCKS5, that
# t-allowlist-upstream starts in the world).
#
# Real names: pypi.org, files.pythonhosted.org, registry.npmjs.org,
# registry.yarnpkg.com, github.com, codeload.github.com, api.github.com and
# *.githubusercontent.com resolve to world addresses (11.11.0.40-47) and are
# in the server certificate; the fake host's /etc/ssl/certs holds only the
# test CA, so clients trust them with no option. What they serve is built by
# a test into $WD/sites/HOST with tests/world/sites.py (a wheel and its
# simple index, an npm tarball and its packument, a git repository over
# smart HTTP); a name with no such directory gets the generic answer.
# WORLD_SYSCA=1 when the system CA store was replaced (the host has
# /etc/ssl/certs), else 0.
#
# Functions:
#   world_up             start everything; 0 when ready, else 1 + WORLD_ERR
#                        and WORLD_FACT (a lib.sh skip key)
#   world_down           kill the fake host (its PID namespace takes every
#                        server and sandbox along)
#   world_cmd KIND ARGS  set CMD (array) to run ARGS in the fake host:
#                        KIND root  as root of the fake host's user ns
#                             user  as the unprivileged test uid, no caps
#                                   (nested user ns mapping TESTUID)
#                             world root inside the world's net ns
#                             sbx   world_cmd user "$W/sbx" ARGS
#   wcapture KIND ARGS   like lib.sh's capture, with world_cmd
#   wlog NAME            path of a log; wseen NAME STRING: grep -F it

WORLD_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WD=$W/world
WORLD_DNS=11.11.0.53
WORLD_ERR=
WORLD_FACT=
WORLD_SYSCA=0
FH_PID=
_world_unshare_pid=

# FHCMD: drop to the test user but keep the bounding set, so that the
# fake host's root can configure its own namespaces.
FHCMD=()
if [ "$IS_ROOT" = 1 ]; then
	FHCMD=(setpriv --reuid="$TESTUID" --regid="$TESTGID" --clear-groups --inh-caps=-all --)
fi

_world_zone() {
	cat <<'JSON'
{
 "names": {
  "www.test":       {"A": ["11.11.0.10"], "AAAA": ["3ffe:5b::10"]},
  "pypi.test":      {"A": ["11.11.0.11"]},
  "other.test":     {"A": ["11.11.0.12"], "AAAA": ["3ffe:5b::12"]},
  "multi.test":     {"A": ["11.11.0.20", "11.11.0.21", "11.11.0.22"], "AAAA": ["3ffe:5b::20"]},
  "mixed.test":     {"A": ["11.11.0.23", "127.0.0.1"]},
  "mixedmd.test":   {"A": ["11.11.0.24", "169.254.169.254"]},
  "mixedhost.test": {"A": ["198.18.1.25", "198.18.0.1"]},
  "mapped.test":    {"A": ["11.11.0.26"], "AAAA": ["::ffff:127.0.0.1"]},
  "nat64.test":     {"A": ["11.11.0.27"], "AAAA": ["64:ff9b::7f00:1"]},
  "mappedmd.test":  {"A": ["11.11.0.28"], "AAAA": ["::ffff:169.254.169.254"]},
  "loop.test":      {"A": ["127.0.0.1"], "AAAA": ["::1"]},
  "meta.test":      {"A": ["169.254.169.254"]},
  "zero.test":      {"A": ["0.0.0.0"]},
  "bench.test":     {"A": ["198.18.1.10"]},
  "v6only.test":    {"AAAA": ["3ffe:5b::30"]},
  "silent.test":    {"silent": true},
  "pypi.org":               {"A": ["11.11.0.40"], "AAAA": ["3ffe:5b::40"]},
  "files.pythonhosted.org": {"A": ["11.11.0.41"], "AAAA": ["3ffe:5b::41"]},
  "registry.npmjs.org":     {"A": ["11.11.0.42"], "AAAA": ["3ffe:5b::42"]},
  "registry.yarnpkg.com":   {"A": ["11.11.0.43"]},
  "github.com":             {"A": ["11.11.0.44"]},
  "codeload.github.com":    {"A": ["11.11.0.45"]},
  "api.github.com":         {"A": ["11.11.0.46"]}
 },
 "wild": {
  "githubusercontent.com": {"A": ["11.11.0.47"]},
  "ok.test":        {"A": ["11.11.0.10"], "AAAA": ["3ffe:5b::10"]},
  "deny.test":      {"A": ["11.11.0.12"]},
  "rebind.test":    {"seq": {"A": [["11.11.0.31"], ["127.0.0.1"]]}},
  "rebindmd.test":  {"seq": {"A": [["11.11.0.32"], ["169.254.169.254"]]}},
  "rebindhost.test": {"seq": {"A": [["198.18.1.33"], ["198.18.0.1"]]}},
  "silent.test":    {"silent": true}
 }
}
JSON
}

_world_files() {
	local e=$WD/etc
	mkdir -p "$WD/bin" "$WD/log" "$e" "$WD/pypi" "$WD/sites" "$e/sslcerts" || return 1
	cp "$WORLD_SRC/worldd.py" "$WORLD_SRC/sites.py" "$WORLD_SRC/fakehost.sh" "$WORLD_SRC/netclient.py" \
		"$WORLD_SRC/upstream.py" "$WORLD_SRC/asker.py" "$WD/bin/" || return 1
	printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$WORLD_DNS" >"$e/resolv.conf"
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$e/hosts"
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$e/nsswitch.conf"
	_world_zone >"$e/zone.json"
	: >"$WD/log/http.log"
	: >"$WD/log/hostapi.log"
	: >"$WD/log/raw.log"
	: >"$WD/log/hostraw.log"
	: >"$WD/log/dns.log"
	# Test CA and a server certificate for the world's names (EC: fast).
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=sbx world test CA" -keyout "$e/ca.key" -out "$e/ca.crt" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		>/dev/null 2>&1 || return 1
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=www.test" -keyout "$e/server.key" -out "$e/server.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=DNS:www.test,DNS:pypi.test,DNS:other.test,DNS:multi.test,DNS:bench.test,DNS:a.ok.test,DNS:b.ok.test,DNS:c.ok.test,IP:11.11.0.10,DNS:pypi.org,DNS:files.pythonhosted.org,DNS:registry.npmjs.org,DNS:registry.yarnpkg.com,DNS:github.com,DNS:*.github.com,DNS:*.githubusercontent.com\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$e/server.ext"
	openssl x509 -req -in "$e/server.csr" -CA "$e/ca.crt" -CAkey "$e/ca.key" -CAcreateserial \
		-days 2 -extfile "$e/server.ext" -out "$e/server.crt" >/dev/null 2>&1 || return 1
	# The fake host's /etc/ssl/certs: the bundle Debian's tools read, and the
	# hashed name OpenSSL's directory lookup finds.
	cp "$e/ca.crt" "$e/sslcerts/ca-certificates.crt" || return 1
	cp "$e/ca.crt" "$e/sslcerts/$(openssl x509 -hash -noout -in "$e/ca.crt").0" || return 1
	"$PY" "$WD/bin/worldd.py" wheel --out "$WD/pypi" --name sbxworldpkg --version 1.0 >/dev/null || return 1
	if [ "$IS_ROOT" = 1 ]; then
		chown -R "$TESTUID:$TESTGID" "$WD" || return 1
	fi
	chmod -R a+rX "$WD"
}

world_up() {
	local i tool
	WORLD_ERR= WORLD_FACT=control-failed
	for tool in openssl nsenter ip; do
		if ! command -v "$tool" >/dev/null; then
			WORLD_ERR="needs openssl, nsenter (util-linux) and ip (iproute2)" WORLD_FACT=tool-missing:$tool
			return 1
		fi
	done
	if ! "${FHCMD[@]}" unshare -Urnm true 2>/dev/null; then
		WORLD_ERR="uid $TESTUID cannot create user+net+mount namespaces" WORLD_FACT=no-userns
		return 1
	fi
	mkdir -p "$WD"
	_world_files || { WORLD_ERR="cannot generate the world's files"; return 1; }
	"${FHCMD[@]}" unshare -Urnm -p --fork --kill-child=SIGKILL --mount-proc --propagation private \
		-- /bin/bash "$WD/bin/fakehost.sh" "$WD" </dev/null >"$WD/log/fakehost.out" 2>&1 &
	_world_unshare_pid=$!
	bg_track "$_world_unshare_pid"
	for ((i = 0; i < 1000; i++)); do
		[ -e "$WD/ready" ] || [ -e "$WD/failed" ] && break
		kill -0 "$_world_unshare_pid" 2>/dev/null || break
		sleep 0.02
	done
	FH_PID=$(cat "/proc/$_world_unshare_pid/task/$_world_unshare_pid/children" 2>/dev/null)
	FH_PID=${FH_PID%% *}
	[ -n "$FH_PID" ] && bg_track "$FH_PID"
	if [ ! -e "$WD/ready" ] || [ -z "$FH_PID" ]; then
		WORLD_ERR="fake host did not start: $(cat "$WD/failed" 2>/dev/null) $(tail -n 5 "$WD/log/fakehost.out" 2>/dev/null)"
		world_down
		return 1
	fi
	WORLD_PID_INNER=$(cat "$WD/world.pid")
	WORLD_SYSCA=0
	[ -d /etc/ssl/certs ] && WORLD_SYSCA=1
	return 0
}

world_down() {
	[ -n "$FH_PID" ] && kill -KILL "$FH_PID" 2>/dev/null
	[ -n "$_world_unshare_pid" ] && kill -KILL "$_world_unshare_pid" 2>/dev/null
	[ -n "$_world_unshare_pid" ] && wait "$_world_unshare_pid" 2>/dev/null
	FH_PID=
	_world_unshare_pid=
	return 0
}

# world_cmd KIND ARGS...: set CMD (see the header).
world_cmd() {
	local kind=$1
	shift
	local enter=("${FHCMD[@]}" nsenter -t "$FH_PID" -U -n -m -p --preserve-credentials --wd="$PWD")
	case "$kind" in
	root) CMD=("${enter[@]}" -- "$@") ;;
	world) CMD=("${enter[@]}" -- nsenter -t "$WORLD_PID_INNER" -n -- "$@") ;;
	user) CMD=("${enter[@]}" -- setpriv --inh-caps=-all --
		unshare -U --map-user="$TESTUID" --map-group="$TESTGID" -- "$@") ;;
	sbx) world_cmd user "$W/sbx" "$@" ;;
	*) echo "world_cmd: unknown kind $kind" >&2; return 1 ;;
	esac
}

# wcapture KIND ARGS...: run in the fake host, set OUT, ERR, RC (999 when
# CAPTURE_TIMEOUT, default 60 s, ran out).
wcapture() {
	world_cmd "$@" || return 1
	run_cmd
}

wlog() { echo "$WD/log/$1.log"; }

# wseen NAME STRING: STRING occurs in log NAME (http, hostapi, raw,
# hostraw, dns) or, for NAME "any", in any server log but dns.
wseen() {
	if [ "$1" = any ]; then
		grep -qF -- "$2" "$WD/log/http.log" "$WD/log/hostapi.log" "$WD/log/raw.log" "$WD/log/hostraw.log"
	else
		grep -qF -- "$2" "$WD/log/$1.log"
	fi
}

# wsummary: netclient output in $OUT as "ID CLASS [ANSWER,...]" lines.
wsummary() {
	"$PY" -c '
import json, sys
for line in sys.stdin:
    p = line.rstrip("\n").split("\t")
    if len(p) < 3:
        continue
    d = json.loads(p[2])
    extra = ",".join(d["answers"]) if "answers" in d else ""
    print(" ".join(x for x in (p[0], p[1], extra) if x))
' <<<"$OUT"
}

# wclass ID: the CLASS netclient printed for ID in $OUT.
wclass() {
	awk -F'\t' -v id="$1" '$1 == id { print $2; exit }' <<<"$OUT"
}
