"""A trainer made to train a binary classifier under a fairness constraint.

CREATE MODEL ... OPTIONS(fairness_constraint='DEMOGRAPHIC_PARITY' | 'EQUALIZED_ODDS', sensitive_feature='col'
[, fairness_grid_size=n]) trains with fairlearn's GridSearch reduction (Agarwal et al., 2018): `n` models
(default 10) of the model type, each on the training rows re-labelled and re-weighted for one Lagrange
multiplier of the constraint, keeping the one with the best trade-off of error and constraint violation
(fairlearn's default weighting, 0.5 each). The chosen model is an ordinary model of its type; `col` serves
the constraint only and is not a model input, so predictions never read it. ML.FAIRNESS shows the effect.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
from fairlearn.reductions import DemographicParity, EqualizedOdds, GridSearch
from sklearn.base import BaseEstimator, ClassifierMixin

from sqlml.engine.families.base import Estimator, TrainData
from sqlml.engine.sqltext.sql_types import sql_type
from sqlml.errors import DataError, ProgrammingError

CONSTRAINTS = {"DEMOGRAPHIC_PARITY": DemographicParity, "EQUALIZED_ODDS": EqualizedOdds}
DEFAULT_GRID_SIZE = 10
NULL_GROUP = "\x00NULL"  # the NULL group while fairlearn groups the rows (it would drop NaN groups)


def group_keys(column: pa.ChunkedArray, name: str, where: str) -> np.ndarray:
    """Each row's group of the sensitive_feature column `name` (of `where`'s input, for errors) as text (NULL
    as a sentinel no value has)."""
    if pa.types.is_nested(column.type):
        raise ProgrammingError(
            f"{where}: sensitive_feature '{name}' has type {sql_type(column.type)}; its groups need a "
            "column of single values (a VARCHAR, number, BOOLEAN or DATE)"
        )
    text = column.cast(pa.string()).to_pylist()
    return np.array([NULL_GROUP if v is None else v for v in text], dtype=object)


class _Reweighted(BaseEstimator, ClassifierMixin):
    """A trainer as the scikit-learn classifier fairlearn's reductions fit: with their labels and weights
    (times the class weights the options ask for)."""

    def __init__(self, fit, data: TrainData):
        self.fit_, self.data = fit, data

    def __deepcopy__(self, memo):  # fairlearn copies the estimator per fit; the rows need no copy
        return _Reweighted(self.fit_, self.data)

    def fit(self, X, y, sample_weight=None):
        weights = np.asarray(sample_weight, dtype=np.float64)
        if self.data.weights is not None:
            weights = weights * self.data.weights
        run = replace(self.data, X=X, y=np.asarray(y, dtype=np.int64), weights=weights, history=[])
        self.estimator_, self.history_ = self.fit_(run), run.history
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return (self.estimator_.predict(X)[:, 1] > 0.5).astype(np.int64)


def mitigated(fit, groups: np.ndarray, options: dict):
    """`fit` (TrainData -> Estimator) made to train under the options' fairness constraint across `groups`
    (of the training rows)."""
    if len(set(groups)) < 2:
        raise DataError(
            f"OPTIONS: sensitive_feature '{options['sensitive_feature']}' has a single group in the "
            "training rows; fairness_constraint needs at least 2 groups"
        )

    def fit_fair(data: TrainData) -> Estimator:
        search = GridSearch(
            _Reweighted(fit, data),
            constraints=CONSTRAINTS[options["fairness_constraint"]](),
            grid_size=options["fairness_grid_size"] or DEFAULT_GRID_SIZE,
        )
        search.fit(data.X, data.y, sensitive_features=groups)
        # GridSearch's trade-off, among the models of the model type (it puts a constant predictor where a
        # multiplier leaves a single label, which is no model of that type)
        trained = [i for i, p in enumerate(search.predictors_) if isinstance(p, _Reweighted)]
        if not trained:
            raise DataError(
                "fairness_constraint: every multiplier of the grid left the re-labelled rows a single "
                "class; try a larger fairness_grid_size"
            )
        best = min(
            trained,
            key=lambda i: (
                search.objective_weight * search.objectives_[i]
                + search.constraint_weight * search.gammas_[search.gammas_.columns[i]].max()
            ),
        )
        data.history.extend(search.predictors_[best].history_)
        return search.predictors_[best].estimator_

    return fit_fair
