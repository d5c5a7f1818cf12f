"""quantize='int8' | 'float16' | 'auto' for EXPORT MODEL. Each starts from a graph built in float32.

int8: ONNX Runtime's dynamic quantization of the MatMul nodes (linear models, DNN layers, PCA), weights
as int8 with a per-tensor scale, activations quantized on the fly. Tree ensembles have no MatMul (ONNX
Runtime never quantizes TreeEnsemble) and are refused. float16: the MatMul weight matrices stored as
float16 and cast back when the graph runs (half their bytes, any runtime; preprocessing constants such as
means stay float32, where they cannot overflow); tree ensembles become the compact
TreeEnsemble in float32 (ONNX Runtime runs no float16 trees), splits rounded down so a float32 input
takes the branch it takes against the double; verification then decides whether that keeps agreement.
auto: int8 for DNNs, float16 for tree ensembles (no quantization when verification refuses it),
otherwise none.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from sqlml.engine.store.model import Model
from sqlml.errors import NotSupportedError


def precision(quantize: str):
    """The dtype the graph is built in before quantizing."""
    return np.float64 if quantize == "NONE" else np.float32


def check(model: Model, quantize: str) -> None:
    """Refuse quantizing what has nothing to quantize (the family's `quantize`): int8 of trees, anything of
    k-means."""
    if quantize != "NONE" and quantize not in model.family.quantize:
        raise NotSupportedError(
            f"EXPORT MODEL: quantize='{quantize.lower()}' has nothing to quantize in a "
            f"{model.version.estimator_type or model.version.model_type} model (no weight "
            "matrices); export it with quantize='none'"
        )


def int8(graph: onnx.ModelProto, model: Model) -> tuple[onnx.ModelProto, list[str]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "quantized.onnx"
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # it advises a pre-processing pass these graphs do not need
        try:
            quantize_dynamic(graph, out, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        finally:
            logging.getLogger().setLevel(quiet)
        quantized = onnx.load(out)
    nodes = [node.name or node.output[0] for node in quantized.graph.node if node.op_type == "MatMulInteger"]
    return quantized, nodes


def float16(graph: onnx.ModelProto, model: Model) -> tuple[onnx.ModelProto, list[str]]:
    trees = [node.output[0] for node in graph.graph.node if node.op_type == "TreeEnsemble"]
    if trees:  # tree ensembles are built compact in float32 already
        return graph, trees
    casts, converted = [], []
    weights = {node.input[1] for node in graph.graph.node if node.op_type == "MatMul"}  # not means, stds, ...
    for tensor in graph.graph.initializer:
        if tensor.name in weights and tensor.data_type == TensorProto.FLOAT:
            half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}_fp16")
            casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT))
            converted.append(tensor.name)
            tensor.CopyFrom(half)
    for position, cast in enumerate(casts):  # before every node that reads them
        graph.graph.node.insert(position, cast)
    return graph, converted


def auto(model: Model) -> str:
    """What quantize='auto' picks for the model's family: int8 for DNNs, float16 for tree ensembles, else none."""
    return model.family.quantize_auto


QUANTIZERS = {"INT8": int8, "FLOAT16": float16}
