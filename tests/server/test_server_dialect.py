"""`sqlml serve --dialect bigquery`: every client session starts reading GoogleSQL, a client switches its own
with SET sqlml_dialect; psql's catalog commands keep working; the server's settings check applies to the SQL
that GoogleSQL is translated to. Real servers, real psql and psycopg; expected values from DuckDB itself."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import psycopg
import pytest

from tests.server.serving import dsn, free_port, psql, serve

HINT = "SET sqlml_dialect = 'bigquery'"


@pytest.fixture(scope="module")
def bigquery_server(database):
    """Read-only, no password, clients starting in the BigQuery dialect; yields the port."""
    with serve(database, "--dialect", "bigquery") as port:
        yield port


def connect(port: int) -> psycopg.Connection:
    return psycopg.connect(dsn(port, user="anyone", password=""), autocommit=True)


def expected(database, sql: str) -> list[tuple]:
    """DuckDB's own answer to DuckDB's SQL (the served file is open read-only: readers may share it)."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_psycopg_reads_googlesql_with_parameters(bigquery_server, database):
    with connect(bigquery_server) as con:
        assert con.execute('SELECT IFNULL(NULL, "x")').fetchall() == [("x",)]
        got = con.execute(
            'SELECT island, count(*) FROM penguins WHERE species = "Adelie" AND body_mass_g > %s '
            "GROUP BY island ORDER BY island",
            [3500],
        ).fetchall()
    assert got == expected(
        database,
        "SELECT island, count(*) FROM penguins WHERE species = 'Adelie' AND body_mass_g > 3500 "
        "GROUP BY island ORDER BY island",
    )


def test_psql_simple_protocol_reads_googlesql(bigquery_server, database):
    done = psql(
        bigquery_server, "-At", "-c", 'SELECT count(*) FROM penguins WHERE island = "Dream"; SHOW sqlml_dialect'
    )
    assert done.returncode == 0, done.stderr
    (count,) = expected(database, "SELECT count(*) FROM penguins WHERE island = 'Dream'")[0]
    assert done.stdout.split() == [str(count), "bigquery"]


def test_each_client_switches_its_own_session(bigquery_server):
    with connect(bigquery_server) as switched, connect(bigquery_server) as other:
        switched.execute("SET sqlml_dialect = 'duckdb'")
        assert switched.execute("SHOW sqlml_dialect").fetchall() == [("duckdb",)]
        with pytest.raises(psycopg.errors.UndefinedColumn) as caught:
            switched.execute('SELECT species FROM penguins WHERE species = "Adelie"')
        assert HINT in caught.value.diag.message_hint
        assert other.execute("SHOW sqlml_dialect").fetchall() == [("bigquery",)]
        switched.execute("RESET sqlml_dialect")  # back to the server's dialect
        assert switched.execute("SHOW sqlml_dialect").fetchall() == [("bigquery",)]
        with pytest.raises(psycopg.errors.ProgrammingError, match="unknown SQL dialect 'ansi'"):
            switched.execute("SET sqlml_dialect = 'ansi'")


def test_psql_catalog_commands_keep_working_in_bigquery(bigquery_server):
    described = psql(bigquery_server, "-c", r"\d penguins")
    assert described.returncode == 0, described.stderr
    assert "species" in described.stdout and "body_mass_g" in described.stdout
    listed = psql(bigquery_server, "-c", r"\dt")
    assert listed.returncode == 0 and "penguins" in listed.stdout, listed.stderr


def test_the_settings_check_applies_to_translated_sql(bigquery_server):
    with connect(bigquery_server) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="SET GLOBAL is not allowed"):
            con.execute("# a GoogleSQL comment, which DuckDB cannot read\nSET GLOBAL threads = 1")


def test_the_default_dialect_hints_at_the_switch(open_server):
    with psycopg.connect(dsn(open_server, user="anyone", password="")) as con:
        with pytest.raises(psycopg.errors.UndefinedColumn) as caught:
            con.execute('SELECT species FROM penguins WHERE species = "Adelie"')
    assert "--dialect bigquery" in caught.value.diag.message_hint  # PostgreSQL's HINT field
    assert 'Referenced column "Adelie" not found' in caught.value.diag.message_primary
    done = psql(open_server, "-c", 'SELECT species FROM penguins WHERE species = "Adelie"', user="anyone")
    assert "HINT:  if this is GoogleSQL" in done.stderr and HINT in done.stderr, done.stderr


def test_an_unknown_dialect_stops_the_server_at_start(database):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--port", str(free_port()), "--dialect", "sybase"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "unknown SQL dialect 'sybase'" in done.stderr and "'bigquery'" in done.stderr


def test_a_failed_googlesql_statement_leaves_the_catalog_unchanged(database, tmp_path):
    copy = shutil.copy(database, tmp_path / "penguins.duckdb")
    catalog = "SELECT model_name, version FROM sqlml.model_versions ORDER BY ALL"
    before = expected(copy, catalog)
    with serve(copy, "--dialect", "bigquery", "--read-write") as port, connect(port) as con:
        with pytest.raises(psycopg.Error):
            con.execute(
                'CREATE MODEL adelie OPTIONS(model_type="logistic_reg", input_label_cols=["nosuch"]) AS '
                'SELECT * FROM penguins WHERE species = "Adelie"'
            )
        with pytest.raises(psycopg.Error):
            con.execute('CREATE TABLE dream AS SELECT nosuch_function(island) FROM penguins WHERE island = "Dream"')
    assert expected(copy, catalog) == before
    assert expected(copy, "SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('adelie', 'dream')") == [(0,)]
