"""ML.FEATURE_IMPORTANCE against the libraries' own accounts of the same trees: LightGBM's
trees_to_dataframe (split features, gains, counts) and scikit-learn's unnormalized impurity importances."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from sqlml.engine.families.random_forest import TRUSTED_TYPES
from tests.engine.reference import fails

FEATURES = "x1, x2, color, flag"  # the tree encoder's matrix columns, in this order


def _importance(con, model: str) -> dict:
    cur = con.cursor()
    cur.execute(f"SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL {model})")
    assert [d[0] for d in cur.description] == ["feature", "importance_weight", "importance_gain", "importance_cover"]
    return {r[0]: r[1:] for r in cur.fetchall()}


def _artifact(con, model: str) -> bytes:
    cur = con.cursor()
    cur.execute(f"SELECT artifact FROM sqlml.model_versions WHERE model_name = '{model}'")
    return cur.fetchone()[0]


def test_boosted_tree_matches_lightgbms_tree_table(loaded):
    loaded.cursor().execute(
        f"CREATE MODEL b OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_multi'], "
        f"max_iterations=15) AS SELECT {FEATURES}, y_multi FROM train"
    )
    got = _importance(loaded, "b")
    frame = lgb.Booster(model_str=_artifact(loaded, "b").decode()).trees_to_dataframe()
    splits = frame[frame["split_feature"].notna()]
    names = FEATURES.split(", ")
    for i, name in enumerate(names):
        mine = splits[splits["split_feature"] == f"Column_{i}"]
        weight, gain, cover = got[name]
        assert weight == len(mine) > 0
        assert gain == pytest.approx(mine["split_gain"].mean(), rel=1e-9)
        assert cover == pytest.approx(mine["count"].mean(), rel=1e-9)


def test_random_forest_matches_scikit_learns_impurity_importances(loaded):
    import skops.io as sio

    loaded.cursor().execute(
        f"CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
        f"num_parallel_tree=8) AS SELECT {FEATURES}, y_reg FROM train"
    )
    got = _importance(loaded, "f")
    forest = sio.loads(_artifact(loaded, "f"), trusted=TRUSTED_TYPES)
    total = sum(
        t.tree_.compute_feature_importances(normalize=False) * t.tree_.weighted_n_node_samples[0]
        for t in forest.estimators_
    )
    counts = np.bincount(
        np.concatenate([t.tree_.feature[t.tree_.feature >= 0] for t in forest.estimators_]), minlength=4
    )
    for i, name in enumerate(FEATURES.split(", ")):
        weight, gain, _ = got[name]
        assert weight == counts[i]
        assert gain * weight == pytest.approx(total[i], rel=1e-9)


def test_transform_outputs_count_for_the_raw_columns_they_read(loaded):
    loaded.cursor().execute(
        "CREATE MODEL t TRANSFORM(x1 * x2 AS product, x1, color, y_reg) "
        "OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg']) AS SELECT * FROM train"
    )
    got = _importance(loaded, "t")
    assert sorted(got) == ["color", "x1", "x2"]
    frame = lgb.Booster(model_str=_artifact(loaded, "t").decode()).trees_to_dataframe()
    per_output = frame[frame["split_feature"].notna()]["split_feature"].value_counts()
    assert got["x2"][0] == per_output.get("Column_0", 0)  # product
    assert got["x1"][0] == per_output.get("Column_0", 0) + per_output.get("Column_1", 0)


@pytest.mark.parametrize(
    "sql, fragments",
    [
        ("SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL lin)", ["boosted tree or random forest", "linear_reg"]),
        ("SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL tree, TABLE train)", ["takes a model only"]),
    ],
)
def test_bad_feature_importance(loaded, sql, fragments):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train"
    )
    cur.execute(
        "CREATE MODEL tree OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train"
    )
    fails(loaded, sql, sqlml.ProgrammingError, *fragments)


def _weights(con, sql):
    cur = con.cursor()
    cur.execute(sql)
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


@pytest.mark.parametrize("standardize", [False, True])
def test_linear_weights_equal_least_squares_in_each_scale(loaded, frames, standardize):
    """Numeric inputs only, no penalty: the weights are scikit-learn's LinearRegression fitted on the raw
    mean-imputed columns (standardize=FALSE) or on the standardized ones (TRUE)."""
    from sklearn.linear_model import LinearRegression

    from tests.engine.reference import linear_matrices

    loaded.cursor().execute(
        "CREATE MODEL lw OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], "
        "data_split_method='NO_SPLIT') "
        "AS SELECT x1, x2, y_reg FROM train"
    )
    rows = _weights(loaded, f"SELECT * FROM ML.WEIGHTS(MODEL lw, STRUCT({str(standardize).upper()} AS standardize))")
    train, test = frames
    X, _ = linear_matrices(train, test, scale=standardize)
    reference = LinearRegression().fit(X[:, :2], train["y_reg"])
    assert [r["processed_input"] for r in rows] == ["__INTERCEPT__", "x1", "x2"]
    np.testing.assert_allclose([r["weight"] for r in rows], [reference.intercept_, *reference.coef_], rtol=1e-8)


@pytest.mark.parametrize("label", ["y_bin", "y_multi"])
def test_logistic_weights_rebuild_ml_predicts_probabilities(loaded, label):
    """Scores rebuilt from ML.WEIGHTS on the raw test rows (NULL as the training mean, a category's own
    weight, an unseen one 0) give ML.PREDICT's probabilities through the sigmoid or softmax."""
    from scipy.special import expit, softmax

    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL lg OPTIONS(model_type='logistic_reg', input_label_cols=['{label}'], "
        "data_split_method='NO_SPLIT') "
        f"AS SELECT x1, x2, color, flag, {label} FROM train"
    )
    rows = _weights(loaded, "SELECT * FROM ML.WEIGHTS(MODEL lg)")
    means = dict(cur.execute("SELECT 'x1', avg(x1) FROM train UNION ALL SELECT 'x2', avg(x2) FROM train").fetchall())
    cur.execute(
        f"SELECT x1, x2, color, CAST(flag AS VARCHAR), predicted_{label}_probs FROM ML.PREDICT(MODEL lg, "
        "TABLE test) ORDER BY id"
    )
    predicted = cur.fetchall()
    classes = sorted({r.get("class_label") for r in rows}, key=lambda c: (c is None, c))
    scores = np.zeros((len(predicted), len(classes)))
    for k, cls in enumerate(classes):
        for r in (r for r in rows if r.get("class_label") == cls):
            for i, (x1, x2, color, flag, _) in enumerate(predicted):
                values = {"x1": x1, "x2": x2, "color": color, "flag": flag}
                if r["processed_input"] == "__INTERCEPT__":
                    scores[i, k] += r["weight"]
                elif r["weight"] is not None:
                    value = values[r["processed_input"]]
                    scores[i, k] += r["weight"] * (means[r["processed_input"]] if value is None else value)
                else:
                    scores[i, k] += sum(
                        c["weight"] for c in r["category_weights"] if c["category"] == values[r["processed_input"]]
                    )
    probs = np.array([[e["prob"] for e in r[4]] for r in predicted])
    rebuilt = (
        softmax(scores, axis=1) if len(classes) > 1 else np.column_stack([1 - expit(scores[:, 0]), expit(scores[:, 0])])
    )
    np.testing.assert_allclose(rebuilt, probs, atol=1e-9)


def test_weights_of_a_tree_are_refused(loaded):
    loaded.cursor().execute(
        "CREATE MODEL tw OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg']) "
        "AS SELECT x1, y_reg FROM train"
    )
    fails(
        loaded,
        "SELECT * FROM ML.WEIGHTS(MODEL tw)",
        sqlml.ProgrammingError,
        "linear_reg or logistic_reg",
        "boosted_tree_regressor",
    )
    fails(loaded, "SELECT * FROM ML.WEIGHTS(MODEL tw, STRUCT(1 AS standardize))", sqlml.ProgrammingError, "standardize")
