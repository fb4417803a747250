#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-deny: every destination the policy denies is refused by sbx's
# proxy however it is asked (HTTP CONNECT, absolute-form GET, SOCKS5 with a
# name, SOCKS5 with an address) and by its DNS stub, with the documented
# refusal (403 + X-Sbx-Denied, SOCKS5 reply 2, DNS REFUSED); the fake
# world's own logs prove no denied request ever arrived, the world DNS log
# proves denied names were never sent upstream, and the decision log
# records each decision. Hostile names: rebinding, multi-record with one
# bad record, IPv4-mapped and NAT64 AAAA answers, loopback and metadata
# records, a name that never answers. Address spellings: decimal, hex,
# octal, short and mapped forms.
#
# Positive controls: each destination is first reached directly from the
# fake host (the server exists and logs); each method is shown to work
# through the proxy for an allowed destination in the same sandbox run. A
# target whose control fails is SKIPped, never passed.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

# Targets: ID KIND HOST PORT CONTROL. KIND: name (allowed or not by name
# rules), v4/v6 (literal), spell (a numeric spelling that is not canonical).
# CONTROL: a direct op from the fake host that proves the destination is
# real ("-" when the name itself is the point and its address is checked
# by another control).
TARGETS_A="
other     name  other.test           80    d-other
deny      name  RUN.deny.test        80    d-other
port      name  www.test             8080  d-www8080
mixed     name  mixed.test           80    d-lo80
mixedmd   name  mixedmd.test         80    d-md
mapped    name  mapped.test          80    d-lo80
nat64     name  nat64.test           80    d-lo80
mappedmd  name  mappedmd.test        80    d-md
loop      name  loop.test            8000  d-lo4
meta      name  meta.test            80    d-md
zero      name  zero.test            8000  d-zero
localhost name  localhost            8000  d-lo4
gmeta     name  metadata.google.internal 80 -
pub4      v4    11.11.0.12           80    d-other
www4      v4    11.11.0.10           80    d-www
pub6      v6    3ffe:5b::12          80    d-other6
lo4       v4    127.0.0.1            8000  d-lo4
lo4b      v4    127.0.0.2            8000  d-lo4b
zero4     v4    0.0.0.0              8000  d-zero
lo6       v6    ::1                  8000  d-lo6
any6      v6    ::                   8000  d-any6
map6      v6    ::ffff:127.0.0.1     8000  d-map6
map6x     v6    ::ffff:7f00:1        8000  d-map6
nat6      v6    64:ff9b::7f00:1      8000  d-lo4
hostif    v4    198.18.0.1           8000  d-hostif
md4       v4    169.254.169.254      80    d-md
ecs       v4    169.254.170.2        80    d-ecs
ali       v4    100.100.100.200      80    d-ali
azure     v4    168.63.129.16        80    d-azure
md6       v6    fd00:ec2::254        80    d-md6
mdmap     v6    ::ffff:169.254.169.254 80  d-md
sp-dec    spell 2130706433           8000  d-lo4
sp-hex1   spell 0x7f.1               8000  d-lo4
sp-short  spell 127.1                8000  d-lo4
sp-oct    spell 0177.0.0.1           8000  d-lo4
sp-hex    spell 0x7f000001           8000  d-lo4
sp-lead0  spell 127.0.0.01           8000  d-lo4
sp-hexq   spell 0x7f.0.0.1           8000  d-lo4
sp-octall spell 017700000001         8000  d-lo4
sp-dot    spell 127.0.0.1.           8000  d-lo4
"
# With broad CIDRs and an allowed "localhost": special ranges stay closed.
TARGETS_B="
b-lo4     v4    127.0.0.1            8000  d-lo4
b-lo6     v6    ::1                  8000  d-lo6
b-map6    v6    ::ffff:127.0.0.1     8000  d-map6
b-zero4   v4    0.0.0.0              8000  d-zero
b-bench   v4    198.18.1.10          80    d-bench
b-hostif  v4    198.18.0.1           8000  d-hostif
b-md4     v4    169.254.169.254      80    d-md
b-azure   v4    168.63.129.16        80    d-azure
b-ali     v4    100.100.100.200      80    d-ali
b-md6     v6    fd00:ec2::254        80    d-md6
b-local   name  localhost            8000  d-lo4
b-loop    name  loop.test            8000  d-lo4
"
# Benchmarking range opened explicitly: the fake host's own address stays closed.
TARGETS_C="
c-hostif  v4    198.18.0.1           8000  d-hostif
c-mixed   name  mixedhost.test       80    d-hostif80
"
RULES_A=(--allow www.test:80 --allow www.test:443 --allow '*.ok.test' --allow mixed.test --allow mixedmd.test
	--allow mapped.test --allow nat64.test --allow mappedmd.test --allow loop.test --allow meta.test
	--allow zero.test --allow '*.rebind.test' --allow '*.rebindmd.test' --allow silent.test)
RULES_B=(--allow 0.0.0.0/0 --allow ::/0 --allow localhost --allow loop.test)
RULES_C=(--allow 198.18.0.0/15 --allow mixedhost.test --allow bench.test)

ntargets=$(($(grep -c . <<<"$TARGETS_A") + $(grep -c . <<<"$TARGETS_B") + $(grep -c . <<<"$TARGETS_C")))
tap_plan $((ntargets + 18))
al_start
RUN=r$RANDOM$RANDOM

# ---- controls from the fake host, without sbx.
wcapture root "$PY" "$WD/bin/netclient.py" --timeout 3 \
	"d-other direct 11.11.0.12 80 $RUN-ctl" "d-other6 direct 3ffe:5b::12 80 $RUN-ctl" \
	"d-www direct 11.11.0.10 80 $RUN-ctl" "d-www8080 direct 11.11.0.10 8080 $RUN-ctl" \
	"d-lo4 direct 127.0.0.1 8000 $RUN-ctl" "d-lo4b direct 127.0.0.2 8000 $RUN-ctl" "d-lo80 direct 127.0.0.1 80 $RUN-ctl" \
	"d-zero direct 0.0.0.0 8000 $RUN-ctl" "d-lo6 direct ::1 8000 $RUN-ctl" "d-any6 direct :: 8000 $RUN-ctl" \
	"d-map6 direct ::ffff:127.0.0.1 8000 $RUN-ctl" "d-hostif direct 198.18.0.1 8000 $RUN-ctl" \
	"d-hostif80 direct 198.18.0.1 80 $RUN-ctl" \
	"d-md direct 169.254.169.254 80 $RUN-ctl" "d-ecs direct 169.254.170.2 80 $RUN-ctl" \
	"d-ali direct 100.100.100.200 80 $RUN-ctl" "d-azure direct 168.63.129.16 80 $RUN-ctl" \
	"d-md6 direct fd00:ec2::254 80 $RUN-ctl" "d-bench direct 198.18.1.10 80 $RUN-ctl"
CTL=$OUT
ctl_ok() {
	[ "$1" = - ] && return 0
	[ "$(awk -F'\t' -v id="$1" '$1 == id { print $2 }' <<<"$CTL")" = allowed ]
}
tap_diag "controls without sbx: $(awk -F'\t' '{ printf "%s=%s ", $1, $2 }' <<<"$CTL")"
# Spellings: the fake host's libc reads every one of them as loopback.
wcapture root sh -c 'for h in 2130706433 0x7f.1 127.1 0177.0.0.1 0x7f000001 017700000001; do getent ahostsv4 $h | head -n1; done'
spell_ctl=$(grep -c '^127\.0\.0\.1 ' <<<"$OUT")
tap_diag "fake host libc reads $spell_ctl of 6 numeric spellings as 127.0.0.1"

# ops_for ID KIND HOST PORT: the netclient ops for one target.
ops_for() {
	local id=$1 kind=$2 host=${3//RUN/$RUN} port=$4 t="$RUN-$1"
	echo "$id.c connect $host $port $t-c"
	echo "$id.g get $host $port $t-g"
	case "$kind" in
	name | spell) echo "$id.s socks $host $port $t-s domain" ;;
	v4) echo "$id.s socks $host $port $t-s ipv4"; echo "$id.sd socks $host $port $t-sd domain" ;;
	v6) echo "$id.s socks $host $port $t-s ipv6" ;;
	esac
}

# Allowed controls for every method, inside each run.
ctl_ops() {
	local h=$1 p=$2 t="$RUN-$3"
	echo "$3.c connect $h $p $t-c"
	echo "$3.g get $h $p $t-g"
	echo "$3.s socks $h $p $t-s ${4:-domain}"
}

mapfile -t OPS_A < <(
	ctl_ops www.test 80 okA
	while read -r id kind host port _; do [ -n "$id" ] && ops_for "$id" "$kind" "$host" "$port"; done <<<"$TARGETS_A"
	echo "sx.bind socks-cmd bind"
	echo "sx.udp socks-cmd udp"
	echo "sx.s4 socks4 www.test 80"
	echo "hh.1 get www.test 80 $RUN-hh1 other.test"
	echo "hh.2 get 11.11.0.12 80 $RUN-hh2 www.test:80"
)
NC_TIMEOUT=8 al_nc "${RULES_A[@]}" -- "${OPS_A[@]}"
OUT_A=$OUT RC_A=$RC DLOG_A=$DLOG ERR_A=$ERR
tap_diag "run A: rc $RC_A, $(grep -c . <<<"$OUT_A") ops"
[ "$RC_A" = 0 ] || tap_diag "stderr: $(head -n 5 <<<"$ERR_A")"

mapfile -t OPS_B < <(
	ctl_ops 11.11.0.12 80 okB ipv4
	while read -r id kind host port _; do [ -n "$id" ] && ops_for "$id" "$kind" "$host" "$port"; done <<<"$TARGETS_B"
)
NC_TIMEOUT=8 al_nc "${RULES_B[@]}" -- "${OPS_B[@]}"
OUT_B=$OUT RC_B=$RC DLOG_B=$DLOG

mapfile -t OPS_C < <(
	ctl_ops bench.test 80 okC
	while read -r id kind host port _; do [ -n "$id" ] && ops_for "$id" "$kind" "$host" "$port"; done <<<"$TARGETS_C"
)
NC_TIMEOUT=8 al_nc "${RULES_C[@]}" -- "${OPS_C[@]}"
OUT_C=$OUT RC_C=$RC DLOG_C=$DLOG
sleep 0.3

# method_ok RUNOUT CTLID METHOD: the allowed control worked for METHOD.
method_ok() {
	[ "$(awk -F'\t' -v id="$2.$3" '$1 == id { print $2 }' <<<"$1")" = allowed ] && wseen http "$RUN-$2-$3"
}

# judge RUNOUT CTLID TARGETS: one TAP line per target.
judge() {
	local out=$1 okid=$2 id kind host port ctl m cls bad skip toks ops
	while read -r id kind host port ctl; do
		[ -n "$id" ] || continue
		host=${host//RUN/$RUN}
		local desc="$id: $host:$port refused via CONNECT, GET, SOCKS5"
		if ! ctl_ok "$ctl"; then
			tap_skip "$desc" control-failed "$ctl not reachable from the fake host without sbx"
			continue
		fi
		bad= skip=
		ops=$(awk -F'\t' -v p="$id." 'index($1, p) == 1 { print $1 "=" $2 }' <<<"$out")
		for m in $(awk -F'\t' -v p="$id." 'index($1, p) == 1 { print $1 }' <<<"$out"); do
			cls=$(awk -F'\t' -v id="$m" '$1 == id { print $2 }' <<<"$out")
			local meth=${m#"$id".}
			method_ok "$out" "$okid" "${meth%d}" || skip="$skip ${meth}"
			if [ "$kind" = spell ]; then
				case "$cls" in denied | http-400 | socks-[1-9]*) ;; *) bad="$bad $m=$cls" ;; esac
			else
				[ "$cls" = denied ] || bad="$bad $m=$cls"
			fi
			if wseen any "$RUN-$id-$meth"; then
				bad="$bad $m:ARRIVED"
			fi
		done
		[ -n "$ops" ] || bad="no result"
		if [ -n "$bad" ]; then
			tap_diag "$ops"
			tap_fail "$desc:$bad"
		elif [ -n "$skip" ]; then
			tap_skip "$desc" control-failed "allowed destination failed through method(s)$skip"
		else
			tap_ok "$desc ($(tr '\n' ' ' <<<"$ops"))"
		fi
	done <<<"$3"
}

OUT=$OUT_A
tap_diag "allowed controls in run A: $(grep '^okA' <<<"$OUT_A" | cut -f1,2 | tr '\t\n' '= ')"
judge "$OUT_A" okA "$TARGETS_A"
tap_diag "allowed controls in run B: $(grep '^okB' <<<"$OUT_B" | cut -f1,2 | tr '\t\n' '= ')"
judge "$OUT_B" okB "$TARGETS_B"
tap_diag "allowed controls in run C: $(grep '^okC' <<<"$OUT_C" | cut -f1,2 | tr '\t\n' '= ')"
judge "$OUT_C" okC "$TARGETS_C"

# ---- SOCKS5 commands and SOCKS4, Host header disagreement.
OUT=$OUT_A
if [ "$(wclass sx.bind)" = socks-7 ] && [ "$(wclass sx.udp)" = socks-7 ]; then
	tap_ok "SOCKS5 BIND and UDP ASSOCIATE answered 'command not supported' (7)"
else
	tap_fail "SOCKS5 BIND/UDP: $(wclass sx.bind) $(wclass sx.udp)"
fi
case "$(wclass sx.s4)" in
socks4-refused | closed) tap_ok "SOCKS4 request refused cleanly ($(wclass sx.s4))" ;;
*) tap_fail "SOCKS4 request: $(wclass sx.s4) $(nc_detail sx.s4)" ;;
esac
if ! grep -F "$RUN-hh" "$(wlog http)" | grep -q '"local": "11.11.0.12"' && [ "$(wclass hh.2)" != allowed ]; then
	tap_ok "Host header disagreeing with the target never reaches the other host ($(wclass hh.1), $(wclass hh.2))"
else
	tap_fail "Host header disagreement: $(wclass hh.1) $(wclass hh.2)"
fi

# ---- legible refusals.
d=$(nc_detail other.c)
if grep -q '"status": 403' <<<"$d" && grep -q 'other.test' <<<"$d" && grep -q -- '--allow' <<<"$d"; then
	tap_ok "403 body names the destination and the --allow flag"
else
	tap_fail "403 body: $d"
fi
d=$(nc_detail md4.c)
if grep -qi 'special\|metadata\|default' <<<"$d"; then
	tap_ok "403 for 169.254.169.254 names the default that denied it"
else
	tap_fail "403 body for metadata: $d"
fi
d=$(nc_detail other.s)
if grep -q '"reply": "0502' <<<"$d"; then
	tap_ok "SOCKS5 refusal is reply code 0x02 (not allowed by ruleset)"
else
	tap_fail "SOCKS5 refusal reply: $d"
fi

# ---- DNS stub (run D): denied names refused without an upstream query;
# allowed names with bad records never hand those records out.
al_nc "${RULES_A[@]}" -- \
	"ok dns $RUN-a.ok.test A" "okt dns $RUN-b.ok.test A tcp" \
	"n1 dns $RUN-x.deny.test A" "n2 dns $RUN-y.deny.test AAAA" "n3 dns $RUN-z.deny.test A tcp" "n4 dns other.test A" \
	"s1 dns 2130706433 A" "s2 dns 0x7f.1 A" "s3 dns 127.1 A" \
	"b1 dns mixed.test A" "b2 dns mapped.test AAAA" "b3 dns nat64.test AAAA" "b4 dns loop.test A" "b5 dns loop.test AAAA" \
	"b6 dns meta.test A" "b7 dns mappedmd.test AAAA" "b8 dns zero.test A" "b9 dns mixedmd.test A"
tap_diag "DNS stub: $(wsummary | tr '\n' ';')"
if [ "$(wclass ok)" = rcode-0 ] && grep -q '11.11.0.10' <<<"$(nc_detail ok)" && [ "$(wclass okt)" = rcode-0 ] &&
	wseen dns "$RUN-a.ok.test"; then
	ctl_dns=1
	tap_ok "DNS stub control: an allowed name is resolved upstream and answered (UDP and TCP)"
else
	ctl_dns=0
	tap_fail "DNS stub does not answer an allowed name: $(wclass ok) $(wclass okt)"
fi
dns_refused() {
	local i
	for i in "$@"; do [ "$(wclass "$i")" = rcode-5 ] || return 1; done
}
if [ "$ctl_dns" = 0 ]; then
	tap_skip "denied names REFUSED" control-failed "the stub answers nothing"
	tap_skip "denied names never sent upstream" control-failed "the stub answers nothing"
	tap_skip "numeric spellings refused by the stub" control-failed "the stub answers nothing"
	tap_skip "bad records never handed out" control-failed "the stub answers nothing"
else
	if dns_refused n1 n2 n3 n4; then tap_ok "denied names answered REFUSED (A, AAAA, TCP)"; else tap_fail "denied names: $(wclass n1) $(wclass n2) $(wclass n3) $(wclass n4)"; fi
	if ! wseen dns "$RUN-x.deny" && ! wseen dns "$RUN-y.deny" && ! wseen dns "$RUN-z.deny" && ! wseen dns "$RUN.deny"; then
		tap_ok "denied names never reached the upstream DNS server"
	else
		tap_fail "a denied name reached upstream: $(grep -F "$RUN" "$(wlog dns)" | grep deny)"
	fi
	if dns_refused s1 s2 s3 && ! grep -qE '"name": "(2130706433|0x7f\.1|127\.1)"' "$(wlog dns)"; then
		tap_ok "numeric spellings refused by the stub, not sent upstream"
	else
		tap_fail "numeric spellings: $(wclass s1) $(wclass s2) $(wclass s3)"
	fi
	bad=$(wsummary | grep -E '^b[0-9] ' | grep -E '127\.0\.0\.1|::1($|,)|::ffff:127|64:ff9b|169\.254|0\.0\.0\.0|timeout|errno')
	if [ -z "$bad" ]; then
		tap_ok "stub never hands out loopback/metadata/mapped/NAT64 records of allowed names"
	else
		tap_fail "stub handed out: $bad"
	fi
fi

# ---- rebinding: first answer public, later ones loopback / metadata.
al_nc "${RULES_A[@]}" -- \
	"p1 dns $RUN-1.rebind.test A" "p2 get $RUN-1.rebind.test 80 $RUN-rb-1" "p3 connect $RUN-1.rebind.test 80 $RUN-rb-2" \
	"p4 socks $RUN-1.rebind.test 80 $RUN-rb-3 domain" "p5 get $RUN-2.rebind.test 80 $RUN-rb-4" \
	"p6 get $RUN-2.rebind.test 80 $RUN-rb-5" "p7 connect $RUN-2.rebind.test 80 $RUN-rb-6" \
	"m1 dns $RUN-1.rebindmd.test A" "m2 get $RUN-1.rebindmd.test 80 $RUN-rbm-1" "m3 get $RUN-2.rebindmd.test 80 $RUN-rbm-2" \
	"m4 get $RUN-2.rebindmd.test 80 $RUN-rbm-3" "m5 socks $RUN-2.rebindmd.test 80 $RUN-rbm-4 domain"
sleep 0.2
tap_diag "rebinding: $(wsummary | tr '\n' ';')"
tap_diag "upstream queries: $(grep -cF "$RUN-1.rebind.test" "$(wlog dns)") for $RUN-1, $(grep -cF "$RUN-2.rebind.test" "$(wlog dns)") for $RUN-2"
rb_arrived=$(grep -F "$RUN-rb" "$(wlog hostapi)"; grep -F "$RUN-rb" "$(wlog http)" | grep -vE '"local": "11\.11\.0\.3[12]"')
if [ "$RC" != 0 ] && [ -z "$(grep . <<<"$OUT")" ]; then
	show; tap_fail "rebinding run failed"
elif [ -z "$rb_arrived" ]; then
	tap_ok "rebinding: nothing reached the fake host's loopback or the metadata address ($(cut -f1,2 <<<"$OUT" | tr '\t\n' '= '))"
else
	tap_fail "rebinding reached: $rb_arrived"
fi

# ---- a name that never answers: a clear refusal, not a hang.
t0=$(now_ms)
NC_TIMEOUT=20 al_nc "${RULES_A[@]}" -- "q1 get silent.test 80 $RUN-silent" "q2 get www.test 80 $RUN-after-silent"
dt=$(($(now_ms) - t0))
case "$(wclass q1)" in
timeout | allowed | "") tap_fail "silent.test: $(wclass q1) after $dt ms" ;;
*) tap_ok "silent.test (upstream never answers): refused ($(wclass q1)) in $(($(nc_detail q1 | sed -E 's/.*"ms": ([0-9]+).*/\1/'))) ms" ;;
esac

# ---- decision log.
count_denied=$(grep -v '^sp-' <<<"$OUT_A" | grep -c $'\tdenied\t')
if al_json_ok "$DLOG_A" "len([e for e in ev if e.get('verdict') == 'deny']) >= $count_denied and all(k in e for e in ev for k in ('proto', 'host', 'port', 'addresses', 'verdict', 'rule', 'source'))"; then
	tap_ok "decision log: a deny line for each of the $count_denied refusals, all fields present"
else
	tap_diag "$(grep -c . "$DLOG_A") lines, $count_denied refusals; head: $(head -n 3 "$DLOG_A")"
	tap_fail "decision log counts/fields"
fi
if al_json_ok "$DLOG_A" "any(e.get('host') == 'other.test' and e.get('verdict') == 'deny' and e.get('proto') == 'connect' and str(e.get('port')) == '80' for e in ev) and any(e.get('host') == 'other.test' and e.get('verdict') == 'deny' and e.get('proto') == 'socks5' for e in ev) and any(e.get('host') == 'other.test' and e.get('proto') == 'http' and e.get('verdict') == 'deny' for e in ev)"; then
	tap_ok "decision log: other.test denied via connect, http and socks5"
else
	tap_fail "decision log lacks other.test denials"
fi
if al_json_ok "$DLOG_A" "any(e.get('host') == 'mixed.test' and e.get('verdict') == 'deny' and '127.0.0.1' in e.get('addresses', []) for e in ev)"; then
	tap_ok "decision log: mixed.test denied with its addresses (incl. 127.0.0.1)"
else
	tap_diag "mixed.test lines: $(grep -F mixed.test "$DLOG_A" | head -n 3)"
	tap_fail "decision log for a multi-record denial"
fi
if al_json_ok "$DLOG_A" "any(e.get('host') == '169.254.169.254' and e.get('verdict') == 'deny' for e in ev)"; then
	tap_ok "decision log: 169.254.169.254 denied"
else
	tap_fail "decision log for metadata"
fi
# Refused numeric spellings are decisions too (SOCKS5 answers "not allowed
# by ruleset" for them): each refusal should leave a line.
sp_hosts=$(awk '$2 == "spell" { printf "%s\"%s\"", (n++ ? "," : ""), $3 }' <<<"$TARGETS_A")
if al_json_ok "$DLOG_A" "all(any(e.get('host') == h and e.get('verdict') == 'deny' for e in ev) for h in [$sp_hosts])"; then
	tap_ok "decision log: every refused numeric spelling is logged"
else
	tap_diag "lines naming a spelling: $(grep -cE '"host":"(2130706433|0x7f|127\.1"|0177)' "$DLOG_A")"
	tap_fail "decision log: refused numeric spellings leave no line"
fi

tap_diag "world http log lines: $(grep -c . "$(wlog http)"), hostapi: $(grep -c . "$(wlog hostapi)")"
tap_done
