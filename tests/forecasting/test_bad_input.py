"""Bad input to ARIMA_PLUS / ARIMA_PLUS_XREG: each statement fails with a PEP 249 exception of sqlml.errors whose
message names the option, column or statement part at fault, and leaves the catalog (SHOW MODELS'
sqlml.model_versions and the other sqlml tables) and the user's tables unchanged (tests/engine/reference.fails
compares every row of every table before and after).

The option rules are BigQuery ML's
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-time-series,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-multivariate-time-series,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-forecast).
"""

from __future__ import annotations

import pytest

import sqlml
from sqlml.errors import DataError, NotSupportedError, ProgrammingError
from tests.engine.reference import fails
from tests.forecasting.many_series_data import BASE, series_sql

XREG = BASE.replace("'ARIMA_PLUS'", "'ARIMA_PLUS_XREG'")
ONE = "SELECT d, y FROM t WHERE sid = 0"
FUTURE = "SELECT DATE '2024-02-10' + INTERVAL (i) DAY AS d, 0.5 * i AS r FROM range(5) f(i)"


@pytest.fixture(scope="module")
def prepared():
    """Two 40-day series (t), the same with a repeated day (dup) and cut to 2 days (short); the regressor's
    next 5 days (fut); a trained ARIMA_PLUS
    (horizon 10), ARIMA_PLUS_XREG and linear_reg model."""
    con = sqlml.connect()
    cur = con.cursor()
    cur.execute(f"CREATE TABLE t AS {series_sql(2, 40)}")
    cur.execute("CREATE TABLE dup AS SELECT * FROM t UNION ALL SELECT * FROM t WHERE sid = 1 AND d = '2024-01-09'")
    cur.execute("CREATE TABLE short AS SELECT * FROM t WHERE d < '2024-01-03'")
    cur.execute(f"CREATE TABLE fut AS {FUTURE}")
    cur.execute(f"CREATE MODEL ok OPTIONS({BASE}, horizon=10) AS {ONE}")
    cur.execute(f"CREATE MODEL okx OPTIONS({XREG}, horizon=10) AS SELECT d, y, r FROM t WHERE sid = 0")
    cur.execute("CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT r, y FROM t")
    yield con
    con.close()


def create(options: str, query: str = ONE, transform: str = "") -> str:
    return f"CREATE MODEL m {transform}OPTIONS({options}) AS {query}"


CASES = [
    # the query's columns
    ("varchar time", create(BASE, "SELECT CAST(d AS VARCHAR) AS d, y FROM t"), ProgrammingError,
     ["time_series_timestamp_col 'd' is VARCHAR", "TIMESTAMP, DATE or DATETIME"]),
    ("integer time", create(BASE, "SELECT CAST(sid AS INTEGER) AS d, y FROM t"), ProgrammingError,
     ["time_series_timestamp_col 'd' is INTEGER"]),
    ("string data", create(BASE, "SELECT d, CAST(y AS VARCHAR) AS y FROM t WHERE sid = 0"), ProgrammingError,
     ["time_series_data_col 'y' is VARCHAR", "must be a number"]),
    ("no timestamp option", create("model_type='ARIMA_PLUS', time_series_data_col='y'"), ProgrammingError,
     ["time_series_timestamp_col is required for model_type ARIMA_PLUS"]),
    ("no data option", create("model_type='ARIMA_PLUS_XREG', time_series_timestamp_col='d'"), ProgrammingError,
     ["time_series_data_col is required for model_type ARIMA_PLUS_XREG"]),
    ("unknown id column", create(f"{BASE}, time_series_id_col='nope'"), ProgrammingError,
     ["time_series_id_col 'nope' is not a column of the training query", "its columns: d, y"]),
    ("unknown time column", create(BASE, "SELECT d AS day, y FROM t"), ProgrammingError,
     ["time_series_timestamp_col 'd' is not a column"]),
    ("time is data", create(BASE.replace("data_col='y'", "data_col='d'")), ProgrammingError,
     ["time_series_data_col 'd' is TIMESTAMP; it must be a number"]),
    ("xreg without regressors", create(XREG), ProgrammingError, ["ARIMA_PLUS_XREG needs external regressors"]),
    ("xreg string regressor", create(XREG, "SELECT d, y, 'a' AS color FROM t WHERE sid = 0"), NotSupportedError,
     ["regressor 'color' is VARCHAR"]),
    ("transform", create(BASE, transform="TRANSFORM(d, y) "), ProgrammingError, ["takes no TRANSFORM clause"]),
    # the data
    ("duplicate timestamp", create(f"{BASE}, time_series_id_col='sid'", "SELECT sid, d, y FROM dup"), DataError,
     ["the time series sid = 1 has two rows at d = 2024-01-09 00:00:00"]),
    ("duplicate timestamp, one series", create(BASE, "SELECT d, y FROM dup WHERE sid = 1"), DataError,
     ["the time series has two rows at d = 2024-01-09 00:00:00"]),
    ("two steps", create(BASE, "SELECT d, y FROM short WHERE sid = 0"), DataError,
     ["2 time step(s); forecasting needs at least 3 steps"]),
    ("every series short", create(f"{BASE}, time_series_id_col='sid'", "SELECT sid, d, y FROM short"), DataError,
     ["none of the 2 time series could be fitted", "sid = 0 has 2 value(s)"]),
    ("null timestamps", create(BASE, "SELECT CAST(NULL AS DATE) AS d, y FROM t"), DataError,
     ["time_series_timestamp_col 'd' is NULL in all of its 80 rows"]),
    ("no rows", create(BASE, "SELECT d, y FROM t WHERE FALSE"), DataError, ["the training query returned no rows"]),
    # the options and their combinations (families/arima_plus.py)
    ("horizon over 10000", create(f"{BASE}, horizon=10001"), ProgrammingError, ["horizon", "<= 10000, got 10001"]),
    ("horizon 0", create(f"{BASE}, horizon=0"), ProgrammingError, ["horizon", ">= 1", "got 0"]),
    ("negative backtest windows", create(f"{BASE}, interval_backtest_windows=-1"), ProgrammingError,
     ["interval_backtest_windows", ">= 0", "got -1"]),
    ("too many backtest windows", create(f"{BASE}, interval_backtest_windows=11"), ProgrammingError,
     ["interval_backtest_windows", "<= 10", "got 11"]),
    ("fractional backtest windows", create(f"{BASE}, interval_backtest_windows=1.5"), ProgrammingError,
     ["interval_backtest_windows"]),
    ("unknown option", create(f"{BASE}, horizn=5"), ProgrammingError, ["unknown option 'horizn'"]),
    ("xreg-only option", create(f"{BASE}, l2_reg=0.1"), ProgrammingError, ["unknown option 'l2_reg'"]),
    ("order without auto_arima false", create(f"{BASE}, non_seasonal_order=(1, 1, 1)"), ProgrammingError,
     ["non_seasonal_order needs auto_arima = FALSE"]),
    ("drift with auto_arima", create(f"{BASE}, include_drift=TRUE"), ProgrammingError,
     ["include_drift needs auto_arima = FALSE"]),
    ("drift with d = 0", create(f"{BASE}, auto_arima=FALSE, non_seasonal_order=(1, 0, 1), include_drift=TRUE"),
     ProgrammingError, ["include_drift = TRUE needs d = 1", "got d = 0"]),
    ("drift with d = 2", create(f"{BASE}, auto_arima=FALSE, non_seasonal_order=(0, 2, 1), include_drift=TRUE"),
     ProgrammingError, ["include_drift = TRUE needs d = 1", "got d = 2"]),
    ("auto_arima false without order", create(f"{BASE}, auto_arima=FALSE"), ProgrammingError,
     ["auto_arima = FALSE needs non_seasonal_order"]),
    ("order out of range", create(f"{BASE}, auto_arima=FALSE, non_seasonal_order=(6, 0, 0)"), ProgrammingError,
     ["non_seasonal_order needs p and q in [0, 5]", "(6, 0, 0)"]),
    ("min order = max order", create(f"{BASE}, auto_arima_min_order=2, auto_arima_max_order=2"), ProgrammingError,
     ["auto_arima_min_order (2) must be less than auto_arima_max_order (2)"]),
    ("min order > max order", create(f"{BASE}, auto_arima_min_order=3, auto_arima_max_order=1"), ProgrammingError,
     ["auto_arima_min_order (3) must be less than auto_arima_max_order (1)"]),
    ("max length with fraction", create(f"{BASE}, max_time_series_length=10, time_series_length_fraction=0.5"),
     ProgrammingError, ["max_time_series_length cannot be combined with time_series_length_fraction"]),
    ("max length with min length", create(f"{BASE}, max_time_series_length=10, min_time_series_length=5"),
     ProgrammingError, ["max_time_series_length cannot be combined"]),
    ("min length alone", create(f"{BASE}, min_time_series_length=5"), ProgrammingError,
     ["min_time_series_length needs time_series_length_fraction"]),
    ("fraction 1", create(f"{BASE}, time_series_length_fraction=1.0"), ProgrammingError,
     ["time_series_length_fraction"]),
    ("seasonalities auto and daily", create(f"{BASE}, seasonalities=['AUTO', 'DAILY']"), ProgrammingError,
     ["seasonalities AUTO and NO_SEASONALITY stand alone", "['AUTO', 'DAILY']"]),
    ("seasonalities none and weekly", create(f"{BASE}, seasonalities=['NO_SEASONALITY', 'WEEKLY']"),
     ProgrammingError, ["seasonalities AUTO and NO_SEASONALITY stand alone"]),
    ("unknown seasonality", create(f"{BASE}, seasonalities=['HOURLY']"), ProgrammingError, ["seasonalities", "HOURLY"]),
    ("upper = lower bound", create(f"{BASE}, forecast_limit_lower_bound=5, forecast_limit_upper_bound=5"),
     ProgrammingError, ["forecast_limit_upper_bound (5) must be above forecast_limit_lower_bound (5)"]),
    ("upper < lower bound", create(f"{BASE}, forecast_limit_lower_bound=5, forecast_limit_upper_bound=1.5"),
     ProgrammingError, ["forecast_limit_upper_bound (1.5) must be above forecast_limit_lower_bound (5)"]),
    ("hierarchical", create(f"{BASE}, time_series_id_col='sid', hierarchical_time_series_cols=['sid']",
                            "SELECT sid, d, y FROM t"), NotSupportedError, ["hierarchical_time_series_cols"]),
    ("unknown holiday region", create(f"{BASE}, holiday_region='XX'"), ProgrammingError, ["holiday_region", "XX"]),
    ("unknown frequency", create(f"{BASE}, data_frequency='FORTNIGHTLY'"), ProgrammingError,
     ["data_frequency", "FORTNIGHTLY"]),
    # the ML functions
    ("forecast horizon over the model's", "SELECT * FROM ML.FORECAST(MODEL ok, STRUCT(11 AS horizon))",
     ProgrammingError, ["ML.FORECAST horizon 11 exceeds the model's horizon 10"]),
    ("forecast horizon 0", "SELECT * FROM ML.FORECAST(MODEL ok, STRUCT(0 AS horizon))", ProgrammingError,
     ["ML.FORECAST parameter horizon must be at least 1, got 0"]),
    ("confidence level 1", "SELECT * FROM ML.FORECAST(MODEL ok, STRUCT(5 AS horizon, 1.0 AS confidence_level))",
     ProgrammingError, ["ML.FORECAST parameter confidence_level must be in [0, 1), got 1.0"]),
    ("xreg forecast without future", "SELECT * FROM ML.FORECAST(MODEL okx, STRUCT(5 AS horizon))",
     ProgrammingError, ["ML.FORECAST of an ARIMA_PLUS_XREG model needs the regressors' future values"]),
    ("xreg future without timestamp column",
     "SELECT * FROM ML.FORECAST(MODEL okx, STRUCT(5 AS horizon), (SELECT r FROM fut))", ProgrammingError,
     ["ML.FORECAST: the input has no column 'd'"]),
    ("xreg future ending early",
     "SELECT * FROM ML.FORECAST(MODEL okx, STRUCT(5 AS horizon), (SELECT * FROM fut WHERE d <= '2024-02-12'))",
     DataError, ["no row for the time series at 2024-02-13 00:00:00:", "regressors (r) up to the last forecast"]),
    ("xreg future with NULL regressor",
     "SELECT * FROM ML.FORECAST(MODEL okx, STRUCT(5 AS horizon), (SELECT d, NULL::DOUBLE AS r FROM fut))",
     DataError, ["regressors (r) of the input must not be NULL"]),
    ("predict", "SELECT * FROM ML.PREDICT(MODEL ok, (SELECT d, y FROM t))", NotSupportedError,
     ["ML.PREDICT takes", "model main.ok is an ARIMA_PLUS model, which ML.FORECAST forecasts"]),
    ("weights", "SELECT * FROM ML.WEIGHTS(MODEL okx)", NotSupportedError,
     ["ML.WEIGHTS takes", "model main.okx is an ARIMA_PLUS_XREG model"]),
    ("forecast a linear model", "SELECT * FROM ML.FORECAST(MODEL lin, STRUCT(5 AS horizon))", NotSupportedError,
     ["ML.FORECAST takes forecasting (ARIMA_PLUS, ARIMA_PLUS_XREG) models; model main.lin is a linear_reg"]),
    ("anomalies with contamination", "SELECT * FROM ML.DETECT_ANOMALIES(MODEL ok, STRUCT(0.1 AS contamination))",
     ProgrammingError, ["takes anomaly_prob_threshold, not contamination"]),
]  # fmt: skip


@pytest.mark.parametrize("sql, error, fragments", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_fails_and_changes_nothing(prepared, sql, error, fragments):
    fails(prepared, sql, error, *fragments)
