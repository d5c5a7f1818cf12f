"""Wide tables: linear_reg training and ML.PREDICT on 200 rows of 1,000, 2,000 and 4,000 columns, against the
raw Python stack (DuckDB -> Arrow -> numpy -> scikit-learn's Ridge, fitted and scored) in the same run.

    python -m benchmarks.wide [--quick]

Work grows linearly with the column count when each line's times double from one width to the next (the
growth column: this width's time over the previous width's). Timing never gates CI.
"""

from __future__ import annotations

import argparse
import time

import duckdb
import numpy as np
from sklearn.linear_model import Ridge

import sqlml

ROWS = 200


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def wide_table(cur, columns: int) -> None:
    """Table `wide`: ROWS rows of `columns` numeric features f0.. and a label depending on the first ten."""
    features = ", ".join(f"((i * {k + 7}) % 101) / 10.0 + random() AS f{k}" for k in range(columns))
    cur.execute(
        f"CREATE OR REPLACE TABLE wide AS SELECT *, f0 + f1 + f2 + f3 + f4 - f5 - f6 - f7 - f8 - f9 AS label "
        f"FROM (SELECT {features} FROM range({ROWS}) r(i))"
    )


def measure(columns: int) -> dict[str, float]:
    """Seconds of sqlml's training and predict, and of the raw stack's, on `columns` columns."""
    con = sqlml.connect()
    cur = con.cursor()
    wide_table(cur, columns)
    times = {
        "train": _seconds(
            lambda: cur.execute(
                "CREATE MODEL m OPTIONS(model_type='linear_reg', data_split_method='NO_SPLIT', l2_reg=1.0) "
                "AS SELECT * FROM wide"
            )
        )
    }
    times["predict"] = _seconds(
        lambda: cur.execute("SELECT sum(predicted_label) FROM ML.PREDICT(MODEL m, TABLE wide)").fetchall()
    )
    raw = duckdb.connect()
    raw.register("wide", con.cursor().execute("SELECT * FROM wide").fetch_arrow_table())

    def raw_stack():
        table = raw.sql("SELECT * FROM wide").to_arrow_table()
        X = np.column_stack([table.column(f"f{k}").to_numpy() for k in range(columns)])
        mean, std = X.mean(axis=0), X.std(axis=0)
        Z = (X - mean) / np.where(std > 0, std, 1.0)
        Ridge(alpha=1.0).fit(Z, table.column("label").to_numpy()).predict(Z).sum()

    times["raw"] = _seconds(raw_stack)
    con.close()
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="widths 100, 200, 400: checks the harness works")
    args = parser.parse_args(argv)
    widths = (100, 200, 400) if args.quick else (1000, 2000, 4000)
    print(f"linear_reg on {ROWS} rows; growth = this width's time / the previous width's (2.0 is linear)")
    print(f"{'columns':>8}{'train':>10}{'growth':>8}{'predict':>10}{'growth':>8}{'raw':>10}{'train/raw':>11}")
    previous = None
    for columns in widths:
        times = measure(columns)
        growth = {k: f"{times[k] / previous[k]:.1f}x" if previous else "" for k in ("train", "predict")}
        print(
            f"{columns:>8}{times['train']:>9.2f}s{growth['train']:>8}{times['predict']:>9.2f}s"
            f"{growth['predict']:>8}{times['raw']:>9.2f}s{times['train'] / times['raw']:>10.1f}x"
        )
        previous = times


if __name__ == "__main__":
    main()
