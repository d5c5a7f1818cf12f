"""Helpers of the engine tests: an independent reference for sqlml's automatic preprocessing, built from
scikit-learn's own parts, LightGBM's parameters for sqlml's boosted tree defaults, and `fails`, which checks
that a bad statement raises a named error and changes nothing.

BigQuery ML's rules (see docs/model_types.md): numeric columns mean-imputed, standardized (population std)
for linear models; categorical columns one-hot for linear models (NULL its own category, unseen ignored),
label-encoded for trees (1-based position in the sorted vocabulary, 0 for NULL or unseen).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

NUMERIC = ["x1", "x2"]
CATEGORICAL = ["color", "flag"]
# LightGBM parameters of sqlml's boosted tree defaults (docs/model_types.md), written out by hand
LGB_DEFAULTS = {
    "learning_rate": 0.3,
    "max_depth": 6,
    "num_leaves": 64,
    "lambda_l1": 0.0,
    "lambda_l2": 1.0,
    "min_gain_to_split": 0.0,
    "min_sum_hessian_in_leaf": 1,
    "min_data_in_leaf": 1,
    "bagging_fraction": 1.0,
    "bagging_freq": 0,
    "feature_fraction": 1.0,
    "feature_fraction_bynode": 1.0,
    "max_bin": 256,  # tree_method AUTO: XGBoost's hist, 256 bins
    "seed": 0,
    "deterministic": True,
    "verbosity": -1,
}


def _as_category_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as the strings DuckDB casts them to ('true'/'false' for booleans)."""
    out = frame[CATEGORICAL].astype(object).copy()
    out["flag"] = out["flag"].map({True: "true", False: "false"})
    return out.where(out.notna(), None)


def linear_matrices(
    train: pd.DataFrame, test: pd.DataFrame, scale: bool = True, numeric: list[str] = NUMERIC
) -> tuple[np.ndarray, np.ndarray]:
    """Mean-imputed `numeric` columns (standardized when `scale`), then one-hot categories."""
    imputer, scaler = SimpleImputer(strategy="mean"), StandardScaler(with_mean=scale, with_std=scale)
    numeric_train = scaler.fit_transform(imputer.fit_transform(train[numeric]))
    numeric_test = scaler.transform(imputer.transform(test[numeric]))
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    cat_train = _as_category_strings(train).fillna("\x00NULL")  # NULL as a category of its own
    encoder.fit(cat_train)
    # sqlml orders a vocabulary's categories ascending with NULL last; OneHotEncoder sorts them, and the
    # sentinel "\x00NULL" sorts first, so move it to the end of each column's block
    order = []
    for categories in encoder.categories_:
        block = list(range(len(order), len(order) + len(categories)))
        order += block[1:] + block[:1] if categories[0] == "\x00NULL" else block
    cat_test = _as_category_strings(test).fillna("\x00NULL")
    return (
        np.hstack([numeric_train, encoder.transform(cat_train)[:, order]]),
        np.hstack([numeric_test, encoder.transform(cat_test)[:, order]]),
    )


def tree_matrices(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Raw imputed numerics, then label-encoded categories; returns the categorical column indices too."""
    imputer = SimpleImputer(strategy="mean").fit(train[NUMERIC])
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    cat_train = _as_category_strings(train)
    encoder.fit(cat_train.fillna(np.nan))

    def encode(frame):
        return encoder.transform(_as_category_strings(frame).fillna(np.nan)) + 1

    return (
        np.hstack([imputer.transform(train[NUMERIC]), encode(train)]),
        np.hstack([imputer.transform(test[NUMERIC]), encode(test)]),
        [2, 3],
    )


def snapshot(con) -> list:
    """Every row of the catalog and of the user's tables (read in DuckDB's dialect, whatever `con`'s)."""
    cur = con.cursor()
    cur.execute("SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL", dialect="duckdb")
    tables = cur.fetchall()
    content = []
    for schema, table in tables:
        cur.execute(f'SELECT * FROM "{schema}"."{table}" ORDER BY ALL', dialect="duckdb")
        content.append((schema, table, cur.fetchall()))
    return content


def fails(con, sql, error, *fragments, params=None):
    """Run `sql`, expect `error` whose message has every fragment, and check that nothing changed."""
    before = snapshot(con)
    with pytest.raises(error) as caught:
        con.cursor().execute(sql, params)
    for fragment in fragments:
        assert fragment in str(caught.value), (fragment, str(caught.value))
    assert snapshot(con) == before
    return caught.value


# TensorFlow's documented activations, BigQuery ML's activation_fn values (https://cloud.google.com/bigquery/docs/
# reference/standard-sql/bigqueryml-syntax-create-dnn-models): tf.nn.relu6 min(max(x, 0), 6); tf.nn.elu x if
# x > 0 else exp(x) - 1; tf.nn.selu scale * x if x > 0 else scale * alpha * (exp(x) - 1), with the constants of
# https://www.tensorflow.org/api_docs/python/tf/nn/selu.
TF_ACTIVATIONS = {
    "RELU": lambda x: max(x, 0.0),
    "RELU6": lambda x: min(max(x, 0.0), 6.0),
    "ELU": lambda x: x if x > 0 else np.exp(x) - 1,
    "SELU": lambda x: 1.05070098735548049342 * (x if x > 0 else 1.67326324235437728481 * (np.exp(x) - 1)),
    "SIGMOID": lambda x: 1 / (1 + np.exp(-x)),
    "TANH": np.tanh,
}


def numerical_gradient(loss, params, eps=1e-6):
    """Central differences of loss() with respect to every entry of every array in params."""
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            kept = p[i]
            p[i] = kept + eps
            up = loss()
            p[i] = kept - eps
            down = loss()
            p[i] = kept
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def planted_ratings(n_users: int, n_items: int, per_user: int, seed: int, implicit: bool = False) -> pd.DataFrame:
    """Ratings of a planted rank-2 model plus noise: every user rates `per_user` distinct items (1..5 rounded
    for explicit feedback, positive counts for implicit); users are 'u<n>' strings, items integers."""
    rng = np.random.default_rng(seed)
    users, items = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    rows = []
    for u in range(n_users):
        for i in rng.choice(n_items, per_user, replace=False):
            signal = users[u] @ items[i] + rng.normal(0, 0.3)
            value = float(rng.poisson(np.exp(signal)) + 1) if implicit else float(np.clip(np.round(3 + signal), 1, 5))
            rows.append((f"u{u}", int(i), value))
    return pd.DataFrame(rows, columns=["user", "item", "rating"])


def mf_weights(cur, model: str, trial_id: int | None = None) -> tuple[dict, dict, float]:
    """({user: (factors, intercept)}, {item: (factors, intercept)}, global intercept) of a matrix factorization
    model read from ML.WEIGHTS (of tuning trial `trial_id`, if given); items keyed as strings."""
    trial = "" if trial_id is None else f", STRUCT({trial_id} AS trial_id)"
    cur.execute(f"SELECT processed_input, feature, factor_weights, intercept FROM ML.WEIGHTS(MODEL {model}{trial})")
    sides, total = {"user": {}, "item": {}}, None
    for side, feature, factor_weights, intercept in cur.fetchall():
        if side is None:
            assert feature == "global__intercept__" and factor_weights is None
            total = intercept
            continue
        assert [w["factor"] for w in factor_weights] == list(range(1, len(factor_weights) + 1))
        sides[side][feature] = (np.array([w["weight"] for w in factor_weights]), intercept)
    return sides["user"], sides["item"], total
