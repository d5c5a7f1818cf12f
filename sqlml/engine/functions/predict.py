"""ML.PREDICT(MODEL m, TABLE t | (query) [, STRUCT(threshold, keep_original_columns, trial_id)]): the input
rows plus predictions.

Output, as BigQuery ML's: the prediction columns, then every input column (a pca model's feature columns only
with keep_original_columns = TRUE: its components replace them). predicted_<label>; classifiers
add predicted_<label>_probs, a LIST<STRUCT(label, prob)> in class order. kmeans gives CENTROID_ID (1-based)
and NEAREST_CENTROIDS_DISTANCE, a LIST<STRUCT(CENTROID_ID, DISTANCE)> of the nearest centroids (at most 5),
nearest first; pca gives principal_component_1 .. _n; an autoencoder its middle layer, latent_col_1 .. _n; an
imported ONNX model, one column per graph output
(families/onnx_model.py). Linear models and pca compile to one SQL query
(engine/compiled/linear.py), kmeans too (engine/compiled/kmeans.py); DuckDB runs it itself. Otherwise the input streams batch by batch from its own cursor and the result is
a RecordBatchReader DuckDB scans; either way memory does not grow with the row count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext, batch_rows, calls_ml
from sqlml.engine.families.kmeans import MAX_NEAREST
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import NotSupportedError, ProgrammingError
from sqlml.parser import MLFunction


def output_fields(model: Model) -> list[pa.Field]:
    """The columns ML.PREDICT appends for `model`."""
    if model.family.imported:
        return model.estimator.fields()
    if model.family.clustering:
        entry = pa.struct([("CENTROID_ID", pa.int64()), ("DISTANCE", pa.float64())])
        return [pa.field("CENTROID_ID", pa.int64()), pa.field("NEAREST_CENTROIDS_DISTANCE", pa.list_(entry))]
    if model.family.reduces_dimensions:
        return [pa.field(f"principal_component_{i + 1}", pa.float64()) for i in range(len(model.estimator.coef))]
    if model.family.autoencodes:
        return [pa.field(f"latent_col_{i + 1}", pa.float64()) for i in range(model.estimator.latent_width)]
    label = model.version.label
    if not model.is_classifier:
        return [pa.field(f"predicted_{label}", pa.float64())]
    label_type = pa.type_for_alias(model.version.label_type)
    entry = pa.struct([("label", label_type), ("prob", pa.float64())])
    return [pa.field(f"predicted_{label}", label_type), pa.field(f"predicted_{label}_probs", pa.list_(entry))]


def prediction_columns(model: Model, scores: np.ndarray, threshold: float | None) -> list[pa.Array]:
    """Arrow columns of predictions for one batch of scores."""
    if model.family.imported:
        return model.estimator.columns(scores)
    if model.family.clustering:
        return cluster_columns(scores)
    if model.family.reduces_dimensions or model.family.autoencodes:
        return [pa.array(component, pa.float64()) for component in scores.T]
    if not model.is_classifier:
        return [pa.array(scores, pa.float64())]
    return classifier_columns(model.classes, scores, threshold)


def classifier_columns(classes: pa.Array, scores: np.ndarray, threshold: float | None) -> list[pa.Array]:
    """predicted_<label> and predicted_<label>_probs from class probabilities (n, classes)."""
    n, k = scores.shape
    labels = classes.take(pa.array(predicted_labels(scores, threshold)))
    entries = pa.StructArray.from_arrays(
        [classes.take(pa.array(np.tile(np.arange(k), n))), pa.array(scores.ravel(), pa.float64())],
        names=["label", "prob"],
    )
    return [labels, pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), entries)]


def cluster_columns(distances: np.ndarray) -> list[pa.Array]:
    """CENTROID_ID and NEAREST_CENTROIDS_DISTANCE from distances (n, n_clusters)."""
    n, k = distances.shape
    shown = min(k, MAX_NEAREST)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :shown]
    entries = pa.StructArray.from_arrays(
        [
            pa.array((nearest + 1).ravel(), pa.int64()),
            pa.array(np.take_along_axis(distances, nearest, axis=1).ravel(), pa.float64()),
        ],
        names=["CENTROID_ID", "DISTANCE"],
    )
    offsets = pa.array(np.arange(0, n * shown + 1, shown, dtype=np.int32))
    return [pa.array(nearest[:, 0] + 1, pa.int64()), pa.ListArray.from_arrays(offsets, entries)]


def binary_threshold(model: Model, params: dict) -> float | None:
    """The threshold STRUCT option (in [0, 1], functions/registry.py), valid for binary classifiers only
    (default 0.5)."""
    if "threshold" not in params:
        return 0.5 if model.is_classifier else None
    if not model.is_classifier or len(model.version.classes) != 2:
        raise ProgrammingError(
            f"threshold applies to binary classifiers only; model "
            f"{model.version.qualified_name} is a {model.version.model_type} with "
            f"{len(model.version.classes) if model.is_classifier else 'no'} classes"
        )
    return params["threshold"]


def check_input(
    model: Model, names: list[str], added: list[pa.Field] | None = None, function: str = "PREDICT"
) -> dict[str, str]:
    """The feature -> input column mapping; errors for missing features or for columns ML.<function> adds
    (`added`, by default ML.PREDICT's)."""
    mapping = model.resolve(names)
    added = output_fields(model) if added is None else added
    taken = {name.lower() for name in names} & {field.name.lower() for field in added}
    if taken:
        raise ProgrammingError(
            f"the input of ML.{function} already has column(s) {', '.join(sorted(taken))}, "
            "which it adds; leave them out (e.g. SELECT * EXCLUDE (...)) or rename them"
        )
    return mapping


def rows_plus(
    ctx: MLContext, call: MLFunction, model: Model, fields: list[pa.Field], columns: Callable
) -> pa.RecordBatchReader:
    """The call's input rows streamed with `fields` in front, their values `columns(X)` of each batch's
    feature matrix X (one numpy or Arrow array per field), then every input column (but a TRANSFORM's own)."""
    reader = ctx.open_input(call, model)
    names = reader.schema.names
    mapping = check_input(model, names, fields, call.function)
    internal = model.internal_columns()
    kept = [i for i, name in enumerate(names) if name not in internal]
    schema = pa.schema(fields + [reader.schema.field(i) for i in kept])

    def batches():
        for batch in reader:
            values = columns(model.features(batch, mapping))
            arrays = [v if isinstance(v, pa.Array) else pa.array(v, field.type) for field, v in zip(fields, values)]
            yield pa.RecordBatch.from_arrays(arrays + [batch.column(i) for i in kept], schema=schema)

    return ctx.stream(schema, batches())


def keep_original_columns(model: Model, params: dict) -> bool:
    """The keep_original_columns STRUCT option: BigQuery ML takes it for PCA models only (an autoencoder's
    input columns always follow its latent columns), default FALSE."""
    if "keep_original_columns" in params and not model.family.reduces_dimensions:
        raise NotSupportedError(
            f"ML.PREDICT parameter keep_original_columns applies to pca models only; model "
            f"{model.version.qualified_name} is a {model.version.model_type}"
        )
    return params.get("keep_original_columns", False)


def _left_out(model: Model, mapping: dict[str, str], keep_original: bool, names: list[str]) -> list[str]:
    """The input columns (of `names`) the output leaves out: its TRANSFORM's own and, for a pca model without
    keep_original_columns, the columns its features read (other columns pass through)."""
    left_out = {name.lower() for name in model.internal_columns()}
    if model.family.reduces_dimensions and not keep_original:
        reads = [c for o in model.transform.features for c in o["reads"]] if model.transform else mapping.values()
        left_out |= {name.lower() for name in reads}
    return [name for name in names if name.lower() in left_out]


def predict(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader | str:
    if model.family.recommends:
        from sqlml.engine.functions import recommend

        return recommend.predict(ctx, call, model, params)
    threshold = binary_threshold(model, params)
    keep_original = keep_original_columns(model, params)
    query = ctx.model_input(call, model)
    compiler = model.family.compile_sql  # returns None for inputs it cannot take
    if compiler is not None and not calls_ml(query):
        relation = ctx.relation(query)  # bound, not run: gives the input's columns and types
        mapping = check_input(model, relation.columns)
        compiled = compiler(model, query, relation, mapping, threshold)
        left_out = _left_out(model, mapping, keep_original, relation.columns)
        if compiled is not None and left_out:
            compiled = f"SELECT * EXCLUDE ({', '.join(map(quote_identifier, left_out))}) FROM ({compiled})"
        if compiled is not None:
            return compiled
    reader = ctx.run_input(query, batch_rows(len(model.encoder.output_names)))
    mapping = check_input(model, reader.schema.names)
    left_out = _left_out(model, mapping, keep_original, reader.schema.names)
    kept = [i for i, name in enumerate(reader.schema.names) if name not in left_out]
    schema = pa.schema(output_fields(model) + [reader.schema.field(i) for i in kept])

    def batches():
        rows = 0
        for batch, features in _encoded_ahead(reader, lambda b: model.features(b, mapping)):
            columns = prediction_columns(model, predicted(ctx, model, features), threshold)
            rows += batch.num_rows
            ctx.progress("predicting rows", rows)
            yield pa.RecordBatch.from_arrays(columns + [batch.column(i) for i in kept], schema=schema)

    return ctx.stream(schema, batches())


def predicted(ctx: MLContext, model: Model, features) -> np.ndarray:
    """What ML.PREDICT shows of a batch's features: the estimator's scores (an imported model's run stops when
    the statement is cancelled), an autoencoder's middle layer."""
    if model.family.imported:
        return model.estimator.predict(features, ctx.progress)
    if model.family.autoencodes:
        return model.estimator.embed(features)
    return model.estimator.predict(features)


def _encoded_ahead(reader: pa.RecordBatchReader, encode) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """(batch, encode(batch)) pairs, the next batch read and encoded on a second thread while the caller
    scores this one (reading and encoding run on one core, the estimator uses all of them)."""
    batches = iter(reader)

    def next_encoded():
        batch = next(batches, None)
        return None if batch is None else (batch, encode(batch))

    with ThreadPoolExecutor(max_workers=1) as ahead:
        pending = ahead.submit(next_encoded)
        while (item := pending.result()) is not None:
            pending = ahead.submit(next_encoded)
            yield item
