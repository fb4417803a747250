#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-doors: the doors a read-only view leaves open are closed by default, and
# each flag opens exactly one on purpose: credential stores under $HOME,
# credential variables, files the host runs later; $HOME is writable with
# every write discarded. Each case runs its control without sbx first.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 15
H=$HOME
if [ -z "$H" ] || ! as_user test -w "$H"; then
	tap_skip_all no-writable-home "HOME=${HOME:-unset}"
fi
as_user mkdir -p "$H/.ssh" "$H/.aws" "$W/cwd/repo"
as_user sh -c "echo key >'$H/.ssh/id_sbxtest'; echo creds >'$H/.aws/credentials'; echo 'machine x' >'$H/.netrc'"

# 1-3. credential stores
capture as_user cat "$H/.ssh/id_sbxtest" "$H/.aws/credentials" "$H/.netrc"
control=$OUT
capture sbx run -- sh -c "cat '$H/.ssh/id_sbxtest' '$H/.aws/credentials' '$H/.netrc' 2>&1; ls -A '$H/.ssh' | wc -l"
if [ "$control" != "$(printf 'key\ncreds\nmachine x')" ]; then
	tap_skip "credential stores hidden" control-failed "the test user cannot read its own files ($control)"
elif [[ $OUT != *key* && $OUT != *creds* && $OUT != *"machine x"* && $OUT == *0 ]]; then
	tap_ok "~/.ssh, ~/.aws and ~/.netrc are empty read-only placeholders inside"
else
	show; tap_fail "credential stores readable inside"
fi
capture sbx run --show '~/.ssh' -- cat "$H/.ssh/id_sbxtest" "$H/.aws/credentials"
if [ "$OUT" = key ] && [[ $ERR == *credentials* ]]; then
	tap_ok "--show ~/.ssh exposes exactly that one"
else
	show; tap_fail "--show ~/.ssh"
fi
capture sbx run --no-default-hide -- cat "$H/.ssh/id_sbxtest" "$H/.aws/credentials"
if [ "$OUT" = "$(printf 'key\ncreds')" ]; then
	tap_ok "--no-default-hide hides none"
else
	show; tap_fail "--no-default-hide"
fi

# 4-5. credential variables: absent, named (never valued) in the status stream, passed on purpose
capture as_user env GITHUB_TOKEN=ghp_sbxtest CI_JOB_TOKEN=cj MY_PASSWORD=pw "$W/sbx" run --json-status-fd 3 -- \
	sh -c 'echo "[${GITHUB_TOKEN:-}${CI_JOB_TOKEN:-}${MY_PASSWORD:-}]"; echo "${PATH:+path}"' 3>"$W/.t/env.status"
if [ "$OUT" = "$(printf '[]\npath')" ] &&
	"$PY" "$TESTDIR/events.py" "$W/.t/env.status" \
		'any(e["event"] == "environment" and set(e["removed"]) >= {"GITHUB_TOKEN", "CI_JOB_TOKEN", "MY_PASSWORD"} for e in ev)' &&
	! grep -q ghp_sbxtest "$W/.t/env.status"; then
	tap_ok "credential variables are left out and named, never valued, in the status stream"
else
	show; tap_diag "status: $(cat "$W/.t/env.status")"; tap_fail "credential variables"
fi
capture as_user env GITHUB_TOKEN=ghp_sbxtest CI_JOB_TOKEN=cj "$W/sbx" run --keep-env 'GITHUB_*' -- \
	sh -c 'echo "[${GITHUB_TOKEN:-}][${CI_JOB_TOKEN:-}]"'
if [ "$OUT" = "[ghp_sbxtest][]" ]; then
	tap_ok "--keep-env GITHUB_* passes exactly that one"
else
	show; tap_fail "--keep-env"
fi

# 6-8. files the host runs later, in the working directory
cd "$W/cwd/repo" || exit 1
as_user git init -q . 2>/dev/null || as_user mkdir -p .git/hooks
as_user touch .git/config .envrc
capture as_user sh -c 'echo x >.git/hooks/pre-commit && echo y >>.git/config && rm .git/hooks/pre-commit && echo ok'
control=$OUT
capture sbx run -- sh -c 'echo x >.git/hooks/pre-commit 2>/dev/null && echo hook; echo y >>.git/config 2>/dev/null && echo config; echo z >.envrc 2>/dev/null && echo envrc; echo w >notes && echo cwd'
if [ "$control" != ok ]; then
	tap_skip ".git/hooks, .git/config, .envrc read-only" control-failed "the test user cannot write them without sbx ($control)"
elif [ "$OUT" = cwd ] && [ ! -e .git/hooks/pre-commit ] && [ "$(cat notes)" = w ]; then
	tap_ok ".git/hooks, .git/config and .envrc are read-only, the rest of the working directory writable"
else
	show; tap_fail "persistence paths in the working directory: $OUT"
fi
capture sbx run --allow-write "$W/cwd/repo/.git/hooks" -- sh -c 'echo x >.git/hooks/pre-commit && echo hook; echo y >>.git/config 2>/dev/null && echo config'
if [ "$OUT" = hook ] && [ -e .git/hooks/pre-commit ]; then
	tap_ok "--allow-write .git/hooks lifts exactly that one"
else
	show; tap_fail "--allow-write"
fi
rm -f .git/hooks/pre-commit
capture sbx run --explain -- true
if [[ $OUT == *"hide  '$H/.ssh'"* && $OUT == *"bind read-only  '$W/cwd/repo/.git/hooks'"* ]] &&
	sbx run --explain --json -- true | "$PY" -c 'import json, sys; d = json.load(sys.stdin); assert {"network", "filesystem", "environment", "identity"} <= set(d)'; then
	tap_ok "--explain lists the defaults with their reasons; --explain --json is one JSON document"
else
	show; tap_fail "--explain"
fi
cd "$W/cwd" || exit 1

# 9-12. $HOME: writable, writes discarded; --persist keeps one; --home=tmpfs, --home=rw
as_user rm -rf "$H/.cache/sbxtest" "$H/sbx-written"
capture sbx run -- sh -c "mkdir -p '$H/.cache/sbxtest' && echo c >'$H/.cache/sbxtest/f' && echo w >'$H/sbx-written' && cat '$H/sbx-written'"
if [ "$RC" = 0 ] && [ "$OUT" = w ] && [ ! -e "$H/sbx-written" ] && [ ! -e "$H/.cache/sbxtest" ]; then
	tap_ok "\$HOME is writable inside (caches, config) and nothing written reaches the host"
else
	show; tap_fail "home overlay: rc $RC, host sees $(ls -A "$H" | tr '\n' ' ')"
fi
as_user mkdir -p "$H/.cache/sbxtest"
capture sbx run --persist "$H/.cache/sbxtest" -- sh -c "echo c >'$H/.cache/sbxtest/f' && echo w >'$H/sbx-written'"
if [ "$RC" = 0 ] && [ "$(cat "$H/.cache/sbxtest/f" 2>/dev/null)" = c ] && [ ! -e "$H/sbx-written" ]; then
	tap_ok "--persist keeps exactly that directory's writes"
else
	show; tap_fail "--persist"
fi
capture sbx run --home=tmpfs -- sh -c "ls -A '$H' | wc -l; echo t >'$H/x' && echo ok"
if [ "$OUT" = "$(printf '0\nok')" ] && [ ! -e "$H/x" ]; then
	tap_ok "--home=tmpfs: an empty private \$HOME"
else
	show; tap_fail "--home=tmpfs"
fi
capture sbx run --home=rw -- sh -c "echo r >'$H/sbx-written'"
if [ "$RC" = 0 ] && [ "$(cat "$H/sbx-written" 2>/dev/null)" = r ]; then
	tap_ok "--home=rw: writes reach the host (explicit only)"
else
	show; tap_fail "--home=rw"
fi
as_user rm -f "$H/sbx-written"

# 13. started from $HOME: its start-up files stay read-only
as_user sh -c "echo '# rc' >'$H/.bashrc'"
cd "$H" || exit 1
capture sbx run -- sh -c 'echo evil >>.bashrc 2>/dev/null && echo wrote; echo ok >sbx-cwd-file && echo cwd'
cd "$W/cwd" || exit 1
if [ "$OUT" = cwd ] && [ "$(cat "$H/.bashrc")" = "# rc" ] && [ -e "$H/sbx-cwd-file" ]; then
	tap_ok "started from \$HOME: .bashrc read-only, the rest writable (the working directory)"
else
	show; tap_fail "start-up files when the working directory is \$HOME"
fi
as_user rm -f "$H/sbx-cwd-file"

# 14. a $HOME that is not the caller's (sudo's HOME=/root): an empty private one
if [ "$IS_ROOT" = 1 ]; then
	mkdir -p "$W/roothome" && chmod 0700 "$W/roothome" && echo r >"$W/roothome/rootfile"
	capture as_user env HOME="$W/roothome" "$W/sbx" run -- sh -c 'ls -A "$HOME" | wc -l; echo w >"$HOME/f" && echo wrote'
	if [ "$OUT" = "$(printf '0\nwrote')" ] && [ ! -e "$W/roothome/f" ]; then
		tap_ok "a \$HOME owned by someone else becomes an empty private one"
	else
		show; tap_fail "a \$HOME not the caller's"
	fi
else
	tap_skip "a \$HOME owned by someone else becomes an empty private one" not-root "needs a directory of another owner"
fi

# 15. the credential lists cost nothing when the paths are missing
as_user rm -rf "$H/.ssh" "$H/.aws" "$H/.netrc"
capture sbx run -- true
if [ "$RC" = 0 ]; then tap_ok "missing credential paths are skipped"; else show; tap_fail "missing paths: rc $RC"; fi
tap_done
