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
from dataclasses import replace

import numpy as np

from sqlml.engine.families import linear_gd, linear_inference
from sqlml.engine.families.base import Family, TrainData, compiled_by
from sqlml.engine.families.common import (
    CLASS_WEIGHTS,
    CLASSIFIER_RULES,
    COMPUTE,
    EARLY_STOP,
    GLOBAL_EXPLAIN,
    SPLIT,
    TUNING,
    WARM_START,
    category_encoding,
    data_split,
    iterations,
    regularization,
)
from sqlml.engine.families.linear_inference import p_values_rule
from sqlml.engine.families.options import Option
from sqlml.engine.store.artifacts import expect, numbers, output_width
from sqlml.errors import ProgrammingError


class LinearModel:
    """Scores X @ coef.T + intercept; logistic models turn scores into probabilities."""

    def __init__(
        self,
        coef: np.ndarray,
        intercept: np.ndarray,
        logistic: bool,
        inference: linear_inference.Inference | None = None,
    ):
        self.coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
        self.intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        self.logistic = logistic
        self.inference = inference  # calculate_p_values=TRUE: the estimates' covariance

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
        state = {"coef": self.coef.tolist(), "intercept": self.intercept.tolist(), "logistic": self.logistic}
        return json.dumps(state | ({"inference": self.inference.state()} if self.inference else {})).encode()

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> LinearModel:
        """The stored coefficients: one row per score column (artifacts.output_width), logistic iff classes."""
        state = json.loads(data)
        coef, intercept = numbers(state["coef"], 2, "coef"), numbers(state["intercept"], 1, "intercept")
        expect(len(coef), output_width(n_classes), "the number of coefficient rows")
        expect(len(intercept), len(coef), "the number of intercepts")
        expect(state["logistic"], n_classes > 0, "logistic")
        return cls(
            coef, intercept, state["logistic"], linear_inference.Inference.load(state.get("inference"), coef.shape[1])
        )


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


def _kept_columns(data: TrainData) -> tuple[np.ndarray, np.ndarray, LinearModel | None]:
    """(the training matrix without the columns that are 0 on every training row, the kept column indices, the
    warm start's model over them). Such a column (DUMMY_ENCODING's reference category, a category no training
    row has) cannot be estimated: it weighs exactly 0, and p-values stay defined."""
    dropped = np.flatnonzero(~data.X.any(axis=0))
    if len(dropped) == data.X.shape[1]:  # nothing but zeros: the solvers need a column (its weight comes out 0)
        dropped = dropped[:0]
    kept = np.setdiff1d(np.arange(data.X.shape[1]), dropped)
    init = data.init and LinearModel(data.init.coef[:, kept], data.init.intercept, data.init.logistic)
    return (data.X[:, kept] if len(dropped) else data.X), kept, init


def _full_width(coef: np.ndarray, kept: np.ndarray, width: int) -> np.ndarray:
    """Coefficients over the kept columns placed among all encoded columns (references weigh 0)."""
    full = np.zeros((np.atleast_2d(coef).shape[0], width))
    full[:, kept] = np.atleast_2d(coef)
    return full


def _fitted(model, X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=weights)


def _solved(data: TrainData, X: np.ndarray, kept: np.ndarray, init: LinearModel | None, estimator):
    """(coefficients (outputs, kept columns), intercepts) by optimize_strategy: batch gradient descent
    (linear_gd.py), else `estimator` (scikit-learn's exact or iterative solver)."""
    logistic = data.n_classes > 0
    if not descends(data.options):
        model = _fitted(_warm(estimator, init, logistic), X, data.y, data.weights)
        return np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_)
    theta = np.zeros((X.shape[1] + 1, 1 if data.n_classes in (0, 2) else data.n_classes))
    if init is not None:  # warm_start
        theta[0], theta[1:] = init.intercept, init.coef.T
    held_out = None if data.X_eval is None else data.X_eval[:, kept]
    theta = linear_gd.descend(replace(data, X=X, X_eval=held_out), theta, logistic)  # history: the same list
    return theta[1:].T, theta[0]


def fit_linear_reg(data: TrainData) -> LinearModel:
    X, kept, init = _kept_columns(data)
    coef, intercept = _solved(data, X, kept, init, linear_regression_estimator(data.options, len(data.y)))
    width, options = data.X.shape[1], data.options
    inference = options.get("calculate_p_values") and linear_inference.ols(
        X, data.y, X @ coef[0] + intercept[0], kept, width, options
    )
    return LinearModel(_full_width(coef, kept, width), intercept, False, inference or None)


def fit_logistic_reg(data: TrainData) -> LinearModel:
    X, kept, init = _kept_columns(data)
    coef, intercept = _solved(data, X, kept, init, logistic_regression_estimator(data.options, data.options["seed"]))
    inference, width = None, data.X.shape[1]
    if data.options.get("calculate_p_values") and data.n_classes == 2:  # BigQuery ML: binary models only
        start = np.concatenate([intercept, coef[0]]) if data.options["fit_intercept"] else coef[0]
        theta, inference = linear_inference.logistic(X, data.y, data.weights, start, kept, width, data.options)
        coef, intercept = theta[-len(kept) :][None, :], theta[:1] if data.options["fit_intercept"] else intercept
    return LinearModel(_full_width(coef, kept, width), intercept, True, inference)


def _rate_options(options: dict) -> list[str]:
    """The learning-rate options given: they say gradient descent."""
    given = [name for name in ("learn_rate", "ls_init_learn_rate") if options[name] is not None]
    return given + (["learn_rate_strategy"] if options["learn_rate_strategy"] == "CONSTANT" else [])


def descends(options: dict) -> bool:
    """Whether training is batch gradient descent: asked for, or AUTO_STRATEGY with a learning-rate option
    (BigQuery ML's AUTO_STRATEGY picks gradient descent on its own rules, e.g. with l1_reg; sqlml's otherwise
    solves exactly or with L-BFGS / SAGA / coordinate descent, which take no learning rate)."""
    chosen = options.get("optimize_strategy")
    return chosen == "BATCH_GRADIENT_DESCENT" or (chosen == "AUTO_STRATEGY" and bool(_rate_options(options)))


def strategy(options: dict) -> None:
    """optimize_strategy and the options of its gradient descent (BigQuery ML's rules)."""
    chosen, rate_strategy = options["optimize_strategy"], options["learn_rate_strategy"]
    if chosen == "NORMAL_EQUATION" and (options["l1_reg"] or options["model_type"] == "logistic_reg"):
        raise ProgrammingError(
            "OPTIONS: optimize_strategy='NORMAL_EQUATION' solves linear_reg without l1_reg (a closed form); "
            f"this is a {options['model_type']} with l1_reg = {options['l1_reg']}"
        )
    given = _rate_options(options)
    if chosen == "NORMAL_EQUATION" and given:
        raise ProgrammingError(
            f"OPTIONS: {', '.join(given)} applies to gradient descent; optimize_strategy='NORMAL_EQUATION' takes "
            "no learning rate"
        )
    wrong = {"CONSTANT": "ls_init_learn_rate", "LINE_SEARCH": "learn_rate"}[rate_strategy]
    if options[wrong] is not None:
        raise ProgrammingError(f"OPTIONS: {wrong} does not apply to learn_rate_strategy='{rate_strategy}'")


def _rules(options: dict) -> None:
    p_values_rule(options)
    strategy(options)


def propose(trial) -> dict:
    """AutoML: a candidate's hyperparameters from an optuna trial."""
    return {"l2_reg": trial.suggest_float("l2_reg_linear", 0.0, 10.0), "max_iterations": 100}


OPTIONS = {
    **SPLIT,
    **COMPUTE,
    **regularization(0.0, 0.0),
    **iterations(20),
    "fit_intercept": Option("bool", default=True),
    "calculate_p_values": Option("bool", default=False, tunable=False),
    "optimize_strategy": Option(
        "enum", ("AUTO_STRATEGY", "BATCH_GRADIENT_DESCENT", "NORMAL_EQUATION"), default="AUTO_STRATEGY", tunable=False
    ),
    "learn_rate_strategy": Option("enum", ("LINE_SEARCH", "CONSTANT"), default="LINE_SEARCH", tunable=False),
    "learn_rate": Option("float", low=0.0, open_low=True),  # None: 0.1 (CONSTANT)
    "ls_init_learn_rate": Option("float", low=0.0, open_low=True),  # None: 0.1 (LINE_SEARCH)
    **EARLY_STOP,
    **TUNING,
    **COMPUTE,
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
    Family("linear_reg", "regression", OPTIONS, fit_linear_reg, rules=(data_split, _rules), **_SHARED),
    Family(
        "logistic_reg",
        "classification",
        {**OPTIONS, **CLASS_WEIGHTS},
        fit_logistic_reg,
        max_classes=50,
        rules=(data_split, _rules, *CLASSIFIER_RULES),
        warm_start_all_classes=True,
        **_SHARED,
    ),
)
