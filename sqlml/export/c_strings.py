"""Strings in export/c_source.py's C: codes into one sorted table of every string the graph holds (with all their
substrings when the graph builds strings), and the operators on them: LabelEncoder (and its integer keys),
concatenation and the text of an integer, each a binary search in a table of constants. The operators are
functions of the compiler (`self`), bound to it as its op_<Name> methods."""

from __future__ import annotations

import re

import numpy as np
import onnx
from onnx import TensorProto, helper

from sqlml.errors import NotSupportedError
from sqlml.export.c_values import UNSEEN, Value, cast_to, literal

MAX_BUILT_STRINGS = 4096  # the string table's size where a TRANSFORM builds strings (see StringTable)


def _graph_strings(graph: onnx.GraphProto) -> set[str]:
    strings = set()
    for tensor in graph.initializer:
        if tensor.data_type == TensorProto.STRING:
            strings.update(s.decode() for s in tensor.string_data)
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.STRINGS and attribute.name.startswith(("keys", "values")):
                strings.update(s.decode() for s in attribute.strings)
    return strings


class StringTable:
    """Every string of the graph, sorted by UTF-8 bytes (as strcmp orders them); with all their substrings
    when the graph builds strings (concatenation, the text of integers)."""

    def __init__(self, graph: onnx.GraphProto):
        strings = _graph_strings(graph) | {""}
        if any(
            n.op_type == "StringConcat" or (n.op_type == "Cast" and cast_to(n) == TensorProto.STRING)
            for n in graph.node
        ):
            known = len(strings)
            for s in list(strings):
                strings.update(s[i:j] for i in range(len(s)) for j in range(i + 1, len(s) + 1))
            if len(strings) > MAX_BUILT_STRINGS:
                raise NotSupportedError(
                    f"EXPORT MODEL: format='c' cannot hold this model's text: its TRANSFORM builds strings "
                    f"(concatenation, ML.FEATURE_CROSS or the text of numbers) out of {known} known strings, and "
                    f"computing that exactly in C takes a table of all their {len(strings)} substrings (at most "
                    f"{MAX_BUILT_STRINGS}); export this model with format='onnx'"
                )
        self.strings = sorted(strings, key=lambda s: s.encode())
        self.code = {s: i for i, s in enumerate(self.strings)}

    def codes(self, values) -> np.ndarray:
        return np.array([self.code.get(text(v), UNSEEN) for v in np.ravel(values)], np.int32)


def text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def integer_text(self, node, x: Value) -> None:
    """The text of an integer, as a code: its place among the table's strings that are integers' text."""
    if x.string:
        return self.alias(node, x)
    if x.ctype not in ("int64_t", "int32_t", "uint8_t"):
        raise self.refusal(node, "the text of a non-integer number")
    numbers = sorted(
        (int(s), code) for code, s in enumerate(self.strings.strings) if re.fullmatch(r"0|-?[1-9][0-9]*", s)
    )
    numbers = [(v, c) for v, c in numbers if -(2**63) <= v < 2**63]
    out = self.declare(node.output[0], "int32_t", string=True)
    keys, codes = self.fresh("k"), self.fresh("k")
    self.constant_array(keys, "int64_t", [v for v, _ in numbers])
    self.constant_array(codes, "int32_t", [c for _, c in numbers] or [UNSEEN])
    find = self.encoder("int64_t", "int32_t")
    self.elementwise(out, [x], lambda e: f"{find}({keys}, {codes}, {len(numbers)}, (int64_t)({e}), -1)")


def encoder(self, key_type: str, value_type: str) -> str:
    """The name of a helper finding a key in a sorted table (binary search) and returning its value, or
    `missing`; emitted once per pair of types."""
    name = f"{self.prefix}_find_{key_type}_{value_type}"
    self.helper(
        name,
        f"static inline {value_type} {name}(const {key_type} *keys, const {value_type} *values, int n, "
        f"{key_type} key, {value_type} missing)\n{{\n"
        "    int lo = 0, hi = n;\n"
        "    while (lo < hi) {\n"
        "        int mid = lo + (hi - lo) / 2;\n"
        "        if (keys[mid] < key) lo = mid + 1; else hi = mid;\n"
        "    }\n"
        "    return lo < n && keys[lo] == key ? values[lo] : missing;\n}",
    )
    return name


def string_concat(self, node, a: Value, b: Value) -> None:
    """Concatenation of codes: a table of the (a, b) pairs whose concatenation is in the table."""
    n = len(self.strings.strings)
    pairs = sorted(
        (self.strings.code[s[:i]] * n + self.strings.code[s[i:]], code)
        for code, s in enumerate(self.strings.strings)
        for i in range(len(s) + 1)
    )
    keys, codes = self.fresh("k"), self.fresh("k")
    self.constant_array(keys, "int64_t", [k for k, _ in pairs])
    self.constant_array(codes, "int32_t", [c for _, c in pairs])
    find = self.encoder("int64_t", "int32_t")
    out = self.declare(node.output[0], "int32_t", string=True)

    def concat(x, y):
        key = f"(int64_t)({x}) * {n} + ({y})"
        return f"(({x}) < 0 || ({y}) < 0 ? -1 : {find}({keys}, {codes}, {len(pairs)}, {key}, -1))"

    self.elementwise(out, [a, b], concat)


def label_encoder(self, node, x: Value) -> None:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if "keys_strings" in attrs:
        keys = self.strings.codes(attrs["keys_strings"])
    elif "keys_int64s" in attrs:
        keys = np.asarray(attrs["keys_int64s"], np.int64)
    else:
        raise self.refusal(node, "a LabelEncoder of these keys")
    if "values_strings" in attrs:
        values, ctype, default = self.strings.codes(attrs["values_strings"]), "int32_t", UNSEEN
        default = self.strings.code.get(text(attrs.get("default_string", "_Unused")), UNSEEN)
    elif "values_int64s" in attrs:
        values, ctype, default = (
            np.asarray(attrs["values_int64s"], np.int64),
            "int64_t",
            attrs.get("default_int64", -1),
        )
    elif "values_floats" in attrs:
        values, ctype = np.asarray(attrs["values_floats"], np.float32), "float"
        default = attrs.get("default_float", -0.0)
    else:
        raise self.refusal(node, "a LabelEncoder of these values")
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    key_type = "int32_t" if x.string else "int64_t"
    names = self.fresh("k"), self.fresh("k")
    self.constant_array(names[0], key_type, keys)
    self.constant_array(names[1], ctype, values)
    find = self.encoder(key_type, ctype)
    out = self.declare(node.output[0], ctype, string="values_strings" in attrs)
    missing = literal(default, ctype)
    self.program.math |= missing.lstrip("-") in ("NAN", "INFINITY")
    self.elementwise(
        out,
        [x],
        lambda e: f"{find}({names[0]}, {names[1]}, {len(keys)}, ({key_type})({e}), ({ctype}){missing})",
    )
