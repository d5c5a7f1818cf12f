"""COPY or CREATE TABLE ... AS of ML.PREDICT (engine/batch_predict.py) scored on the cluster's workers with the
model's ONNX graph (export/exporter.py's `build`, from the input's raw columns, TRANSFORM included), the rows never
passing through this process.

1. The graph is built; a model or input it has no form for runs in this process instead (a notice says why).
2. The partitions: the input's own Parquet files when it is a bare `SELECT * FROM read_parquet(<path, glob or
   list>)` (or `FROM 'x.parquet'`) whose files hold every column DuckDB reads (DuckDB's glob, in its order); else DuckDB writes the input
   query into the staging directory as Parquet files of about PARTITION_ROWS rows, in the query's order.
3. The first VERIFY_ROWS rows are scored here twice: by ML.PREDICT in this process and by the graph exactly as a
   worker scores them. They must agree within EXPORT MODEL's limits (export/verify.py), or the statement runs in
   this process. That ML.PREDICT's result also gives the output's columns: its names, order and types.
4. One task per partition: a worker reads the file in batches of BATCH_ROWS, runs ONNX Runtime (one thread), and
   writes one Parquet file: ML.PREDICT's columns, then the input columns it keeps. The graph is sent to every
   worker once.
5. The files reach the target: moved into the COPY's directory as data_<n>.parquet (n numbered in input order,
   zero-padded to one width), or read by DuckDB into the COPY's file or the new table. Rows keep the input's
   order: partition by partition, row by row.

The staging directory may be an object store's URL (storage.py): DuckDB and the workers read and write it through
fsspec, and the scored files are copied down into a COPY's directory. The statement's staging directory is removed
after success and failure; a failure leaves no table and no target.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sqlml.cluster import storage
from sqlml.engine.batch_predict import Target, bare_scan, parquet_files, ran_here
from sqlml.engine.data.onnx_values import onnx_input
from sqlml.engine.functions.predict import binary_threshold, classifier_columns, cluster_columns, output_fields
from sqlml.engine.sqltext.quoting import literal
from sqlml.errors import Error, NotSupportedError, OperationalError, ProgrammingError

if TYPE_CHECKING:
    from sqlml.cluster.connection import DaskCluster
    from sqlml.engine.context import MLContext
    from sqlml.engine.store.model import Model
    from sqlml.parser import MLFunction

VERIFY_ROWS = 1_000  # the input rows scored both here and as a worker does, before the workers start
PARTITION_ROWS = 1 << 19  # rows per file when DuckDB stages the input
BATCH_ROWS = 1 << 16  # rows per ONNX Runtime run on a worker


def predict(
    cluster: DaskCluster, ctx: MLContext, call: MLFunction, model: Model, params: dict, target: Target
) -> int | None:
    """Score as above: the rows written, or None (with a notice) when the statement should run here."""
    from sqlml.export.exporter import build

    _check_target(target)
    threshold = binary_threshold(model, params)
    query = ctx.input_query(call)
    relation = ctx.relation(query)  # bound, not run: errors in the input point into the statement
    try:
        graph = build(model, relation.limit(0).to_arrow_table().schema).SerializeToString()
    except NotSupportedError as exc:
        return ran_here(ctx, str(exc).removeprefix("EXPORT MODEL: "))
    with storage.directory(cluster.staging, f"predict-{uuid.uuid4().hex}") as job:
        storage.attach(ctx.cur, job)
        scan = bare_scan(call.args["input"])
        sources = parquet_files(ctx.cur, scan, relation.columns) or _staged(ctx, query, storage.join(job, "in"))
        plan = _verified_plan(ctx, call, model, threshold, graph, sources, job)
        if isinstance(plan, str):
            return ran_here(ctx, plan)
        outputs = _numbered(storage.join(job, "out"), len(sources))
        rows = _score(cluster, ctx, sources, outputs, plan, graph)
        _deliver(ctx, target, outputs, job)
        return rows


# -- the input's partitions --------------------------------------------------------------------------------------
def _staged(ctx: MLContext, query: str, folder: str) -> list[str]:
    """The input query written by DuckDB as Parquet files of about PARTITION_ROWS rows, in its order."""
    planned, _ = ctx.plan(query)
    group = min(PARTITION_ROWS, 1 << 17)
    ctx.cur.execute(
        f"COPY ({planned}) TO {literal(folder)} (FORMAT parquet, ROW_GROUP_SIZE {group}, "
        f"ROW_GROUPS_PER_FILE {-(-PARTITION_ROWS // group)}, OVERWRITE_OR_IGNORE)"  # a new directory (see staging.py)
    )
    files = [f for (f,) in ctx.cur.execute("FROM glob(?)", [storage.join(folder, "*.parquet")]).fetchall()]
    return sorted(files, key=lambda f: int(re.findall(r"\d+", f.rsplit("/", 1)[-1])[-1]))


def _numbered(folder: str, count: int) -> list[str]:
    """data_<n>.parquet in `folder`, n zero-padded to one width so that names sort in partition order."""
    storage.subdirectory(folder)
    width = len(str(count - 1))
    return [storage.join(folder, f"data_{n:0{width}d}.parquet") for n in range(count)]


# -- the plan every task follows, checked here first -------------------------------------------------------------
def _verified_plan(
    ctx: MLContext, call: MLFunction, model: Model, threshold: float | None, graph: bytes, sources: list[str], job
) -> dict | str:
    """The plan of the workers' tasks, once the graph scores the input's first rows as ML.PREDICT here does;
    else why not."""
    import pyarrow.parquet as pq

    sample = storage.join(job, "sample.parquet")
    first = _first_rows(sources, VERIFY_ROWS)
    with storage.open_file(sample, "wb") as out:
        pq.write_table(first, out)
    expected = _predicted_here(ctx, call, sample)
    session = _session(graph)
    output, kind = _scores_of(model)
    plan = {
        "schema": expected.schema.serialize().to_pybytes(),
        "predictions": len(output_fields(model)),
        "output": output,
        "kind": kind,
        "classes": None if model.classes is None else model.classes.to_pylist(),
        "threshold": threshold,
        "feeds": _feeds(session, first.schema.names),
    }
    if isinstance(plan["feeds"], str):
        return plan["feeds"]
    scored = storage.join(job, "sample_scored.parquet")
    score_file(sample, scored, plan, graph)
    with storage.open_file(scored) as file:
        return _disagreement(expected, pq.read_table(file), plan["predictions"]) or plan


def _first_rows(sources: list[str], count: int) -> pa.Table:
    """The first `count` rows of the partitions, in order."""
    import pyarrow.parquet as pq

    batches, schema = [], None
    for source in sources:
        try:
            file = pq.ParquetFile(storage.open_file(source))
            schema = schema or file.schema_arrow
            for batch in file.iter_batches(batch_size=count):
                batches.append(batch.slice(0, count))
                count -= len(batches[-1])
                if not count:
                    return pa.Table.from_batches(batches, schema)
        except pa.ArrowException as exc:
            raise OperationalError(f"ML.PREDICT on the cluster: cannot read {source}: {exc}") from None
    return pa.Table.from_batches(batches, schema)


def _predicted_here(ctx: MLContext, call: MLFunction, path: str) -> pa.Table:
    """ML.PREDICT, as the statement calls it, of a Parquet file, run in this process."""
    import sqlglot

    from sqlml.parser.dialect import SqlmlDialect

    local = call.copy()
    local.set("input", sqlglot.parse_one(f"SELECT * FROM read_parquet({literal(path)})", read="duckdb"))
    local.set("alias", None)
    return ctx.read_table(f"SELECT * FROM {local.sql(dialect=SqlmlDialect)}")


def _scores_of(model: Model) -> tuple[str, str]:
    """The graph output ML.PREDICT's columns come from, and how they do (see `_PREDICTIONS`)."""
    from sqlml.export.verify import scores_output

    if model.family.autoencodes:
        return "latent_space", "components"
    kind = (
        "centroids"
        if model.family.clustering
        else "components"
        if model.family.reduces_dimensions
        else "classes"
        if model.is_classifier
        else "values"
    )
    return scores_output(model), kind


def _feeds(session, columns: list[str]) -> dict[str, tuple[str, str]] | str:
    """Graph input -> (the input column feeding it, its ONNX type); the first input no column feeds, as a reason."""
    by_lower = {name.lower(): name for name in reversed(columns)}
    feeds = {}
    for arg in session.get_inputs():
        column = arg.name if arg.name in columns else by_lower.get(arg.name.lower())
        if column is None:
            return f"the model's graph reads a column {arg.name} the input lacks"
        feeds[arg.name] = (column, arg.type)
    return feeds


def _disagreement(expected: pa.Table, scored: pa.Table, predictions: int) -> str | None:
    """Why the graph's predictions of the sample rows differ from ML.PREDICT's (EXPORT MODEL's limits), or None."""
    from sqlml.export.verify import MAX_DIFF, MIN_AGREEMENT

    for name in expected.column_names[:predictions]:
        for ours, theirs in zip(_leaves(scored.column(name)), _leaves(expected.column(name))):
            if len(ours) != len(theirs):
                return f"the graph's {name} has other shapes than ML.PREDICT's"
            if pa.types.is_floating(theirs.type):
                a, b = (np.asarray(x.to_numpy(zero_copy_only=False), float) for x in (ours, theirs))
                close = np.isclose(a, b, rtol=MAX_DIFF, atol=MAX_DIFF, equal_nan=True)
            else:
                close = np.asarray(ours.to_pylist(), object) == np.asarray(theirs.to_pylist(), object)
            if len(close) and np.mean(close) < MIN_AGREEMENT:
                return f"the graph's {name} disagrees with ML.PREDICT's on {np.mean(~close):.2%} of the first rows"
    return None


def _leaves(column: pa.ChunkedArray | pa.Array) -> list[pa.Array]:
    """A column's scalar leaves: itself, a list's lengths and values, a struct's fields."""
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(array.type):
        return [pc.list_value_length(array), *_leaves(array.flatten())]
    if pa.types.is_struct(array.type):
        return [leaf for field in array.flatten() for leaf in _leaves(field)]
    return [array]


# -- the workers' tasks ------------------------------------------------------------------------------------------
def _score(
    cluster: DaskCluster, ctx: MLContext, sources: list[str], outputs: list[str], plan: dict, graph: bytes
) -> int:
    """Score each source into its output, a task per partition; the rows scored."""
    from distributed import as_completed

    client = cluster.client
    shared = client.scatter(graph, broadcast=True, hash=False)
    futures = client.map(score_file, sources, outputs, plan=plan, graph=shared, pure=False)
    rows = 0
    try:
        for done, future in enumerate(as_completed(futures, loop=client.loop), 1):
            rows += future.result()
            ctx.progress("predicting partitions on the cluster", done, len(futures))
    except Error:
        raise
    except Exception as exc:  # Dask's own (a worker lost, a task cancelled)
        raise OperationalError(f"ML.PREDICT on the cluster failed: {type(exc).__name__}: {exc}") from None
    finally:
        client.cancel([*futures, shared])
    return rows


def score_file(source: str, destination: str, plan: dict, graph: bytes) -> int:
    """One task (on a worker): the Parquet file `source` scored into the Parquet file `destination`; its rows."""
    import pyarrow.parquet as pq

    try:
        session = _session(graph)
        schema = pa.ipc.read_schema(pa.py_buffer(plan["schema"]))
        file = pq.ParquetFile(storage.open_file(source))
        kept = schema.names[plan["predictions"] :]
        wanted = list(dict.fromkeys([column for column, _ in plan["feeds"].values()] + kept))
        missing = [name for name in wanted if name not in file.schema_arrow.names]
        if missing:
            raise ProgrammingError(f"{source} has no column {', '.join(missing)}, which the other partitions have")
        rows = 0
        with storage.open_file(destination, "wb") as out, pq.ParquetWriter(out, schema) as writer:
            for batch in file.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
                writer.write_batch(_scored(batch, plan, session, schema))
                rows += batch.num_rows
        return rows
    except Error:
        raise
    except Exception as exc:
        raise OperationalError(
            f"ML.PREDICT on the cluster: scoring {source} failed on a worker (process {os.getpid()}): "
            f"{type(exc).__name__}: {exc}"
        ) from None


_PREDICTIONS = {  # how ML.PREDICT's columns come from the graph's output, as engine/functions/predict.py makes them
    "classes": lambda plan, scores, schema: classifier_columns(
        pa.array(plan["classes"], schema.field(0).type), scores, plan["threshold"]
    ),
    "values": lambda plan, scores, schema: [pa.array(scores, pa.float64())],
    "centroids": lambda plan, scores, schema: cluster_columns(scores),
    "components": lambda plan, scores, schema: [pa.array(component, pa.float64()) for component in scores.T],
}


def _scored(batch: pa.RecordBatch, plan: dict, session, schema: pa.Schema) -> pa.RecordBatch:
    """ML.PREDICT's columns for one batch, then the input columns it keeps, typed as `schema`."""
    feeds = {
        name: onnx_input(batch.column(column), kind).reshape(-1, 1) for name, (column, kind) in plan["feeds"].items()
    }
    (scores,) = session.run([plan["output"]], feeds)
    columns = _PREDICTIONS[plan["kind"]](plan, scores, schema)
    columns += [batch.column(name) for name in schema.names[plan["predictions"] :]]
    return pa.RecordBatch.from_arrays([c.cast(f.type) for c, f in zip(columns, schema)], schema=schema)


_sessions: dict[str, object] = {}  # graph digest -> its ONNX Runtime session, in this (worker) process


def _session(graph: bytes):
    """An ONNX Runtime session of `graph`, one thread (a worker runs a task per thread), kept for the next task."""
    import onnxruntime as ort

    digest = hashlib.sha256(graph).hexdigest()
    if digest not in _sessions:
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        _sessions.clear()
        _sessions[digest] = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    return _sessions[digest]


# -- the target --------------------------------------------------------------------------------------------------
def _check_target(target: Target) -> None:
    """Refuse, before any work, a COPY target DuckDB would refuse: a non-empty directory without OVERWRITE, a file
    where a directory goes and the other way round, a file in a missing directory."""
    if target.kind == "table":
        return
    path = Path(target.path)
    if target.kind == "directory":
        if path.exists() and not path.is_dir():
            raise ProgrammingError(f"COPY: '{target.path}' is a file, not a directory for the partitions' files")
        if path.is_dir() and any(path.iterdir()) and not target.overwrite:
            raise ProgrammingError(
                f'COPY: directory "{target.path}" is not empty; enable the OVERWRITE option to overwrite files'
            )
    elif path.is_dir() or not path.parent.is_dir():
        raise ProgrammingError(
            f"COPY: cannot write '{target.path}': "
            + ("it is a directory" if path.is_dir() else f"directory '{path.parent}' does not exist")
        )


def _deliver(ctx: MLContext, target: Target, outputs: list[str], job: str) -> None:
    """The scored files into the target: moved into its directory, or read by DuckDB into its file or table."""
    source = f"SELECT * FROM read_parquet([{', '.join(map(literal, outputs))}])"
    if target.kind == "table":
        ctx.cur.execute(target.table_sql(source))
    elif target.kind == "file":
        merged = storage.join(job, "merged.parquet")
        ctx.cur.execute(f"COPY ({source}) TO {literal(merged)} (FORMAT parquet)")
        storage.fetch(merged, target.path)
    else:
        _move_into(Path(target.path), outputs, target.overwrite)


def _move_into(folder: Path, outputs: list[str], overwrite: bool) -> None:
    """The files into `folder` (created if missing; with `overwrite`, its files replaced, as DuckDB's OVERWRITE
    does); if one cannot be moved, those moved are removed again, and the folder if it was created."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if overwrite:
        for old in folder.iterdir():
            if old.is_file():
                old.unlink()
    moved = []
    try:
        for output in outputs:
            moved.append(folder / output.rsplit("/", 1)[-1])
            storage.fetch(output, str(moved[-1]))
    except OSError as exc:
        for path in moved:
            path.unlink(missing_ok=True)
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise OperationalError(f"COPY: cannot write into '{folder}': {exc}") from None
