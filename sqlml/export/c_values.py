"""The pieces export/c_source.py compiles with: C names, types and literals, a value of the graph in C, and
what the compiler writes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper

from sqlml.errors import ProgrammingError

UNSEEN = -1  # the code of a string not in the string table
C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "bool class delete false friend new operator private protected public template this throw true try virtual "
    "namespace using catch export and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq typename "
    "explicit mutable nullptr constexpr decltype noexcept static_assert thread_local alignas alignof char16_t "
    "char32_t wchar_t const_cast dynamic_cast reinterpret_cast static_cast typeid concept requires co_await "
    "co_return co_yield asm _Bool _Complex _Imaginary".split()
)
C_TYPES = {
    TensorProto.FLOAT: "float",
    TensorProto.DOUBLE: "double",
    TensorProto.INT64: "int64_t",
    TensorProto.INT32: "int32_t",
    TensorProto.BOOL: "uint8_t",
    TensorProto.STRING: "int32_t",  # a code in the string table
}


def identifier(name: str) -> str:
    """A C identifier for a column or output name: other characters become '_', a leading digit gets '_',
    a keyword gets a trailing '_'."""
    text = re.sub(r"[^0-9A-Za-z_]", "_", name) or "_"
    text = "_" + text if text[0].isdigit() else text
    return text + "_" if text in C_KEYWORDS else text


def check_prefix(prefix: str) -> str:
    """The prefix option: a C (and C++) identifier of at most 48 characters that is no keyword
    (ProgrammingError otherwise)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prefix) or prefix in C_KEYWORDS or len(prefix) > 48:
        raise ProgrammingError(
            f"OPTIONS: prefix {prefix!r} is not a C identifier (letters, digits and '_', not starting with a "
            "digit, not a keyword, at most 48 characters)"
        )
    return prefix


def literal(value, ctype: str) -> str:
    """One value as a C literal of `ctype` (NaN and infinities through math.h's NAN and INFINITY)."""
    if ctype in ("float", "double"):
        v = float(value)
        if np.isnan(v):
            return "NAN"
        if np.isinf(v):
            return "INFINITY" if v > 0 else "-INFINITY"
        text = repr(float(np.float32(v))) if ctype == "float" else repr(v)
        text = text if ("." in text or "e" in text) else text + ".0"
        return text + ("f" if ctype == "float" else "")
    v = int(value)
    if ctype == "int64_t":
        return "INT64_MIN" if v == np.iinfo(np.int64).min else f"INT64_C({v})"
    return str(v)


def const_array(name: str, ctype: str, values) -> str:
    """A `static const` array of `values` (at least one element: C has no empty arrays)."""
    items = [literal(v, ctype) for v in np.ravel(values)] or ["0"]
    rows = [", ".join(items[i : i + 12]) for i in range(0, len(items), 12)]
    return f"static const {ctype} {name}[{len(items)}] = {{\n    " + ",\n    ".join(rows) + "\n};"


@dataclass
class Value:
    """A tensor of the graph in C: its array name, C type, shape (batch 1) and, for constants, its data
    (`text`: a string constant's strings, `data` their codes)."""

    name: str
    ctype: str
    shape: tuple[int, ...]
    data: np.ndarray | None = None
    text: np.ndarray | None = None
    string: bool = False

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Program:
    """What the compiler writes: file-scope constants and helpers, the statements of the predict function,
    and whether it needs math.h."""

    constants: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    math: bool = False


def cast_to(node: onnx.NodeProto) -> int:
    return next(a.i for a in node.attribute if a.name == "to")


def attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default
