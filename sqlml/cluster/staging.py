"""The training rows staged for the workers: DuckDB runs the training query once into the run's directory under
the cluster's staging directory, checks the label with aggregates (engine/training/prepared.py's rules and
messages), splits the rows in SQL as BigQuery ML's data_split_* options say, and writes each split as Parquet
files, several per split so that every worker gets some.

The split follows engine/data/rows.py's sizes. Where rows.py draws rows with numpy's seeded permutation of their
positions (AUTO_SPLIT, RANDOM) or breaks SEQ's ties by position, a query's rows have no stable position here:
rows are ordered by a seeded hash of their values, so the same rows with the same seed split the same way
whatever order DuckDB reads them in, though not into the same rows as training in one process.

    <run>/raw.parquet                                the training query's result
    <run>/rows/__sqlml_split=TRAIN|EVAL|TEST/__sqlml_part=<i>/*.parquet
    <run>/sample.parquet                             up to SAMPLE_ROWS training rows: the training loss's
"""

from __future__ import annotations

import math
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sqlml.cluster import storage
from sqlml.engine.context import MLContext
from sqlml.engine.data import transform
from sqlml.engine.data.rows import (
    SPLIT_NAMES,
    check_custom_type,
    check_custom_values,
    query_fingerprint,
    random_split_sizes,
    seq_split_sizes,
)
from sqlml.engine.families import Family
from sqlml.engine.families.base import SAMPLE_ROWS
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store import catalog
from sqlml.engine.training import prepared
from sqlml.engine.training.create_model import transform_items
from sqlml.parser import CreateModel

PART_ROWS = 250_000  # rows per staged file beyond two files per worker (see docs/scale.md)
SPLIT, PART, HASH, POSITION = "__sqlml_split", "__sqlml_part", "__sqlml_h", "__sqlml_pos"


def run_directory(staging: str) -> AbstractContextManager[str]:
    """A new directory under the staging directory (a path or URL, storage.py) for one training, removed
    afterwards whatever happens."""
    return storage.directory(staging, f"train-{uuid.uuid4().hex}")


def parquet(paths: list[str] | str) -> str:
    """A query reading Parquet files."""
    listed = ", ".join(map(literal, [paths] if isinstance(paths, str) else paths))
    return f"SELECT * FROM read_parquet([{listed}])"


@dataclass
class Staged:
    """The staged training rows: where they are, and what the label checks found."""

    run: str
    columns: list[str]  # the rows' columns (the label replaced by TRANSFORM's when it computes it)
    label: str
    label_type: pa.DataType
    features: list[str]  # the raw feature columns
    named: list | None  # the parsed TRANSFORM items
    classes: pa.Array | None
    class_counts: np.ndarray | None  # training rows of each class
    files: dict[str, list[tuple[str, int]]]  # TRAIN, EVAL, TEST, SAMPLE: (file, rows)
    dropped: int
    fingerprint: str

    def rows(self, split: str) -> int:
        return sum(n for _, n in self.files[split])

    def scan(self, split: str) -> str:
        return parquet([path for path, _ in self.files[split]])


def stage(ctx: MLContext, statement: CreateModel, family: Family, options: dict, run: str, workers: int) -> Staged:
    """Run the training query into `run`, check its label, split and write its rows (see the module docstring)."""
    cur = ctx.cur
    storage.attach(cur, run)
    raw = storage.join(run, "raw.parquet")
    ctx.relation(ctx.part(statement.query_sql, statement.query_start)).to_parquet(raw)
    columns = _schema(cur, parquet(raw)).column_names
    label = options["input_label_cols"][0]
    named = transform_items(statement, columns, label, options)
    rows = _with_label(parquet(raw), columns, named and transform.label_output(named, label))
    schema = _schema(cur, rows)
    label = prepared.label_column(schema, options, family)
    q = quote_identifier(label)
    total, labelled = catalog.query(cur, f"SELECT count(*), count({q}) FROM ({rows})")[0]
    prepared.check_labelled(total, labelled, label)
    features = prepared.feature_columns(schema.column_names, label, options)
    rows = f"SELECT * FROM ({rows}) WHERE {q} IS NOT NULL"
    classes = _classes(cur, rows, label, family, options)
    _check_weights(cur, rows, options.get("instance_weight_col"), schema)
    parts = max(2 * workers, math.ceil(labelled / PART_ROWS))
    cur.execute(
        f"COPY ({_split(cur, rows, labelled, options, schema, parts)}) TO {literal(storage.join(run, 'rows'))} "
        f"(FORMAT parquet, PARTITION_BY ({SPLIT}, {PART}), OVERWRITE_OR_IGNORE)"  # skips the empty-target check, which fails on a URL
    )
    files = _files(cur, run)
    prepared.check_training_rows(sum(n for _, n in files["TRAIN"]))
    sample = storage.join(run, "sample.parquet")
    cur.execute(
        f"COPY ({_hashed(parquet([p for p, _ in files['TRAIN']]), options['seed'])} "
        f"ORDER BY {HASH} LIMIT {SAMPLE_ROWS}) TO {literal(sample)} (FORMAT parquet)"
    )
    files["SAMPLE"] = [(sample, min(SAMPLE_ROWS, sum(n for _, n in files["TRAIN"])))]
    counts = None
    if classes is not None:
        counts = _class_counts(cur, parquet([p for p, _ in files["TRAIN"]]), q, classes)
        prepared.check_training_classes(classes, np.nonzero(counts)[0].tolist(), label)
    return Staged(
        run,
        schema.column_names,
        label,
        schema.column(label).type,
        features,
        named,
        classes,
        counts,
        files,
        total - labelled,
        query_fingerprint(cur, parquet(raw)),
    )


def _schema(cur, query: str) -> pa.Table:
    """The query's columns and types, as a table without rows."""
    return cur.sql(f"SELECT * FROM ({query}) LIMIT 0").to_arrow_table()


def _with_label(rows: str, columns: list[str], label_output: tuple[str, str] | None) -> str:
    """The rows with TRANSFORM's label output in place of a raw column of its name (transform.label_values)."""
    if label_output is None:
        return rows
    name, sql = label_output
    kept = [quote_identifier(c) for c in columns if c.lower() != name.lower()]
    return f"SELECT {', '.join([*kept, f'({sql}) AS {quote_identifier(name)}'])} FROM ({rows}) AS __sqlml_raw"


def _classes(cur, rows: str, label: str, family: Family, options: dict) -> pa.Array | None:
    """A classifier's sorted classes (checked); a regressor's label checked finite."""
    q = quote_identifier(label)
    if not family.classifier:
        ((finite,),) = catalog.query(cur, f"SELECT coalesce(bool_and(isfinite({q}::DOUBLE)), TRUE) FROM ({rows})")
        prepared.check_finite_label(label, finite)
        return None
    classes = cur.sql(f"SELECT DISTINCT {q} FROM ({rows}) ORDER BY {q}").to_arrow_table().column(0).combine_chunks()
    prepared.check_classes(classes, label, family, options["model_type"])
    return classes


def _check_weights(cur, rows: str, column: str | None, schema: pa.Table) -> None:
    """instance_weight_col's type and values, as prepared.py checks them."""
    if column is None:
        return
    prepared.check_weight_type(column, schema.column(column).type)
    w = f"{quote_identifier(column)}::DOUBLE"
    ((valid,),) = catalog.query(
        cur, f"SELECT coalesce(bool_and({w} >= 0 AND isfinite({w})) AND bool_or({w} > 0), FALSE) FROM ({rows})"
    )
    prepared.check_weight_values(column, valid)


def _hashed(rows: str, seed: int) -> str:
    """The rows with a seeded hash of their values."""
    return f"SELECT *, hash({int(seed)}::BIGINT, *COLUMNS(*)) AS {HASH} FROM ({rows})"


def _split(cur, rows: str, n: int, options: dict, schema: pa.Table, parts: int) -> str:
    """The labelled rows with their part of the split (TRAIN, EVAL, TEST) and their file's number."""
    method, column = options["data_split_method"], options.get("data_split_col")
    order, case = HASH, "'TRAIN'"
    if method in ("AUTO_SPLIT", "RANDOM"):
        n_eval, n_test = random_split_sizes(n, options)
        case = f"CASE WHEN {POSITION} < {n_eval} THEN 'EVAL' WHEN {POSITION} < {n_eval + n_test} THEN 'TEST' ELSE 'TRAIN' END"
    elif method == "SEQ":
        n_train, n_eval_end = seq_split_sizes(n, options)
        order = f"{quote_identifier(column)} ASC NULLS LAST, {HASH}"
        case = (
            f"CASE WHEN {POSITION} < {n_train} THEN 'TRAIN' WHEN {POSITION} < {n_eval_end} THEN 'EVAL' ELSE 'TEST' END"
        )
    elif method == "CUSTOM":
        case = _custom_case(cur, rows, column, schema.column(column).type)
    ranked = f"SELECT *, row_number() OVER (ORDER BY {order}) - 1 AS {POSITION} FROM ({_hashed(rows, options['seed'])})"
    return f"SELECT * EXCLUDE ({HASH}, {POSITION}), {case} AS {SPLIT}, {HASH} % {parts} AS {PART} FROM ({ranked})"


def _custom_case(cur, rows: str, column: str, dtype: pa.DataType) -> str:
    """CUSTOM's split of a row from its data_split_col (rows.py's rules and messages)."""
    check_custom_type(dtype, column)
    q = quote_identifier(column)
    if pa.types.is_boolean(dtype):
        return f"CASE WHEN coalesce({q}, TRUE) THEN 'EVAL' ELSE 'TRAIN' END"
    names = ", ".join(map(literal, SPLIT_NAMES))
    other = catalog.query(
        cur, f"SELECT DISTINCT coalesce(upper({q}), 'None') AS v FROM ({rows}) WHERE v NOT IN ({names}) LIMIT 5"
    )
    check_custom_values({v for (v,) in other}, column)
    return f"upper({q})"


def _files(cur, run: str) -> dict[str, list[tuple[str, int]]]:
    """Each split's files and their row counts."""
    found = catalog.query(
        cur,
        f"SELECT {SPLIT}, filename, count(*) FROM read_parquet({literal(storage.join(run, 'rows', '**', '*.parquet'))}, "
        "hive_partitioning = true, filename = true) GROUP BY ALL ORDER BY ALL",
    )
    files: dict[str, list[tuple[str, int]]] = {name: [] for name in SPLIT_NAMES}
    for split, path, n in found:
        files[split].append((path, n))
    return files


def _class_counts(cur, rows: str, q: str, classes: pa.Array) -> np.ndarray:
    """How many of the rows are of each class."""
    found = dict(catalog.query(cur, f"SELECT {q}, count(*) FROM ({rows}) GROUP BY ALL"))
    return np.array([found.get(c, 0) for c in classes.to_pylist()], dtype=np.int64)
