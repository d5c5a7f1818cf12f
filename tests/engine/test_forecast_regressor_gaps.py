"""ML.FORECAST of an ARIMA_PLUS_XREG model when the future rows skip a timestamp inside their span (as a shop
closed on Sundays does, in BigQuery ML's multiple series ARIMA_PLUS_XREG tutorial,
https://cloud.google.com/bigquery/docs/arima-plus-xreg-multiple-time-series-forecasting-tutorial): the skipped
step's regressors are the linear interpolation of its neighbours' (computed by hand here), as CREATE MODEL fills
missing steps; a step after the input's last row, or a NULL regressor, is a DataError."""

from __future__ import annotations

import pytest

import sqlml
from sqlml.errors import DataError

FORECAST = (
    "SELECT forecast_timestamp, forecast_value FROM ML.FORECAST(MODEL m, STRUCT(4 AS horizon), "
    "(SELECT d, x FROM future WHERE {where})) ORDER BY forecast_timestamp"
)


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    con = sqlml.connect(str(tmp_path_factory.mktemp("gaps") / "gaps.duckdb"))
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE history AS SELECT DATE '2024-01-01' + i::INT AS d, (i * 37 % 11)::DOUBLE AS x, "
        "50 + 3 * (i * 37 % 11) + 0.1 * i + sin(i) AS y FROM range(60) t(i)"
    )
    cur.execute(
        "CREATE TABLE future AS SELECT DATE '2024-03-01' + i::INT AS d, [2.0, 8.0, 5.0, 1.0, 4.0][i + 1] AS x "
        "FROM range(5) t(i)"
    )
    cur.execute(
        "CREATE MODEL m OPTIONS (model_type = 'arima_plus_xreg', time_series_timestamp_col = 'd', "
        "time_series_data_col = 'y', horizon = 10) AS SELECT d, y, x FROM history"
    )
    yield cur
    con.close()


def test_a_skipped_step_takes_its_neighbours_interpolated_regressors(cur):
    cur.execute(FORECAST.format(where="d <> DATE '2024-03-02'"))
    skipped = cur.fetchall()
    cur.execute("UPDATE future SET x = (2.0 + 5.0) / 2 WHERE d = DATE '2024-03-02'")  # by hand: halfway
    cur.execute(FORECAST.format(where="TRUE"))
    explicit = cur.fetchall()
    cur.execute("UPDATE future SET x = 8.0 WHERE d = DATE '2024-03-02'")
    assert [t for t, _ in skipped] == [t for t, _ in explicit]
    assert [v for _, v in skipped] == pytest.approx([v for _, v in explicit], rel=1e-12)


def test_a_step_after_the_last_row_is_a_data_error(cur):
    with pytest.raises(DataError, match="no row for the time series at 2024-03-04"):
        cur.execute(FORECAST.format(where="d < DATE '2024-03-04'"))


def test_a_null_regressor_is_a_data_error(cur):
    with pytest.raises(DataError, match="must not be NULL"):
        cur.execute(FORECAST.format(where="TRUE").replace("SELECT d, x", "SELECT d, NULLIF(x, 5.0) AS x"))
