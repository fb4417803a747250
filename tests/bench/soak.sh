#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: a mixed workload over every posture for a bounded time, inside a
# private fake host, sampling the long-lived supervisors and counting errors
# by cause. A benchmark, not a test: it prints what it saw; the exit status
# is 0 unless the harness itself failed.
#
# Usage: tests/bench/soak.sh BUILDDIR [SECONDS]   (default 180; BUILDDIR holds
#        cmd/sbx and tests/bench/abt)
#
# At once, for SECONDS:
#   allowlist  one sandbox whose payload loops: an allowed GET through the
#              proxy, a refused CONNECT, a DNS lookup through the stub, a raw
#              connect past the proxy (the kernel wall must refuse it)
#   open       one sandbox whose payload loops: an allowed TCP connect and a
#              UDP send to the fake world, a connect to a denied address
#   blocked    short sandboxes started one after another (sbx run -- true)
# Every 2 s the two long-lived supervisors are sampled: RSS, descriptors,
# threads. A supervisor that leaks shows a growing last column.
#
# Topology: as tests/bench/allowlist.sh: uid SBX_TEST_UID (default 23456) in
# unshare -Urnm -p (the fake host: lo and one veth to a WORLD namespace that
# runs abt's servers at 198.18.0.2). No packet leaves namespaces made here.
set -uo pipefail

if [[ ${1:-} != --fakehost ]]; then
	build=${1:?usage: soak.sh BUILDDIR [SECONDS]}
	secs=${2:-180}
	for f in cmd/sbx tests/bench/abt; do
		[[ -x $build/$f ]] || { echo "soak.sh: $build/$f missing (build first)" >&2; exit 2; }
	done
	command -v nsenter >/dev/null && command -v ip >/dev/null && command -v curl >/dev/null ||
		{ echo "soak.sh: needs nsenter (util-linux), ip (iproute2) and curl" >&2; exit 2; }
	work=$(mktemp -d /var/tmp/sbx-soak.XXXXXX) || exit 2
	trap 'rm -rf "$work"' EXIT
	cp "$build/cmd/sbx" "$build/tests/bench/abt" "${BASH_SOURCE[0]}" "$work/" || exit 2
	chmod 0755 "$work" "$work"/*
	. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
	bench_as_user "$work"
	"${as_user[@]}" unshare -Urnm -p --fork --kill-child=SIGKILL --mount-proc --propagation private \
		-- /bin/bash "$work/soak.sh" --fakehost "$work" "$secs" </dev/null
	exit $?
fi

# ------------------------------------------------------------ in the fake host
W=$2
SECS=$3
TUID=${SBX_TEST_UID:-23456}
cd "$W" || exit 1
SBX=$W/sbx ABT=$W/abt LOG=$W/log
mkdir -p "$LOG" "$W/etc" "$W/cwd"
die() {
	echo "soak: $*" >&2
	exit 1
}
[[ $(ip -o link show | grep -vc ': lo:') == 0 ]] || die "not in an empty network namespace"
ip link set lo up || die "lo up"
U=(setpriv --inh-caps=-all -- unshare -U --map-user="$TUID" --map-group="$TUID" --)

printf '127.0.0.1 localhost\n::1 localhost\n198.18.0.2 world.test\n' >"$W/etc/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$W/etc/resolv.conf"
mount --bind "$W/etc/hosts" /etc/hosts && mount --bind "$W/etc/resolv.conf" /etc/resolv.conf || die "bind /etc"

unshare -n -- sleep infinity </dev/null >/dev/null 2>&1 &
WPID=$!
for ((i = 0; i < 250; i++)); do
	[[ -n $(readlink "/proc/$WPID/ns/net" 2>/dev/null) && $(readlink "/proc/$WPID/ns/net") != $(readlink /proc/self/ns/net) ]] && break
	sleep 0.02
done
INW=(nsenter -t "$WPID" -n --)
ip link add fh0 type veth peer name fw0 netns "$WPID" || die "veth"
ip addr add 198.18.0.1/24 dev fh0 && ip link set fh0 up || die "fh0"
"${INW[@]}" sh -c 'ip link set lo up && ip addr add 198.18.0.2/24 dev fw0 && ip link set fw0 up' || die "fw0"
"${INW[@]}" "$ABT" serve http:0.0.0.0:80 echo:0.0.0.0:9003 sink:0.0.0.0:9001 >"$LOG/world.out" 2>&1 &
for ((i = 0; i < 250; i++)); do grep -qs serving "$LOG/world.out" && break; sleep 0.02; done
grep -q serving "$LOG/world.out" || die "world servers: $(cat "$LOG/world.out")"
for ((i = 0; i < 250; i++)); do curl -s -o /dev/null --max-time 1 http://198.18.0.2/ && break; sleep 0.02; done

END=$((SECONDS + SECS))
chmod 0777 "$W/cwd"

# The payloads write one word per attempt: ok-CAUSE or err-CAUSE.
cat >"$W/cwd/allowlist.sh" <<'EOF'
end=$1
while [ "$(date +%s)" -lt "$end" ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://world.test/)
	[ "$code" = 200 ] && echo ok-get || echo "err-get-$code"
	code=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 5 https://denied.example/)
	[ "$code" = 403 ] && echo ok-refused || echo "err-refused-$code"
	getent hosts world.test >/dev/null && echo ok-dns || echo err-dns
	timeout 2 bash -c 'exec 3<>/dev/tcp/198.18.0.2/9003' 2>/dev/null && echo err-wall-open || echo ok-wall
done
EOF
cat >"$W/cwd/open.py" <<'EOF'
import socket, sys, time
end = int(sys.argv[1])
while time.time() < end:
    for what, addr, want in (("allowed", ("198.18.0.2", 9003), True), ("denied", ("198.18.0.1", 9), False)):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(addr)
            print("ok-" + what if want else "err-" + what + "-reached", flush=True)
        except OSError as e:
            print(("ok-" + what) if (not want and e.errno == 111) else "err-%s-%s" % (what, e.errno), flush=True)
        finally:
            s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.sendto(b"x", ("198.18.0.2", 9001))
        print("ok-udp", flush=True)
    except OSError as e:
        print("err-udp-%d" % e.errno, flush=True)
    u.close()
EOF
stamp=$(($(date +%s) + SECS))
(cd "$W/cwd" && "${U[@]}" "$SBX" run --network=allowlist --allow world.test --allow 198.18.0.2 \
	--json-status-fd 3 -- bash allowlist.sh "$stamp" 3>"$LOG/al.status" >"$LOG/al.out" 2>"$LOG/al.err") &
AL=$!
(cd "$W/cwd" && "${U[@]}" "$SBX" run --network=open --deny 198.18.0.1 --json-status-fd 3 -- \
	/usr/bin/python3 open.py "$stamp" 3>"$LOG/op.status" >"$LOG/op.out" 2>"$LOG/op.err") &
OP=$!
(
	n=0 bad=0
	while [[ $(date +%s) -lt $stamp ]]; do
		"${U[@]}" "$SBX" run -- true 2>>"$LOG/bl.err" || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n $bad" >"$LOG/bl.count"
) &
BL=$!

sbx_pid() { sed -n 's/.*"sbx_pid":\([0-9]*\).*/\1/p' "$1" 2>/dev/null | head -n 1; }
sample() { # PID -> "rss_kib fds threads"
	local p=$1
	[[ -d /proc/$p ]] || { echo "- - -"; return; }
	echo "$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status") $(ls "/proc/$p/fd" 2>/dev/null | wc -l) $(awk '/^Threads/ { print $2 }' "/proc/$p/status")"
}
: >"$LOG/samples"
while [[ $SECONDS -lt $END ]]; do
	sleep 2
	a=$(sbx_pid "$LOG/al.status") o=$(sbx_pid "$LOG/op.status")
	[[ -n $a && -n $o ]] && echo "$SECONDS $(sample "$a") $(sample "$o")" >>"$LOG/samples"
done
wait $AL
al_rc=$?
wait $OP
op_rc=$?
wait $BL

echo "# sbx soak: ${SECS} s, $(uname -r), $(nproc) CPUs, uid $TUID in a private fake host"
echo
echo "## long-lived supervisors, sampled every 2 s (first / max / last)"
awk '$2 != "-" && $5 != "-" {
	n++
	for (i = 2; i <= 7; i++) { v[i] = $i; if (n == 1) f[i] = $i; if ($i > m[i]) m[i] = $i }
}
END {
	if (!n) { print "no samples"; exit }
	printf "%-22s %14s %14s %14s\n", "supervisor", "RSS KiB", "descriptors", "threads"
	printf "%-22s %4d/%4d/%4d %4d/%4d/%4d %4d/%4d/%4d\n", "allowlist", f[2], m[2], v[2], f[3], m[3], v[3], f[4], m[4], v[4]
	printf "%-22s %4d/%4d/%4d %4d/%4d/%4d %4d/%4d/%4d\n", "open", f[5], m[5], v[5], f[6], m[6], v[6], f[7], m[7], v[7]
	printf "(%d samples)\n", n
}' "$LOG/samples"
echo
echo "## outcomes by cause (ok-* expected, err-* errors)"
for p in al op; do
	echo "$([[ $p == al ]] && echo allowlist || echo open) (sbx exit $([[ $p == al ]] && echo $al_rc || echo $op_rc)):"
	sort "$LOG/$p.out" | uniq -c | sed 's/^/  /'
	[[ -s $LOG/$p.err ]] && sed 's/^/  stderr: /' "$LOG/$p.err" | sort | uniq -c | head -n 5
done
read -r bn bbad <"$LOG/bl.count"
echo "blocked: $bn sandboxes started, $bbad failed"
[[ -s $LOG/bl.err ]] && sort "$LOG/bl.err" | uniq -c | head -n 5 | sed 's/^/  stderr: /'
exit 0
