"""ML.FEATURE_IMPORTANCE(MODEL m): how a tree model uses each input column, as BigQuery ML reports it.

One row per input column (a TIMESTAMP's or STRUCT's parts count for their column; with TRANSFORM, each
output's splits count for every raw column it reads, as BigQuery ML reports pre-transform columns):
importance_weight, the number of splits on the column over all trees; importance_gain, their average
gain (LightGBM's split_gain; for a random forest the decrease in weighted impurity, scikit-learn's
unnormalized measure times the node's weighted sample count at the root); importance_cover, the average
number of training rows reaching those splits (LightGBM's internal_count; the forest's weighted node
size). Columns never split on have weight 0 and NULL gain and cover.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


def _columns(model: Model) -> tuple[list[str], list[list[str]]]:
    """The reported columns, and for each matrix column the reported columns it counts for."""
    names = [spec["name"] for spec in model.encoder.specs]
    owners = [[names[i]] for i in model.encoder.owners()]
    if model.transform is not None:  # outputs -> the raw columns each reads
        reads = {o["name"]: o["reads"] for o in model.transform.features}
        owners = [[raw for name in owner for raw in reads[name]] for owner in owners]
        names = sorted({raw for owner in owners for raw in owner}, key=str.lower)
    return names, owners


def feature_importance(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    if model.family.importance != "splits":
        raise ProgrammingError(
            f"ML.FEATURE_IMPORTANCE takes a boosted tree or random forest model; model "
            f"{model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}"
        )
    names, owners = _columns(model)
    count, gain, cover = defaultdict(int), defaultdict(float), defaultdict(float)
    for column, split_gain, split_cover in model.estimator.splits():
        for name in owners[column]:
            count[name] += 1
            gain[name] += split_gain
            cover[name] += split_cover
    return pa.table(
        {
            "feature": names,
            "importance_weight": [float(count[n]) for n in names],
            "importance_gain": [gain[n] / count[n] if count[n] else None for n in names],
            "importance_cover": [cover[n] / count[n] if count[n] else None for n in names],
        },
        schema=pa.schema(
            [
                ("feature", pa.string()),
                ("importance_weight", pa.float64()),
                ("importance_gain", pa.float64()),
                ("importance_cover", pa.float64()),
            ]
        ),
    )
