"""Fairness per group: ML.FAIRNESS, and the constraint CREATE MODEL can train under.

ML.FAIRNESS(MODEL m, TABLE t | (query), STRUCT('col' AS sensitive_feature [, threshold])): the model's
behaviour on each group of rows sharing a value of the input column `col` (which need not be a model
input; NULL is a group of its own, shown as NULL), computed by fairlearn's MetricFrame from the model's
predictions for the rows (rows with a NULL label are skipped).

One row per group, then an overall row whose `group` is '__OVERALL__': sensitive_feature, group, count,
and for a binary classifier (the positive class is the higher one, predicted above `threshold`, 0.5 by
default) selection_rate, accuracy, true_positive_rate, false_positive_rate; for a regressor
mean_prediction, mean_error (prediction minus label) and mean_absolute_error. A rate is NULL where it is
undefined (true_positive_rate of a group without positive rows, false_positive_rate without negative ones).
The overall row also holds demographic_parity_difference / _ratio (the largest difference / smallest ratio
of selection rates between groups) and equalized_odds_difference / _ratio (the worse of the true and false
positive rates' difference / ratio, each between the groups where that rate is defined): fairlearn's
definitions (which would count an undefined rate as 0). They are NULL on group rows and for regressors.

Training under a fairness constraint: see sqlml/engine/trainers/fairness.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from fairlearn import metrics as fm

from sqlml.engine.context import MLContext
from sqlml.engine.functions.evaluate import labelled_rows
from sqlml.engine.functions.predict import binary_threshold
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.engine.training.fairness_constraint import NULL_GROUP, group_keys
from sqlml.errors import NotSupportedError
from sqlml.parser import MLFunction

OVERALL = "__OVERALL__"


def _rate(predicted: np.ndarray) -> float:
    """The share of the rows predicted positive; NaN (NULL) without rows."""
    return float(np.mean(predicted)) if len(predicted) else np.nan


CLASSIFIER_METRICS = {
    "count": fm.count,
    "selection_rate": fm.selection_rate,
    "accuracy": lambda y, p: float(np.mean(y == p)),
    "true_positive_rate": lambda y, p: _rate(p[y == 1]),
    "false_positive_rate": lambda y, p: _rate(p[y == 0]),
}
REGRESSOR_METRICS = {
    "count": fm.count,
    "mean_prediction": lambda y, p: float(np.mean(p)),
    "mean_error": lambda y, p: float(np.mean(p - y)),
    "mean_absolute_error": lambda y, p: float(np.mean(np.abs(p - y))),
}
DISPARITIES = {
    "demographic_parity": ["selection_rate"],  # disparity -> the rates it compares between groups
    "equalized_odds": ["true_positive_rate", "false_positive_rate"],
}


def fairness(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    binary = model.is_classifier and len(model.classes) == 2
    if model.is_classifier and not binary:
        raise NotSupportedError(
            f"ML.FAIRNESS takes a binary classifier or a regressor; model "
            f"{model.version.qualified_name} is a {len(model.classes)}-class classifier"
        )
    threshold = binary_threshold(model, params)
    y, scores, kept = labelled_rows(ctx, call, model, {"sensitive_feature": params["sensitive_feature"]})
    groups = group_keys(kept.column("sensitive_feature"), params["sensitive_feature"], "ML.FAIRNESS")
    predicted = predicted_labels(scores, threshold) if binary else scores
    frame = fm.MetricFrame(
        metrics=CLASSIFIER_METRICS if binary else REGRESSOR_METRICS,
        y_true=y,
        y_pred=predicted,
        sensitive_features=pd.Series(groups, name="group"),
    )
    by_group = frame.by_group
    names = [None if g == NULL_GROUP else g for g in by_group.index] + [OVERALL]
    columns = {
        "sensitive_feature": pa.array([params["sensitive_feature"]] * len(names)),
        "group": pa.array(names, pa.string()),
    }
    for metric in frame.overall.index:
        values = list(by_group[metric]) + [frame.overall[metric]]
        columns[metric] = pa.array(values, pa.int64() if metric == "count" else pa.float64(), from_pandas=True)
    for name, rates in DISPARITIES.items():
        disparity = {"difference": None, "ratio": None}
        if binary:  # MetricFrame's difference / ratio between groups skip the groups where a rate is NaN
            disparity = {"difference": frame.difference()[rates].max(), "ratio": frame.ratio()[rates].min()}
        for kind, value in disparity.items():
            columns[f"{name}_{kind}"] = pa.array([None] * len(by_group) + [value], pa.float64(), from_pandas=True)
    return pa.table(columns)
