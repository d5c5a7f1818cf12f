"""ML.FORECAST's prediction intervals: value ± z · standard_error at the asked confidence level (the level echoed
in confidence_level), BigQuery ML's defaults (horizon 3, confidence_level 0.95:
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast), and forecast limits
(forecast_limit_lower_bound / upper_bound) that every forecast and bound stays strictly inside.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.forecasting import series_data as sd


@pytest.fixture
def model(tmp_path):
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": sd.days(60), "y": sd.random_walk(60, 11)})
    sd.create_model(cur, "m", "t", "horizon=12")
    return cur


@pytest.mark.parametrize("confidence", [0.0, 0.5, 0.8, 0.99])
def test_bounds_are_value_plus_minus_z_standard_errors(model, confidence):
    got = sd.query(
        model, f"SELECT * FROM ML.FORECAST(MODEL m, STRUCT(12 AS horizon, {confidence} AS confidence_level))"
    )
    assert len(got["forecast_value"]) == 12
    assert (got["confidence_level"] == confidence).all()
    half = sd.z(confidence) * got["standard_error"]
    np.testing.assert_allclose(got["prediction_interval_lower_bound"], got["forecast_value"] - half, rtol=1e-12)
    np.testing.assert_allclose(got["prediction_interval_upper_bound"], got["forecast_value"] + half, rtol=1e-12)
    np.testing.assert_array_equal(got["confidence_interval_lower_bound"], got["prediction_interval_lower_bound"])
    assert (got["standard_error"] > 0).all() and (np.diff(got["standard_error"]) >= 0).all()


def test_defaults_are_three_steps_at_95_percent(model):
    default = sd.query(model, "SELECT * FROM ML.FORECAST(MODEL m) ORDER BY forecast_timestamp")
    explicit = sd.query(
        model, "SELECT * FROM ML.FORECAST(MODEL m, STRUCT(3 AS horizon, 0.95 AS confidence_level)) ORDER BY 1"
    )
    assert len(default["forecast_value"]) == 3
    assert (default["confidence_level"] == 0.95).all()
    for name in ("forecast_value", "standard_error", "prediction_interval_lower_bound"):
        np.testing.assert_array_equal(default[name], explicit[name])
    half = sd.z(0.95) * default["standard_error"]
    np.testing.assert_allclose(default["prediction_interval_upper_bound"], default["forecast_value"] + half)


@pytest.mark.parametrize(("low", "high"), [(0.0, None), (None, 30.0), (0.0, 30.0)], ids=["lower", "upper", "both"])
def test_forecast_limits_hold(tmp_path, low, high):
    rng = np.random.default_rng(4)
    # a series falling towards 0 and rising towards 30 near its end: unlimited forecasts would cross the limits
    y = np.concatenate([np.linspace(15, 1, 40), np.linspace(1, 28, 40)]) + rng.uniform(-0.5, 0.5, 80)
    y = np.clip(y, 0.2, 29.8)
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": sd.days(80), "y": y})
    limits = ", ".join(
        f"forecast_limit_{side}_bound={value}" for side, value in (("lower", low), ("upper", high)) if value is not None
    )
    sd.create_model(cur, "m", "t", f"horizon=40, {limits}")
    got = sd.query(cur, "SELECT * FROM ML.FORECAST(MODEL m, STRUCT(40 AS horizon, 0.99 AS confidence_level))")
    for name in ("forecast_value", "prediction_interval_lower_bound", "prediction_interval_upper_bound"):
        assert np.isfinite(got[name]).all()
        if low is not None:
            assert (got[name] > low).all(), name
        if high is not None:
            assert (got[name] < high).all(), name
    explained = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m, STRUCT(40 AS horizon))")
    forecast = explained["time_series_type"] == "forecast"
    inside = explained["prediction_interval_lower_bound"][forecast]
    assert (low is None or (inside > low).all()) and np.isfinite(inside).all()
