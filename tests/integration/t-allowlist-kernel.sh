#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-kernel: in allowlist posture the kernel is the wall. From
# inside the sandbox a raw TCP or UDP connect to any world address (public,
# benchmarking, metadata, the fake host's own address) fails at once with no
# packet arriving; the gateway answers only on the proxy (3128) and DNS (53)
# ports, over IPv4 and IPv6. Controls: the same connects from the fake host
# (without sbx) reach the world's raw loggers.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

DESTS="
pub4   11.11.0.10   9000
pub6   3ffe:5b::10  9000
bench  198.18.1.10  9000
hostif 198.18.0.1   9000
md     169.254.169.254 9000
fhlo   127.0.0.1    9000
"
tap_plan 7
al_start
RUN=k$RANDOM$RANDOM

ops=()
while read -r id a p; do
	[ -n "$id" ] || continue
	ops+=("$id.t tcp $a $p $RUN-$id-t")
	ops+=("$id.u udp $a ${p/9000/9999} $RUN-$id-u")
done <<<"$DESTS"

# Controls (fake host, no sbx). fhlo is the fake host's loopback: from the
# sandbox, 127.0.0.1 is the sandbox's own, so it must not reach the host's.
wcapture root "$PY" "$WD/bin/netclient.py" "${ops[@]/$RUN/$RUN-ctl}"
CTL=$OUT
sleep 0.2
# The world's raw logger listens on 22 and 9000 (tcp), 9999 (udp); the
# fake host's on 9000/9999; 169.254.169.254 has no UDP 9999 reply path
# check here (22/tcp only).
ctl_ok() {
	awk -F'\t' -v id="$1" '$1 == id { print $2 }' <<<"$CTL" | grep -q connected
}

al_nc --allow www.test --allow 0.0.0.0/0 --allow ::/0 -- "${ops[@]}"
IN=$OUT
tap_diag "inside: $(cut -f1,2 <<<"$IN" | tr '\t\n' '= ')"
sleep 0.3
for proto in t u; do
	name=$([ $proto = t ] && echo TCP || echo UDP)
	bad= skipped= fast=1
	while read -r id a p; do
		[ -n "$id" ] || continue
		if ! ctl_ok "$id.$proto"; then
			skipped="$skipped $id"
			continue
		fi
		cls=$(awk -F'\t' -v id="$id.$proto" '$1 == id { print $2 }' <<<"$IN")
		ms=$(awk -F'\t' -v id="$id.$proto" '$1 == id { print $3 }' <<<"$IN" | sed -E 's/.*"ms": ([0-9]+).*/\1/')
		case "$cls" in
		errno-ENETUNREACH | errno-EHOSTUNREACH | errno-ECONNREFUSED | errno-EACCES | errno-EPERM) ;;
		timeout) [ $proto = u ] || bad="$bad $id=$cls" ;;
		*) bad="$bad $id=$cls" ;;
		esac
		[ "${ms:-0}" -lt 1000 ] || fast=0
		wseen any "$RUN-$id-$proto" && bad="$bad $id:ARRIVED"
	done <<<"$DESTS"
	if [ -n "$skipped" ] && [ -z "$bad" ] && [ "$skipped" = "$(awk 'NF { printf " %s", $1 }' <<<"$DESTS")" ]; then
		tap_skip "raw $name to world addresses fails in the kernel" control-failed "no control reached the world"
	elif [ -z "$bad" ] && [ "$fast" = 1 ]; then
		tap_ok "raw $name to world/host addresses fails at once, nothing arrives${skipped:+ (no control for$skipped)}"
	else
		tap_fail "raw $name from the sandbox:$bad (fast=$fast)"
	fi
done

# Gateway: TCP scan, IPv4 and IPv6.
scan_ports=1-1024,1080,3127,3129,3128,5353,8000,8080,8443,9000,9050,53535,65535
al_nc --allow www.test -- "s4 scan $GW4 $scan_ports" "s6 scan $GW6 $scan_ports"
for id in s4 s6; do
	d=$(nc_detail $id)
	open=$(sed -E 's/.*"open": \[([^]]*)\].*/\1/' <<<"$d")
	if [ "$(wclass $id)" = scanned ] && [ "$open" = "53, 3128" ] && grep -q '"unanswered": \[\]' <<<"$d"; then
		tap_ok "TCP scan of the gateway ($([ $id = s4 ] && echo $GW4 || echo $GW6)): only 53 and 3128 open"
	else
		tap_fail "gateway scan $id: $d"
	fi
done

# Gateway UDP: DNS answers on 53; other ports answer nothing.
al_nc --allow www.test -- "d dns www.test A" "u1 udp $GW4 54 x" "u2 udp $GW4 3128 x" "u3 udp $GW4 123 x" \
	"u4 udp $GW4 9999 x" "u5 udp $GW6 9999 x"
got=$(cut -f1,2 <<<"$OUT" | tr '\t\n' '= ')
if [ "$(wclass d)" = rcode-0 ] && ! grep -q $'\tconnected' <<<"$OUT"; then
	tap_ok "gateway UDP: DNS on 53, nothing else answers ($got)"
else
	tap_fail "gateway UDP: $got"
fi

# Routes and forwarding: the sandbox has no route beyond its link, and G
# forwards nothing. The link itself is point-to-point (/31, /127, no IPv6
# link-local), so addresses next to the gateway's fail at once too instead
# of waiting for neighbour discovery.
al_nc --allow www.test --allow 0.0.0.0/0 -- "a tcp 11.11.0.99 80 $RUN-f1" "b tcp 3ffe:5b::99 80 $RUN-f2" \
	"c tcp 198.18.0.2 80 $RUN-f3" "d tcp 10.255.254.1 80 $RUN-f4" "e tcp fd00:5b::2 80 $RUN-f5" "f udp 198.18.0.2 9999 $RUN-f6" \
	"g tcp 10.255.255.2 80 $RUN-f7" "h tcp 10.255.255.3 80 $RUN-f8" "i tcp fd73:6278::2 80 $RUN-f9"
got=$(cut -f1,2 <<<"$OUT" | tr '\t\n' '= ')
if [ "$RC" = 0 ] && [ "$(grep -c $'\terrno-ENETUNREACH' <<<"$OUT")" = 9 ] && ! wseen any "$RUN-f"; then
	tap_ok "no route beyond the gateway: world, veth-peer and on-link neighbour addresses fail at once with ENETUNREACH ($got)"
else
	show; tap_fail "routes: $got"
fi

# The proxy and stub are reachable through the gateway's IPv6 address too.
al_nc --allow www.test -- "p get www.test 80 $RUN-v6gw" --proxy "[$GW6]:3128" --dns "$GW6"
if [ "$(wclass p)" = allowed ]; then
	tap_ok "proxy on [$GW6]:3128 works"
else
	tap_fail "proxy on IPv6 gateway: $(wclass p) $(nc_detail p)"
fi

tap_done
