"""The training rows made ready for the workers: DuckDB checks the label with aggregates
(engine/training/prepared.py's rules and messages), splits the rows in SQL as BigQuery ML's data_split_* options
say, and gives each split as parts, a query each that a worker runs (partitions.py).

- A training query that only scans Parquet files (`SELECT * | columns FROM read_parquet(...) | 'x.parquet'`, one
  schema, at least one file per worker) is not copied: the checks and the split's counts are aggregates over its files, and a part is one file's
  rows of a split, read by a worker from the file itself, split there by the same seeded hash.
- Any other query is staged: DuckDB runs it once into the run's directory under the cluster's staging directory
  and writes each split as Parquet files, several per split so that every worker gets some.

The split follows engine/data/rows.py's sizes. Where rows.py draws rows with numpy's seeded permutation of their
positions (AUTO_SPLIT, RANDOM) or breaks SEQ's ties by position, a query's rows have no stable position here:
rows are ordered by a seeded hash of their values, so the same rows with the same seed split the same way
whatever order DuckDB reads them in, though not into the same rows as training in one process. Rows of equal
values (equal hashes) are split by their position when staged; read directly, by their file and row number, the
split's boundaries being the keys of the rows at BigQuery ML's positions: the counts are exact either way, and
so are the rows, as values.

    <run>/raw.parquet                                the training query's result (staged only)
    <run>/rows/__sqlml_split=TRAIN|EVAL|TEST/__sqlml_part=<i>/*.parquet   (staged only)
    <run>/sample.parquet                             up to SAMPLE_ROWS training rows: the training loss's
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sqlml.cluster import storage
from sqlml.engine.batch_predict import bare_scan, parquet_files
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
FILE, ROW = "__sqlml_file", "__sqlml_row"  # a directly read row's file and its row number there


def run_directory(staging: str) -> AbstractContextManager[str]:
    """A new directory under the staging directory (a path or URL, storage.py) for one training, removed
    afterwards whatever happens."""
    return storage.directory(staging, f"train-{uuid.uuid4().hex}")


def parquet(paths: list[str] | str) -> str:
    """A query reading Parquet files."""
    return f"SELECT * FROM {_reader([paths] if isinstance(paths, str) else paths)}"


@dataclass
class Staged:
    """The training rows as the workers read them, and what the label checks found."""

    run: str
    columns: list[str]  # the rows' columns (the label replaced by TRANSFORM's when it computes it)
    label: str
    label_type: pa.DataType
    features: list[str]  # the raw feature columns
    named: list | None  # the parsed TRANSFORM items
    classes: pa.Array | None
    class_counts: np.ndarray | None  # training rows of each class
    parts: dict[str, list[tuple[str, int]]]  # TRAIN, EVAL, TEST, SAMPLE: (a query of a part's rows, rows); a task each
    scans: dict[str, str]  # TRAIN, EVAL, TEST: a query of all the split's rows, for DuckDB here
    dropped: int
    fingerprint: str

    def rows(self, split: str) -> int:
        return sum(n for _, n in self.parts[split])


def stage(ctx: MLContext, statement: CreateModel, family: Family, options: dict, run: str, workers: int) -> Staged:
    """Check the training query's label and split its rows (see the module docstring): staged into `run`, or read
    by the workers from the query's own Parquet files when it only scans them."""
    cur = ctx.cur
    storage.attach(cur, run)
    query = ctx.relation(ctx.part(statement.query_sql, statement.query_start))
    files = _direct_files(cur, statement, query.columns, workers)
    if files is None:
        raw = storage.join(run, "raw.parquet")
        query.to_parquet(raw)
        source = parquet(raw)
    else:
        source = _scan(query.columns, _reader(files))
    columns = _schema(cur, source).column_names
    label = options["input_label_cols"][0]
    named = transform_items(statement, columns, label, options)
    label_output = named and transform.label_output(named, label)
    rows = _with_label(source, columns, label_output)
    schema = _schema(cur, rows)
    label = prepared.label_column(schema, options, family)
    q = quote_identifier(label)
    total, labelled = catalog.query(cur, f"SELECT count(*), count({q}) FROM ({rows})")[0]
    prepared.check_labelled(total, labelled, label)
    features = prepared.feature_columns(schema.column_names, label, options)
    rows = f"SELECT * FROM ({rows}) WHERE {q} IS NOT NULL"
    classes = _classes(cur, rows, label, family, options)
    _check_weights(cur, rows, options.get("instance_weight_col"), schema)
    if files is None:
        count = max(2 * workers, math.ceil(labelled / PART_ROWS))
        parts, scans = _write_split(cur, rows, labelled, options, schema, run, count)
    else:
        keyed = functools.partial(_keyed, columns=columns, label_output=label_output, label=label, seed=options["seed"])
        parts, scans = _direct_split(cur, keyed, files, rows, labelled, options, schema)
    train = sum(n for _, n in parts["TRAIN"])
    prepared.check_training_rows(train)
    sample = storage.join(run, "sample.parquet")
    cur.execute(
        f"COPY ({_hashed(scans['TRAIN'], options['seed'])} ORDER BY {HASH} LIMIT {SAMPLE_ROWS}) "
        f"TO {literal(sample)} (FORMAT parquet)"
    )
    parts["SAMPLE"] = [(parquet(sample), min(SAMPLE_ROWS, train))]
    counts = None
    if classes is not None:
        counts = _class_counts(cur, scans["TRAIN"], q, classes)
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
        parts,
        scans,
        total - labelled,
        query_fingerprint(cur, source),
    )


def _direct_files(cur, statement: CreateModel, columns: list[str], workers: int) -> list[str] | None:
    """The Parquet files the workers read directly: those of a query that only scans them (engine/batch_predict.py's
    bare_scan and parquet_files), at least one per worker (a file is read by one worker), all of one schema (DuckDB
    unifies others) holding no column named as DuckDB's virtual filename and file_row_number columns, which give
    each row's key; None otherwise."""
    import pyarrow.parquet as pq

    files = parquet_files(cur, bare_scan(statement.args.get("query"), columns=True), columns)
    if files is None or len(files) < workers:
        return None
    schemas = [pq.read_schema(file) for file in files]
    virtual = {"filename", "file_row_number"} & {name.lower() for name in schemas[0].names}
    return None if virtual or not all(schema.equals(schemas[0]) for schema in schemas) else files


def _reader(files: list[str]) -> str:
    """read_parquet of the files, for FROM."""
    return f"read_parquet([{', '.join(map(literal, files))}], hive_partitioning = false)"


def _scan(columns: list[str], reader: str, *more: str) -> str:
    """The columns (and `more` expressions) of a FROM item."""
    return f"SELECT {', '.join([*map(quote_identifier, columns), *more])} FROM {reader}"


def _keyed(reader: str, file: str, columns: list[str], label_output, label: str, seed: int) -> str:
    """The labelled rows of `reader` (a FROM item reading the input's files), hashed, with their key columns: their
    file (`file`, SQL) and their row number there."""
    scan = _scan(columns, reader, f"{file} AS {FILE}, file_row_number AS {ROW}")
    rows = _with_label(scan, [*columns, FILE, ROW], label_output)
    return _hashed(f"SELECT * FROM ({rows}) WHERE {quote_identifier(label)} IS NOT NULL", seed, (FILE, ROW))


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


def _hashed(rows: str, seed: int, keys: tuple[str, ...] = ()) -> str:
    """The rows with a seeded hash of their values (but the `keys` columns)."""
    values = f"* EXCLUDE ({', '.join(keys)})" if keys else "*"
    return f"SELECT *, hash({int(seed)}::BIGINT, *COLUMNS({values})) AS {HASH} FROM ({rows})"


def _order(options: dict) -> list[str]:
    """The columns AUTO_SPLIT, RANDOM and SEQ order the hashed rows by (ascending, NULLs last)."""
    if options["data_split_method"] == "SEQ":
        return [quote_identifier(options["data_split_col"]), HASH]
    return [HASH]


def _split_case(cur, rows: str, n: int, options: dict, schema: pa.Table, before: Callable[[int], str]) -> str:
    """The SQL of a hashed row's part of the split (TRAIN, EVAL, TEST); `before(p)` is the SQL true for the rows
    before the p-th (from 0) in _order's order."""
    method, column = options["data_split_method"], options.get("data_split_col")
    if method in ("AUTO_SPLIT", "RANDOM"):
        n_eval, n_test = random_split_sizes(n, options)
        return f"CASE WHEN {before(n_eval)} THEN 'EVAL' WHEN {before(n_eval + n_test)} THEN 'TEST' ELSE 'TRAIN' END"
    if method == "SEQ":
        n_train, n_eval_end = seq_split_sizes(n, options)
        return f"CASE WHEN {before(n_train)} THEN 'TRAIN' WHEN {before(n_eval_end)} THEN 'EVAL' ELSE 'TEST' END"
    if method == "CUSTOM":
        return _custom_case(cur, rows, column, schema.column(column).type)
    return "'TRAIN'"


def _write_split(cur, rows: str, n: int, options: dict, schema: pa.Table, run: str, parts: int) -> tuple[dict, dict]:
    """The labelled rows written under `run` in `parts` files per part of the split, each file a part: the parts
    and each split's scan (Staged's)."""
    order = ", ".join(f"{key} ASC NULLS LAST" for key in _order(options))
    ranked = f"SELECT *, row_number() OVER (ORDER BY {order}) - 1 AS {POSITION} FROM ({_hashed(rows, options['seed'])})"
    split = _split_case(cur, rows, n, options, schema, lambda position: f"{POSITION} < {position}")
    cur.execute(
        f"COPY (SELECT * EXCLUDE ({HASH}, {POSITION}), {split} AS {SPLIT}, {HASH} % {parts} AS {PART} "
        f"FROM ({ranked})) TO {literal(storage.join(run, 'rows'))} (FORMAT parquet, PARTITION_BY ({SPLIT}, {PART}), "
        "OVERWRITE_OR_IGNORE)"  # skips the empty-target check, which fails on a URL; the run directory is new
    )
    files = _files(cur, run)
    return (
        {name: [(parquet(path), count) for path, count in found] for name, found in files.items()},
        {name: parquet([path for path, _ in found]) for name, found in files.items()},
    )


def _direct_split(
    cur, keyed: Callable[[str, str], str], files: list[str], rows: str, n: int, options: dict, schema: pa.Table
) -> tuple[dict, dict]:
    """The split of the labelled rows of the input's own files, nothing written: a part is a file's rows of a part
    of the split, read by a worker. A row's key is its _order columns, its file and its row there (unique); the
    split's boundaries are the keys of the rows at the split's positions, found by DuckDB over every file (_cut)."""
    every = keyed(_reader(files), "filename")
    keys = [*_order(options), FILE, ROW]
    split = _split_case(cur, rows, n, options, schema, lambda position: _cut(cur, every, keys, position))

    def split_rows(reader: str, file: str, name: str) -> str:  # the rows of part `name` of the split in `reader`
        return f"SELECT * EXCLUDE ({HASH}, {FILE}, {ROW}) FROM ({keyed(reader, file)}) WHERE {split} = {literal(name)}"

    parts: dict[str, list[tuple[str, int]]] = {name: [] for name in SPLIT_NAMES}
    for file, name, count in catalog.query(
        cur, f"SELECT {FILE}, {split}, count(*) FROM ({every}) GROUP BY ALL ORDER BY ALL"
    ):
        parts[name].append((split_rows(_reader([file]), literal(file), name), count))
    return parts, {name: split_rows(_reader(files), "filename", name) for name in SPLIT_NAMES}


def _cut(cur, rows: str, keys: list[str], position: int) -> str:
    """The SQL true for the rows before the `position`-th (from 0) of `rows` in the order of `keys` (ascending,
    NULLs last, as a row value compares): their keys below its keys, written as literals of their types; TRUE when
    there are no more rows."""
    shown = ", ".join(f"{key}::VARCHAR, typeof({key})" for key in keys)
    order = ", ".join(f"{key} ASC NULLS LAST" for key in keys)
    found = catalog.query(cur, f"SELECT {shown} FROM ({rows}) ORDER BY {order} LIMIT 1 OFFSET {position}")
    if not found:
        return "TRUE"
    values = [f"{literal(text)}::{type_}" for text, type_ in zip(found[0][::2], found[0][1::2], strict=True)]
    return f"({', '.join(keys)}) < ({', '.join(values)})"


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
