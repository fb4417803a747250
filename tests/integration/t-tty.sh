#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-tty: a payload started from a terminal cannot push keystrokes into it
# (TIOCSTI, bubblewrap CVE-2017-5226; with high bits in the request,
# CVE-2019-10063). Runs under a pty whose shell reads one line after the
# payload: an injection would be that line.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 4

cat >"$W/.t/ptyrun.py" <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
deadline = time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if fd in r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    elif os.waitpid(pid, os.WNOHANG)[0] == pid:
        pid = 0
        break
if pid:
    os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY

# pty_run CMD...: CMD runs on a fresh pty (controlling terminal); then the
# shell on that pty reads one line for 2 s and prints it as AFTER:[...].
pty_run() {
	local q
	printf -v q '%q ' "$@"
	capture "$PY" "$W/.t/ptyrun.py" /bin/bash -c "$q; IFS= read -r -t 2 line; echo \"AFTER:[\$line]\""
}

legacy=$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null || echo unknown)
tap_diag "dev.tty.legacy_tiocsti = $legacy"

for variant in plain hi; do
	args=(tiocsti)
	[ "$variant" = hi ] && args+=(hi)
	args+=('sbxinjected\n')
	desc="TIOCSTI${variant/plain/} from the payload does not reach the terminal"
	[ "$variant" = hi ] && desc="TIOCSTI with high bits set in the request does not reach the terminal"
	pty_run "${USERCMD[@]}" "$P" "${args[@]}"
	tap_diag "control ($variant, no sbx): $(grep -E 'tiocsti|AFTER' <<<"$OUT" | tr '\n' ';')"
	if ! grep -q 'AFTER:\[sbxinjected\]' <<<"$OUT"; then
		# Linux 6.2+ with dev.tty.legacy_tiocsti=0 refuses TIOCSTI to the unprivileged.
		fact=control-failed
		[ "$legacy" = 0 ] && fact=kernel-refuses:tiocsti
		tap_skip "$desc" "$fact" "TIOCSTI injection does not work here without sbx"
		continue
	fi
	pty_run "${USERCMD[@]}" "$W/sbx" run -- "$P" "${args[@]}"
	tap_diag "sbx ($variant): $(grep -E 'tiocsti|AFTER|sbx:' <<<"$OUT" | tr '\n' ';')"
	if grep -q 'AFTER:\[\]' <<<"$OUT" && grep -Eq 'tiocsti(-hi)? fd0 = E' <<<"$OUT"; then
		tap_ok "$desc"
	else
		show; tap_fail "$desc"
	fi
done

# TIOCLINUX on the inherited terminal: a pty answers ENOTTY/EINVAL
# (reached); inside sbx it must be refused before the tty layer.
pty_run "${USERCMD[@]}" "$P" tioclinux
ctl=$(grep -E '^tioclinux = ' <<<"$OUT")
tap_diag "control: $ctl"
if [[ "$ctl" != *reached* ]] && [[ "$ctl" != *OK* ]]; then
	tap_skip "TIOCLINUX on the terminal refused" control-failed "TIOCLINUX does not reach the tty layer without sbx"
else
	pty_run "${USERCMD[@]}" "$W/sbx" run -- "$P" tioclinux
	in=$(grep -E '^tioclinux(-hi)? = ' <<<"$OUT" | tr '\n' ';')
	if [ -n "$in" ] && ! grep -Eq 'reached|OK' <<<"$in"; then
		tap_ok "TIOCLINUX on the terminal refused ($in)"
	else
		show; tap_fail "TIOCLINUX inside sbx: ${in:-no result}"
	fi
fi

# The payload does not share the caller's session (so it has no
# controlling terminal to inject into even without the filter).
pty_run "${USERCMD[@]}" "$W/sbx" run -- /bin/sh -c "'$P' getpid; test -r /dev/tty && (: </dev/tty) 2>/dev/null && echo CTTY || echo NOCTTY"
if grep -q NOCTTY <<<"$OUT"; then
	tap_ok "payload has no controlling terminal"
else
	show; tap_fail "payload still has the caller's controlling terminal"
fi

tap_done
