"""Bad calls of the forecasting functions: a clear sqlml error naming the parameter, column or input at fault
(or, for no rows at all, an empty answer with the documented columns)."""

from __future__ import annotations

import pytest

import sqlml.errors as errors
from tests.forecasting import series_data as sd


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("bad")
    cur = sd.daily_model(tmp_path, sd.random_walk(40, 1), "horizon=5, decompose_time_series=FALSE")
    cur.execute("CREATE TABLE x AS SELECT d, y, y * 0.5 AS r FROM t")
    sd.create_model(cur, "mx", "x", "horizon=5", model_type="ARIMA_PLUS_XREG")
    return cur


BAD = {
    "horizon beyond the model's": (
        "ML.FORECAST(MODEL m, STRUCT(6 AS horizon))",
        errors.ProgrammingError,
        "horizon 6 exceeds the model's horizon 5",
    ),
    "confidence level 1": (
        "ML.FORECAST(MODEL m, STRUCT(1.0 AS confidence_level))",
        errors.ProgrammingError,
        "confidence_level must be in [0, 1)",
    ),
    "input to ARIMA_PLUS": ("ML.FORECAST(MODEL m, STRUCT(2 AS horizon), TABLE t)", errors.ProgrammingError, "input"),
    "no decomposition kept": ("ML.EXPLAIN_FORECAST(MODEL m)", errors.ProgrammingError, "decompose_time_series"),
    "XREG without future": ("ML.FORECAST(MODEL mx)", errors.ProgrammingError, "regressors' future values"),
    "XREG future too short": (
        "ML.FORECAST(MODEL mx, STRUCT(2 AS horizon), (SELECT DATE '2021-02-13' AS d, 1.0 AS r))",
        errors.DataError,
        "no row for the time series at 2021-02-14",
    ),
    "XREG future NULL": (
        "ML.FORECAST(MODEL mx, STRUCT(1 AS horizon), (SELECT DATE '2021-02-13' AS d, NULL::DOUBLE AS r))",
        errors.DataError,
        "(r) of the input must not be NULL",
    ),
    "contamination": (
        "ML.DETECT_ANOMALIES(MODEL m, STRUCT(0.1 AS contamination))",
        errors.ProgrammingError,
        "anomaly_prob_threshold, not contamination",
    ),
    "threshold above 1": (
        "ML.DETECT_ANOMALIES(MODEL m, STRUCT(1.5 AS anomaly_prob_threshold))",
        errors.ProgrammingError,
        "anomaly_prob_threshold must be in [0, 1)",
    ),
    "no data column": ("ML.EVALUATE(MODEL m, (SELECT d FROM t))", errors.ProgrammingError, "no column 'y'"),
    "text data column": ("ML.EVALUATE(MODEL m, (SELECT d, 'a' AS y FROM t))", errors.ProgrammingError, "'y'"),
    "text timestamp column": (
        "ML.DETECT_ANOMALIES(MODEL m, (SELECT 'x' AS d, y FROM t))",
        errors.ProgrammingError,
        "column 'd' (time series timestamp col of the model) is string",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_call(cur, case):
    call, error, fragment = BAD[case]
    with pytest.raises(error) as caught:
        cur.execute(f"SELECT * FROM {call}")
    assert fragment in str(caught.value)


def test_no_rows_give_no_answers(cur):
    metrics = sd.query(cur, "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT d, y FROM t WHERE false))")
    one_row = sd.query(cur, "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT DATE '2021-02-13' AS d, 1.0 AS y))")
    assert list(metrics) == list(one_row) and len(one_row["mean_absolute_error"]) == 1
    assert all(len(v) == 0 for v in metrics.values())
    anomalies = sd.query(cur, "SELECT * FROM ML.DETECT_ANOMALIES(MODEL m, (SELECT d, y FROM t WHERE false))")
    assert list(anomalies) == ["d", "y", "is_anomaly", "lower_bound", "upper_bound", "anomaly_probability"]
    assert len(anomalies["d"]) == 0
    # rows of the history only: nothing to evaluate
    history = sd.query(cur, "SELECT * FROM ML.EVALUATE(MODEL m, TABLE t)")
    assert list(history) == list(metrics) and all(len(v) == 0 for v in history.values())
