"""category_encoding_method, as BigQuery ML documents it
(https://cloud.google.com/bigquery/docs/auto-preprocessing#category_feature_encoding): ONE_HOT_ENCODING,
LABEL_ENCODING (the default) and TARGET_ENCODING for boosted trees
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree),
ONE_HOT_ENCODING (the default) and DUMMY_ENCODING for linear and logistic regression
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-glm).

Each model is checked against LightGBM / scikit-learn fitted directly on a matrix built here by hand from
the same rows, and its exported ONNX file against ML.PREDICT.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import sqlml
from tests.engine.reference import CATEGORICAL, LGB_DEFAULTS, NUMERIC, fails, linear_matrices, tree_matrices
from tests.export.onnx_helpers import rows_of, run_onnx

FEATURES = "SELECT x1, x2, color, flag, {label} FROM train"


def _create(con, model_type: str, label: str, method: str, extra: str = "") -> None:
    con.cursor().execute(
        f"CREATE OR REPLACE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', category_encoding_method='{method}'{extra}) AS " + FEATURES.format(label=label)
    )


def _predicted(con, label: str, classifier: bool) -> np.ndarray:
    column = f"predicted_{label}_probs" if classifier else f"predicted_{label}"
    rows = rows_of(con, f"SELECT {column} FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id")
    if classifier:
        return np.array([[entry["prob"] for entry in row[column]] for row in rows])
    return np.array([row[column] for row in rows])


def _category_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """The categorical columns as sqlml reads them: strings ('true' / 'false' for booleans), NULL as None."""
    out = frame[CATEGORICAL].astype(object).copy()
    out["flag"] = out["flag"].map({True: "true", False: "false"})
    return out


def _target_matrices(train: pd.DataFrame, test: pd.DataFrame, target: np.ndarray):
    """Mean-imputed numbers, then each category replaced by the mean of `target` over its training rows
    (NULL: over the NULL rows; a category unseen at training: over all rows)."""
    prior = target.mean()
    train_cats, test_cats = _category_strings(train), _category_strings(test)

    def encode(cats: pd.DataFrame) -> np.ndarray:
        columns = []
        for name in CATEGORICAL:
            keys = train_cats[name].fillna("\x00NULL")
            means = pd.Series(target).groupby(keys.to_numpy()).mean()
            columns.append(cats[name].fillna("\x00NULL").map(means).fillna(prior).to_numpy(dtype=float))
        return np.column_stack(columns)

    means = train[NUMERIC].mean()
    return (
        np.hstack([train[NUMERIC].fillna(means).to_numpy(), encode(train_cats)]),
        np.hstack([test[NUMERIC].fillna(means).to_numpy(), encode(test_cats)]),
    )


def _lgb(X, y, X_test, objective: str, categorical=()) -> np.ndarray:
    params = {**LGB_DEFAULTS, "objective": objective}
    raw = lgb.train(params, lgb.Dataset(X, y, categorical_feature=list(categorical)), 20).predict(X_test)
    return np.column_stack([1 - raw, raw]) if objective == "binary" else raw


# --- boosted trees ---


def test_boosted_tree_one_hot_is_lightgbm_on_one_hot_columns_and_raw_numbers(loaded, frames):
    train, test = frames
    _create(loaded, "boosted_tree_regressor", "y_reg", "ONE_HOT_ENCODING", ", early_stop=FALSE")
    X, X_test = linear_matrices(train, test, scale=False)  # numbers mean-imputed, not standardized
    expected = _lgb(X, train["y_reg"].to_numpy(), X_test, "regression")
    np.testing.assert_allclose(_predicted(loaded, "y_reg", False), expected, rtol=1e-9, atol=1e-9)


def test_boosted_tree_label_encoding_is_the_default(loaded, frames):
    train, test = frames
    _create(loaded, "boosted_tree_regressor", "y_reg", "LABEL_ENCODING", ", early_stop=FALSE")
    X, X_test, categorical = tree_matrices(train, test)
    expected = _lgb(X, train["y_reg"].to_numpy(), X_test, "regression", categorical)
    np.testing.assert_allclose(_predicted(loaded, "y_reg", False), expected, rtol=1e-9, atol=1e-9)


def test_boosted_tree_target_encoding_of_a_regression_is_the_label_mean(loaded, frames):
    train, test = frames
    _create(loaded, "boosted_tree_regressor", "y_reg", "TARGET_ENCODING", ", early_stop=FALSE")
    y = train["y_reg"].to_numpy()
    X, X_test = _target_matrices(train, test, y)
    assert test["color"].eq("purple").any()  # unseen at training: the overall mean
    np.testing.assert_allclose(_predicted(loaded, "y_reg", False), _lgb(X, y, X_test, "regression"), rtol=1e-9)


def test_boosted_tree_target_encoding_of_a_binary_label_is_the_positive_share(loaded, frames):
    train, test = frames
    _create(loaded, "boosted_tree_classifier", "y_bin", "TARGET_ENCODING", ", early_stop=FALSE")
    y = (train["y_bin"] == "yes").to_numpy(dtype=float)  # 'yes', the higher label, is the positive class
    X, X_test = _target_matrices(train, test, y)
    np.testing.assert_allclose(_predicted(loaded, "y_bin", True), _lgb(X, y, X_test, "binary"), atol=1e-9)


def test_target_encoding_of_a_multiclass_label_is_refused(loaded):
    fails(
        loaded,
        "CREATE MODEL m OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_multi'], "
        "category_encoding_method='TARGET_ENCODING') AS " + FEATURES.format(label="y_multi"),
        sqlml.NotSupportedError,
        "category_encoding_method='TARGET_ENCODING'",
        "3 classes",
    )


# --- linear models ---


def _dummy_matrices(train: pd.DataFrame, test: pd.DataFrame):
    """One-hot matrices (tests/engine/reference.py) without the column of each feature's most frequent
    training category (NULL included, as its own column); the dropped positions too."""
    X, X_test = linear_matrices(train, test)
    dropped, start = [], len(NUMERIC)
    for name in CATEGORICAL:
        counts = _category_strings(train)[name].value_counts(dropna=False)
        order = sorted(c for c in counts.index if c is not None and c == c) + [None] * any(counts.index.isna())
        sizes = [counts[c] if c is not None else counts[counts.index.isna()].iloc[0] for c in order]
        assert sorted(sizes)[-1] != sorted(sizes)[-2]  # no tie for the most frequent
        dropped.append(start + int(np.argmax(sizes)))
        start += len(order)
    keep = [i for i in range(X.shape[1]) if i not in dropped]
    return X[:, keep], X_test[:, keep], dropped


def test_linear_reg_dummy_encoding_leaves_the_most_frequent_category_out(loaded, frames):
    train, test = frames
    _create(loaded, "linear_reg", "y_reg", "DUMMY_ENCODING")
    X, X_test, _ = _dummy_matrices(train, test)
    expected = LinearRegression().fit(X, train["y_reg"]).predict(X_test)
    np.testing.assert_allclose(_predicted(loaded, "y_reg", False), expected, rtol=1e-9, atol=1e-9)
    # ML.WEIGHTS still lists the dropped category, with weight 0.0 (the page above)
    weights = {row["processed_input"]: row for row in rows_of(loaded, "SELECT * FROM ML.WEIGHTS(MODEL m)")}
    flag = {entry["category"]: entry["weight"] for entry in weights["flag"]["category_weights"]}
    assert flag["false"] == 0.0 and flag["true"] != 0.0  # 70% of the rows are false


def test_logistic_reg_dummy_encoding_is_scikit_learn_on_the_dummy_columns(loaded, frames):
    train, test = frames
    _create(loaded, "logistic_reg", "y_bin", "DUMMY_ENCODING", ", l2_reg=0.5")
    X, X_test, _ = _dummy_matrices(train, test)
    y = (train["y_bin"] == "yes").to_numpy(dtype=int)
    expected = LogisticRegression(C=1.0, max_iter=20, random_state=0).fit(X, y).predict_proba(X_test)
    np.testing.assert_allclose(_predicted(loaded, "y_bin", True), expected, atol=1e-6)


# --- export, options ---


@pytest.mark.parametrize(
    "model_type, label, method",
    [
        ("boosted_tree_regressor", "y_reg", "ONE_HOT_ENCODING"),
        ("boosted_tree_regressor", "y_reg", "TARGET_ENCODING"),
        ("boosted_tree_classifier", "y_bin", "TARGET_ENCODING"),
        ("linear_reg", "y_reg", "DUMMY_ENCODING"),
        ("logistic_reg", "y_bin", "DUMMY_ENCODING"),
    ],
)
def test_the_exported_model_predicts_as_ml_predict(loaded, tmp_path, model_type, label, method):
    _create(loaded, model_type, label, method)
    loaded.cursor().execute(f"EXPORT MODEL m OPTIONS(uri='{tmp_path / 'm.onnx'}')")
    inputs = rows_of(loaded, "SELECT x1, x2, color, flag FROM test ORDER BY id")
    outputs = run_onnx(tmp_path / "m.onnx", inputs)
    classifier = label == "y_bin"
    got = outputs[f"predicted_{label}_probs"] if classifier else outputs[f"predicted_{label}"]
    np.testing.assert_allclose(
        np.asarray(got).reshape(len(inputs), -1).squeeze(), _predicted(loaded, label, classifier), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize(
    "model_type, method, valid",
    [
        ("boosted_tree_regressor", "DUMMY_ENCODING", "LABEL_ENCODING, ONE_HOT_ENCODING, TARGET_ENCODING"),
        ("linear_reg", "LABEL_ENCODING", "ONE_HOT_ENCODING, DUMMY_ENCODING"),
        ("linear_reg", "TARGET_ENCODING", "ONE_HOT_ENCODING, DUMMY_ENCODING"),
    ],
)
def test_an_encoding_the_model_type_does_not_take_is_named(loaded, model_type, method, valid):
    fails(
        loaded,
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['y_reg'], "
        f"category_encoding_method='{method}') AS " + FEATURES.format(label="y_reg"),
        sqlml.ProgrammingError,
        "category_encoding_method must be one of " + valid,
    )


def test_a_warm_start_keeps_the_encoding(loaded):
    _create(loaded, "linear_reg", "y_reg", "DUMMY_ENCODING")
    fails(
        loaded,
        "CREATE OR REPLACE MODEL m OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], warm_start=TRUE, "
        "category_encoding_method='ONE_HOT_ENCODING') AS " + FEATURES.format(label="y_reg"),
        sqlml.ProgrammingError,
        "warm_start=TRUE keeps category_encoding_method = 'DUMMY_ENCODING'",
    )
