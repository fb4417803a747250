#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-headline: the headline commands pass as a user types them, with no flag
# beyond the posture and the preset (issue 12 item 2):
#
#   sbx run --network=allowlist --allow @pypi -- pip install PKG      (in a venv in the cwd)
#   sbx run --network=allowlist --allow @pypi -- pip install --user PKG
#   sbx run --network=allowlist --allow @npm -- npm ci
#   sbx run --network=allowlist --allow @github -- git clone https://github.com/ORG/REPO
#
# The registries are the fake internet's (tests/world): pypi.org,
# files.pythonhosted.org, registry.npmjs.org and github.com under their real
# names, over HTTPS, trusted through the fake host's system CA store
# (tests/world/sites.py builds what they serve). The user is the
# unprivileged test user with a fresh $HOME of their own and none of the
# variables that point pip, npm or git elsewhere. pip's cache must work: no
# "cache has been disabled" warning, and with --persist ~/.cache/pip a second
# install of the same package in a new sandbox downloads nothing (the world's
# access log).
#
# Positive controls: each group first runs the same commands without sbx,
# in the fake host, with a scratch home; when a control fails, the group's
# cases are skipped (control-failed), since the fault is the world's.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/../world/world.sh"
. "$HERE/../world/allowlist.sh"
require_userns

tap_plan 7

# The user's environment: their own fresh home, the system's tools, and
# nothing that redirects a client (an index URL, a cache, a proxy, a CA).
export HOME=$W/home
export PATH=/usr/local/bin:/usr/bin:/bin
for v in $(compgen -e); do
	case $v in
	PIP_* | pip_* | npm_config_* | NPM_CONFIG_* | GIT_* | XDG_* | PYTHON* | NODE_* | VIRTUAL_ENV | \
		*_PROXY | *_proxy | SSL_CERT_* | REQUESTS_CA_BUNDLE | CURL_CA_BUNDLE)
		unset "$v" ;;
	esac
done
# Node reads its own built-in roots, never the system store; a machine
# whose store holds a private CA points Node at it this way. It is the
# user's environment (sbx passes it through), not an sbx flag.
export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

al_start
if [ "$WORLD_SYSCA" != 1 ]; then
	tap_skip_all no-ca-store "/etc/ssl/certs is missing: the fake host cannot hold the test CA where clients look"
fi

CAPTURE_TIMEOUT=120
PKG=sbx-headline-pkg
PKG_MOD=sbx_headline_pkg
NPKG=sbx-headline-pkg
REPO=sbx-test/hello
HTTP_LOG=$(wlog http)

# Build what the registries serve (world_up made $WD/sites; the server
# reads it per request). The npm project lands in the user's cwd.
mkdir -p "$W/.t/app"
as_user mkdir -p "$W/cwd/py" "$W/cwd/app" "$W/cwd/src" || {
	echo "Bail out! cannot make the projects' directories"
	exit 1
}
WHEEL_PATH=$("$PY" "$WORLD_SRC/sites.py" pypi --root "$WD/sites" --name "$PKG" --version 1.0) &&
	TGZ_PATH=$("$PY" "$WORLD_SRC/sites.py" npm --root "$WD/sites" --name "$NPKG" --version 1.0.0 \
		--project "$W/.t/app") &&
	COMMIT=$("$PY" "$WORLD_SRC/sites.py" git --root "$WD/sites" --repo "$REPO") || {
	echo "Bail out! cannot build the registries' contents"
	exit 1
}
[ "$IS_ROOT" = 1 ] && chown -R "$TESTUID:$TESTGID" "$WD/sites" "$W/.t/app"
chmod -R a+rX "$WD/sites"
as_user cp "$W/.t/app/package.json" "$W/.t/app/package-lock.json" "$W/cwd/app/" || {
	echo "Bail out! cannot copy the npm project"
	exit 1
}

# in_dir DIR KIND ARGS...: wcapture KIND ARGS with DIR as the working
# directory (the sandbox's read-write one).
in_dir() {
	local d=$1
	shift
	pushd "$d" >/dev/null || return 1
	wcapture "$@"
	popd >/dev/null || return 1
}

# log_mark: the access log's length now; log_since MARK: its lines since.
log_mark() { wc -l <"$HTTP_LOG"; }
log_since() { tail -n "+$(($1 + 1))" "$HTTP_LOG"; }

# fetched MARK HOST METHOD PATH: how many METHOD PATH requests reached HOST
# over TLS since MARK.
fetched() {
	log_since "$1" | grep -F "\"host\": \"$2\"" | grep -F '"tls": true' | grep -cF "\"line\": \"$3 $4 "
}

# control DIR CMD: run the shell command CMD in DIR without sbx, as the user
# in the fake host, with a scratch home; 0 if it succeeds, else CONTROL_ERR.
CTL=$W/ctl
mkdir -p "$CTL/home" "$CTL/py" "$CTL/app" "$CTL/src" &&
	cp "$W/.t/app/package.json" "$W/.t/app/package-lock.json" "$CTL/app/" || {
	echo "Bail out! cannot lay out the controls' directories"
	exit 1
}
[ "$IS_ROOT" = 1 ] && chown -R "$TESTUID:$TESTGID" "$CTL"
control() {
	in_dir "$1" user env HOME="$CTL/home" /bin/sh -c "$2"
	CONTROL_ERR="rc=$RC: $(tail -n 3 <<<"$ERR" | tr '\n' ' ')"
	[ "$RC" = 0 ]
}

# --- pip -------------------------------------------------------------------
PY_DIR=$W/cwd/py
VENV=$PY_DIR/.venv
VENV2=$PY_DIR/.venv2
pip_skip= pip_key=
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
	pip_key=tool-missing:venv pip_skip="python3 -m venv cannot install pip (python3-venv)"
elif ! command -v pip >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
	pip_key=tool-missing:pip pip_skip="pip is not installed (python3-pip)"
elif ! control "$CTL/py" "python3 -m venv .venv && .venv/bin/pip install $PKG &&
	.venv/bin/python -c 'import $PKG_MOD' && pip install --user --break-system-packages $PKG &&
	python3 -c 'import $PKG_MOD'"; then
	pip_key=control-failed pip_skip="pip install from the fake pypi.org without sbx: $CONTROL_ERR"
fi

if [ -n "$pip_key" ]; then
	for c in "python3 -m venv" "pip install in a venv" "pip cache enabled" "pip cache answers" "pip install --user"; do
		tap_skip "$c" "$pip_key" "$pip_skip"
	done
else
	# 1. A virtualenv in the working directory, made inside the sandbox.
	in_dir "$PY_DIR" sbx run -- python3 -m venv .venv
	if [ "$RC" = 0 ] && [ -x "$VENV/bin/pip" ]; then
		tap_ok "sbx run -- python3 -m venv .venv (in the working directory)"
	else
		show; tap_fail "python3 -m venv .venv inside the sandbox"
	fi

	# 2. pip install in the activated venv: index from pypi.org, wheel from
	# files.pythonhosted.org, both over HTTPS through the proxy.
	mark1=$(log_mark)
	in_dir "$PY_DIR" user env "PATH=$VENV/bin:$PATH" "VIRTUAL_ENV=$VENV" \
		"$W/sbx" run --network=allowlist --allow @pypi -- pip install "$PKG"
	pip1_rc=$RC pip1_err=$ERR
	n_index=$(fetched "$mark1" pypi.org GET "/simple/$PKG/")
	n_wheel1=$(fetched "$mark1" files.pythonhosted.org GET "$WHEEL_PATH")
	if [ "$RC" = 0 ] && compgen -G "$VENV/lib/python3*/site-packages/$PKG_MOD/__init__.py" >/dev/null &&
		[ "$n_index" -ge 1 ] && [ "$n_wheel1" = 1 ]; then
		tap_ok "sbx run --network=allowlist --allow @pypi -- pip install $PKG (venv; https://pypi.org, files.pythonhosted.org)"
	else
		show; tap_diag "index requests: $n_index, wheel downloads: $n_wheel1"
		tap_fail "pip install in a venv through @pypi"
	fi

	# 3. pip's cache is on: pip says nothing about disabling it.
	if [ -n "$pip1_err" ] && grep -qiE 'cache has been disabled|not writable|read-only file system' <<<"$pip1_err"; then
		tap_diag "$(grep -iE 'warning|cache|writable|read-only' <<<"$pip1_err" | head -n 5)"
		tap_fail "pip's cache works inside the sandbox (no 'cache has been disabled' warning)"
	elif [ "$pip1_rc" != 0 ]; then
		tap_fail "pip's cache works inside the sandbox (pip install failed, rc=$pip1_rc)"
	else
		tap_ok "pip's cache works inside the sandbox (no 'cache has been disabled' warning)"
	fi

	# 4. Across sandboxes the cache is the user's choice: $HOME's writes are
	# discarded at exit, and --persist keeps one directory on the host. With
	# --persist ~/.cache/pip, a first install fills the host's cache and a
	# second (a new venv, a new sandbox) downloads nothing.
	as_user mkdir -p "$HOME/.cache/pip"
	in_dir "$PY_DIR" sbx run -- python3 -m venv .venv2
	rc_venv2=$RC
	mark2=$(log_mark)
	in_dir "$PY_DIR" user env "PATH=$VENV/bin:$PATH" "VIRTUAL_ENV=$VENV" \
		"$W/sbx" run --network=allowlist --allow @pypi --persist "$HOME/.cache/pip" -- pip install --force-reinstall "$PKG"
	rc_fill=$RC
	n_fill=$(fetched "$mark2" files.pythonhosted.org GET "$WHEEL_PATH")
	mark3=$(log_mark)
	in_dir "$PY_DIR" user env "PATH=$VENV2/bin:$PATH" "VIRTUAL_ENV=$VENV2" \
		"$W/sbx" run --network=allowlist --allow @pypi --persist "$HOME/.cache/pip" -- pip install "$PKG"
	n_wheel2=$(fetched "$mark3" files.pythonhosted.org GET "$WHEEL_PATH")
	if [ "$rc_venv2" = 0 ] && [ "$rc_fill" = 0 ] && [ "$RC" = 0 ] && [ "$n_fill" = 1 ] && [ "$n_wheel2" = 0 ] &&
		compgen -G "$VENV2/lib/python3*/site-packages/$PKG_MOD/__init__.py" >/dev/null; then
		tap_ok "--persist ~/.cache/pip: a second pip install $PKG (new venv, new sandbox) comes from the cache, no second download"
	else
		show; tap_diag "venv2 rc=$rc_venv2, fill rc=$rc_fill; wheel downloads: filling install $n_fill, second $n_wheel2"
		tap_fail "second pip install served from the persisted pip cache"
	fi

	# 5. pip install --user (Debian's Python is externally managed: pip's
	# own --break-system-packages, not an sbx flag); the package imports.
	in_dir "$PY_DIR" sbx run --network=allowlist --allow @pypi -- /bin/sh -c \
		"pip install --user --break-system-packages $PKG && python3 -c 'import $PKG_MOD as m; print(m.VALUE)'"
	if [ "$RC" = 0 ] && grep -qF "hello from the fake pypi.org 1.0" <<<"$OUT"; then
		tap_ok "sbx run --network=allowlist --allow @pypi -- pip install --user $PKG; it imports"
	else
		show; tap_fail "pip install --user through @pypi"
	fi
fi

# --- npm -------------------------------------------------------------------
APP=$W/cwd/app
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
	tap_skip "npm ci through @npm" tool-missing:npm "npm (with node) is not on PATH"
elif ! control "$CTL/app" "npm ci"; then
	tap_skip "npm ci through @npm" control-failed "npm ci from the fake registry.npmjs.org without sbx: $CONTROL_ERR"
else
	# 6. npm ci from package-lock.json: the tarball from registry.npmjs.org,
	# checked against the lock's sha512 integrity.
	mark=$(log_mark)
	in_dir "$APP" sbx run --network=allowlist --allow @npm -- npm ci
	n_tgz=$(fetched "$mark" registry.npmjs.org GET "$TGZ_PATH")
	if [ "$RC" = 0 ] && grep -qF "hello from the fake npm registry 1.0.0" "$APP/node_modules/$NPKG/index.js" 2>/dev/null &&
		[ "$n_tgz" -ge 1 ]; then
		tap_ok "sbx run --network=allowlist --allow @npm -- npm ci (https://registry.npmjs.org)"
	else
		show; tap_diag "tarball downloads: $n_tgz"
		tap_fail "npm ci through @npm"
	fi
fi

# --- git -------------------------------------------------------------------
SRC=$W/cwd/src
if ! command -v git >/dev/null; then
	tap_skip "git clone through @github" tool-missing:git
elif ! control "$CTL/src" "git clone -q https://github.com/$REPO"; then
	tap_skip "git clone through @github" control-failed "git clone from the fake github.com without sbx: $CONTROL_ERR"
else
	# 7. git clone over smart HTTP (a POST to git-upload-pack).
	mark=$(log_mark)
	in_dir "$SRC" sbx run --network=allowlist --allow @github -- git clone "https://github.com/$REPO"
	n_pack=$(fetched "$mark" github.com POST "/$REPO/git-upload-pack")
	head=$(as_user git -C "$SRC/${REPO#*/}" rev-parse HEAD 2>/dev/null)
	if [ "$RC" = 0 ] && [ "$head" = "$COMMIT" ] && [ "$n_pack" -ge 1 ] &&
		grep -qF "hello from the fake github.com $REPO" "$SRC/${REPO#*/}/README.md"; then
		tap_ok "sbx run --network=allowlist --allow @github -- git clone https://github.com/$REPO (smart HTTP)"
	else
		show; tap_diag "HEAD '$head' (want $COMMIT), upload-pack requests: $n_pack"
		tap_fail "git clone through @github"
	fi
fi

tap_done
