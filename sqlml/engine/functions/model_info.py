"""ML functions that show what a model holds; each handler returns SQL that DuckDB runs, or a table.

ML.TRANSFORM(MODEL m, TABLE t | (query)): the features a model's TRANSFORM clause makes of the rows given,
with the statistics learned at training. ML.TRIAL_INFO(MODEL m): the hyperparameter tuning trials.
ML.TRAINING_INFO(MODEL m): every iteration of every training run (warm_start adds runs).
ML.CENTROIDS(MODEL m [, STRUCT(standardize)]): a k-means model's centroids, one row per centroid and feature.
ML.PRINCIPAL_COMPONENTS(MODEL m) and ML.PRINCIPAL_COMPONENT_INFO(MODEL m): a pca model's loadings (per
input, per category) and each component's eigenvalue and explained variance ratios.
ML.FEATURE_INFO(MODEL m): each input's statistics on the training rows (one row per encoded part of a
timestamp or STRUCT): min, max, mean, median, stddev (sample, of the non-NULL values), category_count,
null_count, dimension (a list's width); NULL where they do not apply or a version predates them.
ML.VERSIONS(MODEL m): every version, its lineage (training SQL, data fingerprint, rows) and metrics, and
which one is active.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.store import catalog
from sqlml.engine.context import MLContext, calls_ml
from sqlml.engine.data.features import spec_leaves
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def ml_transform(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    model = ctx.model(call)
    if model.transform is None:
        raise ProgrammingError(f"model {model.version.qualified_name} has no TRANSFORM clause; ML.TRANSFORM "
                               "applies to models created with CREATE MODEL ... TRANSFORM(...)")
    query = ctx.input_query(call)
    return model.transform.select(query, None if calls_ml(query) else ctx.cur.sql(query).columns)


def trial_info(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.TRIAL_INFO takes a model only: ML.TRIAL_INFO(MODEL m)")
    version = ctx.model(call).version
    if not catalog.has_trials(ctx.cur, version):
        raise ProgrammingError(f"model {version.qualified_name} version {version.version} was not tuned "
                               "(OPTIONS num_trials > 1 tunes it; AutoML models list their candidates)")
    return catalog.trial_info_sql(version)


def training_info(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.TRAINING_INFO takes a model only: ML.TRAINING_INFO(MODEL m)")
    return catalog.training_info_sql(ctx.model(call).version)


def _per_feature(rows: list[tuple], first: tuple[str, pa.DataType]) -> pa.Table:
    """(id, feature, numerical_value, categorical_value) rows as a table whose first column is `first`."""
    entry = pa.struct([("category", pa.string()), ("value", pa.float64())])
    return pa.table([pa.array([r[i] for r in rows], t) for i, t in enumerate(
        (first[1], pa.string(), pa.float64(), pa.list_(entry)))],
        names=[first[0], "feature", "numerical_value", "categorical_value"])


def _categories(leaf: dict, values: np.ndarray) -> list[dict]:
    """A categorical block as (category, value) entries (NULL: the NULL category; a list's elements, positions)."""
    categories = (leaf.get("vocabulary") or [str(i) for i in range(len(values))]) + [None]
    return [{"category": c, "value": float(v)} for c, v in zip(categories, values)]


def centroids(ctx: MLContext, call: MLFunction) -> pa.Table:
    standardize = ctx.params(call, {"standardize": bool}).get("standardize", False)
    model = ctx.model(call)
    if model.task != "clustering":
        raise ProgrammingError(f"ML.CENTROIDS takes a kmeans model only: model {model.version.qualified_name} is "
                               f"a {model.version.model_type}")
    if call.input_sql is not None:
        raise ProgrammingError("ML.CENTROIDS takes a model only: ML.CENTROIDS(MODEL m [, STRUCT(standardize)])")
    rows = []
    for centroid_id, centroid in enumerate(model.estimator.centroids, 1):
        for _, leaf, _, values in model.encoder.blocks(centroid):
            if leaf["kind"] == "numeric":  # the centroid in the feature's units, or standardized
                a, b = model.encoder.affine(leaf)
                raw = (values[0] - b) / a
                value = (raw - leaf["mean"]) / leaf["std"] if standardize else raw
                rows.append((centroid_id, leaf["name"], float(value), None))
            else:
                rows.append((centroid_id, leaf["name"], None, _categories(leaf, values)))
    return _per_feature(rows, ("centroid_id", pa.int64()))


def _pca(ctx: MLContext, call: MLFunction) -> Model:
    ctx.params(call, {})
    model = ctx.model(call)
    if model.task != "dimensionality_reduction":
        raise ProgrammingError(f"ML.{call.function} takes a pca model only: model {model.version.qualified_name} "
                               f"is a {model.version.model_type}")
    if call.input_sql is not None:
        raise ProgrammingError(f"ML.{call.function} takes a model only: ML.{call.function}(MODEL m)")
    return model


def principal_components(ctx: MLContext, call: MLFunction) -> pa.Table:
    """Each component's loading on each encoded input (one value per category of a categorical one)."""
    model, rows = _pca(ctx, call), []
    for component_id, component in enumerate(model.estimator.coef, 1):
        for _, leaf, _, values in model.encoder.blocks(component):
            rows.append((component_id, leaf["name"], float(values[0]), None) if leaf["kind"] == "numeric" else
                        (component_id, leaf["name"], None, _categories(leaf, values)))
    return _per_feature(rows, ("principal_component_id", pa.int64()))


def principal_component_info(ctx: MLContext, call: MLFunction) -> pa.Table:
    estimator = _pca(ctx, call).estimator
    ratios = estimator.explained_variance_ratio
    return pa.table({"principal_component_id": pa.array(np.arange(1, len(ratios) + 1), pa.int64()),
                     "eigenvalue": estimator.explained_variance, "explained_variance_ratio": ratios,
                     "cumulative_explained_variance_ratio": np.cumsum(ratios)})


def feature_info(ctx: MLContext, call: MLFunction) -> pa.Table:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.FEATURE_INFO takes a model only: ML.FEATURE_INFO(MODEL m)")
    model = ctx.model(call)
    if model.family.imported:
        raise ProgrammingError(f"ML.FEATURE_INFO needs a model sqlml trained; {model.version.qualified_name} is "
                               "an imported ONNX model")
    leaves = [leaf for spec in model.encoder.specs for leaf in spec_leaves(spec)]
    numeric = [leaf["kind"] == "numeric" for leaf in leaves]
    columns = {"input": ([leaf["name"] for leaf in leaves], pa.string())}
    for stat in ("min", "max", "mean", "median", "stddev"):
        columns[stat] = ([leaf.get(stat) if is_number else None for leaf, is_number in zip(leaves, numeric)],
                         pa.float64())
    columns["category_count"] = ([leaf.get("category_count") for leaf in leaves], pa.int64())
    columns["null_count"] = ([leaf.get("null_count") for leaf in leaves], pa.int64())
    columns["dimension"] = ([leaf.get("width") for leaf in leaves], pa.int64())
    return pa.table({name: pa.array(values, kind) for name, (values, kind) in columns.items()})


def versions(ctx: MLContext, call: MLFunction) -> str:
    ctx.params(call, {})
    if call.input_sql is not None or call.model_version is not None:
        raise ProgrammingError("ML.VERSIONS takes a model only: ML.VERSIONS(MODEL m)")
    version = ctx.model(call).version
    return catalog.versions_sql(version.schema_name, version.model_name)
