"""Predictions of a matrix factorization model: keys to dense ids, user x item score blocks, top-k items per
user, and ML.EVALUATE's metrics.

An unknown user or item (or a NULL one) follows BigQuery ML's rule: its prediction is the known side's intercept
plus the global intercept (both unknown: the global intercept alone).

Implicit models' ranking metrics rank, for each user of the rows given, every item of the model by predicted
confidence; the relevant items are the user's rows with a positive rating (known items; duplicates summed):
- mean_average_precision: the mean over users of the average precision of that ranking (precision at the
  position of each relevant item, averaged over the relevant items);
- normalized_discounted_cumulative_gain: the mean over users of sum(r / log2(1 + position)) over the relevant
  items, divided by the same sum for the ideal order (ratings descending);
- average_rank: Hu, Koren and Volinsky's expected percentile ranking, sum(r * percentile) / sum(r), a
  percentile 0 for the first item and 1 for the last (lower is better);
- mean_squared_error: over the rows given, of the preference (1 for a positive rating, else 0) against the
  predicted confidence.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine import metrics as regression
from sqlml.engine.recommend.als import Factors, Ratings
from sqlml.engine.sqltext.sql_types import sql_message, sql_type
from sqlml.errors import ProgrammingError

RANKING_CELLS = 4_000_000  # user x item scores one block of the ranking metrics holds


def positions(values: pa.Array | pa.ChunkedArray, keys: pa.Array, what: str = "a value") -> np.ndarray:
    """Each value's position in `keys` (-1 for a NULL or a value not among them), `values` cast to the keys'
    type (ProgrammingError naming `what` when they cannot be)."""
    if values.type != keys.type:
        try:
            values = pc.cast(values, keys.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ProgrammingError(
                f"{what} ({sql_type(values.type)}) cannot be compared with the model's {sql_type(keys.type)} "
                f"keys: {sql_message(exc)}"
            ) from None
    found = pc.index_in(values, value_set=keys)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def cross(f: Factors, user_ids: np.ndarray, item_ids: np.ndarray | None = None) -> np.ndarray:
    """Scores of every user of `user_ids` (rows) against every item of `item_ids` (columns; None: all items);
    an id of -1 is an unknown user or item."""
    users, user_intercepts = _side(f.user_factors, f.user_intercepts, user_ids)
    if item_ids is None:
        items, item_intercepts = f.item_factors, f.item_intercepts
    else:
        items, item_intercepts = _side(f.item_factors, f.item_intercepts, item_ids)
    scores = users @ items.T
    scores += user_intercepts[:, None] + f.global_intercept
    scores += item_intercepts[None, :]
    return scores


def _side(factors: np.ndarray, intercepts: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The factor rows and intercepts of `ids`, zeros for -1."""
    known = ids >= 0
    if known.all():
        return factors[ids], intercepts[ids]
    rows, values = np.zeros((len(ids), factors.shape[1])), np.zeros(len(ids))
    rows[known], values[known] = factors[ids[known]], intercepts[ids[known]]
    return rows, values


def top_k(f: Factors, user_ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(item ids, scores), each (len(user_ids), min(k, items)): every user's best items, best first."""
    scores = cross(f, user_ids)
    if k >= scores.shape[1]:
        best = np.argsort(-scores, axis=1, kind="stable")
        return best, np.take_along_axis(scores, best, axis=1)
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    best_scores = np.take_along_axis(scores, best, axis=1)
    order = np.argsort(-best_scores, axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1), np.take_along_axis(best_scores, order, axis=1)


def metrics(model, f: Factors, ratings: Ratings) -> dict:
    """ML.EVALUATE's row for `ratings` (ids, -1 unknown): the regression metrics of an explicit model, the
    ranking metrics (module docstring) of an implicit one."""
    predicted = f.predict(ratings.user_ids, ratings.item_ids)
    if not model.implicit:
        return regression.regression_metrics(ratings.values, predicted)
    preference = (ratings.values > 0).astype(np.float64)
    ranked = ranking(f, ratings)
    return {
        "mean_average_precision": ranked[0],
        "mean_squared_error": float(np.mean((preference - predicted) ** 2)) if len(predicted) else None,
        "normalized_discounted_cumulative_gain": ranked[1],
        "average_rank": ranked[2],
    }


def ranking(f: Factors, ratings: Ratings) -> tuple[float | None, float | None, float | None]:
    """(mean average precision, mean NDCG, average rank) of the positive ratings of known users and items."""
    n_items = len(f.item_factors)
    keep = (ratings.user_ids >= 0) & (ratings.item_ids >= 0) & (ratings.values > 0)
    if not keep.any():
        return None, None, None
    pairs, inverse = np.unique(ratings.user_ids[keep] * n_items + ratings.item_ids[keep], return_inverse=True)
    gains = np.bincount(inverse, weights=ratings.values[keep])
    users, items = pairs // n_items, pairs % n_items  # sorted by user
    position = np.empty(len(pairs))
    distinct = np.unique(users)
    bounds = np.append(np.searchsorted(users, distinct), len(users))  # each user's pairs: bounds[j]:bounds[j + 1]
    per_block = max(1, RANKING_CELLS // n_items)
    for start in range(0, len(distinct), per_block):
        scores = cross(f, distinct[start : start + per_block])
        ordered = np.sort(scores, axis=1)
        for local in range(len(scores)):  # a position is 1 + the items scored above (ties: the best position)
            rows = slice(bounds[start + local], bounds[start + local + 1])
            above = n_items - np.searchsorted(ordered[local], scores[local, items[rows]], side="right")
            position[rows] = above + 1
    by_position = np.lexsort((position, users))
    starts = np.flatnonzero(np.r_[True, np.diff(users) != 0])
    counts = np.diff(np.r_[starts, len(users)])
    rank_in_user = np.arange(len(users)) - np.repeat(starts, counts) + 1
    precision = rank_in_user / position[by_position]
    average_precision = np.add.reduceat(precision, starts) / counts
    dcg = np.add.reduceat(gains / np.log2(position + 1), starts)
    ideal = np.add.reduceat(gains[np.lexsort((-gains, users))] / np.log2(rank_in_user + 1), starts)
    percentile = (position - 1) / max(n_items - 1, 1)
    return (
        float(average_precision.mean()),
        float(np.mean(dcg / ideal)),
        float(np.sum(gains * percentile) / np.sum(gains)),
    )
