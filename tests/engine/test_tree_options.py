"""Boosted tree and random forest options of BigQuery ML beyond the defaults, each against LightGBM /
scikit-learn called directly on the same rows with the parameters docs/model_types.md maps it to.

Pages: https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree
and https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-random-forest
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from tests.engine.reference import LGB_DEFAULTS, fails, tree_matrices

FEATURES = "SELECT x1, x2, color, flag, y_reg FROM train"
DART = {"boosting": "dart", "skip_drop": 0.0, "max_drop": -1, "uniform_drop": True, "xgboost_dart_mode": True}


def _predictions(con, options: str) -> np.ndarray:
    cur = con.cursor()
    cur.execute(
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
        f"data_split_method='NO_SPLIT', early_stop=FALSE, {options}) AS {FEATURES}"
    )
    cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id")
    return np.array([row[0] for row in cur.fetchall()])


def _lightgbm(frames, **params) -> np.ndarray:
    train, test = frames
    X, X_test, categorical = tree_matrices(train, test)
    booster = lgb.train(
        {**LGB_DEFAULTS, "objective": "regression", **params},
        lgb.Dataset(X, train["y_reg"].to_numpy(), categorical_feature=categorical),
        20,
    )
    return booster.predict(X_test)


CASES = {  # OPTIONS: the LightGBM parameters they map to
    "booster_type='DART', dropout=0.3": {**DART, "drop_rate": 0.3, "drop_seed": 0},
    "booster_type='DART', dart_normalize_type='TREE', dropout=0.5, seed=7": {
        **DART,
        "drop_rate": 0.5,
        "drop_seed": 7,
        "seed": 7,
    },
    "tree_method='APPROX'": {"max_bin": 33},
    "tree_method='HIST'": {"max_bin": 256},
    "colsample_bylevel=0.5, colsample_bynode=0.8": {"feature_fraction_bynode": 0.4},
    "colsample_bytree=0.5, colsample_bylevel=0.5": {"feature_fraction": 0.5, "feature_fraction_bynode": 0.5},
}


@pytest.mark.parametrize("options", list(CASES))
def test_boosted_tree_options_are_lightgbm_with_the_mapped_parameters(loaded, frames, options):
    got = _predictions(loaded, options)
    np.testing.assert_allclose(got, _lightgbm(frames, **CASES[options]), rtol=1e-9, atol=1e-9)


def test_dart_drops_trees_and_tree_method_changes_the_bins(loaded, frames):
    """Each option changes the model: DART with dropout is not GBTREE, APPROX's 33 bins are not HIST's 256."""
    gbtree = _predictions(loaded, "booster_type='GBTREE'")
    # DART's options change nothing with GBTREE (XGBoost ignores them there), so a search can tune them
    np.testing.assert_allclose(_predictions(loaded, "dropout=0.3, dart_normalize_type='TREE'"), gbtree, rtol=0, atol=0)
    assert not np.allclose(_predictions(loaded, "booster_type='DART', dropout=0.3"), gbtree)
    assert not np.allclose(_predictions(loaded, "tree_method='APPROX'"), gbtree)
    np.testing.assert_allclose(_predictions(loaded, "tree_method='AUTO'"), gbtree, rtol=0, atol=0)


def test_exact_makes_every_distinct_value_a_split_candidate(con):
    """A step between two of 2,000 distinct values: EXACT splits there (LightGBM with one bin per distinct
    value, from every row), APPROX's 33 bins only at a bin edge."""
    x = np.arange(2000) / 2000.0
    y = np.where(x > 0.7003, 10.0, 0.0)
    cur = con.cursor()
    cur.execute("CREATE TABLE steps AS SELECT unnest(?) AS x, unnest(?) AS y", [x.tolist(), y.tolist()])
    common = "input_label_cols=['y'], data_split_method='NO_SPLIT', early_stop=FALSE, max_iterations=5"
    probe = x[1380:1420].tolist()  # 20 rows either side of the step
    got = {}
    for method in ("EXACT", "APPROX"):
        cur.execute(
            f"CREATE OR REPLACE MODEL s OPTIONS(model_type='boosted_tree_regressor', {common}, "
            f"tree_method='{method}') AS SELECT x, y FROM steps"
        )
        cur.execute("SELECT predicted_y FROM ML.PREDICT(MODEL s, (SELECT unnest(?) AS x)) ", [probe])
        got[method] = np.array([row[0] for row in cur.fetchall()])
    params = {**LGB_DEFAULTS, "objective": "regression"}
    exact = {
        "max_bin_by_feature": [2000],
        "min_data_in_bin": 1,
        "bin_construct_sample_cnt": 2000,
        "histogram_pool_size": 1024,
    }
    for method, extra in (("EXACT", exact), ("APPROX", {"max_bin": 33})):
        booster = lgb.train({**params, **extra}, lgb.Dataset(x.reshape(-1, 1), y), 5)
        np.testing.assert_allclose(got[method], booster.predict(np.array(probe).reshape(-1, 1)), rtol=1e-9)
    below, above = slice(0, 21), slice(21, 40)  # x <= 0.7 and x >= 0.7005
    assert max(got["EXACT"][below]) < min(got["EXACT"][above])  # split exactly at the step
    assert max(got["APPROX"][below]) >= min(got["APPROX"][above])  # a bin straddles the step


@pytest.mark.parametrize(
    "options, error, fragments",
    [
        ("dart_normalize_type='FOREST'", sqlml.NotSupportedError, ["dart_normalize_type='FOREST'", "LightGBM"]),
        ("booster_type='GOSS'", sqlml.ProgrammingError, ["booster_type", "GBTREE, DART"]),
        ("tree_method='FAST'", sqlml.ProgrammingError, ["tree_method", "AUTO, EXACT, APPROX, HIST"]),
        ("booster_type='DART', dropout=1.5", sqlml.ProgrammingError, ["dropout", "<= 1"]),
        ("colsample_bylevel=0", sqlml.ProgrammingError, ["colsample_bylevel", "> 0"]),
    ],
)
def test_bad_boosted_tree_options_are_named(loaded, options, error, fragments):
    fails(
        loaded,
        f"CREATE MODEL bad OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], {options}) "
        f"AS {FEATURES}",
        error,
        *fragments,
    )


# --- random forests: scikit-learn's RandomForest* ---


FOREST = dict(n_estimators=5, max_depth=15, max_samples=0.8, max_features=0.8, min_samples_leaf=1, random_state=0)


def _forest_predictions(con, model_type: str, label: str, options: str) -> np.ndarray:
    """ML.PREDICT on the test rows: values, or class probabilities (in class order)."""
    cur = con.cursor()
    cur.execute(
        f"CREATE OR REPLACE MODEL f OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', num_parallel_tree=5{options}) AS SELECT x1, x2, color, flag, {label} FROM train"
    )
    column = f"predicted_{label}_probs" if model_type.endswith("classifier") else f"predicted_{label}"
    cur.execute(f"SELECT {column} FROM ML.PREDICT(MODEL f, TABLE test) ORDER BY id")
    rows = [row[0] for row in cur.fetchall()]
    return np.array([[entry["prob"] for entry in row] for row in rows] if isinstance(rows[0], list) else rows)


def test_forest_options_that_change_nothing_in_scikit_learn_leave_the_forest_as_it_was(loaded, frames):
    """tree_method AUTO and EXACT (scikit-learn's exact splits), early_stop, the XGBoost-only knobs and
    enable_global_explain train the same forest as the defaults: scikit-learn's with the documented mapping."""
    from sklearn.ensemble import RandomForestRegressor

    train, test = frames
    X, X_test, _ = tree_matrices(train, test)
    expected = RandomForestRegressor(**FOREST).fit(X, train["y_reg"]).predict(X_test)
    for options in (
        "",
        ", tree_method='AUTO'",
        ", tree_method='EXACT', early_stop=FALSE, min_rel_progress=0.5, l1_reg=0, l2_reg=0, colsample_bytree=1, "
        "colsample_bylevel=1, approx_global_feature_contrib=TRUE, xgboost_version='1.1', enable_global_explain=TRUE",
    ):
        got = _forest_predictions(loaded, "random_forest_regressor", "y_reg", options)
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def _quantile_bins(train_column: np.ndarray, test_column: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """docs/model_types.md's rule: over the n distinct float32 training values u_1 < ... < u_n (n > bins), edge
    i (i = 1..bins-1) is the smallest u_j with j / n >= i / bins; a value's bin is how many edges lie below it.
    A column of at most `bins` distinct values stays as it is."""
    values = np.unique(train_column.astype(np.float32))
    n = len(values)
    if n <= bins:
        return train_column, test_column
    ranks = np.arange(1, n + 1)
    edges = np.array([values[ranks * bins >= i * n][0] for i in range(1, bins)])

    def index(column):
        return (column.astype(np.float32)[:, None] > edges[None, :]).sum(axis=1).astype(np.float64)

    return index(train_column), index(test_column)


@pytest.mark.parametrize("method, bins", [("HIST", 256), ("APPROX", 33)])
@pytest.mark.parametrize(
    "model_type, label", [("random_forest_regressor", "y_reg"), ("random_forest_classifier", "y_multi")]
)
def test_forest_hist_and_approx_split_on_quantile_bins(loaded, frames, method, bins, model_type, label):
    """HIST / APPROX: scikit-learn's forest fitted on the quantile bin indices of the training matrix (x1 and x2,
    600 distinct values each, binned; color and flag, a few, left exact) predicts the binned test rows as the
    model predicts the raw ones: its splits are the same, at bin edges."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    train, test = frames
    X, X_test, _ = tree_matrices(train, test)
    binned = [_quantile_bins(X[:, j], X_test[:, j], bins) for j in range(X.shape[1])]
    X_bins, X_test_bins = (np.column_stack(side) for side in zip(*binned))
    assert not np.array_equal(X_bins[:, :2], X[:, :2]) and np.array_equal(X_bins[:, 2:], X[:, 2:])
    if model_type.endswith("classifier"):
        forest = RandomForestClassifier(**FOREST).fit(X_bins, train[label])
        expected = forest.predict_proba(X_test_bins)
    else:
        expected = RandomForestRegressor(**FOREST).fit(X_bins, train[label]).predict(X_test_bins)
    got = _forest_predictions(loaded, model_type, label, f", tree_method='{method}'")
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_forest_hist_differs_from_exact_on_many_distinct_values(loaded):
    """600 distinct values of x1 and x2: HIST's 256 bins and APPROX's 33 leave out splits EXACT makes."""
    exact = _forest_predictions(loaded, "random_forest_regressor", "y_reg", ", tree_method='EXACT'")
    for method in ("HIST", "APPROX"):
        got = _forest_predictions(loaded, "random_forest_regressor", "y_reg", f", tree_method='{method}'")
        assert not np.allclose(got, exact)


@pytest.mark.parametrize(
    "options, fragments",
    [
        ("colsample_bytree=0.5", ["colsample_bytree = 0.5", "each node only", "use 1"]),
        ("colsample_bylevel=0.5", ["colsample_bylevel = 0.5", "each node only"]),
        ("l2_reg=1.0", ["l2_reg = 1.0", "no L1 / L2 penalty", "use 0"]),
        ("l1_reg=0.5", ["l1_reg = 0.5", "no L1 / L2 penalty"]),
    ],
)
def test_forest_options_scikit_learn_cannot_honour_are_refused_with_the_reason(loaded, options, fragments):
    fails(
        loaded,
        f"CREATE MODEL bad OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], {options}) "
        f"AS {FEATURES}",
        sqlml.NotSupportedError,
        "is not supported for random forests",
        *fragments,
    )


# --- instance_weight_col: a column of row weights, never a feature ---


def test_instance_weight_col_weighs_the_rows_as_lightgbm_and_scikit_learn_weights(loaded, frames):
    from sklearn.ensemble import RandomForestRegressor

    train, test = frames
    X, X_test, categorical = tree_matrices(train, test)
    weights = 1.0 + train["id"].to_numpy() % 4  # the weight column of the query below
    query = "SELECT x1, x2, color, flag, y_reg, 1 + id % 4 AS w FROM train"
    cur = loaded.cursor()
    expected = {
        "boosted_tree_regressor": lgb.train(
            {**LGB_DEFAULTS, "objective": "regression"},
            lgb.Dataset(X, train["y_reg"].to_numpy(), weight=weights, categorical_feature=categorical),
            20,
        ).predict(X_test),
        "random_forest_regressor": RandomForestRegressor(**FOREST)
        .fit(X, train["y_reg"], sample_weight=weights)
        .predict(X_test),
    }
    for model_type, predictions in expected.items():
        extra = ", num_parallel_tree=5" if model_type.startswith("random") else ", early_stop=FALSE"
        cur.execute(
            f"CREATE OR REPLACE MODEL w OPTIONS(model_type='{model_type}', input_label_cols=['y_reg'], "
            f"data_split_method='NO_SPLIT', instance_weight_col='w'{extra}) AS {query}"
        )
        cur.execute("SELECT predicted_y_reg FROM ML.PREDICT(MODEL w, TABLE test) ORDER BY id")  # test has no w
        np.testing.assert_allclose([row[0] for row in cur.fetchall()], predictions, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "weight, extra, error, fragments",
    [
        ("color", "", sqlml.ProgrammingError, ["instance_weight_col 'w' must be a numeric column, not VARCHAR"]),
        ("x1", "", sqlml.DataError, ["instance_weight_col 'w'", "weight >= 0"]),  # x1 has negative values
        ("x2", "", sqlml.DataError, ["instance_weight_col 'w'", "no NULL"]),  # x2 has NULLs
        ("0", "", sqlml.DataError, ["not all 0"]),
        ("1", ", auto_class_weights=TRUE", sqlml.ProgrammingError, ["instance_weight_col and auto_class_weights"]),
    ],
)
def test_bad_instance_weights_are_named(loaded, weight, extra, error, fragments):
    fails(
        loaded,
        "CREATE MODEL bad OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_bin'], "
        f"instance_weight_col='w'{extra}) AS SELECT x1, x2, color, y_bin, {weight} AS w FROM train",
        error,
        *fragments,
    )
