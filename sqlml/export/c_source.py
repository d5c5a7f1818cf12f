"""An exported ONNX graph (export/exporter.build, in float32) as one header-only C99 file for a device.

The graph is compiled node by node for one row at a time: the batch dimension is 1, so every value has a
static shape and lives in a local array of the predict function; constants are `static const` arrays (flash),
each emitted once and only where code reads it. No malloc; `<stdint.h>` always, `<math.h>` only where a node
needs exp, log, sqrt or a NaN. The file compiles as C99 and as C++ (`static inline` functions, no designated
initializers, integer loop counters).

Strings are codes (export/c_strings.py): every string the graph holds (vocabularies, keys, literals; with all
their substrings when the graph builds strings) in one sorted table; a string value is its position there, or
UNSEEN (-1) for a string not in it. That is exact for the string operators compiled (equality with a
constant, LabelEncoder, Where, concatenation and the text of an integer): no operator can turn an unseen
string into a seen one, as both parts of a seen string are seen. Other operators (and other casts to text)
are refused, naming the operator and the input columns it reads. The C names, types and literals are
export/c_values.py's.

Tree ensembles are the flat arrays of export/c_trees.py; MatMul with a constant weight matrix is quantized
for quantize='int8' (int8 weights with one scale per layer, each input row quantized to int8 on the fly,
int32 accumulation) and 'int16' (int16 weights, one scale per layer, float arithmetic).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

from sqlml.errors import NotSupportedError
from sqlml.export import c_strings, c_trees
from sqlml.export.c_strings import StringTable
from sqlml.export.c_values import C_TYPES, Program, Value, attr, cast_to, const_array, literal


def _shapes(graph: onnx.ModelProto) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Element type and shape (batch 1) of every value of the graph, by ONNX's shape inference."""
    graph = onnx.ModelProto.FromString(graph.SerializeToString())
    for value in list(graph.graph.input) + list(graph.graph.output):
        for dim in value.type.tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                dim.dim_value = 1
    inferred = shape_inference.infer_shapes(graph, strict_mode=True, data_prop=True).graph
    shapes = {}
    for value in list(inferred.input) + list(inferred.value_info) + list(inferred.output):
        tensor = value.type.tensor_type
        shapes[value.name] = (tensor.elem_type, tuple(d.dim_value for d in tensor.shape.dim))
    return shapes


_UNARY = {  # operator -> C of one element x, by C type ("f": float, "d": double, "i": integers)
    "Abs": {"f": "({x} < 0 ? -{x} : {x})", "d": "({x} < 0 ? -{x} : {x})", "i": "({x} < 0 ? -{x} : {x})"},
    "Neg": {"f": "-{x}", "d": "-{x}", "i": "-{x}"},
    "Sqrt": {"f": "sqrtf({x})", "d": "sqrt({x})"},
    "Exp": {"f": "expf({x})", "d": "exp({x})"},
    "Log": {"f": "logf({x})", "d": "log({x})"},
    "Tanh": {"f": "tanhf({x})", "d": "tanh({x})"},
    "Floor": {"f": "floorf({x})", "d": "floor({x})"},
    "Ceil": {"f": "ceilf({x})", "d": "ceil({x})"},
    "Relu": {"f": "({x} < 0.0f ? 0.0f : {x})", "d": "({x} < 0.0 ? 0.0 : {x})", "i": "({x} < 0 ? 0 : {x})"},
    "Sigmoid": {"f": "(1.0f / (1.0f + expf(-{x})))", "d": "(1.0 / (1.0 + exp(-{x})))"},
    "Reciprocal": {"f": "(1.0f / {x})", "d": "(1.0 / {x})"},
    "IsNaN": {"f": "({x} != {x})", "d": "({x} != {x})", "i": "0"},
    "IsInf": {"f": "({x} == INFINITY || {x} == -INFINITY)", "d": "({x} == INFINITY || {x} == -INFINITY)", "i": "0"},
    "Not": {"i": "!{x}"},
    "Identity": {"f": "{x}", "d": "{x}", "i": "{x}"},
}
_MATH_FREE = ("Abs", "Neg", "Relu", "IsNaN", "Not", "Identity", "Reciprocal")
_BINARY = {
    "Add": "({a} + {b})",
    "Sum": "({a} + {b})",
    "Sub": "({a} - {b})",
    "Mul": "({a} * {b})",
    "Div": "({a} / {b})",
    "Equal": "({a} == {b})",
    "Less": "({a} < {b})",
    "LessOrEqual": "({a} <= {b})",
    "Greater": "({a} > {b})",
    "GreaterOrEqual": "({a} >= {b})",
    "And": "({a} && {b})",
    "Or": "({a} || {b})",
    "Xor": "(!{a} != !{b})",
    "Min": "({a} != {a} || {a} < {b} ? {a} : {b})",  # NaN if either is, as ONNX Runtime
    "Max": "({a} != {a} || {a} > {b} ? {a} : {b})",
}


_TEXT = {  # the operators of text models (export/text.py), named as such
    op: "a text model (its TRANSFORM splits text into words)"
    for op in ("StringSplit", "StringNormalizer", "TfIdfVectorizer", "RegexFullMatch")
}


def _nonzero(value: Value) -> bool:
    return value.data is not None and bool(np.all(np.asarray(value.data) != 0))


def _kind(ctype: str) -> str:
    return {"float": "f", "double": "d"}.get(ctype, "i")


class Compiler:
    """Compiles the graph's nodes into a Program: one method per operator (op_<Name>), in graph order."""

    def __init__(self, graph: onnx.ModelProto, quantize: str, prefix: str):
        self.graph, self.quantize, self.prefix = graph, quantize, prefix
        self.types = _shapes(graph)
        self.strings = StringTable(graph.graph)
        self.program = Program()
        self.values: dict[str, Value] = {}
        self.helpers: set[str] = set()
        self.count = 0
        self.weight_bytes = {"float": 0, "quantized": 0}
        for tensor in graph.graph.initializer:
            self._constant(tensor.name, numpy_helper.to_array(tensor))

    # values -------------------------------------------------------------------------------------------------

    def _constant(self, name: str, data) -> Value:
        data = np.asarray(data)
        if data.dtype == object or data.dtype.kind in "USO":
            value = Value("", "int32_t", tuple(data.shape), self.strings.codes(data).reshape(data.shape), data, True)
        elif data.dtype == np.bool_:
            value = Value("", "uint8_t", tuple(data.shape), data.astype(np.uint8))
        else:
            ctype = C_TYPES.get(helper.np_dtype_to_tensor_dtype(data.dtype))
            if ctype is None:
                raise NotSupportedError(f"EXPORT MODEL: format='c' has no form for constants of type {data.dtype}")
            value = Value("", ctype, tuple(data.shape), data)
        self.values[name] = value
        return value

    def fresh(self, hint: str = "v") -> str:
        """A new name: a local array (v), or a file-scope constant (k, t) named after the prefix."""
        self.count += 1
        return f"{hint}{self.count}" if hint == "v" else f"{self.prefix}_{hint}{self.count}"

    def ref(self, value: Value) -> str:
        """The array name of a value, emitting a constant's file-scope array on first use."""
        if not value.name:
            value.name = self.fresh("k")
            self.constant_array(value.name, value.ctype, np.ravel(value.data))
        return value.name

    def constant_array(self, name: str, ctype: str, data) -> None:
        if ctype in ("float", "double"):  # NAN and INFINITY come from math.h
            self.program.math |= not bool(np.all(np.isfinite(np.asarray(data, np.float64))))
        self.program.constants.append(const_array(name, ctype, data))

    def at(self, value: Value, index: str) -> str:
        """C for element `index` of value, a scalar constant inlined."""
        if value.data is not None and value.size == 1:
            text = literal(np.ravel(value.data)[0], value.ctype)
            self.program.math |= text.lstrip("-") in ("NAN", "INFINITY")
            return f"(({value.ctype}){text})"
        return f"{self.ref(value)}[{index}]"

    def declare(self, name: str, ctype: str | None = None, shape: tuple | None = None, string: bool = False) -> Value:
        """The local array of a node's output (type and shape from shape inference unless given)."""
        elem, inferred = self.types[name]
        value = Value(self.fresh(), ctype or C_TYPES[elem], inferred if shape is None else tuple(shape))
        value.string = string or elem == TensorProto.STRING
        self.program.body.append(f"{value.ctype} {value.name}[{max(1, value.size)}];")
        self.values[name] = value
        return value

    def emit(self, line: str) -> None:
        self.program.body.append(line)

    def helper(self, name: str, code: str) -> None:
        if name not in self.helpers:
            self.helpers.add(name)
            self.program.constants.append(code)

    # the walk -----------------------------------------------------------------------------------------------

    def compile(self) -> Program:
        for node in self.graph.graph.node:
            if node.op_type == "Constant":
                self._constant(node.output[0], numpy_helper.to_array(attr(node, "value")))
                continue
            if node.input and all(self.values[n].data is not None for n in node.input if n) and self._fold(node):
                continue
            method = getattr(self, f"op_{node.op_type}", None)
            if method is None:
                raise self.refusal(node, _TEXT.get(node.op_type, f"the ONNX operator {node.op_type}"))
            method(node, *[self.values[name] for name in node.input])
        return self.program

    def refusal(self, node: onnx.NodeProto, what: str) -> NotSupportedError:
        """NotSupportedError naming `what` and the input columns the node reads (through the graph)."""
        producers = {out: n for n in self.graph.graph.node for out in n.output}
        inputs = {i.name for i in self.graph.graph.input}
        columns, pending, seen = set(), list(node.input), set()
        while pending:
            name = pending.pop()
            if name not in seen:
                seen.add(name)
                columns |= {name} & inputs
                pending.extend(producers[name].input if name in producers else [])
        reads = f" (an expression of column(s) {', '.join(sorted(columns))})" if columns else ""
        return NotSupportedError(
            f"EXPORT MODEL: format='c' cannot compile {what}{reads}; export this model with format='onnx', or "
            "leave that expression out of its TRANSFORM"
        )

    def _fold(self, node: onnx.NodeProto) -> bool:
        """Evaluate a node of constants now (ONNX's reference evaluator); False when it cannot."""
        from onnx.reference import ReferenceEvaluator

        if node.domain:
            return False
        feeds = {}
        for name in node.input:
            value = self.values[name]
            feeds[name] = np.asarray(value.text if value.string else value.data)
        try:
            inputs = [helper.make_empty_tensor_value_info(n) for n in feeds]
            outputs = [helper.make_empty_tensor_value_info(n) for n in node.output]
            folded = helper.make_model(
                helper.make_graph([node], "fold", inputs, outputs), opset_imports=self.graph.opset_import
            )
            results = ReferenceEvaluator(folded).run(None, feeds)
        except Exception:  # noqa: BLE001 - whatever it cannot evaluate is compiled instead
            return False
        for name, result in zip(node.output, results, strict=True):
            self._constant(name, np.asarray(result))
        return True

    # loops --------------------------------------------------------------------------------------------------

    def _index(self, value: Value, shape: tuple[int, ...], loop: list[str]) -> str:
        """The flat index of `value` (broadcast to `shape`) at the loop variables `loop` (one per dim)."""
        if value.size == 1:
            return "0"
        squeezed = tuple(d for d in value.shape if d != 1)
        if squeezed == tuple(d for d in shape if d != 1) and value.size == int(np.prod(shape)):
            return "i"
        offset, terms, stride = len(shape) - len(value.shape), [], 1
        for d in reversed(range(len(value.shape))):
            if value.shape[d] != 1:
                terms.append(f"{loop[d + offset]} * {stride}" if stride != 1 else loop[d + offset])
            stride *= value.shape[d]
        return " + ".join(reversed(terms)) or "0"

    def elementwise(self, out: Value, inputs: list[Value], expression) -> None:
        """out[...] = expression(element of each input), with numpy broadcasting."""
        shape = out.shape
        indexes = [self._index(v, shape, [f"i{d}" for d in range(len(shape))]) for v in inputs]
        body = f"{out.name}[i] = ({out.ctype}){expression(*[self.at(v, j) for v, j in zip(inputs, indexes)])};"
        if all(j in ("0", "i") for j in indexes):
            self.emit(f"for (int i = 0; i < {max(1, out.size)}; ++i) {body}")
            return
        loops = " ".join(f"for (int i{d} = 0; i{d} < {n}; ++i{d})" for d, n in enumerate(shape))
        self.emit(f"{loops} {{ int i = {self._linear(shape)}; {body} }}")

    def alias(self, node: onnx.NodeProto, value: Value) -> None:
        """A node that only reshapes: its output is the same array."""
        shape = self.types[node.output[0]][1]
        self.values[node.output[0]] = Value(value.name, value.ctype, shape, value.data, value.text, value.string)

    # operators ----------------------------------------------------------------------------------------------

    def _unary(self, node, x: Value) -> None:
        forms = _UNARY[node.op_type]
        form = forms.get(_kind(x.ctype))
        if form is None or x.string:
            raise self.refusal(node, f"{node.op_type} of {'text' if x.string else x.ctype}")
        self.program.math |= node.op_type not in _MATH_FREE and _kind(x.ctype) != "i"
        ctype = "uint8_t" if node.op_type in ("IsNaN", "IsInf", "Not") else x.ctype
        self.elementwise(self.declare(node.output[0], ctype), [x], lambda e: form.format(x=e))

    def _binary(self, node, *inputs: Value) -> None:
        if any(v.string for v in inputs) and node.op_type != "Equal":
            raise self.refusal(node, f"{node.op_type} of text")
        if node.op_type == "Equal" and all(v.string and v.data is None for v in inputs):
            raise self.refusal(node, "a comparison of two text values that are not constants")
        form = _BINARY[node.op_type]
        if node.op_type == "Div" and _kind(inputs[0].ctype) == "i" and not _nonzero(inputs[1]):
            raise self.refusal(node, "an integer division by a value that is not a nonzero constant")
        if len(inputs) == 1:  # a Sum, Min or Max of one input
            return self.alias(node, inputs[0])
        result = inputs[0]
        for other in inputs[1:]:  # Min, Max and Sum take any number
            out = self.declare(node.output[0]) if other is inputs[-1] else self._temporary(node, result, other)
            self.elementwise(out, [result, other], lambda a, b: form.format(a=a, b=b))
            result = out

    def _temporary(self, node, a: Value, b: Value) -> Value:
        shape = np.broadcast_shapes(a.shape, b.shape)
        value = Value(self.fresh(), a.ctype, tuple(shape))
        self.emit(f"{value.ctype} {value.name}[{max(1, value.size)}];")
        return value

    op_Abs = op_Neg = op_Sqrt = op_Exp = op_Log = op_Tanh = op_Floor = op_Ceil = _unary
    op_Relu = op_Sigmoid = op_Reciprocal = op_IsNaN = op_IsInf = op_Not = _unary
    op_Add = op_Sub = op_Mul = op_Div = op_Equal = op_Less = op_LessOrEqual = _binary
    op_Greater = op_GreaterOrEqual = op_And = op_Or = op_Xor = op_Min = op_Max = op_Sum = _binary

    def op_Identity(self, node, x: Value) -> None:
        self.alias(node, x)

    op_Squeeze = op_Unsqueeze = op_Reshape = op_Flatten = lambda self, node, x, *_: self.alias(node, x)

    def op_Mod(self, node, a: Value, b: Value) -> None:
        if _kind(a.ctype) != "i" or _kind(b.ctype) != "i":
            raise self.refusal(node, "Mod of non-integers")
        python = attr(node, "fmod", 0) == 0  # the sign of the divisor, as Python's %

        def mod(x, y):
            return f"((({x}) % ({y}) + ({y})) % ({y}))" if python else f"(({x}) % ({y}))"

        self.elementwise(self.declare(node.output[0]), [a, b], mod)

    def op_Pow(self, node, a: Value, b: Value) -> None:
        if _kind(a.ctype) == "i":
            raise self.refusal(node, "Pow of integers")
        self.program.math = True
        fn = "powf" if a.ctype == "float" else "pow"
        self.elementwise(self.declare(node.output[0]), [a, b], lambda x, y: f"{fn}({x}, {y})")

    def op_Where(self, node, c: Value, a: Value, b: Value) -> None:
        out = self.declare(node.output[0], string=a.string or b.string)
        self.elementwise(out, [c, a, b], lambda x, y, z: f"({x} ? {y} : {z})")

    def op_Cast(self, node, x: Value) -> None:
        to = cast_to(node)
        if to == TensorProto.STRING:
            return c_strings.integer_text(self, node, x)
        if x.string or to not in C_TYPES:
            raise self.refusal(node, "a cast of text to a number" if x.string else f"a cast to ONNX type {to}")
        if to == TensorProto.BOOL:
            self.elementwise(self.declare(node.output[0]), [x], lambda e: f"({e} != 0)")
        else:
            self.elementwise(self.declare(node.output[0]), [x], lambda e: e)

    encoder = c_strings.encoder
    op_StringConcat = c_strings.string_concat
    op_LabelEncoder = c_strings.label_encoder

    def op_Concat(self, node, *inputs: Value) -> None:
        out = self.declare(node.output[0], string=any(v.string for v in inputs))
        axis = attr(node, "axis") % len(out.shape)
        outer = int(np.prod(out.shape[:axis]))
        position = 0
        for value in inputs:
            width = int(np.prod(value.shape[axis:]))
            if width == 0:
                continue
            for o in range(outer):
                start = o * int(np.prod(out.shape[axis:])) + position
                if value.data is not None:
                    for j, v in enumerate(np.ravel(value.data)[o * width : (o + 1) * width]):
                        self.emit(f"{out.name}[{start + j}] = ({out.ctype}){literal(v, value.ctype)};")
                else:
                    self.emit(
                        f"for (int i = 0; i < {width}; ++i) {out.name}[{start} + i] = ({out.ctype}){value.name}"
                        f"[{o * width} + i];"
                    )
            position += width
        self.program.math |= any(v.data is not None and np.isnan(np.asarray(v.data, float)).any() for v in inputs)

    def op_Gather(self, node, data: Value, indices: Value) -> None:
        out = self.declare(node.output[0], data.ctype, string=data.string)
        axis = attr(node, "axis", 0) % len(data.shape)
        outer, inner = int(np.prod(data.shape[:axis])), int(np.prod(data.shape[axis + 1 :]))
        extent, count = data.shape[axis], max(1, indices.size)
        index = f"({self.at(indices, 'j')} < 0 ? {self.at(indices, 'j')} + {extent} : {self.at(indices, 'j')})"
        self.emit(
            f"for (int o = 0; o < {outer}; ++o) for (int j = 0; j < {count}; ++j) for (int i = 0; i < {inner}; ++i) "
            f"{out.name}[(o * {count} + j) * {inner} + i] = {self.ref(data)}[(o * {extent} + (int){index}) * "
            f"{inner} + i];"
        )

    def op_Slice(self, node, x: Value, starts: Value, ends: Value, axes: Value | None = None, steps=None) -> None:
        if any(v is not None and v.data is None for v in (starts, ends, axes, steps)):
            raise self.refusal(node, "a Slice of computed bounds")
        out = self.declare(node.output[0], x.ctype, string=x.string)
        first, step = [0] * len(x.shape), [1] * len(x.shape)
        listed = np.ravel(axes.data) if axes is not None else range(len(np.ravel(starts.data)))
        for k, axis in enumerate(listed):
            axis = int(axis) % len(x.shape)
            stride = int(np.ravel(steps.data)[k]) if steps is not None else 1
            begin = int(np.ravel(starts.data)[k])
            begin = begin + x.shape[axis] if begin < 0 else begin
            first[axis], step[axis] = min(max(begin, 0), x.shape[axis] - (stride < 0)), stride
        strides = [int(np.prod(x.shape[d + 1 :])) for d in range(len(x.shape))]
        source = " + ".join(f"({first[d]} + i{d} * {step[d]}) * {strides[d]}" for d in range(len(x.shape)))
        loops = " ".join(f"for (int i{d} = 0; i{d} < {n}; ++i{d})" for d, n in enumerate(out.shape))
        self.emit(f"{loops} {out.name}[{self._linear(out.shape)}] = {self.ref(x)}[{source}];")

    def _axes(self, node, axes: Value | None, rank: int) -> list[int]:
        listed = np.ravel(axes.data).tolist() if axes is not None else attr(node, "axes")
        return sorted(a % rank for a in (listed if listed is not None else range(rank)))

    def _reduce(self, node, x: Value, axes: Value | None = None) -> None:
        """ReduceSum / Mean / Max / Min over the listed axes (all when none are)."""
        reduced = self._axes(node, axes, len(x.shape))
        out = self.declare(node.output[0])
        loops = [f"i{d}" for d in range(len(x.shape))]
        kept = tuple(1 if d in reduced else n for d, n in enumerate(x.shape))
        target = self._index(Value("", "", kept), x.shape, loops) if out.size > 1 else "0"
        target = self._linear(x.shape) if target == "i" else target
        each = " ".join(f"for (int i{d} = 0; i{d} < {n}; ++i{d})" for d, n in enumerate(x.shape))
        each += f" {{ int i = {self._linear(x.shape)}, t = {target};"
        xs, outs = self.ref(x), out.name
        if node.op_type in ("ReduceSum", "ReduceMean"):
            self.emit(f"for (int i = 0; i < {out.size}; ++i) {outs}[i] = 0;")
            self.emit(f"{each} {outs}[t] += {xs}[i]; }}")
        else:  # start from any element of each group, then keep the largest (smallest), or a NaN
            better = ">" if node.op_type == "ReduceMax" else "<"
            self.emit(f"{each} {outs}[t] = {xs}[i]; }}")
            self.emit(f"{each} if ({xs}[i] != {xs}[i] || {xs}[i] {better} {outs}[t]) {outs}[t] = {xs}[i]; }}")
        if node.op_type == "ReduceMean":
            count = int(np.prod([x.shape[d] for d in reduced]))
            self.emit(f"for (int i = 0; i < {out.size}; ++i) {outs}[i] /= ({out.ctype}){count};")

    @staticmethod
    def _linear(shape: tuple[int, ...]) -> str:
        terms, stride = [], 1
        for d in reversed(range(len(shape))):
            terms.append(f"i{d} * {stride}" if stride != 1 else f"i{d}")
            stride *= shape[d]
        return " + ".join(reversed(terms))

    op_ReduceSum = op_ReduceMean = op_ReduceMax = op_ReduceMin = _reduce

    def op_Round(self, node, x: Value) -> None:
        """Half to even, as ONNX rounds: C's rint in the default rounding mode."""
        if _kind(x.ctype) == "i":
            return self.alias(node, x)
        self.program.math = True
        fn = "rintf" if x.ctype == "float" else "rint"
        self.elementwise(self.declare(node.output[0]), [x], lambda e: f"{fn}({e})")

    def _arg(self, node, x: Value) -> None:
        axis = attr(node, "axis", 0) % len(x.shape)
        if attr(node, "select_last_index", 0):
            raise self.refusal(node, "select_last_index")
        out = self.declare(node.output[0])
        outer, extent, inner = int(np.prod(x.shape[:axis])), x.shape[axis], int(np.prod(x.shape[axis + 1 :]))
        better = ">" if node.op_type == "ArgMax" else "<"
        self.emit(
            f"for (int o = 0; o < {outer}; ++o) for (int i = 0; i < {inner}; ++i) {{ int best = 0; "
            f"for (int j = 1; j < {extent}; ++j) if ({self.ref(x)}[(o * {extent} + j) * {inner} + i] {better} "
            f"{self.ref(x)}[(o * {extent} + best) * {inner} + i]) best = j; {out.name}[o * {inner} + i] = best; }}"
        )

    op_ArgMax = op_ArgMin = _arg

    def op_Softmax(self, node, x: Value) -> None:
        axis = attr(node, "axis", -1) % len(x.shape)
        out = self.declare(node.output[0])
        self.program.math = True
        exp = "expf" if x.ctype == "float" else "exp"
        outer, extent, inner = int(np.prod(x.shape[:axis])), x.shape[axis], int(np.prod(x.shape[axis + 1 :]))
        at = f"(o * {extent} + j) * {inner} + i"
        self.emit(
            f"for (int o = 0; o < {outer}; ++o) for (int i = 0; i < {inner}; ++i) {{ {x.ctype} top = "
            f"{self.ref(x)}[o * {extent} * {inner} + i], sum = 0; for (int j = 1; j < {extent}; ++j) if ({x.name}[{at}] "
            f"> top) top = {x.name}[{at}]; for (int j = 0; j < {extent}; ++j) {{ {out.name}[{at}] = {exp}({x.name}"
            f"[{at}] - top); sum += {out.name}[{at}]; }} for (int j = 0; j < {extent}; ++j) {out.name}[{at}] /= sum; }}"
        )

    def op_MatMul(self, node, a: Value, b: Value) -> None:
        if b.data is None or len(b.shape) != 2 or a.size != b.shape[0]:
            raise self.refusal(node, "a product of two computed matrices")
        n, m = b.shape
        out = self.declare(node.output[0])
        weights = np.asarray(b.data, np.float64)
        self.weight_bytes["float"] += weights.size * 4
        if self.quantize in ("INT8", "INT16"):
            return self._quantized_matmul(a, out, weights)
        self.weight_bytes["quantized"] += weights.size * 4
        w = self.ref(b)
        self.emit(
            f"for (int j = 0; j < {m}; ++j) {{ {out.ctype} s = 0; for (int i = 0; i < {n}; ++i) s += {a.name}[i] * "
            f"{w}[i * {m} + j]; {out.name}[j] = s; }}"
        )

    def _quantized_matmul(self, a: Value, out: Value, weights: np.ndarray) -> None:
        """int8: weights and the input row as int8 with one scale each, the sums in int32; int16: the weights
        as int16 with one scale, the sums in float."""
        n, m = weights.shape
        top = float(np.max(np.abs(weights))) or 1.0
        bits = 127 if self.quantize == "INT8" else 32767
        scale = top / bits
        q = np.clip(np.rint(weights / scale), -bits, bits).astype(np.int64)
        w = self.fresh("k")
        self.constant_array(w, "int8_t" if bits == 127 else "int16_t", q.T)  # row j: output j's weights
        self.weight_bytes["quantized"] += weights.size * (1 if bits == 127 else 2) + 4
        real = out.ctype
        if bits == 32767:
            self.emit(
                f"for (int j = 0; j < {m}; ++j) {{ {real} s = 0; for (int i = 0; i < {n}; ++i) s += {a.name}[i] * "
                f"({real}){w}[j * {n} + i]; {out.name}[j] = s * ({real}){literal(scale, real)}; }}"
            )
            return
        self.emit(
            f"{{ {real} top = 0; int8_t q[{n}]; for (int i = 0; i < {n}; ++i) {{ {real} v = {a.name}[i] < 0 ? "
            f"-{a.name}[i] : {a.name}[i]; if (v > top) top = v; }} {{ {real} s = top > 0 ? top / 127 : 1; "
            f"for (int i = 0; i < {n}; ++i) {{ {real} r = {a.name}[i] / s; q[i] = (int8_t)(r < 0 ? r - 0.5f : r + "
            f"0.5f); }} for (int j = 0; j < {m}; ++j) {{ int32_t acc = 0; for (int i = 0; i < {n}; ++i) acc += "
            f"(int32_t)q[i] * {w}[j * {n} + i]; {out.name}[j] = ({real})acc * s * ({real}){literal(scale, real)}; "
            "} } }"
        )

    def op_TreeEnsemble(self, node, x: Value) -> None:
        layout = c_trees.layout(node, self.quantize == "INT16")
        out = self.declare(node.output[0])
        prefix = self.fresh("t")
        self.program.constants.extend(c_trees.arrays(layout, prefix))
        self.emit(c_trees.walk(layout, prefix, x.name, out.name, x.ctype))
