"""A series whose seasonal swing grows with its level is modelled in a log scale (sqlml's: BigQuery ML's
decomposition is additive only): its forecast is statsforecast's MSTL and auto-ARIMA on the log of the series,
mapped back with exp, intervals included; ML.EXPLAIN_FORECAST's components are then data-scale increments that
still add up to the data and to the forecast, as BigQuery ML's identities say
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-explain-forecast)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.forecasting import series_data as sd

# the pipeline without its cleaning steps, and the ARIMA's own intervals (no held-out windows)
PLAIN = "clean_spikes_and_dips=FALSE, adjust_step_changes=FALSE, interval_backtest_windows=0"
N, H = 140, 10


def _multiplicative(seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(N)
    return np.exp(3 + 0.01 * t + 0.25 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.03, N))


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    return sd.daily_model(tmp_path_factory.mktemp("log"), _multiplicative(), f"{PLAIN}, horizon={H}")


def test_the_forecast_is_the_log_series_forecast_mapped_back(cur):
    y = np.log(_multiplicative())
    seasonal = sd.mstl(y, [7])["seasonal"].to_numpy()
    reference = sd.arima_forecast(sd.auto_arima(y - seasonal), H, 0.9)
    ahead = seasonal[N - 7 + np.arange(H) % 7]
    se = np.sqrt(reference["se"] ** 2 + np.ceil(np.arange(1, H + 1) / 7) * np.var(seasonal[7:] - seasonal[:-7]))
    z = sd.z(0.9)
    got = sd.query(cur, "SELECT * FROM ML.FORECAST(MODEL m, STRUCT(10 AS horizon, 0.9 AS confidence_level)) ORDER BY 1")
    np.testing.assert_allclose(got["forecast_value"], np.exp(reference["mean"] + ahead), rtol=1e-7)
    np.testing.assert_allclose(
        got["prediction_interval_lower_bound"], np.exp(reference["mean"] + ahead - z * se), rtol=1e-7
    )
    np.testing.assert_allclose(
        got["prediction_interval_upper_bound"], np.exp(reference["mean"] + ahead + z * se), rtol=1e-7
    )
    half_width = (got["prediction_interval_upper_bound"] - got["prediction_interval_lower_bound"]) / (2 * z)
    np.testing.assert_allclose(got["standard_error"], half_width, rtol=1e-9)


def test_the_decomposition_adds_up_in_the_data_scale(cur):
    rows = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m, STRUCT(10 AS horizon)) ORDER BY 1")
    parts = ["trend", "seasonal_period_weekly", "holiday_effect", "spikes_and_dips", "step_changes", "residual"]
    total = sum(np.nan_to_num(rows[p]) for p in parts)
    np.testing.assert_allclose(total, rows["time_series_data"], rtol=1e-9)
    history = rows["time_series_type"] == "history"
    np.testing.assert_allclose(rows["time_series_data"][history], _multiplicative(), rtol=1e-9)
    # the weekly swing, in passengers rather than in logs, grows with the level
    swing = np.abs(rows["seasonal_period_weekly"][history])
    assert swing[-28:].mean() > 2 * swing[:28].mean()


def test_an_additive_series_stays_in_the_data_scale(tmp_path):
    y = sd.weekly(N, 3) + np.arange(N) * 0.5  # a swing of constant size on a rising level
    cur = sd.daily_model(tmp_path, y, f"{PLAIN}, horizon={H}")
    seasonal = sd.mstl(y, [7])["seasonal"].to_numpy()
    reference = sd.arima_forecast(sd.auto_arima(y - seasonal), H, 0.9)
    got = sd.query(
        cur, "SELECT forecast_timestamp, forecast_value FROM ML.FORECAST(MODEL m, STRUCT(10 AS horizon)) ORDER BY 1"
    )
    np.testing.assert_allclose(got["forecast_value"], reference["mean"] + seasonal[N - 7 + np.arange(H) % 7], rtol=1e-9)
