#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-selfaddr: an address the host gains while a sandbox runs (a
# DHCP lease, an IPv6 temporary address, a VPN) is judged by the proxy like
# the addresses it had at start: the host's own, reachable only as a host
# service (a rule for exactly that address and port). In the fake host of
# tests/world, one sandbox asks the proxy for 198.51.100.7:8000 and
# [2001:db8::7]:8000 (allowed by CIDR rules, which open no host service) and
# for 198.51.100.9:8000 (allowed by a rule for exactly it) twice: before
# those addresses exist (the proxy dials them and finds no route: 502, not a
# refusal), then after the test has added them to the fake host's lo, where
# the hostapi server listens on every local address (the CIDR ones: 403
# X-Sbx-Denied naming the address, and hostapi sees nothing; the exact one:
# a host service, hostapi answers). Control without sbx: the fake host
# itself reaches hostapi at the new addresses. The addresses exist only in
# the fake host's private network namespace.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 7
al_start

A4=198.51.100.7
A6=2001:db8::7
A4S=198.51.100.9
PORT=8000
TOK=self-$RANDOM$RANDOM
C=$W/cwd

# The payload: one round of requests, then "ready", wait for "go", another round.
# $1 is the round's name; curl speaks absolute-form GET, netclient CONNECT.
script=$(
	cat <<EOF
round() {
	curl -sS -i --max-time 10 -x "\$HTTP_PROXY" "http://$A4:$PORT/$TOK-\$1-get" >"\$1-get.txt" 2>&1
	echo "curl-rc=\$?" >>"\$1-get.txt"
	$PY $WD/bin/netclient.py --timeout 8 "c4 connect $A4 $PORT $TOK-\$1-c4" "c6 connect $A6 $PORT $TOK-\$1-c6" \
		"s4 connect $A4S $PORT $TOK-\$1-s4" >"\$1-nc.txt" 2>&1
}
round before
: >ready
i=0
while [ ! -e go ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
[ -e go ] || { echo "payload: no go after 30 s" >&2; exit 3; }
round after
EOF
)
DLOG=$C/decisions-self.jsonl
: >"$DLOG"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$DLOG"
rm -f "$C/ready" "$C/go"
world_cmd sbx run --network=allowlist --allow "198.51.100.0/24:$PORT" --allow "[2001:db8::/64]:$PORT" \
	--allow "$A4S:$PORT" --log-file "$DLOG" \
	-- /bin/sh -c "$script"
timeout -k 3 60 "${CMD[@]}" >"$W/.t/sbx.out" 2>"$W/.t/sbx.err" &
SBXPID=$!
bg_track "$SBXPID"
for ((i = 0; i < 1500; i++)); do
	[ -e "$C/ready" ] && break
	alive "$SBXPID" || break
	sleep 0.02
done
added=0
if [ -e "$C/ready" ]; then
	# The fake host gains both addresses while the sandbox runs.
	world_cmd root ip addr add "$A4/32" dev lo && "${CMD[@]}" &&
		world_cmd root ip addr add "$A4S/32" dev lo && "${CMD[@]}" &&
		world_cmd root ip -6 addr add "$A6/128" dev lo nodad && "${CMD[@]}" && added=1
	: >"$C/go"
fi
wait_pid "$SBXPID" 45 || kill -KILL "$SBXPID" 2>/dev/null
SBX_RC=$WRC
tap_diag "sbx rc=$SBX_RC, addresses added: $added"

get_before=$(cat "$C/before-get.txt" 2>/dev/null)
get_after=$(cat "$C/after-get.txt" 2>/dev/null)
nc_before=$(cat "$C/before-nc.txt" 2>/dev/null)
nc_after=$(cat "$C/after-nc.txt" 2>/dev/null)
# nc_class FILE-TEXT ID, nc_hdr FILE-TEXT ID: netclient's class / X-Sbx-Denied for ID.
nc_class() { awk -F'\t' -v id="$2" '$1 == id { print $2; exit }' <<<"$1"; }
nc_hdr() {
	awk -F'\t' -v id="$2" '$1 == id { print $3; exit }' <<<"$1" |
		"$PY" -c 'import json, sys; print(json.loads(sys.stdin.read() or "{}").get("denied_hdr") or "")'
}
status_of() { sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' <<<"$1"; }
# show_all: what the sandbox saw, once.
shown=0
show_all() {
	[ "$shown" = 1 ] && return 0
	shown=1
	RC=$SBX_RC OUT=$(cat "$W/.t/sbx.out") ERR=$(cat "$W/.t/sbx.err")
	show "sbx"
	tap_diag "before, GET: $get_before"
	tap_diag "before, CONNECT: $nc_before"
	tap_diag "after, GET: $get_after"
	tap_diag "after, CONNECT: $nc_after"
}

# Control without sbx: the fake host reaches hostapi at the addresses it gained.
ctl=0
if [ "$added" = 1 ]; then
	wcapture user curl -sS --noproxy '*' --max-time 5 "http://$A4:$PORT/$TOK-ctl4"
	wcapture user curl -sS --noproxy '*' --max-time 5 "http://[$A6]:$PORT/$TOK-ctl6"
	wcapture user curl -sS --noproxy '*' --max-time 5 "http://$A4S:$PORT/$TOK-ctl4s"
	wseen hostapi "$TOK-ctl4" && wseen hostapi "$TOK-ctl6" && wseen hostapi "$TOK-ctl4s" && ctl=1
fi
if [ "$ctl" = 1 ]; then
	tap_ok "control without sbx: the fake host reaches its server at $A4 and $A6 once it holds them"
elif [ "$added" = 1 ]; then
	show "control"; tap_fail "control without sbx: the added addresses do not reach hostapi"
else
	show_all; tap_fail "the payload did not get to its second round, or the addresses could not be added"
fi

# 2. Before: not a host address yet, so the proxy dials it (no route: 502).
if [ "$(status_of "$get_before")" = 502 ] && ! grep -qi '^X-Sbx-Denied' <<<"$get_before" &&
	[ "$(nc_class "$nc_before" c4)" = http-502 ] && [ "$(nc_class "$nc_before" c6)" = http-502 ] &&
	[ "$(nc_class "$nc_before" s4)" = http-502 ]; then
	tap_ok "before the host holds them, the proxy dials $A4, $A6 and $A4S (502 unreachable, no self refusal)"
else
	show_all; tap_fail "first round: want 502 from an attempted dial"
fi

# 3./4. After: the host's own addresses, refused at the very next request.
if [ "$ctl" != 1 ]; then
	tap_skip "GET http://$A4:$PORT after the host gained it: 403 self refusal" control-failed "no control"
	tap_skip "CONNECT to $A4 and [$A6] after the host gained them: 403 self refusal" control-failed "no control"
else
	hdr=$(grep -i '^X-Sbx-Denied:' <<<"$get_after" | tr -d '\r')
	if [ "$(status_of "$get_after")" = 403 ] && grep -qF "$A4 is an address of the host itself" <<<"$hdr"; then
		tap_ok "GET http://$A4:$PORT after the host gained it: 403, $hdr"
	else
		show_all; tap_fail "GET after the host gained $A4: want 403 naming the host's address"
	fi
	h4=$(nc_hdr "$nc_after" c4) h6=$(nc_hdr "$nc_after" c6)
	if [ "$(nc_class "$nc_after" c4)" = denied ] && [ "$(nc_class "$nc_after" c6)" = denied ] &&
		grep -qF "$A4 is an address of the host itself" <<<"$h4" &&
		grep -qF "$A6 is an address of the host itself" <<<"$h6"; then
		tap_ok "CONNECT to $A4 and [$A6] after the host gained them: 403 X-Sbx-Denied ($h6)"
	else
		show_all; tap_fail "CONNECT after the host gained $A4/$A6: want 403 naming the host's address"
	fi
fi

# 5. A host service on an address the host gained: opened by the rule for exactly it.
if [ "$ctl" != 1 ]; then
	tap_skip "CONNECT to $A4S:$PORT after the host gained it: a host service" control-failed "no control"
elif [ "$(nc_class "$nc_after" s4)" = allowed ] && wseen hostapi "$TOK-after-s4"; then
	tap_ok "CONNECT to $A4S:$PORT after the host gained it: a host service (--allow $A4S:$PORT), hostapi answers"
else
	show_all; tap_fail "CONNECT after the host gained $A4S: want the host service reached"
fi

# 6. The server never saw the sandbox otherwise (before: no route; after: refused).
if grep -F "$TOK-" "$(wlog hostapi)" | grep -qvF -e "$TOK-ctl" -e "$TOK-after-s4"; then
	tap_diag "hostapi: $(grep -F "$TOK-" "$(wlog hostapi)" | grep -vF -e "$TOK-ctl" -e "$TOK-after-s4")"
	tap_fail "hostapi received a request from the sandbox through the proxy"
else
	tap_ok "hostapi received nothing else from the sandbox"
fi

# 7. The decision log names the refusal, and the host service.
if al_json_ok "$DLOG" "len([e for e in ev if e.get('verdict') == 'deny' and e.get('error') == 'host address' and '$A4' in e.get('addresses', [])]) == 2 and any(e.get('error') == 'host address' and '$A6' in e.get('addresses', []) for e in ev) and any(e.get('verdict') == 'allow' and e.get('rule') == '$A4S:$PORT' and 'opens a host service (interface address)' in e.get('reason', '') for e in ev)"; then
	tap_ok "decision log: the refusals are logged as \"host address\", the host service by its rule"
else
	tap_diag "log: $(cat "$DLOG")"; tap_fail "decision log of the self refusals"
fi

tap_done
