"""What kmeans and pca models learned, one row per centroid or component and feature (a categorical feature's
values as (category, value) entries).

ML.CENTROIDS(MODEL m [, STRUCT(standardize)]): a kmeans model's centroids, numbered from 1, as BigQuery ML's
columns: trial_id (a tuned model's optimal trial; only for tuned models), centroid_id, feature,
numerical_value, categorical_value, geography_value (NULL: sqlml has no GEOGRAPHY features).
ML.PRINCIPAL_COMPONENTS(MODEL m) and ML.PRINCIPAL_COMPONENT_INFO(MODEL m): a pca model's loadings (per input,
per category) and each component's eigenvalue and explained variance ratios, components numbered from 0 as
BigQuery ML numbers them (ML.PREDICT's principal_component_<n> columns count from 1).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.store import trials
from sqlml.engine.store.model import Model
from sqlml.parser import MLFunction


def _per_feature(rows: list[tuple], first: tuple[str, pa.DataType]) -> pa.Table:
    """(id, feature, numerical_value, categorical_value) rows as a table whose first column is `first`."""
    entry = pa.struct([("category", pa.string()), ("value", pa.float64())])
    return pa.table(
        [
            pa.array([r[i] for r in rows], t)
            for i, t in enumerate((first[1], pa.string(), pa.float64(), pa.list_(entry)))
        ],
        names=[first[0], "feature", "numerical_value", "categorical_value"],
    )


def _categories(leaf: dict, values: np.ndarray) -> list[dict]:
    """A categorical block as (category, value) entries (NULL: the NULL category; a list's elements, positions)."""
    categories = (leaf.get("vocabulary") or [str(i) for i in range(len(values))]) + [None]
    return [{"category": c, "value": float(v)} for c, v in zip(categories, values)]


def centroids(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    standardize, rows = params["standardize"], []
    for centroid_id, centroid in enumerate(model.estimator.centroids, 1):  # as ML.PREDICT's CENTROID_ID
        for _, leaf, _, values in model.encoder.blocks(centroid):
            if leaf["kind"] == "numeric":  # the centroid in the feature's units, or standardized
                a, b = model.encoder.affine(leaf)
                raw = (values[0] - b) / a
                value = (raw - leaf["mean"]) / leaf["std"] if standardize else raw
                rows.append((centroid_id, leaf["name"], float(value), None))
            else:
                rows.append((centroid_id, leaf["name"], None, _categories(leaf, values)))
    table = _per_feature(rows, ("centroid_id", pa.int64()))
    return with_trial(ctx, model, table.append_column("geography_value", pa.nulls(len(table), pa.string())))


def with_trial(ctx: MLContext, model: Model, table: pa.Table, trial_id: int | None = None) -> pa.Table:
    """`table` with BigQuery ML's leading trial_id column when the model was tuned: `trial_id`, the trial the
    call chose (STRUCT(n AS trial_id)), else the optimal trial's."""
    trial = trials.optimal_trial(ctx.cur, model.version) if trial_id is None or not model.version.tuned else trial_id
    return table if trial is None else table.add_column(0, "trial_id", pa.array([trial] * len(table), pa.int64()))


def principal_components(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """Each component's loading on each encoded input (one value per category of a categorical one)."""
    rows = []
    for component_id, component in enumerate(model.estimator.coef):
        for _, leaf, _, values in model.encoder.blocks(component):
            rows.append(
                (component_id, leaf["name"], float(values[0]), None)
                if leaf["kind"] == "numeric"
                else (component_id, leaf["name"], None, _categories(leaf, values))
            )
    return _per_feature(rows, ("principal_component_id", pa.int64()))


def principal_component_info(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    estimator = model.estimator
    ratios = estimator.explained_variance_ratio
    return pa.table(
        {
            "principal_component_id": pa.array(np.arange(len(ratios)), pa.int64()),
            "eigenvalue": estimator.explained_variance,
            "explained_variance_ratio": ratios,
            "cumulative_explained_variance_ratio": np.cumsum(ratios),
        }
    )
