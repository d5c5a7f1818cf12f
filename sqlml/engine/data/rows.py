"""The training rows of a version: BigQuery ML's split into training and evaluation rows (the data_split_*
options), and the fingerprint a version keeps of them (ML.EXPLAIN_PREDICT checks it before reusing them)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.data import transform
from sqlml.engine.families.base import SAMPLE_ROWS
from sqlml.engine.sqltext.sql_types import sql_type
from sqlml.engine.store import catalog
from sqlml.errors import ProgrammingError

AUTO_SPLIT_MIN_ROWS, AUTO_SPLIT_MAX_ROWS, AUTO_SPLIT_MAX_EVAL = 500, 50_000, SAMPLE_ROWS


def split_rows(table: pa.Table, options: dict) -> tuple[np.ndarray, np.ndarray]:
    """(training row indices, evaluation row indices) as BigQuery ML's data_split_* options define them."""
    n, method = table.num_rows, options["data_split_method"]
    fraction = options["data_split_eval_fraction"]
    order = np.random.default_rng(options["seed"]).permutation(n)
    if method == "NO_SPLIT" or (method in ("AUTO_SPLIT", "RANDOM") and fraction is None and n < AUTO_SPLIT_MIN_ROWS):
        return np.arange(n), np.arange(0)
    if method in ("AUTO_SPLIT", "RANDOM"):
        if fraction is not None and method == "RANDOM":
            n_eval = int(round(n * fraction))
        else:
            n_eval = int(round(n * 0.2)) if n <= AUTO_SPLIT_MAX_ROWS else AUTO_SPLIT_MAX_EVAL
        return np.sort(order[n_eval:]), np.sort(order[:n_eval])
    column = table.column(options["data_split_col"])
    if method == "CUSTOM":
        if not pa.types.is_boolean(column.type):
            raise ProgrammingError(
                f"data_split_col '{options['data_split_col']}' must be BOOL for "
                f"data_split_method=CUSTOM (TRUE or NULL = evaluation row), not {sql_type(column.type)}"
            )
        is_eval = pc.fill_null(column, True).to_numpy(zero_copy_only=False)
        return np.nonzero(~is_eval)[0], np.nonzero(is_eval)[0]
    # SEQ: ascending order; the last data_split_eval_fraction of the rows (and NULLs) evaluate
    ranked = pc.sort_indices(table, sort_keys=[(options["data_split_col"], "ascending", "at_end")]).to_numpy()
    n_train = n - int(round(n * (0.2 if fraction is None else fraction)))
    return np.sort(ranked[:n_train]), np.sort(ranked[n_train:])


def fingerprint(cur: duckdb.DuckDBPyConnection, table: pa.Table) -> str:
    """An order-independent fingerprint of the training rows: their count and summed row hashes."""
    with transform.registered(cur, table) as rows:
        ((count, total),) = catalog.query(cur, f"SELECT count(*), sum(hash(*COLUMNS(*))) FROM {rows}")
    return f"{count}:{int(total or 0) % 2**64:016x}"
