"""The BigQuery dialect (GoogleSQL) as a setting of every front end: the DB-API, the `sqlml` command (its -c,
scripts and the interactive shell) and SQLAlchemy, on real DuckDB files; the switch statement; the hint the
default dialect gives on GoogleSQL; bad dialect names; failed statements change nothing. (The server's:
tests/server/test_server_dialect.py.) Expected values come from DuckDB itself, queried with DuckDB's SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pexpect
import pytest
import sqlalchemy as sa

import sqlml
from sqlml.errors import ProgrammingError, SqlSyntaxError
from sqlml.parser.bigquery import to_duckdb

HINT = "SET sqlml_dialect = 'bigquery'"
TRANSLATED = "translated from GoogleSQL"
READY = "\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as each prompt starts


@pytest.fixture
def db(tmp_path) -> Path:
    """A DuckDB file written by DuckDB itself: `t` (n, s) in main and the same rows in schema `ds`."""
    path = tmp_path / "states.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT i AS n, ['WY', 'CA', 'NY'][i % 3 + 1] AS s FROM range(10) r(i)")
        con.execute("CREATE SCHEMA ds")
        con.execute("CREATE TABLE ds.t AS SELECT * FROM t")
    return path


def duck(path: Path, sql: str) -> list[tuple]:
    """DuckDB's own answer (DuckDB's SQL), on a connection of its own (to the database instance a sqlml
    connection of this process may have open)."""
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def contents(path: Path) -> list[tuple]:
    """The tables and the model catalog's rows of a database file, as DuckDB lists them."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL").fetchall()
        has_catalog = ("sqlml", "models") in tables
        models = con.execute("SELECT * FROM sqlml.models ORDER BY ALL").fetchall() if has_catalog else []
    return tables + models


# -- DB-API -------------------------------------------------------------------------------------------------


def test_connect_in_bigquery_reads_googlesql(db):
    with sqlml.connect(str(db), dialect="bigquery") as con:
        cur = con.cursor()
        assert cur.execute('SELECT IFNULL(NULL, "x")').fetchall() == [("x",)]
        assert cur.execute('SELECT sum(n) FROM t WHERE s = "WY"').fetchall() == duck(
            db, "SELECT sum(n) FROM t WHERE s = 'WY'"
        )
        assert cur.execute('SELECT count(*), max(n) FROM `ds.t` WHERE s <> "CA"').fetchall() == duck(
            db, "SELECT count(*), max(n) FROM ds.t WHERE s <> 'CA'"
        )


def test_project_dataset_table_reads_the_database_attached_as_the_project(db, tmp_path):
    project = tmp_path / "proj.duckdb"
    with duckdb.connect(str(project)) as con:
        con.execute("CREATE SCHEMA ds")
        con.execute("CREATE TABLE ds.t AS SELECT 7 AS n, 'WY' AS s UNION ALL SELECT 8, 'CA'")
    with sqlml.connect(str(db), dialect="bigquery") as con:
        cur = con.cursor()
        cur.execute(f"ATTACH '{project}' AS proj (READ_ONLY)", dialect="duckdb")
        assert cur.execute('SELECT n FROM `proj.ds.t` WHERE s = "WY"').fetchall() == [(7,)]
        assert cur.execute('SELECT n FROM `proj`.ds.t WHERE s = "CA"').fetchall() == [(8,)]


def test_parameters_keep_working_in_bigquery(db):
    with sqlml.connect(str(db), dialect="bigquery") as con:
        cur = con.cursor()
        cur.execute('SELECT n FROM t WHERE s = ? AND n > ? AND s <> "CA" ORDER BY n', ["NY", 2])
        assert cur.fetchall() == duck(db, "SELECT n FROM t WHERE s = 'NY' AND n > 2 ORDER BY n")
        cur.execute("SELECT n FROM t WHERE s = @state ORDER BY n", {"state": "WY"})  # GoogleSQL's named parameters
        assert cur.fetchall() == duck(db, "SELECT n FROM t WHERE s = 'WY' ORDER BY n")
        cur.executemany("INSERT INTO t VALUES (?, ?)", [(100, "WY"), (101, "TX")])
        assert cur.rowcount == 2
        assert cur.execute('SELECT n FROM t WHERE s = "TX"').fetchall() == [(101,)]


def test_the_switch_statement_round_trip():
    with sqlml.connect() as con:
        cur, other = con.cursor(), con.cursor()
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [("duckdb",)]
        assert cur.execute("SET sqlml_dialect = 'bigquery'").description is None
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [("bigquery",)]
        assert cur.execute('SELECT "WY" AS s').fetchall() == [("WY",)]
        assert other.execute("SHOW sqlml_dialect").fetchall() == [("duckdb",)]  # a cursor's own, as DuckDB's SET
        cur.execute("set SESSION sqlml_dialect TO duckdb")
        with pytest.raises(ProgrammingError, match=HINT):
            cur.execute('SELECT "WY" AS s')
        cur.execute("-- back\nRESET sqlml_dialect;")
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [("duckdb",)]
        cur.execute("SET SQLML_DIALECT = 'BIGQUERY'")
        assert cur.execute("show Sqlml_Dialect").fetchall() == [("bigquery",)]
    with sqlml.connect(dialect="BigQuery") as con:  # RESET returns to the connection's dialect
        cur = con.cursor()
        cur.execute("SET sqlml_dialect = 'duckdb'; RESET sqlml_dialect")
        assert cur.execute('SELECT IFNULL(NULL, "x"); SHOW sqlml_dialect').fetchall() == [("bigquery",)]


def test_a_switch_in_a_text_applies_to_the_statements_after_it():
    with sqlml.connect() as con:
        cur = con.execute("SELECT 1 AS one; SET sqlml_dialect = 'bigquery'; SELECT IFNULL(NULL, \"x\") AS v")
        assert cur.fetchall() == [("x",)]


def test_one_statement_in_another_dialect():
    with sqlml.connect() as con:
        cur = con.cursor()
        assert cur.execute('SELECT "a" || "b"', dialect="bigquery").fetchall() == [("ab",)]
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [("duckdb",)]


@pytest.mark.parametrize(
    "bad",
    [
        lambda: sqlml.connect(dialect="bigqueryy"),
        lambda: sqlml.connect().execute("SET sqlml_dialect = 'mysql'"),
        lambda: sqlml.connect().cursor().execute("SELECT 1", dialect="postgres"),
        lambda: sqlml.connect(dialect=None),
    ],
)
def test_unknown_dialect_names_are_refused_listing_the_choices(bad):
    with pytest.raises(ProgrammingError, match=r"unknown SQL dialect .*'duckdb' or 'bigquery'"):
        bad()


def test_a_refused_switch_leaves_the_dialect_as_it_was():
    with sqlml.connect(dialect="bigquery") as con:
        cur = con.cursor()
        for wrong in ("SET sqlml_dialect = 'mysql'", "SET sqlml_dialect 'duckdb'", "SET sqlml_dialect = ?"):
            with pytest.raises(ProgrammingError):
                cur.execute(wrong, ["duckdb"] if "?" in wrong else None)
        assert cur.execute("SHOW sqlml_dialect").fetchall() == [("bigquery",)]


@pytest.mark.parametrize(
    "googlesql",
    [
        'SELECT IFNULL(NULL, "")',
        'SELECT n FROM t WHERE s = "WY"',
        "SELECT n FROM `ds.t`",
        "SELECT SAFE_DIVIDE(n, 0) FROM t",
        "SELECT FARM_FINGERPRINT(s) FROM t",
        "SELECT SAFE.LOG(n) FROM t",
        "SELECT * FROM ML.PREDICT(MODEL `ds.m`, TABLE t)",
    ],
)
def test_the_default_dialect_hints_at_the_switch_on_googlesql(db, googlesql):
    with sqlml.connect(str(db)) as con:
        with pytest.raises(ProgrammingError) as caught:
            con.execute(googlesql)
    assert HINT in str(caught.value) and "--dialect bigquery" in str(caught.value)


@pytest.mark.parametrize("duckdb_error", ["SELECT nosuch FROM t", "SELECT FROM WHERE", "SELECT n FROM missing"])
def test_errors_that_do_not_read_as_googlesql_get_no_hint(db, duckdb_error):
    with sqlml.connect(str(db)) as con:
        with pytest.raises(ProgrammingError) as caught:
            con.execute(duckdb_error)
    assert HINT not in str(caught.value)


def test_a_googlesql_syntax_error_points_into_the_googlesql_text():
    text = "SELECT 1;\n  SELECT (1 +"
    with sqlml.connect(dialect="bigquery") as con, pytest.raises(SqlSyntaxError) as caught:
        con.execute(text)
    with pytest.raises(SqlSyntaxError) as alone:  # the translator's position in the statement alone
        to_duckdb("SELECT (1 +")
    assert (caught.value.line, caught.value.col) == (alone.value.line + 1, alone.value.col + 2)


def test_a_duckdb_error_in_translated_sql_shows_the_translation_not_a_position(db):
    with sqlml.connect(str(db), dialect="bigquery") as con, pytest.raises(ProgrammingError) as caught:
        con.execute('SELECT nosuch_function(n) FROM t WHERE s = "WY"')
    assert type(caught.value) is ProgrammingError  # no SqlSyntaxError: its line and column would mislead
    assert TRANSLATED in str(caught.value)
    assert to_duckdb('SELECT nosuch_function(n) FROM t WHERE s = "WY"') in str(caught.value)


def test_sqlmls_own_error_on_a_translated_statement_gets_no_translation(db):
    """An error that names the option at fault has no position to place: its message is as the DuckDB dialect's."""
    bad = "CREATE MODEL m OPTIONS(model_type = 'linear_reg', input_label_cols = ['n'], kms_key_name = 'k') AS SELECT n FROM t"
    messages = []
    for dialect in ("bigquery", "duckdb"):
        with sqlml.connect(str(db), dialect=dialect) as con, pytest.raises(sqlml.NotSupportedError) as caught:
            con.execute(bad)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "kms_key_name" in messages[0] and TRANSLATED not in messages[0]


@pytest.mark.parametrize(
    "failing",
    [
        'CREATE TABLE u AS SELECT nosuch_function(n) FROM t WHERE s = "WY"',
        'CREATE TABLE u AS SELECT (n FROM t WHERE s = "WY"',
        'CREATE MODEL m OPTIONS(model_type="linear_reg", input_label_cols=["nosuch"]) AS SELECT n FROM t '
        'WHERE s = "WY"',
        "SET sqlml_dialect = 'nonesuch'",
    ],
)
def test_a_failed_statement_leaves_the_database_unchanged(db, failing):
    with sqlml.connect(str(db)) as con:
        con.execute(
            "CREATE MODEL kept OPTIONS(model_type='linear_reg', input_label_cols=['n']) AS SELECT n, n * 2 AS x FROM t"
        )
    before = contents(db)
    with sqlml.connect(str(db), dialect="bigquery") as con, pytest.raises(sqlml.Error):
        con.execute(failing)
    assert contents(db) == before


# -- the sqlml command ----------------------------------------------------------------------------------------


def sqlml_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sqlml.cli", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_cli_command_in_bigquery(db):
    done = sqlml_cli(str(db), "--dialect", "bigquery", "-csv", "-c", 'SELECT count(*) AS c FROM `ds.t` WHERE s = "WY"')
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["c", str(duck(db, "SELECT count(*) FROM ds.t WHERE s = 'WY'")[0][0])]


def test_cli_script_switches_dialect_midway(db):
    script = (
        "SELECT n FROM t WHERE s = 'NY' ORDER BY n LIMIT 1;\n"
        "SET sqlml_dialect = 'bigquery';\n"
        'SELECT n\n  FROM t\n  WHERE s = "CA"\n  ORDER BY n DESC LIMIT 1;\n'
        "SHOW sqlml_dialect;\n"
    )
    done = sqlml_cli(str(db), "-csv", stdin=script)
    assert done.returncode == 0, done.stderr
    first = duck(db, "SELECT n FROM t WHERE s = 'NY' ORDER BY n LIMIT 1")[0][0]
    last = duck(db, "SELECT n FROM t WHERE s = 'CA' ORDER BY n DESC LIMIT 1")[0][0]
    assert done.stdout.splitlines() == ["n", str(first), "n", str(last), "sqlml_dialect", "bigquery"]


def test_cli_default_dialect_hints_and_bad_dialect_is_refused(db):
    hinted = sqlml_cli(str(db), "-c", 'SELECT n FROM t WHERE s = "WY"')
    assert hinted.returncode == 1 and "--dialect bigquery" in hinted.stderr
    refused = sqlml_cli(str(db), "--dialect", "oracle", "-c", "SELECT 1")
    assert refused.returncode == 1
    assert "unknown SQL dialect 'oracle'" in refused.stderr and "'bigquery'" in refused.stderr


def test_cli_googlesql_syntax_error_shows_its_line_with_a_caret(db):
    done = sqlml_cli(str(db), "--dialect", "bigquery", "-c", 'SELECT "a",\n  (1 + FROM t')
    assert done.returncode == 1
    assert "LINE 2:   (1 + FROM t" in done.stderr, done.stderr


def test_interactive_shell_in_bigquery(db, tmp_path):
    expected = duck(db, "SELECT max(n) FROM ds.t WHERE s = 'NY'")[0][0]  # before the shell holds the file
    env = {**os.environ, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1", "HOME": str(tmp_path)}
    env["SQLML_HISTORY"] = ""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "sqlml.cli", str(db), "--dialect", "bigquery"],
        env=env,
        dimensions=(40, 200),
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect_exact(READY)
        child.send('SELECT max(n) AS top FROM `ds.t`\r  WHERE s = "NY";\r')
        child.expect(r"│\s+(\d+)\s+│")
        assert int(child.match.group(1)) == expected
        child.expect_exact(READY)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


# -- SQLAlchemy -----------------------------------------------------------------------------------------------


def test_sqlalchemy_url_in_bigquery(db):
    engine = sa.create_engine(f"sqlml:///{db}?dialect=bigquery")
    try:
        with engine.connect() as con:
            assert con.execute(sa.text('SELECT IFNULL(NULL, "x")')).scalar() == "x"
            found = con.execute(sa.text("SELECT n FROM `ds.t` WHERE s = :s ORDER BY n"), {"s": "WY"}).scalars().all()
            assert found == [n for (n,) in duck(db, "SELECT n FROM ds.t WHERE s = 'WY' ORDER BY n")]
            table = sa.Table("t", sa.MetaData(), autoload_with=con, schema="ds")  # reflection: DuckDB's SQL
            assert [c.name for c in table.columns] == ["n", "s"]
            compiled = con.execute(sa.select(sa.func.count()).select_from(table).where(table.c.s == "CA")).scalar()
            assert compiled == duck(db, "SELECT count(*) FROM ds.t WHERE s = 'CA'")[0][0]
            one_in_duckdb = sa.text("SELECT 'a' || 'b'").execution_options(sqlml_dialect="duckdb")
            assert con.execute(one_in_duckdb).scalar() == "ab"
    finally:
        engine.dispose()


def test_sqlalchemy_default_url_hints_and_bad_dialect_is_refused(db):
    engine = sa.create_engine(f"sqlml:///{db}")
    try:
        with engine.connect() as con, pytest.raises(sa.exc.ProgrammingError, match="dialect=bigquery"):
            con.execute(sa.text('SELECT n FROM t WHERE s = "WY"'))
    finally:
        engine.dispose()
    with pytest.raises(sa.exc.ProgrammingError, match="unknown SQL dialect 'sql2016'"):
        sa.create_engine(f"sqlml:///{db}?dialect=sql2016").connect()
