"""ML.EVALUATE with input rows and ML.DETECT_ANOMALIES of an ARIMA_PLUS model, recomputed with numpy and scipy
from ML.FORECAST's own columns and the actual values.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-evaluate
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-detect-anomalies
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from tests.forecasting import series_data as sd

N, H = 80, 10
OFF = 6  # the new row injected far off


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("evaluate")
    y = sd.random_walk(N + H, 31)
    y[N + OFF] += 40.0
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": sd.days(N + H), "y": y})
    cur.execute(f"CREATE TABLE train AS SELECT * FROM t ORDER BY d LIMIT {N}")
    sd.create_model(cur, "m", "train", f"horizon={H}, seasonalities=['NO_SEASONALITY']")
    return cur


def _forecast(cur, confidence: float = 0.95) -> dict:
    return sd.query(
        cur,
        f"SELECT * FROM ML.FORECAST(MODEL m, STRUCT({H} AS horizon, {confidence} AS confidence_level)) ORDER BY 1",
    )


def _actual(cur) -> np.ndarray:
    return sd.query(cur, "SELECT y FROM t ORDER BY d")["y"]


def test_aggregated_metrics(cur):
    y = _actual(cur)
    f = _forecast(cur)["forecast_value"]
    got = sd.query(
        cur, f"SELECT * FROM ML.EVALUATE(MODEL m, TABLE t, STRUCT(TRUE AS perform_aggregation, {H} AS horizon))"
    )
    error = y[N:] - f
    scale = np.mean(np.abs(np.diff(y[:N])))  # the in-sample one-step naive forecast's MAE
    expected = {
        "mean_absolute_error": np.mean(np.abs(error)),
        "mean_squared_error": np.mean(error**2),
        "root_mean_squared_error": np.sqrt(np.mean(error**2)),
        "mean_absolute_percentage_error": 100 * np.mean(np.abs(error / y[N:])),
        "symmetric_mean_absolute_percentage_error": 100 * np.mean(2 * np.abs(error) / (np.abs(y[N:]) + np.abs(f))),
        "mean_absolute_scaled_error": np.mean(np.abs(error)) / scale,
    }
    assert set(got) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], [value], rtol=1e-9, err_msg=name)
    shorter = sd.query(cur, "SELECT mean_absolute_error FROM ML.EVALUATE(MODEL m, TABLE t, STRUCT(4 AS horizon))")
    np.testing.assert_allclose(shorter["mean_absolute_error"], [np.mean(np.abs(error[:4]))], rtol=1e-9)


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_per_row(cur, confidence):
    y = _actual(cur)
    f = _forecast(cur, confidence)
    level = "" if confidence == 0.95 else f", {confidence} AS confidence_level"
    got = sd.query(
        cur, f"SELECT * FROM ML.EVALUATE(MODEL m, TABLE t, STRUCT(FALSE AS perform_aggregation{level})) ORDER BY d"
    )
    assert list(got) == [
        "d",
        "y",
        "forecasted_y",
        "lower_bound",
        "upper_bound",
        "absolute_error",
        "absolute_percentage_error",
    ]
    np.testing.assert_array_equal(got["y"], y)
    for name in list(got)[2:]:
        assert np.isnan(got[name][:N]).all(), name  # history rows
    np.testing.assert_allclose(got["forecasted_y"][N:], f["forecast_value"], rtol=1e-12)
    np.testing.assert_allclose(got["lower_bound"][N:], f["prediction_interval_lower_bound"], rtol=1e-12)
    np.testing.assert_allclose(got["upper_bound"][N:], f["prediction_interval_upper_bound"], rtol=1e-12)
    error = np.abs(y[N:] - f["forecast_value"])
    np.testing.assert_allclose(got["absolute_error"][N:], error, rtol=1e-12)
    np.testing.assert_allclose(got["absolute_percentage_error"][N:], 100 * error / np.abs(y[N:]), rtol=1e-12)


@pytest.mark.parametrize("threshold", [None, 0.8, 0.999])
def test_anomalies_in_new_rows(cur, threshold):
    y = _actual(cur)
    f = _forecast(cur)
    struct = "" if threshold is None else f"STRUCT({threshold} AS anomaly_prob_threshold), "
    got = sd.query(
        cur,
        f"SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, {struct}(SELECT * FROM t WHERE d > (SELECT max(d) FROM train))) ORDER BY d",
    )
    threshold = 0.95 if threshold is None else threshold  # BigQuery ML's default
    assert list(got) == ["d", "y", "is_anomaly", "lower_bound", "upper_bound", "anomaly_probability"]
    np.testing.assert_array_equal(got["y"], y[N:])
    value, se = f["forecast_value"], f["standard_error"]
    probability = 2 * norm.cdf(np.abs(y[N:] - value) / se) - 1
    np.testing.assert_allclose(got["anomaly_probability"], probability, rtol=1e-9)
    np.testing.assert_allclose(got["lower_bound"], value - sd.z(threshold) * se, rtol=1e-12)
    np.testing.assert_allclose(got["upper_bound"], value + sd.z(threshold) * se, rtol=1e-12)
    assert got["is_anomaly"].tolist() == (probability > threshold).tolist()
    assert got["is_anomaly"][OFF]


def test_anomalies_in_history(tmp_path):
    y = sd.weekly(120, 32)
    y[60] += 25.0
    cur = sd.daily_model(tmp_path, y, "horizon=3")
    got = sd.query(cur, "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m) ORDER BY d")
    assert len(got["d"]) == 120
    np.testing.assert_allclose(got["y"], y, rtol=1e-12)
    assert got["is_anomaly"][60]
    assert got["is_anomaly"].sum() <= 12  # about 5% of ordinary points at the default threshold 0.95
    inside = (got["lower_bound"] <= got["y"]) & (got["y"] <= got["upper_bound"])
    np.testing.assert_array_equal(~inside, got["is_anomaly"].astype(bool))
