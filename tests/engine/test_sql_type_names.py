"""User-facing messages name types as SQL does (issue 19, item 9): BIGINT and DOUBLE, never int64 or double."""

from __future__ import annotations

import re

import pytest

import sqlml

ARROW_NAMES = re.compile(r"\b(int(8|16|32|64)|uint\d+|double|float64|large_string|string|bool|decimal128)\b")


@pytest.fixture
def con():
    with sqlml.connect() as connection:
        connection.execute(
            "CREATE TABLE t AS SELECT range::BIGINT AS x, range * 2.0 AS y, range % 2 = 0 AS b FROM range(50)"
        )
        connection.execute(
            "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t"
        )
        yield connection


@pytest.mark.parametrize(
    "sql, error, words",
    [
        ("SELECT * FROM ML.PREDICT(MODEL m, (SELECT 'abc' AS x))", sqlml.DataError, ["BIGINT feature 'x'", "DOUBLE"]),
        (
            "CREATE MODEL m2 OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, 'a' AS y FROM t",
            sqlml.ProgrammingError,
            ["has type VARCHAR"],
        ),
        (
            "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT x, 'q' AS y FROM t))",
            sqlml.DataError,
            ["(VARCHAR)", "DECIMAL(21,1) labels"],
        ),
        (
            "CREATE MODEL m3 OPTIONS(model_type='logistic_reg', input_label_cols=['y']) AS SELECT x, y::DOUBLE AS y FROM t",
            sqlml.ProgrammingError,
            ["has type DOUBLE", "VARCHAR, integer or BOOL"],
        ),
        (
            "CREATE MODEL m4 OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x::VARCHAR::BLOB AS bl, y FROM t",
            sqlml.NotSupportedError,
            ["has type BLOB"],
        ),
        (
            "CREATE MODEL m5 OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT {'a': x, 'b': INTERVAL 1 DAY} AS s, y FROM t",
            sqlml.NotSupportedError,
            ["'s.b' has type INTERVAL"],
        ),
    ],
)
def test_messages_name_sql_types(con, sql, error, words):
    with pytest.raises(error) as caught:
        con.execute(sql).fetchall()
    message = str(caught.value)
    assert all(word in message for word in words), message
    assert not ARROW_NAMES.search(message.split("Failed to parse string")[0].replace("'abc'", "")), message
