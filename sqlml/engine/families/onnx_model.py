"""model_type='onnx': an imported ONNX model (exported by sqlml or any other tool), run by ML.PREDICT.

Inputs are matched by name (case-insensitively) to the columns of ML.PREDICT's input and fed as their
declared rank ([N] or [N, 1]) and type, with EXPORT MODEL's NULL conventions: NaN for float and double,
the smallest int64 for int64, "" for strings (a bool input cannot be NULL). Each output becomes a column
named after it: [N] or [N, 1] a value, [N, k] a LIST. Graphs with other input or output shapes or types
are refused at import.

ONNX Runtime only ever gets bytes sqlml has checked, never a path: a stored model holds all its data inline
(an artifact referencing external data is refused at load, so no file of the server is read through it).
Importing reads the model file and its external data as regular files only (never a FIFO or a device),
the external data from the model's own folder, within MAX_MODEL_BYTES, and stores them inline; the graph
must have at most MAX_NODES nodes and Loops with constant trip counts (MAX_LOOP_TRIPS when nested ones are
multiplied). A run is terminated when its statement is cancelled.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from sqlml.engine.data.features import find_column
from sqlml.engine.data.onnx_values import ONNX_TYPES, onnx_input
from sqlml.engine.families.base import Family
from sqlml.engine.families.options import Option
from sqlml.engine.progress import Progress
from sqlml.engine.store.files import inside, local_path, read_regular
from sqlml.errors import Cancelled, DataError, Error, NotSupportedError, ProgrammingError

MAX_MODEL_BYTES = 2**30  # an imported model file and its external data, together
MAX_NODES = 100_000  # in all of a model's graphs, subgraphs and functions
MAX_LOOP_TRIPS = 1_000_000  # iterations of a Loop, times those of the Loops it is nested in


def _rank(arg, what: str) -> int:
    """1 for [N], 2 for [N, 1] or [N, k] (k > 1 allowed for outputs only)."""
    shape = arg.shape
    if (
        arg.type not in ONNX_TYPES
        or not 1 <= len(shape) <= 2
        or (what == "input" and len(shape) == 2 and shape[1] not in (1, None, "None"))
    ):
        raise NotSupportedError(
            f"ONNX model {what} '{arg.name}' has type {arg.type} and shape {shape}; sqlml runs "
            "graphs whose inputs are [N] or [N, 1] and outputs [N], [N, 1] or [N, k] tensors of "
            "float, double, int64, string or bool"
        )
    if what == "input" and isinstance(shape[0], int):
        raise NotSupportedError(
            f"ONNX model input '{arg.name}' has a fixed batch size ({shape[0]}); sqlml feeds "
            "inputs with a free first dimension, [N] or [N, 1]"
        )
    return len(shape)


def _messages(root) -> Iterator:
    """`root` and every protobuf message inside it (graphs, nodes, attributes, functions, ...); a tensor's own
    fields are not entered."""
    import onnx
    from google.protobuf.message import Message

    def walk(message) -> Iterator:
        yield message
        if isinstance(message, onnx.TensorProto):
            return
        for field, value in message.ListFields():
            if field.message_type is not None:
                for item in (value,) if isinstance(value, Message) else value:
                    yield from walk(item)

    return walk(root)


def _external(model) -> list:
    """The tensors anywhere in `model` (initializers, sparse ones, attributes, subgraphs, functions) whose data
    is in a file."""
    import onnx

    return [
        m
        for m in _messages(model)
        if isinstance(m, onnx.TensorProto) and (m.data_location == onnx.TensorProto.EXTERNAL or len(m.external_data))
    ]


def _parse(data: bytes):
    """The ModelProto in `data`, without fields this onnx does not know (ONNX Runtime gets what was checked)."""
    import onnx

    model = onnx.ModelProto.FromString(data)
    model.DiscardUnknownFields()
    return model


def _inline(model, folder: Path, limit: int, what: str) -> None:
    """Read every external tensor's data from its regular file inside `folder` and hold it inline."""
    import onnx

    for tensor in _external(model):
        entries = {entry.key: entry.value for entry in tensor.external_data}
        location = entries.get("location", "")
        shown = f"{what}: external data '{location}' of tensor '{tensor.name}'"
        path = inside(folder, location) if location else None
        if path is None:
            raise ProgrammingError(f"{shown} is not a file in the model's folder")
        try:
            offset, length = int(entries.get("offset", 0)), entries.get("length")
            length = None if length is None else int(length)
        except ValueError:
            raise DataError(f"{shown} has an offset or length that is not an integer") from None
        data = read_regular(path, shown, limit, offset, length)
        limit -= len(data)
        tensor.raw_data = data
        del tensor.external_data[:]
        tensor.data_location = onnx.TensorProto.DEFAULT


def _check_node_count(model) -> None:
    import onnx

    nodes = sum(isinstance(m, onnx.NodeProto) for m in _messages(model))
    if nodes > MAX_NODES:
        raise NotSupportedError(f"the ONNX model has {nodes:,} nodes; sqlml imports at most {MAX_NODES:,}")


def _check_loops(model) -> None:
    """Each Loop has a constant trip count M, and nested ones multiply to at most MAX_LOOP_TRIPS."""
    import onnx

    _check_graph_loops(model.graph, {}, 1)
    for function in model.functions:
        _check_graph_loops(onnx.helper.make_graph(function.node, function.name, [], []), {}, 1)


def _check_graph_loops(graph, outer: dict, trips: int) -> None:
    """_check_loops for `graph` and its subgraphs; `outer`: the constants of the enclosing graphs (initializers,
    Constant nodes), `trips`: how often the enclosing Loops run the graph."""
    defined = {i.name for i in graph.input} | {name for node in graph.node for name in node.output}
    constants = {name: tensor for name, tensor in outer.items() if name not in defined}
    constants |= {t.name: t for t in graph.initializer if t.name not in defined}
    constants |= {
        node.output[0]: a.t
        for node in graph.node
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx")
        for a in node.attribute
        if a.name == "value"
    }
    for node in graph.node:
        runs = trips
        if node.op_type == "Loop" and node.domain in ("", "ai.onnx"):
            runs = trips * _trip_count(node, constants)
            if runs > MAX_LOOP_TRIPS:
                raise NotSupportedError(
                    f"ONNX model {_loop_name(node)} would run {runs:,} iterations (nested "
                    f"Loops multiplied); sqlml imports Loops of at most {MAX_LOOP_TRIPS:,}"
                )
        for attribute in node.attribute:
            for subgraph in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                _check_graph_loops(subgraph, constants, runs)


def _loop_name(node) -> str:
    return f"Loop node '{node.name}'" if node.name else "Loop node (unnamed)"


def _trip_count(node, constants: dict) -> int:
    from onnx import TensorProto, numpy_helper

    tensor = constants.get(node.input[0]) if node.input and node.input[0] else None
    if tensor is None or math.prod(tensor.dims) != 1 or tensor.data_type != TensorProto.INT64:
        raise NotSupportedError(
            f"ONNX model {_loop_name(node)} has no constant trip count M; sqlml imports "
            f"Loops whose M is an initializer or a Constant of at most {MAX_LOOP_TRIPS:,}"
        )
    return max(int(numpy_helper.to_array(tensor).reshape(-1)[0]), 0)  # ONNX Runtime runs no iteration for M < 0


class OnnxModel:
    def __init__(self, data: bytes):
        """The model stored as `data`; DataError if it references external data (never read)."""
        import onnxruntime as ort

        model = _parse(data)
        external = _external(model)
        if external:
            raise DataError(
                f"the ONNX model references external data (tensor '{external[0].name}'); a stored model "
                "holds all its data inline"
            )
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.data = data
        self.session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        self.inputs = [(arg.name, arg.type, _rank(arg, "input")) for arg in self.session.get_inputs()]
        self.outputs = [(arg.name, arg.type, _rank(arg, "output"), arg.shape) for arg in self.session.get_outputs()]

    def fields(self) -> list[pa.Field]:
        """ML.PREDICT's added columns."""
        return [
            pa.field(name, ONNX_TYPES[kind][0] if rank == 1 or shape[1] == 1 else pa.list_(ONNX_TYPES[kind][0]))
            for name, kind, rank, shape in self.outputs
        ]

    def resolve(self, names: list[str]) -> dict[str, str]:
        mapping = {name: find_column(names, name) for name, _, _ in self.inputs}
        missing = [name for name, found in mapping.items() if found is None]
        if missing:
            raise ProgrammingError(
                f"input is missing column(s) {', '.join(map(repr, missing))} that the ONNX "
                f"model reads; input columns: {', '.join(names)}"
            )
        return mapping

    def feeds(self, batch: pa.RecordBatch, mapping: dict[str, str]) -> dict[str, np.ndarray]:
        out = {}
        for name, kind, rank in self.inputs:
            try:
                values = onnx_input(batch.column(mapping[name]), kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise DataError(
                    f"column '{mapping[name]}' cannot be fed to the ONNX model's {kind} input '{name}': {exc}"
                ) from None
            out[name] = values.reshape(-1, 1) if rank == 2 else values
        return out

    def predict(self, feeds: dict[str, np.ndarray], progress: Progress | None = None) -> list[np.ndarray]:
        """The outputs for `feeds`; cancelling `progress` terminates the run (sqlml's Cancelled)."""
        import onnxruntime as ort

        run = ort.RunOptions()
        run.log_severity_level = 4  # a terminated run is not an error to log
        with (progress or Progress()).stopping(lambda: setattr(run, "terminate", True)):
            try:
                return self.session.run(None, feeds, run)
            except Exception:
                if run.terminate:
                    raise Cancelled("the statement was cancelled") from None
                raise

    def columns(self, outputs: list[np.ndarray]) -> list[pa.Array]:
        """Arrow columns of one batch's outputs, as fields() describes them."""
        columns = []
        for (_, kind, _, _), values, field in zip(self.outputs, outputs, self.fields()):
            if pa.types.is_list(field.type):
                n, k = values.shape
                flat = pa.array(
                    values.ravel().tolist() if kind == "tensor(string)" else values.ravel(), field.type.value_type
                )
                columns.append(pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), flat))
            else:
                values = values.reshape(-1)
                columns.append(pa.array(values.tolist() if kind == "tensor(string)" else values, field.type))
        return columns

    def artifact(self) -> bytes:
        return self.data

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> OnnxModel:
        return cls(data)

    @classmethod
    def imported(cls, path: str, shown: str) -> OnnxModel:
        """The model in the file at `path` (model_path `shown`, in errors), its external data inlined, checked
        by onnx and sqlml's limits."""
        import onnx

        what = f"OPTIONS: model_path '{shown}'"
        data = read_regular(path, what, MAX_MODEL_BYTES)
        try:
            model = _parse(data)
            _inline(model, Path(path).resolve().parent, MAX_MODEL_BYTES - len(data), what)
            _check_node_count(model)
            onnx.checker.check_model(model)
            _check_loops(model)
            return cls(model.SerializeToString())
        except Error:
            raise
        except Exception as exc:  # onnx, protobuf and ONNX Runtime raise their own types for a bad file
            raise DataError(f"{what} is not an ONNX model sqlml can run: {exc}") from None


def model_path_given(options: dict) -> None:
    if not options["model_path"]:
        raise ProgrammingError("OPTIONS: model_type='onnx' needs model_path='file.onnx', the model to import")
    local_path("model_path", options["model_path"])


# an imported model: CREATE MODEL m OPTIONS(model_type='onnx', model_path=...), read from the file, not trained
FAMILIES = (
    Family(
        "onnx",
        "imported",
        {"model_path": Option("str")},
        load=OnnxModel.load,
        artifact_format="onnx",
        linear_encoding=False,
        rules=(model_path_given,),
        import_from=OnnxModel.imported,
    ),
)
