"""ML.DETECT_ANOMALIES(MODEL m, TABLE t | (query), STRUCT(contamination)) for kmeans, pca and autoencoder models, as
BigQuery ML defines it for independent rows.

Each row gets an anomaly score, and is an anomaly when the score is above the (1 - contamination) quantile
(numpy.quantile's linear interpolation) of the same score over the model's training rows, kept with the
version at training (trainers/base.py ScoreQuantiles). contamination, the share of the training rows
taken to be anomalous, is required and lies in [0, 0.5].

Output: the anomaly columns, then every input column in input order.
- kmeans: is_anomaly, normalized_distance (the shortest, over the centroids, of the row's distance to the
  centroid, ML.PREDICT's EUCLIDEAN or COSINE distance in the encoded feature space, divided by the cluster's
  radius: the root mean square distance of its training rows to it), centroid_id (that centroid, 1-based;
  ties: the lower id).
- pca: is_anomaly, mean_squared_error (the mean over the encoded features, standardized by default, of the
  squared difference between the row and its reconstruction from its principal components).
- autoencoder: is_anomaly, mean_squared_error (the mean over the encoded features, standardized numbers and
  one-hot categories, of the squared difference between the row and the network's reconstruction of it).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.predict import rows_plus
from sqlml.engine.functions.registry import usage
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def _kmeans_scores(model: Model, X: np.ndarray) -> list[np.ndarray]:
    normalized = model.estimator.normalize(model.estimator.predict(X))
    nearest = normalized.argmin(axis=1)
    return [normalized[np.arange(len(X)), nearest], nearest + 1]


def _pca_scores(model: Model, X: np.ndarray) -> list[np.ndarray]:
    return [model.estimator.reconstruction_error(X)]


def _autoencoder_scores(model: Model, X: np.ndarray) -> list[np.ndarray]:
    return [model.estimator.losses(X)["mean_squared_error"]]


# task -> (the columns after is_anomaly, the score first; their values for a feature matrix)
SCORES = {
    "clustering": (
        [pa.field("normalized_distance", pa.float64()), pa.field("centroid_id", pa.int64())],
        _kmeans_scores,
    ),
    "dimensionality_reduction": ([pa.field("mean_squared_error", pa.float64())], _pca_scores),
    "autoencoder": ([pa.field("mean_squared_error", pa.float64())], _autoencoder_scores),
}


def _threshold(call: MLFunction, model: Model, contamination: float) -> float:
    """The score above which a row is an anomaly."""
    quantiles = model.estimator.anomaly_quantiles
    if quantiles is None:
        raise ProgrammingError(
            f"model {model.version.qualified_name} version {model.version.version} was trained "
            f"before sqlml kept the training scores ML.{call.function} needs; retrain it "
            "(CREATE OR REPLACE MODEL)"
        )
    return quantiles.quantile(1.0 - contamination)


def detect_anomalies(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    if model.task == "forecasting":
        from sqlml.engine.functions import forecast_accuracy

        return forecast_accuracy.detect_anomalies(ctx, call, model, params)
    if "contamination" not in params:
        raise ProgrammingError(
            "ML.DETECT_ANOMALIES needs STRUCT(<value> AS contamination): the share of the training rows taken to "
            "be anomalous, in [0, 0.5]"
        )
    if "anomaly_prob_threshold" in params:
        raise ProgrammingError(
            "ML.DETECT_ANOMALIES of kmeans, pca and autoencoder models takes contamination, not anomaly_prob_threshold"
        )
    if call.input_sql is None:
        raise ProgrammingError(f"ML.DETECT_ANOMALIES needs input data: {usage(call.function)}")
    fields, scores = SCORES[model.task]
    fields = [pa.field("is_anomaly", pa.bool_()), *fields]
    threshold = _threshold(call, model, params["contamination"])

    def columns(X: np.ndarray) -> list[np.ndarray]:
        values = scores(model, X)
        return [values[0] > threshold, *values]

    return rows_plus(ctx, call, model, fields, columns)
