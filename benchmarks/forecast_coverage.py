"""Interval coverage where the model is right: ARIMA_PLUS's 90% intervals on synthetic series of known form,
with the held-out windows that widen them (interval_backtest_windows, default 2) and without (0: the ARIMA's own).

    python -m benchmarks.forecast_coverage [--series N]        (default 300 series)

Each series: 168 + 14 days of an AR(1) level (coefficient drawn from [0.3, 0.9], innovations of sd 1), a weekly
pattern of random amplitude and a little noise, seeded. One model of all series (time_series_id_col) trains on
the first 168 days with horizon 14; the table gives the share of the last 14 days that fall inside the 90%
intervals, and the mean standard error. The accuracy benchmark (forecast_accuracy) measures coverage on real
series; this one shows the same windows on data where ARIMA_PLUS's model holds. Reported, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sqlml

DAYS, HORIZON = 168, 14
PATTERN = np.array([0.0, 1.0, 2.0, 1.5, 0.5, -2.5, -2.5])


def series(count: int, seed: int = 7) -> pa.Table:
    """`count` synthetic daily series of DAYS + HORIZON days (sid, d, y)."""
    rng = np.random.default_rng(seed)
    n = DAYS + HORIZON
    columns = {"sid": [], "d": [], "y": []}
    for sid in range(count):
        phi, amplitude = rng.uniform(0.3, 0.9), rng.uniform(1.0, 8.0)
        level = np.zeros(n)
        for t in range(1, n):
            level[t] = phi * level[t - 1] + rng.normal(0, 1)
        columns["sid"].append(np.full(n, sid))
        columns["d"].append(np.datetime64("2022-01-03") + np.arange(n))
        columns["y"].append(100 + level + amplitude * PATTERN[np.arange(n) % 7] + rng.normal(0, 0.3, n))
    return pa.table({name: np.concatenate(parts) for name, parts in columns.items()})


def coverage(count: int) -> dict[int, tuple[float, float]]:
    """interval_backtest_windows -> (share of held-out days inside the 90% interval, mean standard error)."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "series.parquet"
        pq.write_table(series(count), path)
        con = sqlml.connect()
        cur = con.cursor()
        cur.execute(f"CREATE TABLE t AS SELECT sid, d, y FROM read_parquet('{path}')")
        cur.execute(f"CREATE TABLE train AS SELECT * FROM t WHERE d < DATE '2022-01-03' + INTERVAL {DAYS} DAY")
        for windows in (0, 2):
            cur.execute(
                f"CREATE OR REPLACE MODEL m OPTIONS(model_type='ARIMA_PLUS', time_series_id_col='sid', "
                f"time_series_timestamp_col='d', time_series_data_col='y', horizon={HORIZON}, "
                f"interval_backtest_windows={windows}) AS SELECT * FROM train"
            )
            cur.execute(
                "SELECT avg(CAST(t.y BETWEEN f.prediction_interval_lower_bound AND f.prediction_interval_upper_bound "
                "AS INTEGER)), avg(f.standard_error) "
                f"FROM ML.FORECAST(MODEL m, STRUCT({HORIZON} AS horizon, 0.9 AS confidence_level)) f "
                "JOIN t ON t.sid = f.sid AND CAST(t.d AS TIMESTAMP) = CAST(f.forecast_timestamp AS TIMESTAMP)"
            )
            out[windows] = cur.fetchone()
        con.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=300, help="how many series")
    args = parser.parse_args(argv)
    result = coverage(args.series)
    print(f"90% intervals on {args.series} synthetic daily series, last {HORIZON} days held out")
    print(f"{'interval_backtest_windows':<28}{'coverage':>10}{'mean standard error':>22}")
    for windows, (covered, se) in result.items():
        print(f"{windows:<28}{covered:>10.1%}{se:>22.3f}")


if __name__ == "__main__":
    main()
