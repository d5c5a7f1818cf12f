"""Hostile input (issue 14): work that cannot be bounded, odd names and options, huge values, clashing column
names. Each gets a clear sqlml error naming what is at fault, the catalog unchanged, or the right answer."""

from __future__ import annotations

import tracemalloc

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from tests.engine.reference import fails, tree_matrices

BINARY = ("CREATE MODEL clf OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
          "AS SELECT x1, x2, color, y_bin FROM train")


@pytest.fixture
def classifier(loaded):
    loaded.cursor().execute(BINARY)
    return loaded


# --- item 7: work that cannot be bounded or stopped ---

def test_roc_curve_refuses_a_threshold_list_too_long_before_making_it(classifier):
    fails(classifier, "SELECT * FROM ML.ROC_CURVE(MODEL clf, TABLE test, GENERATE_ARRAY(0, 1, 1e-7))",
          sqlml.ProgrammingError, "ML.ROC_CURVE", "GENERATE_ARRAY(0, 1, 1e-7)", "10,000,001 values",
          "at most 1,000,000")
    fails(classifier, "SELECT * FROM ML.ROC_CURVE(MODEL clf, TABLE test, GENERATE_ARRAY(0, 1e308, 1e-308))",
          sqlml.ProgrammingError, "more values than can be counted")


def test_roc_curve_memory_grows_with_rows_plus_thresholds_not_their_product(classifier):
    """600 rows x 200,001 thresholds: a rows x thresholds matrix would take 120 MB; counting takes a few."""
    cur = classifier.cursor()
    cur.execute("SELECT y_bin, predicted_y_bin_probs FROM ML.PREDICT(MODEL clf, TABLE train)")
    rows = cur.fetchall()
    actual = np.array([label == "yes" for label, _ in rows])
    positive = np.array([next(p["prob"] for p in probs if p["label"] == "yes") for _, probs in rows])
    tracemalloc.start()
    cur.execute("SELECT threshold, true_positives, false_positives, true_negatives, false_negatives "
                "FROM ML.ROC_CURVE(MODEL clf, TABLE train, GENERATE_ARRAY(0, 1, 0.000005)) ORDER BY threshold")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * 2**20, peak
    curve = cur.fetchall()
    assert len(curve) == 200_001
    for threshold, tp, fp, tn, fn in curve[::997]:  # the definition: positive when the probability exceeds it
        called = positive > threshold
        assert (tp, fp, tn, fn) == ((called & actual).sum(), (called & ~actual).sum(),
                                    (~called & ~actual).sum(), (~called & actual).sum())


def _nested_predict(levels: int) -> str:
    """ML.PREDICT over a query nested `levels` subqueries deep."""
    return ("SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, (" + "SELECT * FROM (" * levels
            + "SELECT id, x1, x2, color FROM test" + ")" * levels + ")) ORDER BY id")


def test_deeply_nested_statement_is_a_syntax_error_with_its_position(classifier):
    error = fails(classifier, _nested_predict(3000), sqlml.ProgrammingError, "nested too deeply",
                  "more than 32 levels")
    assert isinstance(error, sqlml.SqlSyntaxError)
    # the 33rd bracket: ML.PREDICT's, the input's, then 31 subqueries' (each "SELECT * FROM (" is 15 characters)
    assert (error.line, error.col) == (1, len("SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, (") + 31 * 15)
    cur = classifier.cursor()
    cur.execute(_nested_predict(30))  # as deep as allowed: the same predictions as the plain input
    nested = cur.fetchall()
    cur.execute("SELECT id, predicted_y_bin FROM ML.PREDICT(MODEL clf, TABLE test) ORDER BY id")
    assert nested == cur.fetchall()


def test_deep_nesting_without_brackets_is_a_programming_error(classifier):
    fails(classifier, "SELECT * FROM ML.PREDICT(MODEL clf, (SELECT x1, x2, color, " + "NOT " * 3000
          + "TRUE AS deep FROM test))", sqlml.ProgrammingError, "nested too deeply")
    classifier.cursor().execute("SELECT count(*) FROM ML.PREDICT(MODEL clf, TABLE test)")  # still serving


def test_dnn_too_large_to_train_is_refused_with_its_memory_figure(loaded):
    # 1 encoded input, two layers of 100,000 units, 1 output: (1+1)*1e5 + (1e5+1)*1e5 + (1e5+1)*1 parameters,
    # 8 bytes each, 4 times; activations, masks and deltas of a 600-row batch: 3 * 600 * (1 + 2e5 + 1) * 8 bytes
    parameters = 2 * 100_000 + 100_001 * 100_000 + 100_001
    gib = 8 * (4 * parameters + 3 * 600 * 200_002) / 2**30
    fails(loaded, "CREATE MODEL d OPTIONS(model_type='dnn_regressor', input_label_cols=['y_reg'], "
          "hidden_units=[100000, 100000], data_split_method='NO_SPLIT') AS SELECT x1, y_reg FROM train", sqlml.ProgrammingError,
          "hidden_units [100000, 100000]", f"about {gib:.1f} GiB", "half of this machine's memory")


@pytest.mark.parametrize("option, value, allowed", [
    ("max_tree_depth", 1000, "<= 20"),  # BigQuery ML's range: hp-tuning-overview
    ("num_parallel_tree", 100000, "<= 1000"),  # sqlml's bound (BigQuery ML sets none)
    ("num_trials", 101, "<= 100"),  # bigqueryml-hyperparameter-tuning: "Allowed values are 1 to 100"
])
def test_options_beyond_their_range_name_option_value_and_range(loaded, option, value, allowed):
    fails(loaded, f"CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
          f"{option}={value}) AS SELECT x1, y_reg FROM train", sqlml.ProgrammingError,
          f"OPTIONS: {option}", str(value), allowed)


def test_deep_boosted_trees_on_few_rows_are_lightgbms_with_every_leaf_allowed(loaded, frames):
    """max_tree_depth=20 grants 2^20 leaves; sqlml asks LightGBM for at most one per row, which no tree exceeds
    (work per round grows with num_leaves: 100 rounds took minutes on 300 rows), so the trees are the same."""
    train, test = frames
    train = train.iloc[:80]
    cur = loaded.cursor()
    cur.execute("CREATE MODEL deep OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
                "max_tree_depth=20, max_iterations=2, early_stop=FALSE, data_split_method='NO_SPLIT') "
                "AS SELECT x1, x2, color, flag, y_reg FROM train WHERE id < 80")
    cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL deep, TABLE test) ORDER BY id")
    got = [row[0] for row in cur.fetchall()]
    X, X_test, categorical = tree_matrices(train, test)
    params = {"objective": "regression", "learning_rate": 0.3, "max_depth": 20, "num_leaves": 131072,
              "lambda_l2": 1.0, "min_sum_hessian_in_leaf": 1, "min_data_in_leaf": 1, "seed": 0,
              "deterministic": True, "verbosity": -1}
    booster = lgb.train(params, lgb.Dataset(X, train["y_reg"].to_numpy(), categorical_feature=categorical), 2)
    np.testing.assert_allclose(got, booster.predict(X_test), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("model_type", ["linear_reg", "boosted_tree_regressor", "random_forest_regressor",
                                        "dnn_regressor", "kmeans", "pca"])
def test_values_whose_statistics_overflow_are_a_data_error_naming_the_column(loaded, model_type):
    cur = loaded.cursor()
    cur.execute("CREATE TABLE huge AS SELECT x1, CASE WHEN id % 100 = 5 THEN 1e308 ELSE x2 END AS big, y_reg "
                "FROM train")
    options = "num_clusters=2" if model_type == "kmeans" else \
        "num_principal_components=1" if model_type == "pca" else "input_label_cols=['y_reg']"
    fails(loaded, f"CREATE MODEL h OPTIONS(model_type='{model_type}', {options}) AS SELECT * FROM huge",
          sqlml.DataError, "column 'big'", "too large in magnitude")


def test_random_forests_refuse_values_beyond_float32(loaded):
    """scikit-learn's trees read float32: 1e39 would be infinite to them."""
    cur = loaded.cursor()
    forest = ("CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
              "num_parallel_tree=3) AS SELECT x1, {x2} AS x2, y_reg FROM train")
    fails(loaded, forest.format(x2="CASE WHEN id = 7 THEN 1e39 ELSE x2 END"), sqlml.DataError,
          "column 'x2'", "3.4e+38")
    cur.execute(forest.format(x2="x2"))
    fails(loaded, "SELECT * FROM ML.PREDICT(MODEL f, (SELECT x1, 1e39 AS x2 FROM test))", sqlml.DataError,
          "column 'x2'", "3.4e+38")


# --- item 11: accepted oddities ---

LINEAR = "CREATE MODEL {name} OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']{extra}) AS " \
         "SELECT x1, y_reg FROM train"


@pytest.mark.parametrize("sql, fragments", [
    (LINEAR.format(name="nosuchschema.m", extra=""), ["schema nosuchschema does not exist", "CREATE SCHEMA"]),
    (LINEAR.format(name='""', extra=""), ["model name cannot be empty"]),
    ("CREATE MODEL m OPTIONS(model_type='linear_reg', model_type='kmeans') AS SELECT x1 FROM train",
     ["OPTIONS: model_type is given twice"]),
    (LINEAR.format(name="m", extra=", L2_REG=1, l2_reg=2"), ["OPTIONS: l2_reg is given twice"]),
    ("ALTER MODEL m SET OPTIONS(description='a', Description='b')", ["OPTIONS: description is given twice"]),
    ("SELECT * FROM ML.PREDICT(MODEL m, TABLE test, STRUCT(1 AS version, 1 AS VERSION))",
     ["ML.PREDICT STRUCT: version is given twice"]),
])
def test_odd_names_and_repeated_options_are_errors(loaded, sql, fragments):
    loaded.cursor().execute(LINEAR.format(name="m", extra=""))
    fails(loaded, sql, sqlml.ProgrammingError, *fragments)


def test_a_model_of_an_existing_schema_of_any_case_is_created(loaded):
    cur = loaded.cursor()
    cur.execute("CREATE SCHEMA Lab")
    cur.execute(LINEAR.format(name="lab.m", extra=""))
    cur.execute("SELECT count(*) FROM ML.PREDICT(MODEL LAB.m, TABLE test)")
    assert cur.fetchone() == (200,)
