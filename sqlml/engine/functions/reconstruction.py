"""ML.RECONSTRUCTION_LOSS(MODEL autoencoder, TABLE t | (query)) and ML.GENERATE_EMBEDDING(MODEL pca or
autoencoder, TABLE t | (query)), as BigQuery ML defines them for these models
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-reconstruction-loss,
https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding).

ML.RECONSTRUCTION_LOSS: per input row, mean_absolute_error, mean_squared_error and mean_squared_log_error
between the row's encoded features (numbers standardized, categories one-hot) and the autoencoder's
reconstruction of them (metrics.reconstruction_losses), then every input column.

ML.GENERATE_EMBEDDING: per input row, ml_generate_embedding_result, a DOUBLE[] of what ML.PREDICT gives in
columns (a pca model's principal components, an autoencoder's middle layer, latent_col_1 .. _n), then every
input column; a tuned model's rows start with trial_id.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.predict import rows_plus
from sqlml.engine.metrics import AUTOENCODER_METRICS
from sqlml.engine.store import trials
from sqlml.engine.store.model import Model
from sqlml.parser import MLFunction

EMBEDDING = pa.field("ml_generate_embedding_result", pa.list_(pa.float64()))


def reconstruction_loss(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    fields = [pa.field(name, pa.float64()) for name in AUTOENCODER_METRICS]
    return rows_plus(ctx, call, model, fields, lambda X: list(model.estimator.losses(X).values()))


def generate_embedding(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    trial = trials.optimal_trial(ctx.cur, model.version) if params.get("trial_id") is None else params["trial_id"]
    fields = [pa.field("trial_id", pa.int64())] if trial is not None else []

    def columns(X: np.ndarray) -> list:
        embedded = model.estimator.embed(X) if model.family.autoencodes else model.estimator.predict(X)
        n, width = embedded.shape
        offsets = pa.array(np.arange(0, n * width + 1, width, dtype=np.int32))
        lists = pa.ListArray.from_arrays(offsets, pa.array(embedded.ravel(), pa.float64()))
        return [lists] if trial is None else [np.full(n, trial, dtype=np.int64), lists]

    return rows_plus(ctx, call, model, [*fields, EMBEDDING], columns)
