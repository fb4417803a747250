#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-upstream: behind a corporate proxy (issue 12 item 6). With
# --upstream-proxy, sbx judges every request as without it and then asks the
# upstream proxy for a tunnel to what it judged (the locally resolved and
# judged address; the name itself only when the host cannot resolve it,
# logged as "checked":"name"), speaking HTTP CONNECT or SOCKS5 itself, with
# credentials from a file or from its own environment that the payload never
# sees. In the fake internet of tests/world, tests/world/upstream.py runs in
# the world as the corporate proxy (CONNECT and SOCKS5; one instance open,
# one demanding credentials, one that sends bytes right after its reply);
# nothing listens on a fourth address (an upstream that is down). The
# upstream's own log proves what it was asked for and by which credentials'
# user; the world's HTTP log proves the requests came from the upstream, not
# from the fake host directly.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 22
al_start
RUN=up$RANDOM$RANDOM
SECRET="S3cr3t-$RUN"
USER_OK=corpuser
BASIC=$(printf '%s:%s' "$USER_OK" "$SECRET" | base64 -w0)
UP1=11.11.0.80 # open; resolves hidden.test itself; refuses other.test's addresses
UP2=11.11.0.81 # demands corpuser:$SECRET
UP3=11.11.0.83 # sends GREET right after its reply
DOWN=11.11.0.82
UPORT=3128

# start_upstream NAME ARGS...: upstream.py in the world, log $WD/log/up-NAME.log.
start_upstream() {
	local name=$1 i
	shift
	: >"$WD/log/up-$name.log"
	[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$WD/log/up-$name.log"
	rm -f "$WD/r.up-$name"
	world_cmd world "$PY" "$WD/bin/upstream.py" --log "$WD/log/up-$name.log" --ready "$WD/r.up-$name" "$@"
	"${CMD[@]}" </dev/null >/dev/null 2>>"$WD/log/err.log" &
	bg_track $!
	for ((i = 0; i < 250; i++)); do
		[ -e "$WD/r.up-$name" ] && return 0
		sleep 0.02
	done
	return 1
}
uplog() { cat "$WD/log/up-$1.log"; }
# upseen NAME PYEXPR: a line of up-NAME.log (as "e") makes PYEXPR true.
upseen() {
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)' "$WD/log/up-$1.log" "$2"
}
cls() { awk -F'\t' -v id="$2" '$1 == id { print $2; exit }' <<<"$1"; }
detail() { awk -F'\t' -v id="$2" '$1 == id { print $3; exit }' <<<"$1"; }
body() { detail "$1" "$2" | "$PY" -c 'import json, sys; print(json.loads(sys.stdin.read() or "{}").get("body") or "")'; }

up_ok=1
start_upstream 1 --listen "$UP1:$UPORT" --listen "[3ffe:5b::80]:$UPORT" --hosts hidden.test=11.11.0.10 \
	--deny 11.11.0.12 --deny 3ffe:5b::12 || up_ok=0
start_upstream 2 --listen "$UP2:$UPORT" --auth "$USER_OK:$SECRET" --hosts hidden.test=11.11.0.10 || up_ok=0
start_upstream 3 --listen "$UP3:$UPORT" --greet "GREET-$RUN" || up_ok=0

# 1. Control without sbx: the fake host reaches the world through the upstream; hidden.test is the upstream's alone.
wcapture root sh -c "curl -sS --max-time 5 -x http://$UP1:$UPORT -p http://11.11.0.10/$RUN-ctl1 &&
	curl -sS --max-time 5 -x http://$UP2:$UPORT -U '$USER_OK:$SECRET' -p http://www.test/$RUN-ctl2 &&
	curl -sS --max-time 5 -x socks5h://$UP1:$UPORT http://hidden.test/$RUN-ctl3; echo; getent hosts hidden.test; echo rc=\$?"
if [ "$up_ok" = 1 ] && wseen http "$RUN-ctl1" && wseen http "$RUN-ctl2" && wseen http "$RUN-ctl3" &&
	grep -q 'rc=2' <<<"$OUT"; then
	CTL=1
	tap_ok "control without sbx: the upstream proxies tunnel to the world (CONNECT, auth, SOCKS5); the fake host cannot resolve hidden.test"
else
	CTL=0
	show "control"
	tap_diag "upstream logs: $(uplog 1) $(uplog 2); err: $(tail -n 5 "$WD/log/err.log")"
	tap_fail "control without sbx: the upstream proxies do not work"
fi
if [ "$CTL" != 1 ]; then
	while [ "$_tap_n" -lt 22 ]; do tap_skip "upstream case $((_tap_n + 1))" control-failed "the upstream control failed"; done
	tap_done
fi

# ---- run A: an open HTTP upstream.
al_nc --upstream-proxy "http://$UP1:$UPORT" --allow www.test:80 --allow 11.11.0.10:80 --allow '[3ffe:5b::10]:80' \
	--allow hidden.test --allow other.test --allow "$UP1:$UPORT" --allow "127.0.0.1:8000" -- \
	"ac connect www.test 80 $RUN-ac" "ag get www.test 80 $RUN-ag" "as socks www.test 80 $RUN-as domain" \
	"a4 connect 11.11.0.10 80 $RUN-a4" "a6 connect 3ffe:5b::10 80 $RUN-a6" \
	"hc connect hidden.test 80 $RUN-hc" "hs socks hidden.test 80 $RUN-hs domain" \
	"nc connect notallowed.test 80 $RUN-nc" "np connect www.test 8080 $RUN-np" \
	"oc connect other.test 80 $RUN-oc" "os socks other.test 80 $RUN-os domain" \
	"uc connect $UP1 $UPORT $RUN-uc" "us socks $UP1 $UPORT $RUN-us ipv4" \
	"lc connect 127.0.0.1 8000 $RUN-lc"
OUT_A=$OUT DLOG_A=$DLOG
tap_diag "run A: rc $RC; $(cut -f1,2 <<<"$OUT_A" | tr '\t\n' '= ')"

# 2.
if [ "$(cls "$OUT_A" ac)" = allowed ] && [ "$(cls "$OUT_A" ag)" = allowed ] && [ "$(cls "$OUT_A" as)" = allowed ] &&
	[ "$(cls "$OUT_A" a4)" = allowed ] && [ "$(cls "$OUT_A" a6)" = allowed ]; then
	tap_ok "http:// upstream: CONNECT, absolute-form GET and SOCKS5 clients reach www.test (by name, IPv4, IPv6)"
else
	tap_diag "$OUT_A"; tap_fail "http:// upstream: allowed requests"
fi
# 3. Through the upstream, for the judged addresses, never straight from the fake host.
bad=
for id in ac ag as a4 a6; do
	grep -F "$RUN-$id" "$(wlog http)" | grep -q '"peer": "198.18.0.1"' && bad="$bad $id:direct"
	wseen http "$RUN-$id" || bad="$bad $id:missing"
done
if [ -z "$bad" ] && upseen 1 "e.get('target') == '11.11.0.10' and e.get('port') == 80 and e['result'] == 'tunnel'" &&
	upseen 1 "e.get('target') == '3ffe:5b::10' and e['result'] == 'tunnel'" &&
	! upseen 1 "e.get('target') == 'www.test'"; then
	tap_ok "the upstream was asked for the judged addresses (11.11.0.10, 3ffe:5b::10), never the name; the world saw the upstream, not the fake host"
else
	tap_diag "bad:$bad; upstream: $(uplog 1 | head -n 8)"; tap_fail "requests did not go through the upstream for the judged addresses"
fi
# 4. Local resolution fails: the name goes to the upstream.
if [ "$(cls "$OUT_A" hc)" = allowed ] && [ "$(cls "$OUT_A" hs)" = allowed ] &&
	upseen 1 "e.get('target') == 'hidden.test' and e['result'] == 'tunnel'"; then
	tap_ok "hidden.test (unresolvable on the host, allowed by name) handed to the upstream by name"
else
	tap_diag "hc $(cls "$OUT_A" hc) $(detail "$OUT_A" hc | cut -c1-300)"; tap_fail "name handed to the upstream"
fi
# 5.
if al_json_ok "$DLOG_A" "any(e.get('host') == 'hidden.test' and e.get('verdict') == 'allow' and e.get('checked') == 'name' and e.get('addresses') == [] for e in ev) and any(e.get('host') == 'www.test' and e.get('verdict') == 'allow' and e.get('checked') == 'name+addresses' and '11.11.0.10' in e.get('addresses', []) for e in ev) and any(e.get('host') == '11.11.0.10' and e.get('checked') == 'address' for e in ev)"; then
	tap_ok "decision log: \"checked\" is name for hidden.test, name+addresses for www.test, address for 11.11.0.10"
else
	tap_diag "log: $(grep -e hidden -e www "$DLOG_A" | head -n 4)"; tap_fail "decision log checked field"
fi
# 6. sbx's own refusals never reach the upstream.
if [ "$(cls "$OUT_A" nc)" = denied ] && [ "$(cls "$OUT_A" np)" = denied ] &&
	! upseen 1 "e.get('target') in ('notallowed.test',) or e.get('port') == 8080"; then
	tap_ok "names and ports the policy denies get sbx's 403 and never reach the upstream"
else
	tap_diag "nc $(cls "$OUT_A" nc) np $(cls "$OUT_A" np)"; tap_fail "policy denials with an upstream"
fi
# 7. The upstream refuses a target: 502 naming its answer; SOCKS5 general failure.
ob=$(body "$OUT_A" oc)
if [ "$(cls "$OUT_A" oc)" = http-502 ] && grep -qE "refused CONNECT (11\.11\.0\.12|\[3ffe:5b::12\]):80: 403 Forbidden" <<<"$ob" &&
	! grep -qF "corporate policy" <<<"$ob" && [ "$(cls "$OUT_A" os)" = socks-1 ]; then
	tap_ok "the upstream's 403: the client gets 502 naming it ($(head -n1 <<<"$ob")), SOCKS5 general failure"
else
	tap_diag "oc $(cls "$OUT_A" oc) body $ob; os $(cls "$OUT_A" os)"; tap_fail "upstream refusal"
fi
# 8. The payload cannot use the upstream itself as a destination.
if [ "$(cls "$OUT_A" uc)" = denied ] && [ "$(cls "$OUT_A" us)" = denied ] &&
	! upseen 1 "e.get('target') == '$UP1'" && grep -qF "is the upstream proxy" <<<"$(detail "$OUT_A" uc)"; then
	tap_ok "$UP1:$UPORT (the upstream itself, even with --allow $UP1:$UPORT) refused: 403 / SOCKS5 2"
else
	tap_diag "uc $(cls "$OUT_A" uc) $(detail "$OUT_A" uc | cut -c1-300) us $(cls "$OUT_A" us)"
	tap_fail "the upstream itself as a destination"
fi
# 9. A host service is the host's: dialled directly, not through the upstream.
if [ "$(cls "$OUT_A" lc)" = allowed ] && wseen hostapi "$RUN-lc" && ! upseen 1 "e.get('target') == '127.0.0.1'"; then
	tap_ok "--allow 127.0.0.1:8000 (a host service) is dialled directly, never asked of the upstream"
else
	tap_diag "lc $(cls "$OUT_A" lc) $(detail "$OUT_A" lc | cut -c1-300)"; tap_fail "host service with an upstream"
fi

# ---- run S: SOCKS5 upstreams.
al_nc --upstream-proxy "socks5://$UP1:$UPORT" --allow www.test --allow hidden.test -- \
	"sc connect www.test 80 $RUN-sc" "sh connect hidden.test 80 $RUN-sh"
OUT_S=$OUT
# 10.
if [ "$(cls "$OUT_S" sc)" = allowed ] && upseen 1 "e['proto'] == 'socks5' and e.get('target') == '11.11.0.10' and e['result'] == 'tunnel'" &&
	[ "$(cls "$OUT_S" sh)" = http-502 ] && grep -qF "socks5h:// would resolve it" <<<"$(body "$OUT_S" sh)"; then
	tap_ok "socks5:// upstream: addresses only (www.test asked as 11.11.0.10); an unresolvable name is 502, naming socks5h://"
else
	tap_diag "$OUT_S"; tap_fail "socks5:// upstream"
fi
al_nc --upstream-proxy "socks5h://[3ffe:5b::80]:$UPORT" --allow hidden.test -- "hh get hidden.test 80 $RUN-hh"
# 11.
if [ "$(cls "$OUT" hh)" = allowed ] && upseen 1 "e['proto'] == 'socks5' and e.get('target') == 'hidden.test' and ':' in e.get('peer', '')"; then
	tap_ok "socks5h:// upstream (IPv6 address): an unresolvable name handed over by name"
else
	tap_diag "$OUT"; tap_fail "socks5h:// upstream"
fi

# ---- credentials.
AUTH=$W/outside/proxy-auth
printf '%s:%s\n' "$USER_OK" "$SECRET" >"$AUTH"
BADAUTH=$W/outside/proxy-auth-bad
printf '%s:wrong-%s\n' "$USER_OK" "$RUN" >"$BADAUTH"
chmod 0600 "$AUTH" "$BADAUTH"
[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$AUTH" "$BADAUTH"
# The payload looks everywhere it could learn them, then asks with them in place.
LEAK='env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do echo "== $f"; tr "\0" "\n" <"$f" 2>&1; done; echo "== file"; cat '"$AUTH"' 2>&1; echo "== net"; '"$PY $WD/bin/netclient.py"' --timeout 8 "xc connect www.test 80 '"$RUN"'-$1" "xs socks www.test 80 '"$RUN"'-$1s domain" "xg get www.test 80 '"$RUN"'-$1g" "xd connect notallowed.test 80 '"$RUN"'-$1d" "xu connect '"$UP2 $UPORT $RUN"'-$1u"'
leaks() { grep -cF -e "$SECRET" -e "$BASIC" <<<"$1"; }

al_run --upstream-proxy "http://$UP2:$UPORT" --upstream-proxy-auth-file "$AUTH" --allow www.test \
	--allow "$UP2:$UPORT" -- /bin/sh -c "$LEAK" x file
OUT_F=$OUT DLOG_F=$DLOG ERR_F=$ERR
# 12.
if [ "$(cls "$OUT_F" xc)" = allowed ] && [ "$(cls "$OUT_F" xg)" = allowed ] &&
	upseen 2 "e.get('user') == '$USER_OK' and e['auth'] == 'ok' and e['result'] == 'tunnel'"; then
	tap_ok "credentials from --upstream-proxy-auth-file: the upstream accepted them (user $USER_OK)"
else
	tap_diag "$(grep -v '^==' <<<"$OUT_F" | grep -E '^x[csg]')"; tap_diag "up2: $(uplog 2 | tail -n 3)"
	tap_fail "credentials from a file"
fi
# 13.
if [ "$(leaks "$OUT_F$ERR_F$(cat "$DLOG_F")")" = 0 ] && grep -q '^== file' <<<"$OUT_F" &&
	[ "$(cls "$OUT_F" xd)" = denied ] && [ "$(cls "$OUT_F" xu)" = denied ] &&
	! grep -qF "$USER_OK:" <<<"$(sed -n '/^== file/,/^== net/p' <<<"$OUT_F")"; then
	tap_ok "the payload cannot read them: not in its environment, any /proc/*/environ or cmdline, the hidden file, 403 bodies, the log, sbx's stderr"
else
	tap_diag "leaks: $(grep -nF -e "$SECRET" -e "$BASIC" -e "$USER_OK:" <<<"$OUT_F$ERR_F$(cat "$DLOG_F")" | head -n 5)"
	tap_fail "the credentials leak to the payload"
fi

rm -f "$AUTH" # from here on, the credentials are only in sbx's environment
SBX_UPSTREAM_PROXY_AUTH="$USER_OK:$SECRET" al_run --upstream-proxy "socks5h://$UP2:$UPORT" --allow www.test \
	--allow hidden.test -- /bin/sh -c "$LEAK; $PY $WD/bin/netclient.py --timeout 8 'xh socks hidden.test 80 $RUN-xh domain'" x env
OUT_E=$OUT DLOG_E=$DLOG ERR_E=$ERR
# 14.
if [ "$(cls "$OUT_E" xs)" = allowed ] && [ "$(cls "$OUT_E" xh)" = allowed ] &&
	upseen 2 "e['proto'] == 'socks5' and e.get('user') == '$USER_OK' and e['auth'] == 'ok' and e.get('target') == 'hidden.test'"; then
	tap_ok "credentials from SBX_UPSTREAM_PROXY_AUTH over socks5h:// (RFC 1929): accepted"
else
	tap_diag "$(grep -E '^x[csgh]' <<<"$OUT_E")"; tap_diag "up2: $(uplog 2 | tail -n 3)"; tap_fail "credentials from the environment"
fi
# 15.
if [ "$(leaks "$OUT_E$ERR_E$(cat "$DLOG_E")")" = 0 ] && ! grep -q '^SBX_UPSTREAM_PROXY_AUTH=' <<<"$OUT_E"; then
	tap_ok "SBX_UPSTREAM_PROXY_AUTH is not in the payload's environment nor anywhere it can read"
else
	tap_diag "leaks: $(grep -nF -e "$SECRET" -e SBX_UPSTREAM <<<"$OUT_E$ERR_E" | head -n 5)"
	tap_fail "the environment credentials leak"
fi

# 16-17. The upstream refuses the credentials, or gets none: 502 naming 407, nothing of its page passed on.
al_run --upstream-proxy "http://$UP2:$UPORT" --upstream-proxy-auth-file "$BADAUTH" --allow www.test -- \
	"$PY" "$WD/bin/netclient.py" --timeout 8 "bc connect www.test 80 $RUN-bc" "bs socks www.test 80 $RUN-bs domain"
bb=$(body "$OUT" bc)
if [ "$(cls "$OUT" bc)" = http-502 ] && grep -qF "407 Proxy Authentication Required (it did not accept sbx's credentials)" <<<"$bb" &&
	[ "$(cls "$OUT" bs)" = socks-1 ] && ! grep -qF -e "wrong-$RUN" -e "you sent" -e "Basic" <<<"$OUT$(cat "$DLOG")"; then
	tap_ok "wrong credentials: 502 naming the upstream's 407 in sbx's words; its page (which quotes them) never passed on"
else
	tap_diag "bc $(cls "$OUT" bc): $bb; bs $(cls "$OUT" bs)"; tap_fail "upstream 407 with wrong credentials"
fi
al_nc --upstream-proxy "socks5://$UP2:$UPORT" --allow www.test -- "nc connect www.test 80 $RUN-nc2"
if [ "$(cls "$OUT" nc)" = http-502 ] && grep -qF "accepted none of sbx's authentication methods" <<<"$(body "$OUT" nc)"; then
	tap_ok "no credentials for a SOCKS5 upstream that wants them: 502 saying so"
else
	tap_diag "$OUT"; tap_fail "SOCKS5 upstream without credentials"
fi

# 18. The upstream is down.
al_nc --upstream-proxy "http://$DOWN:$UPORT" --allow www.test -- \
	"dc connect www.test 80 $RUN-dc" "dg get www.test 80 $RUN-dg" "ds socks www.test 80 $RUN-ds domain"
if [ "$(cls "$OUT" dc)" = http-502 ] && [ "$(cls "$OUT" dg)" = http-502 ] && [ "$(cls "$OUT" ds)" = socks-1 ] &&
	grep -qF "upstream proxy unreachable" <<<"$(body "$OUT" dc)" &&
	al_json_ok "$DLOG" "any(e.get('verdict') == 'allow' and 'upstream proxy unreachable' in e.get('error', '') for e in ev)"; then
	tap_ok "upstream down: 502 \"upstream proxy unreachable\" (SOCKS5 general failure), logged as the error"
else
	tap_diag "$OUT"; tap_diag "log: $(cat "$DLOG")"; tap_fail "upstream down"
fi

# 19. Bytes the upstream sends right after its reply reach the client, after sbx's own answer.
al_run --upstream-proxy "http://$UP3:$UPORT" --allow www.test -- "$PY" -c '
import socket, sys
s = socket.create_connection(("10.255.255.1", 3128), timeout=8)
s.sendall(b"CONNECT www.test:80 HTTP/1.1\r\nHost: www.test:80\r\n\r\n")
buf = b""
while b"GREET" not in buf or not buf.endswith(sys.argv[1].encode()[-4:]):
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.decode("latin-1").replace("\r", "\\r").replace("\n", "\\n"))' "GREET-$RUN"
if grep -qF 'HTTP/1.1 200 Connection established\r\n\r\nGREET-'"$RUN" <<<"$OUT" && ! grep -qF "upstream.py" <<<"$OUT"; then
	tap_ok "the destination's first bytes, sent with the upstream's reply, reach the client after sbx's 200 (the upstream's head does not)"
else
	show; tap_fail "bytes after the upstream's reply"
fi

# 20. Credentials in the URL are refused, without being repeated.
wcapture sbx run --network=allowlist --upstream-proxy "http://$USER_OK:$SECRET@$UP1:$UPORT" --allow www.test -- /bin/true
if [ "$RC" = 125 ] && grep -qF "must not carry credentials" <<<"$ERR" && ! grep -qF "$SECRET" <<<"$ERR$OUT"; then
	tap_ok "--upstream-proxy with user:password@ refused (exit 125), the password not repeated: $ERR"
else
	show; tap_fail "credentials in the URL"
fi
# 21. Other refusals at start.
wcapture sbx run --network=allowlist --upstream-proxy "http://nosuch.test:$UPORT" --allow www.test -- /bin/true
rc1=$RC err1=$ERR
wcapture sbx run --upstream-proxy "http://$UP1:$UPORT" -- /bin/true
if [ "$rc1" = 125 ] && grep -qF "cannot resolve 'nosuch.test'" <<<"$err1" && [ "$RC" = 125 ] &&
	grep -qF "allowlist only" <<<"$ERR"; then
	tap_ok "an unresolvable upstream and --upstream-proxy outside allowlist posture: exit 125 before anything starts"
else
	tap_diag "rc1 $rc1: $err1"; show; tap_fail "start-time refusals"
fi
# 22. Every decision line of these runs follows the schema (tap_done validates too), with "checked".
if al_json_ok "$DLOG_A" "all(e.get('checked') in ('none', 'address', 'name', 'name+addresses') for e in ev) and len(ev) >= 10"; then
	tap_ok "decision log lines carry \"checked\""
else
	tap_diag "$(head -n 3 "$DLOG_A")"; tap_fail "decision log checked field on every line"
fi

tap_done
