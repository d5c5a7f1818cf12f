"""EXPORT MODEL name OPTIONS(uri=..., quantize=..., version=..., trial_id=..., overwrite=..., max_metric_drop=...).

uri names the .onnx file, or ends with '/' to name a directory (as BigQuery ML's export does): model.onnx and
its sidecars are then written inside it, the directory (and missing parents) created, and removed again if
the files cannot be written.

The path: the version's model, or its tuning trial trial_id's (as ML.PREDICT loads it) -> one ONNX graph from raw input columns to
predictions (export/features.py, export/transform.py, export/estimators.py, outputs below) -> optional
quantization (export/quantize.py) -> onnx.checker and verification against the engine (export/verify.py)
-> the .onnx file and its sidecars (export/sidecars.py), each written whole or not at all -> one result
row describing what was written.

Outputs: predicted_<label> [N] (a class label, typed as the label column, or a value) and, for classifiers,
predicted_<label>_probs [N, n_classes] in the class order the metadata lists; kmeans: CENTROID_ID [N]
(1-based) and centroid_distances [N, n_clusters]; pca: principal_components [N, n_components]; autoencoder:
latent_space [N, latent units] (ML.PREDICT's latent_col_1 .. _n), mean_squared_error [N] (the reconstruction
error ML.DETECT_ANOMALIES compares with its threshold) and reconstruction [N, encoded features]: one graph
serves as the encoder and as the whole network.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import pyarrow as pa
from onnx import TensorProto

from sqlml.engine.context import MLContext
from sqlml.engine.store.model import Model
from sqlml.errors import DataError, NotSupportedError, OperationalError, ProgrammingError
from sqlml.export import sidecars
from sqlml.export.estimators import BUILDERS
from sqlml.export.features import feature_matrix
from sqlml.export.graph import Graph
from sqlml.export.options import validate_export_options
from sqlml.export.quantize import QUANTIZERS, auto, check, precision
from sqlml.export.transform import transform_columns
from sqlml.export.verify import figure_columns, scores_output, verify
from sqlml.parser import ExportModel


def _label_tensor(model: Model) -> tuple[np.ndarray, int]:
    """The classes as a tensor of the label's type, and that ONNX type."""
    classes = model.classes
    if pa.types.is_integer(classes.type):
        return np.array(classes.to_pylist(), np.int64), TensorProto.INT64
    if pa.types.is_boolean(classes.type):
        return np.array(classes.to_pylist(), np.bool_), TensorProto.BOOL
    return np.array(classes.to_pylist(), object), TensorProto.STRING


def _outputs(g: Graph, model: Model, scores: str) -> None:
    if model.family.clustering:
        nearest = g.op("ArgMin", scores, axis=1, keepdims=0)
        g.output(g.op("Add", nearest, g.const(1, "one", dtype=np.int64)), "CENTROID_ID", TensorProto.INT64, [None])
        g.output(scores, "centroid_distances", g.elem_type, [None, len(model.estimator.centroids)])
        return
    if model.family.reduces_dimensions:
        g.output(scores, "principal_components", g.elem_type, [None, len(model.estimator.coef)])
        return
    if model.family.autoencodes:
        g.output(scores, "reconstruction", g.elem_type, [None, model.estimator.n_features])
        return
    label = model.version.label
    if not model.is_classifier:
        g.output(scores, f"predicted_{label}", g.elem_type, [None])
        return
    classes, label_type = _label_tensor(model)
    chosen = g.op("ArgMax", scores, axis=1, keepdims=0)  # the first of equal probabilities, as numpy
    g.output(g.op("Gather", g.const(classes, "classes"), chosen), f"predicted_{label}", label_type, [None])
    g.output(scores, f"predicted_{label}_probs", g.elem_type, [None, len(classes)])


def build(model: Model, raw: pa.Schema, dtype=np.float64, opset: int = 21) -> onnx.ModelProto:
    """The version as one graph from raw columns (`raw`: its training query's schema, which types the
    columns a TRANSFORM reads) to predictions, computed in `dtype`."""
    g = Graph(dtype)
    builder = BUILDERS.get(model.family.onnx_builder)
    if builder is None:
        raise NotSupportedError(f"EXPORT MODEL: {model.version.model_type} models have no ONNX form")
    column_of = transform_columns(g, model.transform, model.encoder.specs, raw) if model.transform else None
    _outputs(g, model, builder(g, model.estimator, feature_matrix(g, model.encoder, column_of)))
    graph = g.model(
        f"sqlml model {model.version.qualified_name} version {model.version.version}",
        {
            "sqlml_model": model.version.qualified_name,
            "sqlml_version": str(model.version.version),
            "classes": json.dumps(None if model.classes is None else model.classes.to_pylist(), default=str),
        },
        opset,
    )
    onnx.checker.check_model(graph, full_check=True)
    return graph


SUFFIXES = {"ONNX": (".onnx", ".json", ".md"), "SQL": (".sql",), "C": (".h",)}  # the file, then its sidecars


def _paths(uri: str, overwrite: bool, folder_uri: bool, suffixes: tuple[str, ...]) -> tuple[list[Path], list[Path]]:
    """The file (suffixes[0]: .onnx, .sql or .h) and its sidecars (the other suffixes), and the directories to
    create for them (only for a uri naming a directory, `folder_uri`); errors for a missing directory, a file
    in the way or existing files without overwrite."""
    path = Path(uri)
    if path.suffix.lower() != suffixes[0]:
        raise ProgrammingError(
            f"OPTIONS: uri must name a {suffixes[0]} file or end with '/' (a directory), got {uri!r}"
        )
    missing = _missing_folders(path.parent, uri) if folder_uri else []
    if not missing and not path.parent.is_dir():
        raise ProgrammingError(
            f"OPTIONS: uri {uri!r}: directory '{path.parent}' does not exist; create it first, or export into a "
            "new directory with a uri ending in '/'"
        )
    paths = [path.with_suffix(suffix) for suffix in suffixes]
    folders = [str(p) for p in paths if p.is_dir()]
    if folders:
        raise ProgrammingError(f"OPTIONS: uri {uri!r}: {', '.join(folders)} is a directory, not a file to replace")
    taken = [str(p) for p in paths if p.exists()]
    if taken and not overwrite:
        raise ProgrammingError(
            f"OPTIONS: uri {uri!r}: {', '.join(taken)} already exist(s); pass overwrite=TRUE to replace"
        )
    return paths, missing


def _missing_folders(folder: Path, uri: str) -> list[Path]:
    """The directories to create, outermost first, for `folder`; ProgrammingError if a file is in the way."""
    missing = []
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise ProgrammingError(f"OPTIONS: uri {uri!r}: '{folder}' is a file, not a directory to write into")
    return missing[::-1]


def _create(folders: list[Path]) -> None:
    """Create `folders` (outermost first); OperationalError, with none of them left, if one cannot be."""
    for made, folder in enumerate(folders):
        try:
            folder.mkdir()
        except OSError as exc:
            _remove(folders[:made])
            raise OperationalError(f"EXPORT MODEL: cannot create directory '{folder}': {exc.strerror}") from None


def _remove(folders: list[Path]) -> None:
    """Remove the directories an export created (innermost first), unless something else was written there."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write_all(files: dict[Path, bytes]) -> None:
    """All files or none: each written to a temporary name, the files it replaces moved aside, then all
    renamed into place; if any step fails, what was there is put back. OperationalError if the directory
    refuses them."""
    staged, moved, placed = [], [], []
    try:
        for path, data in files.items():
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((temporary, path))
            with os.fdopen(handle, "wb") as out:
                out.write(data)
        for _, path in staged:
            if path.exists():
                handle, backup = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.old.")
                os.close(handle)
                os.replace(path, backup)
                moved.append((backup, path))
        for temporary, path in staged:
            os.replace(temporary, path)
            placed.append(path)
    except OSError as exc:
        for path in placed:
            path.unlink()
        for backup, path in moved:
            os.replace(backup, path)
        raise OperationalError(f"EXPORT MODEL: cannot write to '{path.parent}': {exc.strerror}") from None
    finally:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.unlink(temporary)
    for backup, _ in moved:
        os.unlink(backup)


def _write(files: dict[Path, bytes], missing: list[Path]) -> None:
    """The `missing` directories created, then all `files` written (_write_all); neither left if that fails."""
    _create(missing)
    try:
        _write_all(files)
    except OperationalError:
        _remove(missing)
        raise


def _verified(
    ctx: MLContext, model: Model, raw: pa.Schema, quantize: str, options: dict
) -> tuple[onnx.ModelProto, dict]:
    """The graph for one quantize choice and its verification figures (DataError if it fails)."""
    graph = build(model, raw, precision(quantize), options["target_opset"])
    unquantized = graph.ByteSize()
    quantized_nodes: list[str] = []
    if quantize != "NONE":
        graph, quantized_nodes = QUANTIZERS[quantize](graph, model)
        onnx.checker.check_model(graph, full_check=True)
    figures = verify(ctx, model, graph, quantize, options["max_metric_drop"])
    figures |= {
        "bytes_unquantized": unquantized,
        "bytes": graph.ByteSize(),
        "quantize": quantize.lower(),
        "quantized_nodes": quantized_nodes,
    }
    return graph, figures


def export_model(ctx: MLContext, statement: ExportModel) -> dict:
    """Export as above; returns the result row (column -> value)."""
    options = validate_export_options(statement.options_dict)
    uri, fmt = options["uri"], options["format"]
    folder_uri = uri.endswith(("/", os.sep))  # a directory, as BigQuery ML exports to: model.onnx inside it
    suffixes = SUFFIXES[fmt]
    target = ctx.exports.resolve(uri + "model" + suffixes[0] if folder_uri else uri)
    paths, missing = _paths(target, options["overwrite"], folder_uri, suffixes)
    model = ctx.models.get(ctx.cur, statement.name, options["version"] or None, options["trial_id"])
    if fmt == "SQL":
        return _export_sql(ctx, model, options, paths[0], missing)
    if model.family.imported:
        raise NotSupportedError(
            f"EXPORT MODEL: {model.version.qualified_name} is an imported ONNX model; its "
            "graph is the file it was imported from"
        )
    if model.family.forecasting:
        raise NotSupportedError(
            f"EXPORT MODEL: {model.version.qualified_name} is a forecasting model ({model.version.model_type}); its "
            "forecasts are computed when it trains and ONNX has no form for its per-series state (nor does BigQuery "
            "ML export them): write the forecast out instead, e.g. COPY (SELECT * FROM ML.FORECAST(MODEL m, "
            "STRUCT(30 AS horizon))) TO 'forecast.parquet'"
        )
    if fmt == "C":
        from sqlml.export.c_export import export_c

        data, row = export_c(ctx, model, options, paths[0])
        _write({paths[0]: data}, missing)
        return row
    quantize = auto(model) if options["quantize"] == "AUTO" else options["quantize"]
    check(model, quantize)
    raw = ctx.cur.sql(model.version.training_sql).limit(0).to_arrow_table().schema
    try:
        graph, figures = _verified(ctx, model, raw, quantize, options)
    except DataError:
        if options["quantize"] != "AUTO" or quantize == "NONE":
            raise
        graph, figures = _verified(ctx, model, raw, "NONE", options)  # auto: quantizing did not keep agreement
    data = graph.SerializeToString()
    description = sidecars.describe(model, graph, figures, scores_output(model))
    files = {
        paths[0]: data,
        paths[1]: json.dumps(description, indent=2, default=str).encode(),
        paths[2]: sidecars.model_card(ctx, model, description).encode(),
    }
    _write(files, missing)
    return {
        "model": model.version.qualified_name,
        "version": model.version.version,
        "uri": str(paths[0]),
        "quantize": figures["quantize"],
        "bytes": len(data),
        "bytes_unquantized": figures["bytes_unquantized"],
        **figure_columns(figures),
        "quantized_nodes": len(figures["quantized_nodes"]),
        "sidecars": [str(paths[1]), str(paths[2])],
    }


def _export_sql(ctx: MLContext, model: Model, options: dict, path: Path, missing: list[Path]) -> dict:
    """format='sql' (export/sql.py): the verified query in its dialect, written whole or not at all."""
    from sqlml.export.sql import check_dialect, input_table, rendered, verify_sql

    dialect, table = check_dialect(options["dialect"]), input_table(options["input"])
    figures = verify_sql(ctx, model)
    data = rendered(ctx, model, table, dialect).encode()
    _write({path: data}, missing)
    return {
        "model": model.version.qualified_name,
        "version": model.version.version,
        "uri": str(path),
        "format": "sql",
        "dialect": dialect,
        "bytes": len(data),
        "rows_verified": figures["rows"],
        "label_agreement": figures["label_agreement"],
        "max_relative_diff": figures["max_relative_diff"],
    }
