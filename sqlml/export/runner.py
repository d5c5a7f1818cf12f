"""Run an exported model on a CSV file with nothing but ONNX Runtime and numpy (the device side).

    python -m sqlml.export.runner model.onnx data.csv      (with sqlml installed)
    python runner.py model.onnx data.csv                    (this file copied next to the model)

Reads the CSV's columns named like the model's inputs (other columns are ignored), with the NULL
conventions of EXPORT MODEL: an empty field is NULL (NaN for numbers, the smallest int64 for integers, ""
for strings). Writes one CSV row of predictions per input row to standard output; a [N, k] output becomes
k columns, named after the classes for class probabilities. Imports nothing from sqlml.
"""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import onnxruntime as ort

INT64_NULL = np.iinfo(np.int64).min


def _column(values: list[str], onnx_type: str) -> np.ndarray:
    if onnx_type == "tensor(string)":
        return np.array(values, dtype=object).reshape(-1, 1)
    if onnx_type == "tensor(int64)":
        return np.array([INT64_NULL if v == "" else int(v) for v in values], np.int64).reshape(-1, 1)
    dtype = np.float32 if onnx_type == "tensor(float)" else np.float64
    return np.array([np.nan if v == "" else float(v) for v in values], dtype).reshape(-1, 1)


def predict(model_path: str, csv_path: str) -> tuple[list[str], list[list]]:
    """(header, rows) of the model's outputs for the CSV's rows."""
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    with open(csv_path, newline="") as f:
        records = list(csv.DictReader(f))
    missing = [i.name for i in session.get_inputs() if records and i.name not in records[0]]
    if missing:
        raise SystemExit(f"{csv_path} lacks the model's input column(s): {', '.join(missing)}")
    feeds = {i.name: _column([r[i.name] for r in records], i.type) for i in session.get_inputs()}
    outputs = session.run(None, feeds)
    classes = json.loads(session.get_modelmeta().custom_metadata_map.get("classes", "null"))
    header, columns = [], []
    for meta, values in zip(session.get_outputs(), outputs):
        if values.ndim == 1:
            header.append(meta.name)
            columns.append(values)
            continue
        names = classes if classes and values.shape[1] == len(classes) else range(values.shape[1])
        header += [f"{meta.name}:{name}" for name in names]
        columns += list(values.T)
    rows = [[value.item() if hasattr(value, "item") else value for value in row] for row in zip(*columns)]
    return header, rows


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python -m sqlml.export.runner model.onnx data.csv")
    header, rows = predict(*argv)
    out = csv.writer(sys.stdout)
    out.writerow(header)
    out.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
