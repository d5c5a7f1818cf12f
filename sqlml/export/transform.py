"""A model's TRANSFORM clause as ONNX nodes, from the raw columns it reads to each feature it outputs.

The fitted TRANSFORM outputs are DuckDB expressions (engine/transform.py). This translates the part of
SQL they are written in: columns, number and string literals, + - * / and unary minus, comparisons, AND,
OR, NOT, IS [NOT] NULL, CASE, COALESCE, GREATEST / LEAST, CAST to numbers, integers and text, ||,
LIST_POSITION over a literal list, and LN, LOG10, EXP, SQRT, ABS, POWER, FLOOR, CEIL, ROUND. That covers
ML.STANDARD_SCALER, MIN_MAX_SCALER, MAX_ABS_SCALER, ROBUST_SCALER, IMPUTER, BUCKETIZE,
QUANTILE_BUCKETIZE, LABEL_ENCODER and arithmetic of one's own. Anything else (ML.ONE_HOT_ENCODER's
lists, ML.TF_IDF, date parts, ...) is a NotSupportedError naming the TRANSFORM output and the
expression. Values are double (NULL as NaN), strings (NULL as "") or booleans; arithmetic is in double
precision, as DuckDB computes it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import sqlglot
from onnx import TensorProto
from sqlglot import exp

from sqlml.engine.features import column_kind, find_column
from sqlml.engine.transform import Transform
from sqlml.errors import NotSupportedError
from sqlml.export.features import INT64_NULL, input_type
from sqlml.export.graph import Graph


class Value(NamedTuple):
    name: str
    kind: str  # "num" (double), "int" (double holding whole numbers), "str" or "bool"


_ARITHMETIC = {exp.Add: "Add", exp.Sub: "Sub", exp.Mul: "Mul", exp.Div: "Div"}
_COMPARE = {exp.EQ: ("Equal", False), exp.NEQ: ("Equal", True), exp.GT: ("Greater", False),
            exp.GTE: ("GreaterOrEqual", False), exp.LT: ("Less", False), exp.LTE: ("LessOrEqual", False)}
_MATH = {exp.Ln: "Log", exp.Exp: "Exp", exp.Sqrt: "Sqrt", exp.Abs: "Abs", exp.Floor: "Floor", exp.Ceil: "Ceil"}
_NUMBER_TYPES = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL}
_INTEGER_TYPES = {exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
                  exp.DataType.Type.TINYINT}
_TEXT_TYPES = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR}


class _Unsupported(Exception):
    """An expression with no ONNX form here."""


class _Translator:
    def __init__(self, g: Graph, raw: pa.Schema):
        self.g, self.raw, self.columns = g, raw, {}

    def column(self, name: str) -> Value:
        """A raw input column (one graph input, however many outputs read it)."""
        found = find_column(self.raw.names, name)
        if found is None:
            raise _Unsupported(name)
        if found not in self.columns:
            spec = {"name": found, "type": str(self.raw.field(found).type),
                    "kind": column_kind(found, self.raw.field(found).type)}
            x = self.g.input(found, input_type(spec), [None, 1])
            if spec["kind"] == "categorical":
                self.columns[found] = Value(x, "str")
            else:
                integer = input_type(spec) == TensorProto.INT64
                number = self.g.op("Cast", x, to=TensorProto.DOUBLE)
                if integer:  # the int64 NULL becomes NaN like every other number's
                    number = self.g.op("Where", self.g.op("Equal", x, self.g.const([[INT64_NULL]], "null", np.int64)),
                                       self.g.const([[np.nan]], "nan", np.float64), number)
                self.columns[found] = Value(number, "int" if integer else "num")
        return self.columns[found]

    def null_of(self, kind: str) -> Value:
        if kind == "str":
            return Value(self.g.const([[""]], "null"), "str")
        return Value(self.g.const([[np.nan]], "nan", np.float64), kind)

    def is_null(self, v: Value) -> str:
        if v.kind == "str":
            return self.g.op("Equal", v.name, self.g.const([[""]], "empty"))
        if v.kind == "bool":
            return self.g.op("And", v.name, self.g.op("Not", v.name))  # booleans here are never NULL
        return self.g.op("IsNaN", v.name)

    def number(self, node: exp.Expr) -> Value:
        v = self(node)
        if v.kind == "bool":
            return Value(self.g.op("Cast", v.name, to=TensorProto.DOUBLE), "int")
        if v.kind == "str":
            raise _Unsupported(node.sql("duckdb"))
        return v

    def __call__(self, node: exp.Expr) -> Value:
        g = self.g
        if isinstance(node, exp.Paren):
            return self(node.this)
        if isinstance(node, exp.Column):
            return self.column(node.name)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return Value(g.const([[node.this]], "text"), "str")
            value = float(node.this)
            return Value(g.const([[value]], "number", np.float64), "int" if value.is_integer() else "num")
        if isinstance(node, exp.Null):
            return Value("", "null")
        if type(node) in _ARITHMETIC:
            a, b = self.number(node.this), self.number(node.expression)
            kind = "int" if a.kind == b.kind == "int" and not isinstance(node, exp.Div) else "num"
            return Value(g.op(_ARITHMETIC[type(node)], a.name, b.name), kind)
        if isinstance(node, exp.Neg):
            v = self.number(node.this)
            return Value(g.op("Neg", v.name), v.kind)
        if type(node) in _COMPARE:
            a, b = self(node.this), self(node.expression)
            if {a.kind, b.kind} & {"str"} and a.kind != b.kind:
                raise _Unsupported(node.sql("duckdb"))
            op, negate = _COMPARE[type(node)]
            result = g.op(op, a.name, b.name)
            return Value(g.op("Not", result) if negate else result, "bool")
        if isinstance(node, (exp.And, exp.Or)):
            a, b = self(node.this), self(node.expression)
            return Value(g.op("And" if isinstance(node, exp.And) else "Or", a.name, b.name), "bool")
        if isinstance(node, exp.Not):
            return Value(g.op("Not", self(node.this).name), "bool")
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return Value(self.is_null(self(node.this)), "bool")
        if isinstance(node, exp.Case):
            return self.case([(w.this, w.args["true"]) for w in node.args["ifs"]], node.args.get("default"))
        if isinstance(node, exp.Coalesce):
            return self.coalesce([node.this, *node.expressions])
        if isinstance(node, (exp.Greatest, exp.Least)):
            values = [self.number(n) for n in [node.this, *node.expressions]]
            kind = "int" if all(v.kind == "int" for v in values) else "num"
            return Value(g.op("Max" if isinstance(node, exp.Greatest) else "Min", *[v.name for v in values]), kind)
        if isinstance(node, exp.Cast):
            return self.cast(node)
        if isinstance(node, exp.DPipe):
            a, b = self(node.this), self(node.expression)
            if a.kind != "str" or b.kind != "str":
                raise _Unsupported(node.sql("duckdb"))
            return Value(g.op("StringConcat", a.name, b.name), "str")
        if type(node) in _MATH:
            v = self.number(node.this)
            return Value(g.op(_MATH[type(node)], v.name), "int" if isinstance(node, (exp.Floor, exp.Ceil)) else "num")
        if isinstance(node, exp.Log) and node.expression is None:
            return Value(g.op("Div", g.op("Log", self.number(node.this).name),
                              g.const([[np.log(10.0)]], "ln10", np.float64)), "num")
        if isinstance(node, exp.Pow):
            return Value(g.op("Pow", self.number(node.this).name, self.number(node.expression).name), "num")
        if isinstance(node, exp.Round) and node.args.get("decimals") is None:
            return Value(self.round_half_away(self.number(node.this).name), "int")
        if isinstance(node, exp.Anonymous) and node.name.upper() == "LIST_POSITION":
            return self.list_position(node)
        raise _Unsupported(node.sql("duckdb"))

    def round_half_away(self, x: str) -> str:
        """DuckDB's rounding (half away from zero); ONNX Round goes half to even."""
        g = self.g
        return g.op("Mul", g.op("Sign", x), g.op("Floor", g.op("Add", g.op("Abs", x), g.const([[0.5]], "half", np.float64))))

    def case(self, branches: list[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None) -> Value:
        values = [self(then) for _, then in branches] + [self(default) if default is not None else Value("", "null")]
        kinds = {v.kind for v in values} - {"null"}
        kind = "num" if kinds == {"num", "int"} else kinds.pop() if len(kinds) == 1 else None
        if kind is None or kind == "bool":
            raise _Unsupported("CASE of mixed or boolean results")
        values = [self.null_of(kind) if v.kind == "null" else v for v in values]
        result = values[-1].name
        for (condition, _), value in reversed(list(zip(branches, values))):
            result = self.g.op("Where", self(condition).name, value.name, result)
        return Value(result, kind)

    def coalesce(self, nodes: list[exp.Expr]) -> Value:
        values = [self(n) for n in nodes]
        result = values[-1]
        for v in reversed(values[:-1]):
            if v.kind != result.kind and {v.kind, result.kind} != {"num", "int"}:
                raise _Unsupported("COALESCE of different types")
            kind = v.kind if v.kind == result.kind else "num"
            result = Value(self.g.op("Where", self.is_null(v), result.name, v.name), kind)
        return result

    def cast(self, node: exp.Cast) -> Value:
        to = node.to.this
        if to in _NUMBER_TYPES:
            v = self.number(node.this)
            return Value(v.name, "num")
        if to in _INTEGER_TYPES:
            v = self.number(node.this)
            return Value(v.name if v.kind == "int" else self.round_half_away(v.name), "int")
        if to in _TEXT_TYPES:
            text = self.text(self(node.this))
            if text is not None:
                return text
        raise _Unsupported(node.sql("duckdb"))

    def text(self, v: Value) -> Value | None:
        """A string, a whole number or a boolean as DuckDB's text; None for other numbers."""
        g = self.g
        if v.kind == "str":
            return v
        if v.kind == "int":  # whole numbers print without a fraction; NULL stays NULL ("")
            text = g.op("Cast", g.op("Cast", v.name, to=TensorProto.INT64), to=TensorProto.STRING)
            return Value(g.op("Where", self.is_null(v), g.const([[""]], "null"), text), "str")
        if v.kind == "bool":
            return Value(g.op("Where", v.name, g.const([["true"]], "true"), g.const([["false"]], "false")), "str")
        return None

    def list_position(self, node: exp.Anonymous) -> Value:
        """LIST_POSITION(['a', 'b'], x): the 1-based position of x, NULL when absent."""
        listed, x = node.expressions
        if not isinstance(listed, exp.Array) or not all(isinstance(e, exp.Literal) and e.is_string
                                                        for e in listed.expressions):
            raise _Unsupported(node.sql("duckdb"))
        value = self(x)
        if value.kind != "str":
            raise _Unsupported(node.sql("duckdb"))
        keys = [e.this for e in listed.expressions]
        codes = self.g.op("LabelEncoder", value.name, domain="ai.onnx.ml", keys_strings=keys,
                          values_floats=[float(i) for i in range(1, len(keys) + 1)], default_float=np.nan)
        return Value(self.g.op("Cast", codes, to=TensorProto.DOUBLE), "int")


def transform_columns(g: Graph, transform: Transform, specs: list[dict], raw: pa.Schema) -> dict[str, str]:
    """Feature name -> graph value, for the TRANSFORM outputs the model reads (`raw`: the schema of the
    training query, which types the raw inputs). Numbers come out as double, categories as strings."""
    translate = _Translator(g, raw)
    kinds = {spec["name"]: spec["kind"] for spec in specs}
    values = {}
    for output in transform.features:
        try:
            value = translate(sqlglot.parse_one(output["sql"], read="duckdb"))
        except _Unsupported as exc:
            raise NotSupportedError(f"EXPORT MODEL: TRANSFORM output '{output['name']}' has no ONNX form: {exc} "
                                    "(see docs/statements.md, EXPORT MODEL, for the SQL an export translates)") from None
        wanted = kinds.get(output["name"])
        if wanted == "categorical" and value.kind in ("int", "bool"):
            value = translate.text(value)
        if wanted == "numeric" and value.kind == "bool":
            value = Value(g.op("Cast", value.name, to=TensorProto.DOUBLE), "int")
        if (wanted == "numeric") != (value.kind in ("num", "int")) or value.kind == "null":
            raise NotSupportedError(f"EXPORT MODEL: TRANSFORM output '{output['name']}' is a {wanted} feature "
                                    "whose ONNX form here is not")
        values[output["name"]] = value.name
    return values
