"""Run in a fresh process: peak RSS growth of ML.PREDICT over N rows read from Parquet.

usage: python memory_probe.py MODEL_TYPE N_ROWS DIR  ->  prints "baseline_mb peak_mb rows"
"""

import re
import sys

import sqlml


def peak_mb() -> float:
    """This process's peak RSS (VmHWM starts afresh at exec; ru_maxrss would carry the parent's peak over)."""
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1)) / 1024


model_type, n_rows, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
parquet = f"{directory}/rows.parquet"
con = sqlml.connect()
cur = con.cursor()
features = "(i % 1000) / 100.0 AS x1, ((i * 7) % 13)::DOUBLE AS x2, ['a', 'b', 'c'][i % 3 + 1] AS cat"
cur.execute(f"COPY (SELECT i AS id, {features} FROM range({n_rows}) r(i)) TO '{parquet}' (FORMAT parquet)")
cur.execute(f"CREATE TABLE train AS SELECT {features}, (i % 1000) / 50.0 + (i % 3) AS label FROM range(2000) r(i)")
cur.execute(f"CREATE MODEL m OPTIONS(model_type='{model_type}') AS SELECT * FROM train")
cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE train)")  # warm every code path once
cur.fetchall()
baseline = peak_mb()
cur.execute(f"SELECT count(*), avg(predicted_label) FROM ML.PREDICT(MODEL m, (FROM '{parquet}'))")
((rows, _),) = cur.fetchall()
print(f"{baseline:.1f} {peak_mb():.1f} {rows}")
