"""Wide-and-deep on census-like adult income data (benchmarks/adult_income.py, generated with the columns of
BigQuery ML's census tutorial): test accuracy of dnn_linear_combined_classifier against logistic_reg and
dnn_classifier trained alone on the same rows, each with BigQuery ML's defaults, and their training times.

    python -m benchmarks.wide_and_deep [--quick]

Each model trains on the same training table (its AUTO_SPLIT evaluation rows taken from it, as BigQuery ML
does) and is scored by ML.EVALUATE on the same held-out table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

import sqlml
from benchmarks.adult_income import COLUMNS, adult_income

MODELS = {
    "logistic_reg": "model_type='logistic_reg'",
    "dnn_classifier": "model_type='dnn_classifier'",
    "dnn_linear_combined_classifier": "model_type='dnn_linear_combined_classifier'",
}


def measure(train_rows: int, test_rows: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """model_type -> {"accuracy": on the held-out rows, "seconds": CREATE MODEL's}."""
    with tempfile.TemporaryDirectory() as folder, sqlml.connect() as con:
        cur = con.cursor()
        for name, rows, table_seed in (("adult_train", train_rows, seed), ("adult_test", test_rows, seed + 1)):
            path = Path(folder) / f"{name}.parquet"
            pq.write_table(adult_income(rows, table_seed), path)
            cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
        results = {}
        for model_type, options in MODELS.items():
            start = time.perf_counter()
            cur.execute(
                f"CREATE MODEL {model_type} OPTIONS({options}, input_label_cols=['income_bracket']) AS "
                f"SELECT {', '.join(COLUMNS)} FROM adult_train"
            )
            seconds = time.perf_counter() - start
            cur.execute(f"SELECT accuracy FROM ML.EVALUATE(MODEL {model_type}, TABLE adult_test)")
            results[model_type] = {"accuracy": cur.fetchone()[0], "seconds": seconds}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4,000 training rows instead of 32,000")
    args = parser.parse_args()
    train_rows, test_rows = (4_000, 4_000) if args.quick else (32_000, 16_000)
    results = measure(train_rows, test_rows)
    print(f"adult income (generated), {train_rows:,} training rows, {test_rows:,} test rows")
    print(f"{'model_type':<34}{'accuracy':>10}{'train':>10}")
    for model_type, row in results.items():
        print(f"{model_type:<34}{row['accuracy']:>10.4f}{row['seconds']:>9.1f}s")
    best_alone = max(results["logistic_reg"]["accuracy"], results["dnn_classifier"]["accuracy"])
    gain = results["dnn_linear_combined_classifier"]["accuracy"] - best_alone
    print(f"wide-and-deep minus the better model alone: {100 * gain:+.2f} pt")


if __name__ == "__main__":
    main()
