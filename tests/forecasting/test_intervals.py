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
    cur = sd.daily_model(tmp_path, sd.random_walk(60, 11), "horizon=12")
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
    limits = ", ".join(
        f"forecast_limit_{side}_bound={value}" for side, value in (("lower", low), ("upper", high)) if value is not None
    )
    cur = sd.daily_model(tmp_path, y, f"horizon=40, {limits}")
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


def test_values_beyond_the_limits_are_left_out(tmp_path):
    """BigQuery ML: "all values less than or equal to the FORECAST_LIMIT_LOWER_BOUND value are excluded from
    modelling" (and likewise at or above the upper one): they are interpolated like missing values.
    https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series"""
    y = 10 + np.abs(sd.random_walk(60, 12) - 50) / 5
    y[[10, 11, 40]] = [0.0, -3.0, 99.0]  # at, below the lower limit 0; above the upper limit 50
    options = "horizon=5, forecast_limit_lower_bound=0, forecast_limit_upper_bound=50, clean_spikes_and_dips=FALSE"
    cur = sd.daily_model(tmp_path, y, options)
    history = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY 1")
    kept = np.setdiff1d(np.arange(60), [10, 11, 40])
    np.testing.assert_allclose(history["time_series_data"], np.interp(np.arange(60), kept, y[kept]), rtol=1e-12)


@pytest.mark.parametrize("threshold", [0.9, 0.99])
def test_judging_rows_under_limits_uses_the_forecast_intervals(tmp_path, threshold):
    """With forecast limits, ML.DETECT_ANOMALIES' and ML.EVALUATE's bounds are ML.FORECAST's interval at that
    level; a new value at or beyond a limit is an anomaly with probability 1."""
    n, h = 60, 6
    y = 5 + np.abs(sd.random_walk(n + h, 13) - 50) / 5
    y[n + 2] = 200.0  # beyond the upper limit
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": sd.days(n + h), "y": y})
    cur.execute(f"CREATE TABLE train AS SELECT * FROM t ORDER BY d LIMIT {n}")
    sd.create_model(cur, "m", "train", f"horizon={h}, forecast_limit_lower_bound=1, forecast_limit_upper_bound=100")
    forecast = sd.query(
        cur, f"SELECT * FROM ML.FORECAST(MODEL m, STRUCT({h} AS horizon, {threshold} AS confidence_level)) ORDER BY 1"
    )
    new = "(SELECT * FROM t WHERE d > (SELECT max(d) FROM train))"
    got = sd.query(
        cur,
        f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, STRUCT({threshold} AS anomaly_prob_threshold), {new}) ORDER BY d",
    )
    np.testing.assert_allclose(got["lower_bound"], forecast["prediction_interval_lower_bound"], rtol=1e-12)
    np.testing.assert_allclose(got["upper_bound"], forecast["prediction_interval_upper_bound"], rtol=1e-12)
    outside = (y[n:] < got["lower_bound"]) | (y[n:] > got["upper_bound"])
    assert got["is_anomaly"].tolist() == outside.tolist()
    assert got["anomaly_probability"][2] == 1.0
    rows = sd.query(
        cur,
        f"SELECT * FROM ML.EVALUATE(MODEL m, {new}, STRUCT(FALSE AS perform_aggregation, {threshold} AS confidence_level))"
        " ORDER BY d",
    )
    np.testing.assert_allclose(rows["forecasted_y"], forecast["forecast_value"], rtol=1e-12)
    np.testing.assert_allclose(rows["lower_bound"], forecast["prediction_interval_lower_bound"], rtol=1e-12)
    np.testing.assert_allclose(rows["upper_bound"], forecast["prediction_interval_upper_bound"], rtol=1e-12)
