"""ML.ARIMA_EVALUATE and ML.ARIMA_COEFFICIENTS: what a forecasting model fitted for each series
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-evaluate,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-coefficients).

sqlml keeps the ARIMA auto-ARIMA chose, not the candidates it tried: show_all_candidate_models changes nothing.

`arima_result` is DESCRIBE MODEL's summary of the same, in the field names of BigQuery's REST Model resource
(ArimaResult, ArimaModelInfo: https://cloud.google.com/bigquery/docs/reference/rest/v2/models).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.forecast import with_ids
from sqlml.engine.store.model import Model
from sqlml.parser import MLFunction

EVALUATED = (
    "non_seasonal_p",
    "non_seasonal_d",
    "non_seasonal_q",
    "has_drift",
    "log_likelihood",
    "aic",
    "variance",
    "seasonal_periods",
    "has_holiday_effect",
    "has_spikes_and_dips",
    "has_step_changes",
)


def arima_evaluate(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """One row per series (a series that failed: its error_message, the rest NULL); AIC spelt as BigQuery ML's
    page spells it."""
    return evaluated(model, aic="AIC", with_error=True)


def evaluated(model: Model, aic: str, with_error: bool) -> pa.Table:
    """ML.ARIMA_EVALUATE's columns (and ML.EVALUATE's without input data: `aic` lower-case, no error_message)."""
    table = model.estimator.table
    names = [*EVALUATED, "error_message"] if with_error else list(EVALUATED)
    rows = table.select(names).rename_columns([aic if n == "aic" else n for n in names])
    return with_ids(model, np.arange(table.num_rows), rows)


def arima_coefficients(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """Per series its AR and MA coefficients and constant; ARIMA_PLUS_XREG: one row per series and regressor
    (the intercept first, as __INTERCEPT__) with its weight, and `category_weights` empty (regressors are
    numbers or BOOLs, as ML.WEIGHTS gives a numeric input's)."""
    estimator = model.estimator
    table = estimator.table.select(["ar_coefficients", "ma_coefficients", "intercept_or_drift"])
    if not estimator.regressors:
        return with_ids(model, np.arange(table.num_rows), table)
    inputs = ["__INTERCEPT__", *estimator.regressors]
    series = np.repeat(np.arange(table.num_rows), len(inputs))
    weights = [w if w is not None else [None] * len(inputs) for w in estimator.table.column("weights").to_pylist()]
    rows = table.take(pa.array(series)).append_column("processed_input", pa.array(inputs * table.num_rows))
    rows = rows.append_column("weight", pa.array([w for ws in weights for w in ws], pa.float64()))
    category = pa.list_(pa.struct([("category", pa.string()), ("weight", pa.float64())]))
    rows = rows.append_column("category_weights", pa.array([[]] * rows.num_rows, category))
    return with_ids(model, series, rows)


def arima_result(model: Model) -> str:
    """DESCRIBE MODEL's arima_result (JSON): the number of series and of those that failed, the seasonal periods
    found in any series, and per series its ARIMA (BigQuery's ArimaModelInfo, with sqlml's intervalScale) or, having
    failed, its error."""
    rows = evaluated(model, aic="aic", with_error=True).to_pylist()
    ids = model.estimator.id_names
    scales = model.estimator.table.column("interval_scale").to_pylist()
    infos = []
    for row, scale in zip(rows, scales, strict=True):
        info = {"timeSeriesIds": {name: row[name] for name in ids}} if ids else {}
        if row["error_message"] is not None:
            infos.append({**info, "errorMessage": row["error_message"]})
            continue
        infos.append(
            {
                **info,
                "nonSeasonalOrder": {
                    "p": row["non_seasonal_p"],
                    "d": row["non_seasonal_d"],
                    "q": row["non_seasonal_q"],
                },
                "hasDrift": row["has_drift"],
                "arimaFittingMetrics": {
                    "logLikelihood": row["log_likelihood"],
                    "aic": row["aic"],
                    "variance": row["variance"],
                },
                "seasonalPeriods": row["seasonal_periods"],
                "hasHolidayEffect": row["has_holiday_effect"],
                "hasSpikesAndDips": row["has_spikes_and_dips"],
                "hasStepChanges": row["has_step_changes"],
                "intervalScale": scale,  # sqlml's: see interval_backtest_windows
            }
        )
    periods = sorted({p for row in rows for p in row["seasonal_periods"] or ()})
    failed = sum(row["error_message"] is not None for row in rows)
    result = {"seriesCount": len(rows), "seriesFailed": failed, "seasonalPeriods": periods, "arimaModelInfo": infos}
    return json.dumps(result, default=str)
