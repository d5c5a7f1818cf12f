"""The PEP 249 surface of sqlml.connect(), and plain SQL passing through to DuckDB untouched."""

from __future__ import annotations

import datetime
import re

import duckdb
import pyarrow as pa
import pytest

import sqlml


def test_module_globals_and_exception_hierarchy():
    assert (sqlml.apilevel, sqlml.threadsafety, sqlml.paramstyle) == ("2.0", 1, "qmark")
    assert issubclass(sqlml.Warning, Exception) and issubclass(sqlml.Error, Exception)
    for cls in (sqlml.InterfaceError, sqlml.DatabaseError):
        assert issubclass(cls, sqlml.Error)
    for cls in (
        sqlml.DataError,
        sqlml.OperationalError,
        sqlml.IntegrityError,
        sqlml.InternalError,
        sqlml.ProgrammingError,
        sqlml.NotSupportedError,
    ):
        assert issubclass(cls, sqlml.DatabaseError)


def test_cursor_basics(con):
    cur = con.cursor()
    assert cur.description is None and cur.rowcount == -1 and cur.arraysize == 1
    cur.execute("SELECT range AS n, range * 1.5 AS x FROM range(5)")
    assert [d[0] for d in cur.description] == ["n", "x"]
    assert cur.fetchone() == (0, 0.0)
    assert cur.fetchmany() == [(1, 1.5)]
    cur.arraysize = 2
    assert cur.fetchmany() == [(2, 3.0), (3, 4.5)]
    assert cur.fetchall() == [(4, 6.0)]
    assert cur.fetchone() is None


def test_iteration_and_execute_returns_cursor(con):
    assert list(con.cursor().execute("SELECT * FROM range(3)")) == [(0,), (1,), (2,)]


def test_parameters_and_executemany(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t (a INTEGER, b VARCHAR, d DATE)")
    cur.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, "x", datetime.date(2024, 1, 2)), (2, "it's", None)])
    assert cur.rowcount == 2
    cur.execute("SELECT a, b, d FROM t WHERE a >= ? ORDER BY a", [1])
    assert cur.fetchall() == [(1, "x", datetime.date(2024, 1, 2)), (2, "it's", None)]
    cur.execute("SELECT $1 + $2", [40, 2])
    assert cur.fetchone() == (42,)


def test_fetch_arrow_table_and_df(con):
    cur = con.cursor()
    cur.execute("SELECT range AS n FROM range(4)")
    table = cur.fetch_arrow_table()
    assert isinstance(table, pa.Table) and table.column("n").to_pylist() == [0, 1, 2, 3]
    cur.execute("SELECT 'a' AS s")
    assert cur.fetch_df()["s"].tolist() == ["a"]


def test_multi_statement_string_returns_the_last_result(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE a AS SELECT 1 AS x; INSERT INTO a VALUES (2); SELECT sum(x) FROM a")
    assert cur.fetchall() == [(3,)]


def test_multi_statement_string_mixing_ml_and_plain_sql(con):
    cur = con.cursor()
    cur.execute("""
        CREATE TABLE t AS SELECT range::DOUBLE AS x, 2.0 * range AS label FROM range(50);
        CREATE MODEL m OPTIONS(model_type = 'linear_reg') AS SELECT * FROM t;
        SELECT round(predicted_label, 6) FROM ML.PREDICT(MODEL m, (SELECT 7.0 AS x));""")
    assert cur.fetchall() == [(14.0,)]


def test_ml_statement_without_result_set(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, range * 1.0 AS label FROM range(20)")
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    assert cur.description is None
    with pytest.raises(sqlml.InterfaceError):
        cur.fetchall()


def test_duckdb_errors_become_sqlml_errors(con):
    cur = con.cursor()
    with pytest.raises(sqlml.ProgrammingError, match="nope"):
        cur.execute("SELECT * FROM nope")
    with pytest.raises(sqlml.ProgrammingError):
        cur.execute("SELEC 1")
    with pytest.raises(sqlml.DataError):
        cur.execute("SELECT 'abc'::INTEGER")
    cur.execute("CREATE TABLE k (id INTEGER PRIMARY KEY); INSERT INTO k VALUES (1)")
    with pytest.raises(sqlml.IntegrityError):
        cur.execute("INSERT INTO k VALUES (1)")
    cur.execute("SELECT 1")  # the cursor stays usable after errors
    assert cur.fetchone() == (1,)


def test_transactions_commit_and_rollback(tmp_path):
    path = str(tmp_path / "tx.duckdb")
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t (a INTEGER)")
        cur.execute("BEGIN")
        cur.execute("INSERT INTO t VALUES (1)")
        con.rollback()
        cur.execute("BEGIN")
        cur.execute("INSERT INTO t VALUES (2)")
        con.commit()
    with sqlml.connect(path, read_only=True) as con:
        assert con.cursor().execute("SELECT * FROM t").fetchall() == [(2,)]


def test_create_model_inside_user_transaction_rolls_back_with_it(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, range * 1.0 AS label FROM range(20)")
    cur.execute("BEGIN")
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    cur.execute("SELECT count(*) FROM sqlml.models")
    assert cur.fetchone() == (1,)
    cur.execute("ROLLBACK")
    cur.execute("SHOW MODELS")
    assert cur.fetchall() == []


def test_closed_cursor_and_connection(con):
    cur = con.cursor()
    cur.close()
    with pytest.raises(sqlml.InterfaceError):
        cur.execute("SELECT 1")
    con.close()
    with pytest.raises(sqlml.InterfaceError):
        con.cursor()
    con.close()  # closing twice is harmless


def test_context_managers(tmp_path):
    with sqlml.connect(str(tmp_path / "c.duckdb")) as con, con.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    assert cur._cursor is None


def test_connect_errors_are_sqlml_errors(tmp_path):
    with pytest.raises(sqlml.Error):
        sqlml.connect(str(tmp_path / "missing" / "dir" / "x.duckdb"))


PASS_THROUGH = [
    "SELECT 42",
    "FROM range(3) SELECT sum(range)",
    "SELECT * EXCLUDE (b) FROM (SELECT 1 AS a, 2 AS b)",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT list(n) FROM r",
    "SELECT {'model': 1}.model AS model",  # mentions MODEL but has no ML construct
    "SELECT [x * 2 FOR x IN [1, 2, 3]] AS l",
    "PIVOT (SELECT 'a' AS k, 1 AS v) ON k USING sum(v)",
    "SELECT 'ML.PREDICT(MODEL m, TABLE t)' AS text",
]


@pytest.mark.parametrize("sql", PASS_THROUGH)
def test_plain_sql_gives_exactly_what_duckdb_gives(con, sql):
    expected = duckdb.connect().execute(sql).fetchall()
    assert con.cursor().execute(sql).fetchall() == expected


@pytest.fixture
def with_model(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, 2.0 * range AS label FROM range(10)")
    cur.execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    return con


def test_failed_ml_statement_in_a_transaction_can_be_rolled_back(with_model):
    cur = with_model.cursor()
    cur.execute("BEGIN")
    cur.execute("INSERT INTO t VALUES (50, 100)")
    with pytest.raises(sqlml.ProgrammingError):
        cur.execute("SELECT nope FROM ML.PREDICT(MODEL m, TABLE t)")
    cur.execute("ROLLBACK")
    assert cur.execute("SELECT count(*) FROM t").fetchall() == [(10,)]


def test_connection_rollback_and_commit_reach_every_cursor(with_model):
    cursors = [with_model.cursor() for _ in range(5)]
    cursors[3].execute("BEGIN")
    cursors[3].execute("INSERT INTO t VALUES (99, 99)")
    with_model.rollback()
    cursors[1].execute("BEGIN")
    cursors[1].execute("INSERT INTO t VALUES (77, 77)")
    with_model.commit()
    with_model.rollback()  # nothing open: no error
    assert with_model.cursor().execute("SELECT x FROM t WHERE x > 50").fetchall() == [(77.0,)]


def test_a_failed_execute_leaves_no_stale_result(with_model):
    cur = with_model.cursor()
    cur.execute("SELECT 42")
    with pytest.raises(sqlml.ProgrammingError):
        cur.execute("SELECT * FROM ML.PREDICT(MODEL nope, TABLE t)")
    assert cur.description is None and cur.rowcount == -1
    with pytest.raises(sqlml.InterfaceError):
        cur.fetchall()


def test_connection_execute_reuses_one_cursor(with_model):
    before = len(with_model._cursors)
    for i in range(20):
        assert with_model.execute("SELECT ?", [i]).fetchone() == (i,)
    assert len(with_model._cursors) == before + 1


@pytest.mark.parametrize("sql", ["SELECT ? AS a", "SELECT * FROM ML.PREDICT(MODEL m, (SELECT ?::DOUBLE AS x))"])
@pytest.mark.parametrize(
    "params, message",
    [
        (5, "sequence or a mapping"),
        ("5", "sequence or a mapping"),
        ([1, 2], "1 parameter(s) but 2"),
    ],
)
def test_bad_parameters_are_programming_errors_for_plain_and_ml_sql(with_model, sql, params, message):
    with pytest.raises(
        sqlml.ProgrammingError, match=re.escape(message) if "ML" in sql or "sequence" in message else None
    ):
        with_model.cursor().execute(sql, params)


def test_ml_statement_parameters_by_position_number_and_name(with_model):
    cur = with_model.cursor()
    query = "SELECT round(predicted_label, 6) FROM ML.PREDICT(MODEL m, (SELECT {}::DOUBLE AS x)) WHERE {} > 0"
    assert cur.execute(query.format("?", "?"), [3, 1]).fetchall() == [(6.0,)]
    assert cur.execute(query.format("$2", "$1"), [1, 4]).fetchall() == [(8.0,)]
    assert cur.execute(query.format("$x", "$x"), {"x": 5}).fetchall() == [(10.0,)]
    with pytest.raises(sqlml.ProgrammingError, match="0 parameter"):
        cur.execute("SELECT * FROM ML.PREDICT(MODEL m, TABLE t)", [1])


def test_type_objects_and_constructors(con):
    cur = con.cursor().execute(
        "SELECT 1::INTEGER AS i, 2.5::DECIMAL(4, 2) AS d, 'x' AS s, DATE '2020-01-02' AS day, "
        "TIMESTAMP '2020-01-02 03:04:05' AS ts, 'x'::BLOB AS b"
    )
    codes = {name: code for name, code, *_ in cur.description}
    assert codes["i"] == sqlml.NUMBER and codes["d"] == sqlml.NUMBER and codes["s"] == sqlml.STRING
    assert codes["day"] == sqlml.DATETIME and codes["ts"] == sqlml.DATETIME and codes["b"] == sqlml.BINARY
    assert codes["s"] != sqlml.NUMBER and codes["i"] != sqlml.STRING
    ticks = datetime.datetime(2021, 5, 6, 7, 8, 9).timestamp()  # local time, as PEP 249's ticks constructors
    assert sqlml.TimestampFromTicks(ticks) == sqlml.Timestamp(2021, 5, 6, 7, 8, 9)
    assert sqlml.DateFromTicks(ticks) == sqlml.Date(2021, 5, 6)
    assert sqlml.TimeFromTicks(ticks) == sqlml.Time(7, 8, 9)
    row = (
        con.cursor()
        .execute(
            "SELECT ?::DATE, ?::TIMESTAMP, ?::BLOB",
            [sqlml.Date(2020, 1, 2), sqlml.Timestamp(2020, 1, 2, 3, 4, 5), sqlml.Binary(b"\x00\x01")],
        )
        .fetchone()
    )
    assert row == (datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5), b"\x00\x01")
