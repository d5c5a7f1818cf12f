"""Run in a process the test kills with SIGKILL: replaces model m in a file database.

usage: python crash_writer.py DATABASE MODE   (MODE: "train" kills land anywhere in a long training;
"transaction" stops inside the catalog transaction, after the new version's row is written)
"""

import sys
import time

import sqlml
from sqlml.engine import catalog

database, mode = sys.argv[1], sys.argv[2]
if mode == "transaction":
    insert = catalog.insert_version

    def insert_and_wait(cur, record, trials=()):
        version = insert(cur, record, trials)
        print("IN_TRANSACTION", flush=True)
        time.sleep(60)  # the test kills the process here, before COMMIT
        return version

    catalog.insert_version = insert_and_wait
with sqlml.connect(database) as con:
    print("STARTED", flush=True)
    con.cursor().execute("CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_regressor', "
                         "max_iterations=3000, early_stop=FALSE, learn_rate=0.01) AS SELECT * FROM t")
print("FINISHED", flush=True)
