#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-clients: inside sbx run --network=allowlist, real clients
# reach allowed names of the fake internet (tests/world): curl through
# HTTP_PROXY (http and https), through socks5h, through a CONNECT tunnel,
# pip from the fake package index; the sandbox's network view, proxy
# environment, status event and decision log are as documented.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 16
al_start

CA=$WD/etc/ca.crt
CURL=(curl -sS --max-time 10)

# 1. Proxy environment.
al_run --allow www.test -- /usr/bin/env
ok=1
for v in HTTP_PROXY=http://$GW4:3128 HTTPS_PROXY=http://$GW4:3128 ALL_PROXY=socks5h://$GW4:3128 \
	http_proxy=http://$GW4:3128 https_proxy=http://$GW4:3128 all_proxy=socks5h://$GW4:3128; do
	grep -qxF "$v" <<<"$OUT" || { ok=0; tap_diag "missing $v"; }
done
for v in NO_PROXY no_proxy; do
	np=$(grep "^$v=" <<<"$OUT")
	for part in localhost 127.0.0.0/8 ::1; do
		grep -q "[=,]$part\(,\|$\)" <<<"$np" || { ok=0; tap_diag "$v lacks $part: $np"; }
	done
done
if [ "$RC" = 0 ] && [ "$ok" = 1 ]; then
	tap_ok "proxy variables set (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY=socks5h, NO_PROXY, lower case)"
else
	show; tap_fail "proxy environment"
fi
tap_diag "other proxy-related variables: $(grep -iE 'npm|pip|git|java|node|proxy' <<<"$OUT" | grep -vE '^(HTTP|HTTPS|ALL|NO)_PROXY=|^(http|https|all|no)_proxy=' | cut -c1-120 | tr '\n' ' ')"

# 2. Name service inside.
al_run --allow www.test -- /bin/sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts'
ns=$(sed -n '1,/^---$/p' <<<"$OUT" | grep '^nameserver' | tr -s ' ')
if [ "$RC" = 0 ] && [ "$ns" = "nameserver $GW4" ] && ! grep -q 'test' <<<"$(sed '1,/^---$/d' <<<"$OUT")"; then
	tap_ok "resolv.conf names only $GW4; hosts is the generated minimal one"
else
	show; tap_fail "resolv.conf/hosts inside"
fi

# 3. Interfaces, addresses and routes.
al_run --allow www.test -- /bin/sh -c 'ip -o link show; echo ---; ip -o addr show; echo ---; ip -4 route show; ip -6 route show'
links=$(sed -n '1,/^---$/p' <<<"$OUT" | grep -c '^[0-9]*:')
addrs=$(grep -oE 'inet6? [0-9a-f.:]+/[0-9]+' <<<"$OUT" | sort | tr '\n' ' ')
routes=$(sed '1,/^---$/d' <<<"$OUT" | sed '1,/^---$/d')
want_addrs="inet 10.255.255.0/31 inet 127.0.0.1/8 inet6 ::1/128 inet6 fd73:6278::/127 "
if [ "$RC" = 0 ] && [ "$links" = 2 ] &&
	grep -qF "inet 10.255.255.0/31" <<<"$addrs" && grep -qF "inet6 fd73:6278::/127" <<<"$addrs" &&
	! grep -q "inet6 fe80" <<<"$addrs" && ! grep -q default <<<"$routes"; then
	tap_ok "sandbox: lo + one veth, 10.255.255.0/31 and fd73:6278::/127, no link-local, no default route"
else
	show; tap_diag "addresses: $addrs (want at least $want_addrs)"; tap_fail "sandbox network view"
fi

# 4. Status event.
J=$W/cwd/status.json
: >"$J"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$J"
world_cmd sbx run --network=allowlist --allow www.test --json-status-fd 3 -- /bin/true
timeout -k 3 30 "${CMD[@]}" 3>"$J" >/dev/null 2>"$W/.t/err"
rc=$?
if [ "$rc" = 0 ] && "$PY" "$TESTDIR/events.py" "$J" '[e.get("event") for e in ev].index("network") < [e.get("event") for e in ev].index("started") and any(e.get("event") == "network" and e.get("posture") == "allowlist" for e in ev)'; then
	tap_ok "--json-status-fd: network event (posture allowlist) before started"
else
	tap_diag "rc $rc status: $(cat "$J") err: $(cat "$W/.t/err")"
	tap_fail "network status event"
fi

# 5. curl http through HTTP_PROXY (absolute-form).
tok=cl-http-$RANDOM$RANDOM
al_run --allow www.test -- "${CURL[@]}" "http://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'srv=world local=11.11.0.10' <<<"$OUT" && wseen http "$tok"; then
	tap_ok "curl http://www.test via HTTP_PROXY"
else
	show; tap_fail "curl http via HTTP_PROXY"
fi
DLOG_HTTP=$DLOG

# 6. curl https through HTTPS_PROXY (CONNECT), verified with the test CA.
tok=cl-https-$RANDOM$RANDOM
al_run --allow www.test -- "${CURL[@]}" --cacert "$CA" "https://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'tls=1' <<<"$OUT" && wseen http "$tok"; then
	tap_ok "curl https://www.test via HTTPS_PROXY (CONNECT, test CA)"
else
	show; tap_fail "curl https via HTTPS_PROXY"
fi
DLOG_HTTPS=$DLOG

# 7. curl through socks5h (ALL_PROXY), name resolved by the proxy.
tok=cl-socks-$RANDOM$RANDOM
al_run --allow www.test -- "${CURL[@]}" --noproxy '' -x "socks5h://$GW4:3128" "http://www.test/$tok"
if [ "$RC" = 0 ] && grep -q 'srv=world' <<<"$OUT" && wseen http "$tok"; then
	tap_ok "curl via socks5h://$GW4:3128"
else
	show; tap_fail "curl via socks5h"
fi
DLOG_SOCKS=$DLOG

# 8. curl with a CONNECT tunnel for plain http (-p), and socks5 (client-side
# DNS via the stub, then SOCKS5 by address: the address needs its own rule).
tok=cl-tun-$RANDOM$RANDOM
al_run --allow www.test --allow 11.11.0.10:80 --allow "[3ffe:5b::10]:80" -- /bin/sh -c "${CURL[*]} -p http://www.test/$tok-p && ${CURL[*]} --noproxy '' -x socks5://$GW4:3128 http://www.test/$tok-s"
if [ "$RC" = 0 ] && wseen http "$tok-p" && wseen http "$tok-s"; then
	tap_ok "curl -p (CONNECT for http) and socks5:// with the DNS stub's answer"
else
	show; tap_fail "curl -p / socks5"
fi

# 9. The DNS stub answers an allowed name with its records.
al_run --allow www.test --allow multi.test -- /bin/sh -c 'getent ahostsv4 multi.test; getent ahostsv6 www.test'
a4=$(awk '$2 == "STREAM" { print $1 }' <<<"$OUT" | sort -u | tr '\n' ' ')
if [ "$RC" = 0 ] && grep -q '11.11.0.20 11.11.0.21 11.11.0.22' <<<"$a4" && grep -q '3ffe:5b::10' <<<"$OUT"; then
	tap_ok "DNS stub: allowed names get their records (A and AAAA)"
else
	show; tap_fail "DNS stub answers allowed names"
fi

# 9b. DNS over TCP as glibc's use-vc sends it: A and AAAA pipelined in one
# write get both answers, also when the client half-closes right after.
NC_TIMEOUT=4 al_nc --allow www.test --allow other.test -- "a dns-tcp-batch www.test 0" "b dns-tcp-batch other.test 1"
if [ "$(nc_class a)" = answered-2 ] && [ "$(nc_class b)" = answered-2 ]; then
	tap_ok "DNS stub over TCP: pipelined queries both answered, half-closed or not (names not cached)"
else
	show; tap_fail "DNS over TCP, pipelined and half-closed"
fi

# 10. IPv6-only name and a multi-record name through the proxy.
tok=cl-v6-$RANDOM$RANDOM
al_run --allow v6only.test --allow multi.test -- /bin/sh -c "${CURL[*]} http://v6only.test/$tok-6 && ${CURL[*]} http://multi.test/$tok-m"
if [ "$RC" = 0 ] && grep -q 'local=3ffe:5b::30' <<<"$OUT" && grep -qE 'local=11\.11\.0\.2[012]' <<<"$OUT"; then
	tap_ok "proxy reaches an AAAA-only name and a multi-record name"
else
	show; tap_fail "AAAA-only / multi-record names"
fi

# 11. Benchmarking range: denied for a name alone, opened by an explicit CIDR.
tok=cl-bench-$RANDOM$RANDOM
al_run --allow bench.test -- "${CURL[@]}" -f "http://bench.test/$tok-no"
rc_no=$RC out_no=$OUT
al_run --allow bench.test --allow 198.18.0.0/15 -- "${CURL[@]}" "http://bench.test/$tok-yes"
if [ "$rc_no" != 0 ] && ! wseen http "$tok-no" && [ "$RC" = 0 ] && wseen http "$tok-yes"; then
	tap_ok "198.18.1.10 (benchmarking): denied for --allow bench.test alone, allowed with --allow 198.18.0.0/15"
else
	tap_diag "without CIDR: rc $rc_no out $out_no"; show; tap_fail "special range opened by explicit CIDR"
fi

# 12. pip install from the fake index through the proxy.
if ! "$PY" -m pip --version >/dev/null 2>&1; then
	tap_skip "pip install through the proxy" tool-missing:pip
else
	rm -rf "$W/cwd/pip"
	CAPTURE_TIMEOUT=90 al_run --allow pypi.test -- "$PY" -m pip install --no-cache-dir --disable-pip-version-check \
		--index-url http://pypi.test/simple/ --trusted-host pypi.test --target "$W/cwd/pip" sbxworldpkg
	if [ "$RC" = 0 ] && [ -f "$W/cwd/pip/sbxworldpkg/__init__.py" ] &&
		grep -F 'sbxworldpkg-1.0-py3-none-any.whl' "$(wlog http)" | grep -q '"peer": "198.18.0.1"'; then
		tap_ok "pip install sbxworldpkg from http://pypi.test/simple/ through the proxy"
	else
		show; tap_fail "pip install through the proxy"
	fi
fi

# 13-15. Decision log: one JSON object per decision with the documented fields.
fields='all(isinstance(e, dict) and all(k in e for k in ("proto", "host", "port", "addresses", "verdict", "rule", "source")) and isinstance(e["addresses"], list) for e in ev)'
# Attribution: the sandbox process that connected (curl here), its pid inside the sandbox.
allowed_www='any(e.get("host") == "www.test" and e.get("verdict") == "allow" and "11.11.0.10" in e.get("addresses", []) and e.get("proto") == P and e.get("comm") == "curl" and e.get("pid", 0) > 1 for e in ev)'
if al_json_ok "$DLOG_HTTP" "$fields and ${allowed_www//P/\"http\"}"; then
	tap_ok "decision log: absolute-form http request logged (proto http, allow, 11.11.0.10, by curl)"
else
	tap_diag "log: $(cat "$DLOG_HTTP")"; tap_fail "decision log for http"
fi
if al_json_ok "$DLOG_HTTPS" "$fields and ${allowed_www//P/\"connect\"}"; then
	tap_ok "decision log: CONNECT logged (proto connect, allow)"
else
	tap_diag "log: $(cat "$DLOG_HTTPS")"; tap_fail "decision log for connect"
fi
if al_json_ok "$DLOG_SOCKS" "$fields and ${allowed_www//P/\"socks5\"}"; then
	tap_ok "decision log: SOCKS5 logged (proto socks5, allow)"
else
	tap_diag "log: $(cat "$DLOG_SOCKS")"; tap_fail "decision log for socks5"
fi

tap_done
