"""A model's TRANSFORM clause as ONNX nodes, from the raw columns it reads to each feature it outputs.

The fitted TRANSFORM outputs are DuckDB expressions (engine/data/transform.py). This translates the part of
SQL they are written in: columns, number and string literals, + - * / and unary minus, comparisons, AND,
OR and NOT in SQL's three-valued logic, IS [NOT] NULL, CASE, COALESCE, GREATEST / LEAST (ignoring NULL),
CAST to numbers, integers and text, ||, NULLIF, struct literals and STRUCT_EXTRACT, one-entry sparse
lists, literal lists with comprehensions and LIST_SUM over them, LIST_POSITION over a literal list, and
LN, LOG, LOG10, EXP, SQRT, ABS, POWER, FLOOR, CEIL, ROUND. That covers ML.STANDARD_SCALER,
MIN_MAX_SCALER, MAX_ABS_SCALER, ROBUST_SCALER, IMPUTER, BUCKETIZE, QUANTILE_BUCKETIZE, LABEL_ENCODER,
ONE_HOT_ENCODER, POLYNOMIAL_EXPAND, FEATURE_CROSS, NORMALIZER of listed columns and arithmetic of one's
own. Text: STR_SPLIT(text, 'delimiter') becomes tokens (ONNX StringSplit), and an output that is one
call of ML.BAG_OF_WORDS, TF_IDF, MULTI_HOT_ENCODER or NGRAMS over split text is built from the call
kept with the TRANSFORM (function, vocabulary, IDF), not from its SQL (the nodes: export/text.py). Anything
else (ML.HASH_BUCKETIZE's hash, LOWER / UPPER, list functions over LIST columns, date parts, ...) is a NotSupportedError
naming the TRANSFORM output and the expression. Values are double (NULL as NaN), strings (NULL as ""),
booleans with a NULL mask, structs and sparse lists; arithmetic is in double precision, as DuckDB's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import sqlglot
from onnx import TensorProto
from sqlglot import exp

from sqlml.engine.data.features import column_kind, find_column
from sqlml.engine.data.transform import Transform
from sqlml.errors import NotSupportedError
from sqlml.export import text as text_nodes
from sqlml.export.features import INT64_NULL, input_type
from sqlml.export.graph import Graph

# One _Translator per export walks each TRANSFORM output's sqlglot tree: `__call__` looks the node's type up in
# a table and calls its method (the sections below), which returns a Value: an ONNX tensor name and its kind.
# transform_columns, at the end, is where export/exporter.py comes in.


class Value(NamedTuple):
    name: str
    kind: str  # numbers (held as double): "num" a DOUBLE, "dec" a DECIMAL, "int" an integer; "str", "bool",
    #            "null" (the NULL literal), or one of _NESTED
    null: str | None = None  # a bool's NULL mask (None: never NULL); numbers and strings carry NaN / ""
    fields: dict | None = None  # a struct's fields, a sparse list's entries: name -> Value; tokens: text.Tokens


# not scalars: a struct, a sparse list, a literal list, split text, a vocabulary vector
_NESTED = {"struct", "sparse", "vector", "tokens", "dense"}

_ARITHMETIC = {exp.Add: "Add", exp.Sub: "Sub", exp.Mul: "Mul", exp.Div: "Div"}
_COMPARE = {
    exp.EQ: ("Equal", False),
    exp.NEQ: ("Equal", True),
    exp.GT: ("Greater", False),
    exp.GTE: ("GreaterOrEqual", False),
    exp.LT: ("Less", False),
    exp.LTE: ("LessOrEqual", False),
}
_MATH = {exp.Ln: "Log", exp.Exp: "Exp", exp.Sqrt: "Sqrt", exp.Abs: "Abs", exp.Floor: "Floor", exp.Ceil: "Ceil"}
_NUMBER_TYPES = {exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT, exp.DataType.Type.DECIMAL}
_INTEGER_TYPES = {
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT,
}
_TEXT_TYPES = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR}


_LIST_FUNCTIONS = ("NGRAMS", "BAG_OF_WORDS", "TF_IDF", "MULTI_HOT_ENCODER")  # exported from the call, not its SQL


def _common_kind(kinds: set[str]) -> str | None:
    """The kind of a CASE or COALESCE of values of `kinds`: one string kind, or numbers as DuckDB widens
    them (DOUBLE over DECIMAL over integer); None for anything else."""
    if kinds == {"str"}:
        return "str"
    if kinds and kinds <= {"num", "dec", "int"}:
        return "num" if "num" in kinds else "dec" if "dec" in kinds else "int"
    return None


class _Unsupported(Exception):
    """An expression with no ONNX form here."""


class _Translator:
    def __init__(self, g: Graph, raw: pa.Schema):
        self.g, self.raw, self.columns = g, raw, {}
        self.bound: dict[str, Value] = {}  # a list comprehension's variable -> the element it stands for

    def column(self, name: str) -> Value:
        """A raw input column (one graph input, however many outputs read it)."""
        found = find_column(self.raw.names, name)
        if found is None:
            raise _Unsupported(name)
        if found not in self.columns:
            spec = {
                "name": found,
                "type": str(self.raw.field(found).type),
                "kind": column_kind(found, self.raw.field(found).type),
            }
            x = self.g.input(found, input_type(spec), [None, 1])
            if pa.types.is_boolean(self.raw.field(found).type):  # sent as 'true' / 'false', NULL as ""
                self.columns[found] = Value(
                    self.g.op("Equal", x, self.g.const([["true"]], "true")),
                    "bool",
                    self.g.op("Equal", x, self.g.const([[""]], "empty")),
                )
            elif spec["kind"] == "categorical":
                self.columns[found] = Value(x, "str")
            else:
                integer = input_type(spec) == TensorProto.INT64
                number = self.g.op("Cast", x, to=TensorProto.DOUBLE)
                if integer:  # the int64 NULL becomes NaN like every other number's
                    number = self.g.op(
                        "Where",
                        self.g.op("Equal", x, self.g.const([[INT64_NULL]], "null", np.int64)),
                        self.g.const([[np.nan]], "nan", np.float64),
                        number,
                    )
                decimal = pa.types.is_decimal(self.raw.field(found).type)
                self.columns[found] = Value(number, "int" if integer else "dec" if decimal else "num")
        return self.columns[found]

    def null_of(self, kind: str) -> Value:
        if kind == "str":
            return Value(self.g.const([[""]], "null"), "str")
        return Value(self.g.const([[np.nan]], "nan", np.float64), kind)

    def is_null(self, v: Value) -> str:
        if v.kind == "str":
            return self.g.op("Equal", v.name, self.g.const([[""]], "empty"))
        if v.kind == "bool":
            return v.null or self.g.const([[False]], "never", np.bool_)
        return self.g.op("IsNaN", v.name)

    def holds(self, v: Value) -> str:
        """Where a condition is TRUE (not FALSE, not NULL): what CASE WHEN takes."""
        return self.g.op("And", v.name, self.g.op("Not", v.null)) if v.null else v.name

    def number(self, node: exp.Expr) -> Value:
        v = self(node)
        if v.kind == "str" or v.kind in _NESTED:
            raise _Unsupported(node.sql("duckdb"))
        return self.number_of(v)

    def __call__(self, node: exp.Expr) -> Value:
        """The value of an expression: by the method `_NODES` names for its type (or a base type)."""
        for kind in type(node).__mro__:
            if kind in self._NODES:
                return self._NODES[kind](self, node)
        raise _Unsupported(node.sql("duckdb"))

    # -- SQL nodes, one method each (the table in __call__) ------------------------------------------------------------
    def _paren(self, node: exp.Paren) -> Value:
        return self(node.this)

    def _column(self, node: exp.Column) -> Value:
        return self.bound.get(node.name.lower()) or self.column(node.name)

    def _literal(self, node: exp.Literal) -> Value:
        if node.is_string:
            return Value(self.g.const([[node.this]], "text"), "str")
        value = float(node.this)
        decimal = "." in node.this or "e" in node.this.lower()  # DuckDB reads 2.5 as a DECIMAL
        return Value(self.g.const([[value]], "number", np.float64), "dec" if decimal else "int")

    def _null(self, node: exp.Null) -> Value:
        return Value("", "null")

    def _arithmetic(self, node: exp.Binary) -> Value:
        a, b = self.number(node.this), self.number(node.expression)
        kinds = {a.kind, b.kind}  # DuckDB: a DOUBLE or a division makes a DOUBLE, a DECIMAL a DECIMAL
        kind = "num" if "num" in kinds or isinstance(node, exp.Div) else "dec" if "dec" in kinds else "int"
        return Value(self.g.op(_ARITHMETIC[type(node)], a.name, b.name), kind)

    def _neg(self, node: exp.Neg) -> Value:
        v = self.number(node.this)
        return Value(self.g.op("Neg", v.name), v.kind)

    def _compare(self, node: exp.Binary) -> Value:
        g = self.g
        a, b = self(node.this), self(node.expression)
        if "str" in (a.kind, b.kind) and (a.kind != b.kind or not isinstance(node, (exp.EQ, exp.NEQ))):
            raise _Unsupported(f"{node.sql('duckdb')} (strings compare only with = and <>)")
        if "bool" in (a.kind, b.kind) or {a.kind, b.kind} & _NESTED:
            raise _Unsupported(node.sql("duckdb"))
        op, negate = _COMPARE[type(node)]
        result = g.op(op, a.name, b.name)
        null = g.op("Or", self.is_null(a), self.is_null(b))  # NULL compared is NULL
        return Value(g.op("Not", result) if negate else result, "bool", null)

    def _and_or(self, node: exp.Connector) -> Value:
        return self.logic(self(node.this), self(node.expression), isinstance(node, exp.And))

    def _not(self, node: exp.Not) -> Value:
        v = self(node.this)
        if v.kind != "bool":
            raise _Unsupported(node.sql("duckdb"))
        return Value(self.g.op("Not", v.name), "bool", v.null)

    def _is(self, node: exp.Is) -> Value:
        if not isinstance(node.expression, exp.Null):
            raise _Unsupported(node.sql("duckdb"))
        return Value(self.is_null(self(node.this)), "bool")

    def _struct(self, node: exp.Struct) -> Value:
        return Value("", "struct", fields={e.this.name: self(e.expression) for e in node.expressions})

    def _struct_extract(self, node: exp.StructExtract) -> Value:
        if not isinstance(node.expression, exp.Literal):
            raise _Unsupported(node.sql("duckdb"))
        struct = self(node.this)
        if struct.kind != "struct" or node.expression.this not in struct.fields:
            raise _Unsupported(node.sql("duckdb"))
        return struct.fields[node.expression.this]

    def _array(self, node: exp.Array) -> Value:
        """[f(e) FOR e IN ...], a literal list [a, b, ...], or a sparse vector [{'index': i, 'value': v}, ...]."""
        items = node.expressions
        if len(items) == 1 and isinstance(items[0], exp.Comprehension):
            return self.comprehension(items[0])
        if items and not any(isinstance(e, (exp.Struct, exp.Comprehension)) for e in items):
            return Value("", "vector", fields={str(i): self(e) for i, e in enumerate(items)})
        if items and all(
            isinstance(e, exp.Struct) and {p.this.name for p in e.expressions} == {"index", "value"} for e in items
        ):
            entries = [self(e) for e in items]
            return Value("", "sparse", fields={str(i): e for i, e in enumerate(entries)})
        raise _Unsupported(node.sql("duckdb"))

    def _nullif(self, node: exp.Nullif) -> Value:
        g = self.g
        a, b = self.number(node.this), self.number(node.expression)
        return Value(
            g.op("Where", g.op("Equal", a.name, b.name), g.const([[np.nan]], "nan", np.float64), a.name), a.kind
        )

    def _anonymous(self, node: exp.Anonymous) -> Value:
        """LIST_SUM, STR_SPLIT / STRING_SPLIT and LIST_POSITION, which sqlglot leaves unparsed."""
        name = node.name.upper()
        if name == "LIST_SUM" and len(node.expressions) == 1:
            return self.list_sum(self(node.expressions[0]))
        if name in ("STR_SPLIT", "STRING_SPLIT"):
            return self.split(node)
        if name == "LIST_POSITION":
            return self.list_position(node)
        raise _Unsupported(node.sql("duckdb"))

    def _case(self, node: exp.Case) -> Value:
        return self.case([(w.this, w.args["true"]) for w in node.args["ifs"]], node.args.get("default"))

    def _coalesce(self, node: exp.Coalesce) -> Value:
        return self.coalesce([node.this, *node.expressions])

    def _extremum(self, node: exp.Greatest | exp.Least) -> Value:
        """GREATEST / LEAST: NULLs are ignored; all NULL is NULL, as DuckDB."""
        g = self.g
        values = [self.number(n) for n in [node.this, *node.expressions]]
        kinds = {v.kind for v in values}
        kind = "num" if "num" in kinds else "dec" if "dec" in kinds else "int"
        greatest = isinstance(node, exp.Greatest)
        neutral = g.const([[-np.inf if greatest else np.inf]], "neutral", np.float64)
        result = g.op(
            "Max" if greatest else "Min", *[g.op("Where", g.op("IsNaN", v.name), neutral, v.name) for v in values]
        )
        none = g.op("IsInf", result)
        return Value(g.op("Where", none, g.const([[np.nan]], "nan", np.float64), result), kind)

    def _concat(self, node: exp.DPipe) -> Value:
        g = self.g
        a, b = self(node.this), self(node.expression)
        if a.kind != "str" or b.kind != "str":
            raise _Unsupported(node.sql("duckdb"))
        null = g.op("Or", self.is_null(a), self.is_null(b))  # anything || NULL is NULL
        return Value(g.op("Where", null, g.const([[""]], "null"), g.op("StringConcat", a.name, b.name)), "str")

    def _math(self, node: exp.Func) -> Value:
        v = self.number(node.this)
        return Value(self.g.op(_MATH[type(node)], v.name), v.kind if isinstance(node, (exp.Floor, exp.Ceil)) else "num")

    def _log(self, node: exp.Log) -> Value:
        """LOG(x) and LOG10(x): base 10; LOG(b, x): base b."""
        base, x = (10.0, node.this) if node.expression is None else (node.this, node.expression)
        if not isinstance(base, float):
            if not (isinstance(base, exp.Literal) and not base.is_string):
                raise _Unsupported(node.sql("duckdb"))
            base = float(base.this)
        return Value(
            self.g.op(
                "Div", self.g.op("Log", self.number(x).name), self.g.const([[np.log(base)]], "ln_base", np.float64)
            ),
            "num",
        )

    def _pow(self, node: exp.Pow) -> Value:
        return Value(self.g.op("Pow", self.number(node.this).name, self.number(node.expression).name), "num")

    def _round(self, node: exp.Round) -> Value:
        """ROUND(x), half away from zero; ROUND(x, decimals) has no form here."""
        if node.args.get("decimals") is not None:
            raise _Unsupported(node.sql("duckdb"))
        v = self.number(node.this)
        return Value(self.round_half_away(v.name), v.kind)

    def _change_case(self, node: exp.Lower | exp.Upper) -> Value:
        raise _Unsupported(
            f"{node.sql('duckdb')} (ONNX Runtime changes case by the device's locale, which "
            "may differ from DuckDB's; change the case before the text reaches the model)"
        )

    # -- values as the engine reads them: three-valued logic, numbers, features ----------------------------------------
    def logic(self, a: Value, b: Value, conjunction: bool) -> Value:
        """AND / OR in SQL's three-valued logic."""
        if a.kind != "bool" or b.kind != "bool":
            raise _Unsupported("AND / OR of non-boolean values")
        g = self.g
        true_a, true_b = self.holds(a), self.holds(b)
        false_a = g.op("And", g.op("Not", a.name), g.op("Not", self.is_null(a)))
        false_b = g.op("And", g.op("Not", b.name), g.op("Not", self.is_null(b)))
        if conjunction:
            true, false = g.op("And", true_a, true_b), g.op("Or", false_a, false_b)
        else:
            true, false = g.op("Or", true_a, true_b), g.op("And", false_a, false_b)
        return Value(true, "bool", g.op("Not", g.op("Or", true, false)))

    def feature(self, v: Value, spec: dict) -> str:
        """A numeric feature as a double, a categorical one as a string ("" for NULL)."""
        if spec["kind"] == "categorical":
            text = self.text(v)
            if text is None:
                raise _Unsupported(f"a categorical feature '{spec['name']}' computed as a fractional number")
            return text.name
        if spec["kind"] != "numeric" or v.kind == "str" or v.kind in _NESTED:
            raise _Unsupported(f"feature '{spec['name']}' ({spec['kind']}) computed as {v.kind}")
        return self.number_of(v).name

    def number_of(self, v: Value) -> Value:
        if v.kind == "null":
            return self.null_of("num")
        if v.kind == "bool":
            number = self.g.op("Cast", v.name, to=TensorProto.DOUBLE)
            return Value(
                self.g.op("Where", v.null, self.g.const([[np.nan]], "nan", np.float64), number) if v.null else number,
                "int",
            )
        return v

    def fit_width(self, dense: str, width: int) -> str:
        """A dense vector cut to the width seen at training (the engine ignores later positions)."""
        g = self.g
        return g.op(
            "Slice",
            dense,
            g.const([0], "start", np.int64),
            g.const([width], "end", np.int64),
            g.const([1], "axis", np.int64),
        )

    def vector(self, v: Value, width: int) -> str:
        """A literal list of numbers as [N, width] doubles, NULL as 0 and missing positions 0, as the engine
        reads a LIST<number> feature."""
        if v.kind != "vector":
            raise _Unsupported("a list feature other than a literal list of numbers")
        g, zero = self.g, self.g.const([[0.0]], "zero", np.float64)
        numbers = [self.number_of(e) for e in v.fields.values()][:width]
        if any(n.kind not in ("num", "dec", "int") for n in numbers):
            raise _Unsupported("a list of non-numbers")
        columns = [g.op("Where", g.op("IsNaN", n.name), zero, n.name) for n in numbers]
        columns += [g.op("Mul", numbers[0].name, zero)] * (width - len(columns)) if numbers else []
        return g.op("Concat", *columns, axis=1) if len(columns) > 1 else columns[0]

    def dense(self, v: Value, width: int) -> str:
        """A one-entry sparse list [{'index': i, 'value': x}] as a dense [N, width] double vector: x at
        position i, zeros elsewhere (NULL or out-of-range index: all zeros; NULL value: 0), as the engine
        reads it."""
        if v.kind != "sparse" or len(v.fields) != 1:
            raise _Unsupported("a list feature other than a one-entry [{'index': i, 'value': x}]")
        g, entry = self.g, v.fields["0"]
        index, value = (self.number_of(entry.fields[k]) for k in ("index", "value"))
        if index.kind == "str" or value.kind == "str":
            raise _Unsupported("a sparse entry with a string index or value")
        position = g.op(
            "Cast",
            g.op("Where", g.op("IsNaN", index.name), g.const([[-1.0]], "none", np.float64), index.name),
            to=TensorProto.INT64,
        )
        hot = g.op(
            "Cast",
            g.op("Equal", position, g.const(np.arange(width, dtype=np.int64).reshape(1, -1), "positions")),
            to=TensorProto.DOUBLE,
        )
        return g.op(
            "Mul", hot, g.op("Where", g.op("IsNaN", value.name), g.const([[0.0]], "zero", np.float64), value.name)
        )

    # -- text and lists: split text, ML list functions kept as calls, literal lists ------------------------------------
    def split(self, node: exp.Expr) -> Value:
        """STR_SPLIT(text, 'delimiter'): tokens (export/text.py)."""
        text, delimiter = (node.this, node.expression) if not isinstance(node, exp.Anonymous) else node.expressions
        if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this):
            raise _Unsupported(f"{node.sql('duckdb')} (a split needs a literal, non-empty delimiter)")
        value = self(text)
        if value.kind != "str":
            raise _Unsupported(node.sql("duckdb"))
        return Value("", "tokens", fields={"tokens": text_nodes.split(self.g, value.name, delimiter.this)})

    def tokens_of(self, source: dict) -> text_nodes.Tokens:
        """What a list function reads: a nested call's tokens, or its input SQL's (a split of text)."""
        value = self.call(source) if "function" in source else self(sqlglot.parse_one(source["sql"], read="duckdb"))
        if value.kind != "tokens":
            raise _Unsupported(
                f"ML list functions over {source.get('sql') or 'ML.' + source['function']} (only "
                "STR_SPLIT(text, 'delimiter') and ML.NGRAMS of it are tokens here)"
            )
        return value.fields["tokens"]

    def call(self, call: dict) -> Value:
        """A TRANSFORM output that is one ML call kept as data: NGRAMS gives tokens; BAG_OF_WORDS, TF_IDF
        and MULTI_HOT_ENCODER a dense [N, 1 + vocabulary] vector (index 0: tokens outside it)."""
        function, args = call["function"], call["args"]
        if function == "NGRAMS":
            (low, high), separator = args
            return Value(
                "",
                "tokens",
                fields={"tokens": text_nodes.ngrams(self.g, self.tokens_of(call["input"]), low, high, separator)},
            )
        if function not in ("BAG_OF_WORDS", "TF_IDF", "MULTI_HOT_ENCODER"):
            raise _Unsupported(f"ML.{function} of a list")
        return Value(
            text_nodes.vocabulary_vector(self.g, function, self.tokens_of(call["input"]), call["stats"]), "dense"
        )

    def comprehension(self, node: exp.Comprehension) -> Value:
        """[f(e) FOR e IN [a, b, ...]] over a literal list: f of each element, a vector."""
        listed = self(node.args["iterator"])
        if listed.kind != "vector" or node.args.get("condition") is not None:
            raise _Unsupported(f"a list comprehension over {node.args['iterator'].sql('duckdb')} (only literal lists)")
        variable, outer = node.expression.name.lower(), dict(self.bound)
        elements = {}
        for position, element in listed.fields.items():
            self.bound = {**outer, variable: element}
            elements[position] = self(node.this)
        self.bound = outer
        return Value("", "vector", fields=elements)

    def list_sum(self, v: Value) -> Value:
        """LIST_SUM of a vector: the sum of its non-NULL numbers, NULL when all are NULL."""
        if v.kind != "vector":
            raise _Unsupported("LIST_SUM of a list that is not a literal list")
        g = self.g
        numbers = [self.number_of(e) for e in v.fields.values()]
        zero = g.const([[0.0]], "zero", np.float64)
        total = g.op("Sum", *[g.op("Where", g.op("IsNaN", n.name), zero, n.name) for n in numbers])
        none = g.op("IsNaN", numbers[0].name)
        for n in numbers[1:]:
            none = g.op("And", none, g.op("IsNaN", n.name))
        return Value(g.op("Where", none, g.const([[np.nan]], "nan", np.float64), total), "num")

    # -- DuckDB's semantics the nodes above share: rounding, CASE, COALESCE, CAST, text --------------------------------
    def round_half_away(self, x: str) -> str:
        """DuckDB's rounding (half away from zero); ONNX Round goes half to even."""
        g = self.g
        return g.op(
            "Mul", g.op("Sign", x), g.op("Floor", g.op("Add", g.op("Abs", x), g.const([[0.5]], "half", np.float64)))
        )

    def case(self, branches: list[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None) -> Value:
        values = [self(then) for _, then in branches] + [self(default) if default is not None else Value("", "null")]
        kind = _common_kind({v.kind for v in values} - {"null"})
        if kind is None:
            raise _Unsupported("CASE of mixed, boolean or nested results")
        values = [self.null_of(kind) if v.kind == "null" else v for v in values]
        result = values[-1].name
        for (condition, _), value in reversed(list(zip(branches, values))):
            test = self(condition)
            if test.kind != "bool":
                raise _Unsupported(f"CASE WHEN {condition.sql('duckdb')} (not a condition)")
            result = self.g.op("Where", self.holds(test), value.name, result)
        return Value(result, kind)

    def coalesce(self, nodes: list[exp.Expr]) -> Value:
        values = [self(n) for n in nodes]
        kind = _common_kind({v.kind for v in values} - {"null"})
        if kind is None:
            raise _Unsupported("COALESCE of different types, booleans or nested values")
        values = [self.null_of(kind) if v.kind == "null" else v for v in values]
        result = values[-1].name
        for v in reversed(values[:-1]):
            result = self.g.op("Where", self.is_null(v), result, v.name)
        return Value(result, kind)

    def cast(self, node: exp.Cast) -> Value:
        to, g = node.to.this, self.g
        if to in _NUMBER_TYPES:
            v = self.number(node.this)
            if to != exp.DataType.Type.DECIMAL:
                return Value(v.name, "num")
            scale = node.to.expressions[1].this.this if len(node.to.expressions) > 1 else None
            if scale is None:
                raise _Unsupported(f"{node.sql('duckdb')} (a DECIMAL cast needs its precision and scale)")
            factor = g.const([[10.0 ** int(scale)]], "scale", np.float64)  # DuckDB rounds half away from zero
            return Value(g.op("Div", self.round_half_away(g.op("Mul", v.name, factor)), factor), "dec")
        if to in _INTEGER_TYPES:
            v = self.number(node.this)
            if v.kind == "int":
                return v
            # DuckDB rounds a DOUBLE half to even (as ONNX Round does) and a DECIMAL half away from zero
            return Value(g.op("Round", v.name) if v.kind == "num" else self.round_half_away(v.name), "int")
        if to in _TEXT_TYPES:
            text = self.text(self(node.this))
            if text is not None:
                return text
            raise _Unsupported(f"{node.sql('duckdb')} (only strings, integers and booleans become text here)")
        raise _Unsupported(node.sql("duckdb"))

    def text(self, v: Value) -> Value | None:
        """A string, a whole number or a boolean as DuckDB's text; None for other numbers."""
        g = self.g
        if v.kind == "null":
            return self.null_of("str")
        if v.kind == "str":
            return v
        if v.kind == "int":  # whole numbers print without a fraction; NULL stays NULL ("")
            text = g.op("Cast", g.op("Cast", v.name, to=TensorProto.INT64), to=TensorProto.STRING)
            return Value(g.op("Where", self.is_null(v), g.const([[""]], "null"), text), "str")
        if v.kind == "bool":
            text = g.op("Where", v.name, g.const([["true"]], "true"), g.const([["false"]], "false"))
            return Value(g.op("Where", v.null, g.const([[""]], "null"), text) if v.null else text, "str")
        return None

    def list_position(self, node: exp.Anonymous) -> Value:
        """LIST_POSITION(['a', 'b'], x): the 1-based position of x, NULL when absent."""
        listed, x = node.expressions
        if not isinstance(listed, exp.Array) or not all(
            isinstance(e, exp.Literal) and e.is_string for e in listed.expressions
        ):
            raise _Unsupported(node.sql("duckdb"))
        value = self(x)
        if value.kind != "str":
            raise _Unsupported(node.sql("duckdb"))
        keys = [e.this for e in listed.expressions]
        codes = self.g.op(
            "LabelEncoder",
            value.name,
            domain="ai.onnx.ml",
            keys_strings=keys,
            values_floats=[float(i) for i in range(1, len(keys) + 1)],
            default_float=np.nan,
        )
        return Value(self.g.op("Cast", codes, to=TensorProto.DOUBLE), "int")

    # node type -> its method (a subclass, such as TRY_CAST's, takes its base's)
    _NODES = {
        exp.Paren: _paren,
        exp.Column: _column,
        exp.Literal: _literal,
        exp.Null: _null,
        exp.Neg: _neg,
        **dict.fromkeys(_ARITHMETIC, _arithmetic),
        **dict.fromkeys(_COMPARE, _compare),
        exp.And: _and_or,
        exp.Or: _and_or,
        exp.Not: _not,
        exp.Is: _is,
        exp.Struct: _struct,
        exp.StructExtract: _struct_extract,
        exp.Array: _array,
        exp.Nullif: _nullif,
        exp.Anonymous: _anonymous,
        exp.Case: _case,
        exp.Coalesce: _coalesce,
        exp.Greatest: _extremum,
        exp.Least: _extremum,
        exp.Cast: cast,
        exp.DPipe: _concat,
        **dict.fromkeys(_MATH, _math),
        exp.Log: _log,
        exp.Pow: _pow,
        exp.Round: _round,
        exp.Lower: _change_case,
        exp.Upper: _change_case,
        exp.Split: split,
    }


def transform_columns(g: Graph, transform: Transform, specs: list[dict], raw: pa.Schema) -> dict[str, str]:
    """Feature name (a STRUCT output's fields: <output>_<field>) -> graph value, for the TRANSFORM outputs
    the model reads (`raw`: the training query's schema, which types the raw inputs). Numbers come out as
    double, categories as strings, sparse vectors dense [N, width]."""
    translate = _Translator(g, raw)
    by_name = {spec["name"]: spec for spec in specs}
    values = {}
    for output in transform.features:
        spec = by_name[output["name"]]
        try:
            list_call = output.get("call", {}).get("function") in _LIST_FUNCTIONS
            value = (
                translate.call(output["call"])
                if list_call
                else translate(sqlglot.parse_one(output["sql"], read="duckdb"))
            )
            if value.kind == "dense" and spec["kind"] == "sparse":
                values[spec["name"]] = translate.fit_width(value.name, spec["width"])
            elif value.kind == "tokens" and spec["kind"] == "multi_hot":  # 1 where a row holds the element
                values[spec["name"]] = text_nodes.hits(g, value.fields["tokens"], spec["vocabulary"], 0, "ReduceMax")
            elif spec["kind"] == "struct":
                if value.kind != "struct":
                    raise _Unsupported(f"a STRUCT feature whose SQL is not a struct literal: {output['sql']}")
                for field, part in value.fields.items():
                    leaf = next(p for p in spec["parts"] if p["name"] == f"{spec['name']}_{field}")
                    values[leaf["name"]] = translate.feature(part, leaf)
            elif spec["kind"] == "sparse":
                values[spec["name"]] = translate.dense(value, spec["width"])
            elif spec["kind"] == "vector":
                values[spec["name"]] = translate.vector(value, spec["width"])
            else:
                values[spec["name"]] = translate.feature(value, spec)
        except _Unsupported as exc:
            raise NotSupportedError(
                f"EXPORT MODEL: TRANSFORM output '{output['name']}' has no ONNX form: {exc} "
                "(see docs/statements.md, EXPORT MODEL, for the SQL an export translates)"
            ) from None
    return values
