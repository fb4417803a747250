#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""asker.py - a scripted orchestrator for sbx's --ask-fd and --control-fd tests.

Runs sbx with the question/answer and control channels on pipes of its own,
answers questions by a script, sends control requests at given moments,
and prints one JSON summary. Python 3 standard library only.

Usage: asker.py --sbx SBX --dir DIR [OPTIONS] -- SBX_RUN_ARGS... -- CMD...

  --answer GLOB=REPLY   answer a question whose host matches GLOB with REPLY
                        ("allow", "deny once", "allow always", "allow rule
                        *.test", ...); the first match wins
  --ask-behaviour B     what the answerer does besides: normal (default),
                        ignore (never answers), garbage (answers junk first,
                        then the script), close (closes the answers' pipe at
                        the first question), slow:S (waits S seconds per
                        answer), unread (never reads the questions)
  --control LINE        a request sent at start (before the payload runs)
  --on-ready LINE       a request sent when the payload prints READY; the
                        payload gets "go" on its stdin once every reply to
                        these came back
  --squeeze MODE        with --on-ready: first leave sbx no descriptor to open
                        (its soft RLIMIT_NOFILE at its lowest free number),
                        then "restore" it before the payload goes on, or
                        "hold" it until the payload has gone on
  --socket              one socket per channel (sbx gets a single FD), not two pipes
  --no-ask / --no-control  leave a channel out
  --wall S              the orchestrator's own deadline (default 40)

DIR receives questions.jsonl, control.jsonl, decisions.jsonl (sbx's own
lines, checked against the schema by the test library) and the summary:
  rc, payload (stdout lines), questions, ask_errors, replies, rules,
  decisions, policy (the "policy" log lines), elapsed.
"""
import argparse
import fnmatch
import json
import os
import selectors
import socket
import signal
import subprocess
import sys
import resource
import time


def squeeze(pid):
    """sbx may open no descriptor: its soft limit becomes its lowest free number. Returns the old limits."""
    old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    used = {int(n) for n in os.listdir("/proc/%d/fd" % pid)}
    low = next(i for i in range(len(used) + 1) if i not in used)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (low, old[1]))
    return old


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbx", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--ask-behaviour", default="normal")
    ap.add_argument("--control", action="append", default=[])
    ap.add_argument("--on-ready", action="append", default=[])
    ap.add_argument("--no-ask", action="store_true")
    ap.add_argument("--no-control", action="store_true")
    ap.add_argument("--wall", type=float, default=40.0)
    ap.add_argument("--squeeze", choices=["restore", "hold"])
    ap.add_argument("--socket", action="store_true")
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    rest = a.rest[1:] if a.rest and a.rest[0] == "--" else a.rest
    answers = []
    for spec in a.answer:
        glob, _, reply = spec.partition("=")
        answers.append((glob, reply))

    os.makedirs(a.dir, exist_ok=True)
    files = {name: open(os.path.join(a.dir, name + ".jsonl"), "wb")
             for name in ("questions", "control", "decisions")}
    socks = []
    if a.socket:
        # One socket per channel: sbx gets one end as a single FD, we read and write the other.
        for _ in range(2):
            ours, theirs = socket.socketpair()
            socks.append(ours)
            socks.append(theirs)
        q_r = ans_w = socks[0].detach()
        ans_r = q_w = socks[1].detach()
        c_w = cr_r = socks[2].detach()
        c_r = cr_w = socks[3].detach()
    else:
        q_r, q_w = os.pipe()      # sbx writes questions
        ans_r, ans_w = os.pipe()  # sbx reads answers
        c_r, c_w = os.pipe()      # sbx reads requests
        cr_r, cr_w = os.pipe()    # sbx writes replies
    log_r, log_w = os.pipe()
    in_r, in_w = os.pipe()    # the payload's stdin
    cmd = [a.sbx, "run", "--log-fd", str(log_w)]
    keep = [log_w]
    def fd_arg(i, o):
        return str(i) if i == o else "%d,%d" % (i, o)
    if not a.no_ask:
        cmd += ["--ask-fd", fd_arg(ans_r, q_w)]
        keep += sorted({ans_r, q_w})
    if not a.no_control:
        cmd += ["--control-fd", fd_arg(c_r, cr_w)]
        keep += sorted({c_r, cr_w})
    cmd += rest
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, pass_fds=keep, stdin=in_r, stdout=subprocess.PIPE, start_new_session=True)
    for fd in keep + [in_r]:
        os.close(fd)
    if a.no_ask:
        for fd in {ans_w, q_r}:
            os.close(fd)
    if a.no_control:
        for fd in {c_w, cr_r}:
            os.close(fd)

    out = {"payload": [], "questions": [], "ask_errors": [], "replies": [], "rules": [], "decisions": [],
           "policy": []}
    sel = selectors.DefaultSelector()
    bufs = {}

    def watch(fd, name):
        os.set_blocking(fd, False)
        bufs[fd] = b""
        sel.register(fd, selectors.EVENT_READ, name)

    watch(proc.stdout.fileno(), "payload")
    watch(log_r, "decisions")
    if not a.no_ask and a.ask_behaviour != "unread":
        watch(q_r, "questions")
    if not a.no_control:
        watch(cr_r, "control")
        for line in a.control:
            os.write(c_w, (line + "\n").encode())
    pending_ready = None  # replies still awaited before "go"
    later = []            # (time, answer line)
    ans_open = not a.no_ask

    def answer_for(q):
        for glob, reply in answers:
            if fnmatch.fnmatch(q.get("host", ""), glob):
                return reply
        return None

    deadline = t0 + a.wall
    while sel.get_map():
        now = time.monotonic()
        if now > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            out["wall"] = True
            break
        for when, line in [x for x in later if x[0] <= now]:
            later.remove((when, line))
            if ans_open:
                try:
                    os.write(ans_w, line)
                except BrokenPipeError:
                    pass
        wait = min([deadline - now, 0.2] + [max(0, x[0] - now) for x in later])
        for key, _ in sel.select(timeout=wait):
            fd, name = key.fd, key.data
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd)
                continue
            if name != "payload":
                files[name].write(chunk)
                files[name].flush()
            bufs[fd] += chunk
            *lines, bufs[fd] = bufs[fd].split(b"\n")
            for raw in lines:
                if name == "payload":
                    text = raw.decode(errors="replace")
                    out["payload"].append(text)
                    if text == "READY" and not a.no_control:
                        if a.squeeze:
                            out["squeezed"] = squeeze(proc.pid)
                        pending_ready = len(a.on_ready)
                        for line in a.on_ready:
                            os.write(c_w, (line + "\n").encode())
                        if not pending_ready:
                            os.write(in_w, b"go\n")
                    continue
                ev = json.loads(raw)
                kind = ev.get("event")
                if kind == "hello":
                    out.setdefault("hello", {})[name] = ev
                    continue
                if name == "decisions":
                    if kind in ("policy", "decision"):
                        out["policy" if kind == "policy" else "decisions"].append(ev)
                elif name == "control":
                    out["rules" if kind == "rule" else "replies"].append(ev)
                    if kind == "reply" and pending_ready:
                        pending_ready -= 1
                        if pending_ready == 0:
                            if a.squeeze:
                                time.sleep(0.6)  # sbx tries (and fails) meanwhile
                            if a.squeeze == "restore":
                                resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, tuple(out["squeezed"]))
                                time.sleep(0.6)  # sbx's retry comes within 0.2 s
                            os.write(in_w, b"go\n")
                elif kind == "ask-error":
                    out["ask_errors"].append(ev)
                elif kind == "question":
                    out["questions"].append(ev)
                    beh = a.ask_behaviour
                    if beh == "ignore":
                        continue
                    if beh == "close" and ans_open:
                        if a.socket:
                            socket.socket(fileno=os.dup(ans_w)).shutdown(socket.SHUT_WR)
                        else:
                            os.close(ans_w)
                        ans_open = False
                        continue
                    if beh == "garbage" and ans_open:
                        os.write(ans_w, b"\x00\xffnot an answer\n%d maybe\n999999 allow\n" % ev["ask"] +
                                 b"x" * 5000 + b"\n")
                    reply = answer_for(ev)
                    if reply is None or not ans_open:
                        continue
                    line = ("%d %s\n" % (ev["ask"], reply)).encode()
                    delay = float(beh.split(":")[1]) if beh.startswith("slow:") else 0.0
                    later.append((time.monotonic() + delay, line))
    out["rc"] = proc.wait()
    out["elapsed"] = round(time.monotonic() - t0, 3)
    for f in files.values():
        f.close()
    with open(os.path.join(a.dir, "summary.json"), "w") as f:
        json.dump(out, f)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
