#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal orchestrator for sbx: run one untrusted command and report what it did.

It shows the interface an agent framework or a CI runner builds on
(man/sbx-json.7): sbx writes its life on one pipe (--json-status-fd) and
every network decision on another (--log-fd), both JSON lines of one
versioned schema; the orchestrator reads both without ever blocking sbx,
bounds the run with --timeout, and reads the exit status as documented
(124 timeout, 125 sbx refused or failed, 126/127 command not executable or
not found, 128+N killed by signal N).

With --ask-allow it also answers sbx's questions (--ask-fd, allowlist
posture): a destination no rule decides is allowed once when its host
matches one of the globs, and denied otherwise; the summary lists each
question and its answer.

    examples/orchestrator.py [--sbx PATH] [--timeout S] [--id NAME] [--ask-allow GLOB]... -- SBX_RUN_ARGS...

prints a summary (JSON with --json) and exits with sbx's exit status.
Standard library only.
"""
import argparse
import fnmatch
import json
import os
import selectors
import signal
import subprocess
import sys
import time


def run(sbx, sbx_args, timeout, sandbox_id, hard_deadline, ask_allow):
    status_r, status_w = os.pipe()
    log_r, log_w = os.pipe()
    cmd = [sbx, "run", "--id", sandbox_id, "--json-status-fd", str(status_w), "--log-fd", str(log_w)]
    ours = [status_w, log_w]
    if ask_allow is not None:
        # Questions come on one pipe, answers go back on another.
        q_r, q_w = os.pipe()
        a_r, a_w = os.pipe()
        cmd += ["--ask-fd", "%d,%d" % (a_r, q_w)]
        ours += [a_r, q_w]
    if timeout:
        cmd += ["--timeout", str(timeout), "--kill-after", "2"]
    cmd += sbx_args
    proc = subprocess.Popen(cmd, pass_fds=ours, stdin=subprocess.DEVNULL, start_new_session=True)
    for fd in ours:
        os.close(fd)

    events, decisions, questions, bad = [], [], [], []
    buffers = {status_r: b"", log_r: b""}
    sel = selectors.DefaultSelector()
    sel.register(status_r, selectors.EVENT_READ, events)
    sel.register(log_r, selectors.EVENT_READ, decisions)
    if ask_allow is not None:
        buffers[q_r] = b""
        sel.register(q_r, selectors.EVENT_READ, questions)
    deadline = time.monotonic() + hard_deadline
    while sel.get_map():
        left = deadline - time.monotonic()
        if left <= 0:
            # sbx bounds itself with --timeout; this is the orchestrator's own last resort.
            os.killpg(proc.pid, signal.SIGKILL)
            break
        for key, _ in sel.select(timeout=min(left, 1.0)):
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fd)
                continue
            buffers[key.fd] += chunk
            *lines, buffers[key.fd] = buffers[key.fd].split(b"\n")
            for line in lines:
                try:
                    ev = json.loads(line)
                except ValueError:
                    bad.append(line.decode(errors="replace"))
                    continue
                key.data.append(ev)
                if ev.get("event") == "question":
                    # The request waits for this line; sbx denies it if none comes in time.
                    ok = any(fnmatch.fnmatch(ev["host"], g) for g in ask_allow)
                    ev["answer"] = "allow" if ok else "deny"
                    try:
                        os.write(a_w, b"%d %s\n" % (ev["ask"], ev["answer"].encode()))
                    except BrokenPipeError:
                        pass
    rc = proc.wait()
    for fd in buffers:
        os.close(fd)
    if ask_allow is not None:
        os.close(a_w)
    return rc, events, decisions, questions, bad


def summarize(rc, events, decisions, questions, bad):
    by_kind = {e.get("event"): e for e in events}
    ended = by_kind.get("exited") or by_kind.get("timeout") or by_kind.get("error")
    allowed = sorted({"%s:%s" % (d["host"], d["port"]) for d in decisions
                      if d.get("event") == "decision" and d["verdict"] == "allow"})
    denied = sorted({"%s:%s" % (d["host"], d["port"]) for d in decisions
                     if d.get("event") == "decision" and d["verdict"] == "deny"})
    hello = next((e for e in events if e.get("event") == "hello"), {})
    return {
        "id": hello.get("id"),
        "schema": hello.get("schema"),
        "posture": hello.get("posture"),
        "exit_status": rc,
        "ended_by": ended.get("event") if ended else None,
        "error_code": by_kind["error"]["code"] if "error" in by_kind else None,
        "environment_removed": by_kind.get("environment", {}).get("removed", []),
        "allowed": allowed,
        "denied": denied,
        "questions": ["%s:%s %s" % (q["host"], q["port"], q.get("answer")) for q in questions
                      if q.get("event") == "question"],
        "dropped_lines": sum(e.get("lines", 0) for e in events + decisions if e.get("event") == "dropped"),
        "unparsed_lines": len(bad),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sbx", default="sbx")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--id", default="example-%d" % os.getpid())
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--ask-allow", action="append", metavar="GLOB",
                    help="answer sbx's questions: allow hosts matching GLOB once, deny the rest")
    ap.add_argument("sbx_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.sbx_args[1:] if a.sbx_args[:1] == ["--"] else a.sbx_args
    if not args:
        ap.error("give sbx run's options and the command after --")
    rc, events, decisions, questions, bad = run(a.sbx, args, a.timeout, a.id, (a.timeout or 3600) + 30,
                                                a.ask_allow)
    s = summarize(rc, events, decisions, questions, bad)
    if a.json:
        print(json.dumps(s, sort_keys=True))
    else:
        print("sandbox %s (%s posture): exit %s, ended by %s" % (s["id"], s["posture"], rc, s["ended_by"]))
        if s["error_code"]:
            print("  setup failed: %s" % s["error_code"])
        for h in s["allowed"]:
            print("  allowed %s" % h)
        for h in s["denied"]:
            print("  denied  %s" % h)
        for q in s["questions"]:
            print("  asked   %s" % q)
        if s["environment_removed"]:
            print("  credentials kept out: %s" % ", ".join(s["environment_removed"]))
    sys.exit(rc)


if __name__ == "__main__":
    main()
