"""Small daily series built in SQL for the forecasting tests of bad input and of many series, and helpers reading
ML.FORECAST back."""

from __future__ import annotations

import threading

import numpy as np

from sqlml.engine.forecasting import training

BASE = "model_type='ARIMA_PLUS', time_series_timestamp_col='d', time_series_data_col='y'"


def series_sql(n_series: int, steps: int, ids: str = "s AS sid") -> str:
    """`n_series` daily series of `steps` days: the id columns `ids` (SQL of s = 0, 1, ...), d (a TIMESTAMP at
    midnight), y (DOUBLE), r (a regressor); each series has its own level, trend, period and wiggle."""
    return (
        f"SELECT {ids}, DATE '2024-01-01' + INTERVAL (i) DAY AS d, "
        "10 + s + sin(i / (2.0 + s % 5)) + 0.05 * i * (s % 3) + 0.3 * cos(i * (s + 1)) AS y, "
        "0.5 * i + (s % 4) AS r "
        f"FROM range({n_series}) a(s), range({steps}) b(i)"
    )


def rows(con, sql: str) -> list[tuple]:
    cur = con.cursor()
    cur.execute(sql)
    return cur.fetchall()


def forecast(con, model: str, horizon: int, where: str = "TRUE") -> np.ndarray:
    """ML.FORECAST's numeric columns (forecast_value, standard_error, the four bounds) for the rows that satisfy
    `where`, by timestamp."""
    found = rows(
        con,
        f"SELECT forecast_value, standard_error, prediction_interval_lower_bound, prediction_interval_upper_bound, "
        f"confidence_interval_lower_bound, confidence_interval_upper_bound FROM ML.FORECAST(MODEL {model}, "
        f"STRUCT({horizon} AS horizon, 0.9 AS confidence_level)) WHERE {where} ORDER BY forecast_timestamp",
    )
    return np.array(found, dtype=float)


def count_reading(monkeypatch, session) -> tuple[list[int], list[tuple[int, int]]]:
    """([the series training has read so far], the (series read, series fitted) of each progress report) of the
    statements `session` runs next."""
    read, reports = [0], []
    series = training._series

    def counted(*args):
        for item in series(*args):
            read[0] += 1
            yield item

    monkeypatch.setattr(training, "_series", counted)
    session.on_progress = lambda task, done, total: reports.append((read[0], done))
    return read, reports


def interrupted(session, sql: str) -> list:
    """What running `sql` in a thread of its own, interrupted at its first progress report, came to: [the
    exception] or ["finished"]."""
    reported, interrupting, outcome = threading.Event(), threading.Event(), []

    def hold(task, done, total):  # the first report waits for the interrupt
        if not reported.is_set():
            reported.set()
            interrupting.wait()

    session.on_progress = hold
    cur = session.cursor()

    def create():
        try:
            cur.execute(sql)
            outcome.append("finished")
        except Exception as exc:
            outcome.append(exc)

    statement = threading.Thread(target=create)
    statement.start()
    try:
        assert reported.wait(120)
        cur.interrupt()
    finally:
        interrupting.set()
        statement.join(120)
        session.on_progress = None
    return outcome
