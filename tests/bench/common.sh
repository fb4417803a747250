# SPDX-License-Identifier: Apache-2.0
# Sourced by the benchmark scripts (never run on its own).

# bench_as_user WORKDIR: set as_user to the prefix that runs a command as the
# unprivileged test user (SBX_TEST_UID, default 23456) when we are root, and
# hand WORKDIR to that user; as a non-root user as_user stays empty. The
# bounding set is kept: a fake host's root configures its own namespaces.
bench_as_user() {
	as_user=()
	[[ $(id -u) -eq 0 ]] || return 0
	local uid=${SBX_TEST_UID:-23456}
	chown -R "$uid:$uid" "$1"
	as_user=(setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all --)
}
