"""Bad input: a sqlml (PEP 249) exception naming what is at fault, and nothing changed afterwards."""

from __future__ import annotations

import pytest

import sqlml
from tests.engine.reference import fails, snapshot

LINEAR = "CREATE MODEL {name} OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']{extra}) AS {query}"
GOOD_QUERY = "SELECT x1, x2, color, y_reg FROM train"


@pytest.fixture
def with_model(loaded):
    loaded.cursor().execute(LINEAR.format(name="m", extra="", query=GOOD_QUERY))
    return loaded


BAD_STATEMENTS = [  # (sql, exception, fragments the message must contain)
    ("SELECT * FROM ML.PREDICT(MODEL nope, TABLE test)", sqlml.ProgrammingError, ["main.nope", "does not exist"]),
    ("SELECT * FROM ML.EVALUATE(MODEL nope)", sqlml.ProgrammingError, ["nope"]),
    ("DROP MODEL nope", sqlml.ProgrammingError, ["nope"]),
    ("DESCRIBE MODEL nope", sqlml.ProgrammingError, ["nope"]),
    (
        "CREATE MODEL x OPTIONS(model_type='neural_magic') AS SELECT 1 AS label",
        sqlml.ProgrammingError,
        ["neural_magic", "linear_reg", "boosted_tree_classifier"],
    ),
    ("CREATE MODEL x AS SELECT 1 AS label", sqlml.ProgrammingError, ["model_type is required"]),
    (
        LINEAR.format(name="x", extra=", max_tree_depth=3", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["max_tree_depth", "linear_reg", "l2_reg"],
    ),
    (
        LINEAR.format(name="x", extra=", l2_reg='lots'", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["l2_reg", "number", "'lots'"],
    ),
    (LINEAR.format(name="x", extra=", l2_reg=-1", query=GOOD_QUERY), sqlml.ProgrammingError, ["l2_reg", ">= 0"]),
    (
        LINEAR.format(name="x", extra=", max_iterations=2.5", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["max_iterations", "integer"],
    ),
    (LINEAR.format(name="x", extra=", max_tree_depth=3", query=GOOD_QUERY), sqlml.ProgrammingError, ["max_tree_depth"]),
    (
        LINEAR.format(name="x", extra=", data_split_method='SEQ'", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["data_split_col"],
    ),
    (
        f"CREATE MODEL x OPTIONS(model_type='linear_reg', input_label_cols='y_reg') AS {GOOD_QUERY}",
        sqlml.ProgrammingError,
        ["input_label_cols", "array"],
    ),
    (
        LINEAR.format(name="x", extra=", INPUT_LABEL_COLS=['x1']", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["input_label_cols is given twice"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT x1, x2 FROM train"),
        sqlml.ProgrammingError,
        ["label column 'y_reg'", "x1, x2"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT x1, NULL::DOUBLE AS y_reg FROM train"),
        sqlml.DataError,
        ["'y_reg'", "NULL in all 600 rows"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT x1, y_bin AS y_reg FROM train"),
        sqlml.ProgrammingError,
        ["'y_reg'", "numeric"],
    ),
    (LINEAR.format(name="x", extra="", query="SELECT x1, y_reg FROM train WHERE false"), sqlml.DataError, ["no rows"]),
    (
        LINEAR.format(name="x", extra="", query="SELECT 'nan'::DOUBLE * (id = 3)::INT AS x1, y_reg FROM train"),
        sqlml.DataError,
        ["'x1'", "NaN or infinite"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT 'inf'::DOUBLE AS x1, y_reg FROM train"),
        sqlml.DataError,
        ["'x1'", "NaN or infinite"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT MAP {'a': x1} AS arr, y_reg FROM train"),
        sqlml.NotSupportedError,
        ["'arr'"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT [x1, 'nan'::DOUBLE] AS vec, y_reg FROM train"),
        sqlml.DataError,
        ["'vec'", "NaN or infinite"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT x1, y_reg FROM no_such_table"),
        sqlml.ProgrammingError,
        ["no_such_table"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, 'yes' AS y_bin FROM train",
        sqlml.DataError,
        ["single class", "'yes'"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train",
        sqlml.ProgrammingError,
        ["'y_reg' has type DOUBLE"],
    ),
    (
        LINEAR.format(name="m", extra="", query=GOOD_QUERY),
        sqlml.IntegrityError,
        ["main.m", "already exists", "OR REPLACE"],
    ),
    ("SELECT * FROM ML.PREDICT(MODEL m, (SELECT x1, color FROM test))", sqlml.ProgrammingError, ["'x2'", "x1, color"]),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT 'nan'::DOUBLE AS x1, x2, color FROM test))",
        sqlml.DataError,
        ["'x1'", "NaN"],
    ),
    (
        LINEAR.format(name="x", extra=", l2_reg=NULL", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["l2_reg cannot be NULL"],
    ),
    (
        LINEAR.format(name="x", extra=", max_iterations=1e12", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["max_iterations", "<= 1e+06"],
    ),
    (LINEAR.format(name="x", extra=", l2_reg=1e400", query=GOOD_QUERY), sqlml.ProgrammingError, ["l2_reg"]),
    (
        LINEAR.format(name="x", extra=", data_split_eval_fraction=0.5", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["data_split_eval_fraction", "RANDOM or SEQ", "AUTO_SPLIT"],
    ),
    (
        LINEAR.format(name="x", extra=", data_split_method='RANDOM', data_split_col='x1'", query=GOOD_QUERY),
        sqlml.ProgrammingError,
        ["data_split_col", "CUSTOM or SEQ"],
    ),
    (
        "CREATE MODEL x OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin'], "
        "class_weights=[STRUCT('no', 0), STRUCT('yes', 0)]) AS SELECT x1, y_bin FROM train",
        sqlml.ProgrammingError,
        ["class_weights", "not all 0"],
    ),
    (
        LINEAR.format(name="x", extra="", query="SELECT x1, x1 AS X1, y_reg FROM train"),
        sqlml.ProgrammingError,
        ["2 columns named 'x1'"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT x1, x2, x2 AS X2, color FROM test))",
        sqlml.ProgrammingError,
        ["2 columns named 'x2'"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT *, 1 AS predicted_y_reg FROM test))",
        sqlml.ProgrammingError,
        ["predicted_y_reg", "EXCLUDE"],
    ),
    (
        "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT x1, x2, color, 'abc' AS y_reg FROM test))",
        sqlml.DataError,
        ["label column 'y_reg'", "cannot be compared"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE test, STRUCT(0.5 AS threshold))",
        sqlml.ProgrammingError,
        ["threshold", "binary"],
    ),
    (
        "SELECT * FROM ML.PREDICT(MODEL m, TABLE test, STRUCT(3 AS top_k))",
        sqlml.ProgrammingError,
        ["top_k", "threshold"],
    ),
    ("SELECT * FROM ML.PREDICTION(MODEL m, TABLE test)", sqlml.ProgrammingError, ["ML.PREDICTION", "ML.PREDICT"]),
    ("SELECT * FROM ML.FORECAST(MODEL m, TABLE test)", sqlml.NotSupportedError, ["ML.FORECAST", "ARIMA_PLUS"]),
    (
        "SELECT * FROM ML.EVALUATE(MODEL m, (SELECT x1, x2, color FROM test))",
        sqlml.ProgrammingError,
        ["label column 'y_reg'"],
    ),
    ("SELECT * FROM ML.PREDICT(MODEL m)", sqlml.ProgrammingError, ["needs input data", "TABLE t | (query)"]),
    ("EXPORT MODEL m OPTIONS(uri='/nonexistent_sqlml/m.onnx')", sqlml.ProgrammingError, ["uri", "does not exist"]),
    (
        "CREATE OR REPLACE MODEL m TRANSFORM(x1 * 2 AS x) OPTIONS(model_type='linear_reg') AS SELECT 1",
        sqlml.ProgrammingError,
        ["TRANSFORM output 'x' reads column 'x1'", "does not have"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD_STATEMENTS, ids=range(len(BAD_STATEMENTS)))
def test_bad_statement_raises_named_error_and_changes_nothing(with_model, sql, error, fragments):
    fails(with_model, sql, error, *fragments)


def test_string_where_the_model_has_numbers_is_a_data_error(with_model):
    fails(
        with_model,
        "SELECT * FROM ML.PREDICT(MODEL m, (SELECT 'abc' AS x1, x2, color FROM test))",
        sqlml.DataError,
        "'x1'",
    )


def test_syntax_error_has_line_and_column(with_model):
    error = fails(with_model, "CREATE MODEL bad\nOPTIONS(model_type='linear_reg'\nAS SELECT 1", sqlml.ProgrammingError)
    assert isinstance(error, sqlml.SqlSyntaxError)
    assert (error.line, error.col) == (3, 1)  # the token `AS`, where `)` was expected


def test_if_not_exists_keeps_the_existing_model(with_model):
    cur = with_model.cursor()
    before = snapshot(with_model)
    cur.execute(
        "CREATE MODEL IF NOT EXISTS m OPTIONS(model_type='boosted_tree_regressor', "
        "input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    assert snapshot(with_model) == before
    cur.execute("SELECT model_type, active_version FROM sqlml.models JOIN sqlml.model_versions USING (model_name)")
    assert cur.fetchall() == [("linear_reg", 1)]


def test_failing_create_or_replace_keeps_previous_version_usable(with_model):
    cur = with_model.cursor()
    cur.execute("SELECT sum(predicted_y_reg) FROM ML.PREDICT(MODEL m, TABLE test)")
    (before_sum,) = cur.fetchone()
    fails(
        with_model,
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) "
        "AS SELECT 'inf'::DOUBLE AS x1, y_reg FROM train",
        sqlml.DataError,
        "'x1'",
    )
    cur.execute("SELECT sum(predicted_y_reg) FROM ML.PREDICT(MODEL m, TABLE test)")
    assert cur.fetchone() == (before_sum,)


def test_failed_catalog_write_rolls_back(with_model, monkeypatch):
    """A failure inside the catalog transaction (after the version and trial rows are written) leaves no
    trace."""
    from sqlml.engine.store import catalog

    real_insert = catalog.insert_version

    def insert_then_fail(cur, record, trials=()):
        real_insert(cur, record, trials)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog, "insert_version", insert_then_fail)
    fails(
        with_model,
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], "
        "num_trials=2) AS SELECT x1, y_reg FROM train",
        sqlml.InternalError,
        "disk on fire",
    )


def test_drop_model_if_exists_and_drop(with_model):
    cur = with_model.cursor()
    cur.execute("DROP MODEL IF EXISTS nope")
    cur.execute("DROP MODEL m")
    cur.execute("SHOW MODELS")
    assert cur.fetchall() == []
    cur.execute("SELECT count(*) FROM sqlml.model_versions")
    assert cur.fetchone() == (0,)


def test_read_only_database_refuses_model_changes(tmp_path):
    path = str(tmp_path / "ro.duckdb")
    with sqlml.connect(path) as con:
        con.cursor().execute("CREATE TABLE t AS SELECT range::DOUBLE AS x, range * 2.0 AS label FROM range(20)")
        con.cursor().execute("CREATE MODEL m OPTIONS(model_type='linear_reg') AS SELECT * FROM t")
    with sqlml.connect(path, read_only=True) as con:
        with pytest.raises(sqlml.OperationalError, match="read-only"):
            con.cursor().execute("DROP MODEL m")
        cur = con.cursor()
        cur.execute("SELECT predicted_label FROM ML.PREDICT(MODEL m, (SELECT 3.0 AS x))")
        assert cur.fetchone()[0] == pytest.approx(6.0)


@pytest.mark.parametrize("model_type", ["logistic_reg", "random_forest_classifier", "boosted_tree_classifier"])
def test_class_only_in_the_evaluation_split_is_a_data_error(con, model_type):
    cur = con.cursor()
    cur.execute(
        "CREATE TABLE d AS SELECT i::DOUBLE AS x, CASE WHEN i < 20 THEN 'a' WHEN i < 25 THEN 'b' "
        "ELSE 'c' END AS lab, i BETWEEN 20 AND 24 AS is_eval FROM range(60) r(i)"
    )
    fails(
        con,
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['lab'], "
        "data_split_method='CUSTOM', data_split_col='is_eval') AS SELECT * FROM d",
        sqlml.DataError,
        "['b']",
        "only in the evaluation rows",
    )


def test_syntax_error_position_is_in_the_whole_script(with_model):
    script = "SELECT 1;\n\n-- a comment\nSELECT *\n  FROM ML.PREDICT(MODEL m,)"
    with pytest.raises(sqlml.SqlSyntaxError) as caught:
        with_model.cursor().execute(script)
    assert (caught.value.line, caught.value.col) == (5, 27)  # the `)` after `MODEL m,`
    assert "line 5, column 27" in str(caught.value)
