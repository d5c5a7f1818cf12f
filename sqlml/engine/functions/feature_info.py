"""ML.FEATURE_INFO(MODEL m): each input's statistics on the training rows (one row per encoded part of a
timestamp or STRUCT): min, max, mean, median, stddev (sample, of the non-NULL values), category_count,
null_count, dimension (a list's width); NULL where they do not apply or a version predates them."""

from __future__ import annotations

import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.data.features import spec_leaves
from sqlml.engine.store.model import Model
from sqlml.parser import MLFunction


def feature_info(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    leaves = [leaf for spec in model.encoder.specs for leaf in spec_leaves(spec)]
    numeric = [leaf["kind"] == "numeric" for leaf in leaves]
    columns = {"input": ([leaf["name"] for leaf in leaves], pa.string())}
    for stat in ("min", "max", "mean", "median", "stddev"):
        columns[stat] = (
            [leaf.get(stat) if is_number else None for leaf, is_number in zip(leaves, numeric)],
            pa.float64(),
        )
    columns["category_count"] = ([leaf.get("category_count") for leaf in leaves], pa.int64())
    columns["null_count"] = ([leaf.get("null_count") for leaf in leaves], pa.int64())
    columns["dimension"] = ([leaf.get("width") for leaf in leaves], pa.int64())
    return pa.table({name: pa.array(values, kind) for name, (values, kind) in columns.items()})
