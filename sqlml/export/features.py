"""The model's automatic preprocessing (engine/data/features.py) as ONNX: raw input columns -> feature matrix.

One graph input per feature column, shape [N, 1], typed as the column: double (float for FLOAT/REAL) for
numbers (and unsigned 64-bit integers), int64 for other integers, string for strings, booleans ('true' /
'false'), dates ('2024-01-31') and times (as DuckDB writes them, '10:00:00' or '10:00:00.5'), int64
microseconds since the epoch (UTC) for timestamps, decomposed in the graph as the engine decomposes them.
NULL is NaN in a float input, the smallest int64 (-9223372036854775808) in an int64 input and "" in a
string input; each is then treated as ML.PREDICT treats NULL. STRUCT and LIST columns have no ONNX input
form here (NotSupportedError naming the column).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from sqlml.engine.data.features import FeatureEncoder, spec_leaves
from sqlml.engine.data.onnx_values import INT64_NULL, duckdb_time
from sqlml.errors import NotSupportedError
from sqlml.export.graph import Graph

_INTEGERS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")  # uint64 goes in as double


def input_type(spec: dict) -> int:
    """The ONNX element type of a feature column's graph input."""
    arrow = spec["type"]
    if spec["kind"] == "numeric":
        return (
            TensorProto.INT64
            if arrow in _INTEGERS
            else TensorProto.FLOAT
            if arrow in ("float", "halffloat")
            else TensorProto.DOUBLE
        )
    if spec["kind"] == "categorical":
        return TensorProto.STRING
    if spec["kind"] == "timestamp":  # microseconds since 1970-01-01 00:00 UTC
        return TensorProto.INT64
    raise NotSupportedError(
        f"EXPORT MODEL: feature column '{spec['name']}' of type {arrow} has no ONNX input "
        "form yet (numbers, strings, booleans, dates and times do); cast it in the "
        "training query or in TRANSFORM"
    )


def _number(g: Graph, x: str, elem_type: int) -> str:
    """A numeric input in the graph's precision, its NULL as NaN."""
    if elem_type == TensorProto.INT64:
        missing = g.op("Equal", x, g.const([[INT64_NULL]], "null", dtype=np.int64))
        return g.op("Where", missing, g.const([[np.nan]], "nan"), g.op("Cast", x, to=g.elem_type))
    return x if elem_type == g.elem_type else g.op("Cast", x, to=g.elem_type)


def _codes(g: Graph, x: str, spec: dict, keys: list[str], codes: list[int], default: int) -> str:
    """keys -> codes (default for anything else); a TIME vocabulary also takes DuckDB's text of each time."""
    if spec.get("type", "").startswith("time"):
        extra = {duckdb_time(k): c for k, c in zip(keys, codes) if duckdb_time(k) != k}
        keys, codes = keys + list(extra), codes + list(extra.values())
    if not keys:  # an all-NULL column at training: every value is unseen
        keys, codes = ["\x00"], [default]
    return g.op("LabelEncoder", x, domain="ai.onnx.ml", keys_strings=keys, values_int64s=codes, default_int64=default)


def _categorical(g: Graph, x: str, spec: dict, encoder: FeatureEncoder) -> str | None:
    """Label codes or TARGET_ENCODING's means (trees), or one-hot columns (None when there are none), with
    DUMMY_ENCODING's dropped column always 0."""
    vocabulary = spec["vocabulary"]
    if "" in vocabulary:
        raise NotSupportedError(
            f"EXPORT MODEL: feature '{spec['name']}' has the empty string as a category, "
            'but an exported model reads "" as NULL; map it to another value first'
        )
    k = len(vocabulary)
    if not encoder.linear and "target" in spec:  # the means of the categories, then NULL's (""), then the unseen
        codes = _codes(g, x, spec, vocabulary + [""], list(range(k + 1)), k + 1)
        means = g.const(spec["target"], "target_means")
        return g.op("Gather", means, codes, axis=0)
    if not encoder.linear:  # label encoding: 1-based position in the vocabulary, 0 for NULL or unseen
        return g.op("Cast", _codes(g, x, spec, vocabulary, list(range(1, k + 1)), 0), to=g.elem_type)
    keys = vocabulary + ([""] if spec["has_null"] else [])  # one-hot; NULL a category of its own, last
    if not keys:
        return None
    positions = [-1 if i == spec.get("dropped") else i for i in range(len(keys))]  # -1: never hot
    codes = _codes(g, x, spec, keys, positions, -1)
    hot = g.op("Equal", codes, g.const(np.arange(len(keys), dtype=np.int64).reshape(1, -1), "positions"))
    return g.op("Cast", hot, to=g.elem_type)


class _Int64:
    """int64 arithmetic on graph values, with floor division and a non-negative modulo."""

    def __init__(self, g: Graph):
        self.g = g

    def c(self, value: int) -> str:
        return self.g.const([[value]], "k", np.int64)

    def __call__(self, op: str, a: str, b: int | str) -> str:
        return self.g.op(op, a, self.c(b) if isinstance(b, int) else b)

    def floor_div(self, a: str, b: int) -> str:
        return self("Div", self("Sub", a, self.g.op("Mod", a, self.c(b), fmod=0)), b)

    def mod(self, a: str, b: int) -> str:  # the sign of b (positive here), as Python's %
        return self.g.op("Mod", a, self.c(b), fmod=0)


def _days_from_civil(i: _Int64, year: str) -> str:
    """Days from 1970-01-01 to January 1 of `year` (H. Hinnant's days_from_civil, month 1, day 1)."""
    y = i("Sub", year, 1)
    era = i.floor_div(y, 400)
    yoe = i("Sub", y, i("Mul", era, 400))
    doe = i("Add", i("Add", i("Mul", yoe, 365), i("Sub", i("Div", yoe, 4), i("Div", yoe, 100))), 306)
    return i("Sub", i("Add", i("Mul", era, 146097), doe), 719468)


def _weeks_in_year(i: _Int64, year: str) -> str:
    """52 or 53: ISO years with 53 weeks start on a Thursday, or on a Wednesday in leap years."""

    def p(y):
        return i.mod(i("Add", i("Add", y, i.floor_div(y, 4)), i("Sub", i.floor_div(y, 400), i.floor_div(y, 100))), 7)

    long = i.g.op("Or", i.g.op("Equal", p(year), i.c(4)), i.g.op("Equal", p(i("Sub", year, 1)), i.c(3)))
    return i("Add", i.g.op("Cast", long, to=TensorProto.INT64), 52)


def timestamp_parts(g: Graph, x: str, spec: dict) -> dict[str, tuple[str, int]]:
    """Leaf name -> (value, element type) of a TIMESTAMP input (int64 microseconds, UTC): Unix epoch
    seconds (double) and the categorical parts as the engine's text ('1'..'31', ...), NULL as ""."""
    i = _Int64(g)
    missing = g.op("Equal", x, i.c(INT64_NULL))
    x = g.op("Where", missing, i.c(0), x)
    days = i.floor_div(x, 86_400_000_000)
    seconds_of_day = i("Div", i.mod(x, 86_400_000_000), 1_000_000)
    z = i("Add", days, 719468)  # H. Hinnant's civil_from_days
    era = i.floor_div(z, 146097)
    doe = i("Sub", z, i("Mul", era, 146097))
    yoe = i(
        "Div", i("Add", i("Sub", doe, i("Div", doe, 1460)), i("Sub", i("Div", doe, 36524), i("Div", doe, 146096))), 365
    )
    doy = i("Sub", doe, i("Add", i("Mul", yoe, 365), i("Sub", i("Div", yoe, 4), i("Div", yoe, 100))))
    mp = i("Div", i("Add", i("Mul", doy, 5), 2), 153)
    day = i("Add", i("Sub", doy, i("Div", i("Add", i("Mul", mp, 153), 2), 5)), 1)
    month = g.op("Where", g.op("Less", mp, i.c(10)), i("Add", mp, 3), i("Sub", mp, 9))
    year = i(
        "Add", i("Add", yoe, i("Mul", era, 400)), g.op("Cast", g.op("LessOrEqual", month, i.c(2)), to=TensorProto.INT64)
    )
    weekday = i.mod(i("Add", days, 3), 7)  # Monday 0 (1970-01-01 was a Thursday)
    ordinal = i("Add", i("Sub", days, _days_from_civil(i, year)), 1)
    week = i("Div", i("Add", i("Sub", ordinal, i("Add", weekday, 1)), 10), 7)
    previous = _weeks_in_year(i, i("Sub", year, 1))
    week = g.op(
        "Where",
        g.op("Less", week, i.c(1)),
        previous,
        g.op("Where", g.op("Greater", week, _weeks_in_year(i, year)), i.c(1), week),
    )
    parts = {
        "dom": day,
        "dow": weekday,
        "moy": month,
        "hod": i("Div", seconds_of_day, 3600),
        "moh": i("Div", i.mod(seconds_of_day, 3600), 60),
        "woy": week,
        "year": year,
    }
    epoch = g.op(
        "Where",
        missing,
        g.const([[np.nan]], "nan", np.float64),
        g.op("Cast", i("Div", x, 1_000_000), to=TensorProto.DOUBLE),
    )
    out = {spec["parts"][0]["name"]: (epoch, TensorProto.DOUBLE)}
    for leaf in spec["parts"][1:]:
        text = g.op("Cast", parts[leaf["part"]], to=TensorProto.STRING)
        out[leaf["name"]] = (g.op("Where", missing, g.const([[""]], "null"), text), TensorProto.STRING)
    return out


def feature_matrix(g: Graph, encoder: FeatureEncoder, column_of: dict[str, str] | None = None) -> str:
    """Add an input per feature column (or use `column_of[feature]`, a value TRANSFORM computed: a double,
    a string, or a dense double vector for a sparse feature; a STRUCT feature's fields by their names) and
    return the matrix the estimator reads, columns in encoder.output_names order. Numbers are imputed and
    standardized in one step for all columns: (x - mean) / std, as the engine computes it, other columns
    passing through as (v - 0) / 1."""
    columns, fill, center, scale = [], [], [], []
    standardize = encoder.linear and encoder.scale
    for spec in encoder.specs:
        parts = None
        if spec["kind"] == "timestamp" and not (column_of and spec["parts"][0]["name"] in column_of):
            parts = timestamp_parts(g, g.input(spec["name"], input_type(spec), [None, 1]), spec)
        for leaf in spec_leaves(spec):
            if parts:
                x, elem_type = parts[leaf["name"]]
            elif column_of and leaf["name"] in column_of:
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
            column = (
                _categorical(g, x, leaf, encoder) if leaf["kind"] == "categorical" else _number(g, x, elem_type)
            )  # a dense vector TRANSFORM computed
            columns += [column] if column is not None else []
            width = encoder.width(leaf)
            fill, center, scale = fill + [0.0] * width, center + [0.0] * width, scale + [1.0] * width
    X = g.op("Concat", *columns, axis=1, hint="features") if len(columns) > 1 else columns[0]
    X = g.op("Where", g.op("IsNaN", X), g.const([fill], "means"), X, hint="imputed")
    if standardize:
        X = g.op("Div", g.op("Sub", X, g.const([center], "means")), g.const([scale], "stds"), hint="standardized")
    return X
