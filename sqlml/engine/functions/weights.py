"""ML.WEIGHTS(MODEL m [, STRUCT(standardize)]): a linear or logistic model's weights, one row per processed
input (TRANSFORM outputs when the model has a TRANSFORM) and one for `__INTERCEPT__`: processed_input,
weight (NULL for a categorical input), category_weights (category, weight) for categorical inputs (NULL
is a category of its own). Weights are in each input's own units (score = intercept + sum of weight *
value, NULL read as the training mean), or with STRUCT(TRUE AS standardize) per standard deviation of the
input (score = intercept + sum of weight * (value - mean) / std). A multiclass logistic model gives one
row per class and input, with class_label. A tuned model's rows start with trial_id, the optimal trial's,
as BigQuery ML's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.centroids_and_components import with_optimal_trial
from sqlml.engine.store.model import Model
from sqlml.errors import ProgrammingError
from sqlml.parser import MLFunction


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
            rows.append(
                {
                    "processed_input": leaf["name"],
                    "weight": None,
                    "category_weights": [{"category": c, "weight": float(w)} for c, w in zip(categories, block)],
                }
            )
        else:  # vectors and multi-hot lists: one weight per element, as encoded
            names = encoder.output_names[start : start + len(block)]
            rows += [{"processed_input": n, "weight": float(w), "category_weights": []} for n, w in zip(names, block)]
    return [{"processed_input": "__INTERCEPT__", "weight": float(intercept), "category_weights": []}] + rows


def weights(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    if model.family.importance != "weights":
        raise ProgrammingError(
            f"ML.WEIGHTS takes a linear_reg or logistic_reg model; model "
            f"{model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}"
        )
    standardize, estimator = params["standardize"], model.estimator
    entry = pa.list_(pa.struct([("category", pa.string()), ("weight", pa.float64())]))
    schema = pa.schema([("processed_input", pa.string()), ("weight", pa.float64()), ("category_weights", entry)])
    if len(estimator.coef) == 1:  # a regression or a binary classifier: the positive class's score
        table = pa.Table.from_pylist(
            _weight_rows(model, estimator.coef[0], estimator.intercept[0], standardize), schema
        )
        return with_optimal_trial(ctx, model, table)
    rows = [
        {"class_label": str(label), **row}
        for label, coef, intercept in zip(model.classes.to_pylist(), estimator.coef, estimator.intercept)
        for row in _weight_rows(model, coef, intercept, standardize)
    ]
    return with_optimal_trial(
        ctx, model, pa.Table.from_pylist(rows, pa.schema([("class_label", pa.string()), *schema]))
    )
