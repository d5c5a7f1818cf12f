"""ML.RECONSTRUCTION_LOSS(MODEL autoencoder, TABLE t | (query)), as BigQuery ML defines it
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-reconstruction-loss): per input row, mean_absolute_error, mean_squared_error and mean_squared_log_error
between the row's encoded features (numbers standardized, categories one-hot) and the autoencoder's
reconstruction of them (metrics.reconstruction_losses), then every input column.
"""

from __future__ import annotations

import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.predict import rows_plus
from sqlml.engine.metrics import AUTOENCODER_METRICS
from sqlml.engine.store.model import Model
from sqlml.parser import MLFunction


def reconstruction_loss(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    fields = [pa.field(name, pa.float64()) for name in AUTOENCODER_METRICS]
    return rows_plus(ctx, call, model, fields, lambda X: list(model.estimator.losses(X).values()))
