"""Run in a process of its own, so that a crash kills it and not pytest: one query on each database, read-only.

usage: python predict_probe.py QUERY DATABASE...
Prints one JSON line per database, {"rows": n} or {"error": sqlml exception class, "message": ...}, and
exits 0; anything else (a signal, another exception, a hang the caller times out) is a failure.
"""

import json
import sys

import sqlml

query = sys.argv[1]
for database in sys.argv[2:]:
    with sqlml.connect(database, read_only=True) as con:
        try:
            outcome = {"rows": len(con.cursor().execute(query).fetchall())}
        except sqlml.Error as exc:
            outcome = {"error": type(exc).__name__, "message": str(exc)}
    print(json.dumps(outcome), flush=True)
