"""linear_reg and logistic_reg on scikit-learn, stored as JSON coefficients.

Objective (BigQuery ML does not document its scaling, so sqlml states its own):
  linear_reg:   sum of squared errors + l1_reg * |w|_1 + l2_reg * |w|_2^2
  logistic_reg: sum of log losses     + l1_reg * |w|_1 + l2_reg * |w|_2^2  (multinomial for > 2 classes)
linear_reg is solved exactly (least squares / ridge) without l1_reg, by coordinate descent with it;
logistic_reg by L-BFGS (SAGA with l1_reg). max_iterations caps those iterative solvers. warm_start starts
them from the previous version's coefficients (an exact least-squares or ridge solution does not depend
on where it starts: it is the model of the new rows).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from sqlml.engine.families.base import Family, TrainData, compiled_by
from sqlml.engine.families.common import (
    CLASS_WEIGHTS,
    CLASSIFIER_RULES,
    GLOBAL_EXPLAIN,
    SPLIT,
    TUNING,
    WARM_START,
    category_encoding,
    data_split,
    iterations,
    regularization,
)
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, numbers, output_width


class LinearModel:
    """Scores X @ coef.T + intercept; logistic models turn scores into probabilities."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, logistic: bool):
        self.coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        self.logistic = logistic

    def predict(self, X: np.ndarray) -> np.ndarray:
        scores = X @ self.coef.T + self.intercept
        if not self.logistic:
            return scores[:, 0]
        if scores.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    @property
    def n_features(self) -> int:
        return self.coef.shape[1]

    def artifact(self) -> bytes:
        return json.dumps(
            {"coef": self.coef.tolist(), "intercept": self.intercept.tolist(), "logistic": self.logistic}
        ).encode()

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> LinearModel:
        """The stored coefficients: one row per score column (artifacts.output_width), logistic iff classes."""
        state = json.loads(data)
        coef, intercept = numbers(state["coef"], 2, "coef"), numbers(state["intercept"], 1, "intercept")
        expect(len(coef), output_width(n_classes), "the number of coefficient rows")
        expect(len(intercept), len(coef), "the number of intercepts")
        expect(state["logistic"], n_classes > 0, "logistic")
        return cls(coef, intercept, state["logistic"])


def linear_regression_estimator(options: dict, n_rows: int):
    """The scikit-learn estimator that minimizes linear_reg's objective above."""
    from sklearn.linear_model import ElasticNet, LinearRegression, Ridge

    l1, l2, intercept = options["l1_reg"], options["l2_reg"], options["fit_intercept"]
    if l1 == 0 and l2 == 0:
        return LinearRegression(fit_intercept=intercept)
    if l1 == 0:
        return Ridge(alpha=l2, fit_intercept=intercept)
    alpha = l1 / (2 * n_rows) + l2 / n_rows  # ElasticNet divides the squared error by 2 * n_rows
    return ElasticNet(
        alpha=alpha, l1_ratio=l1 / (2 * n_rows) / alpha, fit_intercept=intercept, max_iter=options["max_iterations"]
    )


def logistic_regression_estimator(options: dict, seed: int):
    """The scikit-learn estimator that minimizes logistic_reg's objective above."""
    from sklearn.linear_model import LogisticRegression

    l1, l2 = options["l1_reg"], options["l2_reg"]
    penalty = l1 + 2 * l2  # sklearn: C * sum(log loss) + l1_ratio*|w|_1 + (1 - l1_ratio)/2*|w|^2
    return LogisticRegression(
        C=1.0 / penalty if penalty else np.inf,
        l1_ratio=l1 / penalty if penalty else 0.0,
        solver="saga" if l1 else "lbfgs",
        max_iter=options["max_iterations"],
        fit_intercept=options["fit_intercept"],
        random_state=seed,
    )


def _warm(model, previous: LinearModel | None, logistic: bool):
    """warm_start: the iterative solvers start from the previous version's coefficients."""
    if previous is not None and hasattr(model, "warm_start"):
        model.warm_start = True
        model.coef_ = previous.coef if logistic else previous.coef[0]
        model.intercept_ = previous.intercept if logistic else previous.intercept[0]
    return model


def _zero_on_empty_columns(coef: np.ndarray, data: TrainData) -> np.ndarray:
    """Weights of columns that are 0 on every training row (DUMMY_ENCODING's dropped category) set to exactly
    0, where least squares leaves rounding noise; a warm start keeps what the previous version learned."""
    return coef if data.init is not None else np.where(data.X.any(axis=0), coef, 0.0)


def fit_linear_reg(data: TrainData) -> LinearModel:
    from sklearn.exceptions import ConvergenceWarning

    model = _warm(linear_regression_estimator(data.options, len(data.y)), data.init, logistic=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X, data.y)
    return LinearModel(_zero_on_empty_columns(model.coef_, data), model.intercept_, logistic=False)


def fit_logistic_reg(data: TrainData) -> LinearModel:
    from sklearn.exceptions import ConvergenceWarning

    model = _warm(logistic_regression_estimator(data.options, data.options["seed"]), data.init, logistic=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X, data.y, sample_weight=data.weights)
    return LinearModel(_zero_on_empty_columns(model.coef_, data), model.intercept_, logistic=True)


def propose(trial) -> dict:
    """AutoML: a candidate's hyperparameters from an optuna trial."""
    return {"l2_reg": trial.suggest_float("l2_reg_linear", 0.0, 10.0), "max_iterations": 100}


OPTIONS = {
    **SPLIT,
    **regularization(0.0, 0.0),
    **iterations(20),
    "fit_intercept": Option("bool", default=True),
    **TUNING,
    **WARM_START,
    **GLOBAL_EXPLAIN,
    **category_encoding("ONE_HOT_ENCODING", "DUMMY_ENCODING"),
}
_SHARED = dict(
    load=LinearModel.load,
    artifact_format="json",
    search_space={"l1_reg": {"hparam_range": [0.0, 10.0]}, "l2_reg": {"hparam_range": [0.0, 10.0]}},
    propose=propose,
    warm_start_kept=("fit_intercept", "category_encoding_method"),
    compile_sql=compiled_by("linear"),
    explainer="linear",
    importance="weights",
    onnx_builder="linear",
    quantize=("INT8", "FLOAT16"),
)
FAMILIES = (
    Family("linear_reg", "regression", OPTIONS, fit_linear_reg, rules=(data_split,), **_SHARED),
    Family(
        "logistic_reg",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        fit_logistic_reg,
        max_classes=50,
        rules=(data_split, *CLASSIFIER_RULES),
        warm_start_all_classes=True,
        **_SHARED,
    ),
)
