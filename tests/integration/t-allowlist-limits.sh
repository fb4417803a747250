#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-allowlist-limits: the proxy's limits hold against hostile clients (oversized heads,
# slow clients, connection floods, garbage), each with one clear answer and no stall
# for other clients. Only the sandbox's gateway is contacted.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 7
PYT=$(dirname "$0")/proxylimits.py
cp "$PYT" "$W/cwd/proxylimits.py"
chmod 0644 "$W/cwd/proxylimits.py"
run_limits() { # mode, then extra sbx flags
	local mode=$1
	shift
	capture sbx run --network=allowlist "$@" -- /usr/bin/python3 "$W/cwd/proxylimits.py" "$mode"
}
val() { sed -n "s/^$1 = //p" <<<"$OUT"; }

run_limits oversized --proxy-max-header 4096
if [ "$RC" = 0 ] && [ "$(val oversized)" = 431 ]; then
	tap_ok "a request head over --proxy-max-header gets 431"
else
	show; tap_fail "oversized head: want 431"
fi

run_limits slowloris --proxy-header-timeout 1
read -r fast_status fast_ms <<<"$(val fast)"
read -r slow_status slow_s <<<"$(val slow)"
if [ "$RC" = 0 ] && [ "$fast_status" = 403 ] && [ "${fast_ms%ms}" -lt 1000 ]; then
	tap_ok "a stalled client does not delay another one ($fast_ms)"
else
	show; tap_fail "a stalled client delayed another (fast: $fast_status $fast_ms)"
fi
if [ "$slow_status" = 408 ] && awk -v s="${slow_s%s}" 'BEGIN { exit !(s >= 0.8 && s < 4) }'; then
	tap_ok "the stalled client gets 408 after --proxy-header-timeout ($slow_s)"
else
	show; tap_fail "stalled client: want 408 after about 1 s, got $slow_status $slow_s"
fi

run_limits maxconns --proxy-max-conns 2
if [ "$RC" = 0 ] && [ "$(val third)" = closed ] && [ "$(val after)" = 403 ]; then
	tap_ok "over --proxy-max-conns a connection is closed at once; slots free up again"
else
	show; tap_fail "max-conns: third=$(val third) after=$(val after)"
fi

run_limits garbage
if [ "$RC" = 0 ] && [ "$(val tls-hello)" = 400 ] || [ "$(val tls-hello)" = 501 ]; then
	tap_ok "a TLS ClientHello sent to the proxy gets one HTTP error ($(val tls-hello))"
else
	show; tap_fail "TLS hello: $(val tls-hello)"
fi
if [ "$(val origin-form)" = 400 ] && [ "$(val host-mismatch)" = 400 ]; then
	tap_ok "origin-form requests and a Host header that disagrees with the target get 400"
else
	show; tap_fail "origin-form=$(val origin-form) host-mismatch=$(val host-mismatch)"
fi
if [ "$(val smuggling)" = 400 ]; then
	tap_ok "Content-Length with Transfer-Encoding (request smuggling) gets 400"
else
	show; tap_fail "smuggling: $(val smuggling)"
fi
tap_done
