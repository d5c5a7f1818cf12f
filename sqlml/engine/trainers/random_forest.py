"""random_forest_regressor / random_forest_classifier on scikit-learn, stored with skops.

Option mapping: num_parallel_tree -> n_estimators, max_tree_depth -> max_depth, subsample -> max_samples
(bootstrap), colsample_bynode -> max_features, min_tree_child_weight -> min_samples_leaf (at least 1),
min_split_loss -> min_impurity_decrease. Artifacts load with skops trusting exactly the tree type below:
anything else in a stored artifact is refused.
"""

from __future__ import annotations

import numpy as np
import skops.io as sio
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from sqlml.engine.trainers.base import TrainData

TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]


class ForestModel:
    def __init__(self, forest):
        self.forest = forest

    def predict(self, X: np.ndarray) -> np.ndarray:
        if isinstance(self.forest, RandomForestClassifier):
            return self.forest.predict_proba(X)
        return self.forest.predict(X)

    def artifact(self) -> bytes:
        return sio.dumps(self.forest)

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> "ForestModel":
        forest = sio.loads(data, trusted=TRUSTED_TYPES)
        if not isinstance(forest, (RandomForestClassifier, RandomForestRegressor)):
            raise TypeError(f"artifact holds {type(forest).__name__}, not a random forest")
        return cls(forest)


def forest_estimator(options: dict, classification: bool):
    """The scikit-learn forest for the BigQuery ML options (see module docstring)."""
    forest = RandomForestClassifier if classification else RandomForestRegressor
    return forest(n_estimators=options["num_parallel_tree"], max_depth=options["max_tree_depth"],
                  max_samples=options["subsample"] if options["subsample"] < 1 else None,
                  max_features=options["colsample_bynode"],
                  min_samples_leaf=max(1, options["min_tree_child_weight"]),
                  min_impurity_decrease=options["min_split_loss"], random_state=options["seed"], n_jobs=-1)


def fit_random_forest(data: TrainData) -> ForestModel:
    forest = forest_estimator(data.options, classification=data.n_classes > 0)
    forest.fit(data.X, data.y, sample_weight=data.weights)
    forest.n_jobs = 1  # parallel prediction sums trees in a varying order: results would differ in the last bits
    return ForestModel(forest)
