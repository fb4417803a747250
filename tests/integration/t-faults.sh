#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-faults: sbx under faults an orchestrator can throw at it: readers that
# stop reading, full pipes. Nothing may hang: --timeout and SIGTERM keep
# working, the proxy keeps serving, and no line is torn.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 6
STUCK=$TESTDIR/stuckpipe.py
CAPTURE_TIMEOUT=30

# 1. --json-status-fd on a pipe that is already full: --timeout still fires.
t0=$SECONDS
capture as_user "$PY" "$STUCK" 3 --full "$W/sbx" run --json-status-fd 3 --timeout 2 -- sleep 60
if [ "$RC" = 124 ] && [ $((SECONDS - t0)) -lt 15 ]; then
	tap_ok "a full --json-status-fd pipe does not stop --timeout (exit 124 after $((SECONDS - t0)) s)"
else
	show; tap_fail "full --json-status-fd pipe: rc $RC after $((SECONDS - t0)) s (999: sbx hung)"
fi

# 2. --log-fd whose reader never reads, allowlist posture: 2,000 refusals (one
# line each, far more than a pipe holds) are all answered, then --timeout fires.
# Each request waits for its answer (the 403), so every one is decided and logged.
ask='exec 3<>/dev/tcp/10.255.255.1/3128 || exit 3; printf "CONNECT denied$i.example:443 HTTP/1.1\r\nHost: denied$i.example:443\r\n\r\n" >&3; read -r l <&3; exec 3<&-'
loop="i=0; while [ \$i -lt 2000 ]; do $ask; i=\$((i+1)); done; echo served; sleep 60 & wait \$!"
t0=$SECONDS
capture as_user "$PY" "$STUCK" 3 "$W/sbx" run --network=allowlist --log-fd 3 --timeout 8 -- bash -c "$loop"
if [ "$RC" = 124 ] && [ "$OUT" = served ]; then
	tap_ok "a --log-fd reader that stops reading blocks neither the proxy nor --timeout ($((SECONDS - t0)) s)"
else
	show; tap_fail "stuck --log-fd reader: rc $RC, out '$OUT' after $((SECONDS - t0)) s (999: sbx hung)"
fi

# 3. The same stuck reader, and SIGTERM to sbx: forwarded, the payload's status comes back.
resolve as_user "$PY" "$STUCK" 3 "$W/sbx" run --network=allowlist --log-fd 3 -- bash -c "trap 'exit 7' TERM; $loop"
timeout -k 3 30 "${CMD[@]}" >"$W/.t/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q served "$W/.t/out" && break; sleep 0.1; done
# This script's own sbx (its copy in $W): other scripts run sandboxes as the same user at once.
sbxpid=$(pgrep -u "$TESTUID" -f -- "^$W/sbx run " | head -n1)
kill -TERM "$sbxpid" 2>/dev/null
wait "$pid"
RC=$?
if [ "$RC" = 7 ]; then
	tap_ok "SIGTERM is forwarded while the --log-fd reader is stuck (payload exit 7)"
else
	OUT=$(cat "$W/.t/out") ERR=""; show; tap_fail "SIGTERM with a stuck log reader: rc $RC"
fi

# 4. A reader that catches up late gets whole lines and the count of what was lost.
cat >"$W/.t/late.py" <<'PY'
import json, os, subprocess, sys, time
marker = sys.argv[1]
r, w = os.pipe()
os.dup2(w, 5)
os.close(w)
p = subprocess.Popen(sys.argv[2:], pass_fds=(5,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(5)
for _ in range(600):  # the payload made its 2,000 refused requests: far more than the pipe and the buffer hold
    if os.path.exists(marker):
        break
    time.sleep(0.05)
os.set_blocking(r, False)
data, quiet = b"", 0
while quiet < 20:  # read until the backlog and the count of the lost lines have come
    try:
        chunk = os.read(r, 65536)
        data += chunk
        quiet = 0
    except BlockingIOError:
        quiet += 1
        time.sleep(0.05)
p.terminate()
os.set_blocking(r, True)
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
p.wait()
lines = data.decode().splitlines()
bad = [l for l in lines if not (l.startswith("{") and l.endswith("}"))]
dropped = sum(json.loads(l)["lines"] for l in lines if '"event":"dropped"' in l)
decisions = sum(1 for l in lines if '"verdict":"deny"' in l)
print(p.returncode, len(bad), decisions, dropped, decisions + dropped)
PY
loop2="i=0; while [ \$i -lt 2000 ]; do $ask; i=\$((i+1)); done; : >late.done; trap 'exit 0' TERM; sleep 60 & wait \$!"
rm -f "$W/cwd/late.done"
capture as_user "$PY" "$W/.t/late.py" "$W/cwd/late.done" "$W/sbx" run --network=allowlist --log-fd 5 -- bash -c "$loop2"
read -r prc nbad ndec ndrop nsum <<<"$OUT"
if [ "$prc" = 0 ] && [ "$nbad" = 0 ] && [ "$nsum" = 2000 ] && [ "${ndrop:-0}" -gt 0 ]; then
	tap_ok "a late reader: $ndec whole decision lines + a count of $ndrop dropped = 2000, no torn line"
else
	show; tap_fail "late reader: exit $prc, $nbad torn lines, $ndec decisions + $ndrop dropped (want 2000)"
fi
# 5-6. --policy and --log-file naming a FIFO: refused at once, never a hang.
mkfifo -m 0666 "$W/cwd/fifo"
capture sbx run --network=allowlist --policy "$W/cwd/fifo" --timeout 5 -- true
if [ "$RC" = 125 ] && [[ "$ERR" == *"not a regular file"* ]]; then
	tap_ok "--policy naming a FIFO: one clear error, exit 125, no hang"
else
	show; tap_fail "--policy FIFO: rc $RC (999: sbx hung)"
fi
capture sbx run --network=allowlist --log-file "$W/cwd/fifo" --timeout 5 -- true
if [ "$RC" = 125 ] && [[ "$ERR" == *"not a regular file"* ]]; then
	tap_ok "--log-file naming a FIFO: one clear error, exit 125, no hang"
else
	show; tap_fail "--log-file FIFO: rc $RC (999: sbx hung)"
fi
tap_done
