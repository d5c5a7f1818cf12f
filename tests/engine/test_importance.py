"""ML.FEATURE_IMPORTANCE against the libraries' own accounts of the same trees: LightGBM's
trees_to_dataframe (split features, gains, counts) and scikit-learn's unnormalized impurity importances."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from sqlml.engine.trainers.random_forest import TRUSTED_TYPES
from tests.engine.test_errors import fails

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
    loaded.cursor().execute(f"CREATE MODEL b OPTIONS(model_type='boosted_tree_classifier', input_label_cols=['y_multi'], "
                            f"max_iterations=15) AS SELECT {FEATURES}, y_multi FROM train")
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

    loaded.cursor().execute(f"CREATE MODEL f OPTIONS(model_type='random_forest_regressor', input_label_cols=['y_reg'], "
                            f"num_parallel_tree=8) AS SELECT {FEATURES}, y_reg FROM train")
    got = _importance(loaded, "f")
    forest = sio.loads(_artifact(loaded, "f"), trusted=TRUSTED_TYPES)
    total = sum(t.tree_.compute_feature_importances(normalize=False) * t.tree_.weighted_n_node_samples[0]
                for t in forest.estimators_)
    counts = np.bincount(np.concatenate([t.tree_.feature[t.tree_.feature >= 0] for t in forest.estimators_]), minlength=4)
    for i, name in enumerate(FEATURES.split(", ")):
        weight, gain, _ = got[name]
        assert weight == counts[i]
        assert gain * weight == pytest.approx(total[i], rel=1e-9)


def test_transform_outputs_count_for_the_raw_columns_they_read(loaded):
    loaded.cursor().execute("CREATE MODEL t TRANSFORM(x1 * x2 AS product, x1, color, y_reg) "
                            "OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg']) AS SELECT * FROM train")
    got = _importance(loaded, "t")
    assert sorted(got) == ["color", "x1", "x2"]
    frame = lgb.Booster(model_str=_artifact(loaded, "t").decode()).trees_to_dataframe()
    per_output = frame[frame["split_feature"].notna()]["split_feature"].value_counts()
    assert got["x2"][0] == per_output.get("Column_0", 0)  # product
    assert got["x1"][0] == per_output.get("Column_0", 0) + per_output.get("Column_1", 0)


@pytest.mark.parametrize("sql, fragments", [
    ("SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL lin)", ["boosted tree or random forest", "linear_reg"]),
    ("SELECT * FROM ML.FEATURE_IMPORTANCE(MODEL tree, TABLE train)", ["takes a model only"]),
])
def test_bad_feature_importance(loaded, sql, fragments):
    cur = loaded.cursor()
    cur.execute("CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train")
    cur.execute("CREATE MODEL tree OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg']) "
                "AS SELECT x1, y_reg FROM train")
    fails(loaded, sql, sqlml.ProgrammingError, *fragments)
