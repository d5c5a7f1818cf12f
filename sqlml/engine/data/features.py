"""Automatic feature preprocessing, as BigQuery ML documents it.

`fit_features` learns one JSON-able spec per input column from the training rows; `FeatureEncoder` turns any
Arrow batch holding those columns into a float64 matrix with exactly the statistics learned at training.

- numeric: NULL -> the training mean; standardized ((x - mean) / std, the population std of the
  mean-imputed column, as scikit-learn's SimpleImputer + StandardScaler) for linear models (and for
  k-means and PCA unless standardize_features / scale_features is FALSE), raw for trees.
- string, bool, date, time (and other categorical types): linear models one-hot encode them, one column per
  category seen at training, NULL being a category of its own, an unseen category all zeros (ignored).
  Trees use label encoding: the category's 1-based position in the sorted vocabulary, 0 for NULL or unseen.
  A vocabulary keeps the MAX_CATEGORIES most frequent categories (ties: the smaller value first); the
  others are treated as unseen. category_encoding_method (`fit_category_encoding`) can change this:
  DUMMY_ENCODING leaves one-hot's column of the most frequent training category at 0 (leaf["dropped"]);
  TARGET_ENCODING replaces a tree's label code by the training label's mean over the category's rows
  (regression) or its share of the positive class (binary classification), for NULL its own, and for an
  unseen category the mean over all training rows (leaf["target"]).
- timestamp: decomposed into Unix epoch seconds (numeric) and the categorical parts day of month, day of
  week, month, hour, minute, week of year and year (`<col>_ts_dom`, ...), each then encoded as above;
  a timestamp with time zone is decomposed in UTC.
- STRUCT (e.g. ML.POLYNOMIAL_EXPAND, ML.FEATURE_CROSS): each field a feature `<col>_<field>`, as above.
- LIST<STRING> / LIST<BOOL> (ML.NGRAMS, string_split): multi-hot, one column per element of a vocabulary
  kept as a categorical column's (the 1,000 most frequent elements).
- LIST<STRUCT(index, value)> (ML.ONE_HOT_ENCODER, ML.BAG_OF_WORDS, ML.TF_IDF, ...) and LIST<number>
  (ML.NORMALIZER): a dense vector as wide as the largest index / longest list at training, values as
  they are (not standardized).
NaN or infinite numeric values are rejected with a DataError naming the column (NULL is the missing value).

Each leaf also keeps the distribution of its training values (`distribution`, which ML.VALIDATE_DATA_SKEW
compares serving data with): a number's counts in HISTOGRAM_BUCKETS equal-width buckets between its training
min and max, and of NULLs; a category's counts per vocabulary category, of NULLs and of the categories outside
the vocabulary; a list's, of its elements (a sparse vector's values).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.sqltext.sql_types import sql_message, sql_type
from sqlml.errors import DataError, NotSupportedError, ProgrammingError, did_you_mean

MAX_CATEGORIES = 1000
HISTOGRAM_BUCKETS = 10  # of a numeric leaf's training distribution, as ML.VALIDATE_DATA_DRIFT's default
_TIMESTAMP_PARTS = {
    "dom": pc.day,
    "dow": pc.day_of_week,
    "moy": pc.month,
    "hod": pc.hour,
    "moh": pc.minute,
    "woy": pc.iso_week,
    "year": pc.year,
}


def column_kind(name: str, dtype: pa.DataType) -> str:
    """'numeric', 'categorical' or 'timestamp' for an Arrow type; NotSupportedError for anything else."""
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "numeric"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_dictionary(dtype):
        return column_kind(name, dtype.value_type)
    if (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_string_view(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_date(dtype)
        or pa.types.is_time(dtype)
    ):
        return "categorical"
    if pa.types.is_struct(dtype):
        return "struct"
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        item = dtype.value_type
        if pa.types.is_struct(item) and {f.name for f in item} == {"index", "value"}:
            return "sparse"
        if pa.types.is_integer(item) or pa.types.is_floating(item) or pa.types.is_decimal(item):
            return "vector"
        if pa.types.is_string(item) or pa.types.is_large_string(item) or pa.types.is_boolean(item):
            return "multi_hot"
    if pa.types.is_null(dtype):
        raise NotSupportedError(
            f"column '{name}' has no type (it is an untyped NULL); cast it, e.g. NULL::DOUBLE, or leave it out"
        )
    raise NotSupportedError(
        f"column '{name}' has type {sql_type(dtype)}, which sqlml cannot use as a feature; "
        "cast it to a number, VARCHAR, BOOLEAN, DATE or TIMESTAMP, or leave it out"
    )


class ColumnIndex:
    """A table's column names looked up as SQL identifiers are, case-insensitively: built once, each lookup then
    takes constant time (a table of n columns resolves its n features in linear time)."""

    def __init__(self, names: list[str]):
        self._by_key: dict[str, list[str]] = {}
        for name in names:
            self._by_key.setdefault(name.lower(), []).append(name)

    def find(self, name: str) -> str | None:
        """The column that `name` denotes; more than one is a ProgrammingError."""
        found = self._by_key.get(name.lower(), [])
        if len(found) > 1:
            raise ProgrammingError(f"the input has {len(found)} columns named '{name}'; give them distinct names")
        return found[0] if found else None

    def check_unique(self) -> None:
        """ProgrammingError for the first name that two columns share."""
        for found in self._by_key.values():
            self.find(found[0])


def find_column(names: list[str], name: str) -> str | None:
    """The column of `names` that `name` denotes (see ColumnIndex, for many lookups in one table)."""
    return ColumnIndex(names).find(name)


def numeric_values(name: str, column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """float64 values with NULL as NaN; NaN or inf in the data itself is a DataError naming the column."""
    values = pc.cast(column, pa.float64(), safe=False)
    if values.null_count:  # NULLs become NaN below, so find the NaN/inf the data itself holds first
        bad = pc.sum(pc.invert(pc.is_finite(values))).as_py()
        array = pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)
    else:
        array = values.to_numpy(zero_copy_only=False)
        bad = 0 if np.isfinite(array).all() else int((~np.isfinite(array)).sum())
    if bad:
        raise non_finite_error(name, bad)
    return array


def non_finite_error(name: str, bad: int) -> DataError:
    """The error for a numeric column holding `bad` NaN or infinite values."""
    return DataError(
        f"column '{name}' has {bad} NaN or infinite value(s); replace or filter them "
        "(NULL is the missing value, imputed with the training mean)"
    )


def _as_strings(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Categorical values as strings (NULL stays NULL): the form vocabularies are kept in."""
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return pc.cast(column, pa.string())


def leaf_values(spec: dict, column: pa.ChunkedArray | pa.Array) -> list[tuple[dict, pa.ChunkedArray | pa.Array]]:
    """(leaf spec, values) pairs: the column itself, a struct's fields, or a timestamp's epoch seconds and parts."""
    return [(leaf, _part_values(column, part)) for leaf, part in leaf_parts(spec)]


def leaf_parts(spec: dict) -> list[tuple[dict, int | str | None]]:
    """(leaf spec, part) pairs of a feature's spec, `part` as column_spec's."""
    if spec["kind"] == "struct":
        return list(zip(spec["parts"], range(len(spec["parts"]))))
    if spec["kind"] != "timestamp":
        return [(spec, None)]
    return [(leaf, leaf.get("part", "epoch")) for leaf in spec["parts"]]


def _part_values(column, part: int | str | None):
    """The values of a column's leaf `part` (see `column_spec`)."""
    if part is None:
        return column
    if isinstance(part, int):
        return pc.struct_field(column, [part])
    if column.type.tz is not None:  # decompose in UTC, whatever time zone the session shows values in
        column = pc.cast(column, pa.timestamp(column.type.unit))
    if part == "epoch":
        return pc.divide(pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64()), 1_000_000)
    return _TIMESTAMP_PARTS[part](column)


def _elements(kind: str, column):
    """What a list leaf's distribution counts: its elements (a sparse vector's values); else the column."""
    if kind not in ("multi_hot", "sparse", "vector"):
        return column
    flat = pc.list_flatten(column)
    return pc.struct_field(flat, ["value"]) if kind == "sparse" else flat


def _counted(leaf: dict, values):
    """What a leaf's distribution counts of its Arrow `values`: its elements (a list leaf's; a sparse vector's
    values), as float64 numbers (NULL as NaN) unless it has a vocabulary."""
    elements = _elements(leaf["kind"], values)
    return elements if "vocabulary" in leaf else numeric_values(leaf["name"], elements)


def inner_edges(low: float, high: float, buckets: int) -> np.ndarray:
    """The edges between `buckets` equal-width buckets from `low` to `high`, numpy.histogram's (numpy.linspace's):
    a value is in the bucket after the last inner edge at or below it, a value at `high` in the last (a range
    too narrow for distinct edges, down to a single value, leaves the buckets before the top ones empty)."""
    return np.linspace(low, high, buckets + 1)[1:-1]


def _counts(leaf: dict, counted, buckets: int) -> np.ndarray:
    """How many `counted` values (see `_counted`) fall in each bin of the leaf's distribution (see
    `distribution`), with `buckets` equal-width buckets for a number (see `inner_edges`)."""
    if "vocabulary" in leaf:
        strings = _as_strings(counted)
        codes = pc.index_in(strings, value_set=pa.array(leaf["vocabulary"], pa.string()))
        bins = pc.fill_null(pc.add(codes, 2), 1).to_numpy(zero_copy_only=False)
        bins = np.where(strings.is_null().to_numpy(zero_copy_only=False), 0, bins)
        return np.bincount(bins, minlength=len(leaf["vocabulary"]) + 2)
    counts = np.zeros(buckets + 3, dtype=np.int64)
    counts[0] = np.isnan(counted).sum()
    if leaf.get("min") is None:  # no number at training: every one is above its range
        counts[-1] = len(counted) - counts[0]
        return counts
    low, high = leaf["min"], leaf["max"]
    counts[1], counts[-1] = (counted < low).sum(), (counted > high).sum()
    inside = counted[(counted >= low) & (counted <= high)]
    counts[2:-1] = np.bincount(
        np.searchsorted(inner_edges(low, high, buckets), inside, side="right"), minlength=buckets
    )
    return counts


def distribution(leaf: dict, values) -> np.ndarray:
    """How many of a leaf's Arrow `values` fall in each bin of the distribution stored at training
    (leaf["distribution"], the training rows' counts): a number's bins are NULL, below the training min,
    the equal-width buckets between min and max (a value on an inner edge in the upper one, the max in the
    last), above the max; a category's are NULL, outside the vocabulary, then each vocabulary category.
    A list leaf counts its elements (a sparse vector, its values)."""
    return _counts(leaf, _counted(leaf, values), len(leaf["distribution"]) - 3)


def recount_distributions(specs: list[dict], table: pa.Table) -> list[dict]:
    """`specs`, statistics unchanged, with each leaf's distribution recounted in its bins from `table`'s rows
    (warm_start: the version keeps its preprocessing, its distributions describe its own training rows). A leaf
    kept from before sqlml stored distributions stays without one."""
    recounted, columns = [], ColumnIndex(table.column_names)
    for spec in specs:
        column = table.column(columns.find(spec["name"]))
        leaves = [
            {**leaf, "distribution": distribution(leaf, values).tolist()} if "distribution" in leaf else leaf
            for leaf, values in leaf_values(spec, column)
        ]
        recounted.append({**spec, "parts": leaves} if spec["kind"] in ("timestamp", "struct") else leaves[0])
    return recounted


def _fit_leaf(name: str, kind: str, column, buckets: int) -> dict:
    """A leaf's statistics and the distribution of its training values, in `buckets` buckets if a number."""
    if kind == "numeric":  # its values read once, for both
        counted = numeric_values(name, column)
        leaf = _numeric_statistics(name, counted)
    else:
        leaf = _leaf_statistics(name, kind, column)
        counted = _counted(leaf, column)
    return {**leaf, "distribution": _counts(leaf, counted, buckets).tolist()}


def _numeric_statistics(name: str, values: np.ndarray) -> dict:
    """A numeric leaf's statistics from its float64 `values` (NULL as NaN); see `numeric_leaf`."""
    present = values[~np.isnan(values)]  # a copy: the median, last, reorders it
    if not len(present):
        return numeric_leaf(name, len(values), 0, 0.0, 0.0)
    low, high = float(present.min()), float(present.max())
    with np.errstate(over="ignore", invalid="ignore"):  # overflows are reported by numeric_leaf
        # a single value is its own mean, without the rounding of a sum (and its std 0, not that rounding)
        mean = low if low == high else float(present.mean())
        squares = float(((present - mean) ** 2).sum()) if low < high else 0.0
        median = float(np.median(present, overwrite_input=True))
    return numeric_leaf(name, len(values), len(present), mean, squares, (low, high, median))


def numeric_leaf(name: str, rows: int, present: int, mean: float, squares: float, summary: tuple | None = None) -> dict:
    """A numeric leaf's statistics from its `rows` values, `present` of them not NULL, their `mean`, the sum
    of their squared deviations from it and their (min, max, median) `summary` if any is present. std is the
    mean-imputed column's, as SimpleImputer followed by StandardScaler computes it (1 for a constant column);
    min, max, median and stddev (numpy's std(ddof=1)) are ML.FEATURE_INFO's."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflows are reported below
        std = float(np.sqrt(squares / rows)) if rows else 0.0
        stddev = float(np.sqrt(squares / (present - 1))) if present > 1 else None
    if not np.isfinite([mean, std, 0.0 if stddev is None else stddev]).all():
        raise DataError(
            f"column '{name}' has values too large in magnitude (up to {max(-summary[0], summary[1]):.3g}): "
            "their mean or standard deviation overflows double precision; rescale or filter them"
        )
    low, high, median = summary or (None, None, None)
    return {
        "name": name,
        "kind": "numeric",
        "mean": mean,
        "std": std if std > 0 else 1.0,
        "null_count": int(rows - present),
        **({"min": low, "max": high, "median": median, "stddev": stddev} if summary else {}),
    }


def _leaf_statistics(name: str, kind: str, column) -> dict:
    """The statistics of a leaf of any kind but numeric (`_numeric_statistics`)."""
    if kind in ("sparse", "vector"):  # as wide as the largest index / longest list seen at training
        flat = pc.list_flatten(column)
        if kind == "sparse":
            widest = pc.max(pc.struct_field(flat, ["index"])).as_py()
        else:
            widest = pc.max(pc.list_value_length(column)).as_py()
            widest = None if widest is None else widest - 1
        values = numeric_values(name, _elements(kind, column))
        present = values[~np.isnan(values)]  # their range: the span of the distribution's buckets
        span = (float(present.min()), float(present.max())) if len(present) else None
        return list_leaf(name, kind, widest, column.null_count, span)
    strings = _as_strings(_elements(kind, column))  # multi_hot: a vocabulary of the elements
    counts = pc.value_counts(strings.drop_null()).to_pylist()
    counts.sort(key=lambda entry: (-entry["counts"], entry["values"]))
    top = [entry["values"] for entry in counts[:MAX_CATEGORIES]]
    return categorical_leaf(name, kind, top, len(counts), strings.null_count)


def list_leaf(name: str, kind: str, widest: int | None, null_count: int, span: tuple | None) -> dict:
    """A sparse or dense vector leaf, as wide as its largest index / longest list at training (`widest`, the
    last position, None when there is none), with the (min, max) `span` of its values if there is any."""
    return {
        "name": name,
        "kind": kind,
        "width": 1 + (widest if widest is not None and widest >= 0 else 0),
        "null_count": null_count,
        **({"min": span[0], "max": span[1]} if span else {}),
    }


def categorical_leaf(name: str, kind: str, top: list[str], category_count: int, null_count: int) -> dict:
    """A category (or multi_hot: list element) leaf with `category_count` distinct values, `top` the
    MAX_CATEGORIES most frequent of them (ties: the smaller first), and `null_count` NULLs (a list's NULL
    elements are no category of multi-hot encoding)."""
    return {
        "name": name,
        "kind": kind,
        "vocabulary": sorted(top),
        "has_null": kind == "categorical" and null_count > 0,
        "category_count": category_count,
        "null_count": null_count,
    }


def fit_category_encoding(specs: list[dict], method: str, table: pa.Table, y: np.ndarray, n_classes: int) -> list[dict]:
    """`specs` with what category_encoding_method `method` needs of each categorical leaf, learned from the
    training rows `table` and their encoded labels `y` (class indices, or values): DUMMY_ENCODING the
    one-hot column it leaves out, TARGET_ENCODING the label's means (see the module docstring)."""
    if not learns_category_encoding(method, n_classes):
        return specs
    target = (y == 1).astype(np.float64) if n_classes == 2 else np.asarray(y, dtype=np.float64)
    prior = float(target.mean()) if len(target) else 0.0
    columns = ColumnIndex(table.column_names)

    def fitted(spec: dict) -> dict:
        column = table.column(columns.find(spec["name"]))
        return with_categorical_leaves(
            spec, lambda leaf, part: _encoded_leaf(leaf, method, _part_values(column, part), target, prior)
        )

    return [fitted(spec) for spec in specs]


def learns_category_encoding(method: str, n_classes: int) -> bool:
    """Whether category_encoding_method `method` learns from the training rows (NotSupportedError when it
    cannot for a label of `n_classes` classes, 0 for a regression)."""
    if method == "TARGET_ENCODING" and n_classes > 2:
        raise NotSupportedError(
            f"OPTIONS: category_encoding_method='TARGET_ENCODING' replaces a category by the probability of the "
            f"target, which a label of {n_classes} classes does not have (one per class); use LABEL_ENCODING or "
            "ONE_HOT_ENCODING"
        )
    return method in ("DUMMY_ENCODING", "TARGET_ENCODING")


def with_categorical_leaves(spec: dict, encode) -> dict:
    """`spec` with each categorical leaf replaced by `encode(leaf, part)` (`part` as column_spec's)."""
    leaves = [encode(leaf, part) if leaf["kind"] == "categorical" else leaf for leaf, part in leaf_parts(spec)]
    return {**spec, "parts": leaves} if spec["kind"] in ("timestamp", "struct") else leaves[0]


def _encoded_leaf(leaf: dict, method: str, values, target: np.ndarray, prior: float) -> dict:
    """`encoded_leaf` from the leaf's training `values` and `target` labels."""
    strings = _as_strings(values)
    k = len(leaf["vocabulary"])
    codes = pc.fill_null(pc.index_in(strings, value_set=pa.array(leaf["vocabulary"], pa.string())), k + 1)
    codes = np.where(strings.is_null().to_numpy(zero_copy_only=False), k, codes.to_numpy(zero_copy_only=False))
    counts = np.bincount(codes, minlength=k + 2)[: k + 1]  # each category's rows, then NULL's (not the others')
    sums = np.bincount(codes, weights=target, minlength=k + 2)[: k + 1] if method == "TARGET_ENCODING" else None
    return encoded_leaf(leaf, method, counts, sums, prior)


def encoded_leaf(leaf: dict, method: str, counts: np.ndarray, sums: np.ndarray | None, prior: float) -> dict:
    """A categorical leaf with its DUMMY_ENCODING `dropped` column or its TARGET_ENCODING `target` means, from
    the training rows' `counts` and label `sums` of each category then of NULL, and the label's mean `prior`."""
    k = len(leaf["vocabulary"])
    if method == "DUMMY_ENCODING":  # the most frequent one-hot column (NULL's is the last); ties: the first
        columns = counts[: k + (1 if leaf["has_null"] else 0)]
        return {**leaf, "dropped": int(np.argmax(columns))} if len(columns) else leaf
    means = np.where(counts > 0, sums / np.maximum(counts, 1), prior)
    return {**leaf, "target": [*means.tolist(), prior]}  # categories, NULL, unseen


def fit_features(table: pa.Table, columns: list[str], buckets: int = HISTOGRAM_BUCKETS) -> list[dict]:
    """Learn the preprocessing spec of each feature column from the training rows (a numeric leaf's
    distribution in `buckets` equal-width buckets). Columns are fitted in parallel: numpy releases the GIL
    over each column's passes (the first failing column, in order, is the error raised)."""
    with ThreadPoolExecutor(min(len(columns), os.cpu_count() or 1) or 1) as pool:
        return list(pool.map(lambda name: _fit_column(name, table.column(name), buckets), columns))


def _fit_column(name: str, column, buckets: int) -> dict:
    """One feature column's spec (see fit_features)."""
    return column_spec(
        name, column.type, lambda leaf, kind, part: _fit_leaf(leaf, kind, _part_values(column, part), buckets)
    )


def column_spec(name: str, dtype: pa.DataType, fit_leaf) -> dict:
    """The spec of feature column `name` of type `dtype`, its leaves' statistics from `fit_leaf(leaf name,
    leaf kind, part)`, `part` None for the column itself, a STRUCT field's index, or a timestamp's part
    ('epoch' for its Unix epoch seconds, or a key of _TIMESTAMP_PARTS)."""
    kind = column_kind(name, dtype)
    if kind == "struct":  # one feature per field, named <column>_<field>
        parts = []
        for field in dtype:
            sub_kind = column_kind(f"{name}.{field.name}", field.type)
            if sub_kind not in ("numeric", "categorical"):
                raise NotSupportedError(
                    f"column '{name}' has field '{field.name}' of type {sql_type(field.type)}; a "
                    "STRUCT feature's fields must be numbers or categories"
                )
            parts.append((f"{name}_{field.name}", sub_kind))
        leaves = [fit_leaf(leaf, sub_kind, i) for i, (leaf, sub_kind) in enumerate(parts)]
        return {"name": name, "kind": kind, "type": str(dtype), "parts": leaves}
    if kind != "timestamp":
        return {**fit_leaf(name, kind, None), "type": str(dtype)}
    parts = [{"name": f"{name}_ts_{part}", "part": part} for part in _TIMESTAMP_PARTS]
    return {
        "name": name,
        "kind": kind,
        "type": str(dtype),
        "parts": [
            {"name": name, **fit_leaf(name, "numeric", "epoch")},
            *({**leaf, **fit_leaf(leaf["name"], "categorical", leaf["part"])} for leaf in parts),
        ],
    }


def _encode_list(leaf: dict, values, out: np.ndarray) -> int:
    """A sparse (LIST<STRUCT(index, value)>) or dense (LIST<number>) vector into leaf["width"] columns;
    positions beyond the width seen at training, NULL lists and NULL values count as absent (0)."""
    width = leaf["width"]
    out[:, :width] = 0.0
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    flat = pc.list_flatten(values)
    rows = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
    if leaf["kind"] == "sparse":
        positions = pc.fill_null(pc.struct_field(flat, ["index"]), -1).to_numpy(zero_copy_only=False)
        numbers = pc.struct_field(flat, ["value"])
    else:
        starts = values.offsets.to_numpy()[:-1] - values.offset
        positions, numbers = np.arange(len(flat)) - starts[rows], flat
    numbers = pc.fill_null(pc.cast(numbers, pa.float64()), 0.0).to_numpy(zero_copy_only=False)
    if not np.isfinite(numbers).all():
        raise DataError(f"column '{leaf['name']}' has NaN or infinite value(s) in its lists; replace or filter them")
    keep = (positions >= 0) & (positions < width)
    out[rows[keep], positions[keep]] = numbers[keep]
    return width


def spec_leaves(spec: dict) -> list[dict]:
    """A feature's leaves, each encoded on its own: a timestamp's or STRUCT's parts, else the feature."""
    return spec["parts"] if spec["kind"] in ("timestamp", "struct") else [spec]


def leaf_width(leaf: dict, linear: bool) -> int:
    """How many matrix columns a leaf takes in a linear (one-hot) or a tree (label) encoding."""
    if leaf["kind"] == "numeric" or (leaf["kind"] == "categorical" and not linear):
        return 1
    if leaf["kind"] in ("sparse", "vector"):
        return leaf["width"]
    return len(leaf["vocabulary"]) + (leaf["has_null"] if leaf["kind"] == "categorical" else 0)


class FeatureEncoder:
    """Applies stored feature specs to Arrow data; `linear=True` one-hot encodes categories and imputes
    numbers, standardizing them when `scale`. An encoded value above `limit` in magnitude (the largest the
    estimator can read; an overflow of standardization is infinite) is a DataError naming its column."""

    def __init__(
        self, specs: list[dict], linear: bool, scale: bool = True, limit: float = float(np.finfo(np.float64).max)
    ):
        self.specs = specs
        self.linear = linear
        self.scale = scale
        self.limit = limit
        self._vocabularies = {}
        self.output_names: list[str] = []
        self.categorical_indices: list[int] = []  # matrix columns holding label-encoded categories
        for spec in specs:
            for leaf in spec_leaves(spec):
                if leaf["kind"] == "numeric":
                    self.output_names.append(leaf["name"])
                    continue
                if leaf["kind"] in ("sparse", "vector"):
                    self.output_names += [f"{leaf['name']}[{i}]" for i in range(leaf["width"])]
                    continue
                if leaf["kind"] == "multi_hot":
                    self.output_names += [f"{leaf['name']}={v}" for v in leaf["vocabulary"]]
                    continue
                if linear:
                    self.output_names += [f"{leaf['name']}={v}" for v in leaf["vocabulary"]]
                    self.output_names += [f"{leaf['name']}=NULL"] if leaf["has_null"] else []
                elif "target" in leaf:  # TARGET_ENCODING: a number
                    self.output_names.append(leaf["name"])
                else:
                    self.categorical_indices.append(len(self.output_names))
                    self.output_names.append(leaf["name"])

    def _vocabulary(self, leaf: dict) -> pa.Array:
        """A category leaf's vocabulary as an Arrow array, built when a batch is first encoded (building an
        Arrow array makes pyarrow import pandas: scoring compiled to SQL encodes nothing)."""
        if leaf["name"] not in self._vocabularies:
            self._vocabularies[leaf["name"]] = pa.array(leaf["vocabulary"], pa.string())
        return self._vocabularies[leaf["name"]]

    def resolve(self, names: list[str]) -> dict[str, str]:
        """Map each feature to the input column (of `names`) carrying it; a missing one is a ProgrammingError."""
        columns = ColumnIndex(names)
        mapping = {spec["name"]: columns.find(spec["name"]) for spec in self.specs}
        missing = [name for name, found in mapping.items() if found is None]
        if missing:
            hint = did_you_mean(missing[0], names) if len(missing) == 1 else ""
            raise ProgrammingError(
                f"input is missing feature column(s) {', '.join(map(repr, missing))} "
                f"that the model was trained on.{hint} Input columns: {', '.join(names)}"
            )
        return mapping

    def width(self, leaf: dict) -> int:
        """How many matrix columns a leaf takes."""
        return leaf_width(leaf, self.linear)

    def blocks(self, vector: np.ndarray):
        """(feature index, leaf, first encoded column, values) of each leaf's part of `vector`, a vector over
        the encoded columns (weights, a centroid, a principal component)."""
        position = 0
        for index, spec in enumerate(self.specs):
            for leaf in spec_leaves(spec):
                width = self.width(leaf)
                yield index, leaf, position, vector[position : position + width]
                position += width

    def owners(self) -> np.ndarray:
        """For each encoded column, the index of the feature (spec) it encodes."""
        return np.array(
            [index for index, _, _, values in self.blocks(np.empty(len(self.output_names))) for _ in values],
            dtype=np.int64,
        )

    def category_blocks(self) -> list[tuple[int, int]]:
        """(first column, width) of each category leaf's one-hot columns (none when not one-hot encoded)."""
        vector = np.empty(len(self.output_names))
        return [
            (position, len(values))
            for _, leaf, position, values in self.blocks(vector)
            if self.linear and leaf["kind"] == "categorical" and len(values)
        ]

    def affine(self, leaf: dict) -> tuple[float, float]:
        """(a, b): a linear encoding turns a numeric leaf's mean-imputed value x into a * x + b."""
        return (1.0 / leaf["std"], -leaf["mean"] / leaf["std"]) if self.scale else (1.0, 0.0)

    def _check_magnitude(self, leaf: dict, encoded: np.ndarray) -> None:
        if not np.abs(encoded).max(initial=0.0) <= self.limit:  # NaN fails too
            raise DataError(
                f"column '{leaf['name']}' has value(s) too large in magnitude for this model (above "
                f"{self.limit:.3g} once encoded); rescale or filter them"
            )

    def _encode_leaf(self, leaf: dict, values, out: np.ndarray) -> int:
        """Write one leaf's columns into `out` (a view of the matrix); return how many it wrote."""
        if leaf["kind"] in ("sparse", "vector"):
            width = _encode_list(leaf, values, out)
            self._check_magnitude(leaf, out[:, :width])
            return width
        if leaf["kind"] == "multi_hot":  # 1 where the list holds the vocabulary element
            values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
            width = len(leaf["vocabulary"])
            out[:, :width] = 0.0
            codes = pc.fill_null(
                pc.index_in(_as_strings(pc.list_flatten(values)), value_set=self._vocabulary(leaf)), -1
            ).to_numpy(zero_copy_only=False)
            rows = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
            out[rows[codes >= 0], codes[codes >= 0]] = 1.0
            return width
        if leaf["kind"] == "numeric":
            column = numeric_values(leaf["name"], values)
            if values.null_count:
                column = np.where(np.isnan(column), leaf["mean"], column)
            with np.errstate(over="ignore"):  # an overflow is infinite, which the check reports
                encoded = (column - leaf["mean"]) / leaf["std"] if self.linear and self.scale else column
            self._check_magnitude(leaf, encoded)  # before it is written: read contiguously
            out[:, 0] = encoded
            return 1
        strings = _as_strings(values)
        codes = pc.index_in(strings, value_set=self._vocabulary(leaf))  # NULL if unseen or NULL
        if not self.linear and "target" in leaf:  # the label's training mean of the category, NULL, unseen
            k = len(leaf["vocabulary"])
            position = pc.fill_null(codes, k + 1).to_numpy(zero_copy_only=False)
            position = np.where(strings.is_null().to_numpy(zero_copy_only=False), k, position)
            out[:, 0] = np.asarray(leaf["target"], dtype=np.float64)[position]
            return 1
        if not self.linear:
            out[:, 0] = pc.fill_null(pc.add(codes, 1), 0).to_numpy(zero_copy_only=False)
            return 1
        width = len(leaf["vocabulary"]) + leaf["has_null"]
        out[:, :width] = 0.0
        known = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False)
        rows = np.nonzero(known >= 0)[0]
        out[rows, known[rows]] = 1.0
        if leaf["has_null"]:
            out[strings.is_null().to_numpy(zero_copy_only=False), width - 1] = 1.0
        if "dropped" in leaf:  # DUMMY_ENCODING
            out[:, leaf["dropped"]] = 0.0
        return width

    def transform(self, batch: pa.RecordBatch | pa.Table, mapping: dict[str, str] | None = None) -> np.ndarray:
        """The float64 feature matrix (rows x output_names) of `batch`."""
        mapping = mapping or self.resolve(batch.schema.names)
        # linear models multiply by column; trees predict row by row, a little faster from row-major data
        matrix = np.empty((batch.num_rows, len(self.output_names)), dtype=np.float64, order="F" if self.linear else "C")
        position = 0
        for spec in self.specs:
            try:
                for leaf, values in leaf_values(spec, batch.column(mapping[spec["name"]])):
                    position += self._encode_leaf(leaf, values, matrix[:, position:])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataError(
                    f"column '{mapping[spec['name']]}' cannot be read as the model's "
                    f"{sql_type(spec['type'])} feature '{spec['name']}': {sql_message(exc)}"
                ) from None
        return matrix
