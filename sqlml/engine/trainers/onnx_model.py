"""model_type='onnx': an imported ONNX model (exported by sqlml or any other tool), run by ML.PREDICT.

Inputs are matched by name (case-insensitively) to the columns of ML.PREDICT's input and fed as their
declared rank ([N] or [N, 1]) and type, with EXPORT MODEL's NULL conventions: NaN for float and double,
the smallest int64 for int64, "" for strings (a bool input cannot be NULL). Each output becomes a column
named after it: [N] or [N, 1] a value, [N, k] a LIST. Graphs with other input or output shapes or types
are refused at import.
"""

from __future__ import annotations

import math

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.features import find_column
from sqlml.errors import DataError, NotSupportedError, ProgrammingError

INT64_NULL = np.iinfo(np.int64).min  # an int64 input's NULL
_TYPES = {"tensor(double)": (pa.float64(), np.float64), "tensor(float)": (pa.float32(), np.float32),
          "tensor(int64)": (pa.int64(), np.int64), "tensor(string)": (pa.string(), object),
          "tensor(bool)": (pa.bool_(), np.bool_)}


def duckdb_time(text: str) -> str:
    """A time as pyarrow writes it ('10:00:00.500000') as DuckDB does ('10:00:00.5'; '10:00:00' when whole)."""
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def onnx_input(column: pa.Array | pa.ChunkedArray, onnx_type: str) -> np.ndarray:
    """An Arrow column as the values of an ONNX input of `onnx_type`, with sqlml's conventions: NaN for a
    NULL number, the smallest int64 for a NULL int64 (a timestamp as microseconds since the epoch), ""
    for a NULL string (a time as DuckDB writes it); a bool input cannot take NULL (ValueError). Arrow's
    errors for a column that does not convert propagate."""
    if onnx_type == "tensor(string)":
        values = pc.fill_null(pc.cast(column, pa.string()), "").to_numpy(zero_copy_only=False)
        if pa.types.is_time(column.type):
            values = np.array([duckdb_time(v) if v else v for v in values], dtype=object)
    elif onnx_type == "tensor(int64)":
        if pa.types.is_timestamp(column.type):  # microseconds, whatever the column's unit
            column = pc.cast(column, pa.timestamp("us", column.type.tz))
        values = pc.fill_null(pc.cast(column, pa.int64()), INT64_NULL).to_numpy(zero_copy_only=False)
    elif onnx_type == "tensor(bool)":
        if column.null_count:
            raise ValueError("it has NULLs, which a bool input cannot take")
        values = pc.cast(column, pa.bool_()).to_numpy(zero_copy_only=False)
    else:
        values = pc.fill_null(pc.cast(column, pa.float64(), safe=False), math.nan).to_numpy(zero_copy_only=False)
    return values.astype(_TYPES[onnx_type][1])


def _rank(arg, what: str) -> int:
    """1 for [N], 2 for [N, 1] or [N, k] (k > 1 allowed for outputs only)."""
    shape = arg.shape
    if arg.type not in _TYPES or not 1 <= len(shape) <= 2 or (what == "input" and len(shape) == 2 and
                                                               shape[1] not in (1, None, "None")):
        raise NotSupportedError(f"ONNX model {what} '{arg.name}' has type {arg.type} and shape {shape}; sqlml runs "
                                "graphs whose inputs are [N] or [N, 1] and outputs [N], [N, 1] or [N, k] tensors of "
                                "float, double, int64, string or bool")
    if what == "input" and isinstance(shape[0], int):
        raise NotSupportedError(f"ONNX model input '{arg.name}' has a fixed batch size ({shape[0]}); sqlml feeds "
                                "inputs with a free first dimension, [N] or [N, 1]")
    return len(shape)


class OnnxModel:
    def __init__(self, data: bytes):
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.data = data
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.inputs = [(arg.name, arg.type, _rank(arg, "input")) for arg in self.session.get_inputs()]
        self.outputs = [(arg.name, arg.type, _rank(arg, "output"), arg.shape) for arg in self.session.get_outputs()]

    def fields(self) -> list[pa.Field]:
        """ML.PREDICT's added columns."""
        return [pa.field(name, _TYPES[kind][0] if rank == 1 or shape[1] == 1 else pa.list_(_TYPES[kind][0]))
                for name, kind, rank, shape in self.outputs]

    def resolve(self, names: list[str]) -> dict[str, str]:
        mapping = {name: find_column(names, name) for name, _, _ in self.inputs}
        missing = [name for name, found in mapping.items() if found is None]
        if missing:
            raise ProgrammingError(f"input is missing column(s) {', '.join(map(repr, missing))} that the ONNX "
                                   f"model reads; input columns: {', '.join(names)}")
        return mapping

    def feeds(self, batch: pa.RecordBatch, mapping: dict[str, str]) -> dict[str, np.ndarray]:
        out = {}
        for name, kind, rank in self.inputs:
            try:
                values = onnx_input(batch.column(mapping[name]), kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise DataError(f"column '{mapping[name]}' cannot be fed to the ONNX model's {kind} input "
                                f"'{name}': {exc}") from None
            out[name] = values.reshape(-1, 1) if rank == 2 else values
        return out

    def predict(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(None, feeds)

    def columns(self, outputs: list[np.ndarray]) -> list[pa.Array]:
        """Arrow columns of one batch's outputs, as fields() describes them."""
        columns = []
        for (name, kind, rank, shape), values, field in zip(self.outputs, outputs, self.fields()):
            if pa.types.is_list(field.type):
                n, k = values.shape
                flat = pa.array(values.ravel().tolist() if kind == "tensor(string)" else values.ravel(),
                                field.type.value_type)
                columns.append(pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), flat))
            else:
                values = values.reshape(-1)
                columns.append(pa.array(values.tolist() if kind == "tensor(string)" else values, field.type))
        return columns

    def artifact(self) -> bytes:
        return self.data

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> "OnnxModel":
        return cls(data)
