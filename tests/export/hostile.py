"""Small ONNX models for the import security tests (built with onnx's helpers), ways to tamper with them and
with a stored artifact, and running a sqlml script in a subprocess with a deadline."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.engine.tampering import tamper

SECRET = b"PASSWORD=hunter22"
DEADLINE = 120  # seconds a subprocess may take before the test fails instead of hanging


def _model(nodes, inputs, outputs, initializers=(), **extra) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8, **extra)


def leaky_model() -> onnx.ModelProto:
    """y = x * w with w a [1, len(SECRET)] uint8 initializer: one row with x = 1 gives w's bytes back."""
    w = numpy_helper.from_array(np.zeros((1, len(SECRET)), np.uint8), "w")
    return _model(
        [helper.make_node("Cast", ["w"], ["wd"], to=TensorProto.DOUBLE), helper.make_node("Mul", ["x", "wd"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 1])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", len(SECRET)])],
        [w],
    )


def external_tensor(name: str, location: str, size: int = len(SECRET)) -> TensorProto:
    """A [1, size] uint8 tensor whose data is in the file `location`."""
    tensor = TensorProto(name=name, data_type=TensorProto.UINT8, dims=[1, size], data_location=TensorProto.EXTERNAL)
    tensor.external_data.add(key="location", value=location)
    return tensor


def with_external_w(model: onnx.ModelProto, location: str) -> onnx.ModelProto:
    """`leaky_model()` with its initializer w read from the file `location`."""
    tampered = onnx.ModelProto()
    tampered.CopyFrom(model)
    del tampered.graph.initializer[:]
    tampered.graph.initializer.append(external_tensor("w", location))
    return tampered


def _loop_body(trips: tuple[int, ...]) -> onnx.GraphProto:
    """A Loop body adding 1 to its carried value, or running a Loop of trips[0] iterations of the next
    level's body on it (names differ by level: ONNX names are unique across nested graphs)."""
    level = f"L{len(trips)}_"
    cond, acc, out = f"{level}cond", f"{level}acc", f"{level}out"
    nodes = [helper.make_node("Identity", [cond], [f"{cond}_out"])]
    if trips:
        nodes.append(helper.make_node("Loop", [f"{level}M", cond, acc], [out], body=_loop_body(trips[1:])))
        constants = [numpy_helper.from_array(np.array(trips[0], np.int64), f"{level}M")]
    else:
        nodes.append(helper.make_node("Add", [acc, f"{level}one"], [out]))
        constants = [numpy_helper.from_array(np.array(1.0), f"{level}one")]
    return helper.make_graph(
        nodes,
        f"{level}body",
        [
            helper.make_tensor_value_info(f"{level}i", TensorProto.INT64, []),
            helper.make_tensor_value_info(cond, TensorProto.BOOL, []),
            helper.make_tensor_value_info(acc, TensorProto.DOUBLE, ["N"]),
        ],
        [
            helper.make_tensor_value_info(f"{cond}_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info(out, TensorProto.DOUBLE, ["N"]),
        ],
        constants,
    )


def loop_model(*trips: int | None) -> onnx.ModelProto:
    """y = x + the product of `trips`: Loops nested as deep as `trips` is long, the innermost adding 1 per
    iteration (the outermost has no trip count M when trips[0] is None)."""
    constants = [numpy_helper.from_array(np.array(True), "cond")]
    if trips[0] is not None:
        constants.append(numpy_helper.from_array(np.array(trips[0], np.int64), "M"))
    loop = helper.make_node(
        "Loop", ["M" if trips[0] is not None else "", "cond", "x"], ["y"], body=_loop_body(trips[1:])
    )
    return _model(
        [loop],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N"])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N"])],
        constants,
    )


def chain_model(nodes: int) -> onnx.ModelProto:
    """y = x through `nodes` Identity nodes."""
    names = ["x", *(f"v{i}" for i in range(1, nodes)), "y"]
    return _model(
        [helper.make_node("Identity", [a], [b]) for a, b in zip(names, names[1:])],
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N"])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N"])],
    )


def affine_model(seed: int = 0) -> onnx.ModelProto:
    """y = [a, b] @ W + bias: double inputs a and b ([N, 1]), output y [N, 4]; W and bias random."""
    rng = np.random.default_rng(seed)
    return _model(
        [
            helper.make_node("Concat", ["a", "b"], ["ab"], axis=1),
            helper.make_node("MatMul", ["ab", "W"], ["m"]),
            helper.make_node("Add", ["m", "bias"], ["y"]),
        ],
        [helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]) for name in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 4])],
        [numpy_helper.from_array(rng.normal(size=(2, 4)), "W"), numpy_helper.from_array(rng.normal(size=4), "bias")],
    )


def _constant(location: str) -> onnx.NodeProto:
    return helper.make_node("Constant", [], ["hidden"], value=external_tensor("hidden", location))


def _branch(location: str) -> onnx.GraphProto:
    return helper.make_graph(
        [_constant(location)], "branch", [], [helper.make_tensor_value_info("hidden", TensorProto.UINT8, None)]
    )


def hiding_external_data(place: str, location: str) -> onnx.ModelProto:
    """A model with one tensor whose data is in the file `location`, at `place`: an initializer, a sparse
    initializer, a Constant node, a branch of an If, a Loop body, or a model-local function."""
    model = leaky_model()
    if place == "initializer":
        return with_external_w(model, location)
    if place == "sparse initializer":
        indices = numpy_helper.from_array(np.array([0], np.int64), "indices")
        model.graph.sparse_initializer.append(
            onnx.SparseTensorProto(values=external_tensor("sparse", location, 1), indices=indices, dims=[len(SECRET)])
        )
    elif place == "Constant node":
        model.graph.node.append(_constant(location))
    elif place == "If branch":
        model.graph.initializer.append(numpy_helper.from_array(np.array(True), "flag"))
        model.graph.node.append(
            helper.make_node("If", ["flag"], ["hidden"], then_branch=_branch(location), else_branch=_branch(location))
        )
    elif place == "Loop body":
        model = loop_model(3)
        model.graph.node[0].attribute[0].g.initializer.append(external_tensor("hidden", location))
    elif place == "function":
        model.functions.append(
            helper.make_function("local", "hide", [], ["hidden"], [_constant(location)], [helper.make_opsetid("", 17)])
        )
    return model


def replace_artifact(database: Path, model: str, artifact: bytes) -> None:
    """Overwrite the stored artifact of `model`'s version 1 with DuckDB directly, as a writing client could, its
    checksum recomputed as docs/statements.md describes it: what sqlml meets is the artifact, not a mismatch."""
    tamper(database, model, lambda row: row.update(artifact=artifact), fix_checksum=True)


def run_script(code: str, cwd: Path, timeout: float = DEADLINE) -> subprocess.CompletedProcess:
    """Run Python `code` (sqlml importable) in a subprocess in `cwd`; TimeoutExpired fails the test."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
