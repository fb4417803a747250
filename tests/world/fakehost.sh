#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# fakehost.sh - PID 1 of the fake host: builds the fake internet and waits.
#
# Started by world.sh as the unprivileged test user under
#   unshare -Urnm -p --fork --mount-proc --propagation private
# so it is root only inside a user namespace it owns, with its own network
# namespace (nothing but lo: no route to the real world), mount namespace
# and PID namespace (killing this process tears everything down).
#
# Usage: fakehost.sh WDIR   (WDIR laid out by world.sh; see world.sh)
# Writes WDIR/ready when every server answers, or WDIR/failed with a reason.
set -u
D=$1
PY=/usr/bin/python3
B=$D/bin
L=$D/log
E=$D/etc

fail() {
	echo "$*" >"$D/failed"
	exit 1
}

# wait_file PATH: up to 10 s.
wait_file() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# Refuse to run anywhere but in a fresh network namespace holding only lo:
# every packet below must stay inside namespaces made here.
[ "$(ip -o link show | grep -vc ': lo:')" = 0 ] || fail "not in an empty network namespace"
ip route show table all | grep -qv -e '^local' -e '^broadcast' -e '^multicast' -e '^fe80' -e '^anycast' -e '^$' &&
	fail "unexpected routes in the fake host"
ip link set lo up || fail "lo up"

# --- the world: a child network namespace held by a sleeping process.
unshare -n -- sleep infinity &
WPID=$!
for ((i = 0; i < 250; i++)); do
	[ "$(readlink /proc/$WPID/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
		[ -n "$(readlink /proc/$WPID/ns/net 2>/dev/null)" ] && break
	sleep 0.02
done
echo "$WPID" >"$D/world.pid"
inw() { nsenter -t "$WPID" -n -- "$@"; }

ip link add fh0 mtu 65520 type veth peer name fw0 mtu 65520 netns "$WPID" || fail "veth"
ip addr add 198.18.0.1/24 dev fh0
ip -6 addr add fd00:5b::1/64 dev fh0 nodad
ip link set fh0 up
inw ip link set lo up
inw ip addr add 198.18.0.2/24 dev fw0
inw ip -6 addr add fd00:5b::2/64 dev fw0 nodad
inw ip link set fw0 up
# World-side addresses: whole prefixes routed to the world's lo (any
# address inside answers), and the fake host routes only those prefixes.
V4="11.11.0.0/24 198.18.1.0/24 169.254.169.254/32 169.254.170.2/32 100.100.100.200/32 168.63.129.16/32"
V6="3ffe:5b::/64 fd00:ec2::254/128"
for p in $V4; do
	inw ip -4 route add local "$p" dev lo || fail "world route $p"
	ip -4 route add "$p" via 198.18.0.2 dev fh0 || fail "fake host route $p"
done
for p in $V6; do
	inw ip -6 route add local "$p" dev lo || fail "world route $p"
	ip -6 route add "$p" via fd00:5b::2 dev fh0 || fail "fake host route $p"
done
# The world answers only the fake host: replies to anything else have no route.
for ((i = 0; i < 250; i++)); do
	ip -o link show fh0 | grep -q 'state UP' && inw ip -o link show fw0 | grep -q 'state UP' && break
	sleep 0.02
done
ip -o link show fh0 | grep -q 'state UP' || fail "veth did not come up"

# --- name service of the fake host (sbx's supervisor resolves with it).
mount --bind "$E/resolv.conf" /etc/resolv.conf || fail "bind resolv.conf"
mount --bind "$E/hosts" /etc/hosts || fail "bind hosts"
mount --bind "$E/nsswitch.conf" /etc/nsswitch.conf || fail "bind nsswitch.conf"
# The system's CA store holds the test CA alone: curl, git, pip and python
# trust the world's servers under their real names as they would trust the
# real ones, with no flag, and trust nothing else. (Node reads its own
# store; a test points NODE_EXTRA_CA_CERTS here.) Without /etc/ssl/certs
# (no ca-certificates package) the world runs without it; world.sh says so.
if [ -d /etc/ssl/certs ]; then
	mount --bind "$E/sslcerts" /etc/ssl/certs || fail "bind /etc/ssl/certs"
fi

# --- servers.
inw "$PY" "$B/worldd.py" dns --zone "$E/zone.json" --log "$L/dns.log" --ready "$D/r.dns" \
	--listen 0.0.0.0:53 --listen '[::]:53' 2>>"$L/err.log" &
inw "$PY" "$B/worldd.py" http --tag world --log "$L/http.log" --ready "$D/r.http" \
	--root "$D/pypi" --sites "$D/sites" --listen 0.0.0.0:80 --listen '[::]:80' --listen 0.0.0.0:8080 --listen '[::]:8080' \
	--tls "$E/server.crt,$E/server.key" --tls-listen 0.0.0.0:443 --tls-listen '[::]:443' 2>>"$L/err.log" &
inw "$PY" "$B/worldd.py" raw --tag worldraw --log "$L/raw.log" --ready "$D/r.raw" \
	--tcp 0.0.0.0:22 --tcp '[::]:22' --tcp 0.0.0.0:9000 --tcp '[::]:9000' \
	--udp 0.0.0.0:9999 --udp '[::]:9999' --udp 0.0.0.0:123 2>>"$L/err.log" &
# The fake host's own loopback (and every local address): the "local API".
"$PY" "$B/worldd.py" http --tag hostapi --log "$L/hostapi.log" --ready "$D/r.hostapi" \
	--listen 0.0.0.0:80 --listen '[::]:80' --listen 0.0.0.0:8000 --listen '[::]:8000' 2>>"$L/err.log" &
"$PY" "$B/worldd.py" raw --tag hostraw --log "$L/hostraw.log" --ready "$D/r.hostraw" \
	--tcp 0.0.0.0:9000 --tcp '[::]:9000' --udp 0.0.0.0:9999 --udp '[::]:9999' 2>>"$L/err.log" &
for r in dns http raw hostapi hostraw; do
	wait_file "$D/r.$r" || fail "server $r did not start: $(tail -n 5 "$L/err.log")"
done

touch "$D/ready"
# PID 1 of this namespace: reap whatever ends, until killed from outside.
while :; do
	wait 2>/dev/null || sleep 3600
done
