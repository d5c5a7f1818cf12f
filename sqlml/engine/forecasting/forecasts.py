"""What a trained forecasting model says, for the ML functions: its forecast of each series over a horizon with
prediction intervals, and its expectation (value and standard error) at the timestamps of given rows.

Intervals are normal: value ± z · standard_error with z the standard normal's (1 + confidence_level) / 2
quantile. With forecast limits the model works in a limited scale (pipeline.limited), and values and interval
bounds are mapped back; the standard error reported is then the interval's half-width over z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sqlml.engine.forecasting import calendar
from sqlml.engine.forecasting.pipeline import limited, unlimited
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
        names = {"regressors": model.regressors, "time_series_id_col": model.id_names}.get(role, [options.get(role)])
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
    time_col = found["time_series_timestamp_col"][0]
    times = utc_times(table.column(time_col), function, time_col)
    regressors = None
    if with_regressors:
        regressors = np.column_stack([floats(table.column(c), function, c) for c in found["regressors"]])
    return Inputs(series, times, regressors)


def utc_times(column: pa.ChunkedArray, function: str, name: str) -> np.ndarray:
    """A DATE / TIMESTAMP column as datetime64[us] UTC wall time (NaT for NULL)."""
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_date(kind):
        column = pc.cast(column, pa.timestamp("us"))
    elif pa.types.is_timestamp(kind):
        column = pc.cast(column, pa.timestamp("us", tz=kind.tz)).cast(pa.timestamp("us", tz="UTC"))
    else:
        raise ProgrammingError(
            f"ML.{function}: column '{name}' (time series timestamp col of the model) is {kind}; it must be a "
            "TIMESTAMP, DATE or DATETIME"
        )
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
    """The rows' `confidence` intervals; the values and bounds of series modelled in a limited scale mapped back
    to the data's, their standard error then the interval's half-width over z."""
    z = z_score(confidence)
    value, se = rows.value.copy(), rows.standard_error.copy()
    low, high = value - z * se, value + z * se
    for mask, bounds in model.bounds_of(rows.series):
        value[mask], low[mask], high[mask] = (unlimited(v[mask], bounds) for v in (value, low, high))
        se[mask] = (high[mask] - low[mask]) / (2 * z) if z > 0 else 0.0
    return Forecast(rows.series, rows.step, rows.times, value, se, low, high, rows.regressors)


def _future_regressors(model: ForecastModel, series: np.ndarray, times: np.ndarray, future: Inputs | None):
    """The regressor values of the `future` rows at each forecast row's series and timestamp; a timestamp
    between two of the series' rows that the input skips (a shop closed on Sundays) gets values interpolated
    linearly, as CREATE MODEL fills missing steps. DataError naming the first forecast timestamp outside the
    span of the input's rows."""
    if future is None:
        raise ProgrammingError(
            "an ARIMA_PLUS_XREG model forecasts from the regressors' future values: TABLE t | (query)"
        )
    if np.isnan(future.regressors[np.isin(future.series, series)]).any():
        raise DataError(f"the regressors ({', '.join(model.regressors)}) of the input must not be NULL")
    order = np.lexsort((future.times, future.series))  # the input's rows by series, then time
    ids, known, values = future.series[order], future.times[order].astype(np.int64), future.regressors[order]
    X = np.full((len(series), len(model.regressors)), np.nan)
    by_series = np.argsort(series, kind="stable")
    each, starts = np.unique(series[by_series], return_index=True)
    for one, mine in zip(each, np.split(by_series, starts[1:]), strict=True):
        first, last = np.searchsorted(ids, one, "left"), np.searchsorted(ids, one, "right")
        at = times[mine].astype(np.int64)
        outside = (at < known[first]) | (at > known[last - 1]) if last > first else np.ones(len(at), bool)
        if outside.any():
            raise DataError(
                f"the input has no row for {_series_name(model, one)} at {times[mine][outside][0].item()}: forecasting an "
                f"ARIMA_PLUS_XREG model needs the regressors ({', '.join(model.regressors)}) up to the last "
                "forecast timestamp"
            )
        span = slice(first, last)
        X[mine] = np.column_stack([np.interp(at, known[span], column) for column in values[span].T])
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


@dataclass
class Judged:
    """Given rows against the model: its expected value and `confidence` interval at each (NaN where it has none)
    and the probability that a value lies nearer the expectation than the row's actual one."""

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    probability: np.ndarray


def judged(model: ForecastModel, given: Inputs, actual: np.ndarray, confidence: float) -> Judged:
    """The given rows' actual values against what the model expects there (see _expected). The error is normal in
    the model's scale (with forecast limits, the limited one): intervals are those of ML.FORECAST, and an actual
    value at or beyond a limit is infinitely far."""
    from scipy.stats import norm

    value, se = _expected(model, given)
    known = given.series >= 0
    scales = [(known & mask, bounds) for mask, bounds in model.bounds_of(np.where(known, given.series, 0))]
    scaled = actual.copy()
    for mask, bounds in scales:
        scaled[mask] = limited(actual[mask], bounds)
    with np.errstate(divide="ignore", invalid="ignore"):
        probability = np.where(se > 0, 2 * norm.cdf(np.abs(scaled - value) / se) - 1, (scaled != value) * 1.0)
    z = z_score(confidence)
    low, high = value - z * se, value + z * se
    for mask, bounds in scales:
        value[mask], low[mask], high[mask] = (unlimited(v[mask], bounds) for v in (value, low, high))
    return Judged(value, low, high, probability)


def _expected(model: ForecastModel, given: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The model's value and standard error at each given row, in its limited scale (NaN where it has none: a
    series it lacks, a timestamp off its grid or beyond its horizon): the history's fit (its data less residual,
    spikes and dips) inside the history, the forecast after it (ARIMA_PLUS_XREG: with the rows' regressors)."""
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
        bounds = (0.0, None) if row["log_scale"] else model.bounds
        fit = limited(row["data"], bounds) - row["residual"] - row["spikes_and_dips"]
        sigma = np.sqrt(row["variance"])
        for i, step in zip(mine[inside], steps[inside]):
            if step < n:
                value[i], se[i] = fit[step], sigma
            else:
                value[i], se[i] = row["forecast_value"][step - n], row["standard_error"][step - n]
                if weights is not None:
                    value[i] += weights[position, 1:] @ given.regressors[i]
    return value, se
