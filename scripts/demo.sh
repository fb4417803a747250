#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install, build, and run sbx's main job on a real example (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[[ -f build/build.ninja ]] || meson setup build -Dtests=false >/dev/null
ninja -C build >/dev/null

# The sandbox runs as the invoking user; when this script runs as root, drop
# to an unprivileged id first: sbx never needs privilege.
as_user=()
if [[ $(id -u) -eq 0 ]]; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp build/cmd/sbx "$work/sbx"
chmod 0755 "$work" "$work/sbx"
cd "$work"

echo "== sbx run --network=blocked -- sh -c '...'  (an untrusted script trying to phone home)"
"${as_user[@]}" ./sbx run --network=blocked -- sh -c '
	echo "inside: $(id -un 2>/dev/null || id -u) on host $(hostname), pid $$"
	echo "processes visible:" $(ls /proc | grep -c "^[0-9]")
	echo "network interfaces:" $(ls /sys/class/net)
	if (exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null; then echo "host ssh port: REACHABLE"; else echo "host loopback: unreachable (own loopback only)"; fi
	touch /usr/bin/evil 2>/dev/null && echo "host tree: WRITABLE" || echo "host tree: read-only"
	grep CapEff /proc/self/status'
echo "== exit status: $?"
