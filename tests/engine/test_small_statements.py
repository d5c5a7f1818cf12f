"""Small ML statements are cheap (issue 21, item 6): a warm statement asks the catalog one tiny query (its
generation), whatever changed the catalog (another connection, another process, the user's own open
transaction) is seen by the next statement, the compiled SQL of a linear model is one dot product per row
with the same values as scikit-learn's preprocessing gives, and EXPLAIN [ANALYZE] shows DuckDB's plan of
what a statement runs. DuckDB's query log is the witness of what runs; timing is never asserted."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sqlml
from tests.engine.reference import linear_matrices

CREATE = (
    "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y']) "
    "AS SELECT x, {k} * x AS y FROM range(1, 20) r(x)"
)  # fitted exactly: y = k x
PREDICT = "SELECT predicted_y FROM ML.PREDICT(MODEL m, (SELECT 10.0 AS x))"


def slope(cur, model: str = "m") -> float:
    """A model's prediction at x = 10, over 10: the k it was trained with."""
    return round(cur.execute(PREDICT.replace("MODEL m", f"MODEL {model}")).fetchall()[0][0] / 10, 9)


def logged(cur, sql: str) -> list[str]:
    """The queries DuckDB ran for `sql` (on any cursor of the connection), from its query log."""
    cur.execute("CALL truncate_duckdb_logs()")
    cur.execute("CALL enable_logging('QueryLog')")
    try:
        cur.execute(sql).fetchall()
    finally:
        cur.execute("CALL disable_logging()")
    messages = cur.execute("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall()
    return [message for (message,) in messages if message != "CALL disable_logging()"]


def compiled(cur, statement: str) -> str:
    """The text DuckDB ran for an ML.PREDICT `statement` (not one of the catalog's queries)."""
    (text,) = [query for query in logged(cur, statement) if "predicted_" in query]
    return text


@pytest.fixture
def wide(con):
    """A 20-feature logistic_reg `lin` trained on `t` (f0..f19, label), and `empty`, t without rows."""
    cur = con.cursor()
    features = ", ".join(f"sin({i + 1} * r) AS f{i}" for i in range(20))
    cur.execute(
        f"CREATE TABLE t AS SELECT *, (f0 + f1 * f2 > 0.1)::INTEGER AS label FROM "
        f"(SELECT {features} FROM range(400) _(r))"
    )
    cur.execute("CREATE MODEL lin OPTIONS(model_type='logistic_reg') AS SELECT * FROM t")
    cur.execute("CREATE TABLE empty AS SELECT * FROM t WHERE false")
    return cur


def test_a_warm_statement_asks_the_catalog_one_tiny_query(wide):
    statement = "SELECT * FROM ML.PREDICT(MODEL lin, TABLE empty)"
    cold = logged(wide, statement)
    warm = logged(wide, statement)
    assert warm[0] == "SELECT current_schema(), bit_xor(write_id) FROM sqlml.catalog_writes"
    assert len(warm) == 2 and "predicted_label" in warm[1]  # that query, then the statement itself
    assert len([query for query in cold if "FROM sqlml." in query]) > 1  # the first one located and read the model


def test_compiled_sql_is_one_dot_product_per_row(wide):
    text = compiled(wide, "SELECT * FROM ML.PREDICT(MODEL lin, TABLE empty)")
    for i in range(20):  # its term of the score, its place in the NaN check's list
        assert len(re.findall(rf'"f{i}"', text)) == 2, i
    assert text.count("exp(") == 1 and text.count("coalesce(") == 21  # 20 imputations, the error text
    assert text.count("SELECT") == 4  # the statement, the output columns, the probability, the score


@pytest.fixture
def typed(con):
    """Tables `train` and `test` of numbers of several DuckDB types (with NULLs) and categories."""
    cur = con.cursor()
    for table, seed in (("train", 1), ("test", 2)):
        cur.execute(f"SELECT setseed({seed / 10})")
        cur.execute(
            f"CREATE TABLE {table} AS SELECT r AS id, "
            "CASE WHEN r % 17 = 3 THEN NULL ELSE random() * 4 - 1 END AS x1, "
            "CASE WHEN r % 13 = 5 THEN NULL ELSE (random() * 10)::REAL END AS x2, "
            "CASE WHEN r % 11 = 7 THEN NULL ELSE (random() * 100)::INTEGER END AS x3, "
            "CASE WHEN r % 7 = 2 THEN NULL ELSE (random() * 50)::DECIMAL(10, 3) END AS x4, "
            "CASE WHEN r % 9 = 4 THEN NULL ELSE ['red', 'green', 'blue'][r % 3 + 1] END AS color, "
            "r % 4 = 0 AS flag, (random() < 0.5)::INTEGER AS y FROM range(300) _(r)"
        )
    return con


def frame(cur, sql: str) -> pd.DataFrame:
    cur.execute(sql)
    return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])


def test_folded_scores_equal_scikit_learns_preprocessing(typed):
    """Standardization and imputation folded into the weights give scikit-learn's scores to 1e-12."""
    cur = typed.cursor()
    cur.execute(
        "CREATE MODEL m OPTIONS(model_type='logistic_reg', l2_reg=0.1, input_label_cols=['y']) "
        "AS SELECT * EXCLUDE (id) FROM train"
    )
    train, test = (
        frame(cur, f"SELECT * REPLACE (x2::DOUBLE AS x2, x3::DOUBLE AS x3, x4::DOUBLE AS x4) FROM {table} ORDER BY id")
        for table in ("train", "test")
    )  # the numbers as DuckDB casts them
    _, X_test = linear_matrices(train, test, numeric=["x1", "x2", "x3", "x4"])
    (artifact,) = cur.execute("SELECT artifact FROM sqlml.model_versions").fetchone()
    state = json.loads(artifact)
    expected = 1 / (1 + np.exp(-(X_test @ np.array(state["coef"][0]) + state["intercept"][0])))
    rows = cur.execute("SELECT predicted_y_probs[2].prob FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id").fetchall()
    assert cur._cursor._views == []  # scored by DuckDB itself
    np.testing.assert_allclose([p for (p,) in rows], expected, rtol=1e-12, atol=1e-15)


def test_another_connection_replacing_the_model_is_seen(tmp_path):
    path = str(tmp_path / "c.duckdb")
    with sqlml.connect(path) as first, sqlml.connect(path) as second:
        first.cursor().execute(CREATE.format(k=2))
        cur = first.cursor()
        assert slope(cur) == 2 and slope(cur) == 2  # cached from here on
        second.cursor().execute(CREATE.format(k=5))
        assert slope(cur) == 5
        second.cursor().execute("ALTER MODEL m SET ACTIVE VERSION 1")
        assert slope(cur) == 2


def test_another_process_writing_the_file_is_seen(tmp_path):
    """The file is written by another process while this one has it detached (DuckDB lets one process
    write a file at a time)."""
    path = str(tmp_path / "p.duckdb")
    with sqlml.connect(path) as writer:
        writer.cursor().execute(CREATE.format(k=2))
    cur = sqlml.connect().cursor()
    cur.execute(f"ATTACH '{path}' AS db")
    cur.execute("USE db")
    assert slope(cur) == 2 and slope(cur) == 2
    cur.execute("USE memory")
    cur.execute("DETACH db")
    subprocess.run(
        [sys.executable, "-c", f"import sqlml; sqlml.connect({path!r}).cursor().execute({CREATE.format(k=5)!r})"],
        check=True,
        timeout=120,
    )
    cur.execute(f"ATTACH '{path}' AS db")
    cur.execute("USE db")
    assert slope(cur) == 5


def test_a_model_written_in_an_open_transaction_is_seen_by_its_cursor_only(con):
    mine, other = con.cursor(), con.cursor()
    mine.execute(CREATE.format(k=2))
    assert slope(mine) == 2 and slope(other) == 2
    mine.execute("BEGIN")
    mine.execute(CREATE.format(k=5))
    assert slope(mine) == 5 and slope(other) == 2
    mine.execute("ROLLBACK")
    assert slope(mine) == 2 and slope(other) == 2
    mine.execute("BEGIN")
    mine.execute(CREATE.format(k=5))
    assert slope(mine) == 5 and slope(other) == 2
    mine.execute("COMMIT")
    assert slope(mine) == 5 and slope(other) == 5


def test_a_model_dropped_and_created_again_in_one_transaction_is_the_new_one(con):
    """It has the dropped one's name, version number and creation time (now() is the transaction's start)."""
    cur = con.cursor()
    cur.execute("BEGIN")
    cur.execute(CREATE.format(k=2))
    assert slope(cur) == 2
    cur.execute("DROP MODEL m")
    cur.execute(CREATE.format(k=5))
    assert slope(cur) == 5
    cur.execute("COMMIT")
    assert slope(cur) == 5


def test_open_transactions_writing_different_models_do_not_conflict(tmp_path):
    """Recording a catalog write adds a row of its own: two open transactions never update the same one."""
    path = str(tmp_path / "t.duckdb")
    with sqlml.connect(path) as con:
        first, second = con.cursor(), con.cursor()
        first.execute(CREATE.format(k=1))  # the catalog exists
        for cur, name, k in ((first, "a", 2), (second, "b", 3)):
            cur.execute("BEGIN")
            cur.execute(CREATE.format(k=k).replace("MODEL m", f"MODEL {name}"))
        first.execute("COMMIT")
        second.execute("COMMIT")
        cur = con.cursor()
        assert [slope(cur, name) for name in ("m", "a", "b")] == [1, 2, 3]


def test_explain_shows_duckdbs_plan_of_the_compiled_query(wide):
    statement = "SELECT * FROM ML.PREDICT(MODEL lin, TABLE empty)"
    plain = wide._cursor.duck  # the DuckDB cursor: EXPLAIN of the same text, as DuckDB itself answers it
    expected = plain.execute("EXPLAIN " + compiled(wide, statement)).fetchall()
    assert wide.execute("EXPLAIN " + statement).fetchall() == expected
    assert [d[0] for d in wide.description] == ["explain_key", "explain_value"]
    analyzed = wide.execute("explain analyze\n" + statement.replace("TABLE empty", "TABLE t")).fetchall()
    assert analyzed[0][0] == "analyzed_plan" and "predicted_label" in analyzed[0][1]


def test_explain_of_a_streamed_model_and_with_parameters(con):
    cur = con.cursor()
    cur.execute("CREATE TABLE t AS SELECT r::DOUBLE AS x, (r % 3)::DOUBLE AS y FROM range(60) _(r)")
    cur.execute(
        "CREATE MODEL tree OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y']) AS SELECT * FROM t"
    )
    (row,) = cur.execute(
        "EXPLAIN SELECT * FROM ML.PREDICT(MODEL tree, (SELECT x FROM t WHERE x > ?))", [3.0]
    ).fetchall()
    assert row[0] == "physical_plan" and "predicted_y" in row[1]


def test_explain_errors_point_into_the_statement(wide):
    with pytest.raises(sqlml.ProgrammingError) as caught:
        wide.execute("EXPLAIN SELECT nosuch FROM ML.PREDICT(MODEL lin, TABLE empty)")
    lines = str(caught.value).splitlines()
    assert lines[-2] == "LINE 1: EXPLAIN SELECT nosuch FROM ML.PREDICT(MODEL lin, TABLE empty)"
    assert lines[-1].index("^") == lines[-2].index("nosuch")
    with pytest.raises(sqlml.NotSupportedError, match="EXPLAIN"):
        wide.execute("EXPLAIN DROP MODEL lin")
    assert wide.execute("SELECT count(*) FROM ML.PREDICT(MODEL lin, TABLE t)").fetchall() == [(400,)]
