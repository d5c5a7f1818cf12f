"""What PostgreSQL clients expect of a PostgreSQL server, checked against the real server process: the column
names and command tags PostgreSQL gives, psql's meta-commands, SQLAlchemy's postgresql+psycopg dialect (as BI
tools use it), parameters and values of every common type, DuckDB's file access, and broken clients.

Expected names and tags are PostgreSQL 15's (written out here); data is checked against DuckDB's own API.
"""

from __future__ import annotations

import datetime
import decimal
import struct

import duckdb
import pandas
import psycopg
import pytest
import sqlalchemy

from tests.server.serving import (
    PASSWORD,
    PREDICT_SQL,
    USER,
    RawClient,
    assert_predictions_equal,
    dsn,
    duck,
    error,
    psql,
    query,
    reference,
    rows,
    serve,
)


# -- names and tags ---------------------------------------------------------------------------------
def test_function_probes_are_named_as_postgresql_names_them(server):
    sql = (
        "SELECT version(), pg_catalog.version(), current_schema(), current_database(), current_user, "
        "count(*), max(penguin_id) FROM penguins"
    )
    with psycopg.connect(dsn(server)) as con:
        names = [d.name for d in con.execute(sql).description]
        assert names == ["version", "version", "current_schema", "current_database", "current_user", "count", "max"]
        assert [d.name for d in con.execute("SELECT current_schema()", prepare=True).description] == ["current_schema"]


def test_show_has_the_show_tag_and_postgresql_column_names(server):
    with psycopg.connect(dsn(server)) as con:
        for statement, column in [
            ("SHOW server_version", "server_version"),
            ("SHOW standard_conforming_strings", "standard_conforming_strings"),
            ("SHOW transaction isolation level", "transaction_isolation"),
        ]:
            cur = con.execute(statement)
            assert (cur.statusmessage, [d.name for d in cur.description]) == ("SHOW", [column]), statement
            assert len(cur.fetchall()) == 1


def test_psql_dt_lists_only_tables_on_the_search_path(server, database):
    listed = psql(server, "-A", "-t", "-c", r"\dt")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("|")[:2] for line in listed.stdout.splitlines()] == [["main", "penguins"]]
    qualified = psql(server, "-A", "-t", "-c", r"\dt sqlml.*")
    assert qualified.returncode == 0, qualified.stderr
    assert sorted(line.split("|")[1] for line in qualified.stdout.splitlines()) == sorted(
        t for (t,) in duck(database, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'sqlml'")
    )


def test_psql_lists_databases_schemas_and_views(server, database):
    databases = psql(server, "-A", "-t", "-c", r"\l")
    assert databases.returncode == 0, databases.stderr
    assert [line.split("|")[0] for line in databases.stdout.splitlines()] == [
        d for (d,) in duck(database, "SELECT database_name FROM duckdb_databases() WHERE NOT internal")
    ]
    schemas = psql(server, "-A", "-t", "-c", r"\dn")
    assert schemas.returncode == 0, schemas.stderr
    assert [line.split("|")[0] for line in schemas.stdout.splitlines()] == ["main", "sqlml"]


def test_psql_dv_and_d_of_a_view(database, tmp_path):
    copy = tmp_path / "views.duckdb"
    copy.write_bytes(database.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("CREATE VIEW heavy AS SELECT penguin_id, body_mass_g FROM penguins WHERE body_mass_g > 5000")
    with serve(copy) as port:
        views = psql(port, "-A", "-t", "-c", r"\dv", password="", dbname="views")
        assert views.returncode == 0, views.stderr
        assert [line.split("|")[:3] for line in views.stdout.splitlines()] == [["main", "heavy", "view"]]
        described = psql(port, "-A", "-t", "-c", r"\d heavy", password="", dbname="views")
        assert described.returncode == 0, described.stderr
        pg_names = {"BIGINT": "bigint", "DOUBLE": "double precision"}  # PostgreSQL's format_type
        assert [line.split("|")[:2] for line in described.stdout.splitlines()] == [
            [name, pg_names[kind]]
            for name, kind in duck(
                database,
                "SELECT column_name, data_type FROM "
                "duckdb_columns() WHERE table_name = 'penguins' AND column_name IN ('penguin_id', 'body_mass_g') "
                "ORDER BY column_index",
            )
        ]


# -- SQLAlchemy's PostgreSQL dialect, as BI tools use it ----------------------------------------------
def test_sqlalchemy_postgresql_dialect(server, database):
    engine = sqlalchemy.create_engine(f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{server}/penguins")
    try:
        frame = pandas.read_sql("SELECT penguin_id, species, body_mass_g FROM penguins ORDER BY penguin_id", engine)
        frame = frame.astype(object).where(frame.notna(), None)  # pandas reads NULL as NaN
        assert list(frame.itertuples(index=False, name=None)) == duck(
            database, "SELECT penguin_id, species, body_mass_g FROM penguins ORDER BY penguin_id"
        )
        inspector = sqlalchemy.inspect(engine)
        assert inspector.get_table_names() == ["penguins"]
        assert "main" in inspector.get_schema_names()
        columns = [(c["name"], type(c["type"]).__name__, c["nullable"]) for c in inspector.get_columns("penguins")]
        kinds = {"BIGINT": "BIGINT", "VARCHAR": "VARCHAR", "DOUBLE": "DOUBLE_PRECISION"}
        assert columns == [
            (name, kinds[kind], nullable)
            for name, kind, nullable in duck(
                database,
                "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                "WHERE table_name = 'penguins' ORDER BY column_index",
            )
        ]
        with engine.connect() as con:
            got = con.execute(sqlalchemy.text(PREDICT_SQL.format(bound=":bound")), {"bound": 25}).fetchall()
        assert_predictions_equal(got, reference(database, PREDICT_SQL.format(bound=25)))
    finally:
        engine.dispose()


def test_savepoints_inside_a_transaction(server):
    with psycopg.connect(dsn(server)) as con:
        with con.transaction():  # psycopg: SAVEPOINT inside the open transaction, RELEASE after
            assert con.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="ROLLBACK TO SAVEPOINT"):
            con.execute("ROLLBACK TO SAVEPOINT s")
        con.rollback()
        assert con.execute("SELECT 2").fetchone() == (2,)
    with psycopg.connect(dsn(server), autocommit=True) as con:
        with pytest.raises(psycopg.errors.NoActiveSqlTransaction):
            con.execute("SAVEPOINT s")


# -- values and parameters ----------------------------------------------------------------------------
PARAMETERS = [
    datetime.date(2024, 2, 29),
    datetime.datetime(2024, 2, 29, 12, 34, 56, 500000),
    decimal.Decimal("12345678901234.5678"),
    True,
    False,
    None,
    b"\x00\xff'\\",
    'it\'s "quoted" \\ $1',
    42,
    2.5,
]


@pytest.mark.parametrize("prepare", [False, True])
def test_parameters_of_every_common_type(server, prepare):
    with psycopg.connect(dsn(server)) as con:
        got = con.execute("SELECT " + ", ".join(["%s"] * len(PARAMETERS)), PARAMETERS, prepare=prepare).fetchone()
    assert list(got) == PARAMETERS


def test_parameters_in_predict_input_query(server, database):
    sql = (
        "SELECT penguin_id, predicted_species FROM ML.PREDICT(MODEL species, (SELECT * FROM penguins "
        "WHERE island = {} AND body_mass_g > {} AND sex IS NOT DISTINCT FROM {})) ORDER BY penguin_id"
    )
    with psycopg.connect(dsn(server)) as con:
        got = con.execute(sql.format("%s", "%s", "%s"), ["Biscoe", decimal.Decimal("5000.5"), "male"]).fetchall()
        unsexed = con.execute(sql.format("%s", "%s", "%s"), ["Dream", 1, None]).fetchall()
    assert got == reference(database, sql.format("?", "?", "?"), ["Biscoe", 5000.5, "male"]) and len(got) > 10
    assert unsexed == reference(database, sql.format("?", "?", "?"), ["Dream", 1, None]) and unsexed


def test_special_floats_and_nested_values(server):
    sql = (
        "SELECT 'NaN'::DOUBLE, 'inf'::DOUBLE, '-inf'::FLOAT, [1.5, NULL, 12345678901234567.89], "
        "{'a': [1, 2], 'b': NULL, 'c': 'q\"'}, ['NaN'::DOUBLE], MAP {'k': 1}"
    )
    with psycopg.connect(dsn(server)) as con:
        row = con.execute(sql).fetchone()
    assert str(row[0]) == "nan" and row[1] == float("inf") and row[2] == float("-inf")
    assert row[3] == [1.5, None, 12345678901234567.89]
    assert row[4] == {"a": [1, 2], "b": None, "c": 'q"'} and row[5] == ["NaN"] and row[6] == {"k": 1}
    run = psql(server, "-A", "-t", "-c", "SELECT [1.5, NULL, 12345678901234567.89]")
    assert run.stdout.strip() == "[1.50, null, 12345678901234567.89]"  # DECIMAL(19, 2), exact


# -- DuckDB's own file access -------------------------------------------------------------------------
FILE_STATEMENTS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "COPY (SELECT 1) TO '{out}'",
    "ATTACH '{out}.duckdb'",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
]


def test_duckdb_file_access_is_refused_by_default(server, tmp_path):
    out = tmp_path / "out.csv"
    with psycopg.connect(dsn(server), autocommit=True) as con:
        for statement in FILE_STATEMENTS:
            with pytest.raises(psycopg.Error, match="disabled|can only be set globally"):
                con.execute(statement.format(out=out))
        assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)
    assert list(tmp_path.iterdir()) == []


def test_allow_file_access_flag(database, tmp_path):
    with serve(database, "--allow-file-access") as port, psycopg.connect(dsn(port), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM read_csv('/etc/passwd', header = false, sep = ':')").fetchone() == (
            len(open("/etc/passwd").read().splitlines()),
        )


# -- broken and odd clients ---------------------------------------------------------------------------
@pytest.mark.parametrize("length", [2**31 - 1, -5, 3])
def test_a_bad_message_length_closes_only_that_connection(open_server, length):
    with psycopg.connect(dsn(open_server, user="x", password=""), autocommit=True) as other:
        raw = RawClient(open_server).log_in()
        raw.send(b"Q" + struct.pack("!i", length))
        refused = raw.until_closed()  # nothing allocated for the announced length
        assert len(refused) == 1 and error(refused[0])["C"] == "08P01"
        assert error(refused[0])["M"].startswith("invalid message length")
        raw.close()
        assert other.execute("SELECT 5").fetchone() == (5,)


def test_a_client_gone_mid_query_leaves_the_server_serving(open_server):
    """The client goes once its long statement runs: the first statement of its query has been answered."""
    raw = RawClient(open_server).log_in()
    raw.send(query("SELECT 'running'; SELECT count(*) FROM range(100000000000)"))
    assert raw.message()[0] == b"T" and rows([raw.message()]) == [["running"]] and raw.message()[0] == b"C"
    raw.close()
    with psycopg.connect(dsn(open_server, user="x", password=""), autocommit=True) as con:
        assert con.execute("SELECT 6").fetchone() == (6,)


def test_empty_query(open_server):
    empty = psql(open_server, "-c", ";", password="")
    assert empty.returncode == 0 and empty.stderr == ""
