"""Many-series forecasting on the cluster: CREATE MODEL of ARIMA_PLUS / ARIMA_PLUS_XREG with time_series_id_col
fits its groups of series as Dask tasks on the workers. The model equals the one fitted in this process
(compute='LOCAL', itself checked series by series against single-series models in tests/forecasting): its
ML.ARIMA_EVALUATE rows, a failing series' error_message included
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-evaluate), and its ML.FORECAST
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast). The version records the
cluster; groups are streamed, a bounded number ahead; an interrupt stops the statement; compute='CLUSTER' without a
cluster is refused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from distributed import get_task_stream

import sqlml
from sqlml.engine.forecasting import training
from tests.engine.reference import fails, snapshot
from tests.forecasting.many_series_data import BASE, count_reading, interrupted, rows, series_sql

HORIZON = 5
MANY = f"{BASE}, time_series_id_col='sid', horizon={HORIZON}"


def _client(con):
    return con._session.cluster().client


def _forecasts(con, model: str, future: str = "") -> np.ndarray:
    return np.array(
        rows(
            con,
            f"SELECT sid, forecast_value, standard_error, prediction_interval_lower_bound, "
            f"prediction_interval_upper_bound FROM ML.FORECAST(MODEL {model}, STRUCT({HORIZON} AS horizon, 0.8 AS "
            f"confidence_level){future}) ORDER BY sid, forecast_timestamp",
        ),
        dtype=float,
    )


def _evaluated(con, model: str) -> list[tuple]:
    return rows(con, f"SELECT * FROM ML.ARIMA_EVALUATE(MODEL {model}) ORDER BY sid")


def _assert_same_rows(got: list[tuple], expected: list[tuple]) -> None:
    """Equal rows, their floats within 1e-9."""
    assert len(got) == len(expected)
    for row, want in zip(got, expected):
        assert [v for v in row if not isinstance(v, float)] == [v for v in want if not isinstance(v, float)]
        floats = [v for v in row if isinstance(v, float)]
        np.testing.assert_allclose(floats, [v for v in want if isinstance(v, float)], rtol=1e-9, atol=1e-9)


def _lineage(con, model: str) -> dict | None:
    (found,) = rows(con, f"SELECT compute FROM sqlml.model_versions WHERE model_name = '{model}'")
    return found[0] and json.loads(found[0])


def test_forty_series_fitted_on_the_workers_equal_the_local_model(cluster_con):
    cur = cluster_con.cursor()
    cur.execute(f"CREATE TABLE t AS {series_sql(40, 30)}")
    cur.execute("INSERT INTO t SELECT 99, d, y, r FROM t WHERE sid = 0 AND d < '2024-01-03'")  # too short to fit
    reports = []
    cluster_con._session.on_progress = lambda *report: reports.append(report)
    with get_task_stream(_client(cluster_con)) as stream:
        cur.execute(f"CREATE MODEL m OPTIONS({MANY}) AS SELECT sid, d, y FROM t")
    cluster_con._session.on_progress = None
    cur.execute(f"CREATE MODEL here OPTIONS({MANY}, compute='LOCAL') AS SELECT sid, d, y FROM t")

    groups = -(-41 // training.CHUNK_SERIES)
    assert [task["key"].startswith("fit_chunk") for task in stream.data] == [True] * groups
    assert {task["worker"] for task in stream.data} == set(_client(cluster_con).scheduler_info()["workers"])
    done = [report[1] for report in reports]
    assert {(task, total) for task, _, total in reports} == {("series", 41)} and done == sorted(done)
    assert done[-1] == 41
    assert _lineage(cluster_con, "m") == {
        "compute": "cluster",
        "scheduler": cluster_con._session.cluster_setting.address,
        "workers": 2,
    }
    assert _lineage(cluster_con, "here") is None

    evaluated, expected = _evaluated(cluster_con, "m"), _evaluated(cluster_con, "here")
    assert len(evaluated) == 41
    _assert_same_rows(evaluated, expected)
    assert evaluated[-1][0] == 99 and evaluated[-1][-1] == (
        "the time series sid = 99 has 2 value(s) over 2 time step(s); forecasting needs at least 3 steps"
    )
    forecasts = _forecasts(cluster_con, "m")
    assert forecasts.shape == (40 * HORIZON, 5)
    np.testing.assert_allclose(forecasts, _forecasts(cluster_con, "here"), rtol=1e-9, atol=1e-9)


def test_xreg_series_on_the_workers_equal_the_local_model(cluster_con):
    cur = cluster_con.cursor()
    cur.execute(f"CREATE TABLE t AS {series_sql(20, 30 + HORIZON)}")
    train = "SELECT sid, d, y, r FROM t WHERE d < DATE '2024-01-31'"
    future = ", (SELECT sid, d, r FROM t WHERE d >= DATE '2024-01-31')"
    xreg = MANY.replace("'ARIMA_PLUS'", "'ARIMA_PLUS_XREG'")
    cur.execute(f"CREATE MODEL m OPTIONS({xreg}) AS {train}")
    cur.execute(f"CREATE MODEL here OPTIONS({xreg}, compute='LOCAL') AS {train}")

    assert _lineage(cluster_con, "m")["workers"] == 2
    weights = "SELECT sid, processed_input, weight FROM ML.ARIMA_COEFFICIENTS(MODEL {}) ORDER BY ALL"
    assert len(rows(cluster_con, weights.format("m"))) == 20 * 2  # the intercept and r, per series
    _assert_same_rows(rows(cluster_con, weights.format("m")), rows(cluster_con, weights.format("here")))
    forecasts = _forecasts(cluster_con, "m", future)
    assert forecasts.shape == (20 * HORIZON, 5)
    np.testing.assert_allclose(forecasts, _forecasts(cluster_con, "here", future), rtol=1e-9, atol=1e-9)


def test_groups_go_to_the_cluster_as_they_are_read(cluster_con, monkeypatch):
    """The workers get groups before the reader has read every series, and the series read but not yet fitted
    stay within the groups handed out ahead (2 per worker and one more)."""
    monkeypatch.setattr(training, "BATCH_ROWS", 16)
    monkeypatch.setattr(training, "CHUNK_SERIES", 2)
    read, ahead = count_reading(monkeypatch, cluster_con._session)
    most = (2 * 2 + 1) * training.CHUNK_SERIES
    n = 2 * most + 2
    cur = cluster_con.cursor()
    cur.execute(f"CREATE TABLE t AS {series_sql(n, 12)}")
    cur.execute(f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid') AS SELECT sid, d, y FROM t")
    assert read[0] == n and ahead[-1] == (n, n)
    assert ahead[0][0] < n
    assert max(reading - done for reading, done in ahead) <= most


def test_an_interrupt_stops_the_statement_and_the_cluster_serves_the_next(cluster_con, monkeypatch):
    monkeypatch.setattr(training, "CHUNK_SERIES", 2)
    cluster_con.cursor().execute(f"CREATE TABLE t AS {series_sql(20, 20)}")
    before = snapshot(cluster_con)
    sql = f"CREATE MODEL m OPTIONS({MANY}) AS SELECT sid, d, y FROM t"
    outcome = interrupted(cluster_con._session, sql)
    assert len(outcome) == 1 and isinstance(outcome[0], sqlml.Cancelled), outcome
    assert snapshot(cluster_con) == before

    cluster_con.cursor().execute(sql)
    assert rows(
        cluster_con, f"SELECT count(DISTINCT sid), count(*) FROM ML.FORECAST(MODEL m, STRUCT({HORIZON} AS horizon))"
    ) == [(20, 20 * HORIZON)]


def test_a_group_the_workers_cannot_fit_is_an_operational_error(cluster_con):
    group = cluster_con._session.cluster().fit_series(b"not Arrow IPC", "{}")
    with pytest.raises(sqlml.OperationalError, match="fitting a group of series on the cluster failed"):
        group.result()


def test_compute_cluster_without_a_cluster_is_refused():
    con = sqlml.connect()
    con.cursor().execute(f"CREATE TABLE t AS {series_sql(3, 12)}")
    fails(
        con,
        f"CREATE MODEL m OPTIONS({MANY}, compute='CLUSTER') AS SELECT sid, d, y FROM t",
        sqlml.ProgrammingError,
        "compute='CLUSTER' needs a cluster",
    )
    con.close()
