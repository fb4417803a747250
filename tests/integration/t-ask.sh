#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-ask: --ask-fd. A destination no rule decides is put to the orchestrator
# (tests/world/asker.py) and waits for its answer alone; answers allow or
# deny once, for the rest of the run, or as a rule; floors are never asked;
# a slow, silent, garbage-writing or vanished orchestrator never hangs sbx
# and never lets anything through.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 16
al_start
# 1. Control: without --ask-fd an unknown destination is denied, and the
# same destination is reachable once a rule allows it.
orch ask --no-ask --no-control -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t1'")"
a=$(s_class a)
orch ask --no-ask --no-control -- --network=allowlist --allow other.test -- sh -c "$(NC "'a connect other.test 80 t1'")"
if [ "$a" = denied ] && [ "$(s_class a)" = allowed ]; then
	tap_ok "control: other.test is denied without a rule and reachable with one"
else
	tap_diag "$S"; tap_fail "control run (no rule: $a, rule: $(s_class a))"
	tap_skip_all control-failed "the fake internet does not answer as expected"
fi

# 2. allow once: the request goes through; the question names the
# destination and the process; the decision says who allowed it.
orch ask --answer 'other.test=allow once' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t2'" "'b connect other.test 80 t3'" "'c get other.test 80 t3b'" "'d socks other.test 80 t3c domain'")"
if [ "$(s_class a)" = allowed ] && [ "$(s_class b)" = allowed ] && [ "$(s_class c)" = allowed ] && [ "$(s_class d)" = allowed ] &&
	sq '[q["proto"] for q in s["questions"]] == ["connect", "connect", "http", "socks5"] and s["questions"][0]["host"] == "other.test" and s["questions"][0]["port"] == 80 and s["questions"][0]["kind"] == "connect" and s["questions"][0]["names"] == ["other.test"] and s["questions"][0]["comm"].startswith("python") and s["questions"][0]["pid"] > 1' &&
	sq 'all(d["verdict"] == "allow" and "allowed once" in d["reason"] for d in s["decisions"] if d["host"] == "other.test")'; then
	tap_ok "allow once (CONNECT, plain HTTP, SOCKS5): each request is asked about, allowed, and logged as the orchestrator's"
else
	tap_diag "$S"; tap_fail "allow once"
fi

# 3. allow always: one question, then a rule for exactly host:port, logged.
orch ask --answer 'other.test=allow always' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t4'" "'b connect other.test 80 t5'" "'c connect other.test 443'")"
if [ "$(s_class a)" = allowed ] && [ "$(s_class b)" = allowed ] &&
	sq 'len([x for x in s["questions"] if x["port"] == 80]) == 1 and s["policy"][0]["rule"] == "other.test:80" and s["policy"][0]["source"] == "ask:1" and s["policy"][0]["op"] == "allow"'; then
	tap_ok "allow always: one question, then the rule other.test:80 (source ask:1) decides"
else
	tap_diag "$S"; tap_fail "allow always"
fi

# 4. deny once: refused, logged as the orchestrator's refusal.
orch ask --answer 'other.test=deny' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t6'")"
if [ "$(s_class a)" = denied ] && sq 'any("denied once" in d["reason"] for d in s["decisions"])'; then
	tap_ok "deny once: a 403, logged as the orchestrator's answer"
else
	tap_diag "$S"; tap_fail "deny once"
fi

# 5. An answer as a rule covers more than was asked.
orch ask --answer 'other.test=allow rule *.test' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t7'" "'b connect www.test 80 t8'")"
if [ "$(s_class a)" = allowed ] && [ "$(s_class b)" = allowed ] && sq 'len(s["questions"]) == 1 and s["policy"][0]["rule"] == "*.test"'; then
	tap_ok "allow rule *.test: the rule is added and decides www.test without a question"
else
	tap_diag "$S"; tap_fail "answer with a rule"
fi

# 6. The DNS stub asks too.
orch ask --answer 'other.test=allow' -- --network=allowlist -- sh -c "$(NC "'a dns other.test A'")"
if [ "$(s_class a)" = rcode-0 ] && grep -q 11.11.0.12 <<<"$S" && sq 's["questions"][0]["kind"] == "dns" and s["questions"][0]["port"] == 0'; then
	tap_ok "DNS: an unknown name is asked about (kind dns) and answered once allowed"
else
	tap_diag "$S"; tap_fail "DNS stub asks"
fi

# 7. Floors are never asked: a deny rule, a special-purpose address, a metadata address.
orch ask --answer '*=allow' -- --network=allowlist --deny other.test -- sh -c "$(NC "'a connect other.test 80 t9'" "'b connect 169.254.169.254 80 t10'" "'c connect 10.1.2.3 80 t11'")"
if [ "$(s_class a)" = denied ] && [ "$(s_class b)" = denied ] && [ "$(s_class c)" = denied ] && sq 's["questions"] == []'; then
	tap_ok "deny rules, metadata and private addresses are denied without a question"
else
	tap_diag "$S"; tap_fail "floors asked about"
fi

# 8. A silent orchestrator: the question times out as a deny, and holds
# nobody else: an allowed request started later finishes first.
orch ask --ask-behaviour ignore -- --network=allowlist --allow www.test --ask-timeout 3 -- \
	bash -c "$(NC "'a connect other.test 80 t12'") & sleep 0.5; $(NC "'b connect www.test 80 t13'"); wait"
if [ "$(s_class a)" = denied ] && [ "$(s_class b)" = allowed ] && sq 's["payload"][0].startswith("b\t")' &&
	sq 'any("gave no answer" in d["reason"] and "in time" in d["error"] for d in s["decisions"])'; then
	tap_ok "no answer: denied after --ask-timeout; other requests went on meanwhile"
else
	tap_diag "$S"; tap_fail "silent orchestrator"
fi

# 9. Garbage before the answer: each bad line is reported, the question still waits, the answer works.
orch ask --ask-behaviour garbage --answer 'other.test=allow' -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t14'")"
if [ "$(s_class a)" = allowed ] && sq 'len(s["ask_errors"]) >= 4 and s["rc"] == 0'; then
	tap_ok "garbage answers: $( "$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["ask_errors"]))' "$S") ask-error lines, then the real answer is taken"
else
	tap_diag "$S"; tap_fail "garbage answers"
fi

# 10. The orchestrator closes its answers: denied at once, and nothing more is asked.
orch ask --ask-behaviour close --answer '*=allow' -- --network=allowlist --ask-timeout 30 -- sh -c "$(NC "'a connect other.test 80 t15'" "'b connect www.test 80 t16'")"
if [ "$(s_class a)" = denied ] && [ "$(s_class b)" = denied ] && sq 'len(s["questions"]) == 1 and s["elapsed"] < 15'; then
	tap_ok "answers closed: the waiting request is denied at once and nothing more is asked"
else
	tap_diag "$S"; tap_fail "closed answers"
fi

# 11. An orchestrator that never reads the questions: sbx never blocks on them.
orch ask --ask-behaviour unread -- --network=allowlist --allow www.test --ask-timeout 1 -- sh -c "$(NC "'a connect other.test 80 t17'" "'b connect www.test 80 t18'")"
if [ "$(s_class a)" = denied ] && [ "$(s_class b)" = allowed ] && sq 's["rc"] == 0'; then
	tap_ok "questions never read: a deny after the timeout, everything else served"
else
	tap_diag "$S"; tap_fail "unread questions"
fi

# 12. A slow orchestrator within the timeout is waited for.
orch ask --ask-behaviour slow:1.5 --answer 'other.test=allow' -- --network=allowlist --ask-timeout 6 -- sh -c "$(NC "'a connect other.test 80 t19'")"
if [ "$(s_class a)" = allowed ]; then
	tap_ok "an answer after 1.5 s (timeout 6 s) is taken"
else
	tap_diag "$S"; tap_fail "slow orchestrator"
fi

# 13. An answer whose rule is refused is reported, and the question keeps waiting (then times out).
orch ask --answer 'other.test=allow rule 0x7f.1' -- --network=allowlist --ask-timeout 2 -- sh -c "$(NC "'a connect other.test 80 t20'")"
if [ "$(s_class a)" = denied ] && sq 'len(s["ask_errors"]) == 1 and "--allow" in s["ask_errors"][0]["message"]'; then
	tap_ok "an answer with a bad rule: the command line's message, and no allow"
else
	tap_diag "$S"; tap_fail "bad rule in an answer"
fi

# 14. Requests for the same destination at once share one question.
orch ask --ask-behaviour slow:1 --answer 'other.test=allow' -- --network=allowlist -- \
	bash -c "for i in 1 2 3; do $(NC "'a\$i connect other.test 80 t21'") & done; wait"
if sq 'len(s["questions"]) == 1 and sum(1 for l in s["payload"] if "\tallowed\t" in l) == 3'; then
	tap_ok "three requests at once for other.test:80: one question, three answers"
else
	tap_diag "$S"; tap_fail "shared question"
fi

# 15. --ask-fd outside allowlist posture is a usage error.
capture sbx run --network=open --ask-fd 0 -- true
if [ "$RC" = 125 ] && grep -q "allowlist only" <<<"$ERR"; then
	tap_ok "--ask-fd with --network=open: exit 125, one clear line"
else
	show; tap_fail "--ask-fd posture check"
fi
# 16. One socket per channel (--ask-fd FD, --control-fd FD): a question
# answered, a control request replied to, and a close (shutdown) that denies.
orch ask --socket --answer 'other.test=allow' --control list -- --network=allowlist -- sh -c "$(NC "'a connect other.test 80 t22'")"
a=$S
orch ask --socket --ask-behaviour close --answer '*=allow' -- --network=allowlist --ask-timeout 30 -- sh -c "$(NC "'a connect other.test 80 t23'")"
if [ "$(S=$a s_class a)" = allowed ] && S=$a sq 'len(s["questions"]) == 1 and s["replies"][0]["ok"]' &&
	[ "$(s_class a)" = denied ] && sq 's["elapsed"] < 15'; then
	tap_ok "a socket per channel: questions answered and requests replied to on one descriptor; a shutdown denies at once"
else
	tap_diag "$a"; tap_diag "$S"; tap_fail "socket channels"
fi
tap_done
