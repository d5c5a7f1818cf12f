"""What a worker does with one part of the training rows (a query reading a staged Parquet file, or a file of the
training query's own, staging.py's Staged.parts): read it with an in-process DuckDB (the model's TRANSFORM applied
there), encode it with the feature specs fitted on the coordinator, score it.

Everything here arrives as plain data (SQL text, the specs as dicts, LightGBM model text) and leaves as numpy
arrays: no estimator object crosses the wire.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.cluster import storage
from sqlml.engine.data.features import FeatureEncoder, numeric_values

LABEL, WEIGHT = "__sqlml_label", "__sqlml_weight"  # the columns a plan's query adds next to the features
ROWS = "__sqlml_rows__"  # where a plan's query reads the part's rows (a query)
LOG_EPSILON = 1e-15  # LightGBM's log loss takes log(max(p, this))


def read(rows: str, plan: dict) -> pa.Table:
    """The part's rows (`rows`, a query) as the plan's query (features, TRANSFORM applied; label; weight) gives
    them."""
    con = duckdb.connect()
    storage.attach(con, plan["run"])
    try:
        return con.sql(plan["select"].replace(ROWS, rows)).to_arrow_table()
    finally:
        con.close()


def encode(rows: str, plan: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(X, y, weights) of a part: the float64 feature matrix, labels (class indices of a classifier) and each
    row's weight (None: unweighted)."""
    table = read(rows, plan)
    X = FeatureEncoder(plan["specs"], plan["one_hot"], plan["scale"], plan["limit"]).transform(table)
    column = table.column(LABEL)
    if plan["classes"] is None:
        y = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    else:
        classes = pa.array(plan["classes"], column.type)
        y = pc.index_in(column, value_set=classes).to_numpy(zero_copy_only=False).astype(np.int64)
    if plan["weighted"]:
        return X, y, numeric_values(WEIGHT, table.column(WEIGHT))
    if plan["class_weights"] is not None:
        return X, y, np.asarray(plan["class_weights"])[y]
    return X, y, None


def part(encoded: tuple, index: int):
    """One of encode()'s results (a dask graph takes X, y and weights from one task)."""
    return encoded[index]


def score(rows: str, plan: dict, model_text: str, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, scores) of a part's rows, scored as the stored version scores (BoosterModel)."""
    from sqlml.engine.families.boosted_tree import BoosterModel

    X, y, _ = encode(rows, plan)
    return y, BoosterModel.load(model_text.encode(), n_classes).predict(X)


def iteration_losses(
    rows: str, plan: dict, model_text: str, n_classes: int, weighted: bool
) -> tuple[np.ndarray, float]:
    """(sum of the rows' losses after each boosting iteration, sum of their weights; unit weights unless
    `weighted`): the terms of the loss LightGBM reports for an objective (l2, binary_logloss, multi_logloss)."""
    import lightgbm as lgb

    X, y, weights = encode(rows, plan)
    weights = np.ones(len(y)) if weights is None or not weighted else weights
    booster = lgb.Booster(model_str=model_text)
    raw = np.zeros((len(y), max(n_classes, 2) if n_classes > 2 else 1))
    sums = []
    for iteration in range(booster.current_iteration()):
        tree = booster.predict(X, raw_score=True, start_iteration=iteration, num_iteration=1)
        raw += tree.reshape(len(y), -1)
        sums.append(float(weights @ _losses(raw, y, n_classes)))
    return np.array(sums), float(weights.sum())


def _losses(raw: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Each row's loss of raw scores `raw` for label `y`."""
    if n_classes == 0:
        return (raw[:, 0] - y) ** 2
    if n_classes == 2:
        positive = 1.0 / (1.0 + np.exp(-raw[:, 0]))
        return -np.log(np.maximum(np.where(y == 1, positive, 1.0 - positive), LOG_EPSILON))
    shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
    probability = shifted[np.arange(len(y)), y] / shifted.sum(axis=1)
    return -np.log(np.maximum(probability, LOG_EPSILON))
