"""Run in a process the test kills with SIGKILL: replaces model m in a file database with a boosted tree and
holds still at a chosen point, where the kill lands.

usage: python crash_writer.py DATABASE STOP
STOP: "training N" holds at the progress report of boosting iteration N (of 20); "transaction" holds inside
the catalog transaction, after the new version's row is written. At the stop the writer prints HOLDING and
waits for a line on stdin, which the test never sends: it kills the process there.
"""

import sys

from sqlml.engine.session import Session
from sqlml.engine.store import catalog

ITERATIONS = 20


def hold() -> None:
    print("HOLDING", flush=True)
    sys.stdin.readline()


database, stop = sys.argv[1], sys.argv[2]
session = Session(database)
if stop == "transaction":
    insert = catalog.insert_version

    def insert_and_hold(cur, record, trials=()):
        version = insert(cur, record, trials)
        hold()  # before COMMIT
        return version

    catalog.insert_version = insert_and_hold
else:
    at = int(stop.removeprefix("training "))

    def report(task: str, done: int, total: int | None) -> None:
        if task == "training" and done == at:
            hold()

    session.on_progress = report
session.cursor().execute(
    f"CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_regressor', "
    f"max_iterations={ITERATIONS}, early_stop=FALSE) AS SELECT * FROM t"
)
print("FINISHED", flush=True)
