"""ML.EXPLAIN_PREDICT(MODEL m, TABLE t | (query) [, STRUCT(top_k_features, threshold)]): ML.PREDICT's
columns plus why, as BigQuery ML names it: top_feature_attributions (feature, attribution), the
top_k_features (default 5) largest in absolute value; baseline_prediction_value; prediction_value; and
approximation_error, 0 here because every method is exact, so the attributions of all features plus the
baseline equal prediction_value.

What is explained is the model's raw score of the predicted class: a regression's value; a classifier's
log-odds (binary: of the predicted class, so the negative class's are the positive's negated) or class
score (the softmax input). Boosted trees: TreeSHAP (LightGBM's pred_contrib), the baseline being the
expected score. Linear and logistic models: weight * standardized value for a number (0 at the training
mean), the category's weight for a category (0 for an unseen one); the baseline is the intercept.
An input's encoded columns (a timestamp's parts, struct fields) add up into the input (with TRANSFORM,
into the TRANSFORM output). Other model types are refused (a NotSupportedError).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext, batch_rows
from sqlml.engine.model import Model, predicted_labels
from sqlml.engine.predict import binary_threshold, check_input, output_fields, prediction_columns
from sqlml.engine.trainers.boosted_tree import BoosterModel
from sqlml.engine.trainers.linear import LinearModel
from sqlml.errors import NotSupportedError, ProgrammingError
from sqlml.parser import MLFunction

ATTRIBUTION = pa.struct([("feature", pa.string()), ("attribution", pa.float64())])


def _booster_contributions(model: Model, X: np.ndarray, scores: np.ndarray, chosen: np.ndarray):
    """(contributions per encoded column, baseline) of each row's chosen class, by TreeSHAP."""
    n, width = X.shape
    contrib = model.estimator.booster.predict(X, pred_contrib=True).reshape(n, -1, width + 1)
    block = contrib[np.arange(n), chosen if contrib.shape[1] > 1 else 0]
    return block[:, :width], block[:, width]


def _linear_contributions(model: Model, X: np.ndarray, scores: np.ndarray, chosen: np.ndarray):
    coef, intercept = model.estimator.coef, model.estimator.intercept
    rows = chosen if len(coef) > 1 else np.zeros(len(X), dtype=np.int64)
    return X * coef[rows], intercept[rows]


CONTRIBUTIONS = {BoosterModel: _booster_contributions, LinearModel: _linear_contributions}


def explain_predict(ctx: MLContext, call: MLFunction) -> pa.RecordBatchReader:
    params = ctx.params(call, {"top_k_features": int, "threshold": float})
    model = ctx.model(call)
    contributions = CONTRIBUTIONS.get(type(model.estimator))
    if contributions is None:
        raise NotSupportedError(f"ML.EXPLAIN_PREDICT explains boosted tree, linear_reg and logistic_reg models; "
                                f"model {model.version.qualified_name} is a "
                                f"{model.version.estimator_type or model.version.model_type}")
    top_k = params.get("top_k_features", 5)
    if top_k <= 0:
        raise ProgrammingError(f"ML.EXPLAIN_PREDICT: top_k_features must be at least 1, got {top_k}")
    threshold = binary_threshold(model, params)
    names, owner = [spec["name"] for spec in model.encoder.specs], model.encoder.owners()
    internal = set(model.transform.internal_columns()) if model.transform else set()
    reader = ctx.run_input(ctx.model_input(call, model), batch_rows(len(model.encoder.output_names)))
    mapping = check_input(model, reader.schema.names)
    kept = [i for i, name in enumerate(reader.schema.names) if name not in internal]
    schema = pa.schema([reader.schema.field(i) for i in kept] + output_fields(model) + [
        pa.field("top_feature_attributions", pa.list_(ATTRIBUTION)), pa.field("baseline_prediction_value", pa.float64()),
        pa.field("prediction_value", pa.float64()), pa.field("approximation_error", pa.float64())])

    def batches():
        for batch in reader:
            X = model.features(batch, mapping)
            scores = model.estimator.predict(X)
            chosen = predicted_labels(scores, threshold) if model.is_classifier else np.zeros(len(X), dtype=np.int64)
            columns, baseline = contributions(model, X, scores, chosen)
            per_feature = np.zeros((len(X), len(names)))
            np.add.at(per_feature.T, owner, columns.T)
            if model.is_classifier and len(model.classes) == 2:  # log-odds of the predicted class
                sign = np.where(chosen == 1, 1.0, -1.0)
                per_feature, baseline = per_feature * sign[:, None], baseline * sign
            value = baseline + per_feature.sum(axis=1)
            order = np.argsort(-np.abs(per_feature), axis=1, kind="stable")[:, :top_k]
            entries = pa.StructArray.from_arrays(
                [pa.array(np.array(names, dtype=object)[order].ravel(), pa.string()),
                 pa.array(np.take_along_axis(per_feature, order, axis=1).ravel())], fields=list(ATTRIBUTION))
            shown = order.shape[1]
            offsets = pa.array(np.arange(0, len(X) * shown + 1, shown, dtype=np.int32))
            yield pa.RecordBatch.from_arrays(
                [batch.column(i) for i in kept] + prediction_columns(model, scores, threshold) +
                [pa.ListArray.from_arrays(offsets, entries), pa.array(baseline, pa.float64()),
                 pa.array(value, pa.float64()), pa.array(np.zeros(len(X)))], schema=schema)

    return ctx.stream(schema, batches())
