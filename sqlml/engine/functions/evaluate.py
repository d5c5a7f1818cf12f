"""ML.EVALUATE(MODEL m [, TABLE t | (query)] [, STRUCT(threshold, trial_id)]): one row of metrics; a tuned
model's (num_trials > 1) starts with trial_id: the optimal trial's, as BigQuery ML evaluates by default, or
the trial STRUCT(n AS trial_id) chose, whose model is the one evaluated.

With no input it scores the evaluation split kept at training (the training rows when there was no
split), whose labels and scores are stored with the version; with input, the rows given (NULL labels
skipped), which must hold the label column. kmeans and pca models have no label: with no input they
report the metrics of their training rows, with input those of the rows given.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine import metrics
from sqlml.engine.context import MLContext
from sqlml.engine.data.features import find_column
from sqlml.engine.functions.centroids_and_components import with_trial
from sqlml.engine.functions.predict import binary_threshold
from sqlml.engine.sqltext.sql_types import sql_message, sql_type
from sqlml.engine.store.eval_predictions import read_eval_predictions
from sqlml.engine.store.model import Model
from sqlml.errors import DataError, ProgrammingError
from sqlml.parser import MLFunction


def labels_and_scores(ctx: MLContext, call: MLFunction, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Stream the input, keeping its encoded labels and the model's scores."""
    y, scores, _ = labelled_rows(ctx, call, model)
    return y, scores


def labelled_rows(
    ctx: MLContext, call: MLFunction, model: Model, keep: dict[str, str] | None = None, keep_all: bool = False
) -> tuple[np.ndarray, np.ndarray, pa.Table]:
    """Stream the input, keeping its encoded labels, the model's scores and, for the same rows (those with a
    label), a table of the columns `keep` names (role -> column name as written, the table's column named
    by the role; a missing one is a ProgrammingError naming the role), or with `keep_all` of every column."""
    reader = ctx.open_input(call, model, with_label=True)
    names = reader.schema.names
    mapping = model.resolve(names)
    label = model.label_column(names)
    if label is None:
        raise ProgrammingError(
            f"ML.{call.function} input has no label column '{model.version.label}'; input columns: {', '.join(names)}"
        )
    kept = {name: name for name in names} if keep_all else {}
    for role, name in (keep or {}).items():
        kept[role] = find_column(names, name)
        if kept[role] is None:
            internal = {*mapping.values(), label} if model.transform else set()  # the TRANSFORM outputs' columns
            raise ProgrammingError(
                f"ML.{call.function}: {role} '{name}' is not a column of the input; input "
                f"columns: {', '.join(n for n in names if n not in internal)}"
            )
    ys, scores, columns = [], [], []
    for batch in reader:
        batch = batch.filter(pc.is_valid(batch.column(label)))
        if not batch.num_rows:
            continue
        columns.append(batch.select(list(kept.values())).rename_columns(list(kept)))
        y = batch.column(label)
        try:
            y = pc.cast(y, model.classes.type if model.is_classifier else pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise DataError(
                f"label column '{label}' ({sql_type(batch.schema.field(label).type)}) cannot be compared "
                f"with model {model.version.qualified_name}'s {sql_type(model.version.label_type)} labels: "
                f"{sql_message(exc)}"
            ) from None
        if model.is_classifier:
            codes = pc.index_in(y, value_set=model.classes)
            if codes.null_count:
                unknown = pc.unique(y.filter(pc.is_null(codes))).to_pylist()[:5]
                raise DataError(
                    f"label column '{label}' has value(s) {unknown} that are not classes of "
                    f"model {model.version.qualified_name} ({model.classes.to_pylist()})"
                )
            ys.append(codes.to_numpy(zero_copy_only=False))
        else:
            ys.append(y.to_numpy(zero_copy_only=False))
        scores.append(model.scores(batch, mapping))
    if not ys:
        raise DataError(f"ML.{call.function} input has no rows with a non-NULL label")
    return np.concatenate(ys), np.concatenate(scores), pa.Table.from_batches(columns)


def _features_and_scores(ctx: MLContext, call: MLFunction, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Stream the input of an unsupervised model, keeping its encoded rows and the model's scores."""
    reader = ctx.open_input(call, model)
    mapping = model.resolve(reader.schema.names)
    features = [model.encoder.transform(batch, mapping) for batch in reader]
    if not sum(len(X) for X in features):
        raise DataError("ML.EVALUATE input has no rows")
    X = np.concatenate(features)
    return X, model.estimator.predict(X)


def training_rows_notice(model: Model) -> str:
    """What ML.EVALUATE without input says when the version held no rows out."""
    version = model.version
    method = version.options.get("data_split_method")
    why = {
        "NO_SPLIT": "data_split_method was NO_SPLIT",
        "AUTO_SPLIT": "AUTO_SPLIT holds none out below 500 rows",
        "RANDOM": "RANDOM without data_split_eval_fraction holds none out below 500 rows",
    }.get(method, f"its {method} split gave no evaluation rows")
    return (
        f"model {version.qualified_name} version {version.version} held no rows out ({why}): these metrics are "
        f"measured on its {version.training_rows} training rows, so they flatter it; pass held-out rows, "
        f"ML.EVALUATE(MODEL {version.model_name}, TABLE t), or train with data_split_method='RANDOM', data_split_eval_fraction=0.2"
    )


def evaluate(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    if model.task == "forecasting":
        from sqlml.engine.functions import forecast_accuracy

        return forecast_accuracy.evaluate(ctx, call, model, params)
    if model.family.recommends:
        from sqlml.engine.functions import recommend

        return recommend.evaluate(ctx, call, model, params)
    forecasting_only = [p for p in ("perform_aggregation", "horizon", "confidence_level") if p in params]
    if forecasting_only:
        raise ProgrammingError(f"ML.EVALUATE parameter {forecasting_only[0]} applies to forecasting models only")
    threshold = binary_threshold(model, params)
    supervised = model.family.supervised
    if call.input_sql is None:
        row = (
            metrics.compute(model.task, *read_eval_predictions(model.version.eval_predictions), threshold=threshold)
            if supervised
            else model.version.metrics
        )
        if supervised and not model.version.eval_rows:
            ctx.notices.append(training_rows_notice(model))
    elif supervised:
        row = metrics.compute(model.task, *labels_and_scores(ctx, call, model), threshold=threshold)
    else:
        X, scores = _features_and_scores(ctx, call, model)
        row = metrics.compute(model.task, None, scores, X)
    table = pa.table({name: pa.array([value], pa.float64()) for name, value in row.items()})
    return with_trial(ctx, model, table, params.get("trial_id"))
