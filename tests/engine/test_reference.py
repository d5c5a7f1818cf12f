"""Every model type against scikit-learn / LightGBM fitted directly on the same rows.

sqlml trains through SQL; the reference builds the same feature matrix with scikit-learn's own
preprocessing (tests/engine/reference.py), fits the library estimator with the option mapping written
out by hand below, and scores the same test rows. Predictions must agree to 1e-6 (absolute, and relative
for regression values) and every ML.EVALUATE metric to 1e-6 relative.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from tests.engine.reference import LGB_DEFAULTS, linear_matrices, tree_matrices

FEATURES = "SELECT * EXCLUDE (id, y_reg, y_bin, y_multi), {label} FROM train"


def _lgb(objective, **extra):
    def fit(X, y, X_test, categorical):
        params = {**LGB_DEFAULTS, "objective": objective, **extra}
        booster = lgb.train(params, lgb.Dataset(X, y, categorical_feature=categorical), 20)
        raw = booster.predict(X_test)
        return np.column_stack([1 - raw, raw]) if objective == "binary" else raw

    return fit


def _forest(cls):
    def fit(X, y, X_test, categorical):
        forest = cls(
            n_estimators=10,
            max_depth=15,
            max_samples=0.8,
            max_features=0.8,
            min_samples_leaf=1,
            min_impurity_decrease=0.0,
            random_state=0,
            n_jobs=-1,
        ).fit(X, y)
        return forest.predict_proba(X_test) if hasattr(forest, "predict_proba") else forest.predict(X_test)

    return fit


def _sk(estimator):
    def fit(X, y, X_test, categorical):
        model = estimator.fit(X, y)
        return model.predict_proba(X_test) if hasattr(model, "predict_proba") else model.predict(X_test)

    return fit


def _mlp(cls, **params):
    """An MLP trained for exactly max_iter epochs (no tolerance stop), batch min(1024, rows) = 600."""
    return cls(**params, alpha=0.0, batch_size=600, max_iter=30, tol=0.0, n_iter_no_change=1000, random_state=0)


CASES = {  # id: (model_type, label, extra OPTIONS, linear encoding?, reference fit)
    "linear_reg_l2": ("linear_reg", "y_reg", "l2_reg=2.0", True, _sk(Ridge(alpha=2.0))),
    # l1_reg=3 on 600 rows: ElasticNet divides the squared error by 2n, so alpha = 3 / 1200
    "linear_reg_l1": (
        "linear_reg",
        "y_reg",
        "l1_reg=3.0, max_iterations=1000",
        True,
        _sk(ElasticNet(alpha=3.0 / 1200, l1_ratio=1.0, max_iter=1000)),
    ),
    # l2_reg=0.5: C = 1 / (2 * l2_reg) = 1.0
    "logistic_reg_binary": (
        "logistic_reg",
        "y_bin",
        "l2_reg=0.5",
        True,
        _sk(LogisticRegression(C=1.0, max_iter=20, random_state=0)),
    ),
    "logistic_reg_multiclass": (
        "logistic_reg",
        "y_multi",
        "max_iterations=50",
        True,
        _sk(LogisticRegression(C=np.inf, max_iter=50, random_state=0)),
    ),
    "boosted_tree_regressor": ("boosted_tree_regressor", "y_reg", "early_stop=FALSE", False, _lgb("regression")),
    "boosted_tree_classifier": ("boosted_tree_classifier", "y_bin", "early_stop=FALSE", False, _lgb("binary")),
    "boosted_tree_multiclass": (
        "boosted_tree_classifier",
        "y_multi",
        "early_stop=FALSE",
        False,
        _lgb("multiclass", num_class=3),
    ),
    # dnn_regressor learns the standardized label: TransformedTargetRegressor with a StandardScaler
    "dnn_regressor": (
        "dnn_regressor",
        "y_reg",
        "hidden_units=[8, 4], early_stop=FALSE, max_iterations=30, learn_rate=0.01",
        True,
        _sk(
            TransformedTargetRegressor(
                _mlp(MLPRegressor, hidden_layer_sizes=(8, 4), learning_rate_init=0.01), transformer=StandardScaler()
            )
        ),
    ),
    "dnn_classifier": (
        "dnn_classifier",
        "y_multi",
        "hidden_units=[8], activation_fn='TANH', optimizer='SGD', early_stop=FALSE, max_iterations=30, learn_rate=0.05",
        True,
        # optimizer SGD: TensorFlow's plain gradient descent, scikit-learn's sgd solver without momentum
        _sk(
            _mlp(
                MLPClassifier,
                hidden_layer_sizes=(8,),
                activation="tanh",
                solver="sgd",
                momentum=0.0,
                learning_rate_init=0.05,
            )
        ),
    ),
    "random_forest_regressor": (
        "random_forest_regressor",
        "y_reg",
        "num_parallel_tree=10",
        False,
        _forest(RandomForestRegressor),
    ),
    "random_forest_classifier": (
        "random_forest_classifier",
        "y_multi",
        "num_parallel_tree=10",
        False,
        _forest(RandomForestClassifier),
    ),
}


def _reference_metrics(y, scores, classes):
    if classes is None:
        return {
            "mean_absolute_error": skm.mean_absolute_error(y, scores),
            "mean_squared_error": skm.mean_squared_error(y, scores),
            "median_absolute_error": skm.median_absolute_error(y, scores),
            "r2_score": skm.r2_score(y, scores),
            "explained_variance": skm.explained_variance_score(y, scores),
        }
    predicted = scores.argmax(axis=1)
    if len(classes) == 2:
        kw = {"pos_label": 1}
        auc = skm.roc_auc_score(y, scores[:, 1])
    else:
        kw = {"average": "macro"}
        auc = skm.roc_auc_score(y, scores, multi_class="ovr", average="macro")
    return {
        "precision": skm.precision_score(y, predicted, **kw),
        "recall": skm.recall_score(y, predicted, **kw),
        "accuracy": skm.accuracy_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted, **kw),
        "log_loss": skm.log_loss(y, scores),
        "roc_auc": auc,
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # the reference MLPs
@pytest.mark.parametrize("case", list(CASES))
def test_matches_library_fitted_directly(loaded, frames, case):
    model_type, label, extra, linear, reference_fit = CASES[case]
    train, test = frames
    cur = loaded.cursor()
    cur.execute(
        f"CREATE MODEL m OPTIONS(model_type='{model_type}', input_label_cols=['{label}'], "
        f"data_split_method='NO_SPLIT', {extra}) AS " + FEATURES.format(label=label)
    )

    X, X_test, categorical = (*linear_matrices(train, test), []) if linear else tree_matrices(train, test)
    classes = (
        None
        if model_type.endswith(("reg", "regressor")) and model_type != "logistic_reg"
        else sorted(train[label].unique())
    )
    y = train[label].to_numpy() if classes is None else np.searchsorted(classes, train[label])
    y_test = test[label].to_numpy() if classes is None else np.searchsorted(classes, test[label])
    expected_scores = reference_fit(X, y, X_test, categorical)

    cur.execute(
        f"SELECT id, predicted_{label}"
        + (f", predicted_{label}_probs" if classes else "")
        + " FROM ML.PREDICT(MODEL m, TABLE test) ORDER BY id"
    )
    rows = cur.fetchall()
    if classes is None:
        np.testing.assert_allclose([r[1] for r in rows], expected_scores, rtol=1e-6, atol=1e-6)
    else:
        probs = np.array([[entry["prob"] for entry in r[2]] for r in rows])
        assert [entry["label"] for entry in rows[0][2]] == list(classes)
        np.testing.assert_allclose(probs, expected_scores, atol=1e-6)
        assert [r[1] for r in rows] == [classes[i] for i in expected_scores.argmax(axis=1)]

    cur.execute("SELECT * FROM ML.EVALUATE(MODEL m, TABLE test)")
    got = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    expected = _reference_metrics(y_test, expected_scores, classes)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_metrics_on_rows_missing_a_class_follow_scikit_learn(loaded, frames):
    """Macro averages over the classes present, leaving undefined ones out; undefined precision is NULL."""
    train, test = frames
    cur = loaded.cursor()
    cur.execute(
        "CREATE MODEL c OPTIONS(model_type='logistic_reg', input_label_cols=['y_multi'], "
        "data_split_method='NO_SPLIT') AS SELECT x1, x2, color, flag, y_multi FROM train"
    )
    cur.execute("SELECT id, y_multi, predicted_y_multi FROM ML.PREDICT(MODEL c, (FROM test WHERE y_multi < 2))")
    rows = cur.fetchall()
    y, predicted = [r[1] for r in rows], [r[2] for r in rows]
    cur.execute("SELECT precision, recall, f1_score FROM ML.EVALUATE(MODEL c, (FROM test WHERE y_multi < 2))")
    undefined_left_out = {"average": "macro", "zero_division": np.nan}  # class 2 is predicted, never true
    assert cur.fetchone() == pytest.approx(
        (
            skm.precision_score(y, predicted, **undefined_left_out),
            skm.recall_score(y, predicted, **undefined_left_out),
            skm.f1_score(y, predicted, **undefined_left_out),
        )
    )
    cur.execute(
        "CREATE MODEL b OPTIONS(model_type='logistic_reg', input_label_cols=['y_bin']) "
        "AS SELECT x1, x2, y_bin FROM train"
    )
    cur.execute(
        "SELECT precision, accuracy FROM ML.EVALUATE(MODEL b, (FROM test WHERE y_bin = 'no'), STRUCT(1.0 AS threshold))"
    )  # nothing is predicted positive: precision is undefined
    assert cur.fetchone() == (None, 1.0)
