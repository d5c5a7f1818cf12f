"""DB-API parameters in ML statements reach DuckDB as bound values, never as SQL text (issue 14, item 1).

The reference is plain DuckDB running the same query with the same parameters bound: the ML function's input
query, run by DuckDB itself, must select exactly the rows it selects.
"""

from __future__ import annotations

import datetime
import decimal
import math

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlml

ROWS = 50


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A file with table t (x, owner, y, day) and a linear model m on it."""
    path = str(tmp_path_factory.mktemp("params") / "p.duckdb")
    with sqlml.connect(path) as con:
        con.execute(
            f"CREATE TABLE t AS SELECT range::DOUBLE AS x, 'u' || range AS owner, range % 7 AS y, "
            f"DATE '2024-01-01' + range::INTEGER AS day FROM range({ROWS})"
        )
        con.execute("CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t")
        con.commit()
    return path


@pytest.fixture(scope="module")
def con(database):
    connection = sqlml.connect(database)
    yield connection
    connection.close()


def plain_count(database: str, where: str, params) -> int:
    with duckdb.connect(database) as reference:
        return reference.execute(f"SELECT count(*) FROM t WHERE {where}", params).fetchone()[0]


@pytest.mark.parametrize(
    "params", [[-5, "u20"], [-5, "\nOR true --"], [-5, "' OR '1'='1"], [-5, "u20'; DROP TABLE t; --"]]
)
def test_a_negative_number_or_a_comment_marker_stays_a_value(con, database, params):
    """`10-?` with -5 was spliced into `10--5`, which starts a comment (39 rows where DuckDB gives 1)."""
    where = "x > 10-? AND owner = ?"
    got = con.execute(f"SELECT count(*) FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE {where}))", params).fetchone()
    assert got[0] == plain_count(database, where, params)
    assert con.execute("SELECT count(*) FROM t").fetchone() == (ROWS,)


def test_parameters_in_the_outer_query_and_the_input_query(con, database):
    got = con.execute(
        "SELECT count(*) FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE x < ?)) WHERE predicted_y > ? AND owner <> ?",
        [30, -1e9, "--"],
    ).fetchone()[0]
    assert got == plain_count(database, "x < ?", [30])


def test_a_float_parameter_keeps_its_type(con):
    """A Python float is a DOUBLE, as in plain SQL (it was a DECIMAL literal once spliced in as text)."""
    cur = con.cursor()
    cur.execute("SELECT x, typeof(x) FROM ML.PREDICT(MODEL m, (SELECT ? AS x))", [1 / 3])
    assert cur.fetchall() == [(1 / 3, "DOUBLE")]
    assert cur.description[0][1] == sqlml.NUMBER


def test_numbered_and_named_parameters(con, database):
    query = "SELECT count(*) FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE x >= {} AND x < {}))"
    assert con.execute(query.format("$2", "$1"), [20, 5]).fetchone()[0] == plain_count(
        database, "x >= 5 AND x < 20", []
    )
    assert con.execute(query.format("$lo", "$hi"), {"lo": 5, "hi": 20}).fetchone()[0] == 15


@pytest.mark.parametrize(
    "sql, part",
    [
        (
            "SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT(? AS threshold))",
            "ML.PREDICT: a parameter cannot stand in its STRUCT",
        ),
        (
            "SELECT * FROM ML.ROC_CURVE(MODEL m, TABLE t, [?, 0.5])",
            "ML.ROC_CURVE: a parameter cannot stand in its list of values",
        ),
        (
            "CREATE MODEL m2 OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t WHERE x > ?",
            "CREATE MODEL takes no parameters",
        ),
        (
            "CREATE MODEL m2 OPTIONS(model_type=?, input_label_cols=['y']) AS SELECT x, y FROM t",
            "CREATE MODEL takes no parameters",
        ),
        ("EXPORT MODEL m OPTIONS(uri=?)", "EXPORT MODEL takes no parameters"),
        ("ALTER MODEL m SET OPTIONS(description=?)", "ALTER MODEL takes no parameters"),
    ],
)
def test_a_parameter_where_no_value_can_be_bound_is_refused(con, sql, part):
    before = con.execute("SELECT * FROM sqlml.model_versions ORDER BY ALL").fetchall()
    with pytest.raises(sqlml.ProgrammingError, match=part):
        con.execute(sql, ["x"])
    assert con.execute("SELECT * FROM sqlml.model_versions ORDER BY ALL").fetchall() == before


def test_no_parameter_value_outlives_its_statement(con):
    con.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE owner = ?))", ["secret"]).fetchall()
    con.execute("SELECT 1").fetchall()
    assert con.execute("SELECT count(*) FROM duckdb_variables()").fetchone() == (0,)


TEXTS = st.one_of(  # quotes, newlines, comment markers, unicode
    st.text(max_size=12),
    st.sampled_from(["--", "/*", "*/", "'", "''", '"', "\n", ";", "?", "$1", "\\", "é✓", "' OR TRUE --", "u3"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.one_of(st.integers(-100, 100), st.floats(-100, 100)), text=TEXTS)
def test_random_values_select_what_plain_duckdb_selects(con, database, number, text):
    """Property: an ML function's input filtered with random bound values has the rows DuckDB's own binding gives.
    (Each value has the SQL type of its Python type, a number for x and a string for owner: where plain DuckDB
    would infer a mistyped value's type from the column, sqlml keeps Python's.)"""
    where = "x > 10-? AND (owner = ? OR ?::VARCHAR IS NULL OR x < 5)"
    params = [number, text, text]
    got = con.execute(
        f"SELECT count(*), sum(x) FROM ML.PREDICT(MODEL m, (SELECT * FROM t WHERE {where})) WHERE ? IS NOT NULL",
        params + [text],
    ).fetchone()
    with duckdb.connect(database) as reference:
        want = reference.execute(f"SELECT count(*), sum(x) FROM t WHERE {where}", params).fetchone()
    assert got == want


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        2**70,
        decimal.Decimal("1.25"),
        b"\x00'\xff",
        datetime.date(2020, 1, 2),
        datetime.datetime(2020, 1, 2, 3, 4),
        "it's",
        math.pi,
    ],
)
def test_each_python_type_binds_as_in_plain_duckdb(con, value):
    got = con.execute("SELECT v, typeof(v) FROM ML.PREDICT(MODEL m, (SELECT 1.0 AS x, ? AS v))", [value]).fetchall()
    with duckdb.connect() as reference:
        want = reference.execute("SELECT v, typeof(v) FROM (SELECT 1.0 AS x, ? AS v)", [value]).fetchall()
    assert got == want
