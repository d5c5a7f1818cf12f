"""ML.FORECAST and ML.EXPLAIN_FORECAST of ARIMA_PLUS and ARIMA_PLUS_XREG models, with BigQuery ML's output
columns (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-forecast).

Both read what CREATE MODEL computed (engine/forecasting/state.py): rows come series by series, each in time
order, series that failed to train left out (ML.ARIMA_EVALUATE says why).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.forecasting import forecasts
from sqlml.engine.forecasting.pipeline import unlimited
from sqlml.engine.forecasting.state import SEASONS
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction

FLOAT = pa.float64()


def forecast(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    rows = _forecast(ctx, call, model, params)
    level = np.full(len(rows.value), params["confidence_level"])
    values = {
        "forecast_value": rows.value,
        "standard_error": rows.standard_error,
        "confidence_level": level,
        "prediction_interval_lower_bound": rows.lower,
        "prediction_interval_upper_bound": rows.upper,
        "confidence_interval_lower_bound": rows.lower,  # BigQuery ML's deprecated names of the same interval
        "confidence_interval_upper_bound": rows.upper,
    }
    columns = {"forecast_timestamp": pa.array(rows.times, model.estimator.time_type)}
    columns |= {name: pa.array(v, FLOAT) for name, v in values.items()}
    return with_ids(model, rows.series, pa.table(columns))


def _forecast(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> forecasts.Forecast:
    estimator, options = model.estimator, model.version.options
    forecasts.check_horizon(estimator, options, params["horizon"], call.function)
    future = None
    if estimator.regressors:
        if call.input_sql is None:
            raise ProgrammingError(
                f"ML.{call.function} of an ARIMA_PLUS_XREG model needs the regressors' future values: "
                f"ML.{call.function}(MODEL m, STRUCT(...), TABLE t | (query))"
            )
        table = ctx.read_table(ctx.input_query(call))
        future = forecasts.inputs(estimator, options, table, call.function, with_regressors=True)
    elif call.input_sql is not None:
        raise ProgrammingError(
            f"ML.{call.function} of an ARIMA_PLUS model takes no input data: its forecast is its own"
        )
    return forecasts.forecast(estimator, options, params["horizon"], params["confidence_level"], future)


def with_ids(model: Model, series: np.ndarray, table: pa.Table) -> pa.Table:
    """`table` with the id columns of each row's series first (a model of many series)."""
    ids = model.estimator.ids()
    if ids is None:
        return table
    taken = ids.take(pa.array(series, pa.int64()))
    return pa.Table.from_arrays([*taken.columns, *table.columns], [*taken.column_names, *table.column_names])


def explain_forecast(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """History rows (the decomposition of what the model trained on) then forecast rows, series by series."""
    estimator, options = model.estimator, model.version.options
    if not options.get("decompose_time_series", True):
        raise ProgrammingError(
            f"ML.EXPLAIN_FORECAST needs the decomposition model {model.version.qualified_name} did not keep: "
            "train it with decompose_time_series = TRUE"
        )
    ahead = _forecast(ctx, call, model, params)
    names = sorted({n for row in estimator.table.column("holiday_names").to_pylist() if row for n in row})
    parts, series_of = [], []
    for position, row in enumerate(estimator.series()):
        if row["error_message"] is None:
            mine = ahead.series == position
            parts.append(_explained(estimator, row, ahead, mine, names, params["confidence_level"]))
            series_of.append(np.full(parts[-1].num_rows, position))
    table = pa.concat_tables(parts)
    return with_ids(model, np.concatenate(series_of), table)


def _explained(estimator, row: dict, ahead: forecasts.Forecast, mine: np.ndarray, holidays: list, level) -> pa.Table:
    n, h = len(row["history_time"]), int(mine.sum())
    seasonal_ahead = estimator.seasonal_forecast(row, h)
    sigma = float(np.sqrt(row["variance"]))
    none_h, none_n = np.full(h, np.nan), np.full(n, np.nan)
    holiday_ahead = dict(zip(row["holiday_names"] or (), row["forecast_holiday_effects"] or ()))
    bounds = (0.0, None) if row["log_scale"] else estimator.bounds
    if bounds != (None, None):
        row, seasonal_ahead, holiday_ahead = _in_data_scale(row, seasonal_ahead, holiday_ahead, bounds, h)
    holiday_history = dict(zip(row["holiday_names"] or (), row["holiday_effects"] or ()))
    holiday_total = sum((np.asarray(v) for v in holiday_history.values()), np.zeros(n))
    attributions = _attributions(estimator, row, ahead, mine)
    seasonal_total = sum(
        (row[f"seasonal_{s.lower()}"] for s in SEASONS if row[f"seasonal_{s.lower()}"] is not None), np.zeros(n)
    )
    adjusted = row["trend"] + seasonal_total + holiday_total + sum(a[0] for a in attributions.values())
    columns = {
        "time_series_timestamp": pa.array(
            np.concatenate([row["history_time"], ahead.times[mine]]), estimator.time_type
        ),
        "time_series_type": pa.array(["history"] * n + ["forecast"] * h),
        "time_series_data": np.concatenate([row["data"], ahead.value[mine]]),
        "time_series_adjusted_data": np.concatenate([adjusted, ahead.value[mine]]),
        "standard_error": np.concatenate([np.full(n, sigma), ahead.standard_error[mine]]),
        "confidence_level": np.concatenate([none_n, np.full(h, level)]),
        "prediction_interval_lower_bound": np.concatenate([none_n, ahead.lower[mine]]),
        "prediction_interval_upper_bound": np.concatenate([none_n, ahead.upper[mine]]),
        "trend": np.concatenate([row["trend"], row["forecast_trend"][:h]]),
        **{
            f"seasonal_period_{s.lower()}": np.concatenate([row[f"seasonal_{s.lower()}"], seasonal_ahead[s]])
            if s in seasonal_ahead
            else np.full(n + h, np.nan)
            for s in SEASONS
        },
        "holiday_effect": np.concatenate(
            [holiday_total, sum((np.asarray(v)[:h] for v in holiday_ahead.values()), np.zeros(h))]
        )
        if row["has_holiday_effect"]
        else np.full(n + h, np.nan),
        "spikes_and_dips": np.concatenate([_or_none(row["spikes_and_dips"]), none_h]),
        "step_changes": np.concatenate([_or_none(row["step_changes"]), none_h]),
        "residual": np.concatenate([row["residual"], none_h]),
        **{
            f"holiday_effect_{_column_name(name)}": np.concatenate(
                [np.asarray(holiday_history[name]), np.asarray(holiday_ahead[name])[:h]]
            )
            if name in holiday_history
            else np.full(n + h, np.nan)
            for name in holidays
        },
        **{f"attribution_{name}": np.concatenate(values) for name, values in attributions.items()},
    }
    return pa.table(
        {k: v if isinstance(v, pa.Array) else pa.array(v, FLOAT, mask=np.isnan(v)) for k, v in columns.items()}
    )


def _in_data_scale(row: dict, seasonal_ahead: dict, holiday_ahead: dict, bounds: tuple, h: int) -> tuple:
    """A series modelled in a limited scale (forecast limits, or a log scale), its components made increments in
    the data's scale: the trend mapped back, then each component the change it makes on top of those before it,
    so that they add up to the data (history rows) and to the forecast (forecast rows), as BigQuery ML's
    identities say."""
    seasons = [s for s in SEASONS if row[f"seasonal_{s.lower()}"] is not None]
    names = list(row["holiday_names"] or ())
    history = _increments(
        [
            row["trend"],
            *(row[f"seasonal_{s.lower()}"] for s in seasons),
            *(np.asarray(effect) for effect in row["holiday_effects"] or ()),
            row["step_changes"],
            row["spikes_and_dips"],
            row["residual"],
        ],
        bounds,
    )
    ahead = _increments(
        [
            row["forecast_trend"][:h],
            *(seasonal_ahead[s] for s in seasons),
            *(np.asarray(holiday_ahead[n])[:h] for n in names),
        ],
        bounds,
    )
    mapped = dict(row, trend=history[0], forecast_trend=ahead[0])
    mapped |= {f"seasonal_{s.lower()}": history[1 + i] for i, s in enumerate(seasons)}
    mapped["holiday_effects"] = history[1 + len(seasons) : 1 + len(seasons) + len(names)]
    mapped["step_changes"], mapped["spikes_and_dips"], mapped["residual"] = history[-3:]
    seasonal = {s: ahead[1 + i] for i, s in enumerate(seasons)}
    holidays = dict(zip(names, ahead[1 + len(seasons) :]))
    return mapped, seasonal, holidays


def _increments(parts: list[np.ndarray], bounds: tuple) -> list[np.ndarray]:
    """The limited-scale `parts` (adding up to a series there) as data-scale increments adding up to it there."""
    total = np.asarray(parts[0], dtype=np.float64)
    level = unlimited(total, bounds)
    found = [level]
    for part in parts[1:]:
        total = total + part
        after = unlimited(total, bounds)
        found.append(after - level)
        level = after
    return found


def _or_none(component: np.ndarray) -> np.ndarray:
    """A component the series has none of (all zeros) shows as NULL, as BigQuery ML shows it."""
    return component if component.any() else np.full(len(component), np.nan)


def _attributions(estimator, row: dict, ahead: forecasts.Forecast, mine: np.ndarray) -> dict:
    """ARIMA_PLUS_XREG: per regressor, (history, forecast) of its weight times its values."""
    if not estimator.regressors:
        return {}
    weights = np.asarray(row["weights"])
    history = np.asarray(row["regressors"]).reshape(len(row["history_time"]), -1)
    return {
        name: (weights[j + 1] * history[:, j], weights[j + 1] * ahead.regressors[mine, j])
        for j, name in enumerate(estimator.regressors)
    }


def _column_name(name: str) -> str:
    """A holiday's name as a column name part: letters, digits and underscores."""
    return re.sub(r"\W+", "_", name).strip("_")
