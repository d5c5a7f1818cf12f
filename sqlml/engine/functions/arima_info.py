"""ML.ARIMA_EVALUATE and ML.ARIMA_COEFFICIENTS: what a forecasting model fitted for each series
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-evaluate,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-coefficients).

sqlml keeps the ARIMA auto-ARIMA chose, not the candidates it tried: show_all_candidate_models changes nothing.
"""

from __future__ import annotations

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
    (the intercept first, as __INTERCEPT__) with its weight."""
    estimator = model.estimator
    table = estimator.table.select(["ar_coefficients", "ma_coefficients", "intercept_or_drift"])
    if not estimator.regressors:
        return with_ids(model, np.arange(table.num_rows), table)
    inputs = ["__INTERCEPT__", *estimator.regressors]
    series = np.repeat(np.arange(table.num_rows), len(inputs))
    weights = [w if w is not None else [None] * len(inputs) for w in estimator.table.column("weights").to_pylist()]
    rows = table.take(pa.array(series)).append_column("processed_input", pa.array(inputs * table.num_rows))
    rows = rows.append_column("weight", pa.array([w for ws in weights for w in ws], pa.float64()))
    return with_ids(model, series, rows)
