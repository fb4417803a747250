#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-world: the hermetic fake internet of tests/world works on its
# own, without sbx: the fake host has no route to the real world, resolves
# world names through the scripted DNS server, reaches the world's HTTP,
# HTTPS, raw and package-index servers and its own loopback "local API",
# and leaves nothing behind. Every allowlist test relies on this: if it
# fails, their controls SKIP.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
require_userns

tap_plan 13

t0=$(now_ms)
if ! world_up; then
	tap_skip_all "$WORLD_FACT" "fake internet unavailable: $WORLD_ERR"
fi
tap_diag "world up in $(($(now_ms) - t0)) ms (fake host pid $FH_PID)"

# 1. The fake host cannot reach the real world: no default route, and
# every route leads to the world's own prefixes.
wcapture root sh -c 'ip -4 route show; ip -6 route show'
bad=$(grep -vE '^(11\.11\.0\.0/24|198\.18\.[01]\.0/24|169\.254\.169\.254|169\.254\.170\.2|100\.100\.100\.200|168\.63\.129\.16|3ffe:5b::/64|fd00:ec2::254|fd00:5b::/64|fe80::/64) ' <<<"$OUT")
if [ "$RC" = 0 ] && [ -z "$bad" ] && ! grep -q default <<<"$OUT"; then
	tap_ok "fake host routes only the world's test prefixes"
else
	show; tap_diag "unexpected: $bad"; tap_fail "fake host routes"
fi

# 2. Name resolution through the generated resolv.conf and the world DNS.
wcapture root getent ahostsv4 multi.test
n=$(awk '{ print $1 }' <<<"$OUT" | sort -u | tr '\n' ' ')
if [ "$n" = "11.11.0.20 11.11.0.21 11.11.0.22 " ] && wseen dns '"name": "multi.test"'; then
	tap_ok "getaddrinfo in the fake host resolves through the world DNS (multi.test: $n)"
else
	show; tap_fail "fake host resolution"
fi

# 3-4. HTTP and HTTPS (test CA) by name, logged with the token.
tok=w-http-$RANDOM$RANDOM
wcapture root curl -sS --max-time 5 "http://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'srv=world local=11.11.0.10' <<<"$OUT" && wseen http "$tok"; then
	tap_ok "HTTP to www.test reaches the world server, which logs it"
else
	show; tap_fail "HTTP to www.test"
fi
tok=w-https-$RANDOM$RANDOM
wcapture root curl -sS --max-time 5 --cacert "$WD/etc/ca.crt" "https://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'tls=1' <<<"$OUT" && wseen http "$tok"; then
	tap_ok "HTTPS to www.test verifies against the test CA"
else
	show; tap_fail "HTTPS to www.test"
fi

# 5. IPv6 to the world.
tok=w-v6-$RANDOM$RANDOM
wcapture root curl -6 -sS --max-time 5 "http://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'local=3ffe:5b::10' <<<"$OUT"; then
	tap_ok "IPv6 (AAAA 3ffe:5b::10) reaches the world"
else
	show; tap_fail "IPv6 to the world"
fi

# 6. The local API on the fake host's loopback, IPv4 and IPv6.
tok=w-api-$RANDOM$RANDOM
wcapture root sh -c "curl -sS --max-time 5 http://127.0.0.1:8000/$tok-4 && curl -sS --max-time 5 'http://[::1]:8000/$tok-6'"
if [ "$RC" = 0 ] && wseen hostapi "$tok-4" && wseen hostapi "$tok-6"; then
	tap_ok "local API answers on the fake host's 127.0.0.1 and ::1"
else
	show; tap_fail "local API"
fi

# 7. Metadata look-alike addresses live in the world.
tok=w-md-$RANDOM$RANDOM
wcapture root sh -c "curl -sS --max-time 5 http://169.254.169.254/$tok && curl -sS --max-time 5 'http://[fd00:ec2::254]/$tok'"
if [ "$RC" = 0 ] && [ "$(grep -cF "$tok" "$(wlog http)")" = 2 ]; then
	tap_ok "metadata look-alikes 169.254.169.254 and fd00:ec2::254 answer from the world"
else
	show; tap_fail "metadata look-alikes"
fi

# 8. The hostile DNS server's scripts, asked directly.
NC=("$PY" "$WD/bin/netclient.py" --dns "$WORLD_DNS" --timeout 2)
wcapture root "${NC[@]}" "r1 dns x.rebind.test A" "r2 dns x.rebind.test A" "r3 dns x.rebind.test A tcp" \
	"m1 dns mapped.test AAAA" "n1 dns nat64.test AAAA" "x1 dns mixed.test A" "s1 dns silent.test A" \
	"u1 dns nosuch.test A" "d1 dns t$RANDOM.deny.test A"
want="r1 rcode-0 11.11.0.31
r2 rcode-0 127.0.0.1
r3 rcode-0 127.0.0.1
m1 rcode-0 ::ffff:127.0.0.1
n1 rcode-0 64:ff9b::7f00:1
x1 rcode-0 11.11.0.23,127.0.0.1
s1 timeout
u1 rcode-3
d1 rcode-0 11.11.0.12"
got=$(wsummary)
if [ "$got" = "$want" ]; then
	tap_ok "DNS scripts: rebinding, mapped/NAT64 AAAA, multi-record, silent, NXDOMAIN, wildcard"
else
	show; tap_diag "want: $want"; tap_diag "got: $got"; tap_fail "DNS scripts"
fi

# 9. The query log names what was asked.
if wseen dns '"name": "silent.test"' && wseen dns '"name": "x.rebind.test"' && wseen dns '"proto": "tcp"'; then
	tap_ok "DNS query log records every query (UDP and TCP, answered or not)"
else
	tap_fail "DNS query log"
fi

# 10. Raw TCP and UDP loggers in the world.
tok=w-raw-$RANDOM$RANDOM
wcapture root "${NC[@]}" "t tcp 11.11.0.10 9000 $tok-t" "u udp 11.11.0.10 9999 $tok-u"
sleep 0.2
if grep -q $'^t\tconnected' <<<"$OUT" && grep -q $'^u\tconnected' <<<"$OUT" && wseen raw "$tok-t" && wseen raw "$tok-u"; then
	tap_ok "raw TCP and UDP loggers in the world"
else
	show; tap_fail "raw loggers"
fi

# 11. The package index: pip installs the test wheel through it.
wcapture root "$PY" -m pip --version
if [ "$RC" != 0 ]; then
	tap_skip "pip installs from the fake index" tool-missing:pip
else
	rm -rf "$W/cwd/pipt"
	CAPTURE_TIMEOUT=90 wcapture root "$PY" -m pip install --no-cache-dir --disable-pip-version-check \
		--index-url http://pypi.test/simple/ --trusted-host pypi.test --target "$W/cwd/pipt" sbxworldpkg
	if [ "$RC" = 0 ] && [ -f "$W/cwd/pipt/sbxworldpkg/__init__.py" ] && wseen http 'sbxworldpkg-1.0-py3-none-any.whl'; then
		tap_ok "pip installs sbxworldpkg from the fake index (no proxy)"
	else
		show; tap_fail "pip from the fake index"
	fi
fi

# 12. The unprivileged runner has no capabilities in the fake host.
wcapture user sh -c 'id -u; grep CapEff /proc/self/status; ip link add dummy9 type dummy 2>&1; echo rc=$?'
if grep -q '^23456$\|^'"$TESTUID"'$' <<<"$OUT" && grep -q 'CapEff:.*0000000000000000' <<<"$OUT" && grep -q 'rc=[1-9]' <<<"$OUT"; then
	tap_ok "world_cmd user: uid $TESTUID, no capabilities, cannot change the fake host's network"
else
	show; tap_fail "unprivileged runner in the fake host"
fi

# 13. Teardown leaves nothing behind.
world_down
sleep 0.3
left=$(for f in $(grep -lsF -- "$WD" /proc/[0-9]*/cmdline); do p=${f#/proc/}; p=${p%/cmdline}; alive "$p" && echo "$p"; done)
if [ -z "$left" ]; then
	tap_ok "world_down leaves no process behind"
else
	tap_diag "left: $left"
	tap_fail "leftover world processes"
fi

tap_done
