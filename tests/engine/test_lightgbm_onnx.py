"""The ONNX TreeEnsemble built from a LightGBM booster takes every decision LightGBM's own predictor takes.

The reference is Booster.predict(raw_score=True) on the same rows; the rows sit exactly on the split
thresholds and one ulp either side, and include NaN, zero and unseen/negative categories, where a float32
graph or a wrong missing-value rule would send a row down the other branch.
"""

import lightgbm as lgb
import numpy as np
import onnxruntime as ort
import pytest

from sqlml.engine.families.lightgbm_onnx import booster_to_onnx


def _train(objective: str, params: dict | None = None, rounds: int = 30, categorical=()):
    rng = np.random.default_rng(7)
    n = 3000
    X = rng.normal(size=(n, 6))
    X[rng.random(X.shape) < 0.1] = np.nan  # NaN-type splits
    X[:, 5] = rng.integers(0, 12, n)  # a categorical column when `categorical` names it
    signal = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2 + (X[:, 5] % 3 == 0)
    y = {"regression": signal, "binary": signal > 1.0, "multiclass": np.digitize(signal, [0.0, 1.0, 2.0])}
    base = {"objective": objective, "verbosity": -1, "max_depth": 5, "num_leaves": 32, "min_data_in_leaf": 1}
    if objective == "multiclass":
        base["num_class"] = 4
    data = lgb.Dataset(X, y[objective].astype(float), categorical_feature=list(categorical))
    return lgb.train({**base, **(params or {})}, data, rounds), X


def _edge_rows(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    """Rows of training data with, per feature, values on every numeric threshold and one ulp around it."""
    thresholds: dict[int, list[float]] = {}

    def walk(node):
        if "split_index" in node:
            if node["decision_type"] == "<=":
                thresholds.setdefault(node["split_feature"], []).append(float(node["threshold"]))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    rows = [X[:500].copy()]
    for feature, values in thresholds.items():
        values = np.array(values)
        for near in (values, np.nextafter(values, -np.inf), np.nextafter(values, np.inf)):
            block = X[: len(near)].copy()
            block[:, feature] = near
            rows.append(block)
    special = X[:8].copy()
    special[:4] = np.nan
    special[4:] = 0.0
    special[6:, 5] = [-1.0, 99.0]  # a negative and an unseen category
    return np.ascontiguousarray(np.vstack(rows + [special]))


def _onnx_raw(booster: lgb.Booster, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(booster_to_onnx(booster).SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": X})[0]


@pytest.mark.parametrize("objective", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("categorical", [(), (5,)], ids=["numeric", "categorical"])
def test_raw_scores_match_lightgbm(objective, categorical):
    booster, X = _train(objective, categorical=categorical)
    rows = _edge_rows(booster, X)
    expected = booster.predict(rows, raw_score=True).reshape(len(rows), -1)
    np.testing.assert_allclose(_onnx_raw(booster, rows), expected, rtol=1e-12, atol=1e-12)


def test_categorical_splits_are_present():
    """The categorical case above really exercises BRANCH_MEMBER (a set of several categories)."""
    booster, _ = _train("regression", categorical=(5,))
    trees = {a.name: a.t for a in booster_to_onnx(booster).graph.node[-1].attribute if a.HasField("t")}
    assert 6 in np.frombuffer(trees["nodes_modes"].raw_data, np.uint8)
    sets = np.frombuffer(trees["membership_values"].raw_data, np.float64)
    assert len(sets) > 2 * np.isnan(sets).sum()  # on average more than one category per set


def test_single_leaf_trees():
    """A constant label grows trees with no split: each becomes a split whose both sides are the leaf."""
    X = np.random.default_rng(1).normal(size=(50, 3))
    booster = lgb.train({"objective": "regression", "verbosity": -1}, lgb.Dataset(X, np.full(50, 4.25)), 5)
    assert booster.dump_model()["tree_info"][0]["num_leaves"] == 1
    np.testing.assert_allclose(_onnx_raw(booster, X)[:, 0], booster.predict(X), rtol=1e-12)


def test_zero_as_missing_is_refused():
    booster, _ = _train("regression", {"zero_as_missing": True})
    with pytest.raises(ValueError, match="zero-as-missing"):
        booster_to_onnx(booster)
