#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-control: --control-fd. The orchestrator (tests/world/asker.py) reads the
# policy in force and adds and removes rules while the payload runs; a new
# deny closes the connections it covers (allowlist: the proxy's tunnels;
# open: the payload's own sockets); the posture is never widened; a rule
# the command line refuses is refused with the same words; garbage and a
# closed channel change nothing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 14
al_start
# 1. Control for the closing tests: with nothing changed, a held tunnel
# stays open across the wait (so "closed" below is the policy's doing).
orch ctl --no-ask --on-ready 'list' -- --network=allowlist --allow www.test -- sh -c "$(NC "'h hold proxy www.test 80 c1'")"
if [ "$(s_class h)" = open ]; then
	tap_ok "control: a held tunnel answers a second request when nothing changes"
else
	tap_diag "$S"; tap_fail "held tunnel control"
	tap_skip_all control-failed "a kept-alive tunnel through the proxy does not stay open"
fi

# 2. list: every rule with its id and source.
orch ctl --no-ask --control list -- --network=allowlist --allow www.test --deny other.test:443 --allow @pypi -- true
if sq 's["replies"][0]["ok"] and s["replies"][0]["rules"] == len(s["rules"]) >= 4 and s["rules"][0]["rule"] == "www.test" and s["rules"][0]["source"] == "--allow" and s["rules"][1]["action"] == "deny" and s["rules"][2]["source"] == "@pypi via --allow" and len({r["rule_id"] for r in s["rules"]}) == len(s["rules"])'; then
	tap_ok "list: $("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["rules"]))' "$S") rules, each with a distinct id, action and source"
else
	tap_diag "$S"; tap_fail "list"
fi

# 3. allow before the payload starts: it reaches what the rule allows; the change is logged.
orch ctl --no-ask --control 'allow other.test' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 c2'")"
if [ "$(s_class a)" = allowed ] && sq 's["replies"][0]["ok"] and s["replies"][0]["version"] == 2 and s["policy"][0]["source"] == "control:1" and s["policy"][0]["rule"] == "other.test"' &&
	sq 'any(d["host"] == "other.test" and d["source"] == "control:1" for d in s["decisions"])'; then
	tap_ok "allow RULE: acknowledged (version 2), logged, and decides with source control:1"
else
	tap_diag "$S"; tap_fail "allow"
fi

# 4. A rule the command line refuses is refused with its words, and changes nothing.
capture sbx run --network=allowlist --allow 0x7f.1 -- true
cli_msg=${ERR#sbx: }
orch ctl --no-ask --control 'allow 0x7f.1' --control 'deny *.' -- --network=allowlist -- true
if [ "$RC" = 0 ] && sq 's["replies"][0]["ok"] is False and s["replies"][0]["code"] == "bad-rule" and s["replies"][0]["message"] == sys.argv[3] and s["replies"][1]["ok"] is False and s["policy"] == []' "$(head -n 1 <<<"$cli_msg")"; then
	tap_ok "a bad rule: the command line's message, word for word, and no new version"
else
	tap_diag "cli: $cli_msg"; tap_diag "$S"; tap_fail "bad rule"
fi

# 5. deny while a tunnel is open: the tunnel is reset and logged; new requests are denied.
orch ctl --no-ask --on-ready 'deny www.test' -- --network=allowlist --allow www.test -- \
	sh -c "$(NC "'h hold proxy www.test 80 c3'" "'b connect www.test 80 c4'")"
if [ "$(s_class h)" = closed ] && [ "$(s_class b)" = denied ] &&
	sq 'any(d["verdict"] == "deny" and "policy change" in d["error"] and d["source"] == "control:1" and d["bytes_down"] > 0 for d in s["decisions"])'; then
	tap_ok "deny www.test closes the open tunnel (logged with its bytes) and refuses new ones"
else
	tap_diag "$S"; tap_fail "deny closes tunnels"
fi

# 6. remove: by text and by id; an unknown id is an error.
orch ctl --no-ask --control 'remove allow www.test' --control 'remove 99' -- --network=allowlist --allow www.test --allow other.test -- \
	sh -c "$(NC "'a connect www.test 80 c5'" "'b connect other.test 80 c6'")"
if [ "$(s_class a)" = denied ] && [ "$(s_class b)" = allowed ] &&
	sq 's["replies"][0]["ok"] and s["replies"][0]["removed"] == [1] and s["replies"][1]["code"] == "no-such-rule"'; then
	tap_ok "remove allow www.test takes that rule only; remove 99: no-such-rule"
else
	tap_diag "$S"; tap_fail "remove"
fi

# 7. posture: narrowed to blocked (an open tunnel is reset), restored, never widened.
orch ctl --no-ask --on-ready 'posture blocked' --on-ready 'posture open' -- --network=allowlist --allow www.test -- \
	sh -c "$(NC "'h hold proxy www.test 80 c7'" "'b connect www.test 80 c8'")"
a=$S
orch ctl --no-ask --control 'posture blocked' --control 'posture allowlist' -- --network=allowlist --allow www.test -- \
	sh -c "$(NC "'a connect www.test 80 c9'")"
if [ "$(S=$a s_class h)" = closed ] && [ "$(S=$a s_class b)" = denied ] && [ "$(s_class a)" = allowed ] &&
	S=$a sq 's["replies"][0]["ok"] and s["replies"][0]["posture"] == "blocked" and s["replies"][1]["code"] == "wider-posture"'; then
	tap_ok "posture blocked closes tunnels and denies; allowlist restores; open is refused"
else
	tap_diag "$a"; tap_diag "$S"; tap_fail "posture"
fi

# 8. A blocked run: list works, no rule can be added (the command line's words).
capture sbx run --network=blocked --allow www.test -- true
cli_msg=${ERR#sbx: }
orch ctl --no-ask --control list --control 'allow www.test' -- --network=blocked -- true
if sq 's["replies"][0]["ok"] and s["replies"][0]["rules"] == 0 and s["replies"][1]["code"] == "bad-rule" and s["replies"][1]["message"] == sys.argv[3]' "$(head -n 1 <<<"$cli_msg")"; then
	tap_ok "blocked stays blocked: allow is refused as the command line refuses --allow"
else
	tap_diag "cli: $cli_msg"; tap_diag "$S"; tap_fail "blocked run"
fi

# 9. Open posture: a new deny name shuts the payload's own open connection
# once the name's addresses are known, and refuses new ones.
orch ctl --no-ask --on-ready list -- --network=open -- sh -c "$(NC "'h hold direct www.test 80 c10'")"
ctl_open=$(s_class h)
orch ctl --no-ask --on-ready 'deny www.test' -- --network=open -- sh -c "$(NC "'h hold direct www.test 80 c10'" "'b direct www.test 80 c11'")"
if [ "$ctl_open" != open ]; then
	tap_skip "open posture deny" control-failed "a held connection does not stay open even without a change ($ctl_open)"
elif [ "$(s_class h)" = closed ] && [ "$(s_class b)" != allowed ] &&
	sq 'any(d["verdict"] == "deny" and "policy change" in d["error"] for d in s["decisions"])'; then
	tap_ok "open posture: deny www.test shuts the open connection and refuses a new one"
else
	tap_diag "$S"; tap_fail "open posture deny"
fi

# 10. Open posture refuses what it cannot enforce, with the command line's words.
capture sbx run --network=open --deny '*.test' -- true
cli_msg=${ERR#sbx: }
orch ctl --no-ask --control 'deny *.test' -- --network=open -- true
if sq 's["replies"][0]["ok"] is False and s["replies"][0]["message"] == sys.argv[3] and s["policy"] == []' "$(head -n 1 <<<"$cli_msg")"; then
	tap_ok "open posture: a wildcard deny is refused as on the command line"
else
	tap_diag "cli: $cli_msg"; tap_diag "$S"; tap_fail "open wildcard"
fi

# 11. Garbage: a NUL byte, an overlong line, an unknown request; each gets
# one error reply, in order, and the run is unharmed.
orch ctl --no-ask --control "$(printf 'al\001low x')" --control "$(head -c 5000 /dev/zero | tr '\0' a)" --control 'frobnicate' --control '' --control '# comment' --control list -- \
	--network=allowlist --allow www.test -- sh -c "$(NC "'a connect www.test 80 c12'")"
if [ "$(s_class a)" = allowed ] && sq '[r["ok"] for r in s["replies"]] == [False, False, False, True] and s["replies"][1]["code"] == "bad-line" and s["replies"][3]["request"] == 6 and s["rc"] == 0'; then
	tap_ok "garbage requests: one error reply each, in order; comments and blank lines ignored"
else
	tap_diag "$S"; tap_fail "garbage requests"
fi

# 12. A NUL byte inside a request is refused, never read as a shorter
# request; a regular file is refused as a channel, in one line.
printf 'deny www.test\0 trailing\nlist\n' >"$W/cwd/ctl-nul"
wcapture sbx run --network=allowlist --allow www.test --control-fd 3,4 -- true 3< <(cat "$W/cwd/ctl-nul") 4>"$W/cwd/ctl-nul.out"
out=$(cat "$W/cwd/ctl-nul.out")
wcapture sbx run --network=allowlist --control-fd 3,4 -- true 3<"$W/cwd/ctl-nul" 4>/dev/null
if grep -q '"code":"bad-line"' <<<"$out" && grep -q '"rules":1' <<<"$out" && [ "$RC" = 125 ] && grep -q "must be a pipe or a socket" <<<"$ERR"; then
	tap_ok "a request with a NUL byte: bad-line, nothing changed; a regular file: exit 125, one line"
else
	tap_diag "$out"; show; tap_fail "NUL in a request, or a file as the channel"
fi
# 13. The orchestrator's requests end at once: nothing changes, the run goes on and ends normally.
wcapture sbx run --network=allowlist --allow www.test --control-fd 3,4 -- sh -c "sleep 0.3; $(NC "'a connect www.test 80 c13'")" 3< <(true) 4>"$W/cwd/ctl-eof.out"
if [ "$RC" = 0 ] && grep -q "a	allowed" <<<"$OUT" && [ "$(grep -c . "$W/cwd/ctl-eof.out")" = 1 ] &&
	grep -q '"event":"hello".*"stream":"control"' "$W/cwd/ctl-eof.out"; then
	tap_ok "requests closed at once: the hello line only, no change, the payload runs as configured"
else
	show; tap_fail "closed control channel"
fi
# 14. Open posture, sbx out of descriptors when the change comes: the
# connection cannot be shut then (the control: with the limit held, it stays
# open), and is shut by the retry once descriptors are back.
orch ctl --no-ask --squeeze hold --on-ready 'deny www.test' -- --network=open -- sh -c "$(NC "'h hold direct www.test 80 c14'")"
held=$(s_class h)
orch ctl --no-ask --squeeze restore --on-ready 'deny www.test' -- --network=open -- sh -c "$(NC "'h hold direct www.test 80 c15'")"
if [ "$held" != open ]; then
	tap_skip "a sweep short of descriptors is retried" control-failed "squeezing sbx's descriptors did not keep the connection open ($held)"
elif [ "$(s_class h)" = closed ] && sq 'any("policy change" in d["error"] for d in s["decisions"])'; then
	tap_ok "open posture, sbx out of descriptors at the change: the connection is shut once they are back"
else
	tap_diag "$S"; tap_fail "sweep retry after descriptor exhaustion"
fi
tap_done
