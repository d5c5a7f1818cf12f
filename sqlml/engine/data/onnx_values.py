"""DuckDB values as ONNX tensors, with sqlml's NULL conventions: what an imported ONNX model is fed by ML.PREDICT
and what an exported one is fed by its verification and its device-side runner."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

INT64_NULL = np.iinfo(np.int64).min  # an int64 input's NULL
ONNX_TYPES = {  # an ONNX input or output type -> its Arrow type and numpy dtype
    "tensor(double)": (pa.float64(), np.float64),
    "tensor(float)": (pa.float32(), np.float32),
    "tensor(int64)": (pa.int64(), np.int64),
    "tensor(string)": (pa.string(), object),
    "tensor(bool)": (pa.bool_(), np.bool_),
}


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
    return values.astype(ONNX_TYPES[onnx_type][1])
