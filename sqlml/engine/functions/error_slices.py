"""ML.ERROR_SLICES(MODEL m, TABLE t | (query) [, STRUCT(max_slices, min_size, max_features, alpha, threshold)]):
the slices of the input where the model's error is significantly worse than on the rest (a SliceFinder-style
lattice search, Chung et al., "Automated Data Slicing for Model Validation", ICDE 2019). sqlml's own
function: BigQuery ML has no equivalent.

The input must hold the label column; rows with a NULL label are skipped. Each row's loss is 0/1
misclassification for a classifier (the predicted class as ML.PREDICT's, at `threshold` for a binary one)
and the absolute error for a regressor, so a slice's `error` is its error rate or mean absolute error.

Candidate predicates, on each input column the model reads (with TRANSFORM: that its features read):
- string, bool, date and time columns, and numbers with at most 4 distinct values: `col = value` for
  each of the MAX_VALUES most frequent values;
- other numbers: with e1 < e2 < e3 the column's distinct quartiles (numpy's 'higher' method: values of
  the column, rounded to 4 significant digits unless integers), `col < e` and `col >= e` for each, and
  `col >= e1 AND col < e2`, `col >= e2 AND col < e3`;
- `col IS NULL` when the column has NULLs.
A FLOAT or DECIMAL column is compared as a DOUBLE (`"col"::DOUBLE >= 0.35`), as the masks are. Other column
types are not sliced. A slice is a conjunction of up to `max_features` (default 2, at most 3)
predicates on distinct columns, built level by level: the children of a slice add one predicate on a later
column. A slice with fewer than `min_size` rows (default the larger of 10 and 1% of the rows), or with
all of them, is dropped, and so are its children. Each level expands at most MAX_EXPANDED slices, those
with the largest effect size. Unlike SliceFinder, a significant slice is expanded too, so that a part of
it that is worse still can be found.

Each slice's losses are compared with the other rows' by Welch's t-test, one-sided (the slice is worse;
scipy.stats.ttest_ind_from_stats); its effect size is SliceFinder's: (mean loss in the slice - mean loss
outside) / sqrt((var inside + var outside) / 2), with sample variances. A slice is significant when its
p-value is below alpha (default 0.05) divided by the number of slices tested (Bonferroni) and its effect
size is positive. The significant slices are ranked by effect size descending, then size descending
(then slice text), and one is left out when a slice ranked above it holds all its rows (a more general
slice with at least its effect, or the same rows).

Output, the first `max_slices` (default 10) of that ranking: `slice` (the predicates as DuckDB SQL:
`WHERE <slice>` selects the slice's rows of the input), `num_features`, `size`, `error` (the mean loss in
the slice), `overall_error` (over all rows), `effect_size`, `p_value` (of the t-test, uncorrected). The
input is read into memory once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from sqlml.engine.context import MLContext
from sqlml.engine.data.features import column_kind
from sqlml.engine.functions.evaluate import labelled_rows
from sqlml.engine.functions.predict import binary_threshold
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store.model import Model, predicted_labels
from sqlml.errors import NotSupportedError
from sqlml.parser import MLFunction

MAX_VALUES = 20  # equality predicates per categorical column
QUARTILES = (0.25, 0.5, 0.75)
MAX_EXPANDED = 200  # slices expanded per level
BLOCK_CELLS = 2**22  # (parents + predicates) x rows cells multiplied at a time
SCHEMA = pa.schema(
    [
        ("slice", pa.string()),
        ("num_features", pa.int32()),
        ("size", pa.int64()),
        ("error", pa.float64()),
        ("overall_error", pa.float64()),
        ("effect_size", pa.float64()),
        ("p_value", pa.float64()),
    ]
)


class Predicate(NamedTuple):
    column: int  # position of the column among the sliced ones
    sql: str
    mask: np.ndarray


def _sliced_columns(model: Model, names: list[str]) -> list[str]:
    """The input columns the model reads, in input order."""
    if model.transform is None:
        read = model.resolve(names).values()
    else:
        read = [column for output in model.transform.features for column in output["reads"]]
    wanted = {column.lower() for column in read}
    return [name for name in names if name.lower() in wanted]


def _quartile_predicates(quoted: str, values: np.ndarray, valid: np.ndarray, integer: bool) -> list[tuple]:
    """(SQL, mask) of `col < e`, `col >= e` at the quartiles e and of the two middle quarters."""
    edges = np.quantile(values[valid], QUARTILES, method="higher")
    edges = np.unique(edges if integer else [float(f"{edge:.4g}") for edge in edges])
    texts = [literal(edge.item()) for edge in edges]
    found = []
    for edge, text in zip(edges, texts):
        found += [(f"{quoted} < {text}", valid & (values < edge)), (f"{quoted} >= {text}", valid & (values >= edge))]
    for low, high, low_text, high_text in zip(edges, edges[1:], texts, texts[1:]):
        found.append((f"{quoted} >= {low_text} AND {quoted} < {high_text}", valid & (values >= low) & (values < high)))
    return found


def _value_predicates(quoted: str, column: pa.Array) -> list[tuple]:
    """(SQL, mask) of `col = value` for the MAX_VALUES most frequent values."""
    counts = pc.value_counts(column.drop_null())
    order = np.argsort(-counts.field("counts").to_numpy(), kind="stable")[:MAX_VALUES]
    return [
        (
            f"{quoted} = {literal(value.as_py())}",
            pc.fill_null(pc.equal(column, value), False).to_numpy(zero_copy_only=False),
        )
        for value in counts.field("values").take(pa.array(order))
    ]


def _predicates(position: int, name: str, column: pa.ChunkedArray, min_size: int) -> list[Predicate]:
    """The candidate predicates on one column that hold for min_size rows or more, and not for all."""
    try:
        kind = column_kind(name, column.type)
    except NotSupportedError:
        return []
    if kind not in ("numeric", "categorical"):
        return []
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    column, quoted = column.combine_chunks(), quote_identifier(name)
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    found = [] if valid.all() else [(f"{quoted} IS NULL", ~valid)]
    values, integer = None, pa.types.is_integer(column.type)
    if kind == "numeric":  # the edges are doubles: FLOAT and DECIMAL columns compare as DOUBLE, in SQL too
        if not (integer or pa.types.is_float64(column.type)):
            column, quoted = pc.cast(column, pa.float64()), f"{quoted}::DOUBLE"
        values = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)
    if values is not None and len(np.unique(values[valid])) > 4:
        found += _quartile_predicates(quoted, values, valid, integer)
    else:
        found += _value_predicates(quoted, column)
    return [Predicate(position, sql, mask) for sql, mask in found if min_size <= mask.sum() < len(mask)]


def _welch(size: np.ndarray, total: np.ndarray, squares: np.ndarray, loss: np.ndarray):
    """(mean loss, effect size, one-sided p-value) of slices against the other rows, from the slices' sizes,
    sums of losses and sums of squared deviations of the losses from their overall mean."""
    n, mean = len(loss), loss.mean()
    rest, deviation = n - size, total - size * mean  # the rest's deviations sum to -deviation
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_in, mean_out = total / size, (loss.sum() - total) / rest
        var_in = np.maximum(squares - deviation**2 / size, 0) / (size - 1)
        var_out = np.maximum(((loss - mean) ** 2).sum() - squares - deviation**2 / rest, 0) / (rest - 1)
        p_value = stats.ttest_ind_from_stats(
            mean_in, np.sqrt(var_in), size, mean_out, np.sqrt(var_out), rest, equal_var=False, alternative="greater"
        ).pvalue
        effect = (mean_in - mean_out) / np.sqrt((var_in + var_out) / 2)
    return mean_in, effect, p_value


def _children(parents: np.ndarray, masks: np.ndarray, loss: np.ndarray, squared: np.ndarray) -> np.ndarray:
    """Size, sum of losses and sum of `squared` of every slice `parent AND predicate`: (3, parents,
    predicates), by matrix products over blocks of rows."""
    found = np.zeros((len(masks), 3 * len(parents)))
    step = max(1, BLOCK_CELLS // (3 * len(parents) + len(masks)))
    for start in range(0, len(loss), step):
        rows = slice(start, start + step)
        parent = parents[:, rows].astype(np.float64)
        found += (
            masks[:, rows].astype(np.float64) @ np.concatenate([parent, parent * loss[rows], parent * squared[rows]]).T
        )
    return found.T.reshape(3, len(parents), len(masks))


def _search(predicates: list[Predicate], loss: np.ndarray, min_size: int, max_features: int):
    """Every slice of the lattice (a tuple of predicate indices, on increasing columns) with its size, its
    sum of losses and of their squared deviations from the overall mean."""
    columns = np.array([p.column for p in predicates], dtype=np.int64)
    masks = np.array([p.mask for p in predicates], dtype=bool).reshape(len(predicates), len(loss))
    squared = (loss - loss.mean()) ** 2
    slices, levels = [], []
    keys, parents = [()], np.ones((1, len(loss)), dtype=bool)
    for _ in range(max_features):
        size, total, square = _children(parents, masks, loss, squared)
        last = np.array([columns[key[-1]] if key else -1 for key in keys])
        parent, predicate = np.nonzero((columns > last[:, None]) & (size >= min_size) & (size < len(loss)))
        if not len(parent):
            break
        found = np.array([size[parent, predicate], total[parent, predicate], square[parent, predicate]])
        children = [keys[p] + (int(j),) for p, j in zip(parent, predicate)]
        slices += children
        levels.append(found)
        _, effect, _ = _welch(*found, loss)
        best = np.lexsort((-found[0], -np.nan_to_num(effect, nan=-np.inf)))[:MAX_EXPANDED]
        keys = [children[i] for i in best]
        parents = np.array([masks[list(key)].all(axis=0) for key in keys])
    size, total, square = np.concatenate(levels, axis=1) if levels else np.empty((3, 0))
    return slices, size.astype(np.int64), total, square


def error_slices(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    threshold = binary_threshold(model, params)
    y, scores, rows = labelled_rows(ctx, call, model, keep_all=True)
    if model.is_classifier:
        loss = (predicted_labels(scores, threshold) != y).astype(np.float64)
    else:
        loss = np.abs(scores - y)
    min_size = params.get("min_size", max(10, len(loss) // 100))
    names = _sliced_columns(model, rows.column_names)
    predicates = [p for i, name in enumerate(names) for p in _predicates(i, name, rows[name], min_size)]
    slices, size, total, square = _search(predicates, loss, min_size, params["max_features"])
    error, effect, p_value = _welch(size, total, square, loss)
    significant = np.flatnonzero((p_value < params["alpha"] / max(len(slices), 1)) & (effect > 0))
    text = {i: " AND ".join(predicates[j].sql for j in slices[i]) for i in significant}
    top, masks = [], []
    for i in sorted(significant, key=lambda i: (-effect[i], -size[i], text[i])):
        mask = np.logical_and.reduce([predicates[j].mask for j in slices[i]])
        if not any(kept[mask].all() for kept in masks):  # no slice ranked above holds all its rows
            top.append(i)
            masks.append(mask)
        if len(top) == params["max_slices"]:
            break
    return pa.table(
        [
            [text[i] for i in top],
            [len(slices[i]) for i in top],
            size[top],
            error[top],
            np.full(len(top), loss.mean()),
            effect[top],
            p_value[top],
        ],
        schema=SCHEMA,
    )
