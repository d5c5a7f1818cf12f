"""Many series in one ARIMA_PLUS model: each series' forecast equals that of a model trained on the series alone
(the reference: one single-series CREATE MODEL per series), whatever its ids (INTEGER, VARCHAR, two columns, NULL),
whether the series are fitted by worker processes or in the statement's process, and wherever the Arrow batches
cut the series. A series that cannot be fitted keeps its error_message (ML.ARIMA_EVALUATE) and the model trains
without it (https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-arima-evaluate);
CREATE MODEL reports its series as progress, streams them to the workers, and stops when interrupted.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sqlml.engine.families import validate_options
from sqlml.engine.forecasting import training, workers
from sqlml.engine.session import Session
from sqlml.errors import Cancelled, DataError, OperationalError
from sqlml.shell.progress import ProgressBar
from tests.engine.reference import fails, snapshot
from tests.forecasting.many_series_data import BASE, count_reading, forecast, interrupted, rows, series_sql

HORIZON = 4


@pytest.fixture
def session():
    opened = Session()
    yield opened
    opened.close()


def _condition(names: list[str], values: tuple) -> str:
    return " AND ".join(
        f"{name} IS NOT DISTINCT FROM {'NULL' if v is None else repr(v)}" for name, v in zip(names, values)
    )


def _assert_each_series_as_alone(session, names: list[str], keys: list[tuple]) -> None:
    """Every series' ML.FORECAST of model m equals that of a model trained on the series alone."""
    for key in keys:
        where = _condition(names, key)
        session.cursor().execute(
            f"CREATE OR REPLACE MODEL alone OPTIONS({BASE}, horizon={HORIZON}) AS SELECT d, y FROM t WHERE {where}"
        )
        expected = forecast(session, "alone", HORIZON)
        assert expected.shape == (HORIZON, 6)
        np.testing.assert_allclose(forecast(session, "m", HORIZON, where), expected, rtol=1e-9, atol=1e-9)


def test_forty_series_in_workers_match_each_alone_and_a_failing_series_is_reported(session):
    session.cursor().execute(f"CREATE TABLE t AS {series_sql(40, 30)}")
    session.cursor().execute("INSERT INTO t SELECT 99, d, y, r FROM t WHERE sid = 0 AND d < '2024-01-03'")
    reports = []
    session.on_progress = lambda *report: reports.append(report)
    session.cursor().execute(
        f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid', horizon={HORIZON}) AS SELECT sid, d, y FROM t"
    )
    assert 41 >= training.PARALLEL_SERIES  # fitted by the worker processes
    done = [report[1] for report in reports]
    assert {(task, total) for task, _, total in reports} == {("series", 41)}
    assert done == sorted(done) and done[-1] == 41 and len(done) > 1

    session.on_progress = None
    evaluated = rows(session, "SELECT * FROM ML.ARIMA_EVALUATE(MODEL m) WHERE sid = 99")
    assert len(evaluated) == 1 and evaluated[0][-1] == (
        "the time series sid = 99 has 2 value(s) over 2 time step(s); forecasting needs at least 3 steps"
    )
    assert evaluated[0][1:-1] == (None,) * (len(evaluated[0]) - 2)
    assert rows(session, "SELECT count(*) FROM ML.ARIMA_EVALUATE(MODEL m) WHERE error_message IS NULL") == [(40,)]
    assert rows(session, "SELECT count(*) FROM ML.FORECAST(MODEL m) WHERE sid = 99") == [(0,)]
    assert rows(session, "SELECT count(DISTINCT sid) FROM ML.FORECAST(MODEL m)") == [(40,)]
    # series from the first, second, a middle and the last task of 8 series: fitted as alone
    _assert_each_series_as_alone(session, ["sid"], [(0,), (8,), (21,), (39,)])


ID_KINDS = {
    "integer": ("CAST(s AS INTEGER) AS sid", "'sid'", ["sid"]),
    "varchar": ("'store ' || s AS sid", "'sid'", ["sid"]),
    "two columns": ("s % 2 AS a, CAST(s // 2 AS VARCHAR) AS b", "['a', 'b']", ["a", "b"]),
    "null ids": ("CASE WHEN s > 0 THEN s END AS sid", "'sid'", ["sid"]),
    "null in one of two": ("CASE WHEN s % 2 = 1 THEN 'odd' END AS a, s // 2 AS b", "['a', 'b']", ["a", "b"]),
}


@pytest.mark.parametrize(
    "ids, option, names, parallel",
    [(*kind, True) for kind in ID_KINDS.values()] + [(*ID_KINDS["null in one of two"], False)],
    ids=[*ID_KINDS, "in process"],
)
def test_series_ids_and_batches_cutting_series(session, monkeypatch, ids, option, names, parallel):
    """Five series of 25 rows read in batches of 7 rows: most series start or end inside a batch. The first,
    third and fifth series are compared with models of their own."""
    monkeypatch.setattr(training, "BATCH_ROWS", 7)
    monkeypatch.setattr(training, "CHUNK_SERIES", 2)
    monkeypatch.setattr(training, "PARALLEL_SERIES", 2 if parallel else 100)
    session.cursor().execute(f"CREATE TABLE t AS {series_sql(5, 25, ids)}")
    session.cursor().execute(
        f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col={option}, horizon={HORIZON}) AS "
        f"SELECT {', '.join(names)}, d, y FROM t"
    )
    keys = rows(session, f"SELECT DISTINCT {', '.join(names)} FROM t ORDER BY ALL")
    assert len(keys) == 5
    assert rows(session, f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(names)} FROM ML.FORECAST(MODEL m))") == [
        (5,)
    ]
    _assert_each_series_as_alone(session, names, keys[::2])


def test_every_series_failing_fails_the_statement_and_changes_nothing(session, monkeypatch):
    monkeypatch.setattr(training, "PARALLEL_SERIES", 2)  # in the workers
    session.cursor().execute(f"CREATE TABLE t AS {series_sql(6, 2)}")
    fails(
        session,
        f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid') AS SELECT sid, d, y FROM t",
        DataError,
        "none of the 6 time series could be fitted; the first: the time series sid = 0 has 2 value(s)",
    )


def test_series_are_fitted_as_they_are_read(session, monkeypatch):
    """The workers get series before the reader has read them all, and the series read but not yet fitted stay
    within the tasks handed out ahead (2 per worker and one more): the rows of every series are never all held."""
    monkeypatch.setattr(training, "BATCH_ROWS", 16)
    monkeypatch.setattr(training, "CHUNK_SERIES", 2)
    monkeypatch.setattr(training, "PARALLEL_SERIES", 2)
    read, ahead = count_reading(monkeypatch, session)
    most = (2 * workers.size() + 1) * training.CHUNK_SERIES  # the series of the tasks handed out ahead
    n = 2 * most + 2
    session.cursor().execute(f"CREATE TABLE t AS {series_sql(n, 12)}")
    session.cursor().execute(f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid') AS SELECT sid, d, y FROM t")
    assert read[0] == n and ahead[-1] == (n, n)
    assert ahead[0][0] < n  # the first chunk was fitted before the last series was read
    assert max(reading - done for reading, done in ahead) <= most


def test_the_shell_progress_bar_counts_the_series(session, tmp_path):
    with open(tmp_path / "terminal", "w+", encoding="utf-8", newline="") as terminal:
        session.on_progress = ProgressBar(terminal)
        session.cursor().execute(f"CREATE TABLE t AS {series_sql(3, 20)}")
        session.cursor().execute(f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid') AS SELECT sid, d, y FROM t")
        terminal.seek(0)
        drawn = terminal.read()
    assert drawn.endswith(f"\rseries [{'█' * 30}] 3/3\x1b[K")


def test_interrupt_stops_many_series_and_workers_serve_the_next_statement(session, monkeypatch):
    monkeypatch.setattr(training, "CHUNK_SERIES", 2)
    monkeypatch.setattr(training, "PARALLEL_SERIES", 2)
    session.cursor().execute(f"CREATE TABLE t AS {series_sql(20, 20)}")
    before = snapshot(session)
    sql = f"CREATE MODEL m OPTIONS({BASE}, time_series_id_col='sid', horizon={HORIZON}) AS SELECT sid, d, y FROM t"
    outcome = interrupted(session, sql)
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
    assert snapshot(session) == before

    session.on_progress = None
    session.cursor().execute(sql)
    assert rows(
        session, f"SELECT count(DISTINCT sid), count(*) FROM ML.FORECAST(MODEL m, STRUCT({HORIZON} AS horizon))"
    ) == [(20, 20 * HORIZON)]


def test_a_worker_process_that_dies_fails_its_task_and_is_replaced():
    """A worker process that ends in the middle of a task: the task fails with an OperationalError, and a new
    process serves the next task."""
    pool = workers.Pool(1)
    dying = subprocess.Popen(  # alive until it has read the task's first bytes
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read(8)"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    pool.idle.queue[0].process = dying
    days = np.arange("2024-01-01", "2024-01-08", dtype="datetime64[D]").astype("datetime64[us]")
    task = workers.pack([{"name": "the time series", "times": days, "values": np.arange(7.0), "regressors": None}])
    options = json.dumps(
        validate_options({"model_type": "ARIMA_PLUS", "time_series_timestamp_col": "d", "time_series_data_col": "y"})
    )
    try:
        with pytest.raises(OperationalError, match="a forecasting worker process ended unexpectedly"):
            pool.submit(task, options).result()
        assert dying.wait() == 0
        fitted = workers.unpack(pool.submit(task, options).result())
        assert fitted.num_rows == 1 and fitted.column("error_message")[0].as_py() is None
    finally:
        pool.threads.shutdown()
        for worker in pool.idle.queue:
            worker.process.stdin.close()  # the worker's loop ends with its input
            worker.process.wait()
