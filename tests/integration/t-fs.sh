#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# t-fs: the filesystem view: host tree read-only, cwd read-write, private
# /tmp, fresh /proc, minimal /dev, and the mount options.
. "$(dirname "$0")/lib.sh"
require_userns

tap_plan 24

O=$W/outside
result() { result_of "$1"; }

# --- host tree read-only --------------------------------------------------
capture sbx run -- "$P" write /usr/sbx-it-probe
r=$(result "write /usr/sbx-it-probe")
if [ "$r" = EROFS ]; then tap_ok "writing /usr fails with EROFS"; else show; tap_fail "write /usr: ${r:-?} (want EROFS)"; fi
rm -f /usr/sbx-it-probe 2>/dev/null

# Control: the test user can write $O on the host; inside it is read-only.
capture as_user "$P" write "$O/ctl"
if [ "$RC" != 0 ]; then
	tap_skip "host dir writable by the user is read-only inside" control-failed "$O not writable without sbx"
else
	capture sbx run -- "$P" write "$O/in-sbx"
	r=$(result "write $O/in-sbx")
	if [ "$r" = EROFS ] && [ ! -e "$O/in-sbx" ]; then
		tap_ok "host dir writable by the user is read-only inside (EROFS)"
	else
		show; tap_fail "write to a user-writable host dir outside cwd: ${r:-?} (want EROFS)"
	fi
fi

# $HOME (the test user's; a scratch home when the suite runs as root).
h=${HOME:-}
if [ -n "$h" ] && [ -d "$h" ] && as_user test -w "$h"; then
	f="$h/.sbx-it-$$-$RANDOM"
	capture sbx run --home=ro -- "$P" write "$f"
	r=$(result "write $f")
	if [ "$r" = EROFS ] && [ ! -e "$f" ]; then tap_ok "--home=ro: writing \$HOME fails with EROFS"; else show; tap_fail "write \$HOME: ${r:-?}"; fi
	rm -f "$f"
else
	tap_skip "--home=ro: writing \$HOME fails with EROFS" no-writable-home "HOME=${HOME:-unset}"
fi

# --- cwd read-write ------------------------------------------------------------
capture sbx run -- /bin/sh -c 'echo persisted >cwdfile && mkdir -p sub && echo x >sub/f'
if [ "$RC" = 0 ] && [ "$(cat "$W/cwd/cwdfile" 2>/dev/null)" = persisted ] && [ -e "$W/cwd/sub/f" ]; then
	tap_ok "cwd is read-write and changes persist on the host"
else
	show; tap_fail "cwd write did not persist"
fi
capture sbx run -- /bin/pwd
if [ "$OUT" = "$W/cwd" ]; then tap_ok "payload starts in the caller's cwd"; else show; tap_fail "pwd: $OUT"; fi

# --- private /tmp ------------------------------------------------------------
hostf=$(mktemp /tmp/sbx-it-host.XXXXXX)
chmod 0644 "$hostf"
name="sbx-it-inner-$$-$RANDOM"
capture sbx run -- /bin/sh -c "test -e '$hostf' && echo VISIBLE; ls -A /tmp; echo x >/tmp/$name && echo WROTE"
tap_diag "inside /tmp: $(tr '\n' ' ' <<<"$OUT")"
if [ "$RC" = 0 ] && ! grep -q VISIBLE <<<"$OUT" && grep -q WROTE <<<"$OUT" && [ "$(grep -cv WROTE <<<"$OUT")" = 0 ]; then
	tap_ok "/tmp is private, empty and writable"
else
	show; tap_fail "/tmp not private/empty/writable"
fi
if [ ! -e "/tmp/$name" ]; then tap_ok "files written to /tmp vanish"; else tap_fail "/tmp/$name leaked to the host"; rm -f "/tmp/$name"; fi
rm -f "$hostf"

# --- /proc ---------------------------------------------------------------------
sleep 30 &
mark=$!
bg_track $mark
capture sbx run -- "$P" pids
tap_diag "$(sed 's/^/  /' <<<"$OUT")"
npids=$(grep -c '^PID ' <<<"$OUT")
if [ "$RC" = 0 ] && [ "$npids" -ge 2 ] && [ "$npids" -le 4 ] && grep -q '^PID 1 ' <<<"$OUT" &&
	! grep -q "comm=sleep" <<<"$OUT"; then
	tap_ok "/proc shows only the sandbox's processes ($npids)"
else
	show; tap_fail "/proc shows $npids processes"
fi
kill $mark 2>/dev/null
capture sbx run -- /bin/sh -c "tr '\\0' ' ' </proc/1/cmdline"
if [ "$RC" = 0 ] && [ -n "$OUT" ] && [ "$OUT" != "$(tr '\0' ' ' </proc/1/cmdline)" ]; then
	tap_ok "/proc/1 is the sandbox init, not the host's"
else
	show; tap_fail "/proc/1 inside is the host's init"
fi

# --- /dev ----------------------------------------------------------------------
capture sbx run -- /bin/ls -A /dev
devs=$(tr '\n' ' ' <<<"$OUT")
tap_diag "/dev inside: $devs"
missing="" extra=""
for d in null zero full random urandom tty pts ptmx shm; do
	grep -qx "$d" <<<"$OUT" || missing="$missing $d"
done
for d in $OUT; do
	case "$d" in
	null | zero | full | random | urandom | tty | pts | ptmx | shm | fd | stdin | stdout | stderr | core | mqueue) ;;
	*) extra="$extra $d" ;;
	esac
done
if [ "$RC" = 0 ] && [ -z "$missing" ] && [ -z "$extra" ]; then
	tap_ok "/dev has exactly the minimal set"
else
	show; tap_fail "/dev: missing:${missing:- none}; extra:${extra:- none}"
fi
hostdevs=$(cd /dev && ls -d vd[a-z] sd[a-z] nvme[0-9]* xvd[a-z] loop[0-9] kvm mem kmsg fuse console tty0 2>/dev/null | tr '\n' ' ')
if [ -n "$hostdevs" ]; then
	capture sbx run -- /bin/sh -c "for d in $hostdevs; do test -e /dev/\$d && echo PRESENT \$d; done; echo DONE"
	if [ "$OUT" = DONE ]; then tap_ok "host devices absent: $hostdevs"; else show; tap_fail "host devices visible inside"; fi
else
	tap_skip "host block/char device absent inside" no-host-devices
fi
capture sbx run -- /bin/sh -c 'head -c 16 /dev/urandom | wc -c; head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo NULLOK'
if [ "$RC" = 0 ] && [ "$(tr '\n' ' ' <<<"$OUT")" = "16 4 NULLOK " ]; then
	tap_ok "/dev/urandom, /dev/zero, /dev/null usable"
else
	show; tap_fail "/dev nodes not usable"
fi

# --- --bind / --ro-bind --------------------------------------------------------------
mkdir -p "$O/bsrc" "$O/bdst" "$O/rwdir" "$O/rosrc" "$W/cwd/rosub"
echo hello >"$O/rosrc/f"
[ "$IS_ROOT" = 1 ] && chown -R "$TESTUID:$TESTGID" "$O" "$W/cwd/rosub"
capture sbx run --bind "$O/bsrc:$O/bdst" -- "$P" write "$O/bdst/new" bound
if [ "$RC" = 0 ] && [ "$(cat "$O/bsrc/new" 2>/dev/null)" = bound ]; then
	tap_ok "--bind SRC:DST is writable and lands in SRC"
else
	show; tap_fail "--bind SRC:DST"
fi
capture sbx run --bind="$O/rwdir" -- "$P" write "$O/rwdir/new"
if [ "$RC" = 0 ] && [ -e "$O/rwdir/new" ]; then tap_ok "--bind=SRC (same path) is writable"; else show; tap_fail "--bind=SRC"; fi
capture sbx run --ro-bind "$O/rosrc:$O/bdst" -- /bin/sh -c "cat '$O/bdst/f'; '$P' write '$O/bdst/x'"
if [ "$(head -n1 <<<"$OUT")" = hello ] && [ "$(result "write $O/bdst/x")" = EROFS ]; then
	tap_ok "--ro-bind SRC:DST readable, not writable (EROFS)"
else
	show; tap_fail "--ro-bind SRC:DST"
fi
capture sbx run --ro-bind "$W/cwd/rosub" -- "$P" write "$W/cwd/rosub/x"
if [ "$(result "write $W/cwd/rosub/x")" = EROFS ] && [ ! -e "$W/cwd/rosub/x" ]; then
	tap_ok "--ro-bind narrows a part of the writable cwd"
else
	show; tap_fail "--ro-bind inside cwd"
fi

# --- --tmpfs ---------------------------------------------------------------------
echo hostdata >"$O/bdst/hostfile"
capture sbx run --tmpfs "$O/bdst" -- /bin/sh -c "ls -A '$O/bdst'; echo t >'$O/bdst/tmpfile' && echo WROTE"
if [ "$RC" = 0 ] && [ "$OUT" = WROTE ] && [ ! -e "$O/bdst/tmpfile" ] && [ -e "$O/bdst/hostfile" ]; then
	tap_ok "--tmpfs DST: empty, writable, gone afterwards, host dir untouched"
else
	show; tap_fail "--tmpfs"
fi
capture sbx run --tmpfs /sbx-it-newdir-under-tmpfs-does-not-exist -- /bin/true
tap_diag "--tmpfs on a missing target: rc $RC"

# --- --hide --------------------------------------------------------------------
echo TOPSECRET >"$O/secret.txt"
mkdir -p "$O/secretdir" && echo TOPSECRET >"$O/secretdir/f"
[ "$IS_ROOT" = 1 ] && chown -R "$TESTUID:$TESTGID" "$O"
capture sbx run --hide "$O/secret.txt" --hide "$O/secretdir" -- /bin/sh -c "cat '$O/secret.txt' '$O/secretdir/f'; ls -A '$O/secretdir'; true"
if [ "$RC" = 0 ] && ! grep -q TOPSECRET <<<"$OUT$ERR" && [ -e "$O/secret.txt" ]; then
	tap_ok "--hide makes a file and a directory unreadable"
else
	show; tap_fail "--hide leaked content"
fi

# --- --chdir, --hostname -------------------------------------------------------------
capture sbx run --chdir /usr -- /bin/pwd
if [ "$RC" = 0 ] && [ "$OUT" = /usr ]; then tap_ok "--chdir /usr"; else show; tap_fail "--chdir"; fi
capture sbx run -- /bin/cat /proc/sys/kernel/hostname
if [ "$OUT" = sbx ]; then tap_ok "default hostname is sbx"; else show; tap_fail "hostname: $OUT"; fi
capture sbx run --hostname build-box -- /bin/sh -c 'cat /proc/sys/kernel/hostname; uname -n'
if [ "$(tr '\n' ' ' <<<"$OUT")" = "build-box build-box " ]; then tap_ok "--hostname build-box"; else show; tap_fail "--hostname"; fi

# Nothing the sandbox did outside its writable binds survived.
if [ ! -e /usr/sbx-it-probe ] && [ ! -e "$O/in-sbx" ]; then
	tap_ok "no stray files on the host"
else
	tap_fail "stray files on the host"
fi

# The working directory reaches the host whatever it is, /tmp included: sbx's
# own scratch tmpfs sits on the host's /tmp while it builds the sandbox, and
# must not be what the payload writes into (issue: writes vanished, exit 0).
f=sbx-fs-cwd-$$
cd /tmp || exit 1
capture sbx run -- sh -c "echo kept >$f"
cd "$W/cwd" || exit 1
if [ "$RC" = 0 ] && [ "$(cat "/tmp/$f" 2>/dev/null)" = kept ]; then
	tap_ok "working directory /tmp: the payload's writes reach the host"
else
	show; tap_fail "working directory /tmp: host sees '$(cat "/tmp/$f" 2>&1)'"
fi
rm -f "/tmp/$f"
capture sbx run --bind /tmp -- sh -c "echo kept >/tmp/$f"
if [ "$RC" = 0 ] && [ "$(cat "/tmp/$f" 2>/dev/null)" = kept ]; then
	tap_ok "--bind /tmp: the payload's writes reach the host's /tmp"
else
	show; tap_fail "--bind /tmp: host sees '$(cat "/tmp/$f" 2>&1)'"
fi
rm -f "/tmp/$f"
tap_done
