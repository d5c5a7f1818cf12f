"""A model of several series (time_series_id_col): each series is its own forecast (== statsforecast on that
series alone), rows carry the series' id first, a series too short to fit is reported by ML.ARIMA_EVALUATE and
left out of ML.FORECAST, and rows of a series the model lacks get NULLs from ML.DETECT_ANOMALIES.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from tests.forecasting import series_data as sd

LENGTHS = {"a": 50, "b": 70, "c": 2}  # c: too short to forecast


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("many")
    ids, d, y = [], [], []
    for seed, (key, n) in enumerate(LENGTHS.items()):
        ids += [key] * n
        d.append(sd.days(n, f"2021-0{seed + 1}-01"))
        y.append(sd.random_walk(n, 40 + seed))
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"k": pa.array(ids), "d": np.concatenate(d), "y": np.concatenate(y)})
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='ARIMA_PLUS', time_series_id_col='k', time_series_timestamp_col='d', "
        "time_series_data_col='y', horizon=4, seasonalities=['NO_SEASONALITY'], clean_spikes_and_dips=FALSE, "
        "adjust_step_changes=FALSE, interval_backtest_windows=0) AS SELECT * FROM t"
    )
    return cur


def _series(cur, key: str) -> np.ndarray:
    return sd.query(cur, f"SELECT y FROM t WHERE k = '{key}' ORDER BY d")["y"]


def test_each_series_is_its_own_forecast(cur):
    got = sd.query(cur, "SELECT * FROM ML.FORECAST(MODEL m, STRUCT(4 AS horizon)) ORDER BY k, forecast_timestamp")
    assert list(got)[:2] == ["k", "forecast_timestamp"]
    assert got["k"].tolist() == ["a"] * 4 + ["b"] * 4
    for key in ("a", "b"):
        expected = sd.arima_forecast(sd.auto_arima(_series(cur, key)), 4, 0.95)
        mine = got["k"] == key
        np.testing.assert_allclose(got["forecast_value"][mine], expected["mean"], rtol=1e-9)
        np.testing.assert_allclose(got["standard_error"][mine], expected["se"], rtol=1e-7)


def test_a_series_too_short_is_reported(cur):
    evaluated = sd.query(cur, "SELECT k, error_message, non_seasonal_p FROM ML.ARIMA_EVALUATE(MODEL m) ORDER BY k")
    assert evaluated["k"].tolist() == ["a", "b", "c"]
    assert evaluated["error_message"][0] is None and evaluated["error_message"][1] is None
    assert "k = 'c'" in evaluated["error_message"][2] and "at least 3 steps" in evaluated["error_message"][2]
    assert np.isnan(evaluated["non_seasonal_p"][2])
    explained = sd.query(cur, "SELECT k, count(*) AS n FROM ML.EXPLAIN_FORECAST(MODEL m) GROUP BY k ORDER BY k")
    assert explained["k"].tolist() == ["a", "b"]
    assert explained["n"].tolist() == [50 + 3, 70 + 3]


def test_anomalies_of_an_unknown_series_are_null(cur):
    cur.execute(
        "CREATE TABLE new AS SELECT 'a' AS k, DATE '2021-01-01' + 50 AS d, 1000.0 AS y "
        "UNION ALL SELECT 'zz', DATE '2021-01-01' + 50, 1.0"
    )
    got = sd.query(cur, "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, TABLE new) ORDER BY k")
    assert list(got)[:3] == ["k", "d", "y"]
    assert got["is_anomaly"].tolist() == [True, None]
    assert np.isnan(got["anomaly_probability"][1]) and np.isnan(got["lower_bound"][1])
