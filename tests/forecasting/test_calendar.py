"""A series' calendar through SQL: the data frequency inferred from its timestamps (forecast timestamps step by
it; monthly, quarterly and yearly steps keep the day of the month, clipped to short months), missing timestamps
and NULL values linearly interpolated, and DATE, TIMESTAMP and TIMESTAMPTZ time columns.
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from tests.forecasting import series_data as sd


def months_from(year: int, month: int, day: int, n: int, step: int) -> list[dt.datetime]:
    """n dates `step` months apart from year-month, each on `day` or its month's last day if shorter."""
    out = []
    for i in range(n):
        y, m = divmod(month - 1 + i * step, 12)
        y, m = year + y, m + 1
        out.append(dt.datetime(y, m, min(day, calendar.monthrange(y, m)[1])))
    return out


def fixed_from(start: dt.datetime, n: int, step: dt.timedelta) -> list[dt.datetime]:
    return [start + i * step for i in range(n)]


START = dt.datetime(2020, 1, 31, 6, 30)
CASES = {
    "minute": lambda n: fixed_from(START, n, dt.timedelta(minutes=1)),
    "hourly": lambda n: fixed_from(START, n, dt.timedelta(hours=1)),
    "daily": lambda n: fixed_from(START, n, dt.timedelta(days=1)),
    "weekly": lambda n: fixed_from(START, n, dt.timedelta(weeks=1)),
    "monthly": lambda n: months_from(2020, 1, 31, n, 1),
    "quarterly": lambda n: months_from(2019, 8, 31, n, 3),
    "yearly": lambda n: months_from(2000, 2, 29, n, 12),
}


def _forecast_times(cur, horizon: int) -> list:
    got = sd.query(cur, f"SELECT forecast_timestamp FROM ML.FORECAST(MODEL m, STRUCT({horizon} AS horizon)) ORDER BY 1")
    return list(got["forecast_timestamp"])


@pytest.mark.parametrize("frequency", list(CASES))
def test_frequency_inferred_from_timestamps(tmp_path, frequency):
    n, horizon = 24, 5
    times = CASES[frequency](n + horizon)
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": pa.array(times[:n], pa.timestamp("us")), "y": sd.random_walk(n, 3)})
    sd.create_model(cur, "m", "t", "horizon=10")
    assert _forecast_times(cur, horizon) == times[n:]


def test_monthly_keeps_the_day_after_a_clipped_last_month(tmp_path):
    """A history ending on a clipped day (Feb 28) forecasts on the first day of the month again (Mar 31), and
    Feb 29 in a leap year."""
    times = months_from(2022, 1, 31, 30, 1)  # 2022-01-31 ... 2024-06-30
    n = times.index(dt.datetime(2023, 2, 28)) + 1
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": pa.array(times[:n], pa.timestamp("us")), "y": sd.random_walk(n, 4)})
    sd.create_model(cur, "m", "t", "horizon=12, data_frequency='MONTHLY'")
    expected = times[n : n + 12]
    assert expected[0] == dt.datetime(2023, 3, 31) and dt.datetime(2024, 2, 29) in expected
    assert _forecast_times(cur, 12) == expected


def test_missing_timestamps_and_nulls_are_interpolated(tmp_path):
    n = 40
    every = sd.days(n)
    y = sd.random_walk(n, 6)
    missing = np.array([5, 6, 7, 20])  # rows left out
    null = np.array([12, 30, 31])  # rows with a NULL value
    kept = np.setdiff1d(np.arange(n), missing)
    values = pa.array(y[kept], mask=np.isin(kept, null))
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": every[kept], "y": values})
    sd.create_model(cur, "m", "t", "horizon=3, clean_spikes_and_dips=FALSE, adjust_step_changes=FALSE")
    history = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY 1")
    assert [t.date() for t in history["time_series_timestamp"]] == every.astype(dt.date).tolist()
    known = np.setdiff1d(np.arange(n), np.concatenate([missing, null]))
    expected = np.interp(np.arange(n), known, y[known])
    np.testing.assert_allclose(history["time_series_data"], expected, rtol=1e-12)
    # by hand: day 6 lies between day 4 and day 8, two steps from each
    assert history["time_series_data"][6] == pytest.approx((y[4] + y[8]) / 2)


@pytest.mark.parametrize("kind", ["DATE", "TIMESTAMP", "TIMESTAMPTZ"])
def test_time_column_types(tmp_path, kind):
    n = 30
    y = sd.random_walk(n, 7)
    start = dt.datetime(2021, 3, 1)
    times = {
        "DATE": pa.array(sd.days(n, "2021-03-01")),
        "TIMESTAMP": pa.array(fixed_from(start, n, dt.timedelta(days=1)), pa.timestamp("us")),
        "TIMESTAMPTZ": pa.array(
            fixed_from(start.replace(tzinfo=dt.UTC), n, dt.timedelta(days=1)), pa.timestamp("us", tz="UTC")
        ),
    }[kind]
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": times, "y": y})
    cur.execute("SELECT typeof(d) FROM t LIMIT 1")
    assert cur.fetchone()[0] == {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}.get(kind, kind)
    sd.create_model(cur, "m", "t", "horizon=3, seasonalities=['NO_SEASONALITY'], clean_spikes_and_dips=FALSE")
    got = _forecast_times(cur, 3)
    expected = fixed_from(start + dt.timedelta(days=n), 3, dt.timedelta(days=1))
    if kind == "TIMESTAMPTZ":
        assert all(t.tzinfo is not None for t in got)
        expected = [t.replace(tzinfo=dt.UTC) for t in expected]
    assert got == expected
    reference = sd.arima_forecast(sd.auto_arima(y), 3, 0.95)
    value = sd.query(cur, "SELECT forecast_value FROM ML.FORECAST(MODEL m) ORDER BY forecast_timestamp")
    np.testing.assert_allclose(value["forecast_value"], reference["mean"], rtol=1e-9)


def test_month_ends_stay_month_ends(tmp_path):
    """Monthly data on the last day of each month, starting in February: the history keeps its own timestamps and
    the forecast goes on on month ends (Feb 29 in a leap year), where ML.EVALUATE finds the actual rows."""
    every = months_from(2023, 2, 31, 20, 1)  # 2023-02-28, 2023-03-31, ..., 2024-09-30
    n = 12
    y = sd.random_walk(20, 5)
    cur = sd.connect(tmp_path)
    sd.load(cur, tmp_path, "t", {"d": pa.array(every, pa.timestamp("us")), "y": y})
    cur.execute(f"CREATE TABLE train AS SELECT * FROM t ORDER BY d LIMIT {n}")
    sd.create_model(cur, "m", "train", "horizon=8, seasonalities=['NO_SEASONALITY']")
    history = sd.query(cur, "SELECT * FROM ML.EXPLAIN_FORECAST(MODEL m) WHERE time_series_type = 'history' ORDER BY 1")
    assert list(history["time_series_timestamp"]) == every[:n]
    assert _forecast_times(cur, 8) == every[n:]
    assert dt.datetime(2024, 2, 29) in every[n:]
    rows = sd.query(cur, "SELECT * FROM ML.EVALUATE(MODEL m, TABLE t, STRUCT(FALSE AS perform_aggregation)) ORDER BY d")
    assert np.isfinite(rows["forecasted_y"][n:]).all() and np.isnan(rows["forecasted_y"][:n]).all()
