"""BigQuery ML statements written in GoogleSQL, through every front end in the BigQuery dialect: CREATE MODEL
with double-quoted OPTIONS values, a backticked `dataset.model` name and a GoogleSQL query, then ML.PREDICT
over a backticked `dataset.table` (the model lands in the schema named by its dataset). The data are exact:
y = 2x + 1, so a linear_reg predicts 2x + 1 (hand-computed reference).
Statement forms: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create and
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-predict"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

import sqlml
from tests.server.serving import dsn, serve

CREATE = """CREATE OR REPLACE MODEL `ds.m`
OPTIONS (model_type = "linear_reg", input_label_cols = ["y"]) AS
SELECT x, y FROM `ds.t` WHERE s = "WY" AND IFNULL(x, -1) >= 0"""
PREDICT = 'SELECT x, predicted_y FROM ML.PREDICT(MODEL `ds.m`, (SELECT x FROM `ds.t` WHERE s = "CA")) ORDER BY x'


@pytest.fixture
def db(tmp_path) -> Path:
    """Schema `ds` with `t` (x, y = 2x + 1, s), written by DuckDB itself."""
    path = tmp_path / "bq.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA ds")
        con.execute(
            "CREATE TABLE ds.t AS SELECT i::DOUBLE AS x, 2.0 * i + 1 AS y, CASE WHEN i % 2 = 0 THEN 'WY' "
            "ELSE 'CA' END AS s FROM range(40) r(i)"
        )
    return path


def assert_predicted(rows) -> None:
    """ML.PREDICT's rows over the CA rows (odd x): predicted_y = 2x + 1."""
    assert [x for x, _ in rows] == [float(i) for i in range(1, 40, 2)]
    assert all(abs(float(predicted) - (2 * x + 1)) < 1e-6 for x, predicted in rows), rows


def assert_in_schema_ds(path: Path) -> None:
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT schema_name, model_name FROM sqlml.models").fetchall() == [("ds", "m")]


def test_dbapi(db):
    with sqlml.connect(str(db), dialect="bigquery") as con:
        con.execute(CREATE)
        assert_predicted(con.execute(PREDICT).fetchall())
    assert_in_schema_ds(db)


def test_cli_command(db):
    done = subprocess.run(
        [sys.executable, "-m", "sqlml.cli", str(db), "--dialect", "bigquery", "-csv", "-c", f"{CREATE};\n{PREDICT}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "x,predicted_y"
    assert_predicted([tuple(map(float, line.split(","))) for line in lines[1:]])
    assert_in_schema_ds(db)


def test_server(db):
    with serve(db, "--dialect", "bigquery", "--read-write") as port:
        with psycopg.connect(dsn(port, user="anyone", password="", dbname="bq"), autocommit=True) as con:
            con.execute(CREATE)
            assert_predicted(con.execute(PREDICT).fetchall())
    assert_in_schema_ds(db)


def test_sqlalchemy(db):
    engine = sa.create_engine(f"sqlml:///{db}?dialect=bigquery")
    try:
        with engine.begin() as con:
            con.execute(sa.text(CREATE))
        with engine.connect() as con:
            assert_predicted(con.execute(sa.text(PREDICT)).all())
    finally:
        engine.dispose()
    assert_in_schema_ds(db)
