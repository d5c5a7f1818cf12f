"""ML.EXPLAIN_PREDICT: attributions plus baseline equal prediction_value (additivity, 1e-6), which is the
raw score LightGBM gives for the same rows, or the log-odds of ML.PREDICT's probabilities; tree
attributions are LightGBM's own TreeSHAP values for the same rows."""

from __future__ import annotations

import json
import math

import lightgbm as lgb
import numpy as np
import pytest
import skops.io as sio

import sqlml
from tests.engine.reference import fails, linear_matrices, tree_matrices

FEATURES = ["x1", "x2", "color", "flag"]


def _explained(con, model: str, label: str, exact: bool = True) -> list[dict]:
    cur = con.cursor()
    cur.execute(
        f"SELECT * FROM ML.EXPLAIN_PREDICT(MODEL {model}, (SELECT * FROM test ORDER BY id), "
        "STRUCT(4 AS top_k_features))"
    )
    rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    for row in rows:
        attributions = [a["attribution"] for a in row["top_feature_attributions"]]
        assert sorted(a["feature"] for a in row["top_feature_attributions"]) == sorted(FEATURES)
        assert np.abs(attributions).tolist() == sorted(np.abs(attributions).tolist(), reverse=True)
        assert row["baseline_prediction_value"] + sum(attributions) == pytest.approx(row["prediction_value"], abs=1e-6)
        assert row["approximation_error"] == 0 if exact else row["approximation_error"] >= 0
    return rows


@pytest.mark.parametrize(
    "model_type, label",
    [("boosted_tree_regressor", "y_reg"), ("boosted_tree_classifier", "y_bin"), ("boosted_tree_classifier", "y_multi")],
)
def test_tree_attributions_are_lightgbms_treeshap(loaded, frames, model_type, label):
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT') AS SELECT {', '.join(FEATURES)}, {label} FROM train"
    )
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


@pytest.mark.parametrize(
    "model_type, label", [("linear_reg", "y_reg"), ("logistic_reg", "y_bin"), ("logistic_reg", "y_multi")]
)
def test_linear_prediction_value_is_the_score(loaded, model_type, label):
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT') AS SELECT {', '.join(FEATURES)}, {label} FROM train"
    )
    rows = _explained(loaded, "e", label)
    if label == "y_reg":
        np.testing.assert_allclose(
            [r["prediction_value"] for r in rows], [r["predicted_y_reg"] for r in rows], rtol=1e-9
        )
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
        p = row["probability"]  # of the predicted class
        assert row["prediction_value"] == pytest.approx(np.log(p / (1 - p)), abs=1e-6)


# --- DNN and random forest: sampled Shapley values, checked against a brute-force Shapley value ---

SAMPLED = [
    ("dnn_regressor", "y_reg"),
    ("dnn_classifier", "y_bin"),
    ("dnn_classifier", "y_multi"),
    ("random_forest_regressor", "y_reg"),
    ("random_forest_classifier", "y_bin"),
    ("random_forest_classifier", "y_multi"),
]
OPTIONS = {
    "dnn": "hidden_units=[8], max_iterations=30, learn_rate=0.01",
    "random_forest": "num_parallel_tree=20, max_tree_depth=6",
}


def _sampled_model(con, model_type: str, label: str, features: list[str]) -> dict:
    cur = con.cursor()
    cur.execute(
        f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', {OPTIONS[model_type.rsplit('_', 1)[0]]}) "
        f"AS SELECT {', '.join(features)}, {label} FROM train"
    )
    cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'e'")
    return cur.fetchone()[0]


def _reference(model_type: str, artifact: bytes, train, test, features: list[str]):
    """(encoded test rows, encoded baseline row, owner feature of each column, raw scores (rows, outputs)),
    all built here from the stored weights / trees and scikit-learn's preprocessing."""
    extra = [f for f in features if f not in FEATURES]  # numeric columns beyond the reference's four
    if model_type.startswith("dnn"):
        _, X = linear_matrices(train, test)
        means, stds = train[extra].mean().to_numpy(), train[extra].std(ddof=0).to_numpy()
        X = np.hstack([X, (test[extra].to_numpy() - means) / stds])
        base = np.zeros(X.shape[1])  # numbers at the mean, standardized: 0; no category
        state = json.loads(artifact)

        def raw(H):
            for w, b in zip(state["weights"][:-1], state["biases"][:-1]):
                H = np.maximum(H @ np.array(w) + b, 0.0)
            z = H @ np.array(state["weights"][-1]) + state["biases"][-1]
            return z * state["label_scale"][1] + state["label_scale"][0] if model_type == "dnn_regressor" else z
    else:
        _, X, _ = tree_matrices(train, test)
        X = np.hstack([X, test[extra].to_numpy()])
        base = np.array([train["x1"].mean(), train["x2"].mean(), 0, 0, *train[extra].mean()])  # categories: code 0
        forest = sio.loads(artifact, trusted=sio.get_untrusted_types(data=artifact))

        def raw(H):
            return forest.predict_proba(H) if model_type.endswith("classifier") else forest.predict(H)[:, None]

    widths = {"color": 4, "flag": 2} if model_type.startswith("dnn") else {}
    owners = np.repeat(np.arange(len(features)), [widths.get(f, 1) for f in features])
    return X, base, owners, raw


def _chosen_score(raw_scores: np.ndarray, classifier: bool):
    """(chosen class, its raw score): one output is a value or the positive class's log-odds."""
    n, outputs = raw_scores.shape
    if outputs == 1:
        if not classifier:
            return np.zeros(n, dtype=int), raw_scores[:, 0]
        chosen = (raw_scores[:, 0] > 0).astype(int)
        return chosen, np.where(chosen == 1, 1.0, -1.0) * raw_scores[:, 0]
    chosen = raw_scores.argmax(axis=1)
    return chosen, raw_scores[np.arange(n), chosen]


def _exact_shapley(X, base, owners, raw, chosen, classifier):
    """Shapley values by enumerating every coalition of features, each absent one at the baseline."""
    n, d = len(X), owners.max() + 1
    value = {}
    for members in range(2**d):
        present = np.array([(members >> f) & 1 for f in range(d)], dtype=bool)
        scores = raw(np.where(present[owners], X, base))
        value[members] = _of_class(scores, chosen, classifier)
    phi = np.zeros((n, d))
    for f in range(d):
        for members in range(2**d):
            if not (members >> f) & 1:
                size = bin(members).count("1")
                weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
                phi[:, f] += weight * (value[members | 1 << f] - value[members])
    return phi


def _of_class(scores, chosen, classifier):
    if scores.shape[1] == 1:
        return scores[:, 0] * (np.where(chosen == 1, 1.0, -1.0) if classifier else 1.0)
    return scores[np.arange(len(scores)), chosen]


def _attributions(rows: list[dict], features: list[str]) -> np.ndarray:
    return np.array(
        [
            [{a["feature"]: a["attribution"] for a in row["top_feature_attributions"]}[f] for f in features]
            for row in rows
        ]
    )


@pytest.mark.parametrize("model_type, label", SAMPLED)
def test_sampled_shapley_adds_up_to_the_raw_score(loaded, frames, model_type, label):
    artifact = _sampled_model(loaded, model_type, label, FEATURES)
    rows = _explained(loaded, "e", label, exact=False)
    train, test = frames
    X, base, _, raw = _reference(model_type, artifact, train, test.sort_values("id"), FEATURES)
    classifier = label != "y_reg"
    chosen, score = _chosen_score(raw(X), classifier)
    base_score = _of_class(raw(base[None]).repeat(len(X), axis=0), chosen, classifier)
    if classifier:
        classes = sorted(test[label].unique())
        assert [row[f"predicted_{label}"] for row in rows] == [classes[c] for c in chosen]
    np.testing.assert_allclose([r["prediction_value"] for r in rows], score, atol=1e-9)
    np.testing.assert_allclose([r["baseline_prediction_value"] for r in rows], base_score, atol=1e-9)
    assert max(r["approximation_error"] for r in rows) > 0  # 10 of the 4! orderings: an estimate


@pytest.mark.parametrize("model_type, label", [("dnn_classifier", "y_multi"), ("random_forest_regressor", "y_reg")])
def test_sampled_shapley_against_exact_shapley(loaded, frames, model_type, label):
    features = FEATURES + ["id"]  # 5 features: 120 orderings
    artifact = _sampled_model(loaded, model_type, label, features)
    train, test = frames
    X, base, owners, raw = _reference(model_type, artifact, train, test.sort_values("id"), features)
    chosen, _ = _chosen_score(raw(X), label != "y_reg")
    exact = _exact_shapley(X, base, owners, raw, chosen, label != "y_reg")
    cur = loaded.cursor()
    query = (
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL e, (SELECT * FROM test ORDER BY id), "
        "STRUCT(5 AS top_k_features, {} AS num_permutations))"
    )
    cur.execute(query.format(120))  # every ordering once: the exact Shapley values
    rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    np.testing.assert_allclose(_attributions(rows, features), exact, atol=1e-9)
    assert all(r["approximation_error"] == 0 for r in rows)
    cur.execute(query.format(60))  # a sample: within 4 of its reported standard errors
    rows = [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    error, deviation = np.array([r["approximation_error"] for r in rows]), np.abs(_attributions(rows, features) - exact)
    assert (deviation <= 4 * error[:, None] + 1e-9).all()
    assert deviation.mean() < 0.1 * np.abs(exact).mean()


# --- ML.GLOBAL_EXPLAIN ---


def _table(cur, sql: str) -> list[dict]:
    cur.execute(sql)
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def _mean_absolute(attributions: np.ndarray, groups: list) -> dict:
    """{(group, feature): mean |attribution| over the group's rows}; group None: all rows."""
    means = {(None, f): v for f, v in zip(FEATURES, np.abs(attributions).mean(axis=0))}
    for group in set(groups):
        rows = np.array(groups) == group
        means.update({(group, f): v for f, v in zip(FEATURES, np.abs(attributions[rows]).mean(axis=0))})
    return means


def _check_global(cur, model: str, source: str, expected: dict) -> None:
    """ML.GLOBAL_EXPLAIN's rows (all rows, then by class) against expected mean absolute attributions."""
    overall = _table(cur, f"SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL {model}{source})")
    assert [r["attribution"] for r in overall] == sorted((r["attribution"] for r in overall), reverse=True)
    assert {r["feature"]: r["attribution"] for r in overall} == pytest.approx(
        {f: v for (g, f), v in expected.items() if g is None}, abs=1e-9
    )
    by_class = _table(
        cur, f"SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL {model}{source}, STRUCT(TRUE AS class_level_explain))"
    )
    assert {(r["class_label"], r["feature"]): r["attribution"] for r in by_class} == pytest.approx(
        {(str(g), f): v for (g, f), v in expected.items() if g is not None}, abs=1e-9
    )


@pytest.mark.parametrize("model_type, label", [("boosted_tree_classifier", "y_multi"), ("dnn_classifier", "y_bin")])
def test_global_explain_is_the_mean_absolute_attribution(loaded, frames, model_type, label):
    cur = loaded.cursor()
    training = f"SELECT {', '.join(FEATURES)}, {label} FROM train"
    options = f", {OPTIONS['dnn']}" if model_type.startswith("dnn") else ""
    cur.execute(
        f"CREATE MODEL e OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', enable_global_explain=TRUE{options}) AS {training}"
    )
    for source, rows in [("", training), (", TABLE test", "SELECT * FROM test")]:  # without input: the training rows
        explained = _table(cur, f"SELECT * FROM ML.EXPLAIN_PREDICT(MODEL e, ({rows}), STRUCT(4 AS top_k_features))")
        _check_global(
            cur,
            "e",
            source,
            _mean_absolute(_attributions(explained, FEATURES), [r[f"predicted_{label}"] for r in explained]),
        )
    if model_type.startswith("boosted_tree"):  # LightGBM's own TreeSHAP values of the training rows
        cur.execute("SELECT artifact FROM sqlml.model_versions WHERE model_name = 'e'")
        booster = lgb.Booster(model_str=cur.fetchone()[0].decode())
        X, _, _ = tree_matrices(frames[0], frames[1])
        raw = booster.predict(X, raw_score=True)
        contrib = booster.predict(X, pred_contrib=True).reshape(len(X), raw.shape[1], -1)
        chosen = raw.argmax(axis=1)
        _check_global(cur, "e", "", _mean_absolute(contrib[np.arange(len(X)), chosen, :4], chosen.tolist()))


def test_global_explain_with_transform(loaded):
    """The training rows go through the model's TRANSFORM; the features are its outputs."""
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL t TRANSFORM(x1 * 2 AS x1, x2, color, flag, y_bin) OPTIONS(model_type='logistic_reg', "
        "input_label_cols=['y_bin'], enable_global_explain=TRUE) AS SELECT * FROM train"
    )
    explained = _table(cur, "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL t, TABLE train, STRUCT(4 AS top_k_features))")
    _check_global(
        cur, "t", "", _mean_absolute(_attributions(explained, FEATURES), [r["predicted_y_bin"] for r in explained])
    )


def test_global_explain_without_the_rows_transform_labels_null(loaded):
    """A label TRANSFORM computes is NULL where its raw column is: training dropped those rows, and so does
    ML.GLOBAL_EXPLAIN without input (its result is the one over the rows kept)."""
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL t TRANSFORM(x1, x2, color, flag, y_reg > 0.3 AS big) OPTIONS(model_type="
        "'logistic_reg', input_label_cols=['big'], data_split_method='NO_SPLIT', enable_global_explain=TRUE) AS SELECT x1, x2, color, "
        "flag, CASE WHEN id % 5 = 0 THEN NULL ELSE y_reg END AS y_reg FROM train"
    )
    assert _table(cur, "SELECT training_rows, dropped_rows FROM sqlml.model_versions WHERE model_name = 't'") == [
        {"training_rows": 480, "dropped_rows": 120}
    ]
    explained = _table(
        cur,
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL t, (SELECT * FROM train WHERE id % 5 <> 0), "
        "STRUCT(4 AS top_k_features))",
    )
    _check_global(
        cur, "t", "", _mean_absolute(_attributions(explained, FEATURES), [r["predicted_big"] for r in explained])
    )


def test_global_explain_refuses_changed_training_data(loaded):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL e OPTIONS(model_type='boosted_tree_regressor', input_label_cols=['y_reg'], "
        "enable_global_explain=TRUE) AS SELECT x1, x2, y_reg FROM train"
    )
    assert len(_table(cur, "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL e)")) == 2
    cur.execute("UPDATE train SET x1 = x1 + 1 WHERE id = 0")
    fails(
        loaded,
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL e)",
        sqlml.DataError,
        "model main.e version 1",
        "no longer returns the rows it was trained on",
        "TABLE t",
    )
    assert len(_table(cur, "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL e, TABLE train)")) == 2


BAD = [
    (
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin, TABLE test, STRUCT(0 AS top_k_features))",
        sqlml.ProgrammingError,
        ["top_k_features", "at least 1", "0"],
    ),
    ("SELECT * FROM ML.EXPLAIN_PREDICT(MODEL lin)", sqlml.ProgrammingError, ["needs input data"]),
    (
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL km, TABLE test)",
        sqlml.NotSupportedError,
        ["ML.EXPLAIN_PREDICT takes regression and classification models", "main.km", "kmeans"],
    ),
    ("SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL km)", sqlml.NotSupportedError, ["ML.GLOBAL_EXPLAIN", "main.km", "kmeans"]),
    (
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL nn, TABLE test, STRUCT(0 AS num_permutations))",
        sqlml.ProgrammingError,
        ["ML.EXPLAIN_PREDICT", "num_permutations", "at least 2", "got 0"],
    ),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL nn, STRUCT(1 AS num_permutations))",
        sqlml.ProgrammingError,
        ["ML.GLOBAL_EXPLAIN", "num_permutations", "at least 2", "got 1"],
    ),
    (
        "SELECT * FROM ML.EXPLAIN_PREDICT(MODEL nn, TABLE test, STRUCT(5 AS num_paths))",
        sqlml.ProgrammingError,
        ["num_paths", "num_permutations"],
    ),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL nn, STRUCT(3 AS top_k_features))",
        sqlml.ProgrammingError,
        ["top_k_features", "class_level_explain"],
    ),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL lin, STRUCT(TRUE AS class_level_explain))",
        sqlml.ProgrammingError,
        ["class_level_explain", "classifiers", "main.lin", "linear_reg"],
    ),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL lin, STRUCT('yes' AS class_level_explain))",
        sqlml.ProgrammingError,
        ["class_level_explain", "TRUE or FALSE"],
    ),
    ("SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL lin, (SELECT x2 FROM test))", sqlml.ProgrammingError, ["missing", "'x1'"]),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL lin, (SELECT * FROM test WHERE false))",
        sqlml.DataError,
        ["ML.GLOBAL_EXPLAIN", "no rows"],
    ),
    (
        "SELECT * FROM ML.GLOBAL_EXPLAIN(MODEL nn, (SELECT * FROM test WHERE false))",
        sqlml.DataError,
        ["ML.GLOBAL_EXPLAIN", "no rows"],
    ),
]


@pytest.mark.parametrize("sql, error, fragments", BAD, ids=range(len(BAD)))
def test_bad_explain(loaded, sql, error, fragments):
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL lin OPTIONS(model_type='linear_reg', input_label_cols=['y_reg'], enable_global_explain=TRUE) "
        "AS SELECT x1, y_reg FROM train"
    )
    cur.execute(
        "CREATE MODEL nn OPTIONS(model_type='dnn_regressor', input_label_cols=['y_reg'], hidden_units=[2], "
        "max_iterations=1, enable_global_explain=TRUE) AS SELECT x1, y_reg FROM train"
    )
    cur.execute("CREATE MODEL km OPTIONS(model_type='kmeans', num_clusters=2) AS SELECT x1 FROM train")
    fails(loaded, sql, error, *fragments)
