"""What the server tells its clients (issue 19), with psql and psycopg against the real server process: PostgreSQL's
SQLSTATEs (written out from PostgreSQL's errcodes), the read-only hint naming --read-write, the database names a
client may connect to, and sqlml's notices as PostgreSQL NOTICEs."""

from __future__ import annotations

import shutil

import psycopg
import pytest

from tests.server.serving import RawClient, dsn, duck, error, psql, serve, startup_packet

READ_ONLY_HINT = "HINT:  the server is read-only (the default): start it with --read-write to allow writes"
TRAINING_ROWS = "these metrics are measured on its 344 training rows"  # ML.EVALUATE without held-out rows
REPLACE = (
    "CREATE OR REPLACE MODEL species OPTIONS (model_type = 'logistic_reg', input_label_cols = ['species']) "
    "AS SELECT * EXCLUDE (penguin_id) FROM penguins"
)


@pytest.fixture(scope="module")
def writable(database, tmp_path_factory):
    """A read-write server on a copy of the database; yields (port, the copy's path)."""
    copy = tmp_path_factory.mktemp("writable") / "penguins.duckdb"
    shutil.copy(database, copy)
    with serve(copy, "--read-write") as port:
        yield port, copy


# -- SQLSTATEs ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sql, error_class, code",
    [
        ("SELECT * FROM no_such_table", psycopg.errors.UndefinedTable, "42P01"),
        ("SELECT * FROM ML.PREDICT(MODEL no_such_model, TABLE penguins)", psycopg.errors.UndefinedObject, "42704"),
        ("SELECT * FROM ML.EVALUATE(MODEL nowhere.no_such_model)", psycopg.errors.UndefinedObject, "42704"),
        ("CREATE TABLE notes (n INTEGER)", psycopg.errors.ReadOnlySqlTransaction, "25006"),
        ("DROP MODEL species", psycopg.errors.ReadOnlySqlTransaction, "25006"),
    ],
)
def test_errors_carry_postgresql_sqlstates(server, sql, error_class, code):
    with psycopg.connect(dsn(server), autocommit=True) as con:
        with pytest.raises(error_class) as caught:
            con.execute(sql)
        assert caught.value.sqlstate == code
        assert con.execute("SELECT count(*) FROM penguins").fetchone() == (344,)


def test_read_only_refusals_name_read_write(server):
    run = psql(
        server,
        stdin="CREATE MODEL m OPTIONS (model_type = 'linear_reg', input_label_cols = ['body_mass_g']) "
        "AS SELECT bill_length_mm, body_mass_g FROM penguins;\nCREATE TABLE t (i INTEGER);\n",
    )
    assert "ERROR:  the database is open read-only: models cannot be changed\n" + READ_ONLY_HINT in run.stderr
    assert "which is attached in read-only mode!\n" + READ_ONLY_HINT in run.stderr
    with psycopg.connect(dsn(server), autocommit=True) as con:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction) as caught:
            con.execute("DROP MODEL species")
    assert caught.value.diag.message_hint == READ_ONLY_HINT.removeprefix("HINT:  ")
    with psycopg.connect(dsn(server), autocommit=True) as con:  # other errors have no hint
        with pytest.raises(psycopg.errors.UndefinedTable) as caught:
            con.execute("SELECT * FROM nope")
    assert caught.value.diag.message_hint is None


def test_a_transaction_conflict_is_a_serialization_failure(writable):
    """A model replaced in another client's open transaction (sqlml.TransactionConflict), and a row updated in
    one (DuckDB's own conflict): 40001, retryable once the other transaction has ended."""
    port, copy = writable
    with psycopg.connect(dsn(port)) as mine, psycopg.connect(dsn(port), autocommit=True) as other:
        mine.execute(REPLACE)  # psycopg's transaction is open: version 2, not committed
        with pytest.raises(psycopg.errors.SerializationFailure, match="can be retried") as caught:
            other.execute(REPLACE)
        assert caught.value.sqlstate == "40001"
        mine.commit()
        other.execute(REPLACE)  # the retry
        mine.execute("UPDATE penguins SET year = 1 WHERE penguin_id = 1")
        with pytest.raises(psycopg.errors.SerializationFailure, match="Conflict on update"):
            other.execute("UPDATE penguins SET year = 2 WHERE penguin_id = 1")
        mine.rollback()
        other.execute("UPDATE penguins SET year = 2 WHERE penguin_id = 1")
    with psycopg.connect(dsn(port), autocommit=True) as con:
        assert con.execute(
            "SELECT list(version ORDER BY version) FROM sqlml.model_versions WHERE model_name = 'species'"
        ).fetchone() == ([1, 2, 3],)
        assert con.execute("SELECT year FROM penguins WHERE penguin_id = 1").fetchone() == (2,)


# -- database names ---------------------------------------------------------------------------------------
def test_the_database_is_named_by_its_file_and_postgres_is_accepted(open_server, database):
    (name,) = duck(database, "SELECT current_database()")[0]
    assert name == database.stem == "penguins"
    for dbname in (name, "postgres"):
        run = psql(open_server, "-A", "-t", "-c", "SELECT count(*) FROM penguins", password="", dbname=dbname)
        assert (run.returncode, run.stdout) == (0, "344\n"), run.stderr
    refused = psql(open_server, "-c", "SELECT 1", password="", dbname="analytics")
    assert refused.returncode == 2
    assert (
        'FATAL:  database "analytics" does not exist\nHINT:  this server serves database "penguins"' in refused.stderr
    )
    raw = RawClient(open_server)
    raw.send(startup_packet(database="analytics"))
    (answer,) = raw.until_closed()
    assert (error(answer)["S"], error(answer)["C"]) == ("FATAL", "3D000")
    raw.close()


# -- notices ----------------------------------------------------------------------------------------------
def test_psql_prints_notices(server):
    run = psql(server, "-A", "-t", "-c", "SELECT accuracy FROM ML.EVALUATE(MODEL species)")
    assert run.returncode == 0 and run.stdout == "1.0\n", run.stderr
    (notice,) = run.stderr.splitlines()
    assert notice.startswith("NOTICE:  model main.species version 1 held no rows out") and TRAINING_ROWS in notice
    quiet = psql(
        server,
        "-A",
        "-t",
        "-c",
        "SELECT accuracy FROM ML.EVALUATE(MODEL species, (SELECT * FROM penguins WHERE penguin_id <= 100))",
    )
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr  # held-out rows: nothing to say


@pytest.mark.parametrize("prepare", [False, True])
def test_psycopg_receives_notices_before_the_result(server, prepare):
    with psycopg.connect(dsn(server), autocommit=True) as con:
        notices = []  # a notice's fields are readable inside the handler only
        con.add_notice_handler(lambda n: notices.append((n.severity, n.sqlstate, n.message_primary)))
        cur = con.execute("SELECT accuracy FROM ML.EVALUATE(MODEL species) WHERE %s", [True], prepare=prepare)
        assert cur.fetchall() == [(1.0,)]
        ((severity, code, text),) = notices
        assert (severity, code) == ("NOTICE", "00000") and TRAINING_ROWS in text
        con.execute("SELECT 1")
        assert len(notices) == 1  # a statement without notices adds none
