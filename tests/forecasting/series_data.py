"""Shared by the forecasting tests: synthetic series, a sqlml connection on a DuckDB file, tables loaded from
numpy arrays (through Parquet, so DATE / TIMESTAMP / TIMESTAMPTZ columns keep their types), and the
independent references (statsforecast, numpy, scipy called directly)."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sqlml


def connect(tmp_path):
    """A sqlml cursor on a DuckDB file in `tmp_path`."""
    return sqlml.connect(str(tmp_path / "forecast.duckdb")).cursor()


def load(cur, tmp_path, name: str, columns: dict) -> None:
    """Table `name` with `columns` (numpy arrays or Arrow arrays), through a Parquet file in `tmp_path`."""
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.table(columns), path)
    cur.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")


def query(cur, sql: str) -> dict[str, np.ndarray]:
    """The result's columns as numpy arrays (NULL as NaN in number columns)."""
    cur.execute(sql)
    table = cur.fetch_arrow_table()
    out = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
            out[name] = np.array([np.nan if v is None else v for v in column.to_pylist()], dtype=np.float64)
        else:
            out[name] = np.array(column.to_pylist(), dtype=object)
    return out


def create_model(cur, name: str, table: str, options: str, model_type: str = "ARIMA_PLUS", columns: str = "*"):
    cur.execute(
        f"CREATE MODEL {name} OPTIONS(model_type='{model_type}', time_series_timestamp_col='d', "
        f"time_series_data_col='y', {options}) AS SELECT {columns} FROM {table}"
    )


def daily_model(tmp_path, y: np.ndarray, options: str):
    """A cursor on a new DuckDB file holding table t (d: daily DATEs from 2021-01-04, y) and ARIMA_PLUS model m
    trained on it with `options`."""
    cur = connect(tmp_path)
    load(cur, tmp_path, "t", {"d": days(len(y)), "y": y})
    create_model(cur, "m", "t", options)
    return cur


def days(n: int, start: str = "2021-01-04") -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n)


def random_walk(n: int, seed: int, drift: float = 0.3) -> np.ndarray:
    """An ARIMA(1,1,0)-like series with drift."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(drift, 1.0, n)
    changes = np.zeros(n)
    for t in range(1, n):
        changes[t] = 0.5 * changes[t - 1] + shocks[t]
    return 50 + np.cumsum(changes)


def weekly(n: int, seed: int, amplitude: float = 5.0, noise: float = 1.0) -> np.ndarray:
    """A daily series: a slow AR level, a strong weekly pattern and noise."""
    rng = np.random.default_rng(seed)
    pattern = amplitude * np.array([0.0, 1.0, 2.0, 1.5, 0.5, -2.5, -2.5])
    level = np.zeros(n)
    for t in range(1, n):
        level[t] = 0.7 * level[t - 1] + rng.normal(0, noise)
    return 100 + level + pattern[np.arange(n) % 7] + rng.normal(0, noise * 0.3, n)


def auto_arima(y: np.ndarray, max_order: int = 2) -> dict:
    """statsforecast's auto-ARIMA as BigQuery ML's non-seasonal search: every p + q <= max_order (not stepwise),
    drift allowed."""
    from statsforecast.arima import auto_arima_f

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auto_arima_f(
            np.asarray(y, dtype=np.float64),
            max_order=max_order,
            max_p=max_order,
            max_q=max_order,
            seasonal=False,
            period=1,
            allowdrift=True,
            stepwise=False,
        )


def fixed_arima(y: np.ndarray, order: tuple, include_drift: bool) -> dict:
    from statsforecast.arima import Arima

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Arima(np.asarray(y, dtype=np.float64), order=order, include_drift=include_drift, method="CSS-ML")


def arima_forecast(model: dict, horizon: int, confidence: float) -> dict[str, np.ndarray]:
    """statsforecast's forecast: mean, lower and upper of the `confidence` interval, and the standard error
    (the interval's half-width over the normal quantile)."""
    from scipy.stats import norm
    from statsforecast.arima import forecast_arima

    level = confidence * 100
    result = forecast_arima(model, h=horizon, level=[level])
    mean = np.asarray(result["mean"], dtype=np.float64)
    lower, upper = result["lower"].iloc[:, 0].to_numpy(), result["upper"].iloc[:, 0].to_numpy()
    return {"mean": mean, "lower": lower, "upper": upper, "se": (upper - mean) / norm.ppf((1 + confidence) / 2)}


def mstl(y: np.ndarray, periods: list[int]):
    """statsforecast's MSTL decomposition (a frame: data, trend, seasonal*, remainder)."""
    from statsforecast.mstl import mstl as decompose

    return decompose(np.asarray(y, dtype=np.float64), periods)


def z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf((1 + confidence) / 2))
