"""quantize='int8' | 'float16' | 'auto' for EXPORT MODEL.

int8: ONNX Runtime's dynamic quantization of the MatMul nodes (linear models, DNN layers, PCA), weights
as int8 with a per-tensor scale, activations quantized on the fly. float16: float32 weight tensors stored
as float16 and cast back when the graph runs (half the bytes, any runtime). Both start from a graph built
in float32. Tree ensembles have no MatMul (ONNX Runtime never quantizes TreeEnsemble) and are refused
with a clear error. auto: int8 for DNNs, otherwise no quantization.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from sqlml.engine.model import Model
from sqlml.engine.trainers.dnn import DNNModel
from sqlml.engine.trainers.linear import LinearModel
from sqlml.engine.trainers.pca import PCAModel
from sqlml.errors import NotSupportedError

_SMALLEST_WEIGHT = 16  # elements: smaller float tensors (scales, means) stay float32


def precision(quantize: str):
    """The dtype the graph is built in before quantizing."""
    return np.float64 if quantize == "NONE" else np.float32


def check(model: Model, quantize: str) -> None:
    """Refuse quantizing a model without weight matrices (tree ensembles, k-means)."""
    if quantize != "NONE" and not isinstance(model.estimator, (LinearModel, DNNModel, PCAModel)):
        raise NotSupportedError(f"EXPORT MODEL: quantize='{quantize.lower()}' has nothing to quantize in a "
                                f"{model.version.estimator_type or model.version.model_type} model (no weight "
                                "matrices); export it with quantize='none'")


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
    casts, converted = [], []
    for tensor in graph.graph.initializer:
        if tensor.data_type == TensorProto.FLOAT and np.prod(tensor.dims) >= _SMALLEST_WEIGHT:
            half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}_fp16")
            casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT))
            converted.append(tensor.name)
            tensor.CopyFrom(half)
    for position, cast in enumerate(casts):  # before every node that reads them
        graph.graph.node.insert(position, cast)
    return graph, converted


def auto(model: Model) -> str:
    return "INT8" if isinstance(model.estimator, DNNModel) else "NONE"


QUANTIZERS = {"INT8": int8, "FLOAT16": float16}
