"""ML.WEIGHTS(MODEL m [, STRUCT(standardize)]): a linear or logistic model's weights, one row per processed
input (TRANSFORM outputs when the model has a TRANSFORM) and one for `__INTERCEPT__`: processed_input,
weight (NULL for a categorical input), category_weights (category, weight) for categorical inputs (NULL
is a category of its own). Weights are in each input's own units (score = intercept + sum of weight *
value, NULL read as the training mean), or with STRUCT(TRUE AS standardize) per standard deviation of the
input (score = intercept + sum of weight * (value - mean) / std). A multiclass logistic model gives one
row per class and input, with class_label. A tuned model's rows start with trial_id, the optimal trial's,
as BigQuery ML's, or (sqlml's STRUCT(n AS trial_id)) the weights of trial n.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.functions.centroids_and_components import with_trial
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


def _check_linear(model: Model, function: str) -> None:
    if model.family.importance != "weights":
        raise ProgrammingError(
            f"ML.{function} takes a linear_reg or logistic_reg model; model "
            f"{model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}"
        )


def weights(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    if model.family.recommends:
        from sqlml.engine.functions import recommend

        return with_trial(ctx, model, recommend.weights(ctx, call, model, params), params.get("trial_id"))
    _check_linear(model, "WEIGHTS")
    standardize, estimator = params["standardize"], model.estimator
    entry = pa.list_(pa.struct([("category", pa.string()), ("weight", pa.float64())]))
    schema = pa.schema([("processed_input", pa.string()), ("weight", pa.float64()), ("category_weights", entry)])
    if len(estimator.coef) == 1:  # a regression or a binary classifier: the positive class's score
        table = pa.Table.from_pylist(
            _weight_rows(model, estimator.coef[0], estimator.intercept[0], standardize), schema
        )
        return with_trial(ctx, model, table, params.get("trial_id"))
    rows = [
        {"class_label": str(label), **row}
        for label, coef, intercept in zip(model.classes.to_pylist(), estimator.coef, estimator.intercept)
        for row in _weight_rows(model, coef, intercept, standardize)
    ]
    table = pa.Table.from_pylist(rows, pa.schema([("class_label", pa.string()), *schema]))
    return with_trial(ctx, model, table, params.get("trial_id"))


def _check_advanced(model: Model) -> None:
    """ML.ADVANCED_WEIGHTS' requirements (BigQuery ML's): calculate_p_values, DUMMY_ENCODING, one score column."""
    _check_linear(model, "ADVANCED_WEIGHTS")
    name, options = model.version.qualified_name, model.version.options
    if len(model.estimator.coef) > 1:
        raise ProgrammingError(
            f"ML.ADVANCED_WEIGHTS takes linear_reg and binary logistic_reg models; model {name} has "
            f"{len(model.estimator.coef)} classes"
        )
    for option, wanted in (("calculate_p_values", True), ("category_encoding_method", "DUMMY_ENCODING")):
        if options.get(option) != wanted or model.estimator.inference is None:
            raise ProgrammingError(
                f"ML.ADVANCED_WEIGHTS needs a model trained with calculate_p_values=TRUE and "
                f"category_encoding_method='DUMMY_ENCODING'; model {name} has {option} = {options.get(option)!r}"
            )


def _slots(rows: list[dict]) -> list[float]:
    """Every weight of ML.WEIGHTS' rows, in order: each row's weight or its category weights."""
    return [row["weight"] for row in rows if row["weight"] is not None] + [
        entry["weight"] for row in rows for entry in row["category_weights"]
    ]


def advanced_weights(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    """ML.ADVANCED_WEIGHTS: ML.WEIGHTS' rows with each weight's standard error and p-value. Each weight is a
    linear function of the estimates [intercept, weights...]: its row of the jacobian is the weight computed
    from each unit vector of them."""
    _check_advanced(model)
    standardize, estimator = params["standardize"], model.estimator
    rows = _weight_rows(model, estimator.coef[0], estimator.intercept[0], standardize)
    unit = np.eye(estimator.n_features + 1)
    jacobian = np.array([_slots(_weight_rows(model, e[1:], e[0], standardize)) for e in unit]).T
    errors = iter(estimator.inference.standard_errors(jacobian))
    p_value = estimator.inference.p_value
    for row in rows:  # the same order as _slots
        error = next(errors) if row["weight"] is not None else None
        row.update(standard_error=error, p_value=None if row["weight"] is None else p_value(row["weight"], error))
    for entry in (entry for row in rows for entry in row["category_weights"]):
        error = next(errors)
        entry.update(standard_error=error, p_value=p_value(entry["weight"], error))
    stats = [("standard_error", pa.float64()), ("p_value", pa.float64())]
    entry = pa.list_(pa.struct([("category", pa.string()), ("weight", pa.float64()), *stats]))
    schema = pa.schema(
        [("processed_input", pa.string()), ("weight", pa.float64()), ("category_weights", entry), *stats]
    )
    return pa.Table.from_pylist(rows, schema)
