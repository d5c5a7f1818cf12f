"""Model expiration: CREATE MODEL's and ALTER MODEL's expiration_timestamp option.

https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#alter_model_set_options_statement
(`ALTER MODEL m SET OPTIONS (expiration_timestamp = TIMESTAMP "2035-02-03 12:34:56")`; a TIMESTAMP without a zone is
UTC). sqlml keeps an expired model, refuses every use of it, lists it as expired, and lets DROP delete it. The
timestamps are in the past (2001) or far future (2035): no test waits on the clock.
"""

from __future__ import annotations

import datetime

import duckdb
import pytest

import sqlml
from tests.engine.reference import fails

PAST, FUTURE = "2001-02-03 12:34:56", "2035-02-03 12:34:56"
UTC = datetime.UTC


@pytest.fixture
def cur(con):
    cursor = con.cursor()
    cursor.execute("CREATE TABLE t AS SELECT i::DOUBLE AS x, (i % 3)::DOUBLE AS y FROM range(30) r(i)")
    return cursor


def create(cur, name: str, expiration: str = "") -> None:
    cur.execute(
        f"CREATE OR REPLACE MODEL {name} OPTIONS(model_type='linear_reg', input_label_cols=['y']{expiration}) "
        "AS SELECT x, y FROM t"
    )


def shown(cur, name: str) -> tuple:
    """(expiration_timestamp, expired) as SHOW MODELS and DESCRIBE MODEL give them (they must agree)."""
    cur.execute("SHOW MODELS")
    names = [d[0] for d in cur.description]
    row = next(r for r in cur.fetchall() if r[names.index("model_name")] == name)
    listed = row[names.index("expiration_timestamp")], row[names.index("expired")]
    cur.execute(f"DESCRIBE MODEL {name}")
    names = [d[0] for d in cur.description]
    (row,) = cur.fetchall()
    assert (row[names.index("expiration_timestamp")], row[names.index("expired")]) == listed
    return listed


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_future_expiration_is_shown_and_the_model_works(cur):
    create(cur, "m", f", expiration_timestamp = TIMESTAMP '{FUTURE}'")
    assert shown(cur, "m") == (at(FUTURE), False)
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE t)")
    assert cur.fetchall() == [(30,)]
    cur.execute("SELECT expiration_timestamp FROM sqlml.models WHERE model_name = 'm'")
    assert cur.fetchall() == [(at(FUTURE),)]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE t)",
        "SELECT * FROM ML.EVALUATE(MODEL m)",
        "SELECT * FROM ML.WEIGHTS(MODEL m)",
        "SELECT * FROM ML.TRAINING_INFO(MODEL m)",
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL m, TABLE t)",
        "EXPORT MODEL m OPTIONS (uri = '{tmp}/m.onnx')",
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y'], warm_start=TRUE) "
        "AS SELECT x, y FROM t",
    ],
)
def test_an_expired_model_is_refused_by_every_use(cur, statement, tmp_path):
    create(cur, "m", f", expiration_timestamp = TIMESTAMP '{FUTURE}'")
    cur.execute(f"ALTER MODEL m SET OPTIONS (expiration_timestamp = TIMESTAMP '{PAST}')")
    assert shown(cur, "m") == (at(PAST), True)
    fails(cur.connection, statement.format(tmp=tmp_path), sqlml.ProgrammingError, "main.m", f"expired at {PAST} UTC")
    assert not list(tmp_path.iterdir())


def test_null_clears_it_and_drop_deletes_an_expired_model(cur):
    create(cur, "m", f", expiration_timestamp = TIMESTAMP '{PAST}'")
    cur.execute("ALTER MODEL m SET OPTIONS (expiration_timestamp = NULL)")
    assert shown(cur, "m") == (None, False)
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE t)")
    assert cur.fetchall() == [(30,)]
    cur.execute(f"ALTER MODEL m SET OPTIONS (expiration_timestamp = TIMESTAMP '{PAST}')")
    cur.execute("DROP MODEL m")
    cur.execute("SHOW MODELS")
    assert cur.fetchall() == []


def test_replacing_an_expired_model_makes_a_usable_one(cur):
    """CREATE OR REPLACE makes the model anew: without expiration_timestamp it never expires."""
    create(cur, "m", f", expiration_timestamp = TIMESTAMP '{PAST}'")
    create(cur, "m")
    assert shown(cur, "m") == (None, False)


@pytest.mark.parametrize("create_sql", ["CREATE MODEL", "CREATE MODEL IF NOT EXISTS"])
def test_create_takes_an_expired_model_for_gone(cur, create_sql):
    """BigQuery ML deletes an expired model, so CREATE MODEL (without OR REPLACE) and IF NOT EXISTS make it anew: a
    new version, active and unexpired."""
    create(cur, "m", f", expiration_timestamp = TIMESTAMP '{PAST}'")
    cur.execute(f"{create_sql} m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t")
    assert shown(cur, "m") == (None, False)
    cur.execute("SELECT version, active FROM ML.VERSIONS(MODEL m) ORDER BY version")
    assert cur.fetchall() == [(1, False), (2, True)]
    fails(
        cur.connection,
        "CREATE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t",
        sqlml.IntegrityError,
        "already exists",
    )


def test_zoned_timestamps_and_strings(cur):
    """TIMESTAMPTZ keeps its zone; a string reads as a TIMESTAMP, UTC (as the BigQuery dialect's TIMESTAMP "...")."""
    create(cur, "m", ", expiration_timestamp = TIMESTAMPTZ '2035-02-03 12:34:56+02'")
    assert shown(cur, "m")[0] == at("2035-02-03 10:34:56")
    cur.execute(f"ALTER MODEL m SET OPTIONS (expiration_timestamp = '{FUTURE}')")
    assert shown(cur, "m")[0] == at(FUTURE)


def test_bad_expirations_are_refused(cur):
    create(cur, "m")
    alter = "ALTER MODEL m SET OPTIONS (expiration_timestamp = {})"
    fails(cur.connection, alter.format("42"), sqlml.ProgrammingError, "expiration_timestamp", "TIMESTAMP", "42")
    fails(cur.connection, alter.format("'not a time'"), sqlml.ProgrammingError, "expiration_timestamp", "valid")
    fails(
        cur.connection,
        "CREATE MODEL n OPTIONS(model_type='linear_reg', input_label_cols=['y'], expiration_timestamp = 1.5) "
        "AS SELECT x, y FROM t",
        sqlml.ProgrammingError,
        "expiration_timestamp",
    )


def test_a_catalog_older_than_expirations_reads_and_upgrades(tmp_path):
    """A database whose sqlml.models lacks the column (as an older sqlml wrote it) is read as it is, and gains
    the column with its next catalog write."""
    path = str(tmp_path / "old.duckdb")
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute("CREATE TABLE t AS SELECT i::DOUBLE AS x, (i % 3)::DOUBLE AS y FROM range(30) r(i)")
        create(cur, "m")
    with duckdb.connect(path) as raw:
        raw.execute("ALTER TABLE sqlml.models DROP COLUMN expiration_timestamp")
    with sqlml.connect(path) as con:
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL m, TABLE t)")
        assert cur.fetchall() == [(30,)]
        assert shown(cur, "m") == (None, False)
        create(cur, "n", f", expiration_timestamp = TIMESTAMP '{PAST}'")
        assert shown(cur, "n") == (at(PAST), True)
        fails(con, "SELECT * FROM ML.PREDICT(MODEL n, TABLE t)", sqlml.ProgrammingError, "expired")
