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

    examples/orchestrator.py [--sbx PATH] [--timeout S] [--id NAME] -- SBX_RUN_ARGS...

prints a summary (JSON with --json) and exits with sbx's exit status.
Standard library only.
"""
import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import time


def run(sbx, sbx_args, timeout, sandbox_id, hard_deadline):
    status_r, status_w = os.pipe()
    log_r, log_w = os.pipe()
    cmd = [sbx, "run", "--id", sandbox_id, "--json-status-fd", str(status_w), "--log-fd", str(log_w)]
    if timeout:
        cmd += ["--timeout", str(timeout), "--kill-after", "2"]
    cmd += sbx_args
    proc = subprocess.Popen(cmd, pass_fds=(status_w, log_w), stdin=subprocess.DEVNULL,
                            start_new_session=True)
    os.close(status_w)
    os.close(log_w)

    events, decisions, bad = [], [], []
    buffers = {status_r: b"", log_r: b""}
    sel = selectors.DefaultSelector()
    sel.register(status_r, selectors.EVENT_READ, events)
    sel.register(log_r, selectors.EVENT_READ, decisions)
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
                    key.data.append(json.loads(line))
                except ValueError:
                    bad.append(line.decode(errors="replace"))
    rc = proc.wait()
    os.close(status_r)
    os.close(log_r)
    return rc, events, decisions, bad


def summarize(rc, events, decisions, bad):
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
        "dropped_lines": sum(e.get("lines", 0) for e in events + decisions if e.get("event") == "dropped"),
        "unparsed_lines": len(bad),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sbx", default="sbx")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--id", default="example-%d" % os.getpid())
    ap.add_argument("--json", action="store_true")
    ap.add_argument("sbx_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.sbx_args[1:] if a.sbx_args[:1] == ["--"] else a.sbx_args
    if not args:
        ap.error("give sbx run's options and the command after --")
    rc, events, decisions, bad = run(a.sbx, args, a.timeout, a.id, (a.timeout or 3600) + 30)
    s = summarize(rc, events, decisions, bad)
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
        if s["environment_removed"]:
            print("  credentials kept out: %s" % ", ".join(s["environment_removed"]))
    sys.exit(rc)


if __name__ == "__main__":
    main()
