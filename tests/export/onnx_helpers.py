"""Helpers of the export tests: rows of a query as dicts, an exported file run by ONNX Runtime alone, and
the one result row of EXPORT MODEL."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
INT64_NULL = -(2**63)


def run_onnx(path: Path, rows: list[dict]) -> dict[str, np.ndarray]:
    """ONNX Runtime on `rows` (Python values, None for NULL), inputs fed as the sidecar documents."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {}
    for arg in session.get_inputs():
        values = [row[arg.name] for row in rows]
        if arg.type == "tensor(string)":
            array = np.array(
                ["" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for v in values], dtype=object
            )
        elif arg.type == "tensor(int64)":
            array = np.array([INT64_NULL if v is None else v for v in values], dtype=np.int64)
        else:
            array = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
        feeds[arg.name] = array.reshape(-1, 1)
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


def rows_of(con, query: str) -> list[dict]:
    cur = con.cursor()
    cur.execute(query)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def result_row(cur) -> dict:
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))
