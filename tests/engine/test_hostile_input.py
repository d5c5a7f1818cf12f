"""Hostile input (issue 14): work that cannot be bounded, odd names and options, huge values, clashing column
names. Each gets a clear sqlml error naming what is at fault, the catalog unchanged, or the right answer."""

from __future__ import annotations

import tracemalloc

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from sqlml.engine.compiled import linear as linear_sql
from sqlml.engine.data import features
from tests.engine.reference import fails, tree_matrices

BINARY = (
    "CREATE MODEL clf OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
    "AS SELECT x1, x2, color, y_bin FROM train"
)


@pytest.fixture
def classifier(loaded):
    loaded.cursor().execute(BINARY)
    return loaded


# --- item 7: work that cannot be bounded or stopped ---


def test_roc_curve_refuses_a_threshold_list_too_long_before_making_it(classifier):
    fails(
        classifier,
        "SELECT * FROM ML.ROC_CURVE(MODEL clf, TABLE test, GENERATE_ARRAY(0, 1, 1e-7))",
        sqlml.ProgrammingError,
        "ML.ROC_CURVE",
        "GENERATE_ARRAY(0, 1, 1e-7)",
        "10,000,001 values",
        "at most 1,000,000",
    )
    fails(
        classifier,
        "SELECT * FROM ML.ROC_CURVE(MODEL clf, TABLE test, GENERATE_ARRAY(0, 1e308, 1e-308))",
        sqlml.ProgrammingError,
        "more values than can be counted",
    )


def test_roc_curve_memory_grows_with_rows_plus_thresholds_not_their_product(classifier):
    """600 rows x 200,001 thresholds: a rows x thresholds matrix would take 120 MB; counting takes a few."""
    cur = classifier.cursor()
    cur.execute("SELECT y_bin, predicted_y_bin_probs FROM ML.PREDICT(MODEL clf, TABLE train)")
    rows = cur.fetchall()
    actual = np.array([label == "yes" for label, _ in rows])
    positive = np.array([next(p["prob"] for p in probs if p["label"] == "yes") for _, probs in rows])
    tracemalloc.start()
    cur.execute(
        "SELECT threshold, true_positives, false_positives, true_negatives, false_negatives "
        "FROM ML.ROC_CURVE(MODEL clf, TABLE train, GENERATE_ARRAY(0, 1, 0.000005)) ORDER BY threshold"
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * 2**20, peak
    curve = cur.fetchall()
    assert len(curve) == 200_001
    for threshold, tp, fp, tn, fn in curve[::997]:  # the definition: positive when the probability exceeds it
        called = positive > threshold
        assert (tp, fp, tn, fn) == (
            (called & actual).sum(),
            (called & ~actual).sum(),
            (~called & ~actual).sum(),
            (~called & actual).sum(),
        )


def _nested_predict(levels: int) -> str:
    """ML.PREDICT over a query nested `levels` subqueries deep."""
    return (
        "SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, ("
        + "SELECT * FROM (" * levels
        + "SELECT id, x1, x2, color FROM test"
        + ")" * levels
        + ")) ORDER BY id"
    )


def test_deeply_nested_statement_is_a_syntax_error_with_its_position(classifier):
    error = fails(classifier, _nested_predict(3000), sqlml.ProgrammingError, "nested too deeply", "more than 32 levels")
    assert isinstance(error, sqlml.SqlSyntaxError)
    # the 33rd bracket: ML.PREDICT's, the input's, then 31 subqueries' (each "SELECT * FROM (" is 15 characters)
    assert (error.line, error.col) == (1, len("SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, (") + 31 * 15)
    cur = classifier.cursor()
    cur.execute(_nested_predict(30))  # as deep as allowed: the same predictions as the plain input
    nested = cur.fetchall()
    cur.execute("SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, TABLE test) ORDER BY id")
    assert nested == cur.fetchall()


def test_deep_nesting_without_brackets_is_a_programming_error(classifier):
    fails(
        classifier,
        "SELECT * FROM ML.PREDICT(MODEL clf, (SELECT x1, x2, color, " + "NOT " * 3000 + "TRUE AS deep FROM test))",
        sqlml.ProgrammingError,
        "nested too deeply",
    )
    classifier.cursor().execute("SELECT count(*) FROM ML.PREDICT(MODEL clf, TABLE test)")  # still serving


def test_dnn_too_large_to_train_is_refused_with_its_memory_figure(loaded):
    # 1 encoded input, two layers of 100,000 units, 1 output: (1+1)*1e5 + (1e5+1)*1e5 + (1e5+1)*1 parameters,
    # 8 bytes each, 4 times; activations, masks and deltas of a 600-row batch: 3 * 600 * (1 + 2e5 + 1) * 8 bytes
    parameters = 2 * 100_000 + 100_001 * 100_000 + 100_001
    gib = 8 * (4 * parameters + 3 * 600 * 200_002) / 2**30
    fails(
        loaded,
        "CREATE MODEL d OPTIONS(model_type='dnn_regressor', input_label_cols=['y_reg'], "
        "hidden_units=[100000, 100000], data_split_method='NO_SPLIT') AS SELECT x1, y_reg FROM train",
        sqlml.ProgrammingError,
        "hidden_units [100000, 100000]",
        f"about {gib:.1f} GiB",
        "half of this machine's memory",
    )


@pytest.mark.parametrize(
    "option, value, allowed",
    [
        ("max_tree_depth", 1000, "<= 20"),  # BigQuery ML's range: hp-tuning-overview
        ("num_parallel_tree", 100000, "<= 1000"),  # sqlml's bound (BigQuery ML sets none)
        ("num_trials", 101, "<= 100"),  # bigqueryml-hyperparameter-tuning: "Allowed values are 1 to 100"
    ],
)
def test_options_beyond_their_range_name_option_value_and_range(loaded, option, value, allowed):
    fails(
        loaded,
        f"CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
        f"{option}={value}) AS SELECT x1, y_reg FROM train",
        sqlml.ProgrammingError,
        f"OPTIONS: {option}",
        str(value),
        allowed,
    )


def test_deep_boosted_trees_on_few_rows_are_lightgbms_with_every_leaf_allowed(loaded, frames):
    """max_tree_depth=20 grants 2^20 leaves; sqlml asks LightGBM for at most one per row, which no tree exceeds
    (work per round grows with num_leaves: 100 rounds took minutes on 300 rows), so the trees are the same."""
    train, test = frames
    train = train.iloc[:80]
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL deep OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
        "max_tree_depth=20, max_iterations=2, early_stop=FALSE, data_split_method='NO_SPLIT') "
        "AS SELECT x1, x2, color, flag, y_reg FROM train WHERE id < 80"
    )
    cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL deep, TABLE test) ORDER BY id")
    got = [row[0] for row in cur.fetchall()]
    X, X_test, categorical = tree_matrices(train, test)
    params = {
        "objective": "regression",
        "learning_rate": 0.3,
        "max_depth": 20,
        "num_leaves": 131072,
        "lambda_l2": 1.0,
        "min_sum_hessian_in_leaf": 1,
        "min_data_in_leaf": 1,
        "seed": 0,
        "deterministic": True,
        "verbosity": -1,
    }
    booster = lgb.train(params, lgb.Dataset(X, train["y_reg"].to_numpy(), categorical_feature=categorical), 2)
    np.testing.assert_allclose(got, booster.predict(X_test), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "model_type", ["linear_reg", "boosted_tree_regressor", "random_forest_regressor", "dnn_regressor", "kmeans", "pca"]
)
def test_values_whose_statistics_overflow_are_a_data_error_naming_the_column(loaded, model_type):
    cur = loaded.cursor()
    cur.execute(
        "CREATE TABLE huge AS SELECT x1, CASE WHEN id % 100 = 5 THEN 1e308 ELSE x2 END AS big, y_reg FROM train"
    )
    options = (
        "num_clusters=2"
        if model_type == "kmeans"
        else "num_principal_components=1"
        if model_type == "pca"
        else "input_label_cols=['y_reg']"
    )
    fails(
        loaded,
        f"CREATE MODEL h OPTIONS(model_type='{model_type}', {options}) AS SELECT * FROM huge",
        sqlml.DataError,
        "column 'big'",
        "too large in magnitude",
    )


def test_random_forests_refuse_values_beyond_float32(loaded):
    """scikit-learn's trees read float32: 1e39 would be infinite to them."""
    cur = loaded.cursor()
    forest = (
        "CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
        "num_parallel_tree=3) AS SELECT x1, {x2} AS x2, y_reg FROM train"
    )
    fails(loaded, forest.format(x2="CASE WHEN id = 7 THEN 1e39 ELSE x2 END"), sqlml.DataError, "column 'x2'", "3.4e+38")
    cur.execute(forest.format(x2="x2"))
    fails(
        loaded,
        "SELECT * FROM ML.PREDICT(MODEL f, (SELECT x1, 1e39 AS x2 FROM test))",
        sqlml.DataError,
        "column 'x2'",
        "3.4e+38",
    )


# --- item 11: accepted oddities ---

LINEAR = (
    "CREATE MODEL {name} OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']{extra}) AS "
    "SELECT x1, y_reg FROM train"
)


@pytest.mark.parametrize(
    "sql, fragments",
    [
        (LINEAR.format(name="nosuchschema.m", extra=""), ["schema nosuchschema does not exist", "CREATE SCHEMA"]),
        (LINEAR.format(name='""', extra=""), ["model name cannot be empty"]),
        (
            "CREATE MODEL m OPTIONS(model_type='linear_reg', model_type='kmeans') AS SELECT x1 FROM train",
            ["OPTIONS: model_type is given twice"],
        ),
        (LINEAR.format(name="m", extra=", L2_REG=1, l2_reg=2"), ["OPTIONS: l2_reg is given twice"]),
        ("ALTER MODEL m SET OPTIONS(description='a', Description='b')", ["OPTIONS: description is given twice"]),
        (
            "SELECT * FROM ML.PREDICT(MODEL m, TABLE test, STRUCT(1 AS version, 1 AS VERSION))",
            ["ML.PREDICT STRUCT: version is given twice"],
        ),
    ],
)
def test_odd_names_and_repeated_options_are_errors(loaded, sql, fragments):
    loaded.cursor().execute(LINEAR.format(name="m", extra=""))
    fails(loaded, sql, sqlml.ProgrammingError, *fragments)


def test_a_model_of_an_existing_schema_of_any_case_is_created(loaded):
    cur = loaded.cursor()
    cur.execute("CREATE SCHEMA Lab")
    cur.execute(LINEAR.format(name="lab.m", extra=""))
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL LAB.m, TABLE test)")
    assert cur.fetchone() == (200,)


# --- item 9: internal names never collide with the input's ---

# every name the compiled queries of linear models, pca and kmeans use for their own columns and aliases
INTERNAL_NAMES = [
    "__sqlml_s0",
    "__sqlml_s1",
    "__sqlml_s2",
    "__sqlml_p0",
    "__sqlml_p1",
    "__sqlml_p2",
    "__sqlml_z0",
    "__sqlml_z1",
    "__sqlml_unchecked",
    "__sqlml_input",
    "__sqlml_raw",
    "__SQLML1_s0",
]
RENAMED = {"x1": "__sqlml_s0", "x2": "__sqlml_z0", "color": "__sqlml_p1", "flag": "__sqlml_unchecked"}


PASSING = [name for name in INTERNAL_NAMES if name not in RENAMED.values()]


def _renamed(source: str, extra: str) -> str:
    """`source`'s features under internal names, then `extra`."""
    return f"SELECT {', '.join(f'{column} AS {name}' for column, name in RENAMED.items())}{extra} FROM {source}"


@pytest.mark.parametrize(
    "model_type, label, options",
    [
        ("linear_reg", "y_reg", ""),
        ("logistic_reg", "y_bin", ""),
        ("logistic_reg", "y_multi", ""),
        ("kmeans", None, ", num_clusters=3"),
        ("kmeans", None, ", num_clusters=3, distance_type='COSINE'"),
        ("pca", None, ", num_principal_components=2"),
    ],
)
def test_input_columns_named_like_internal_ones_change_no_prediction(loaded, model_type, label, options):
    """The same model on the same rows, its features renamed to internal names and every other internal name
    passing through, predicts the same."""
    cur = loaded.cursor()
    labelled = (f", input_label_cols=['{label}']", f", {label}") if label else ("", "")
    create = f"CREATE MODEL {{}} OPTIONS(model_type='{model_type}'{labelled[0]}{options}) AS {{}}"
    cur.execute(create.format("plain", f"SELECT x1, x2, color, flag{labelled[1]} FROM train"))
    cur.execute(create.format("clash", _renamed("train", labelled[1])))
    keep = ", STRUCT(TRUE AS keep_original_columns)" if model_type == "pca" else ""  # pca: its features too
    cur.execute(
        "SELECT * EXCLUDE (x1, x2, color, flag) FROM ML.PREDICT(MODEL plain, "
        f"(SELECT x1, x2, color, flag FROM test ORDER BY id){keep})"
    )
    expected = cur.fetchall()
    passing = "".join(f", id + {i} AS {name}" for i, name in enumerate(PASSING))
    cur.execute(f"SELECT * FROM ML.PREDICT(MODEL clash, ({_renamed('test ORDER BY id', passing)}){keep})")
    n = len(expected[0])  # the prediction columns, then the input's
    assert [d[0] for d in cur.description][n:] == [*RENAMED.values(), *PASSING]
    rows = cur.fetchall()
    assert [row[:n] for row in rows] == expected
    cur.execute(f"SELECT {', '.join(f'id + {i}' for i in range(len(PASSING)))} FROM test ORDER BY id")
    assert [row[n + len(RENAMED) :] for row in rows] == cur.fetchall()


def test_transform_outputs_columns_are_a_reserved_namespace(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL t TRANSFORM(x1, x2 * 2 AS x2_twice, y_reg) "
        "OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, x2, y_reg FROM train"
    )
    for column in ("__sqlml_t_x2_twice", "__SQLML_T_other"):
        fails(
            loaded,
            f"SELECT * FROM ML.PREDICT(MODEL t, (SELECT x1, x2, 5.0 AS {column} FROM test))",
            sqlml.ProgrammingError,
            f"column(s) {column}",
            "reserved for the outputs of a model's TRANSFORM",
        )
        fails(
            loaded,
            f"SELECT * FROM ML.EVALUATE(MODEL t, (SELECT x1, x2, y_reg, 5.0 AS {column} FROM test))",
            sqlml.ProgrammingError,
            f"column(s) {column}",
        )


def test_compiled_scores_that_overflow_name_the_model(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL big OPTIONS(model_type='linear_reg', input_label_cols=['y']) "
        "AS SELECT x1, 1e6 * x1 + x2 AS y FROM train"
    )
    fails(
        loaded,
        "SELECT * FROM ML.PREDICT(MODEL big, (SELECT 1e306 AS x1))",
        sqlml.DataError,
        "scores of model main.big overflow",
    )


# --- item 10: wide tables take linear work ---


def _wide(cur, columns: int) -> None:
    features = ", ".join(f"((i * {k + 3}) % 17 + 0.5 * {k})::DOUBLE AS c{k}" for k in range(columns))
    cur.execute(
        f"CREATE OR REPLACE TABLE wide AS SELECT {features}, (i % 5)::DOUBLE AS y, i % 2 = 0 AS yes FROM range(60) r(i)"
    )


def _compiled(loaded, monkeypatch, model_type: str, label: str, columns: int) -> str:
    """The SQL ML.PREDICT compiles for a `model_type` model of `columns` numeric features."""
    compiled = []
    compile_linear = linear_sql.compile_predict
    monkeypatch.setattr(linear_sql, "compile_predict", lambda *a: compiled.append(compile_linear(*a)) or compiled[-1])
    cur = loaded.cursor()
    _wide(cur, columns)
    cur.execute(
        f"CREATE OR REPLACE MODEL w OPTIONS(model_type='{model_type}', input_label_cols=['{label}']) "
        f"AS SELECT * EXCLUDE ({'yes' if label == 'y' else 'y'}) FROM wide"
    )
    cur.execute("SELECT * FROM ML.PREDICT(MODEL w, TABLE wide)")
    return compiled[-1]


@pytest.mark.parametrize("model_type, label", [("linear_reg", "y"), ("logistic_reg", "yes")])
def test_compiled_predict_names_each_column_a_fixed_number_of_times(loaded, monkeypatch, model_type, label):
    """Twice as many columns, twice the SQL: each column once in the score and once in the NaN check, and no
    construct (a CASE branch) per column that DuckDB would plan in quadratic time."""
    narrow, wide = (_compiled(loaded, monkeypatch, model_type, label, n) for n in (40, 80))
    for k in (0, 17, 39):
        assert narrow.count(f'"c{k}"') == wide.count(f'"c{k}"') == 2
    assert wide.count(" WHEN ") == narrow.count(" WHEN ")
    assert len(wide) < 2.1 * len(narrow)


def test_wide_inputs_resolve_their_columns_in_one_pass(loaded, monkeypatch):
    """Training and predicting index the input's column names a fixed number of times, whatever the width (a
    lookup per feature through the whole list of names took quadratic time: 120 s for 10,000 columns)."""
    built = []
    index = features.ColumnIndex.__init__
    monkeypatch.setattr(
        features.ColumnIndex, "__init__", lambda self, names: built.append(len(names)) or index(self, names)
    )
    cur = loaded.cursor()
    counts = []
    for columns in (40, 80):
        _wide(cur, columns)
        built.clear()
        cur.execute(
            "CREATE OR REPLACE MODEL w OPTIONS(model_type='linear_reg', input_label_cols=['y']) "
            "AS SELECT * EXCLUDE (yes) FROM wide"
        )
        cur.execute("SELECT * FROM ML.PREDICT(MODEL w, (SELECT * EXCLUDE (y, yes) FROM wide))")
        counts.append(len(built))
    assert counts[0] == counts[1]
