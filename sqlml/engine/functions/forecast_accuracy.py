"""ML.EVALUATE and ML.DETECT_ANOMALIES of forecasting models: given rows compared with what the model expects at
their timestamps (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies).

Inside a series' history the model expects its fit (the data less the ARIMA's residual and the spikes and dips),
with the ARIMA's standard error; after it, its forecast, with the forecast's standard error. A row of a series
the model lacks, off its time grid or beyond its horizon gets NULLs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.forecasting import calendar, forecasts
from sqlml.engine.functions.arima_info import evaluated
from sqlml.engine.functions.forecast import with_ids
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction

FLOAT = pa.float64()


def evaluate(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """Without input: the fitted ARIMAs (as ML.ARIMA_EVALUATE). With input rows: per series, the errors of
    the forecast at their timestamps (perform_aggregation, the default), or per row."""
    if "threshold" in call.params_dict:
        raise ProgrammingError("ML.EVALUATE of a forecasting model takes no threshold")
    if call.input_sql is None:
        return evaluated(model, aic="aic", with_error=False)
    estimator, options = model.estimator, model.version.options
    horizon = params.get("horizon", options["horizon"])
    forecasts.check_horizon(estimator, options, horizon, call.function)
    table, given, actual, value, se = _compared(ctx, call, model)
    steps = _steps(estimator, given)
    ahead = (steps >= 0) & (steps < horizon) & ~np.isnan(value) & ~np.isnan(actual)
    error = np.where(ahead, np.abs(actual - value), np.nan)
    if not params.get("perform_aggregation", True):
        z = forecasts.z_score(params.get("confidence_level", 0.95))
        found = forecasts.columns_of(
            estimator, options, table, call.function, ["time_series_timestamp_col", "time_series_data_col"]
        )
        data_col = found["time_series_data_col"][0]
        columns = {
            "forecasted_" + data_col: np.where(ahead, value, np.nan),
            "lower_bound": np.where(ahead, value - z * se, np.nan),
            "upper_bound": np.where(ahead, value + z * se, np.nan),
            "absolute_error": error,
            "absolute_percentage_error": error / np.abs(actual) * 100,
        }
        out = table
        for name, values in columns.items():
            out = out.append_column(name, pa.array(values, FLOAT, mask=np.isnan(values)))
        return out
    return _aggregated(model, given, actual, value, ahead)


def _steps(estimator, given: forecasts.Inputs) -> np.ndarray:
    """Each given row's forecast step (0: the first after the history; negative inside it; -1 unknown)."""
    import pyarrow.compute as pc

    first = pc.list_element(estimator.table.column("forecast_time"), 0).to_numpy(zero_copy_only=False)
    steps = np.full(len(given.times), -1, dtype=np.int64)
    for position in np.unique(given.series[given.series >= 0]):
        if first[position] is None or estimator.table.column("error_message")[int(position)].is_valid:
            continue
        mine = np.flatnonzero(given.series == position)
        frequency = estimator.table.column("frequency")[int(position)].as_py()
        start = np.datetime64(first[position], "us")
        steps[mine] = calendar.positions(np.concatenate([[start], given.times[mine]]), frequency)[1:]
    return steps


def _compared(ctx: MLContext, call: MLFunction, model: Model):
    """(the input table, its rows located, their actual values, the model's expected values and errors)."""
    estimator, options = model.estimator, model.version.options
    table = ctx.read_table(ctx.input_query(call))
    given = forecasts.inputs(estimator, options, table, call.function, with_regressors=bool(estimator.regressors))
    found = forecasts.columns_of(estimator, options, table, call.function, ["time_series_data_col"])
    actual = forecasts.floats(
        table.column(found["time_series_data_col"][0]), call.function, options["time_series_data_col"]
    )
    value, se = forecasts.expected(estimator, given)
    return table, given, actual, value, se


def _aggregated(model: Model, given, actual, value, ahead) -> pa.Table:
    """Per series with forecast rows: MAE, MSE, RMSE, MAPE and sMAPE (percent), and MASE (scaled by the
    in-sample MAE of the one-step naive forecast of its history)."""
    estimator = model.estimator
    rows, series_of = [], []
    data = estimator.table.column("data").to_pylist()
    for position in np.unique(given.series[ahead]):
        mine = ahead & (given.series == position)
        y, f = actual[mine], value[mine]
        error = np.abs(y - f)
        history = np.asarray(data[position], dtype=np.float64)
        scale = np.mean(np.abs(np.diff(history))) if len(history) > 1 else np.nan
        rows.append(
            {
                "mean_absolute_error": error.mean(),
                "mean_squared_error": (error**2).mean(),
                "root_mean_squared_error": np.sqrt((error**2).mean()),
                "mean_absolute_percentage_error": np.mean(error / np.abs(y)) * 100,
                "symmetric_mean_absolute_percentage_error": np.mean(2 * error / (np.abs(y) + np.abs(f))) * 100,
                "mean_absolute_scaled_error": error.mean() / scale if scale else np.nan,
            }
        )
        series_of.append(position)
    names = list(rows[0]) if rows else []
    table = pa.table({name: pa.array([row[name] for row in rows], FLOAT) for name in names})
    return with_ids(model, np.asarray(series_of, dtype=np.int64), table)


def detect_anomalies(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """Each row (the model's history without input) with is_anomaly, lower_bound, upper_bound and
    anomaly_probability: the probability, under the normal error the model expects, of a value nearer its
    expectation than this one."""
    from scipy.stats import norm

    if "contamination" in call.params_dict:
        raise ProgrammingError(
            "ML.DETECT_ANOMALIES of a forecasting model takes anomaly_prob_threshold, not contamination"
        )
    threshold = params.get("anomaly_prob_threshold", 0.95)
    estimator, options = model.estimator, model.version.options
    time_col, data_col = options["time_series_timestamp_col"], options["time_series_data_col"]
    if call.input_sql is None:
        table, given, actual = _history(model)
        value, se = forecasts.expected(estimator, given)
        rest = None
    else:
        rest, given, actual, value, se = _compared(ctx, call, model)
    z = forecasts.z_score(threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        probability = np.where(se > 0, 2 * norm.cdf(np.abs(actual - value) / se) - 1, (actual != value) * 1.0)
    known = ~np.isnan(value) & ~np.isnan(actual)
    columns = {
        "is_anomaly": pa.array(probability > threshold, pa.bool_(), mask=~known),
        "lower_bound": pa.array(value - z * se, FLOAT, mask=~known),
        "upper_bound": pa.array(value + z * se, FLOAT, mask=~known),
        "anomaly_probability": pa.array(probability, FLOAT, mask=~known),
    }
    times = pa.array(given.times, estimator.time_type)
    if rest is None:
        out = pa.table({time_col: times, data_col: pa.array(actual, FLOAT), **columns})
        return with_ids(model, given.series, out)
    found = forecasts.columns_of(
        estimator,
        options,
        rest,
        call.function,
        ["time_series_timestamp_col", "time_series_data_col", "time_series_id_col"],
    )
    lead = [*found["time_series_id_col"], found["time_series_timestamp_col"][0], found["time_series_data_col"][0]]
    others = [c for c in rest.column_names if c not in lead]
    out = rest.select(found["time_series_id_col"])
    out = out.append_column(lead[-2], times).append_column(lead[-1], pa.array(actual, FLOAT))
    for name, values in columns.items():
        out = out.append_column(name, values)
    for name in others:
        out = out.append_column(name, rest.column(name))
    return out


def _history(model: Model) -> tuple[None, forecasts.Inputs, np.ndarray]:
    """Every history step of every fitted series, located, with its data."""
    estimator = model.estimator
    series, times, data = [], [], []
    for position, row in enumerate(estimator.series()):
        if row["error_message"] is None:
            series.append(np.full(len(row["history_time"]), position))
            times.append(row["history_time"])
            data.append(row["data"])
    return None, forecasts.Inputs(np.concatenate(series), np.concatenate(times), None), np.concatenate(data)
