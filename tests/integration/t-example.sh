#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-example: examples/orchestrator.py, the example orchestrator of the
# README's "Embedding sbx", drives sbx through its documented interface
# (status and decision streams, exit statuses) and reports correctly.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 5
ORCH=$TESTDIR/../../examples/orchestrator.py
orch() { capture as_user env PATH=/usr/bin:/bin "$PY" "$ORCH" --sbx "$W/sbx" --json "$@"; }
field() { "$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2], {"d": d}))' "$OUT" "$1"; }

orch --timeout 20 --id job-1 -- --network=allowlist --allow example.org -- \
	bash -c 'exec 3<>/dev/tcp/10.255.255.1/3128; printf "CONNECT denied.example:443 HTTP/1.1\r\nHost: denied.example:443\r\n\r\n" >&3; read -r l <&3; exit 3'
if [ "$RC" = 3 ] && [ "$(field 'd["id"], d["ended_by"], d["denied"], d["unparsed_lines"]')" = "('job-1', 'exited', ['denied.example:443'], 0)" ]; then
	tap_ok "exit status, the id, a denied destination from the decision stream"
else
	show; tap_fail "orchestrator summary of a normal run"
fi
orch --timeout 0.5 -- sleep 30
if [ "$RC" = 124 ] && [ "$(field 'd["ended_by"]')" = timeout ]; then
	tap_ok "a timeout: exit 124, ended by the timeout event"
else
	show; tap_fail "orchestrator and --timeout"
fi
orch -- --bind "$W/no-such-dir" -- true
if [ "$RC" = 125 ] && [ "$(field 'd["error_code"]')" = mount-user ]; then
	tap_ok "a setup failure: exit 125 and the error event's stable code"
else
	show; tap_fail "orchestrator and a setup failure"
fi
# --ask-allow: the orchestrator answers sbx's question. Only a deny is
# tested here (an allow would resolve the name on the real host); t-ask
# covers allows against the fake internet.
orch --ask-allow 'other.example' -- --network=allowlist -- \
	bash -c 'exec 3<>/dev/tcp/10.255.255.1/3128; printf "CONNECT asked.example:443 HTTP/1.1\r\nHost: asked.example:443\r\n\r\n" >&3; read -r l <&3; case $l in *403*) exit 0;; esac; exit 1'
if [ "$RC" = 0 ] && [ "$(field 'd["questions"], d["denied"]')" = "(['asked.example:443 deny'], ['asked.example:443'])" ]; then
	tap_ok "--ask-allow: the question is answered (deny) and the request refused"
else
	show; tap_fail "orchestrator answering a question"
fi
orch -- sbx-no-such-command
if [ "$RC" = 127 ]; then
	tap_ok "command not found: exit 127"
else
	show; tap_fail "orchestrator and a missing command"
fi
tap_done
