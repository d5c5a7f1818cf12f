"""Concurrent model writes from many cursors of one process (issue 14, item 8): no raw DuckDB conflict, every
version number taken once, and a conflict that cannot be avoided is a retryable TransactionConflict."""

from __future__ import annotations

import threading

import duckdb
import pytest

import sqlml

CREATE = "CREATE {} MODEL {} OPTIONS(model_type='linear_reg', input_label_cols=['y']) AS SELECT x, y FROM t"


@pytest.fixture
def path(tmp_path):
    path = str(tmp_path / "c.duckdb")
    with duckdb.connect(path) as con:
        con.execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, 2.0 * range + 1 AS y FROM range(200)")
    return path


def run_together(con: sqlml.Connection, statements: list[str]) -> list[BaseException]:
    """Run each statement on a cursor of its own, all threads released at once; the errors raised."""
    failures, start = [], threading.Barrier(len(statements))

    def run(sql):
        cur = con.cursor()
        start.wait()
        try:
            cur.execute(sql)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(sql,)) for sql in statements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_eight_new_models_on_a_fresh_file_all_succeed(path):
    """They raced to create the catalog schema: 5 of 8 failed with "Catalog write-write conflict"."""
    with sqlml.connect(path) as con:
        assert run_together(con, [CREATE.format("", f"m{i}") for i in range(8)]) == []
    with duckdb.connect(path) as con:
        assert con.execute("SELECT model_name, active_version FROM sqlml.models ORDER BY 1").fetchall() == [
            (f"m{i}", 1) for i in range(8)
        ]


def test_concurrent_replaces_of_one_model_take_distinct_versions(path):
    with sqlml.connect(path) as con:
        con.execute(CREATE.format("", "m"))
        assert run_together(con, [CREATE.format("OR REPLACE", "m")] * 8) == []
    with duckdb.connect(path) as con:
        assert con.execute("SELECT list(version ORDER BY version) FROM sqlml.model_versions").fetchone() == (
            list(range(1, 10)),
        )
        assert con.execute("SELECT active_version FROM sqlml.models").fetchone() == (9,)


def test_concurrent_creates_of_one_name_leave_one_model_and_clear_errors(path):
    with sqlml.connect(path) as con:
        failures = run_together(con, [CREATE.format("", "m")] * 4)
    assert len(failures) == 3
    assert all(isinstance(f, sqlml.IntegrityError) and "main.m" in str(f) for f in failures), failures


def test_a_conflict_with_an_open_transaction_is_retryable_and_changes_nothing(path):
    with sqlml.connect(path) as con:
        con.execute(CREATE.format("", "m"))
        mine, other = con.cursor(), con.cursor()
        mine.execute("BEGIN")
        mine.execute(CREATE.format("OR REPLACE", "m"))  # version 2, not committed yet
        with pytest.raises(sqlml.TransactionConflict, match="can be retried") as caught:
            other.execute(CREATE.format("OR REPLACE", "m"))  # also takes version 2
        assert isinstance(caught.value, sqlml.OperationalError)
        mine.execute("COMMIT")
        other.execute(CREATE.format("OR REPLACE", "m"))  # the retry
    with duckdb.connect(path) as con:
        assert con.execute("SELECT list(version ORDER BY version) FROM sqlml.model_versions").fetchone() == ([1, 2, 3],)
