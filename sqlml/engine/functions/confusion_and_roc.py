"""ML.CONFUSION_MATRIX and ML.ROC_CURVE: a classifier's counts on the evaluation split kept at training,
or on the rows given (NULL labels skipped), as BigQuery ML names them.

ML.CONFUSION_MATRIX(MODEL m [, TABLE t | (query)] [, STRUCT(threshold)]): one row per expected label,
`expected_label` then one count column per predicted label, named by the label (a name that is not an
identifier gets BigQuery ML's form: other characters as _, a leading _ before a digit).
ML.ROC_CURVE(MODEL m [, TABLE t | (query)] [, GENERATE_ARRAY(start, end, step) | [t, ...]]) for binary
classifiers: one row per threshold, ascending: threshold, recall, false_positive_rate, true_positives,
false_positives, true_negatives, false_negatives; a row is positive when its positive-class probability
exceeds the threshold. Without a list, the thresholds are the 0th, 1st, ..., 99th percentiles of the
positive-class probabilities (duplicates, and any equal to the largest probability, removed): each leaves a row
predicted positive, so precision (true_positives / (true_positives + false_positives), as BigQuery ML's page
computes it) is defined on every row.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.evaluate import labels_and_scores
from sqlml.engine.functions.predict import binary_threshold
from sqlml.engine.store.eval_predictions import read_eval_predictions
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def _classifier_rows(ctx: MLContext, call: MLFunction, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(class indices, class probabilities) of the evaluation split or of the call's input."""
    if call.input_sql is None:
        return read_eval_predictions(model.version.eval_predictions)
    return labels_and_scores(ctx, call, model)


def _column_name(label) -> str:
    name = re.sub(r"\W", "_", str(label))
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"


def confusion_matrix(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    y, scores = _classifier_rows(ctx, call, model)
    predicted = predicted_labels(scores, binary_threshold(model, params))
    k = len(model.classes)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (y.astype(np.int64), predicted), 1)
    names = [_column_name(c) for c in model.classes.to_pylist()]
    if len(set(n.lower() for n in names) | {"expected_label"}) != k + 1:
        names = [f"{n}_{i}" for i, n in enumerate(names)]  # labels that collide once made identifiers
    return pa.table([model.classes, *[pa.array(counts[:, j]) for j in range(k)]], names=["expected_label", *names])


def _above(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold, how many of `scores` exceed it."""
    return len(scores) - np.searchsorted(np.sort(scores), thresholds, side="right")


def roc_curve(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    if len(model.classes) != 2:
        raise ProgrammingError(
            f"ML.ROC_CURVE takes a binary classifier; model {model.version.qualified_name} has "
            f"{len(model.classes)} classes (use ML.CONFUSION_MATRIX)"
        )
    y, scores = _classifier_rows(ctx, call, model)
    positive, actual = scores[:, 1], y == 1
    thresholds = call.values_list
    if thresholds is None:
        percentiles = np.unique(np.percentile(positive, np.arange(100))) if len(positive) else np.array([0.5])
        below_max = percentiles[percentiles < positive.max()] if len(positive) else percentiles
        thresholds = below_max if len(below_max) else percentiles  # every probability equal: that one
    thresholds = np.sort(np.asarray(thresholds, dtype=np.float64))
    tp, fp = (_above(positive[rows], thresholds) for rows in (actual, ~actual))  # memory: rows + thresholds
    fn, tn = actual.sum() - tp, (~actual).sum() - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), np.nan)
        fpr = np.where(fp + tn > 0, fp / np.maximum(fp + tn, 1), np.nan)
    return pa.table(
        {
            "threshold": thresholds,
            "recall": pa.array(recall, from_pandas=True),
            "false_positive_rate": pa.array(fpr, from_pandas=True),
            "true_positives": tp,
            "false_positives": fp,
            "true_negatives": tn,
            "false_negatives": fn,
        }
    )
