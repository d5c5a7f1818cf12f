"""What a trained forecasting model says, for the ML functions: its forecast of each series over a horizon with
prediction intervals, and its expectation (value and standard error) at the timestamps of given rows.

Intervals are normal: value ± z · standard_error with z the standard normal's (1 + confidence_level) / 2
quantile. With forecast limits the model works in a limited scale (pipeline._limited), and values and interval
bounds are mapped back; the standard error reported is then the interval's half-width over z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sqlml.engine.forecasting import calendar
from sqlml.engine.forecasting.pipeline import limited, unlimited, unlimited_slope
from sqlml.engine.forecasting.state import ForecastModel
from sqlml.errors import DataError, ProgrammingError


def z_score(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf((1 + confidence) / 2))


@dataclass
class Inputs:
    """Rows given to a function: their series (position in the model, -1: a series the model lacks), UTC
    timestamps, and (ARIMA_PLUS_XREG) regressor values."""

    series: np.ndarray
    times: np.ndarray
    regressors: np.ndarray | None


def columns_of(model: ForecastModel, options: dict, table: pa.Table, function: str, needs: list[str]) -> dict:
    """Option or role -> the input's column carrying it (case-insensitive); ProgrammingError naming a missing one."""
    by_name = {name.lower(): name for name in table.column_names}
    found = {}
    for role in needs:
        names = [options[role]] if role != "regressors" else model.regressors
        names = names if role != "time_series_id_col" else model.id_names
        for name in names:
            if name.lower() not in by_name:
                raise ProgrammingError(
                    f"ML.{function}: the input has no column '{name}' ({role.replace('_', ' ')} of the model); "
                    f"its columns: {', '.join(table.column_names)}"
                )
        found[role] = [by_name[name.lower()] for name in names]
    return found


def inputs(model: ForecastModel, options: dict, table: pa.Table, function: str, with_regressors: bool) -> Inputs:
    """The rows of `table` located in the model (see Inputs)."""
    needs = ["time_series_timestamp_col", "time_series_id_col"] + (["regressors"] if with_regressors else [])
    found = columns_of(model, options, table, function, needs)
    series = np.zeros(table.num_rows, dtype=np.int64)
    if model.id_names:
        index = {tuple(row.values()): i for i, row in enumerate(model.ids().to_pylist())}
        keys = zip(*(table.column(c).to_pylist() for c in found["time_series_id_col"]))
        series = np.fromiter((index.get(key, -1) for key in keys), np.int64, table.num_rows)
    times = utc_times(table.column(found["time_series_timestamp_col"][0]))
    regressors = None
    if with_regressors:
        regressors = np.column_stack([floats(table.column(c), function, c) for c in found["regressors"]])
    return Inputs(series, times, regressors)


def utc_times(column: pa.ChunkedArray) -> np.ndarray:
    """A DATE / TIMESTAMP column as datetime64[us] UTC wall time (NaT for NULL)."""
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_date(kind):
        column = pc.cast(column, pa.timestamp("us"))
    elif pa.types.is_timestamp(kind):
        column = pc.cast(column, pa.timestamp("us", tz=kind.tz)).cast(pa.timestamp("us", tz="UTC"))
    else:
        raise ProgrammingError(f"the timestamp column is {kind}; it must be a TIMESTAMP, DATE or DATETIME")
    return column.to_numpy().astype("datetime64[us]")


def floats(column: pa.ChunkedArray, function: str, name: str) -> np.ndarray:
    try:
        return column.to_numpy().astype(np.float64) if column.null_count == 0 else _with_nan(column)
    except (TypeError, ValueError, pa.ArrowInvalid):
        raise ProgrammingError(f"ML.{function}: column '{name}' must be a number") from None


def _with_nan(column: pa.ChunkedArray) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.fill_null(pc.cast(column, pa.float64()), np.nan).to_numpy()


@dataclass
class Forecast:
    """Forecast rows, series by series: position in the model, step (0-based), timestamp, value, standard error,
    interval bounds."""

    series: np.ndarray
    step: np.ndarray
    times: np.ndarray
    value: np.ndarray
    standard_error: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    regressors: np.ndarray | None = None  # ARIMA_PLUS_XREG: the regressor values each row forecast from


def check_horizon(model: ForecastModel, options: dict, horizon: int, function: str) -> None:
    if horizon > options["horizon"]:
        raise ProgrammingError(
            f"ML.{function} horizon {horizon} exceeds the model's horizon {options['horizon']} (CREATE MODEL's "
            "horizon option: the steps it forecast when it trained)"
        )


def forecast(model: ForecastModel, options: dict, horizon: int, confidence: float, future: Inputs | None) -> Forecast:
    """Every fitted series' first `horizon` forecast steps (ARIMA_PLUS_XREG: with `future` regressor values)."""
    fitted = model.fitted()
    table = model.table
    steps = np.tile(np.arange(horizon), len(fitted))
    series = np.repeat(fitted, horizon)
    value = _first(table.column("forecast_value"), fitted, horizon)
    se = _first(table.column("standard_error"), fitted, horizon)
    times = _first(table.column("forecast_time"), fitted, horizon).astype("datetime64[us]")
    X = None
    if model.regressors:
        X = _future_regressors(model, series, times, future)
        weights = _weights(model)[series]
        value = value + np.einsum("ij,ij->i", weights[:, 1:], X)
    return _interval(model, Forecast(series, steps, times, value, se, value, value, X), confidence)


def _first(column: pa.ChunkedArray, rows: np.ndarray, n: int) -> np.ndarray:
    """The first `n` items of the list column's `rows`, flattened."""
    import pyarrow.compute as pc

    taken = pc.list_slice(column.take(pa.array(rows)), 0, n)
    return pc.list_flatten(taken).to_numpy()


def _interval(model: ForecastModel, rows: Forecast, confidence: float) -> Forecast:
    z = z_score(confidence)
    low, high = rows.value - z * rows.standard_error, rows.value + z * rows.standard_error
    if model.bounds == (None, None):
        rows.lower, rows.upper = low, high
        return rows
    value, low, high = (unlimited(v, model.bounds) for v in (rows.value, low, high))
    se = (high - low) / (2 * z) if z > 0 else np.zeros(len(value))
    return Forecast(rows.series, rows.step, rows.times, value, se, low, high, rows.regressors)


def _future_regressors(model: ForecastModel, series: np.ndarray, times: np.ndarray, future: Inputs | None):
    """The regressor values of the `future` row at each forecast row's series and timestamp; DataError naming
    the first forecast timestamp the input has no row for."""
    if future is None:
        raise ProgrammingError(
            "an ARIMA_PLUS_XREG model forecasts from the regressors' future values: TABLE t | (query)"
        )
    at = {(s, t): i for i, (s, t) in enumerate(zip(future.series.tolist(), future.times.astype(np.int64).tolist()))}
    rows = np.array([at.get(key, -1) for key in zip(series.tolist(), times.astype(np.int64).tolist())], dtype=np.int64)
    if (rows < 0).any():
        first = int(np.flatnonzero(rows < 0)[0])
        raise DataError(
            f"the input has no row for {_series_name(model, series[first])} at {times[first]}: forecasting an "
            f"ARIMA_PLUS_XREG model needs the regressors ({', '.join(model.regressors)}) at every forecast timestamp"
        )
    X = future.regressors[rows]
    if np.isnan(X).any():
        raise DataError(f"the regressors ({', '.join(model.regressors)}) of the input must not be NULL")
    return X


def _weights(model: ForecastModel) -> np.ndarray:
    """(series, 1 + regressors): each series' intercept and regressor weights (NaN for a failed series)."""
    k = len(model.regressors) + 1
    return np.array([w if w is not None else [np.nan] * k for w in model.table.column("weights").to_pylist()])


def _series_name(model: ForecastModel, position: int) -> str:
    if not model.id_names:
        return "the time series"
    row = model.ids().slice(int(position), 1).to_pylist()[0]
    return "the time series " + ", ".join(f"{k} = {v!r}" for k, v in row.items())


def expected(model: ForecastModel, given: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The model's value and standard error at each given row (NaN where it has none: a series it lacks, a
    timestamp off its grid or beyond its horizon): the history's fit (its data less residual, spikes and dips)
    inside the history, the forecast after it (ARIMA_PLUS_XREG: with the rows' regressors)."""
    value, se = np.full(len(given.times), np.nan), np.full(len(given.times), np.nan)
    weights = _weights(model) if model.regressors else None
    for position, row in enumerate(model.series()):
        mine = np.flatnonzero(given.series == position)
        if not len(mine) or row["error_message"] is not None:
            continue
        history, future = row["history_time"], row["forecast_time"]
        grid = np.concatenate([history, future])
        steps = calendar.positions(np.concatenate([grid[:1], given.times[mine]]), row["frequency"])[1:]
        inside = (steps >= 0) & (steps < len(grid))
        inside[inside] &= grid[steps[inside]] == given.times[mine][inside]
        n = len(history)
        fit = limited(row["data"], model.bounds, "") - row["residual"] - row["spikes_and_dips"]
        sigma = np.sqrt(row["variance"])
        for i, step in zip(mine[inside], steps[inside]):
            if step < n:
                value[i], se[i] = fit[step], sigma
            else:
                value[i], se[i] = row["forecast_value"][step - n], row["standard_error"][step - n]
                if weights is not None:
                    value[i] += weights[position, 1:] @ given.regressors[i]
    if model.bounds != (None, None):
        value = unlimited(value, model.bounds)
        se = se * unlimited_slope(value, model.bounds)
    return value, se
