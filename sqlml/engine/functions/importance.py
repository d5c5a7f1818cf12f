"""What a model's inputs weigh: ML.FEATURE_IMPORTANCE (trees) and ML.WEIGHTS (linear models).

ML.FEATURE_IMPORTANCE(MODEL m): how a tree model uses each input column, as BigQuery ML reports it.

One row per input column (a TIMESTAMP's or STRUCT's parts count for their column; with TRANSFORM, each
output's splits count for every raw column it reads, as BigQuery ML reports pre-transform columns):
importance_weight, the number of splits on the column over all trees; importance_gain, their average
gain (LightGBM's split_gain; for a random forest the decrease in weighted impurity, scikit-learn's
unnormalized measure times the node's weighted sample count at the root); importance_cover, the average
number of training rows reaching those splits (LightGBM's internal_count; the forest's weighted node
size). Columns never split on have weight 0 and NULL gain and cover.

ML.WEIGHTS(MODEL m [, STRUCT(standardize)]): a linear or logistic model's weights, one row per processed
input (TRANSFORM outputs when the model has a TRANSFORM) and one for `__INTERCEPT__`: processed_input,
weight (NULL for a categorical input), category_weights (category, weight) for categorical inputs (NULL
is a category of its own). Weights are in each input's own units (score = intercept + sum of weight *
value, NULL read as the training mean), or with STRUCT(TRUE AS standardize) per standard deviation of the
input (score = intercept + sum of weight * (value - mean) / std). A multiclass logistic model gives one
row per class and input, with class_label.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
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


def feature_importance(ctx: MLContext, call: MLFunction) -> pa.Table:
    ctx.params(call, {})
    if call.input_sql is not None:
        raise ProgrammingError("ML.FEATURE_IMPORTANCE takes a model only: ML.FEATURE_IMPORTANCE(MODEL m)")
    model = ctx.model(call)
    if model.family.importance != "splits":
        raise ProgrammingError(f"ML.FEATURE_IMPORTANCE takes a boosted tree or random forest model; model "
                               f"{model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}")
    names, owners = _columns(model)
    count, gain, cover = defaultdict(int), defaultdict(float), defaultdict(float)
    for column, split_gain, split_cover in model.estimator.splits():
        for name in owners[column]:
            count[name] += 1
            gain[name] += split_gain
            cover[name] += split_cover
    return pa.table({"feature": names, "importance_weight": [float(count[n]) for n in names],
                     "importance_gain": [gain[n] / count[n] if count[n] else None for n in names],
                     "importance_cover": [cover[n] / count[n] if count[n] else None for n in names]},
                    schema=pa.schema([("feature", pa.string()), ("importance_weight", pa.float64()),
                                      ("importance_gain", pa.float64()), ("importance_cover", pa.float64())]))


def _weight_rows(model: Model, coef: np.ndarray, intercept: float, standardize: bool) -> list[dict]:
    """One class's rows: coef over the encoded columns, turned into the inputs' units (or per std)."""
    encoder, rows = model.encoder, []
    for _, leaf, start, block in encoder.blocks(coef):
        if leaf["kind"] == "numeric":
            a, b = encoder.affine(leaf)  # the model reads a * x + b
            weight, intercept = block[0] * a, intercept + block[0] * b
            if standardize:
                weight, intercept = weight * leaf["std"], intercept + weight * leaf["mean"]
            rows.append({"processed_input": leaf["name"], "weight": float(weight), "category_weights": []})
        elif leaf["kind"] == "categorical":
            categories = leaf["vocabulary"] + ([None] if leaf["has_null"] else [])
            rows.append({"processed_input": leaf["name"], "weight": None, "category_weights": [
                {"category": c, "weight": float(w)} for c, w in zip(categories, block)]})
        else:  # vectors and multi-hot lists: one weight per element, as encoded
            names = encoder.output_names[start:start + len(block)]
            rows += [{"processed_input": n, "weight": float(w), "category_weights": []} for n, w in zip(names, block)]
    return [{"processed_input": "__INTERCEPT__", "weight": float(intercept), "category_weights": []}] + rows


def weights(ctx: MLContext, call: MLFunction) -> pa.Table:
    params = ctx.params(call, {"standardize": bool})
    if call.input_sql is not None:
        raise ProgrammingError("ML.WEIGHTS takes a model only: ML.WEIGHTS(MODEL m [, STRUCT(TRUE AS standardize)])")
    model = ctx.model(call)
    if model.family.importance != "weights":
        raise ProgrammingError(f"ML.WEIGHTS takes a linear_reg or logistic_reg model; model "
                               f"{model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}")
    standardize, estimator = params.get("standardize", False), model.estimator
    entry = pa.list_(pa.struct([("category", pa.string()), ("weight", pa.float64())]))
    schema = pa.schema([("processed_input", pa.string()), ("weight", pa.float64()), ("category_weights", entry)])
    if len(estimator.coef) == 1:  # a regression or a binary classifier: the positive class's score
        return pa.Table.from_pylist(_weight_rows(model, estimator.coef[0], estimator.intercept[0], standardize), schema)
    rows = [{"class_label": str(label), **row} for label, coef, intercept in
            zip(model.classes.to_pylist(), estimator.coef, estimator.intercept)
            for row in _weight_rows(model, coef, intercept, standardize)]
    return pa.Table.from_pylist(rows, pa.schema([("class_label", pa.string()), *schema]))
