#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build, and run sbx's main job on real examples (the README's first command).
# Builds into build-demo/ (without tests: the demo installs only what sbx needs), never build/
# or scripts/test.sh's build-test/, so running one never changes what the other builds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[[ -f build-demo/build.ninja ]] || meson setup build-demo -Dtests=false >/dev/null
ninja -C build-demo >/dev/null

# The sandbox runs as the invoking user; when this script runs as root, drop
# to an unprivileged id first: sbx never needs privilege.
as_user=()
if [[ $(id -u) -eq 0 ]]; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp build-demo/cmd/sbx "$work/sbx"
chmod 0755 "$work" "$work/sbx"
cd "$work"
sbx() { "${as_user[@]}" ./sbx "$@"; }

echo "== 1. blocked: an untrusted script trying to phone home"
sbx run --network=blocked -- sh -c '
	echo "inside: uid $(id -u) on host $(hostname), pid $$, $(ls /proc | grep -c "^[0-9]") processes visible"
	echo "network interfaces: $(ls /sys/class/net)"
	touch /usr/bin/evil 2>/dev/null && echo "host tree: WRITABLE" || echo "host tree: read-only"
	grep CapEff /proc/self/status' || true

echo
echo "== 2. allowlist: install from one registry, nothing else reachable"
# The headline use is `sbx run --network=allowlist --allow pypi.org --allow '*.pythonhosted.org'
# -- pip install requests`. This machine reaches the npm registry, so the demo uses npm.
if command -v npm >/dev/null; then
	rules=(--allow registry.npmjs.org)
	# Some networks (CI sandboxes, corporate mirrors) answer registry.npmjs.org with a
	# special-purpose address, which an allowed name never opens: say so, and open
	# exactly that address with an explicit address rule.
	for a in $(getent ahostsv4 registry.npmjs.org | awk '{print $1}' | sort -u); do
		if ! ./sbx check "${rules[@]}" "$a:443" >/dev/null; then
			echo "(registry.npmjs.org resolves to $a here, a special-purpose address: adding --allow $a:443)"
			rules+=(--allow "$a:443")
		fi
	done
	sbx run --network=allowlist "${rules[@]}" --log-fd 3 -- sh -c '
		echo "npm view is-number version -> $(npm view is-number version 2>/dev/null | tail -n 1) (\$HOME is writable: ~/.npm, discarded at exit)"
		printf "curl https://example.com/ -> proxy answered %s\n" "$(curl -s -o /dev/null -w "%{http_connect}" https://example.com/)"
		printf "raw TCP to 1.1.1.1:443 -> "; timeout 3 bash -c "exec 3<>/dev/tcp/1.1.1.1/443" 2>&1 | sed "s/.*: //" | tail -n 1' \
		3> >(sed 's/^/   log: /' >&2) || true
	sleep 0.2
else
	echo "(npm not installed: skipping the allowlist demo)"
fi
echo
echo "Decision check without any sandbox:"
./sbx check --allow pypi.org --allow '*.pythonhosted.org' pypi.org:443 files.pythonhosted.org:443 evil.example:443 \
	169.254.169.254:80 || true
