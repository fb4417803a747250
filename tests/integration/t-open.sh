#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-open: --network=open keeps the host's network and refuses what --deny
# names, on every way to send a first packet (connect TCP/UDP, unconnected
# sendto/sendmsg/sendmmsg, TCP Fast Open, IPv4-mapped IPv6), without a
# race (threads flipping the address and swapping the descriptor), and the
# supervisor survives payloads killed mid-call. Servers live on 127.0.0.2
# (denied) and 127.0.0.3 (allowed) only.
. "$(dirname "$0")/lib.sh"
require_userns
: "${OPENNET:?OPENNET must point to the built opennet helper}"
cp "$OPENNET" "$W/opennet" && chmod 0755 "$W/opennet"
N="$W/opennet"

tap_plan 21

start_loopsink 127.0.0.2 127.0.0.3
BAD=127.0.0.2 GOOD=127.0.0.3
hits() { grep -c " $1\$" "$W/.t/server.log"; }

for mode in tcp udp sendto sendmsg sendmmsg tfo mapped; do
	desc="$mode to a denied address is refused and nothing arrives"
	before=$(hits $BAD)
	capture as_user "$N" $mode $BAD "$PORT"
	sleep 0.1
	if [ "$RC" != 0 ] || [ "$(hits $BAD)" = "$before" ]; then
		fact=control-failed
		case $mode in
		tfo) (($(cat /proc/sys/net/ipv4/tcp_fastopen 2>/dev/null || echo 1) & 1)) || fact=no-tcp-fastopen-client ;;
		mapped) [ -e /proc/net/if_inet6 ] || fact=no-ipv6 ;;
		esac
		tap_skip "$desc" "$fact" "$mode to $BAD does not work without sbx: $OUT"
		tap_skip "$mode to an allowed address works" "$fact" "no control"
		continue
	fi
	before=$(hits $BAD)
	capture sbx run --network=open --deny $BAD --log-file "$W/cwd/decisions.jsonl" -- "$N" $mode $BAD "$PORT"
	sleep 0.1
	if [ "$RC" = 1 ] && [ "$(hits $BAD)" = "$before" ] && grep -qE 'errno (ECONNREFUSED|EACCES)' <<<"$OUT"; then
		tap_ok "$desc ($OUT)"
	else
		show "sandbox"
		tap_fail "$desc (server saw $(( $(hits $BAD) - before )))"
	fi
	before=$(hits $GOOD)
	capture sbx run --network=open --deny $BAD -- "$N" $mode $GOOD "$PORT"
	sleep 0.1
	if [ "$RC" = 0 ] && [ "$(hits $GOOD)" != "$before" ]; then
		tap_ok "$mode to an allowed address works"
	else
		show "sandbox"
		tap_fail "$mode to an allowed address works"
	fi
done

if grep -q '"posture":"open","proto":"connect","host":"127.0.0.2"' "$W/cwd/decisions.jsonl" &&
	grep -q '"proto":"sendmmsg"' "$W/cwd/decisions.jsonl" && grep -q '"verdict":"deny"' "$W/cwd/decisions.jsonl"; then
	tap_ok "denials are in the decision log"
else
	tap_diag "$(cat "$W/cwd/decisions.jsonl" 2>&1)"
	tap_fail "denials are in the decision log"
fi

# The race: threads flip the address buffer to the denied address and dup2() fresh
# sockets over the descriptor while the main thread connects to the allowed one.
before=$(hits $BAD)
capture sbx run --network=open --deny $BAD -- "$N" race $GOOD $BAD "$PORT" 3000
sleep 0.2
if [ "$RC" = 0 ] && [ "$(hits $BAD)" = "$before" ] && grep -q "^connected [1-9]" <<<"$OUT"; then
	tap_ok "3000 racing connects never reach the denied address ($OUT)"
else
	show "race"
	tap_fail "3000 racing connects never reach the denied address (denied server saw $(( $(hits $BAD) - before )))"
fi

# Cloud metadata is denied by default, and --no-default-deny lifts only that.
capture sbx run --network=open -- "$N" tcp 169.254.169.254 80
if [ "$RC" = 1 ] && grep -q ECONNREFUSED <<<"$OUT"; then
	tap_ok "@cloud-metadata is denied by default ($OUT)"
else
	show "metadata"
	tap_fail "@cloud-metadata is denied by default"
fi

# A payload killed while its threads are inside trapped calls leaves sbx healthy.
capture sbx run --network=open --deny $BAD --timeout 0.5 -- "$N" race $GOOD $BAD "$PORT" 100000000
RC1=$RC
capture sbx run --network=open --deny $BAD -- "$N" tcp $GOOD "$PORT"
if [ "$RC1" = 124 ] && [ "$RC" = 0 ]; then
	tap_ok "payload killed mid-call: sbx exits 124 and the next run works"
else
	show "after kill"
	tap_fail "payload killed mid-call (rc $RC1, then $RC)"
fi

# Wildcard deny rules cannot be enforced against a payload doing its own DNS.
capture sbx run --network=open --deny '*.example.com' -- true
if [ "$RC" = 125 ] && grep -q "cannot enforce the wildcard deny rule" <<<"$ERR"; then
	tap_ok "a wildcard deny rule is refused with exit 125"
else
	show "wildcard"
	tap_fail "a wildcard deny rule is refused with exit 125"
fi

# JSON status says whether Landlock scoping applies.
capture sbx run --network=open --json-status-fd 1 -- true
if grep -qE '"event":"network","posture":"open".*"landlock":"(scoped|unavailable)' <<<"$OUT"; then
	tap_ok "--json-status-fd reports the open posture and Landlock"
else
	show "status"
	tap_fail "--json-status-fd reports the open posture and Landlock"
fi

# The host's network is the payload's: its /etc/hosts is kept, not the generated one.
capture sbx run --network=open -- cat /etc/hosts
if [ "$RC" = 0 ] && [ "$OUT" = "$(cat /etc/hosts)" ]; then
	tap_ok "open posture keeps the host's /etc/hosts"
else
	show "hosts"
	tap_fail "open posture replaced /etc/hosts"
fi

tap_done
