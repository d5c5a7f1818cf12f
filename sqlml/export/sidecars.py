"""What EXPORT MODEL writes beside the .onnx file: <stem>.json, the machine-readable description
(inputs, outputs, classes, NULL conventions, version, lineage, verification figures), and <stem>.md, a
model card for people: ML.MODEL_CARD's (engine/functions/model_card.py) with a section on the export (the graph's
inputs and their NULL values, outputs, verification figures)."""

from __future__ import annotations

import onnx
from onnx import helper

from sqlml.engine.context import MLContext
from sqlml.engine.functions import card_render
from sqlml.engine.functions.model_card import build
from sqlml.engine.store.model import Model

NULLS = {"double": "NaN", "float": "NaN", "int64": "-9223372036854775808 (the smallest int64)", "string": '""'}


def _type(value_info: onnx.ValueInfoProto) -> str:
    return (
        helper.tensor_dtype_to_np_dtype(value_info.type.tensor_type.elem_type)
        .name.replace("float64", "double")
        .replace("float32", "float")
        .replace("object", "string")
    )


def _shape(value_info: onnx.ValueInfoProto) -> list:
    return [d.dim_value or "N" for d in value_info.type.tensor_type.shape.dim]


def describe(model: Model, graph: onnx.ModelProto, figures: dict, scores: str) -> dict:
    version = model.version
    return {
        "model": version.qualified_name,
        "version": version.version,
        "model_type": version.model_type,
        "estimator_type": version.estimator_type or version.model_type,
        "created_at": version.created_at,
        "inputs": [
            {"name": i.name, "type": _type(i), "shape": _shape(i), "null": NULLS.get(_type(i))}
            for i in graph.graph.input
        ],
        "outputs": [{"name": o.name, "type": _type(o), "shape": _shape(o)} for o in graph.graph.output],
        "scores_output": scores,
        "classes": None if model.classes is None else model.classes.to_pylist(),
        "label": version.label,
        "preprocessing": {"features": version.features, "transform": version.transform},
        "lineage": {
            "training_sql": version.training_sql,
            "training_rows": version.training_rows,
            "eval_rows": version.eval_rows,
            "dropped_rows": version.dropped_rows,
            "data_fingerprint": version.data_fingerprint,
            "options": version.options,
        },
        "metrics": version.metrics,
        "verification": figures,
        "opsets": {o.domain or "ai.onnx": o.version for o in graph.opset_import},
    }


def model_card(ctx: MLContext, model: Model, d: dict) -> str:
    """ML.MODEL_CARD's Markdown card of the version, plus a section on the export (`d`: describe's)."""
    card, v = build(ctx, model), d["verification"]
    outputs = ", ".join(f"{o['name']} {o['type']} {o['shape']}" for o in d["outputs"])
    check = (
        f"on {v['rows']} evaluation rows, ONNX Runtime against sqlml's own predictions: "
        + (f"label agreement {v['label_agreement']:.4%}, " if "label_agreement" in v else "")
        + f"max |difference| {v['max_abs_diff']:.3g}"
        + (
            f", {v['metric']} {v['metric_native']:.6g} native vs {v['metric_exported']:.6g} exported"
            if "metric" in v
            else ""
        )
        + "."
    )
    card.sections.append(
        card_render.Section(
            "Export (ONNX)",
            [
                f"Exported as ONNX: quantize={v['quantize']}, {v['bytes']:,} bytes, opsets "
                + ", ".join(f"{domain} {number}" for domain, number in d["opsets"].items())
                + ".",
                "Inputs, one per raw column, shape [N, 1], with the value a device sends for NULL:",
                card_render.Table(
                    ["input", "type", "NULL as"], [[i["name"], i["type"], i["null"]] for i in d["inputs"]]
                ),
                [
                    f"Outputs: {outputs}",
                    "Preprocessing inside the graph: "
                    + ("the TRANSFORM clause, then " if model.transform else "")
                    + "the automatic preprocessing, with the statistics learned at training",
                ],
                f"Verification: {check}",
            ],
        )
    )
    return card_render.markdown(card)
