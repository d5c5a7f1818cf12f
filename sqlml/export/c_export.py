"""EXPORT MODEL m OPTIONS(uri='m.h', format='c' [, quantize='none'|'int16'|'int8'] [, prefix='m']).

The version's ONNX graph, built in float32 (export/exporter.build: TRANSFORM and the automatic preprocessing
included), compiled to one header-only C99 file (export/c_source.py, c_trees.py, c_header.py), then verified
before anything is written: compiled with the host C compiler and a generated driver, run on the
verification rows, and compared with the engine's predictions as the ONNX export is (export/verify.py):
quantize='none' must agree on at least 99.9% of labels with values within 1e-4 (relative to their scale);
int16 and int8 may lose at most max_metric_drop. The result row reports these figures and the code size
(text and read-only data of the object file compiled with -Os for this machine).

quantize: 'int16' rank-codes tree splits and stores leaves as int16 (tree ensembles), or stores weight
matrices as int16 (networks, linear models, pca); 'int8' stores weight matrices as int8 with int32
accumulation. k-means has nothing to quantize.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from sqlml.engine.context import MLContext
from sqlml.engine.store.model import Model
from sqlml.errors import NotSupportedError
from sqlml.export.c_build import code_size, compiler, run
from sqlml.export.c_header import header
from sqlml.export.c_values import check_prefix, identifier
from sqlml.export.verify import compare, figure_columns, verification_rows


def _check_quantize(model: Model, quantize: str) -> None:
    """int16 applies where the ONNX export quantizes anything; int8 where it quantizes weight matrices."""
    wanted = {"INT16": ("INT8", "FLOAT16"), "INT8": ("INT8",)}.get(quantize, ())
    if wanted and not set(wanted) & set(model.family.quantize):
        raise NotSupportedError(
            f"EXPORT MODEL: quantize='{quantize.lower()}' has nothing to quantize in a "
            f"{model.version.estimator_type or model.version.model_type} model with format='c' (int16: tree "
            "ensembles and weight matrices; int8: weight matrices); export it with quantize='none'"
            + (" or 'int16'" if quantize == "INT8" and "FLOAT16" in model.family.quantize else "")
        )


def source(ctx: MLContext, model: Model, quantize: str, prefix: str) -> tuple[str, dict]:
    """The header's text and its facts (c_header.header)."""
    from sqlml.export.exporter import build

    raw = ctx.cur.sql(model.version.training_sql).limit(0).to_arrow_table().schema
    graph = build(model, raw, np.float32)
    classes = None if not model.is_classifier else model.classes.to_pylist()
    doc = f"sqlml model {model.version.qualified_name} version {model.version.version} ({model.version.model_type})"
    try:
        return header(graph, prefix, quantize, classes, model.version.label, doc)
    except NotImplementedError as exc:
        raise NotSupportedError(f"EXPORT MODEL: format='c' cannot compile this model's {exc}") from None


def default_prefix(name: str) -> str:
    """The model's name as a prefix: a lower-case C identifier (a keyword gets a trailing '_'), at most 40
    characters."""
    return identifier(name.lower()[:40])


def export_c(ctx: MLContext, model: Model, options: dict, path: Path) -> tuple[bytes, dict]:
    """The verified header's bytes and the statement's result row."""
    quantize = options["quantize"]
    prefix = check_prefix(options["prefix"] or default_prefix(model.version.qualified_name.split(".")[-1]))
    _check_quantize(model, quantize)
    compiler()  # before any work: refuse clearly where there is none
    text, facts = source(ctx, model, quantize, prefix)
    rows: pa.Table = verification_rows(ctx, model)
    outputs = run(text, prefix, facts, rows)
    figures = compare(ctx, model, rows, outputs, quantize, options["max_metric_drop"], "the C file")
    size = code_size(text, prefix)
    row = {
        "model": model.version.qualified_name,
        "version": model.version.version,
        "uri": str(path),
        "format": "c",
        "quantize": quantize.lower(),
        "prefix": prefix,
        "bytes": len(text.encode()),
        "text_bytes": size["text"],
        "rodata_bytes": size["rodata"],
        "weight_bytes": facts["weight_bytes"]["quantized"] or None,
        "weight_bytes_float": facts["weight_bytes"]["float"] or None,
        **figure_columns(figures),
    }
    return text.encode(), row
