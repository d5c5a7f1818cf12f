"""ML.EXPLAIN_PREDICT and ML.GLOBAL_EXPLAIN: how much each feature moved a model's raw score.

ML.EXPLAIN_PREDICT(MODEL m, TABLE t | (query) [, STRUCT(top_k_features, threshold, num_permutations)]):
as BigQuery ML, predicted_<label>; for classifiers probability (of the predicted class);
top_feature_attributions (feature, attribution), the top_k_features (default 5) largest in absolute value;
baseline_prediction_value; prediction_value; approximation_error; then every input column. The attributions
of all features plus the baseline equal prediction_value.

ML.GLOBAL_EXPLAIN(MODEL m [, TABLE t | (query)] [, STRUCT(class_level_explain, num_permutations)]), of a
model trained with enable_global_explain = TRUE (as BigQuery ML requires):
(feature, attribution), the mean absolute attribution of each feature over the rows, largest first; with
class_level_explain (classifiers), (class_label, feature, attribution) over the rows predicted as each
class, its 10 largest. Without input, the rows of the model's training query with a label (after its TRANSFORM,
if any), run again: if they are not the rows it was trained on (their fingerprint differs), a DataError asks
for the rows to explain.

What is explained is the model's raw score of the predicted class: a regression's value; a classifier's
log-odds (binary: of the predicted class, so the negative class's are the positive's negated) or class
score (the softmax input); a random forest classifier's probability of the predicted class (it has no
other score). Exact methods (approximation_error 0): boosted trees by TreeSHAP (LightGBM's
pred_contrib), the baseline being the expected score; linear and logistic models by weight * standardized
value for a number (0 at the training mean), the category's weight for a category (0 for an unseen one),
the baseline being the intercept. DNN and random forest models: sampled Shapley values (Strumbelj &
Kononenko 2014). The baseline is the score of the neutral input: every number at its training mean, no
category (all one-hot columns 0; a tree's code for NULL or unseen) and empty lists, as the linear baseline.
Each of num_permutations (default 10) orderings of the features, the same for every row (seed 0), turns
the baseline into the row one feature at a time; a feature's attribution is its mean score change when
added. Each ordering's changes add up to prediction_value - baseline, so additivity is exact, and when
num_permutations reaches d! (d features) every ordering is taken once and the values are exact Shapley
values (approximation_error 0). Otherwise approximation_error is the largest standard error of a row's
attributions (the spread of a feature's changes over the orderings / sqrt(num_permutations)).

An input's encoded columns (a timestamp's parts, struct fields) add up into, and move with, the input
(with TRANSFORM, the TRANSFORM output). Other model types are refused (a NotSupportedError).
"""

from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext, batch_rows
from sqlml.engine.data.rows import fingerprint
from sqlml.engine.data.transform import registered
from sqlml.engine.functions.predict import binary_threshold, check_input
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import DataError, NotSupportedError, ProgrammingError
from sqlml.parser import MLFunction

ATTRIBUTION = pa.struct([("feature", pa.string()), ("attribution", pa.float64())])
HYBRID_VALUES = 2**22  # encoded values of the hybrid rows scored at once by the sampled method
CLASS_TOP_K = 10  # features per class of ML.GLOBAL_EXPLAIN with class_level_explain, as BigQuery ML


def _of_chosen(model: Model, values: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Each row's part of `values` (rows, outputs, ...) for its chosen class. A single output is a
    regression's value or a binary classifier's positive-class log-odds, negated where class 0 is chosen."""
    if values.shape[1] > 1:
        return values[np.arange(len(values)), chosen]
    if not model.is_classifier:
        return values[:, 0]
    sign = np.where(chosen == 1, 1.0, -1.0)
    return values[:, 0] * sign.reshape((-1,) + (1,) * (values.ndim - 2))


def _by_feature(model: Model, columns: np.ndarray) -> np.ndarray:
    """Attributions of the encoded columns summed into the features they encode."""
    per_feature = np.zeros((len(columns), len(model.encoder.specs)))
    np.add.at(per_feature.T, model.encoder.owners(), columns.T)
    return per_feature


def _tree_shap(model: Model, X: np.ndarray, chosen: np.ndarray):
    n, width = X.shape
    contrib = model.estimator.booster.predict(X, pred_contrib=True).reshape(n, -1, width + 1)
    block = _of_chosen(model, contrib, chosen)
    return _by_feature(model, block[:, :width]), block[:, width], np.zeros(n)


def _linear_shapley(model: Model, X: np.ndarray, chosen: np.ndarray):
    table = np.column_stack([model.estimator.coef, model.estimator.intercept])  # (outputs, width + 1)
    picked = _of_chosen(model, np.broadcast_to(table, (len(X), *table.shape)), chosen)
    return _by_feature(model, X * picked[:, :-1]), picked[:, -1], np.zeros(len(X))


# a family's explainer -> its exact method; "sampled": sampled Shapley values of the estimator's raw_scores
EXACT = {"tree_shap": _tree_shap, "linear": _linear_shapley}


def _neutral_row(model: Model) -> np.ndarray:
    """The encoded baseline input: numbers at their training mean, every other leaf's columns 0."""
    encoder = model.encoder
    row = np.zeros(len(encoder.output_names))
    for _, leaf, start, _ in encoder.blocks(row):
        if leaf["kind"] == "numeric" and not (encoder.linear and encoder.scale):  # standardized, the mean is 0
            row[start] = leaf["mean"]
    return row


class Explainer:
    """Attributions per feature of the raw score of each row's chosen class, by the model's method."""

    def __init__(self, model: Model, function: str, params: dict):
        count = params["num_permutations"]
        self.model, self.method = model, EXACT.get(model.family.explainer)
        if self.method is None and model.family.explainer != "sampled":
            raise NotSupportedError(
                f"ML.{function} explains boosted tree, random forest, dnn, linear_reg and logistic_reg models; "
                f"model {model.version.qualified_name} is a {model.version.estimator_type or model.version.model_type}"
            )
        if self.method is None:
            d = len(model.encoder.specs)
            self.exhaustive = math.factorial(d) <= count
            self.orders = (
                np.array(list(permutations(range(d))))
                if self.exhaustive
                else np.random.default_rng(0).permuted(np.tile(np.arange(d), (count, 1)), axis=1)
            )
            self.method, self.base = self._sampled_shapley, _neutral_row(model)

    def __call__(self, X: np.ndarray, threshold: float | None):
        """(scores, chosen class indices, attributions (rows, features), baseline, approximation error)."""
        scores = self.model.estimator.predict(X)
        chosen = predicted_labels(scores, threshold) if self.model.is_classifier else np.zeros(len(X), dtype=np.int64)
        return scores, chosen, *self.method(self.model, X, chosen)

    def _sampled_shapley(self, model: Model, X: np.ndarray, chosen: np.ndarray):
        raw = model.estimator.raw_scores
        (n, width), (k, d) = X.shape, self.orders.shape
        place = np.argsort(self.orders, axis=1)  # place[p, f]: the step at which ordering p adds feature f
        # from_row[p, t, j]: after t steps of ordering p, encoded column j holds the row's value, not the baseline's
        from_row = (place[:, None, :] < np.arange(d + 1)[:, None])[:, :, model.encoder.owners()]
        total, squares = np.zeros((n, d)), np.zeros((n, d))
        step = max(1, min(n, HYBRID_VALUES // ((d + 1) * width)))  # (ordering, row) pairs at once; rows distinct
        for start in range(0, n * k, step):
            orders, rows = np.divmod(np.arange(start, min(start + step, n * k)), n)
            hybrid = np.where(from_row[orders], X[rows, None, :], self.base).reshape(-1, width)
            path = _of_chosen(model, raw(hybrid), np.repeat(chosen[rows], d + 1)).reshape(-1, d + 1)
            changes = np.take_along_axis(np.diff(path, axis=1), place[orders], axis=1)  # per feature
            total[rows] += changes
            squares[rows] += changes**2
        baseline = _of_chosen(model, np.repeat(raw(self.base[None]), n, axis=0), chosen)
        if self.exhaustive:
            return total / k, baseline, np.zeros(n)
        variance = np.maximum(squares - total**2 / k, 0.0) / (k - 1)
        return total / k, baseline, np.sqrt(variance / k).max(axis=1)


def explain_predict(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.RecordBatchReader:
    explain = Explainer(model, "EXPLAIN_PREDICT", params)
    top_k = params["top_k_features"]
    threshold = binary_threshold(model, params)
    names = np.array([spec["name"] for spec in model.encoder.specs], dtype=object)
    internal = model.internal_columns()
    reader = ctx.open_input(call, model)
    fields = _explain_fields(model)
    mapping = check_input(model, reader.schema.names, fields, call.function)
    kept = [i for i, name in enumerate(reader.schema.names) if name not in internal]
    schema = pa.schema(fields + [reader.schema.field(i) for i in kept])

    def batches():
        for batch in reader:
            scores, chosen, per_feature, baseline, error = explain(model.features(batch, mapping), threshold)
            order = np.argsort(-np.abs(per_feature), axis=1, kind="stable")[:, :top_k]
            entries = pa.StructArray.from_arrays(
                [
                    pa.array(names[order].ravel(), pa.string()),
                    pa.array(np.take_along_axis(per_feature, order, axis=1).ravel()),
                ],
                fields=list(ATTRIBUTION),
            )
            n, shown = order.shape
            offsets = pa.array(np.arange(0, n * shown + 1, shown, dtype=np.int32))
            predicted = (
                [model.classes.take(pa.array(chosen)), pa.array(scores[np.arange(len(chosen)), chosen], pa.float64())]
                if model.is_classifier
                else [pa.array(scores, pa.float64())]
            )
            yield pa.RecordBatch.from_arrays(
                predicted
                + [
                    pa.ListArray.from_arrays(offsets, entries),
                    pa.array(baseline, pa.float64()),
                    pa.array(baseline + per_feature.sum(axis=1), pa.float64()),
                    pa.array(error, pa.float64()),
                ]
                + [batch.column(i) for i in kept],
                schema=schema,
            )

    return ctx.stream(schema, batches())


def _explain_fields(model: Model) -> list[pa.Field]:
    """The columns ML.EXPLAIN_PREDICT puts before the input's: BigQuery ML's, `probability` for classifiers."""
    label = model.version.label
    predicted = (
        [
            pa.field(f"predicted_{label}", pa.type_for_alias(model.version.label_type)),
            pa.field("probability", pa.float64()),
        ]
        if model.is_classifier
        else [pa.field(f"predicted_{label}", pa.float64())]
    )
    return predicted + [
        pa.field("top_feature_attributions", pa.list_(ATTRIBUTION)),
        pa.field("baseline_prediction_value", pa.float64()),
        pa.field("prediction_value", pa.float64()),
        pa.field("approximation_error", pa.float64()),
    ]


def _rows_to_explain(ctx: MLContext, call: MLFunction, model: Model):
    """(Arrow batches, feature -> column mapping) of ML.GLOBAL_EXPLAIN's rows: the input, else the
    training query's rows, checked to be those the model was trained on."""
    if call.input_sql is not None:
        reader = ctx.open_input(call, model)
        return reader, model.resolve(reader.schema.names)
    version = model.version
    data = ctx.read_table(version.training_sql)
    if fingerprint(ctx.cur, data) != version.data_fingerprint:
        raise DataError(
            f"ML.GLOBAL_EXPLAIN: the training query of model {version.qualified_name} version "
            f"{version.version} no longer returns the rows it was trained on; pass the rows to explain: "
            f"ML.GLOBAL_EXPLAIN(MODEL {version.qualified_name}, TABLE t | (query))"
        )
    if model.transform is not None:  # its outputs added, the label's too
        with registered(ctx.cur, data) as rows:
            data = ctx.read_table(model.input_sql(f"FROM {rows}", data.column_names, with_label=True))
    label = version.label and model.label_column(data.column_names)
    if label is not None:  # the rows training kept
        data = data.filter(pc.is_valid(data.column(label)))
    return data.to_batches(batch_rows(len(model.encoder.output_names))), model.resolve(data.column_names)


def _check_enabled(model: Model) -> None:
    """As BigQuery ML: a model type that takes enable_global_explain must have been trained with it TRUE."""
    from sqlml.engine.families import FAMILIES

    version = model.version
    if "enable_global_explain" in FAMILIES[version.model_type].options and not version.options.get(
        "enable_global_explain"
    ):
        raise ProgrammingError(
            f"ML.GLOBAL_EXPLAIN needs a model trained with enable_global_explain = TRUE, as in BigQuery ML; "
            f"model {version.qualified_name} was not: create it with OPTIONS(enable_global_explain = TRUE)"
        )


def global_explain(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    explain = Explainer(model, "GLOBAL_EXPLAIN", params)
    _check_enabled(model)
    by_class = params["class_level_explain"]
    if by_class and not model.is_classifier:
        raise ProgrammingError(
            f"ML.GLOBAL_EXPLAIN: class_level_explain applies to classifiers; model "
            f"{model.version.qualified_name} is a {model.version.model_type}"
        )
    names = [spec["name"] for spec in model.encoder.specs]
    groups = len(model.classes) if model.is_classifier else 1
    sums, counts = np.zeros((groups, len(names))), np.zeros(groups)
    batches, mapping = _rows_to_explain(ctx, call, model)
    threshold = binary_threshold(model, {})
    for batch in batches:
        _, chosen, per_feature, _, _ = explain(model.features(batch, mapping), threshold)
        np.add.at(sums, chosen, np.abs(per_feature))
        counts += np.bincount(chosen, minlength=groups)
    if not counts.sum():
        raise DataError("ML.GLOBAL_EXPLAIN input has no rows")
    if not by_class:
        mean = sums.sum(axis=0) / counts.sum()
        order = np.argsort(-mean, kind="stable")
        return pa.table({"feature": pa.array([names[i] for i in order], pa.string()), "attribution": mean[order]})
    rows = []
    for label, total, count in zip(model.classes.to_pylist(), sums, counts):
        if count:  # the classes predicted for some row
            mean = total / count
            rows += [
                {"class_label": str(label), "feature": names[i], "attribution": float(mean[i])}
                for i in np.argsort(-mean, kind="stable")[:CLASS_TOP_K]
            ]
    return pa.Table.from_pylist(
        rows, pa.schema([("class_label", pa.string()), ("feature", pa.string()), ("attribution", pa.float64())])
    )
