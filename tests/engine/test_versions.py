"""Versions and rollback: ALTER MODEL ... SET ACTIVE VERSION, ALTER MODEL ... SET OPTIONS, ML.VERSIONS."""

from __future__ import annotations

import numpy as np
import pytest

import sqlml
from tests.engine.reference import fails

DATA = "CREATE TABLE t AS SELECT range::DOUBLE AS x, (range % 7)::DOUBLE AS z, 2.0 * range + (range % 7) AS y FROM range(60)"
CREATE = (
    "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y'], l2_reg={l2}) "
    "AS SELECT x, z, y FROM t WHERE x < {limit}"
)


def _predictions(con, model="m"):
    cur = con.cursor()
    cur.execute(f"SELECT predicted_y FROM ML.PREDICT(MODEL {model}, (SELECT x, z FROM t ORDER BY x))")
    return np.array([r[0] for r in cur.fetchall()])


def _least_squares(con, limit):
    cur = con.cursor()
    cur.execute(f"SELECT x, z, y FROM t WHERE x < {limit}")
    rows = np.array(cur.fetchall(), dtype=float)
    design = np.column_stack([rows[:, :2], np.ones(len(rows))])
    coef = np.linalg.lstsq(design, rows[:, 2], rcond=None)[0]
    cur.execute("SELECT x, z FROM t ORDER BY x")
    return np.column_stack([np.array(cur.fetchall(), dtype=float), np.ones(60)]) @ coef


def test_rollback_and_roll_forward(con):
    """v1 is least squares on 40 rows, v2 ridge on all rows: after SET ACTIVE VERSION 1, ML.PREDICT
    gives v1's least-squares predictions again; a new CREATE OR REPLACE makes version 3."""
    cur = con.cursor()
    cur.execute(DATA)
    cur.execute(CREATE.format(l2=0, limit=40))
    cur.execute(CREATE.format(l2=50, limit=100))
    second = _predictions(con)
    cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL m VERSION 2, (SELECT x, z FROM t ORDER BY x))")
    np.testing.assert_allclose(second, [r[0] for r in cur.fetchall()], rtol=1e-12)
    cur.execute("ALTER MODEL m SET ACTIVE VERSION 1")
    np.testing.assert_allclose(_predictions(con), _least_squares(con, 40), rtol=1e-9, atol=1e-9)
    cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL m, (SELECT x, z FROM t ORDER BY x), STRUCT(2 AS version))")
    np.testing.assert_allclose(second, [r[0] for r in cur.fetchall()], rtol=1e-12)
    assert np.abs(_predictions(con) - second).max() > 0.1
    cur.execute("ALTER MODEL m SET ACTIVE VERSION 2")
    np.testing.assert_allclose(_predictions(con), second, rtol=1e-12)
    cur.execute("ALTER MODEL m SET ACTIVE VERSION 1")
    cur.execute(CREATE.format(l2=0, limit=20))
    cur.execute("SELECT version, active, training_sql, training_rows, data_fingerprint FROM ML.VERSIONS(MODEL m)")
    rows = cur.fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [(1, False, 40), (2, False, 60), (3, True, 20)]
    assert [r[2] for r in rows] == [
        "SELECT x, z, y FROM t WHERE x < 40",
        "SELECT x, z, y FROM t WHERE x < 100",
        "SELECT x, z, y FROM t WHERE x < 20",
    ]
    assert rows[0][4] != rows[1][4] and rows[0][4].startswith("40:")
    np.testing.assert_allclose(_predictions(con), _least_squares(con, 20), rtol=1e-9, atol=1e-9)


def test_the_active_version_survives_a_reconnect_and_a_rolled_back_transaction(tmp_path):
    path = str(tmp_path / "v.duckdb")
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute(DATA)
        cur.execute(CREATE.format(l2=0, limit=40))
        cur.execute(CREATE.format(l2=50, limit=100))
        cur.execute("ALTER MODEL m SET ACTIVE VERSION 1")
        cur.execute("BEGIN")
        cur.execute("ALTER MODEL m SET ACTIVE VERSION 2")
        cur.execute("ROLLBACK")
    with sqlml.connect(path) as con:
        assert con.cursor().execute("SELECT version FROM ML.VERSIONS(MODEL m) WHERE active").fetchall() == [(1,)]
        np.testing.assert_allclose(_predictions(con), _least_squares(con, 40), rtol=1e-9, atol=1e-9)


def test_description_and_labels(con):
    cur = con.cursor()
    cur.execute(DATA)
    cur.execute(CREATE.format(l2=0, limit=40))
    cur.execute(
        "ALTER MODEL m SET OPTIONS(description='y from x and z', labels=[('team', 'pricing'), ('stage', 'dev')])"
    )
    cur.execute("SELECT description, labels FROM (SELECT * FROM sqlml.models)")
    assert cur.fetchall() == [("y from x and z", '{"team": "pricing", "stage": "dev"}')]
    cur.execute("ALTER MODEL m SET OPTIONS(description=NULL)")
    cur.execute("SHOW MODELS")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    assert row["description"] is None and row["labels"] == '{"team": "pricing", "stage": "dev"}'


BAD = [
    ("ALTER MODEL m SET ACTIVE VERSION 9", sqlml.ProgrammingError, ["no version 9", "versions: 1, 2"]),
    ("ALTER MODEL nowhere SET ACTIVE VERSION 1", sqlml.ProgrammingError, ["nowhere", "does not exist"]),
    ("ALTER MODEL m SET OPTIONS(l2_reg=1)", sqlml.ProgrammingError, ["description and labels", "l2_reg"]),
    ("ALTER MODEL m SET OPTIONS(labels=['a'])", sqlml.ProgrammingError, ["labels", "('key', 'value') pairs"]),
    ("ALTER MODEL m SET OPTIONS(description=3)", sqlml.ProgrammingError, ["description", "a string"]),
    ("SELECT * FROM ML.VERSIONS(MODEL m, TABLE t)", sqlml.ProgrammingError, ["takes a model only"]),
    ("SELECT * FROM ML.PREDICT(MODEL m VERSION 9, TABLE t)", sqlml.ProgrammingError, ["no version 9"]),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT(9 AS version))", sqlml.ProgrammingError, ["no version 9"]),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE t, STRUCT('2' AS version))",
        sqlml.ProgrammingError,
        ["version must be a version number", "'2'"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m VERSION 1, TABLE t, STRUCT(2 AS version))",
        sqlml.ProgrammingError,
        ["VERSION 1 and STRUCT(2 AS version) disagree"],
    ),
    ("SELECT * FROM ML.VERSIONS(MODEL m, STRUCT(1 AS version))", sqlml.ProgrammingError, ["takes no model version"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_version_statements(con, sql, error, fragments):
    cur = con.cursor()
    cur.execute(DATA)
    cur.execute(CREATE.format(l2=0, limit=40))
    cur.execute(CREATE.format(l2=50, limit=100))
    fails(con, sql, error, *fragments)


def test_alter_if_exists_on_a_missing_model_does_nothing(con):
    con.cursor().execute("ALTER MODEL IF EXISTS nowhere SET ACTIVE VERSION 1")
