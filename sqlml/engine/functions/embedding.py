"""ML.GENERATE_EMBEDDING(MODEL m [, TABLE t | (query)]) of the models that embed, as BigQuery ML defines it
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-generate-embedding):

- a pca or autoencoder model, of input rows: per row, ml_generate_embedding_result, a DOUBLE[] of what ML.PREDICT
  gives in columns (the principal components, the autoencoder's middle layer latent_col_1 .. _n), then every
  input column; a tuned model's rows start with trial_id;
- a matrix factorization model, without input: a row per user and per item, its factor weights with its
  intercept last (recommend.factor_embeddings).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions import recommend
from sqlml.engine.functions.predict import rows_plus
from sqlml.engine.store import trials
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction

EMBEDDING = pa.field("ml_generate_embedding_result", pa.list_(pa.float64()))


def generate_embedding(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader | pa.Table:
    if model.family.recommends:
        return recommend.factor_embeddings(call, model)
    if call.input_sql is None:
        raise ProgrammingError(
            f"ML.GENERATE_EMBEDDING needs input data for {model.family.model_type} models: the rows to embed, "
            "ML.GENERATE_EMBEDDING(MODEL m, TABLE t) or ML.GENERATE_EMBEDDING(MODEL m, (query))"
        )
    return _rows(ctx, call, model, params)


def _rows(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    trial = trials.optimal_trial(ctx.cur, model.version) if params.get("trial_id") is None else params["trial_id"]
    fields = [pa.field("trial_id", pa.int64())] if trial is not None else []

    def columns(X: np.ndarray) -> list:
        embedded = model.estimator.embed(X) if model.family.autoencodes else model.estimator.predict(X)
        n, width = embedded.shape
        offsets = pa.array(np.arange(0, n * width + 1, width, dtype=np.int32))
        lists = pa.ListArray.from_arrays(offsets, pa.array(embedded.ravel(), pa.float64()))
        return [lists] if trial is None else [np.full(n, trial, dtype=np.int64), lists]

    return rows_plus(ctx, call, model, [*fields, EMBEDDING], columns)
