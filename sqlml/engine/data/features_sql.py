"""Automatic preprocessing fitted by DuckDB aggregates over a relation (issue 20: a cluster's coordinator fits
it over the full data without reading the rows into Python).

`fit_features_sql(cur, relation_sql, columns)` returns what `features.fit_features` returns for the rows of
`SELECT columns FROM (relation_sql)`: the same specs, keys in the same order, built by features.py's own
pieces (`column_spec`, `numeric_leaf`, `categorical_leaf`, `list_leaf`, `inner_edges`, the errors). Per
group of rows (the relation's; the elements of each list column) up to three queries, each one pass over
every feature at once:

1. one row of aggregates per number: count, NaN/inf count, min, max, Kahan sum (`fsum`), the lower median
   (`quantile_disc`, which holds the values in DuckDB's memory as numpy.median holds them in Python's);
2. the categories' counts, every categorical leaf at once (GROUPING SETS), the MAX_CATEGORIES most frequent
   of each kept (ties: the smaller first, DuckDB's byte order of UTF-8 being Python's order of code points);
3. with the means and ranges known: the sums of squared deviations (Kahan), each number's buckets (the
   bucket after the last inner edge at or below the value, as features.py counts them) and, for an even
   count, the upper median.

Equal, not only close: counts, vocabularies, distributions, min, max, median, null counts, widths. The mean
and the std differ from numpy's in the last bits only: DuckDB sums in another order (Kahan's, where numpy
sums pairwise), so they agree to a few units in the last place of the sum of the values' magnitudes, not of
a sum that cancels.

In SQL the text of a category is written as Arrow casts it to a string (features.py's vocabularies): a
DATE as YYYY-MM-DD with the astronomical year (DuckDB's own text of a BC date differs). Where SQL cannot
match pyarrow, the column alone is read from DuckDB and fitted by fit_features: TIME and TIMETZ (Arrow's text
has the fraction of a second), TIMESTAMP_NS (pyarrow refuses to drop its nanoseconds), a DECIMAL with a
scale (pyarrow's float64 of one is not always the nearest double, DuckDB's is: they differ in the last bit
for about one value in ten) and list-of-STRUCT vectors whose index is not an integer or value not a number.
The session's collation must be DuckDB's default (binary): another would group categories differently.

`fit_category_encoding_sql` does the same for `features.fit_category_encoding` (category_encoding_method).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from sqlml.engine.data.features import (
    HISTOGRAM_BUCKETS,
    MAX_CATEGORIES,
    categorical_leaf,
    column_spec,
    encoded_leaf,
    fit_category_encoding,
    fit_features,
    inner_edges,
    leaf_parts,
    learns_category_encoding,
    list_leaf,
    non_finite_error,
    numeric_leaf,
    with_categorical_leaves,
)
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.errors import NotSupportedError

# a timestamp's parts (features._TIMESTAMP_PARTS) in SQL: pyarrow's day_of_week counts from Monday = 0
_SQL_TIMESTAMP_PARTS = {
    "dom": "dayofmonth({})",
    "dow": "isodow({}) - 1",
    "moy": "month({})",
    "hod": "hour({})",
    "moh": "minute({})",
    "woy": "weekofyear({})",
    "year": "year({})",
}


class _Fallback(Exception):
    """A leaf SQL cannot fit as pyarrow does: its column is read and fitted by fit_features."""


def fit_features_sql(cur, relation_sql: str, columns: list[str], buckets: int = HISTOGRAM_BUCKETS) -> list[dict]:
    """fit_features's specs of `columns` of the rows of `relation_sql`, from DuckDB aggregates (see the module
    docstring); the first failing column, in order, is the error raised."""
    if not columns:
        return []
    relation = f"({relation_sql})"
    selected = ", ".join(map(quote_identifier, columns))
    schema = cur.sql(f"SELECT {selected} FROM {relation} LIMIT 0").to_arrow_table().schema
    base = _Rows(relation)
    plans = [_plan(base, name, schema.field(i).type) for i, name in enumerate(columns)]
    for rows in [base, *(rows for plan in plans if isinstance(plan, list) for rows in plan[1:])]:
        rows.run(cur, buckets)
    specs = []
    for name, plan, dtype in zip(columns, plans, schema.types):
        if isinstance(plan, Exception):
            raise plan
        if plan is None:
            table = cur.sql(f"SELECT {quote_identifier(name)} FROM {relation}").to_arrow_table()
            specs.append(fit_features(table, [name], buckets)[0])
        else:
            specs.append(column_spec(name, dtype, _replay(plan[0])))
    return specs


def _replay(builders: list[Callable[[], dict]]):
    """column_spec's fit_leaf building each leaf in the order the plan asked for them."""
    leaves = iter(builders)
    return lambda *_: next(leaves)()


def _plan(base: _Rows, name: str, dtype: pa.DataType):
    """([leaf builders, in column_spec's order], *element rows) of a column; None to fall back, or the error."""
    column = quote_identifier(name)
    builders, element_rows = [], []

    def request(leaf: str, kind: str, part) -> dict:
        sql, leaf_type = _part(column, dtype, part)
        builders.append(_request(base, element_rows, leaf, kind, sql, leaf_type))
        return {}

    try:
        column_spec(name, dtype, request)
    except NotSupportedError as exc:
        return exc
    except _Fallback:
        return None
    return [builders, *element_rows]


def _part(column: str, dtype: pa.DataType, part) -> tuple[str, pa.DataType]:
    """(SQL, Arrow type) of a column's leaf `part` (see features.column_spec)."""
    if part is None:
        return column, dtype
    if isinstance(part, int):
        return f"struct_extract({column}, {literal(dtype[part].name)})", dtype[part].type
    if dtype.unit == "ns":
        raise _Fallback
    if part == "epoch":  # Unix seconds, truncated toward zero as pyarrow's integer division
        return f"epoch_us({column}) // 1000000", pa.int64()
    utc = f"make_timestamp(epoch_us({column}))" if dtype.tz is not None else column
    return _SQL_TIMESTAMP_PARTS[part].format(utc), pa.int64()


def _request(base: _Rows, element_rows: list, name: str, kind: str, sql: str, dtype) -> Callable[[], dict]:
    """Ask `base` (or a new group of list elements) for a leaf's aggregates; return what builds the leaf."""
    if kind == "numeric":
        _number_type(dtype)
        number = base.number(f"CAST({sql} AS DOUBLE)", full=True)
        return lambda: _numeric_leaf(name, number)
    if kind == "categorical":
        text = base.text(_text(sql, dtype))
        return lambda: _categorical_leaf(name, kind, text)
    elements = _Rows(f"(SELECT unnest({sql}) AS e FROM {base.sql})")
    element_rows.append(elements)
    if kind == "multi_hot":
        text = elements.text(_text("e", dtype.value_type))
        return lambda: _categorical_leaf(name, kind, text)
    lists = base.extra(f"len({sql})", "count")  # those not NULL
    if kind == "vector":
        _number_type(dtype.value_type)
        longest, value = base.extra(f"len({sql})", "max"), "e"

        def widest():
            return None if longest() is None else longest() - 1
    else:
        item = dtype.value_type
        if not pa.types.is_integer(item.field("index").type):
            raise _Fallback
        _number_type(item.field("value").type)
        widest, value = elements.extra("struct_extract(e, 'index')", "max"), "struct_extract(e, 'value')"
    number = elements.number(f"CAST({value} AS DOUBLE)", full=False)
    return lambda: _list_leaf(name, kind, base.rows - lists(), widest(), number)


def _number_type(dtype: pa.DataType) -> None:
    """_Fallback unless DuckDB's DOUBLE of a `dtype` value is pyarrow's (pyarrow's of a DECIMAL with a scale
    is not always the nearest double, DuckDB's is)."""
    exact = pa.types.is_integer(dtype) or pa.types.is_floating(dtype)
    if not (exact or (pa.types.is_decimal(dtype) and dtype.scale == 0)):
        raise _Fallback


def _text(sql: str, dtype: pa.DataType) -> str:
    """SQL of the text pyarrow casts a value of type `dtype` to (features._as_strings)."""
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_date32(dtype):  # YYYY-MM-DD, the year astronomical: DuckDB writes a BC year its own way
        return (
            f"CASE WHEN year({sql}) > 0 THEN CAST({sql} AS VARCHAR) ELSE printf('%s%04d-%02d-%02d', "
            f"CASE WHEN year({sql}) < 0 THEN '-' ELSE '' END, abs(year({sql})), month({sql}), day({sql})) END"
        )
    if pa.types.is_boolean(dtype) or pa.types.is_integer(dtype) or _is_text(dtype):
        return f"CAST({sql} AS VARCHAR)"
    raise _Fallback


def _is_text(dtype: pa.DataType) -> bool:
    return pa.types.is_string(dtype) or pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype)


def _double(value: float) -> str:
    """A float64 as an exact DuckDB DOUBLE (a literal like 0.30000000000000004 would be a DECIMAL)."""
    return f"CAST('{float(value)!r}' AS DOUBLE)"


@dataclass
class _Number:
    """A number's aggregates: `full` with the mean, squares and median of a numeric leaf, else a list's
    values (range and buckets)."""

    sql: str
    full: bool
    stats: dict = field(default_factory=dict)


@dataclass
class _Text:
    """A category's counts: each of the MAX_CATEGORIES most frequent, how many distinct, NULL, not NULL; with
    a target, its sums (of each, then of NULL)."""

    sql: str
    top: dict = field(default_factory=dict)
    distinct: int = 0
    nulls: int = 0
    total: int = 0
    sums: dict = field(default_factory=dict)


@dataclass
class _Rows:
    """Rows aggregated together (a relation's, a list column's elements) and what is asked of them."""

    sql: str
    numbers: list[_Number] = field(default_factory=list)
    texts: list[_Text] = field(default_factory=list)
    extras: list[tuple[str, str]] = field(default_factory=list)  # (SQL, aggregate function) of other values
    extra_values: list = field(default_factory=list)
    rows: int = 0
    target: str | None = None  # a number summed per category (TARGET_ENCODING's label)
    prior: float = 0.0  # the target's mean

    def number(self, sql: str, full: bool) -> _Number:
        self.numbers.append(_Number(sql, full))
        return self.numbers[-1]

    def text(self, sql: str) -> _Text:
        self.texts.append(_Text(sql))
        return self.texts[-1]

    def extra(self, sql: str, aggregate: str) -> Callable[[], object]:
        self.extras.append((sql, aggregate))
        index = len(self.extras) - 1
        return lambda: self.extra_values[index]

    def _projected(self, columns: dict[str, list[str]]) -> str:
        """The rows as the values asked of them, each list of SQL named <key><position>."""
        named = [f"{sql} AS {key}{i}" for key, exprs in columns.items() for i, sql in enumerate(exprs)]
        return f"(SELECT {', '.join(named) or 'NULL'} FROM {self.sql})"

    def run(self, cur, buckets: int) -> None:
        """Run the queries (see the module docstring) and keep their results."""
        self._first_pass(cur, buckets)
        self._second_pass(cur, buckets)
        if self.texts:
            self._count_categories(cur)

    def _first_pass(self, cur, buckets: int) -> None:
        aggregates = ["count(*)", *(f"{aggregate}(x{i})" for i, (_, aggregate) in enumerate(self.extras))]
        for i, number in enumerate(self.numbers):
            aggregates += [f"count(n{i})", f"count_if(NOT isfinite(n{i}))", f"min(n{i})", f"max(n{i})"]
            aggregates += [f"fsum(n{i})", f"quantile_disc(n{i}, 0.5)"] if number.full else []
        source = self._projected({"n": [number.sql for number in self.numbers], "x": [sql for sql, _ in self.extras]})
        row = iter(cur.sql(f"SELECT {', '.join(aggregates)} FROM {source}").fetchall()[0])
        self.rows = next(row)
        self.extra_values = [next(row) for _ in self.extras]
        for number in self.numbers:
            keys = ["present", "bad", "low", "high", *(["sum", "lower"] if number.full else [])]
            number.stats = {"rows": self.rows, **{key: next(row) for key in keys}, "histogram": [0] * buckets}

    def _second_pass(self, cur, buckets: int) -> None:
        aggregates, readers = [], []
        for i, number in enumerate(self.numbers):
            stats = number.stats
            if stats["bad"] or not stats["present"]:
                continue
            if number.full and not math.isfinite(stats["high"] - stats["low"]):  # deviations beyond 9e307
                stats["squares"] = math.inf  # overflow when squared: numeric_leaf's error
                continue
            # how many are at or above each inner edge: a bucket holds those of its edge but not of the next
            edges = inner_edges(stats["low"], stats["high"], buckets)
            aggregates += [f"count_if(n{i} >= {_double(edge)})" for edge in edges]
            readers += [(stats, "at_least")] * len(edges)
            stats["at_least"] = []
            if number.full and stats["low"] < stats["high"]:
                deviation = f"(n{i} - {_double(stats['sum'] / stats['present'])})"
                aggregates.append(f"fsum({deviation} * {deviation})")
                readers.append((stats, "squares"))
            if number.full and stats["present"] % 2 == 0:  # numpy's median: the mean of the middle two
                lower = _double(stats["lower"])
                aggregates += [f"count_if(n{i} <= {lower})", f"min(CASE WHEN n{i} > {lower} THEN n{i} END)"]
                readers += [(stats, "at_most_lower"), (stats, "above_lower")]
        if aggregates:
            source = self._projected({"n": [number.sql for number in self.numbers]})
            row = cur.sql(f"SELECT {', '.join(aggregates)} FROM {source}").fetchall()[0]
            for (stats, key), value in zip(readers, row):
                if key == "at_least":
                    stats[key].append(value)
                else:
                    stats[key] = value
        for number in self.numbers:
            if "at_least" in number.stats:
                at_least = [number.stats["present"], *number.stats.pop("at_least"), 0]
                number.stats["histogram"] = [a - b for a, b in zip(at_least, at_least[1:])]

    def _count_categories(self, cur) -> None:
        """Each categorical leaf's groups (with a target: its sums, and over all the rows its mean)."""
        which = " ".join(f"WHEN grouping(s{i}) = 0 THEN {i}" for i in range(len(self.texts)))
        value = " ".join(f"WHEN grouping(s{i}) = 0 THEN s{i}" for i in range(len(self.texts)))
        sets = ", ".join([*(f"(s{i})" for i in range(len(self.texts))), *(["()"] if self.target else [])])
        source = self._projected({"s": [text.sql for text in self.texts], "t": [self.target] if self.target else []})
        groups = (
            f"SELECT CASE {which} END AS leaf, CASE {value} END AS value, count(*) AS n, "
            f"{'fsum(t0)' if self.target else 'NULL'} AS target FROM {source} GROUP BY GROUPING SETS ({sets})"
        )
        rows = cur.sql(
            f"SELECT leaf, value, n, target, count(*) OVER w, sum(n) OVER w FROM ({groups}) "
            "WINDOW w AS (PARTITION BY leaf, value IS NULL) QUALIFY value IS NULL OR row_number() OVER "
            f"(PARTITION BY leaf, value IS NULL ORDER BY n DESC, value) <= {MAX_CATEGORIES}"
        ).fetchall()
        for leaf, value, n, target, distinct, total in rows:
            if leaf is None:  # the grand total
                self.prior = target / n if n else 0.0  # fsum of no row is NULL
                continue
            text = self.texts[leaf]
            text.sums[value] = target
            if value is None:
                text.nulls = n
            else:
                text.top[value], text.distinct, text.total = n, distinct, int(total)


def _numeric_leaf(name: str, number: _Number) -> dict:
    """A numeric leaf (features._numeric_statistics) from its aggregates."""
    stats = _checked(name, number)
    present, low, high = stats["present"], stats["low"], stats["high"]
    if not present:
        return {**numeric_leaf(name, stats["rows"], 0, 0.0, 0.0), "distribution": _distribution(stats)}
    mean = low if low == high else stats["sum"] / present
    median = stats["lower"]
    if present % 2 == 0:
        upper = median if stats["at_most_lower"] > present // 2 else stats["above_lower"]
        median = (median + upper) / 2
    leaf = numeric_leaf(name, stats["rows"], present, mean, stats.get("squares", 0.0), (low, high, median))
    return {**leaf, "distribution": _distribution(stats)}


def _list_leaf(name: str, kind: str, null_count: int, widest, number: _Number) -> dict:
    """A sparse or dense vector leaf (features._leaf_statistics) from its aggregates."""
    stats = _checked(name, number)
    span = (stats["low"], stats["high"]) if stats["present"] else None
    return {**list_leaf(name, kind, widest, null_count, span), "distribution": _distribution(stats)}


def _checked(name: str, number: _Number) -> dict:
    """A number's aggregates with its rows' count; NaN or inf among them is features.numeric_values's error."""
    if number.stats["bad"]:
        raise non_finite_error(name, number.stats["bad"])
    return number.stats


def _distribution(stats: dict) -> list[int]:
    """A number's training distribution (features.distribution): NULL, below min, the buckets, above max."""
    return [stats["rows"] - stats["present"], 0, *stats["histogram"], 0]


def _categorical_leaf(name: str, kind: str, text: _Text) -> dict:
    """A category or multi_hot leaf (features._leaf_statistics) with its distribution: NULL, outside the
    vocabulary, each category."""
    leaf = categorical_leaf(name, kind, list(text.top), text.distinct, text.nulls)
    inside = [text.top[value] for value in leaf["vocabulary"]]
    return {**leaf, "distribution": [text.nulls, text.total - sum(inside), *inside]}


def fit_category_encoding_sql(
    cur, relation_sql: str, specs: list[dict], method: str, target_sql: str, n_classes: int
) -> list[dict]:
    """fit_category_encoding's `specs` for the rows of `relation_sql` they were fitted on (by fit_features_sql),
    `target_sql` the SQL of the number TARGET_ENCODING averages: the label of a regression; 1 for a binary
    classifier's positive class (its second), else 0. DUMMY_ENCODING reads the counts of the specs' own
    distributions; TARGET_ENCODING's sums come from one query over every categorical leaf (a column that
    fit_features_sql reads as pyarrow does, read again with the target). Its means agree with numpy's to
    the last bits of the sums (another order)."""
    if not learns_category_encoding(method, n_classes):
        return specs
    if method == "DUMMY_ENCODING":
        return [with_categorical_leaves(spec, _dummy_leaf) for spec in specs]
    relation = f"({relation_sql})"
    selected = ", ".join(quote_identifier(spec["name"]) for spec in specs)
    schema = cur.sql(f"SELECT {selected} FROM {relation} LIMIT 0").to_arrow_table().schema
    rows = _Rows(relation, target=f"CAST({target_sql} AS DOUBLE)")
    texts = [_leaf_texts(rows, spec, dtype) for spec, dtype in zip(specs, schema.types)]
    rows._count_categories(cur)
    fitted = []
    for spec, leaf_texts in zip(specs, texts):
        if leaf_texts is None:
            column = quote_identifier(spec["name"])
            table = cur.sql(f"SELECT {column}, {rows.target} FROM {relation}").to_arrow_table()
            y = table.column(1).to_numpy()
            fitted.append(fit_category_encoding([spec], method, table.select([0]), y, n_classes)[0])
            continue
        fitted.append(with_categorical_leaves(spec, _target_leaves(leaf_texts, rows.prior)))
    return fitted


def _dummy_leaf(leaf: dict, _part) -> dict:
    """DUMMY_ENCODING's leaf from the counts of its distribution (NULL, outside the vocabulary, each category)."""
    counts = np.array([*leaf["distribution"][2:], leaf["distribution"][0]])
    return encoded_leaf(leaf, "DUMMY_ENCODING", counts, None, 0.0)


def _leaf_texts(rows: _Rows, spec: dict, dtype: pa.DataType) -> list[_Text] | None:
    """What `rows` are asked of each categorical leaf of a spec, in order; None when pyarrow must read it."""
    column = quote_identifier(spec["name"])
    try:
        parts = [part for leaf, part in leaf_parts(spec) if leaf["kind"] == "categorical"]
        return [rows.text(_text(*_part(column, dtype, part))) for part in parts]
    except _Fallback:
        return None


def _target_leaves(texts: list[_Text], prior: float):
    """with_categorical_leaves's encode: TARGET_ENCODING's leaves from `texts`, in order."""
    taken = iter(texts)
    return lambda leaf, _part: _target_leaf(leaf, next(taken), prior)


def _target_leaf(leaf: dict, text: _Text, prior: float) -> dict:
    """TARGET_ENCODING's leaf from its categories' counts and target sums (each category's, then NULL's)."""
    vocabulary = leaf["vocabulary"]
    counts = np.array([*(text.top.get(value, 0) for value in vocabulary), text.nulls])
    sums = np.array([*(text.sums.get(value, 0.0) for value in vocabulary), text.sums.get(None, 0.0)], dtype=float)
    return encoded_leaf(leaf, "TARGET_ENCODING", counts, sums, prior)
