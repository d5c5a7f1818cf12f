"""A small builder for ONNX graphs: nodes with generated names, constants, inputs and outputs."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from sqlml.errors import ProgrammingError

RESERVED = "sqlml:"  # the prefix of every name the builder generates
ML_OPSET = 5  # ai.onnx.ml 5 has TreeEnsemble (with the default domain at opset 21 or later)


class Graph:
    def __init__(self, dtype=np.float64):
        self.dtype = np.dtype(dtype)  # the precision features and scores are computed in
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._count = 0

    @property
    def elem_type(self) -> int:
        return helper.np_dtype_to_tensor_dtype(self.dtype)

    def name(self, hint: str) -> str:
        """A fresh name for a node output or constant; RESERVED keeps it apart from column names."""
        self._count += 1
        return f"{RESERVED}{hint}_{self._count}"

    def const(self, value, hint: str = "c", dtype=None) -> str:
        """An initializer holding `value` (in the graph's precision unless `dtype` says otherwise)."""
        array = np.asarray(value, dtype=dtype)
        if dtype is None and array.dtype.kind == "f":
            array = array.astype(self.dtype)
        elif array.dtype.kind in "US":  # strings
            array = array.astype(object)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def op(
        self,
        op_type: str,
        *inputs: str,
        hint: str | None = None,
        outputs: int = 1,
        domain: str = "",
        name: str | None = None,
        **attrs,
    ) -> str | list[str]:
        """Add one node; returns its output name (a list when it has several)."""
        names = [name] if name else [self.name(hint or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, domain=domain or None, **attrs))
        return names[0] if outputs == 1 else names

    def input(self, name: str, elem_type: int, shape: list) -> str:
        if name.startswith(RESERVED):
            raise ProgrammingError(
                f"EXPORT MODEL: column '{name}' starts with '{RESERVED}', which names the graph's own values; rename it"
            )
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, value: str, name: str, elem_type: int, shape: list) -> None:
        if any(i.name == name for i in self.inputs):
            raise ProgrammingError(
                f"EXPORT MODEL: input column '{name}' has the name of an output of the graph; "
                "rename it in the training query"
            )
        self.op("Identity", value, name=name)
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def model(self, doc: str, metadata: dict[str, str], opset: int = 21) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "sqlml", self.inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="sqlml", doc_string=doc)
        model.ir_version = 10  # what ONNX Runtime 1.20+ reads
        helper.set_model_props(model, metadata)
        return model
