"""The wire server with real clients (psql, psycopg 3) against the real server process on 127.0.0.1.

References are independent of the server: DuckDB's own Python API and sqlml's DB-API on the same file.
"""

from __future__ import annotations

import datetime
import decimal
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import onnxruntime
import psycopg
import pytest

from tests.server.serving import (
    PASSWORD,
    PREDICT_SQL,
    USER,
    assert_predictions_equal,
    dsn,
    duck,
    psql,
    reference,
    serve,
)


# -- psql ---------------------------------------------------------------------------------------------
def test_psql_query_dt_and_d(server, database):
    count = psql(server, "-A", "-t", "-c", "SELECT count(*) FROM penguins")
    assert count.returncode == 0, count.stderr
    assert int(count.stdout) == duck(database, "SELECT count(*) FROM penguins")[0][0]

    tables = psql(server, "-A", "-t", "-c", r"\dt")
    assert tables.returncode == 0, tables.stderr
    listed = sorted(tuple(line.split("|")[:3]) for line in tables.stdout.splitlines())
    expected = sorted(
        (s, t, "table")
        for s, t in duck(database, "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name = 'main'")
    )
    assert listed == expected

    described = psql(server, "-A", "-t", "-c", r"\d penguins")
    assert described.returncode == 0, described.stderr
    columns = [line.split("|")[:2] for line in described.stdout.splitlines() if "|" in line]
    pg_names = {"BIGINT": "bigint", "VARCHAR": "character varying", "DOUBLE": "double precision"}  # PostgreSQL's \d
    expected = [
        [name, pg_names[kind]]
        for name, kind in duck(
            database,
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'penguins' ORDER BY column_index",
        )
    ]
    assert columns == expected


def test_psql_error_then_a_working_query_in_one_session(server):
    run = psql(
        server, "-A", "-t", stdin="SELECT * FROM no_such_table;\nSELECT 40 + 2;\nselec 1;\nSELECT 'still here';\n"
    )
    assert "ERROR:  Catalog Error: Table with name no_such_table does not exist" in run.stderr
    assert "LINE 1: selec 1" in run.stderr  # the syntax error's position, drawn by psql
    assert run.stdout.split() == ["42", "still", "here"]


def test_psql_refuses_a_wrong_password_or_user(server):
    for user, password in [(USER, "wrong"), ("mallory", PASSWORD)]:
        run = psql(server, "-c", "SELECT 1", user=user, password=password)
        assert run.returncode == 2
        assert f'FATAL:  password authentication failed for user "{user}"' in run.stderr


# -- psycopg ------------------------------------------------------------------------------------------
def test_psycopg_predict_matches_the_dbapi(server, database):
    with psycopg.connect(dsn(server)) as con:
        got = con.execute(PREDICT_SQL.format(bound="%s"), [40]).fetchall()
        assert con.execute(PREDICT_SQL.format(bound=40)).fetchall() == got  # simple protocol, same rows
    assert_predictions_equal(got, reference(database, PREDICT_SQL.format(bound="?"), [40]))


def test_psycopg_refuses_a_wrong_password(server):
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "analyst"'):
        psycopg.connect(dsn(server, password="wrong"))


def test_types_and_nulls_decode_as_duckdb_returns_them(server, database):
    sql = (
        "SELECT 1::SMALLINT, 2::INTEGER, 3::BIGINT, 1.5::FLOAT, 2.25::DOUBLE, 12.34::DECIMAL(10, 2), 'x'::VARCHAR, "
        "TRUE, DATE '2024-02-29', TIMESTAMP '2024-02-29 12:34:56.5', TIMESTAMPTZ '2024-02-29 12:34:56+00', "
        "'\\x00\\xff'::BLOB, NULL::INTEGER, [1, 2], {'a': 1, 'b': 'z'}"
    )
    with psycopg.connect(dsn(server)) as con:
        cur = con.execute(sql)
        row = cur.fetchone()
        oids = [d.type_code for d in cur.description]
    assert oids == [21, 23, 20, 700, 701, 1700, 1043, 16, 1082, 1114, 1184, 17, 23, 114, 114]
    expected = duck(database, sql)[0]
    assert row[:11] == expected[:11]
    assert isinstance(row[5], decimal.Decimal) and isinstance(row[9], datetime.datetime)
    assert row[11] == expected[11] == b"\x00\xff"
    assert row[12] is None and row[13] == [1, 2] and row[14] == {"a": 1, "b": "z"}


def test_an_error_aborts_the_transaction_until_rollback(server):
    with psycopg.connect(dsn(server)) as con:  # psycopg opens a transaction (BEGIN) before the first statement
        with pytest.raises(psycopg.errors.UndefinedTable):
            con.execute("SELECT * FROM nope")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            con.execute("SELECT 1")
        con.rollback()
        assert con.execute("SELECT 2").fetchone() == (2,)


def test_cancel_interrupts_the_running_statement(server):
    with psycopg.connect(dsn(server), autocommit=True) as con:
        timer = threading.Timer(0.5, con.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            con.execute("SELECT count(*) FROM range(1000000000000)")
        timer.join()
        assert time.monotonic() - started < 10
        assert con.execute("SELECT 3").fetchone() == (3,)


def test_eight_concurrent_clients(server, database):
    by_species = dict(duck(database, "SELECT species, count(*) FROM penguins GROUP BY ALL"))
    predicted = {row[0]: row[1] for row in reference(database, PREDICT_SQL.format(bound=344))}

    def client(number: int) -> int:
        with psycopg.connect(dsn(server), autocommit=True) as con:
            for i in range(200):
                key = (number * 200 + i) % 344 + 1
                if i % 10 == 0:
                    sql = (
                        "SELECT predicted_species FROM ML.PREDICT(MODEL species, (SELECT * FROM penguins "
                        "WHERE penguin_id = %s))"
                    )
                    assert con.execute(sql, [key]).fetchone() == (predicted[key],)
                elif i % 2:
                    species = sorted(by_species)[key % 3]
                    assert con.execute("SELECT count(*) FROM penguins WHERE species = %s", [species]).fetchone() == (
                        by_species[species],
                    )
                else:
                    assert con.execute(f"SELECT penguin_id FROM penguins WHERE penguin_id = {key}").fetchone() == (key,)
        return 200

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(client, range(8), timeout=120)) == 1600


# -- read-only, read-write ----------------------------------------------------------------------------
WRITES = [
    "CREATE TABLE notes (n INTEGER)",
    "INSERT INTO penguins (penguin_id) VALUES (1000)",
    "CREATE MODEL mass OPTIONS (model_type = 'linear_reg', input_label_cols = ['body_mass_g']) AS "
    "SELECT bill_length_mm, body_mass_g FROM penguins",
]


def test_read_only_rejects_writes(server, database):
    with psycopg.connect(dsn(server), autocommit=True) as con:
        for statement in WRITES:
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction, match="read-only"):
                con.execute(statement)
        assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)
    assert duck(database, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes'") == [(0,)]


def test_read_write_accepts_writes(database, tmp_path):
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    with serve(copy, "--read-write") as port, psycopg.connect(dsn(port), autocommit=True) as con:
        for statement in WRITES:
            cur = con.execute(statement)
            if statement.startswith("INSERT"):
                assert cur.statusmessage == "INSERT 0 1" and cur.rowcount == 1
        assert con.execute("INSERT INTO notes VALUES (%s), (%s)", [1, 2]).statusmessage == "INSERT 0 2"
    # the server has stopped (a DuckDB file open read-write cannot be opened by another process)
    assert duck(copy, "SELECT count(*) FROM notes") == [(2,)]
    assert duck(copy, "SELECT count(*) FROM penguins") == [(345,)]
    assert [row[:2] for row in reference(copy, "SHOW MODELS")] == [("main", "mass"), ("main", "species")]


def test_cancel_stops_a_training_and_leaves_the_catalog_unchanged(database, tmp_path):
    copy = tmp_path / "penguins.duckdb"
    shutil.copy(database, copy)
    before = duck(copy, "SELECT * FROM sqlml.model_versions ORDER BY ALL")
    models = [row[1] for row in reference(copy, "SHOW MODELS")]
    with serve(copy, "--read-write") as port, psycopg.connect(dsn(port), autocommit=True) as con:
        timer = threading.Timer(1.0, con.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="cancelled"):
            con.execute(
                "CREATE MODEL slow OPTIONS (model_type = 'boosted_tree_regressor', input_label_cols = ['y'], "
                "max_iterations = 100000, early_stop = FALSE, learn_rate = 0.001) "
                "AS SELECT random() AS x, random() AS y FROM range(20000)"
            )
        timer.join()
        assert time.monotonic() - started < 20  # 100,000 iterations take minutes
        assert con.execute("SELECT 3").fetchone() == (3,)
    assert duck(copy, "SELECT * FROM sqlml.model_versions ORDER BY ALL") == before
    assert [row[1] for row in reference(copy, "SHOW MODELS")] == models == ["species"]


def test_without_a_password_only_loopback_may_be_served(database):
    run = subprocess.run(
        [sys.executable, "-m", "sqlml.server.cli", str(database), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "refusing to listen on 0.0.0.0 without a password" in run.stderr


# -- EXPORT MODEL -------------------------------------------------------------------------------------
def test_export_refused_without_export_dir(open_server, tmp_path):
    with psycopg.connect(dsn(open_server, user="anyone", password="")) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="EXPORT MODEL is not allowed"):
            con.execute(f"EXPORT MODEL species OPTIONS (uri = '{tmp_path / 'm.onnx'}')")
    assert list(tmp_path.iterdir()) == []


def test_export_only_inside_export_dir(server, export_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (export_dir / "escape").symlink_to(outside)
    with psycopg.connect(dsn(server), autocommit=True) as con:
        for uri in [str(outside / "m.onnx"), "../m.onnx", "escape/m.onnx"]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="outside the export directory"):
                con.execute(f"EXPORT MODEL species OPTIONS (uri = '{uri}')")
        row = con.execute("EXPORT MODEL species OPTIONS (uri = 'species.onnx')").fetchone()
    assert list(outside.iterdir()) == [] and not (tmp_path / "m.onnx").exists()
    written = export_dir / "species.onnx"
    assert row[2] == str(written.resolve()) and written.is_file()
    session = onnxruntime.InferenceSession(str(written))
    assert {o.name for o in session.get_outputs()} == {"predicted_species", "predicted_species_probs"}


# -- what BI tools ask --------------------------------------------------------------------------------
def test_bi_probes(server, database):
    columns_sql = """
        SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, a.attnotnull
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        WHERE c.relkind = ANY (ARRAY['r', 'p', 'v', 'm']) AND n.nspname = %s AND c.relname = %s
          AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum"""
    with psycopg.connect(dsn(server)) as con:
        assert con.execute("SELECT version()").fetchone()[0].startswith("PostgreSQL 15.0 ")
        assert con.execute("SELECT pg_catalog.version()").fetchone()[0].startswith("PostgreSQL 15.0 ")
        assert con.execute("SHOW server_version").fetchone() == ("15.0",)
        assert con.info.server_version == 150000
        assert con.execute("SELECT current_schema()").fetchone() == ("main",)
        columns = con.execute(columns_sql, ["main", "penguins"]).fetchall()
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL").fetchall()
        info_columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            ["penguins"],
        ).fetchall()
        namespaces = con.execute("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1").fetchall()
    truth = duck(
        database,
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name = 'penguins' ORDER BY column_index",
    )
    typnames = {"BIGINT": "int8", "VARCHAR": "varchar", "DOUBLE": "float8"}
    formatted = {"BIGINT": "bigint", "VARCHAR": "character varying", "DOUBLE": "double precision"}  # PostgreSQL's
    assert columns == [(name, formatted[kind], typnames[kind], not nullable) for name, kind, nullable in truth]
    assert info_columns == [(name, kind) for name, kind, _ in truth]
    assert tables == duck(database, "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL")
    assert {"main", "sqlml"} <= {n for (n,) in namespaces}
