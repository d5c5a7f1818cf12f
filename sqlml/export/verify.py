"""Verification before writing: the exported graph, run by ONNX Runtime (or the C file, compiled: export/c_build.py),
against the engine's own model.

Rows: the version's evaluation split, re-read from its training query and split as at training (a sample
of up to 10,000 training rows when it had no split, and for kmeans, pca and autoencoders). Figures: agreement of predicted
labels (classes, centroid ids), the largest absolute difference of probabilities or values (an autoencoder's:
over its reconstruction, middle layer and reconstruction error), and the metric on those rows
natively and exported (accuracy for classifiers, RMSE for regressors, centroid agreement for k-means, the
RMSE of the components against the engine's for PCA). Limits: an unquantized graph must agree on at least
99.9% of labels with max |diff| <= 1e-4 (relative to the values' scale for regressors, PCA and autoencoders); a
quantized one may lose at most max_metric_drop (default: 1 accuracy point, 2% relative RMSE), and a
float16 one must also agree on at least 99.5% of labels.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext
from sqlml.engine.data.onnx_values import onnx_input
from sqlml.engine.data.rows import split_rows
from sqlml.engine.data.transform import registered
from sqlml.engine.families.base import training_sample
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import DataError

MIN_AGREEMENT, MAX_DIFF = 0.999, 1e-4
MIN_FLOAT16_AGREEMENT = 0.995


def verification_rows(ctx: MLContext, model: Model) -> pa.Table:
    version = model.version
    table = ctx.read_table(version.training_sql)
    if version.label is not None and version.label in table.column_names:
        table = table.filter(pc.is_valid(table.column(version.label)))
    train_idx, eval_idx, _ = (
        split_rows(table, version.options)
        if model.family.supervised
        else (np.arange(table.num_rows), np.arange(0), np.arange(0))
    )  # kmeans, pca: every row trains
    if not len(eval_idx):
        eval_idx = train_idx[training_sample(len(train_idx), version.options["seed"])]
    if not len(eval_idx):
        raise DataError(
            f"EXPORT MODEL: the training query of {version.qualified_name} returns no rows now, so "
            "the export cannot be verified"
        )
    return table.take(eval_idx)


def feeds(session: ort.InferenceSession, rows: pa.Table) -> dict[str, np.ndarray]:
    """The graph's inputs from Arrow columns, as a device sends them (export/features.py's conventions)."""
    return {arg.name: onnx_input(rows.column(arg.name), arg.type).reshape(-1, 1) for arg in session.get_inputs()}


def native_features(ctx: MLContext, model: Model, rows: pa.Table) -> np.ndarray:
    """What the model's estimator reads for `rows` (through the model's TRANSFORM, if any)."""
    if model.transform is None:
        return model.features(rows)
    with registered(ctx.cur, rows) as name:
        prepared = ctx.read_table(model.input_sql(f"SELECT * FROM {name}", rows.column_names))
    return model.features(prepared, model.resolve(prepared.column_names))


def _side_outputs(model: Model, X: np.ndarray) -> dict[str, np.ndarray]:
    """The graph's outputs besides the scores, as the engine computes them from features X: an autoencoder's
    middle layer and reconstruction error."""
    if not model.family.autoencodes:
        return {}
    return {
        "latent_space": model.estimator.embed(X),
        "mean_squared_error": model.estimator.losses(X)["mean_squared_error"],
    }


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)))


def verify(ctx: MLContext, model: Model, graph: onnx.ModelProto, quantize: str, max_metric_drop: float | None) -> dict:
    """The figures above for the graph run by ONNX Runtime; DataError reporting them when it misses its limits."""
    rows = verification_rows(ctx, model)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # no notes about initializers it optimizes away
    session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds(session, rows))))
    return compare(ctx, model, rows, outputs, quantize, max_metric_drop, "the ONNX graph")


def compare(
    ctx: MLContext,
    model: Model,
    rows: pa.Table,
    outputs: dict[str, np.ndarray],
    quantize: str,
    max_metric_drop: float | None,
    what: str,
) -> dict:
    """The figures of an export's `outputs` for `rows` (by output name) against the engine's predictions;
    DataError naming `what` when they miss the limits."""
    X = native_features(ctx, model, rows)
    native = model.estimator.predict(X)
    exported = np.asarray(outputs[scores_output(model)], np.float64)
    broken = int((~np.isfinite(exported) & np.isfinite(native)).sum())
    if broken:
        raise DataError(
            f"EXPORT MODEL: {what} gives NaN or infinite scores for {broken} of {rows.num_rows} "
            "rows where the model does not (an overflow in reduced precision?); nothing was written"
        )
    differences = [np.max(np.abs(exported - native))] + [
        np.max(np.abs(outputs[name] - values)) for name, values in _side_outputs(model, X).items()
    ]
    figures = {"rows": rows.num_rows, "max_abs_diff": float(max(differences))}
    scale = 1.0
    if model.is_classifier:
        native_labels, exported_labels = predicted_labels(native, 0.5), predicted_labels(exported, 0.5)
        figures["label_agreement"] = float(np.mean(native_labels == exported_labels))
        truth = rows.column(model.version.label) if model.version.label in rows.column_names else None
        if truth is not None:
            y = pc.index_in(truth, value_set=model.classes).to_numpy(zero_copy_only=False)
            figures |= {
                "metric": "accuracy",
                "metric_native": float(np.mean(native_labels == y)),
                "metric_exported": float(np.mean(exported_labels == y)),
            }
    elif model.family.clustering:
        agreement = float(np.mean(native.argmin(axis=1) == exported.argmin(axis=1)))
        figures |= {
            "label_agreement": agreement,
            "metric": "centroid_agreement",
            "metric_native": 1.0,
            "metric_exported": agreement,
        }
    else:
        scale = max(1.0, float(np.max(np.abs(native))))
        if model.family.supervised and model.version.label in rows.column_names:
            y = pc.cast(rows.column(model.version.label), pa.float64()).to_numpy(zero_copy_only=False)
            figures |= {"metric": "rmse", "metric_native": _rmse(native, y), "metric_exported": _rmse(exported, y)}
        else:
            figures |= {"metric": "rmse_vs_native", "metric_native": 0.0, "metric_exported": _rmse(exported, native)}
    _check(figures, quantize, max_metric_drop, scale, what)
    return figures


def _check(figures: dict, quantize: str, max_metric_drop: float | None, scale: float, what: str) -> None:
    agreement = figures.get("label_agreement", 1.0)
    if quantize == "FLOAT16" and agreement < MIN_FLOAT16_AGREEMENT:
        raise DataError(
            f"EXPORT MODEL: quantize='float16' agrees with the model on {agreement:.2%} of "
            f"{figures['rows']} rows' labels, under {MIN_FLOAT16_AGREEMENT:.1%}; nothing was written "
            "(export with quantize='none')"
        )
    if quantize == "NONE":
        if agreement < MIN_AGREEMENT or figures["max_abs_diff"] > MAX_DIFF * scale:
            raise DataError(
                f"EXPORT MODEL: {what} does not reproduce the model (label agreement "
                f"{agreement:.4%}, max |diff| {figures['max_abs_diff']:.3g} on {figures['rows']} rows; "
                f"limits {MIN_AGREEMENT:.1%} and {MAX_DIFF * scale:.3g}); nothing was written"
            )
        return
    if "metric" not in figures:
        return
    native, exported = figures["metric_native"], figures["metric_exported"]
    if figures["metric"] in ("accuracy", "centroid_agreement"):
        drop, limit = native - exported, 0.01 if max_metric_drop is None else max_metric_drop
        shown = f"{figures['metric']} {native:.4f} -> {exported:.4f} (drop {drop:.4f}, limit {limit:.4f})"
    else:
        base = native if native > 0 else max(1e-12, float(scale))
        drop, limit = (exported - native) / base, 0.02 if max_metric_drop is None else max_metric_drop
        shown = f"{figures['metric']} {native:.6g} -> {exported:.6g} (relative rise {drop:.4f}, limit {limit:.4f})"
    figures["metric_drop"] = drop
    if drop > limit:
        raise DataError(
            f"EXPORT MODEL: quantization costs too much: {shown} on {figures['rows']} rows; nothing "
            "was written (raise max_metric_drop to accept it, or export with quantize='none')"
        )


def figure_columns(figures: dict) -> dict:
    """The result row's columns of the verification `figures`, as every export format reports them."""
    return {
        "rows_verified": figures["rows"],
        "label_agreement": figures.get("label_agreement"),
        "max_abs_diff": figures["max_abs_diff"],
        "metric": figures.get("metric"),
        "metric_native": figures.get("metric_native"),
        "metric_exported": figures.get("metric_exported"),
    }


def scores_output(model: Model) -> str:
    """The graph output holding the estimator's scores (see export/outputs in exporter.py)."""
    if model.family.clustering:
        return "centroid_distances"
    if model.family.reduces_dimensions:
        return "principal_components"
    if model.family.autoencodes:
        return "reconstruction"
    label = model.version.label
    return f"predicted_{label}_probs" if model.is_classifier else f"predicted_{label}"
