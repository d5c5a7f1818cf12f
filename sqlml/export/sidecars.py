"""What EXPORT MODEL writes beside the .onnx file: <stem>.json, the machine-readable description
(inputs, outputs, classes, NULL conventions, version, lineage, verification figures), and <stem>.md, a
model card for people (purpose, specification, training data and lineage, metrics, limitations)."""

from __future__ import annotations

import onnx
from onnx import helper

from sqlml.engine.model import Model

NULLS = {"double": "NaN", "float": "NaN", "int64": "-9223372036854775808 (the smallest int64)", "string": '""'}


def _type(value_info: onnx.ValueInfoProto) -> str:
    return helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type).name.replace(
        "float64", "double").replace("float32", "float").replace("object", "string")


def _shape(value_info: onnx.ValueInfoProto) -> list:
    return [d.dim_value or "N" for d in value_info.type.tensor_type.shape.dim]


def describe(model: Model, graph: onnx.ModelProto, figures: dict, scores: str) -> dict:
    version = model.version
    return {
        "model": version.qualified_name, "version": version.version,
        "model_type": version.model_type, "estimator_type": version.estimator_type or version.model_type,
        "created_at": version.created_at,
        "inputs": [{"name": i.name, "type": _type(i), "shape": _shape(i), "null": NULLS.get(_type(i))}
                   for i in graph.graph.input],
        "outputs": [{"name": o.name, "type": _type(o), "shape": _shape(o)} for o in graph.graph.output],
        "scores_output": scores,
        "classes": None if model.classes is None else model.classes.to_pylist(),
        "label": version.label,
        "preprocessing": {"features": version.features, "transform": version.transform},
        "lineage": {"training_sql": version.training_sql, "training_rows": version.training_rows,
                    "eval_rows": version.eval_rows, "dropped_rows": version.dropped_rows,
                    "data_fingerprint": version.data_fingerprint, "options": version.options},
        "metrics": version.metrics,
        "verification": figures,
        "opsets": {o.domain or "ai.onnx": o.version for o in graph.opset_import},
    }


def _table(rows: list[tuple]) -> str:
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)


def model_card(model: Model, d: dict) -> str:
    version, v = model.version, d["verification"]
    purpose = version.options.get("description") or (
        f"A {d['estimator_type']} model predicting `{version.label}`" if version.label
        else f"A {d['estimator_type']} model")
    metric_rows = [("metric", "value")] + [("---", "---")] + [(k, f"{x:.6g}" if isinstance(x, float) else x)
                                                                for k, x in (version.metrics or {}).items()]
    lines = [
        f"# Model card: {d['model']} (version {d['version']})", "",
        "## Overview", "", f"{purpose}. Trained by sqlml on {version.created_at}; exported as ONNX "
        f"(quantize={v['quantize']}, {v['bytes']:,} bytes).", "",
        "## Specification", "",
        f"- Model type: `{d['model_type']}`" + (f" (AutoML winner: `{d['estimator_type']}`)"
                                                if d["estimator_type"] != d["model_type"] else ""),
        "- Inputs (one per raw column, shape [N, 1]; the NULL value a device sends):", "",
        _table([("input", "type", "NULL as"), ("---", "---", "---")] +
               [(f"`{i['name']}`", i["type"], i["null"]) for i in d["inputs"]]), "",
        "- Outputs: " + ", ".join(f"`{o['name']}` {o['type']} {o['shape']}" for o in d["outputs"]),
        *([f"- Classes, in the order of the probability columns: {d['classes']}"] if d["classes"] else []),
        "- Preprocessing inside the graph: " + ("the TRANSFORM clause, then " if version.transform else "")
        + "automatic preprocessing (mean imputation, standardization or category codes as at training).", "",
        "## Training data and lineage", "",
        f"- Query: `{' '.join(version.training_sql.split())}`",
        f"- Rows: {version.training_rows} training, {version.eval_rows} evaluation, {version.dropped_rows} "
        "dropped (NULL label)", f"- Data fingerprint: `{version.data_fingerprint}`", "",
        "## Metrics (evaluation split, at training)", "", _table(metric_rows), "",
        "## Export verification", "",
        f"On {v['rows']} evaluation rows, ONNX Runtime against sqlml's own predictions: "
        + (f"label agreement {v['label_agreement']:.4%}, " if "label_agreement" in v else "")
        + f"max |difference| {v['max_abs_diff']:.3g}"
        + (f", {v['metric']} {v['metric_native']:.6g} native vs {v['metric_exported']:.6g} exported"
           if "metric" in v else "") + ".", "",
        "## Limitations", "",
        "- The model has only seen data like its training query's; categories unseen at training are "
        "ignored (one-hot) or read as NULL (trees).",
        "- Numbers are imputed with the training mean when NULL; a device must send the NULL values above.",
    ]
    return "\n".join(lines) + "\n"
