#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what sbx needs to build and test on Debian 12 (uses sudo when not root).
# Usage: scripts/install-deps.sh [--test|--bench]
#   --test adds what the test suite uses; --bench adds that and the benchmarks' baselines.
set -euo pipefail

build_pkgs=(gcc meson ninja-build pkg-config libseccomp-dev libcap-dev libmnl-dev libidn2-dev)
test_pkgs=(libcmocka-dev clang clang-format libclang-rt-14-dev python3 util-linux procps iproute2 curl openssl python3-pip
	# t-seccomp-allowlist runs these as payloads under the allow-list.
	git make nodejs python3-venv xz-utils
	# t-schema validates every event line against docs/sbx-events.schema.json.
	python3-jsonschema)
# Baselines the benchmarks compare against (tinyproxy's package also starts a service on port 8888).
bench_pkgs=(bubblewrap tinyproxy microsocks)

pkgs=("${build_pkgs[@]}")
case ${1:-} in
--test) pkgs+=("${test_pkgs[@]}") ;;
--bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "install-deps: missing packages (${missing[*]}) and no sudo to install them; install them as root" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
