#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-hostsvc: explicit host services (issue 12 item 5). The proxy
# dials from the host, so the host's loopback and own addresses are its own
# services: an allow rule for exactly one address and one port
# (--allow 127.0.0.1:8000, --allow '[::1]:8000', --allow 198.18.0.1:8000 for
# an address of the fake host) opens exactly that service, through CONNECT,
# absolute-form GET and SOCKS5 alike; nothing else does: not the next port,
# not a name (--allow localhost:8000, or a name that resolves to 127.0.0.1),
# not a CIDR (127.0.0.0/8:8000), not a rule without a port or with a port
# range, not the unspecified address. `sbx check` answers the same, and the
# decision log names the rule. The server is hostapi of tests/world, on every
# address of the fake host (its loopback included), which logs every request
# with a token; the controls reach it without sbx first.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

PORT=8000
NEXT=$((PORT + 1))
HIF4=198.18.0.1
HIF6=fd00:5b::1

tap_plan 14
al_start
RUN=hs$RANDOM$RANDOM

# ---- controls without sbx: hostapi answers on each address of the fake host.
wcapture root "$PY" "$WD/bin/netclient.py" --timeout 3 \
	"lo4 direct 127.0.0.1 $PORT $RUN-ctl" "lo6 direct ::1 $PORT $RUN-ctl" \
	"if4 direct $HIF4 $PORT $RUN-ctl" "if6 direct $HIF6 $PORT $RUN-ctl"
CTL=$OUT
ctl_ok() { [ "$(awk -F'\t' -v id="$1" '$1 == id { print $2 }' <<<"$CTL")" = allowed ]; }
tap_diag "controls without sbx: $(awk -F'\t' '{ printf "%s=%s ", $1, $2 }' <<<"$CTL")"

cls() { awk -F'\t' -v id="$2" '$1 == id { print $2; exit }' <<<"$1"; }
detail() { awk -F'\t' -v id="$2" '$1 == id { print $3; exit }' <<<"$1"; }
# arrived TOKEN: hostapi logged a request for TOKEN.
arrived() { wseen hostapi "$1"; }

# expect OUT DESC WANT ID...: one TAP line; every ID has class WANT, and its
# token reached hostapi exactly when WANT is "allowed".
expect() {
	local out=$1 desc=$2 want=$3 bad= id c
	shift 3
	for id in "$@"; do
		c=$(cls "$out" "$id")
		[ "$c" = "$want" ] || bad="$bad $id=$c"
		if [ "$want" = allowed ]; then
			arrived "$RUN-$id" || bad="$bad $id:not-arrived"
		else
			arrived "$RUN-$id" && bad="$bad $id:ARRIVED"
		fi
	done
	if [ -z "$bad" ]; then
		tap_ok "$desc"
	else
		for id in "$@"; do tap_diag "$id $(cls "$out" "$id") $(detail "$out" "$id" | cut -c1-300)"; done
		tap_fail "$desc:$bad"
	fi
}

# ---- run H: host-service rules for loopback (IPv4, IPv6) and the fake host's own addresses.
RULES_H=(--allow "127.0.0.1:$PORT" --allow "[::1]:$PORT" --allow "$HIF4:$PORT" --allow "[$HIF6]:$PORT"
	--allow "loop.test:$PORT")
al_nc "${RULES_H[@]}" -- \
	"h4c connect 127.0.0.1 $PORT $RUN-h4c" "h4g get 127.0.0.1 $PORT $RUN-h4g" \
	"h4s socks 127.0.0.1 $PORT $RUN-h4s ipv4" "h4d socks 127.0.0.1 $PORT $RUN-h4d domain" \
	"h6c connect ::1 $PORT $RUN-h6c" "h6g get ::1 $PORT $RUN-h6g" "h6s socks ::1 $PORT $RUN-h6s ipv6" \
	"hmc connect ::ffff:127.0.0.1 $PORT $RUN-hmc" \
	"i4c connect $HIF4 $PORT $RUN-i4c" "i4g get $HIF4 $PORT $RUN-i4g" "i4s socks $HIF4 $PORT $RUN-i4s ipv4" \
	"i6c connect $HIF6 $PORT $RUN-i6c" "i6s socks $HIF6 $PORT $RUN-i6s ipv6" \
	"n4c connect 127.0.0.1 $NEXT $RUN-n4c" "n4g get 127.0.0.1 $NEXT $RUN-n4g" \
	"n4s socks 127.0.0.1 $NEXT $RUN-n4s ipv4" "n6c connect ::1 $NEXT $RUN-n6c" \
	"nic connect $HIF4 $NEXT $RUN-nic" "l2c connect 127.0.0.2 $PORT $RUN-l2c" \
	"z4c connect 0.0.0.0 $PORT $RUN-z4c" "z4s socks 0.0.0.0 $PORT $RUN-z4s ipv4" "z6c connect :: $PORT $RUN-z6c" \
	"ltc connect loop.test $PORT $RUN-ltc" "ltg get loop.test $PORT $RUN-ltg" \
	"lts socks loop.test $PORT $RUN-lts domain" "ltd dns loop.test A" "lt6 dns loop.test AAAA"
OUT_H=$OUT DLOG_H=$DLOG
tap_diag "run H: rc $RC, $(grep -c . <<<"$OUT_H") ops"

# 1-3. The host services themselves, every method.
if ctl_ok lo4 && ctl_ok lo6; then
	expect "$OUT_H" "--allow 127.0.0.1:$PORT and [::1]:$PORT reach the fake host's loopback (CONNECT, GET, SOCKS5 by address and by text, ::ffff:127.0.0.1)" \
		allowed h4c h4g h4s h4d h6c h6g h6s hmc
else
	tap_skip "loopback host services" control-failed "hostapi on the fake host's loopback not reachable without sbx"
fi
if ctl_ok if4 && ctl_ok if6; then
	expect "$OUT_H" "--allow $HIF4:$PORT and [$HIF6]:$PORT (the fake host's own addresses) reach it (CONNECT, GET, SOCKS5)" \
		allowed i4c i4g i4s i6c i6s
else
	tap_skip "interface-address host services" control-failed "hostapi on $HIF4/$HIF6 not reachable without sbx"
fi
if grep -F "$RUN-h4c" "$(wlog hostapi)" | grep -q '"local": "127.0.0.1"' &&
	grep -F "$RUN-i4c" "$(wlog hostapi)" | grep -q "\"local\": \"$HIF4\""; then
	tap_ok "hostapi saw the requests on 127.0.0.1 and $HIF4: the proxy dialled exactly the named address"
else
	tap_diag "hostapi: $(grep -F "$RUN-" "$(wlog hostapi)" | head -n 4)"
	tap_fail "hostapi did not see the host-service requests on the addresses named"
fi

# 4. Exactly that port and address: not PORT+1, not 127.0.0.2, not the unspecified address.
expect "$OUT_H" "the next port ($NEXT), 127.0.0.2 and 0.0.0.0/:: stay refused (403 / SOCKS5 2)" \
	denied n4c n4g n4s n6c nic l2c z4c z4s z6c

# 5. A name that resolves to 127.0.0.1, allowed by name, never reaches it.
expect "$OUT_H" "loop.test:$PORT (allowed name, resolves to 127.0.0.1/::1) refused via CONNECT, GET, SOCKS5" \
	denied ltc ltg lts
if [ "$(cls "$OUT_H" ltd)" = rcode-5 ] && [ "$(cls "$OUT_H" lt6)" = rcode-5 ]; then
	tap_ok "DNS stub: loop.test A and AAAA answered REFUSED (no loopback record for a name)"
else
	tap_diag "ltd $(cls "$OUT_H" ltd) lt6 $(cls "$OUT_H" lt6)"
	tap_fail "DNS stub handed out loopback records of an allowed name"
fi
hdr=$(detail "$OUT_H" ltc | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read() or "{}").get("denied_hdr") or "")')
if grep -qF "never through a name" <<<"$hdr"; then
	tap_ok "the 403 for a name says host services are reached by address ($hdr)"
else
	tap_diag "ltc: $(detail "$OUT_H" ltc)"
	tap_fail "403 for loop.test does not say why"
fi

# ---- run L: --allow localhost:PORT opens nothing of the host.
al_nc --allow "localhost:$PORT" -- \
	"lhc connect localhost $PORT $RUN-lhc" "lhg get localhost $PORT $RUN-lhg" \
	"lhs socks localhost $PORT $RUN-lhs domain" "lh4 connect 127.0.0.1 $PORT $RUN-lh4"
OUT_L=$OUT
# 8.
expect "$OUT_L" "--allow localhost:$PORT: localhost:$PORT and 127.0.0.1:$PORT refused (CONNECT, GET, SOCKS5)" \
	denied lhc lhg lhs lh4

# ---- run C: broader rules are not host services.
al_nc --allow "127.0.0.0/8:$PORT" --allow 127.0.0.1 --allow "127.0.0.1:$((PORT - 1))-$NEXT" \
	--allow "[::/0]:$PORT" --allow "198.18.0.0/15:$PORT" -- \
	"c4c connect 127.0.0.1 $PORT $RUN-c4c" "c4g get 127.0.0.1 $PORT $RUN-c4g" \
	"c4s socks 127.0.0.1 $PORT $RUN-c4s ipv4" "c6c connect ::1 $PORT $RUN-c6c" \
	"cic connect $HIF4 $PORT $RUN-cic" "cis socks $HIF4 $PORT $RUN-cis ipv4"
OUT_C=$OUT
# 9.
expect "$OUT_C" "127.0.0.0/8:$PORT, 127.0.0.1 (every port), 127.0.0.1:$((PORT - 1))-$NEXT, [::/0]:$PORT, 198.18.0.0/15:$PORT open no host service" \
	denied c4c c4g c4s c6c cic cis

# 10. The decision log names the host-service rule.
if al_json_ok "$DLOG_H" "any(e.get('host') == '127.0.0.1' and e.get('port') == $PORT and e.get('verdict') == 'allow' and e.get('rule') == '127.0.0.1:$PORT' and e.get('source') == '--allow' and 'opens a host service' in e.get('reason', '') for e in ev) and any(e.get('host') == '$HIF4' and e.get('verdict') == 'allow' and e.get('rule') == '$HIF4:$PORT' and 'host service (interface address)' in e.get('reason', '') for e in ev)"; then
	tap_ok "decision log: allowed lines name the rule (--allow) and say it opens a host service"
else
	tap_diag "log: $(grep -F '"127.0.0.1"' "$DLOG_H" | head -n 3)"
	tap_fail "decision log for host services"
fi
# 11.
if al_json_ok "$DLOG_H" "any(e.get('host') == 'loop.test' and e.get('verdict') == 'deny' and 'never through a name' in e.get('reason', '') for e in ev) and any(e.get('host') == '127.0.0.1' and e.get('port') == $NEXT and e.get('verdict') == 'deny' and 'address of the host itself' in e.get('reason', '') for e in ev)"; then
	tap_ok "decision log: refusals say why (a name; not exactly the rule's port)"
else
	tap_diag "log: $(grep -F -e loop.test -e "$NEXT" "$DLOG_H" | head -n 4)"
	tap_fail "decision log for refused host addresses"
fi

# 12-14. sbx check gives the proxy's answers (run in the fake host, whose addresses the proxy saw).
check_line() { awk -v d="$1" '$2 == d { print $1; exit }' <<<"$OUT"; }
wcapture sbx check "${RULES_H[@]}" "127.0.0.1:$PORT" "[::1]:$PORT" "[::ffff:127.0.0.1]:$PORT" "$HIF4:$PORT" \
	"[$HIF6]:$PORT" "127.0.0.1:$NEXT" "[::1]:$NEXT" "$HIF4:$NEXT" "127.0.0.2:$PORT" "0.0.0.0:$PORT" "[::]:$PORT"
got=$(awk '{ printf "%s ", $1 }' <<<"$OUT")
if [ "$RC" = 1 ] && [ "$got" = "allow allow allow allow allow deny deny deny deny deny deny " ]; then
	tap_ok "sbx check agrees: the host services allowed, the next port, 127.0.0.2 and 0.0.0.0/:: denied"
else
	show; tap_fail "sbx check on host services: $got"
fi
wcapture sbx check --resolve --allow "loop.test:$PORT" --allow "localhost:$PORT" --allow "127.0.0.1:$PORT" \
	"loop.test:$PORT" "localhost:$PORT"
if [ "$RC" = 1 ] && [ "$(check_line "loop.test:$PORT")" = deny ] && [ "$(check_line "localhost:$PORT")" = deny ] &&
	grep -qF "never through a name" <<<"$OUT"; then
	tap_ok "sbx check --resolve: names that resolve to loopback are denied, as the proxy does"
else
	show; tap_fail "sbx check --resolve for names that resolve to the host"
fi
wcapture sbx check --allow "127.0.0.0/8:$PORT" --allow 127.0.0.1 --allow "127.0.0.1:$((PORT - 1))-$NEXT" \
	--allow "198.18.0.0/15:$PORT" "127.0.0.1:$PORT" "$HIF4:$PORT"
if [ "$RC" = 1 ] && [ "$(check_line "127.0.0.1:$PORT")" = deny ] && [ "$(check_line "$HIF4:$PORT")" = deny ] &&
	grep -qF "$HIF4 is an address of the host itself (interface address)" <<<"$OUT"; then
	tap_ok "sbx check: broader rules open no host service, the fake host's $HIF4 named as its own"
else
	show; tap_fail "sbx check with broad rules"
fi

tap_done
