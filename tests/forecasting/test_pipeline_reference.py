"""ARIMA_PLUS driven through SQL equals statsforecast called directly: auto-ARIMA on a series without
seasonality, MSTL then auto-ARIMA on a weekly-seasonal one, a fixed-order ARIMA with and without drift, and what
ML.ARIMA_EVALUATE / ML.ARIMA_COEFFICIENTS report of the fitted model.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.forecasting import series_data as sd

# the pipeline without its cleaning steps, and the ARIMA's own intervals (no held-out windows)
PLAIN = "clean_spikes_and_dips=FALSE, adjust_step_changes=FALSE, interval_backtest_windows=0"


def _forecast(cur, model: str, horizon: int, confidence: float) -> dict:
    return sd.query(
        cur,
        f"SELECT * FROM ML.FORECAST(MODEL {model}, STRUCT({horizon} AS horizon, {confidence} AS confidence_level)) "
        "ORDER BY forecast_timestamp",
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_no_seasonality_is_auto_arima(tmp_path, seed):
    y = sd.random_walk(80, seed)
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, seasonalities=['NO_SEASONALITY'], horizon=6")
    reference = sd.auto_arima(y)
    for confidence in (0.8, 0.95):
        got = _forecast(cur, "m", 6, confidence)
        expected = sd.arima_forecast(reference, 6, confidence)
        np.testing.assert_allclose(got["forecast_value"], expected["mean"], rtol=1e-9)
        np.testing.assert_allclose(got["standard_error"], expected["se"], rtol=1e-7)
        np.testing.assert_allclose(got["prediction_interval_lower_bound"], expected["lower"], rtol=1e-9)
        np.testing.assert_allclose(got["prediction_interval_upper_bound"], expected["upper"], rtol=1e-9)


def test_weekly_seasonality_is_mstl_then_auto_arima(tmp_path):
    n = 140
    y = sd.weekly(n, 3)
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, horizon=10")
    frame = sd.mstl(y, [7])
    seasonal = frame["seasonal"].to_numpy()
    reference = sd.auto_arima(y - seasonal)  # trend + remainder
    expected = sd.arima_forecast(reference, 10, 0.9)
    got = _forecast(cur, "m", 10, 0.9)
    repeated = seasonal[n - 7 + np.arange(10) % 7]
    np.testing.assert_allclose(got["forecast_value"], expected["mean"] + repeated, rtol=1e-9)
    # the seasonal component, forecast by repeating its last week, adds the variance of its week-to-week change
    # for each week ahead (a seasonal random walk's error) to the ARIMA's
    weeks_ahead = np.ceil(np.arange(1, 11) / 7)
    seasonal_variance = weeks_ahead * np.var(seasonal[7:] - seasonal[:-7])
    np.testing.assert_allclose(got["standard_error"], np.sqrt(expected["se"] ** 2 + seasonal_variance), rtol=1e-7)
    explained = sd.query(
        cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY 1"
    )
    np.testing.assert_allclose(explained["seasonal_period_weekly"], seasonal, rtol=1e-9, atol=1e-9)
    evaluated = sd.query(cur, "SELECT seasonal_periods FROM ML.ARIMA_EVALUATE(MODEL m)")
    assert list(evaluated["seasonal_periods"][0]) == ["WEEKLY"]


@pytest.mark.parametrize("drift", [True, False])
def test_fixed_order_is_arima(tmp_path, drift):
    y = sd.random_walk(70, 5)
    cur = sd.daily_model(
        tmp_path,
        y,
        f"{PLAIN}, seasonalities=['NO_SEASONALITY'], auto_arima=FALSE, non_seasonal_order=(1, 1, 1), "
        f"include_drift={str(drift).upper()}, horizon=5",
    )
    reference = sd.fixed_arima(y, (1, 1, 1), drift)
    expected = sd.arima_forecast(reference, 5, 0.95)
    got = _forecast(cur, "m", 5, 0.95)
    np.testing.assert_allclose(got["forecast_value"], expected["mean"], rtol=1e-9)
    np.testing.assert_allclose(got["standard_error"], expected["se"], rtol=1e-7)
    _check_reported(cur, reference)


def test_auto_arima_reported(tmp_path):
    y = sd.random_walk(90, 8)
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, seasonalities=['NO_SEASONALITY']")
    _check_reported(cur, sd.auto_arima(y))


def _check_reported(cur, reference: dict) -> None:
    """ML.ARIMA_EVALUATE and ML.ARIMA_COEFFICIENTS == the reference model's arma, coef, loglik, aic, sigma2
    (arma is statsforecast's (p, q, P, Q, period, d, D))."""
    p, q, d = reference["arma"][0], reference["arma"][1], reference["arma"][5]
    coef = reference["coef"]
    evaluated = sd.query(cur, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL m)")
    assert (evaluated["non_seasonal_p"][0], evaluated["non_seasonal_d"][0], evaluated["non_seasonal_q"][0]) == (p, d, q)
    assert evaluated["has_drift"][0] == ("drift" in coef)
    np.testing.assert_allclose(evaluated["log_likelihood"][0], reference["loglik"], rtol=1e-9)
    np.testing.assert_allclose(evaluated["AIC"][0], reference["aic"], rtol=1e-9)
    np.testing.assert_allclose(evaluated["variance"][0], reference["sigma2"], rtol=1e-9)
    coefficients = sd.query(cur, "SELECT * FROM ML.ARIMA_COEFFICIENTS(MODEL m)")
    np.testing.assert_allclose(
        np.asarray(coefficients["ar_coefficients"][0], float), [coef[f"ar{i + 1}"] for i in range(p)], rtol=1e-9
    )
    np.testing.assert_allclose(
        np.asarray(coefficients["ma_coefficients"][0], float), [coef[f"ma{i + 1}"] for i in range(q)], rtol=1e-9
    )
    constant = coef.get("drift", coef.get("intercept", 0.0))
    np.testing.assert_allclose(coefficients["intercept_or_drift"][0], constant, rtol=1e-9)


@pytest.mark.parametrize(
    ("option", "kept"), [("max_time_series_length=30", 30), ("time_series_length_fraction=0.5", 45)]
)
def test_length_options_keep_the_latest_points(tmp_path, option, kept):
    """max_time_series_length / time_series_length_fraction: the model is that of the latest points alone, and
    the forecast goes on from the last timestamp."""
    y = sd.random_walk(90, 9)
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, seasonalities=['NO_SEASONALITY'], horizon=4, {option}")
    expected = sd.arima_forecast(sd.auto_arima(y[-kept:]), 4, 0.95)
    got = _forecast(cur, "m", 4, 0.95)
    np.testing.assert_allclose(got["forecast_value"], expected["mean"], rtol=1e-9)
    assert [t.date() for t in got["forecast_timestamp"]] == (sd.days(94)[90:]).tolist()


def test_trend_smoothing_changes_the_trend_only(tmp_path):
    """trend_smoothing_window_size: the history's trend is its centered moving average, the ends padded with the
    first and last values; the forecast is unchanged."""
    y = sd.random_walk(50, 10)
    (tmp_path / "plain").mkdir()
    (tmp_path / "smooth").mkdir()
    plain = sd.daily_model(tmp_path / "plain", y, f"{PLAIN}, seasonalities=['NO_SEASONALITY'], horizon=3")
    smooth = sd.daily_model(
        tmp_path / "smooth", y, f"{PLAIN}, seasonalities=['NO_SEASONALITY'], horizon=3, trend_smoothing_window_size=5"
    )
    sql = "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) ORDER BY 1"
    before, after = sd.query(plain, sql), sd.query(smooth, sql)
    history = before["time_series_type"] == "history"
    trend = before["trend"][history]
    padded = np.concatenate([[trend[0]] * 2, trend, [trend[-1]] * 2])
    expected = np.array([padded[i : i + 5].mean() for i in range(len(trend))])
    np.testing.assert_allclose(after["trend"][history], expected, rtol=1e-12)
    np.testing.assert_allclose(after["trend"][history] + after["residual"][history], y, rtol=1e-12)
    np.testing.assert_array_equal(after["time_series_data"][~history], before["time_series_data"][~history])
