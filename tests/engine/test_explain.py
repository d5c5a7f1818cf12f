"""ML.EXPLAIN_PREDICT: attributions plus baseline equal prediction_value (additivity, 1e-6), which is the
raw score LightGBM gives for the same rows, or the log-odds of ML.PREDICT's probabilities; tree
attributions are LightGBM's own TreeSHAP values for the same rows."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

import sqlml
from tests.engine.reference import tree_matrices
from tests.engine.test_errors import fails

FEATURES = ["x1", "x2", "color", "flag"]


def _explained(con, model: str, label: str) -> list[dict]:
    cur = con.cursor()
    cur.execute(f"SELECT * FROM ML.EXPLAIN_PREDICT(MODEL {model}, (SELECT * FROM test ORDER BY id), "
                "STRUCT(4 AS top_k_features))")
    rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    for row in rows:
        attributions = [a["attribution"] for a in row["top_feature_attributions"]]
        assert sorted(a["feature"] for a in row["top_feature_attributions"]) == sorted(FEATURES)
        assert np.abs(attributions).tolist() == sorted(np.abs(attributions).tolist(), reverse=True)
        assert row["baseline_prediction_value"] + sum(attributions) == pytest.approx(row["prediction_value"], abs=1e-6)
        assert row["approximation_error"] == 0
    return rows


@pytest.mark.parametrize("model_type, label", [
    ("boosted_tree_regressor", "y_reg"), ("boosted_tree_classifier", "y_bin"), ("boosted_tree_classifier", "y_multi")])
def test_tree_attributions_are_lightgbms_treeshap(loaded, frames, model_type, label):
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
                f"data_split_method='NO_SPLIT') AS SELECT {', '.join(FEATURES)}, {label} FROM train")
    rows = _explained(loaded, "e", label)
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'e'")
    booster = lgb.Booster(model_str=cur.fetchone()[0].decode())
    train, test = frames
    _, X, _ = tree_matrices(train, test.sort_values("id"))
    raw = booster.predict(X, raw_score=True).reshape(len(X), -1)
    contrib = booster.predict(X, pred_contrib=True).reshape(len(X), raw.shape[1], -1)
    classes = sorted(test[label].unique()) if label != "y_reg" else None
    for i, row in enumerate(rows):
        if classes is None:
            k, sign = 0, 1.0
        elif raw.shape[1] == 1:  # binary: the predicted class's log-odds
            k, sign = 0, 1.0 if row[f"predicted_{label}"] == "yes" else -1.0
        else:
            k, sign = classes.index(row[f"predicted_{label}"]), 1.0
        assert row["prediction_value"] == pytest.approx(sign * raw[i, k], abs=1e-9)
        got = {a["feature"]: a["attribution"] for a in row["top_feature_attributions"]}
        np.testing.assert_allclose([got[f] for f in FEATURES], sign * contrib[i, k, :4], atol=1e-9)


@pytest.mark.parametrize("model_type, label", [("linear_reg", "y_reg"), ("logistic_reg", "y_bin"),
                                               ("logistic_reg", "y_multi")])
def test_linear_prediction_value_is_the_score(loaded, model_type, label):
    cur = loaded.cursor()
    cur.execute(f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
                f"data_split_method='NO_SPLIT') AS SELECT {', '.join(FEATURES)}, {label} FROM train")
    rows = _explained(loaded, "e", label)
    if label == "y_reg":
        np.testing.assert_allclose([r["prediction_value"] for r in rows], [r["predicted_y_reg"] for r in rows], rtol=1e-9)
        return
    if label == "y_multi":  # the class scores are the softmax's inputs: rebuilt from ML.WEIGHTS on raw values
        cur.execute("SELECT class_label, processed_input, weight, category_weights FROM ML.WEIGHTS(MODEL e)")
        weights = cur.fetchall()
        cur.execute("SELECT avg(x1), avg(x2) FROM train")
        means = dict(zip(["x1", "x2"], cur.fetchone()))
        for row in rows:
            score = 0.0
            for cls, name, weight, categories in weights:
                if cls != str(row["predicted_y_multi"]):
                    continue
                value = None if name == "__INTERCEPT__" else row[name]
                if name == "flag":
                    value = str(value).lower()
                if name == "__INTERCEPT__":
                    score += weight
                elif weight is not None:
                    score += weight * (means[name] if value is None else value)
                else:
                    score += sum(c["weight"] for c in categories if c["category"] == value)
            assert row["prediction_value"] == pytest.approx(score, abs=1e-6)
        return
    for row in rows:
        probs = {e["label"]: e["prob"] for e in row[f"predicted_{label}_probs"]}
        p = probs[row[f"predicted_{label}"]]
        assert row["prediction_value"] == pytest.approx(np.log(p / (1 - p)), abs=1e-6)


BAD = [
    ("SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin, TABLE test, STRUCT(0 AS top_k_features))", sqlml.ProgrammingError,
     ["top_k_features", "at least 1", "0"]),
    ("SELECT * FROM ML.EXPLAIN_PREDICT(MODEL nn, TABLE test)", sqlml.NotSupportedError, ["dnn_regressor"]),
    ("SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin)", sqlml.ProgrammingError, ["needs input data"]),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_explain(loaded, sql, error, fragments):
    cur = loaded.cursor()
    cur.execute("CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y_reg']) AS SELECT x1, y_reg FROM train")
    cur.execute("CREATE MODEL nn OPTIONS(model_type='dnn_regressor', input_label_cols=['y_reg'], hidden_units=[2], "
                "max_iterations=1) AS SELECT x1, y_reg FROM train")
    fails(loaded, sql, error, *fragments)
