# SPDX-License-Identifier: Apache-2.0
# events.py: read the JSON lines sbx writes (--json-status-fd, --log-fd) the
# way the integration tests check them. Every line must be one JSON object
# that starts with the fields of man/sbx-json.7 ("time", RFC 3339 UTC with
# milliseconds; "id", the same on every line); a stream's first line is a
# "hello" event. load() returns the other events with "time" and "id" taken
# out, so tests compare only what the event says. Used as a module
# and as a program: events.py FILE EXPR [EVENT] exits 0 when the Python
# expression EXPR, over the events (of kind EVENT) as "ev", is true;
# events.py --validate SCHEMA FILE... checks every line of the files against
# the JSON Schema (lib.sh's tap_done runs it on every stream a test wrote).
import json
import re
import sys

TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def load(path, kind=None):
    """Events of PATH, checked; kind: keep only events of that name."""
    out, ids = [], set()
    with open(path) as f:
        lines = [l for l in f.read().split("\n") if l.strip()]
    for i, line in enumerate(lines):
        e = json.loads(line)
        if not isinstance(e, dict) or list(e)[:3] != ["time", "id", "event"]:
            raise ValueError("line %d does not start with time, id, event: %s" % (i + 1, line))
        if not TIME.match(e["time"]):
            raise ValueError("line %d: time %r is not RFC 3339 UTC with ms" % (i + 1, e["time"]))
        ids.add(e["id"])
        if i == 0 and e["event"] != "hello":
            raise ValueError("the first line is not a hello event: %s" % line)
        if e["event"] == "hello":
            continue
        del e["time"], e["id"]
        if kind is None or e["event"] == kind:
            out.append(e)
    if len(ids) > 1:
        raise ValueError("several ids in one stream: %s" % sorted(ids))
    return out


def validate(schema_path, paths):
    """Check every line of every file against the schema; return the problems."""
    import jsonschema

    with open(schema_path) as f:
        schema = json.load(f)
    check = jsonschema.Draft202012Validator(schema)
    problems, n = [], 0
    for p in paths:
        with open(p, errors="replace") as f:
            for i, line in enumerate(f):
                if not line.strip():
                    continue
                n += 1
                try:
                    e = json.loads(line)
                except ValueError as err:
                    problems.append("%s:%d: not JSON (%s): %s" % (p, i + 1, err, line.strip()[:200]))
                    continue
                for err in check.iter_errors(e):
                    problems.append("%s:%d: %s: %s" % (p, i + 1, err.message, line.strip()[:200]))
    return n, problems


if __name__ == "__main__":
    if sys.argv[1] == "--validate":
        n, problems = validate(sys.argv[2], sys.argv[3:])
        for p in problems[:20]:
            print("# schema: " + p)
        print("# schema: %d lines in %d files checked against %s, %d problems" % (n, len(sys.argv) - 3, sys.argv[2], len(problems)))
        sys.exit(1 if problems else 0)
    path, expr = sys.argv[1], sys.argv[2]
    kind = sys.argv[3] if len(sys.argv) > 3 else None
    try:
        ev = load(path, kind)
    except (ValueError, OSError) as err:
        print("# events.py: %s" % err)
        sys.exit(2)
    sys.exit(0 if eval(expr, {"ev": ev}) else 1)
