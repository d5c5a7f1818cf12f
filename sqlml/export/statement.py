"""EXPORT MODEL as a statement of the engine: the handler the composition root (sqlml/root.py) registers.
Importing this module is cheap: ONNX and the exporter load when an EXPORT MODEL runs."""

from __future__ import annotations

from sqlml.engine.context import MLContext
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.parser import ExportModel


def export_statement(ctx: MLContext, statement: ExportModel) -> bool:
    """Export the model; the result: one row describing what was written."""
    from sqlml.export.exporter import export_model  # onnx, onnxruntime: loaded by the first export

    row = export_model(ctx, statement)  # column -> value
    ctx.cur.execute("SELECT " + ", ".join(f"? AS {quote_identifier(name)}" for name in row), list(row.values()))
    return True
