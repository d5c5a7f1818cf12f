"""The model's automatic preprocessing (engine/features.py) as ONNX: raw input columns -> feature matrix.

One graph input per feature column, shape [N, 1], typed as the column: double (float for FLOAT/REAL) for
numbers, int64 for integers, string for strings, booleans ('true' / 'false'), dates ('2024-01-31') and
times. NULL is NaN in a float input, the smallest int64 (-9223372036854775808) in an int64 input and ""
in a string input; each is then treated as ML.PREDICT treats NULL.
Timestamps, STRUCT and LIST features have no ONNX form here (NotSupportedError naming the column).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from sqlml.engine.features import FeatureEncoder
from sqlml.errors import NotSupportedError
from sqlml.export.graph import Graph

INT64_NULL = np.iinfo(np.int64).min  # an int64 input's NULL
_INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def input_type(spec: dict) -> int:
    """The ONNX element type of a feature column's graph input."""
    arrow = spec["type"]
    if spec["kind"] == "numeric":
        return TensorProto.INT64 if arrow in _INTEGERS else TensorProto.FLOAT if arrow in ("float", "halffloat") \
            else TensorProto.DOUBLE
    if spec["kind"] == "categorical":
        return TensorProto.STRING
    raise NotSupportedError(f"EXPORT MODEL: feature column '{spec['name']}' of type {arrow} has no ONNX input "
                            "form yet (numbers, strings, booleans, dates and times do); cast it in the "
                            "training query or in TRANSFORM")


def _numeric(g: Graph, x: str, spec: dict, encoder: FeatureEncoder, integer: bool) -> str:
    missing = g.op("Equal", x, g.const([[INT64_NULL]], "null", dtype=np.int64)) if integer else None
    x = g.op("Cast", x, to=g.elem_type)
    x = g.op("Where", missing or g.op("IsNaN", x), g.const([[spec["mean"]]], "mean"), x, hint="imputed")
    if encoder.linear and encoder.scale:
        x = g.op("Div", g.op("Sub", x, g.const([[spec["mean"]]], "mean")), g.const([[spec["std"]]], "std"))
    return x


def _categorical(g: Graph, x: str, spec: dict, encoder: FeatureEncoder, integer: bool = False) -> str:
    vocabulary = spec["vocabulary"]
    if "" in vocabulary:
        raise NotSupportedError(f"EXPORT MODEL: feature '{spec['name']}' has the empty string as a category, "
                                "but an exported model reads \"\" as NULL; map it to another value first")
    if not encoder.linear:  # label encoding: 1-based position in the vocabulary, 0 for NULL or unseen
        codes = g.op("LabelEncoder", x, domain="ai.onnx.ml", keys_strings=vocabulary,
                     values_int64s=list(range(1, len(vocabulary) + 1)), default_int64=0)
        return g.op("Cast", codes, to=g.elem_type)
    keys = vocabulary + ([""] if spec["has_null"] else [])  # one-hot; NULL a category of its own, last
    codes = g.op("LabelEncoder", x, domain="ai.onnx.ml", keys_strings=keys,
                 values_int64s=list(range(len(keys))), default_int64=-1)
    hot = g.op("Equal", codes, g.const(np.arange(len(keys), dtype=np.int64).reshape(1, -1), "positions"))
    return g.op("Cast", hot, to=g.elem_type)


def feature_matrix(g: Graph, encoder: FeatureEncoder, column_of: dict[str, str] | None = None) -> str:
    """Add an input per feature column (or use `column_of[feature]`, a value already in the graph) and
    return the matrix the estimator reads, columns in encoder.output_names order."""
    columns = []
    for spec in encoder.specs:
        if column_of and spec["name"] in column_of:
            x, integer = column_of[spec["name"]], False
        else:
            x = g.input(spec["name"], input_type(spec), [None, 1])
            integer = input_type(spec) == TensorProto.INT64
        encode = _numeric if spec["kind"] == "numeric" else _categorical
        columns.append(encode(g, x, spec, encoder, integer))
    return g.op("Concat", *columns, axis=1, hint="features") if len(columns) > 1 else columns[0]
