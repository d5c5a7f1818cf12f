"""ML.DETECT_ANOMALIES of an autoencoder, a k-means and a PCA model on the same fraud-like rows with planted
anomalies: the share of the planted anomalies each finds (recall) and the share of its flags that are planted
(precision), each model asked with the true contamination; and how long each CREATE MODEL took.

The rows (`fraud_like`, seeded): ordinary transactions are eight features v1 .. v8, smooth nonlinear functions
of two hidden factors plus a little noise (as the principal components of a card-fraud table are functions of
few underlying behaviours), a log-normal amount tied to the first factor, and a channel category tied to the
second. A planted anomaly takes each column's value from a different ordinary row: every value is ordinary on
its own, only their combination is not. The models see no label; is_fraud marks the planted rows.

    python -m benchmarks.anomaly_detectors [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sqlml

FEATURES = [f"v{i}" for i in range(1, 9)] + ["amount", "channel"]
CONTAMINATION = 0.02
DETECTORS = {
    "autoencoder": "model_type='autoencoder', hidden_units=[16, 4, 16], max_iterations=60, early_stop=FALSE",
    "kmeans": "model_type='kmeans', num_clusters=10",
    "pca": "model_type='pca', num_principal_components=4",
}


def fraud_like(rows: int, contamination: float = CONTAMINATION, seed: int = 0) -> pa.Table:
    """`rows` transactions, round(rows * contamination) of them planted anomalies (is_fraud TRUE), shuffled."""
    rng = np.random.default_rng(seed)
    t0, t1 = rng.uniform(-1.0, 1.0, (2, rows))
    columns = [
        t0,
        t1,
        t0 * t1,
        np.sin(3 * t0),
        np.cos(3 * t1),
        t0**2 - t1,
        np.tanh(2 * (t0 + t1)),
        t1**3 - t0,
    ]
    values = np.column_stack(columns) + rng.normal(0.0, 0.05, (rows, len(columns)))
    amount = np.exp(3.0 + 0.8 * t0 + rng.normal(0.0, 0.1, rows))
    channel = np.where(t1 > 0.3, "online", np.where(t1 < -0.3, "store", "phone"))
    planted = rng.choice(rows, round(rows * contamination), replace=False)
    donors = rng.integers(0, rows, (len(planted), len(columns) + 2))  # each column from another row
    values[planted] = values[donors[:, : len(columns)], np.arange(len(columns))]
    amount[planted] = amount[donors[:, -2]]
    channel[planted] = channel[donors[:, -1]]
    is_fraud = np.zeros(rows, dtype=bool)
    is_fraud[planted] = True
    data = {f"v{i + 1}": values[:, i] for i in range(len(columns))}
    data |= {"amount": amount, "channel": channel, "is_fraud": is_fraud}
    return pa.table(data)


def load_transactions(con, rows: int, folder: Path, seed: int = 0) -> None:
    """Table `transactions`: fraud_like(rows) through a Parquet file in `folder`."""
    path = folder / "transactions.parquet"
    pq.write_table(fraud_like(rows, seed=seed), path)
    con.cursor().execute(f"CREATE OR REPLACE TABLE transactions AS SELECT * FROM read_parquet('{path}')")


def detect(con, model_type: str, options: str, contamination: float = CONTAMINATION) -> dict:
    """Train `model_type` on table `transactions` (without is_fraud), flag with the true contamination;
    recall and precision of the flags against is_fraud."""
    cur = con.cursor()
    columns = ", ".join(FEATURES)
    started = time.perf_counter()
    cur.execute(f"CREATE OR REPLACE MODEL {model_type} OPTIONS({options}) AS SELECT {columns} FROM transactions")
    seconds = time.perf_counter() - started
    cur.execute(
        f"SELECT count(*) FILTER (is_anomaly AND is_fraud), count(*) FILTER (is_fraud), count(*) FILTER (is_anomaly) "
        f"FROM ML.DETECT_ANOMALIES(MODEL {model_type}, STRUCT({contamination} AS contamination), TABLE transactions)"
    )
    found, planted, flagged = cur.fetchone()
    precision = found / flagged if flagged else 0.0
    return {"recall": found / planted, "precision": precision, "planted": planted, "training_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 rows instead of 20,000")
    rows = 1_000 if parser.parse_args().quick else 20_000
    with sqlml.connect() as con, tempfile.TemporaryDirectory() as folder:
        load_transactions(con, rows, Path(folder))
        print(f"{rows:,} rows, {round(rows * CONTAMINATION)} planted anomalies, contamination {CONTAMINATION}")
        print("| detector | recall | precision | CREATE MODEL |")
        print("|---|---|---|---|")
        for model_type, options in DETECTORS.items():
            figures = detect(con, model_type, options)
            recall, precision, seconds = figures["recall"], figures["precision"], figures["training_seconds"]
            print(f"| {model_type} | {recall:.1%} | {precision:.1%} | {seconds:.2f}s |")


if __name__ == "__main__":
    main()
