"""BigQuery ML's model types, functions and CREATE MODEL forms that sqlml does not have: each statement, as
BigQuery ML's reference pages write it, is a NotSupportedError that names the construct and says why, and
changes nothing. Pages: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create
(model types), bigqueryml-syntax-create-remote-model, bigqueryml-syntax-create-time-series (custom holidays),
bigqueryml-syntax-holiday-info, bigqueryml-syntax-generate-text,
bigqueryml-syntax-tfdv-describe, bigqueryml-syntax-decode-image."""

from __future__ import annotations

import pytest

import sqlml
from tests.engine.reference import fails


@pytest.fixture(scope="module")
def con():
    con = sqlml.connect(dialect="bigquery")
    cur = con.cursor()
    cur.execute("CREATE SCHEMA ds")
    cur.execute("CREATE TABLE ds.t AS SELECT i * 1.0 AS x, 2.0 * i + 1 AS y FROM range(20) r(i)", dialect="duckdb")
    cur.execute("CREATE MODEL ds.m OPTIONS (model_type = 'linear_reg', input_label_cols = ['y']) AS SELECT * FROM ds.t")
    yield con
    con.close()


@pytest.mark.parametrize(
    "model_type, fragment",
    [
        ("CONTRIBUTION_ANALYSIS", "contribution analysis"),
        ("TENSORFLOW", "model_type='onnx'"),
        ("XGBOOST", "model_type='onnx'"),
    ],
)
def test_model_types_sqlml_does_not_have(con, model_type, fragment):
    sql = f"CREATE MODEL ds.x OPTIONS (model_type = '{model_type}', input_label_cols = ['y']) AS SELECT * FROM ds.t"
    fails(con, sql, sqlml.NotSupportedError, f"model_type '{model_type}' is a BigQuery ML model type", fragment)


def test_an_unknown_model_type_still_lists_the_ones_sqlml_has(con):
    sql = "CREATE MODEL ds.x OPTIONS (model_type = 'LINEAR_REGRESSION') AS SELECT * FROM ds.t"
    fails(con, sql, sqlml.ProgrammingError, "unknown model_type 'LINEAR_REGRESSION'", "linear_reg")


@pytest.mark.parametrize(
    "sql, fragments",
    [
        (
            "CREATE MODEL ds.r INPUT (prompt STRING) OUTPUT (content STRING) "
            "REMOTE WITH CONNECTION `us.my_connection` OPTIONS (endpoint = 'https://example.com/predict')",
            ["REMOTE WITH CONNECTION", "remote model"],
        ),
        (
            "CREATE MODEL ds.r REMOTE WITH CONNECTION DEFAULT OPTIONS (endpoint = 'gemini-2.0-flash')",
            ["REMOTE WITH CONNECTION", "remote model"],
        ),
        (
            "CREATE MODEL ds.f OPTIONS (model_type = 'ARIMA_PLUS', holiday_region = 'US') AS "
            "(training_data AS (SELECT * FROM ds.t), custom_holiday AS (SELECT 'US' AS region))",
            ["training_data AS", "ARIMA_PLUS"],
        ),
        ("SELECT * FROM ML.HOLIDAY_INFO(MODEL ds.m)", ["ML.HOLIDAY_INFO", "holidays package"]),
        (
            "SELECT * FROM ML.GENERATE_TEXT(MODEL ds.m, (SELECT 'hi' AS prompt), STRUCT(0.2 AS temperature))",
            ["ML.GENERATE_TEXT", "remote model"],
        ),
        ("SELECT * FROM ML.TFDV_DESCRIBE(TABLE ds.t)", ["ML.TFDV_DESCRIBE", "ML.DESCRIBE_DATA"]),
        ("SELECT ML.DECODE_IMAGE(x) FROM ds.t", ["ML.DECODE_IMAGE", "object tables"]),
    ],
)
def test_statements_sqlml_does_not_have(con, sql, fragments):
    fails(con, sql, sqlml.NotSupportedError, *fragments)


def test_the_duckdb_dialect_refuses_them_alike():
    with sqlml.connect() as con:
        fails(con, "SELECT * FROM ML.HOLIDAY_INFO(MODEL m)", sqlml.NotSupportedError, "ML.HOLIDAY_INFO", "holidays")
