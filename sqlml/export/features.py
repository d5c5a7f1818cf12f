"""The model's automatic preprocessing (engine/features.py) as ONNX: raw input columns -> feature matrix.

One graph input per feature column, shape [N, 1], typed as the column: double (float for FLOAT/REAL) for
numbers (and unsigned 64-bit integers), int64 for other integers, string for strings, booleans ('true' /
'false'), dates ('2024-01-31') and times (as DuckDB writes them, '10:00:00' or '10:00:00.5'). NULL is NaN in a float input, the smallest int64 (-9223372036854775808) in an int64 input and ""
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
_INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")  # uint64 goes in as double


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


def _number(g: Graph, x: str, elem_type: int) -> str:
    """A numeric input in the graph's precision, its NULL as NaN."""
    if elem_type == TensorProto.INT64:
        missing = g.op("Equal", x, g.const([[INT64_NULL]], "null", dtype=np.int64))
        return g.op("Where", missing, g.const([[np.nan]], "nan"), g.op("Cast", x, to=g.elem_type))
    return x if elem_type == g.elem_type else g.op("Cast", x, to=g.elem_type)


def duckdb_time(text: str) -> str:
    """A time as pyarrow writes it ('10:00:00.500000') as DuckDB does ('10:00:00.5'; '10:00:00' when whole)."""
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _codes(g: Graph, x: str, spec: dict, keys: list[str], codes: list[int], default: int) -> str:
    """keys -> codes (default for anything else); a TIME vocabulary also takes DuckDB's text of each time."""
    if spec.get("type", "").startswith("time"):
        extra = {duckdb_time(k): c for k, c in zip(keys, codes) if duckdb_time(k) != k}
        keys, codes = keys + list(extra), codes + list(extra.values())
    if not keys:  # an all-NULL column at training: every value is unseen
        keys, codes = ["\x00"], [default]
    return g.op("LabelEncoder", x, domain="ai.onnx.ml", keys_strings=keys, values_int64s=codes, default_int64=default)


def _categorical(g: Graph, x: str, spec: dict, encoder: FeatureEncoder) -> str | None:
    """Label codes (trees) or one-hot columns (linear models; None when there are none)."""
    vocabulary = spec["vocabulary"]
    if "" in vocabulary:
        raise NotSupportedError(f"EXPORT MODEL: feature '{spec['name']}' has the empty string as a category, "
                                "but an exported model reads \"\" as NULL; map it to another value first")
    if not encoder.linear:  # label encoding: 1-based position in the vocabulary, 0 for NULL or unseen
        return g.op("Cast", _codes(g, x, spec, vocabulary, list(range(1, len(vocabulary) + 1)), 0), to=g.elem_type)
    keys = vocabulary + ([""] if spec["has_null"] else [])  # one-hot; NULL a category of its own, last
    if not keys:
        return None
    codes = _codes(g, x, spec, keys, list(range(len(keys))), -1)
    hot = g.op("Equal", codes, g.const(np.arange(len(keys), dtype=np.int64).reshape(1, -1), "positions"))
    return g.op("Cast", hot, to=g.elem_type)


def feature_matrix(g: Graph, encoder: FeatureEncoder, column_of: dict[str, str] | None = None) -> str:
    """Add an input per feature column (or use `column_of[feature]`, a value TRANSFORM computed: a double,
    a string, or a dense double vector for a sparse feature; a STRUCT feature's fields by their names) and
    return the matrix the estimator reads, columns in encoder.output_names order. Numbers are imputed and
    standardized in one step for all columns: (x - mean) / std, as the engine computes it, other columns
    passing through as (v - 0) / 1."""
    columns, fill, center, scale = [], [], [], []
    standardize = encoder.linear and encoder.scale
    for spec in encoder.specs:
        for leaf in spec["parts"] if spec["kind"] == "struct" else [spec]:
            if column_of and leaf["name"] in column_of:
                x, elem_type = column_of[leaf["name"]], TensorProto.DOUBLE
            else:
                elem_type = input_type(spec)  # a raw STRUCT column is refused here
                x = g.input(leaf["name"], elem_type, [None, 1])
            if leaf["kind"] == "numeric":
                columns.append(_number(g, x, elem_type))
                fill.append(leaf["mean"])
                center.append(leaf["mean"] if standardize else 0.0)
                scale.append(leaf["std"] if standardize else 1.0)
                continue
            column = _categorical(g, x, leaf, encoder) if leaf["kind"] == "categorical" else \
                _number(g, x, elem_type)  # a dense vector TRANSFORM computed
            columns += [column] if column is not None else []
            width = encoder.width(leaf)
            fill, center, scale = fill + [0.0] * width, center + [0.0] * width, scale + [1.0] * width
    X = g.op("Concat", *columns, axis=1, hint="features") if len(columns) > 1 else columns[0]
    X = g.op("Where", g.op("IsNaN", X), g.const([fill], "means"), X, hint="imputed")
    if standardize:
        X = g.op("Div", g.op("Sub", X, g.const([center], "means")), g.const([scale], "stds"), hint="standardized")
    return X
