# SPDX-License-Identifier: Apache-2.0
# allowlist.sh - helpers shared by tests/integration/t-allowlist-*.sh.
# Source after lib.sh and world.sh.
#
#   al_start             bring the world up (SKIP the script if it cannot),
#                        then make sure sbx's allowlist posture runs at all
#                        (Bail out, never hang, when it does not)
#   al_nc RULE... -- OP...   run netclient.py inside
#                        sbx run --network=allowlist RULE... --log-file $DLOG
#                        (OUT holds its lines; DLOG the decision log)
#   al_run RULE... -- CMD...  same for any command
#   al_json_ok FILE EXPR  evaluate a python expression over the decision events
#                        of FILE (list "ev", tests/integration/events.py); 0 if true
#   orch NAME ASKER-OPTIONS... -- SBX-ARGS... -- CMD...  run tests/world/asker.py
#                        (a scripted orchestrator on --ask-fd/--control-fd) in
#                        the fake host; S holds its JSON summary
#   sq EXPR [ARG...]     a python expression over the summary (s; sys.argv[3:]) is true
#   s_class ID           the class netclient printed for ID in the summary's payload
#   NC OP...             a netclient.py command line for sh -c

GW4=10.255.255.1
GW6=fd73:6278::1
AL_N=0

al_start() {
	local t0
	t0=$(now_ms)
	if ! world_up; then
		tap_skip_all "$WORLD_FACT" "fake internet unavailable: $WORLD_ERR"
	fi
	tap_diag "world up in $(($(now_ms) - t0)) ms"
	CAPTURE_TIMEOUT=30 wcapture sbx run --network=allowlist --allow www.test -- /bin/true
	if [ "$RC" != 0 ]; then
		echo "Bail out! 'sbx run --network=allowlist -- /bin/true' failed (rc $RC): $(head -n 3 <<<"$ERR")"
		exit 1
	fi
}

# al_run RULE... -- CMD...
al_run() {
	local rules=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		rules+=("$1")
		shift
	done
	shift
	AL_N=$((AL_N + 1))
	DLOG=$W/cwd/decisions-$AL_N.jsonl
	: >"$DLOG"
	[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$DLOG"
	wcapture sbx run --network=allowlist "${rules[@]}" --log-file "$DLOG" -- "$@"
}

# al_nc RULE... -- OP...
al_nc() {
	local rules=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		rules+=("$1")
		shift
	done
	shift
	al_run "${rules[@]}" -- "$PY" "$WD/bin/netclient.py" --timeout "${NC_TIMEOUT:-8}" "$@"
}

al_json_ok() {
	"$PY" "$TESTDIR/events.py" "$1" "$2" decision
}

# nc_class ID: the class netclient printed for ID (in OUT).
nc_class() {
	awk -F'\t' -v id="$1" '$1 == id { print $2; exit }' <<<"$OUT"
}

# nc_detail ID: the JSON details netclient printed for ID.
nc_detail() {
	awk -F'\t' -v id="$1" '$1 == id { print $3; exit }' <<<"$OUT"
}

ORCH_N=0
orch() {
	local name=$1 dir
	shift
	ORCH_N=$((ORCH_N + 1))
	dir=$W/cwd/$name-$ORCH_N
	mkdir -p "$dir"
	[ "$IS_ROOT" = 1 ] && chown "$TESTUID:$TESTGID" "$dir"
	CAPTURE_TIMEOUT=60 wcapture user "$PY" "$WD/bin/asker.py" --sbx "$W/sbx" --dir "$dir" "$@"
	S=$OUT
}

sq() { "$PY" -c 'import json, sys; s = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$S" "$@"; }

s_class() {
	"$PY" -c 'import json, sys
for l in json.loads(sys.argv[1])["payload"]:
    f = l.split("\t")
    if f[0] == sys.argv[2]: print(f[1])' "$S" "$1"
}

NC() { echo "$PY $WD/bin/netclient.py --timeout ${NC_TIMEOUT:-8} $*"; }
