"""ARIMA_PLUS_XREG: the regressors' weights (ML.ARIMA_COEFFICIENTS' processed_input / weight) are numpy's least
squares of the data on [1, X] (with l2_reg: ridge, the intercept unpenalized), and the forecast is auto-ARIMA's
forecast of what the regression leaves plus the regression at the future regressor values.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-multivariate-time-series
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.forecasting import series_data as sd

N, H = 80, 5


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    X = np.column_stack([rng.normal(0, 2, N + H), rng.uniform(0, 10, N + H)])
    noise = sd.random_walk(N + H, 22, drift=0.0) - 50
    y = 3 + X @ [2.0, -1.5] + noise
    weeks = np.datetime64("2020-01-06", "D") + 7 * np.arange(N + H)  # weekly: too short for a yearly cycle
    return weeks, X, y


def _model(tmp_path, data, l2_reg: float):
    d, X, y = data
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": d[:N], "y": y[:N], "x1": X[:N, 0], "x2": X[:N, 1]})
    sd.load(cur, tmp_path, "future", {"d": d[N:], "x1": X[N:, 0], "x2": X[N:, 1]})
    sd.create_model(
        cur,
        "m",
        "t",
        f"horizon={H}, l2_reg={l2_reg}, clean_spikes_and_dips=FALSE, adjust_step_changes=FALSE, interval_backtest_windows=0",
        model_type="ARIMA_PLUS_XREG",
    )
    return cur


def _reference_weights(X: np.ndarray, y: np.ndarray, l2_reg: float) -> np.ndarray:
    A = np.column_stack([np.ones(len(y)), X])
    if l2_reg == 0:
        return np.linalg.lstsq(A, y, rcond=None)[0]
    return np.linalg.solve(A.T @ A + l2_reg * np.diag([0.0, 1.0, 1.0]), A.T @ y)


@pytest.mark.parametrize("l2_reg", [0.0, 50.0])
def test_weights_and_forecast(tmp_path, data, l2_reg):
    d, X, y = data
    cur = _model(tmp_path, data, l2_reg)
    weights = _reference_weights(X[:N], y[:N], l2_reg)
    got = sd.query(cur, "SELECT processed_input, weight FROM ML.ARIMA_COEFFICIENTS(MODEL m)")
    assert list(got["processed_input"]) == ["__INTERCEPT__", "x1", "x2"]
    np.testing.assert_allclose(got["weight"], weights, rtol=1e-9)
    if l2_reg:  # the penalty shrinks the regressors' weights, not the intercept's
        assert np.abs(weights[1:]).sum() < np.abs(_reference_weights(X[:N], y[:N], 0.0)[1:]).sum()

    A = np.column_stack([np.ones(N + H), X])
    residual = y[:N] - A[:N] @ weights
    expected = sd.arima_forecast(sd.auto_arima(residual), H, 0.9)
    forecast = sd.query(
        cur,
        f"SELECT * FROM ML.FORECAST(MODEL m, STRUCT({H} AS horizon, 0.9 AS confidence_level), TABLE future) "
        "ORDER BY forecast_timestamp",
    )
    np.testing.assert_allclose(forecast["forecast_value"], expected["mean"] + A[N:] @ weights, rtol=1e-7)
    np.testing.assert_allclose(forecast["standard_error"], expected["se"], rtol=1e-6)


def test_attributions_add_up(tmp_path, data):
    """ML.EXPLAIN_FORECAST: attribution_<x> = weight * x, and the history adds up with them."""
    d, X, y = data
    cur = _model(tmp_path, data, 0.0)
    weights = _reference_weights(X[:N], y[:N], 0.0)
    rows = sd.query(cur, f"SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m, STRUCT({H} AS horizon), TABLE future) ORDER BY 1")
    np.testing.assert_allclose(rows["attribution_x1"], weights[1] * X[:, 0], rtol=1e-9)
    np.testing.assert_allclose(rows["attribution_x2"], weights[2] * X[:, 1], rtol=1e-9)
    history = rows["time_series_type"] == "history"
    parts = ["trend", "residual", "attribution_x1", "attribution_x2"]
    total = sum(np.nan_to_num(rows[name]) for name in parts)
    np.testing.assert_allclose(total[history], y[:N], atol=1e-8)


def test_evaluate_and_anomalies_use_the_rows_regressors(tmp_path, data):
    """ML.EVALUATE and ML.DETECT_ANOMALIES of new rows: the forecast at their regressors, as ML.FORECAST's."""
    d, X, y = data
    cur = _model(tmp_path, data, 0.0)
    sd.load(cur, tmp_path, "actual", {"d": d[N:], "y": y[N:], "x1": X[N:, 0], "x2": X[N:, 1]})
    forecast = sd.query(cur, f"SELECT * FROM ML.FORECAST(MODEL m, STRUCT({H} AS horizon), TABLE future) ORDER BY 1")
    error = np.abs(y[N:] - forecast["forecast_value"])
    got = sd.query(cur, "SELECT * FROM ML.EVALUATE(MODEL m, TABLE actual)")
    np.testing.assert_allclose(got["mean_absolute_error"], [error.mean()], rtol=1e-9)
    anomalies = sd.query(cur, "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, TABLE actual) ORDER BY d")
    np.testing.assert_allclose(anomalies["lower_bound"], forecast["prediction_interval_lower_bound"], rtol=1e-9)
