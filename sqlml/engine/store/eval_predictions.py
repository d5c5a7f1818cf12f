"""A version's evaluation split as stored: its labels and scores as Arrow IPC, from which ML.EVALUATE,
ML.CONFUSION_MATRIX and ML.ROC_CURVE recompute their figures without the rows."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa


def eval_predictions_blob(y: np.ndarray | None, scores: np.ndarray) -> bytes:
    """The evaluation split's labels and scores as Arrow IPC, so ML.EVALUATE can recompute metrics
    (empty for models without a label, whose metrics need the rows themselves)."""
    if y is None:
        return b""
    columns = {"y": y} | (
        {f"p{i}": scores[:, i] for i in range(scores.shape[1])} if scores.ndim == 2 else {"prediction": scores}
    )
    sink = io.BytesIO()
    table = pa.table(columns)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def read_eval_predictions(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The (labels, scores) stored by `eval_predictions_blob`."""
    table = pa.ipc.open_stream(blob).read_all()
    y = table.column("y").to_numpy()
    if "prediction" in table.column_names:
        return y, table.column("prediction").to_numpy()
    return y, np.column_stack([table.column(c).to_numpy() for c in table.column_names[1:]])
