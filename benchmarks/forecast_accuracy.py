"""Forecast accuracy on real series: sqlml's ARIMA_PLUS against raw statsforecast AutoARIMA and seasonal naive.

    python -m benchmarks.forecast_accuracy [--series NAME ...]

Each series of benchmarks/data/series/ (see its README) loses its last `h` points, the horizon of its frequency
(a year of months, two years of quarters, ten years, a quarter of weeks, two weeks of days, a day of hours); the
three methods are fitted on the rest and forecast `h` steps:

- sqlml: the training part as a DuckDB table, CREATE MODEL ... OPTIONS(model_type='ARIMA_PLUS', horizon=h), then
  ML.FORECAST(MODEL m, STRUCT(h AS horizon, 0.9 AS confidence_level));
- AutoARIMA: statsforecast.models.AutoARIMA(season_length = the frequency's period), 90% intervals;
- seasonal naive: the last period repeated (the last value for yearly series).

The raw methods get the training values with missing ones interpolated linearly (sqlml interpolates its own).
Metrics over the held-out points that have a value: sMAPE in percent (BigQuery ML's: the mean of
2|y - f| / (|y| + |f|), times 100), MASE (the mean absolute error over the in-sample MAE of the seasonal naive
forecast, one period back) and the share of points inside the 90% interval. The issue's bar: sqlml's mean sMAPE
and mean MASE within AutoARIMA's + 2%, sqlml beats seasonal naive on MASE on most series, sqlml's 90% intervals
cover 80-97% of all held-out points. The tables are markdown, to paste into docs; their seconds columns are
the fit and forecast of each method (for sqlml: CREATE MODEL and ML.FORECAST), after a warm-up. Accuracy is
reported, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

import sqlml

DATA = Path(__file__).resolve().parent / "data" / "series"
# frequency -> (seasonal period, horizon)
FREQUENCIES = {
    "HOURLY": (24, 24),
    "DAILY": (7, 14),
    "WEEKLY": (52, 13),
    "MONTHLY": (12, 12),
    "QUARTERLY": (4, 8),
    "YEARLY": (1, 10),
}
SERIES = {
    "AirPassengers": "MONTHLY",
    "UKDriverDeaths": "MONTHLY",
    "nottem": "MONTHLY",
    "USAccDeaths": "MONTHLY",
    "co2_monthly": "MONTHLY",
    "JohnsonJohnson": "QUARTERLY",
    "austres": "QUARTERLY",
    "realgdp_quarterly": "QUARTERLY",
    "Nile": "YEARLY",
    "lynx": "YEARLY",
    "sunspot_year": "YEARLY",
    "co2_weekly": "WEEKLY",
    "births78_daily": "DAILY",
    "taylor_hourly": "HOURLY",
}
METHODS = ("sqlml", "AutoARIMA", "seasonal naive")
LEVEL = 90


@dataclass
class Forecast:
    """A method's forecast of the held-out steps: mean, 90% interval bounds (NaN: none) and the seconds
    its fit and forecast took."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    seconds: float


def source(name: str) -> str:
    """SQL reading a series' CSV, sorted by time (an empty cell is a NULL value)."""
    return (
        f"SELECT ts, value FROM read_csv('{DATA / name}.csv', header = true, "
        "columns = {'ts': 'TIMESTAMP', 'value': 'DOUBLE'}) ORDER BY ts"
    )


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A series' timestamps and values, NaN where missing."""
    table = duckdb.sql(source(name)).fetchnumpy()
    return table["ts"].astype("datetime64[us]"), np.ma.filled(table["value"].astype(np.float64), np.nan)


def interpolated(values: np.ndarray) -> np.ndarray:
    """Missing values filled linearly between their neighbours (the ends held flat)."""
    known = ~np.isnan(values)
    steps = np.arange(len(values))
    return np.interp(steps, steps[known], values[known])


def forecast_sqlml(name: str, n: int, future: np.ndarray) -> Forecast:
    """CREATE MODEL ARIMA_PLUS on the series' first `n` points in a fresh in-memory database, then ML.FORECAST
    of the `future` timestamps' steps."""
    horizon = len(future)
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE TABLE train AS {source(name)} LIMIT {n}")
    start = time.perf_counter()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='ARIMA_PLUS', time_series_timestamp_col='ts', "
        f"time_series_data_col='value', horizon={horizon}) AS SELECT ts, value FROM train"
    )
    cur.execute(
        "SELECT forecast_timestamp, forecast_value, prediction_interval_lower_bound, prediction_interval_upper_bound FROM "
        f"ML.FORECAST(MODEL m, STRUCT({horizon} AS horizon, {LEVEL / 100} AS confidence_level)) "
        "ORDER BY forecast_timestamp"
    )
    rows = cur.fetchall()
    seconds = time.perf_counter() - start
    con.close()
    steps = np.array([row[0] for row in rows], dtype="datetime64[us]")
    if not np.array_equal(steps, future):
        raise RuntimeError(f"{name}: sqlml forecast the steps {steps[[0, -1]]} instead of {future[[0, -1]]}")
    mean, lower, upper = np.array([row[1:] for row in rows], dtype=np.float64).T
    return Forecast(mean, lower, upper, seconds)


def forecast_autoarima(values: np.ndarray, horizon: int, period: int) -> Forecast:
    """statsforecast's AutoARIMA with the series' seasonal period, fitted on the interpolated training values."""
    from statsforecast.models import AutoARIMA

    start = time.perf_counter()
    result = AutoARIMA(season_length=period).fit(interpolated(values)).predict(h=horizon, level=[LEVEL])
    seconds = time.perf_counter() - start
    return Forecast(result["mean"], result[f"lo-{LEVEL}"], result[f"hi-{LEVEL}"], seconds)


def forecast_seasonal_naive(values: np.ndarray, horizon: int, period: int) -> Forecast:
    """The last `period` training values repeated (no interval)."""
    filled = interpolated(values)
    mean = filled[len(filled) - period + np.arange(horizon) % period]
    return Forecast(mean, np.full(horizon, np.nan), np.full(horizon, np.nan), 0.0)


def smape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """BigQuery ML's symmetric mean absolute percentage error, in percent."""
    return float(np.mean(2 * np.abs(actual - predicted) / (np.abs(actual) + np.abs(predicted))) * 100)


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, period: int) -> float:
    """Mean absolute error over the in-sample MAE of the seasonal naive forecast (`period` steps back)."""
    scale = np.mean(np.abs(train[period:] - train[:-period]))
    return float(np.mean(np.abs(actual - predicted)) / scale)


def evaluate(name: str) -> dict:
    """Hold out the series' last horizon points, forecast them with each method and score the forecasts."""
    frequency = SERIES[name]
    period, horizon = FREQUENCIES[frequency]
    times, values = load(name)
    train, actual = values[:-horizon], values[-horizon:]
    forecasts = {
        "sqlml": forecast_sqlml(name, len(train), times[-horizon:]),
        "AutoARIMA": forecast_autoarima(train, horizon, period),
        "seasonal naive": forecast_seasonal_naive(train, horizon, period),
    }
    known = ~np.isnan(actual)
    y, filled = actual[known], interpolated(train)
    scores = {
        method: {
            "smape": smape(y, f.mean[known]),
            "mase": mase(y, f.mean[known], filled, period),
            "covered": int(((f.lower[known] <= y) & (y <= f.upper[known])).sum()),
            "seconds": f.seconds,
        }
        for method, f in forecasts.items()
    }
    return {"name": name, "frequency": frequency, "n": len(train), "h": horizon, "points": int(known.sum()), **scores}


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table, its columns padded to line up in a terminal too."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths)) + " |" for line in lines)


def series_table(results: list[dict]) -> str:
    header = ["series", "frequency", "n", "h"]
    header += [f"sMAPE {m}" for m in METHODS] + [f"MASE {m}" for m in METHODS]
    header += ["90% cov. sqlml", "90% cov. AutoARIMA", "seconds sqlml", "seconds AutoARIMA"]
    rows = []
    for r in results:
        row = [r["name"], r["frequency"].lower(), str(r["n"]), str(r["h"])]
        row += [f"{r[m]['smape']:.2f}" for m in METHODS] + [f"{r[m]['mase']:.3f}" for m in METHODS]
        row += [f"{r[m]['covered']}/{r['points']}" for m in METHODS[:2]]
        row += [f"{r[m]['seconds']:.2f}" for m in METHODS[:2]]
        rows.append(row)
    return markdown(header, rows)


def summary(results: list[dict]) -> str:
    """The aggregates the issue's bar is about, each beside its target."""
    mean = {(m, k): np.mean([r[m][k] for r in results]) for m in METHODS for k in ("smape", "mase")}
    points = sum(r["points"] for r in results)
    coverage = {m: sum(r[m]["covered"] for r in results) / points for m in METHODS[:2]}
    beats = sum(r["sqlml"]["mase"] < r["seasonal naive"]["mase"] for r in results)
    rows = [
        [f"mean {label}", *(f"{mean[m, k]:.3f}" for m in METHODS), f"{mean['sqlml', k] / mean['AutoARIMA', k]:.3f}"]
        for k, label in (("smape", "sMAPE (%)"), ("mase", "MASE"))
    ]
    rows.append(["90% interval coverage", f"{coverage['sqlml']:.1%}", f"{coverage['AutoARIMA']:.1%}", "", ""])
    table = markdown(["aggregate", *METHODS, "sqlml / AutoARIMA"], rows)
    return (
        f"{table}\n\n"
        f"- mean sMAPE ratio sqlml / AutoARIMA {mean['sqlml', 'smape'] / mean['AutoARIMA', 'smape']:.3f} "
        "(target <= 1.02)\n"
        f"- mean MASE ratio sqlml / AutoARIMA {mean['sqlml', 'mase'] / mean['AutoARIMA', 'mase']:.3f} "
        "(target <= 1.02)\n"
        f"- sqlml beats seasonal naive (MASE) on {beats} of {len(results)} series (target: most)\n"
        f"- sqlml's 90% intervals cover {coverage['sqlml']:.1%} of {points} held-out points (target 80-97%)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", nargs="+", choices=sorted(SERIES), default=list(SERIES), help="series to run")
    args = parser.parse_args(argv)
    evaluate("USAccDeaths")  # a warm-up: imports and numba's compilation stay out of the seconds columns
    results = []
    for name in args.series:
        results.append(evaluate(name))
        print(f"{name}: done", file=sys.stderr, flush=True)
    print(f"Forecast accuracy on {len(results)} real series (last h points held out)\n")
    print(series_table(results))
    print()
    print(summary(results))


if __name__ == "__main__":
    main()
