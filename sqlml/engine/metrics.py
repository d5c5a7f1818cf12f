"""ML.EVALUATE's metrics, computed with scikit-learn, under BigQuery ML's column names.

Binary classifiers score the positive (higher) class at `threshold`; multiclass precision, recall and
f1_score are macro averages over the classes present in the labels or predictions (scikit-learn's
default), roc_auc a one-vs-rest macro average. A metric that is undefined for the rows given (precision
with no positive prediction, roc_auc with a class absent, mean_squared_log_error with negative values) is
NULL; a class undefined within a macro average is left out of it.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from sqlml.engine.model import predicted_labels

CLASSIFICATION_METRICS = ("precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc")
REGRESSION_METRICS = ("mean_absolute_error", "mean_squared_error", "mean_squared_log_error",
                      "median_absolute_error", "r2_score", "explained_variance")


def classification_metrics(y: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> dict:
    """Metrics of class indices `y` against predicted probabilities (n, n_classes)."""
    n_classes = probabilities.shape[1]
    predicted = predicted_labels(probabilities, threshold)
    labels = list(range(n_classes))
    binary = n_classes == 2
    average = {"average": "binary", "pos_label": 1} if binary else {"average": "macro"}
    result = {
        "precision": skm.precision_score(y, predicted, zero_division=np.nan, **average),
        "recall": skm.recall_score(y, predicted, zero_division=np.nan, **average),
        "accuracy": skm.accuracy_score(y, predicted),
        "f1_score": skm.f1_score(y, predicted, zero_division=np.nan, **average),
        "log_loss": skm.log_loss(y, probabilities, labels=labels),
        "roc_auc": None,
    }
    if len(np.unique(y)) == n_classes:
        result["roc_auc"] = skm.roc_auc_score(y, probabilities[:, 1]) if binary else \
            skm.roc_auc_score(y, probabilities, multi_class="ovr", average="macro", labels=labels)
    return {k: (None if v is None or np.isnan(v) else float(v)) for k, v in result.items()}


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict:
    """Metrics of true values `y` against predictions."""
    msle = skm.mean_squared_log_error(y, predicted) if (y >= 0).all() and (predicted >= 0).all() else None
    result = {
        "mean_absolute_error": skm.mean_absolute_error(y, predicted),
        "mean_squared_error": skm.mean_squared_error(y, predicted),
        "mean_squared_log_error": msle,
        "median_absolute_error": skm.median_absolute_error(y, predicted),
        "r2_score": skm.r2_score(y, predicted) if len(y) > 1 else None,
        "explained_variance": skm.explained_variance_score(y, predicted) if len(y) > 1 else None,
    }
    return {k: (None if v is None else float(v)) for k, v in result.items()}


def compute(y: np.ndarray, scores: np.ndarray, classifier: bool, threshold: float = 0.5) -> dict:
    """The metric row for a model's scores (probabilities or values) against labels `y`."""
    return classification_metrics(y, scores, threshold) if classifier else regression_metrics(y, scores)
