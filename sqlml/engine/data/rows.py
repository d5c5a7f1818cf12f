"""The training rows of a version: BigQuery ML's split into training, evaluation and test rows (the data_split_*
options), and the fingerprint a version keeps of them (ML.EXPLAIN_PREDICT checks it before reusing them)."""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.data import transform
from sqlml.engine.families.base import SAMPLE_ROWS
from sqlml.engine.sqltext.sql_types import sql_type
from sqlml.engine.store import catalog
from sqlml.errors import DataError, ProgrammingError

AUTO_SPLIT_MIN_ROWS, AUTO_SPLIT_MAX_ROWS, AUTO_SPLIT_MAX_EVAL = 500, 50_000, SAMPLE_ROWS
SPLIT_NAMES = ("TRAIN", "EVAL", "TEST")  # a CUSTOM STRING data_split_col's values, in Split's order


class Split(NamedTuple):
    """Row indices of the training, evaluation and test rows (each sorted)."""

    train: np.ndarray
    eval: np.ndarray
    test: np.ndarray


def split_rows(table: pa.Table, options: dict) -> Split:
    """The rows' split as BigQuery ML's data_split_* options define it. Evaluation rows measure training (eval_loss,
    tuning trials); test rows, when data_split_test_fraction or CUSTOM's 'TEST' gives some, are what ML.EVALUATE
    without input measures the model on (else the evaluation rows)."""
    n, method = table.num_rows, options["data_split_method"]
    if method == "NO_SPLIT":
        return Split(np.arange(n), np.arange(0), np.arange(0))
    if method in ("AUTO_SPLIT", "RANDOM"):
        n_eval, n_test = random_split_sizes(n, options)
        order = np.random.default_rng(options["seed"]).permutation(n)
        held = n_eval + n_test
        return Split(np.sort(order[held:]), np.sort(order[:n_eval]), np.sort(order[n_eval:held]))
    column = table.column(options["data_split_col"])
    if method == "CUSTOM":
        return _custom(column, options["data_split_col"])
    # SEQ: ascending order, NULLs last: training rows, then the evaluation fraction, then the test fraction
    ranked = pc.sort_indices(table, sort_keys=[(options["data_split_col"], "ascending", "at_end")]).to_numpy()
    n_train, n_eval_end = seq_split_sizes(n, options)
    return Split(np.sort(ranked[:n_train]), np.sort(ranked[n_train:n_eval_end]), np.sort(ranked[n_eval_end:]))


def _test_rows(n: int, options: dict) -> int:
    return int(round(n * (options.get("data_split_test_fraction") or 0.0)))


def random_split_sizes(n: int, options: dict) -> tuple[int, int]:
    """AUTO_SPLIT and RANDOM: how many of `n` rows evaluate and test (the rest train)."""
    fraction = options["data_split_eval_fraction"]
    if fraction is not None and options["data_split_method"] == "RANDOM":
        n_eval = int(round(n * fraction))
    elif n < AUTO_SPLIT_MIN_ROWS:
        n_eval = 0
    else:
        n_eval = int(round(n * 0.2)) if n <= AUTO_SPLIT_MAX_ROWS else AUTO_SPLIT_MAX_EVAL
    return n_eval, _test_rows(n, options)


def seq_split_sizes(n: int, options: dict) -> tuple[int, int]:
    """SEQ: in data_split_col's order, the first n_train rows train, those up to n_eval_end evaluate, the rest
    test: (n_train, n_eval_end)."""
    fraction, n_test = options["data_split_eval_fraction"], _test_rows(n, options)
    return n - int(round(n * (0.2 if fraction is None else fraction))) - n_test, n - n_test


def _custom(column: pa.ChunkedArray, name: str) -> Split:
    """CUSTOM: a BOOL column (TRUE or NULL: evaluation row) or a STRING one ('TRAIN', 'EVAL' or 'TEST')."""
    check_custom_type(column.type, name)
    if pa.types.is_boolean(column.type):
        is_eval = pc.fill_null(column, True).to_numpy(zero_copy_only=False)
        return Split(np.nonzero(~is_eval)[0], np.nonzero(is_eval)[0], np.arange(0))
    values = np.array(pc.utf8_upper(column).to_pylist(), dtype=object)
    check_custom_values({str(v) for v in values if v not in SPLIT_NAMES}, name)
    return Split(*(np.nonzero(values == part)[0] for part in SPLIT_NAMES))


def check_custom_type(dtype: pa.DataType, name: str) -> None:
    """CUSTOM's data_split_col is BOOL or VARCHAR."""
    if not (pa.types.is_boolean(dtype) or pa.types.is_string(dtype) or pa.types.is_large_string(dtype)):
        raise ProgrammingError(
            f"data_split_col '{name}' must be BOOL (TRUE or NULL = evaluation row) or VARCHAR ('TRAIN', 'EVAL' or "
            f"'TEST') for data_split_method=CUSTOM, not {sql_type(dtype)}"
        )


def check_custom_values(other: set[str], name: str) -> None:
    """DataError naming the values of a VARCHAR data_split_col (upper-cased) that are not a part's name."""
    if other:
        shown = sorted(other, key=str)[:5]
        raise DataError(
            f"data_split_col '{name}' holds {', '.join(repr(v) for v in shown)}: with data_split_method=CUSTOM "
            f"every row must say 'TRAIN', 'EVAL' or 'TEST'"
        )


def fingerprint(cur: duckdb.DuckDBPyConnection, table: pa.Table) -> str:
    """An order-independent fingerprint of the training rows: their count and summed row hashes."""
    with transform.registered(cur, table) as rows:
        return query_fingerprint(cur, f"SELECT * FROM {rows}")


def query_fingerprint(cur: duckdb.DuckDBPyConnection, query: str) -> str:
    """fingerprint() of the rows of a query (or a relation's name), read where they are."""
    ((count, total),) = catalog.query(cur, f"SELECT count(*), sum(hash(*COLUMNS(*))) FROM ({query})")
    return f"{count}:{int(total or 0) % 2**64:016x}"
