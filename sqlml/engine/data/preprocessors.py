"""The BigQuery ML preprocessing functions as SQL: one table from name to preprocessor, for TRANSFORM and any query.

An analytic preprocessor (called with OVER ()) needs statistics of its data expression, written once as SQL
aggregates: in TRANSFORM, `fit` computes them on the training rows and `apply` writes the expression with their
values as literals; in a query (engine/data/inline_calls.py), `window` makes them window aggregates over the query's
rows and `apply` writes the same formula around them. A scalar one only has `apply`. Quantiles are exact data values
(DuckDB's quantile_disc, the inverted CDF), as BigQuery's documented examples show. Departure from BigQuery ML:
ML.HASH_BUCKETIZE hashes with FARM_FINGERPRINT, as BigQuery ML does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.errors import DataError, ProgrammingError

Query = Any  # transform.TrainingRows: query(aggregate) -> its value on the training rows; query.fields(expr)


class Sql(str):
    """SQL text standing for a statistic computed in a query, where TRANSFORM holds its value."""


def _sql(value) -> str:
    """A statistic as SQL: its text (Sql), or its value as a literal (a list as a list literal)."""
    if isinstance(value, Sql):
        return f"({value})"
    if isinstance(value, list):
        return f"[{', '.join(_sql(v) for v in value)}]" if value else "CAST([] AS VARCHAR[])"
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return _number(value)
    return literal(value)


def _number(value: float) -> str:
    return f"({float(value)!r})"


def _double(x: str) -> str:
    return f"CAST({x} AS DOUBLE)"


def _or(statistic: str, fallback: float) -> str:
    """`statistic`, or `fallback` where it is zero or NULL (a constant or empty column: no scaling)."""
    return f"coalesce(nullif({statistic}, 0), {fallback!r})"


# Statistics are SQL over the rows, OVER following each aggregate: TRANSFORM computes them once on the training rows
# (no OVER) and keeps their values; a query computes them over its rows (Preprocessor.in_query).
OVER = "{over}"


def _scalar(query: Query, x: str) -> None:
    if query.type(x).id in ("list", "struct", "map", "array"):
        raise ProgrammingError(f"ML.IMPUTER imputes a number or a category, not {x} of type {query.type(x)}")


def _list(query: Query, x: str) -> None:
    """Refuse an argument that is not a list (a tokenized document, e.g. string_split(text, ' '))."""
    if query.type(x).id != "list":
        raise ProgrammingError(
            f"expected an ARRAY (a tokenized document, e.g. string_split(text, ' ')), got {x} of type {query.type(x)}"
        )


def _ranked(histogram: str, frequency_threshold: int) -> str:
    """The categories of a histogram seen at least frequency_threshold times, most frequent first (ties: the
    smaller value first), as {n: -count, k: category}."""
    return (
        f"list_sort([{{'n': -CAST(__c.value AS BIGINT), 'k': __c.key}} FOR __c IN map_entries({histogram}) "
        f"IF __c.value >= {frequency_threshold}])"
    )


def _vocabulary(histogram: str, top_k: int, frequency_threshold: int) -> str:
    """The top_k most frequent categories, sorted."""
    return f"list_sort([__e.k FOR __e IN {_ranked(histogram, frequency_threshold)}[1:{top_k}]])"


def _categories(x: str) -> str:
    """How many rows hold each category of `x` (as text)."""
    return f"histogram(CAST({x} AS VARCHAR)){{over}}"


def _documents(x: str) -> str:
    """Each document's distinct tokens (`x` a list per row)."""
    return f"list(list_distinct(CAST({x} AS VARCHAR[]))){{over}}"


def _document_frequency(x: str) -> str:
    """How many documents (rows) hold each token of the lists `x`."""
    return f"list_aggregate(flatten({_documents(x)}), 'histogram')"


def _buckets(x: str, points: list, output_format: str = "bucket_names") -> str:
    """The bucket of `x` among the split `points` (bucket n: n - 1 points <= x), as output_format says:
    'bin_<n>', '[low, high)' or {"start": "low", "end": "high"}; NULL stays NULL."""
    above = " + ".join(f"CAST({_double(x)} >= {_sql(p)} AS INTEGER)" for p in points) or "0"
    if output_format == "bucket_names":
        return f"CASE WHEN {x} IS NULL THEN NULL ELSE 'bin_' || CAST(1 + {above} AS VARCHAR) END"
    texts = [f"CAST({_sql(p)} AS VARCHAR)" for p in points]
    ranges = zip(["'-inf'", *texts], [*texts, "'+inf'"])
    if output_format == "bucket_ranges":
        labels = [f"'(-inf, ' || {texts[0]} || ')'" if texts else "'(-inf, +inf)'"]
        labels += [f"'[' || {low} || ', ' || {high} || ')'" for low, high in list(ranges)[1:]]
    else:
        labels = [
            '\'{"start": "\' || '
            + low.replace("'-inf'", "'-Infinity'")
            + ' || \'", "end": "\' || '
            + high.replace("'+inf'", "'Infinity'")
            + " || '\"}'"
            for low, high in ranges
        ]
    cases = " ".join(f"WHEN {n} THEN {label}" for n, label in enumerate(labels, 1))
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE CASE 1 + {above} {cases} END END"


def _items(points, count: int) -> list:
    """A list statistic as `count` items: its values, or its SQL's elements."""
    return [Sql(f"({points})[{i}]") for i in range(1, count + 1)] if isinstance(points, Sql) else points or []


def _imputer(x: str, strategy: str) -> dict:
    if strategy == "most_frequent":  # ties: the smaller value, as scikit-learn's SimpleImputer
        ranked = f"list_sort([{{'n': -CAST(__c.value AS BIGINT), 'v': __c.key}} FOR __c IN map_entries(histogram({x}){{over}})])"
        return {"value": f"{ranked}[1].v"}
    aggregate = "avg" if strategy == "mean" else "median"
    return {"value": f"{aggregate}({_double(x)}){{over}}"}


def _impute(x: str, args: list, stats: dict) -> str:
    value = stats["value"]
    return x if value is None else f"coalesce({x}, {_sql(value)})"


def _robust(x: str, quantile_range: list, with_median: bool, with_quantile_range: bool) -> dict:
    def quantile(q: float) -> str:
        return f"quantile_disc({_double(x)}, {q!r}){{over}}"

    low, high = quantile_range
    return {
        "median": f"coalesce({quantile(0.5)}, 0.0)" if with_median else "CAST(0 AS DOUBLE)",
        "range": _or(f"{quantile(high / 100)} - {quantile(low / 100)}", 1.0)
        if with_quantile_range
        else "CAST(1 AS DOUBLE)",
    }


def _label_encode(x: str, args: list, stats: dict) -> str:
    vocabulary = stats["vocabulary"]
    if not vocabulary:
        return "CAST(0 AS BIGINT)"
    return f"CAST(coalesce(list_position({_sql(vocabulary)}, CAST({x} AS VARCHAR)), 0) AS BIGINT)"


def _token_indices(x: str, vocabulary) -> str:
    """The list of each element's 1-based vocabulary position (0: not in it)."""
    return f"[coalesce(list_position({_sql(vocabulary or [])}, CAST(__e AS VARCHAR)), 0) FOR __e IN {x}]"


def _first_each(values: str) -> str:
    """The distinct elements of a list in the order they first appear (BigQuery ML's MULTI_HOT_ENCODER order)."""
    return f"list_filter({values}, lambda __v, __k: list_position({values}, __v) = __k)"


def _per_index(x: str, stats: dict, value: str) -> str:
    """LIST<STRUCT(index, value)> with one entry per distinct index of `x`'s elements; `value` may use
    {count}, the index's occurrences in the row."""
    indices = _token_indices(x, stats["vocabulary"])
    count = f"len(list_filter({indices}, lambda __j: __j = __i))"
    return f"[struct_pack(index := __i, value := {value.replace('{count}', count)}) FOR __i IN list_sort(list_distinct({indices}))]"


def _one_hot(x: str, drop: str, top_k: int, frequency_threshold: int) -> dict:
    """The vocabulary; with drop = 'most_frequent' (dummy encoding) also its most frequent category, which keeps its
    index with the value 0."""
    vocabulary = {"vocabulary": _vocabulary(_categories(x), top_k, frequency_threshold)}
    if drop == "most_frequent":
        return {**vocabulary, "dropped": f"{_ranked(_categories(x), frequency_threshold)}[1].k"}
    return vocabulary


def _one_hot_encode(x: str, args: list, stats: dict) -> str:
    value = "CAST(1 AS DOUBLE)"
    if "dropped" in stats:
        value = f"CASE WHEN CAST({x} AS VARCHAR) = {_sql(stats['dropped'])} THEN 0.0 ELSE 1.0 END"
    return f"[struct_pack(index := {_label_encode(x, args, stats)}, value := {value})]"


def _tf_idf(x: str, top_k: int, frequency_threshold: int) -> dict:
    """The vocabulary (as BAG_OF_WORDS) and each index's inverse document frequency ln(1 + n / (1 + df)) (BigQuery
    ML's), index 0 counting the documents with a token outside the vocabulary. The aggregates are bound once (to
    __b), not recomputed inside the lambdas."""
    df = _document_frequency(x)
    vocabulary = _vocabulary(df, top_k, frequency_threshold)
    bound = f"{{'voc': {vocabulary}, 'df': {df}, 'n': count({x}){OVER}, 'docs': {_documents(x)}}}"
    outside = "len(list_filter(__d, lambda __t: NOT list_contains(__b.voc, __t))) > 0"
    unknown = f"ln(1 + __b.n / (1 + len(list_filter(__b.docs, lambda __d: {outside}))))"
    known = "[ln(1 + __b.n / (1 + __b.df[__v])) FOR __v IN __b.voc]"
    return {
        "vocabulary": vocabulary,
        "idf": f"list_transform([{bound}], lambda __b: list_concat([{unknown}], {known}))[1]",
    }


def _hash_bucket(x: str, args: list, stats: dict) -> str:
    """BigQuery ML's: FARM_FINGERPRINT of `x` as text, read unsigned, modulo hash_bucket_size; with 0 the
    fingerprint itself (signed). (Models trained before this kept DuckDB's hash() in their stored SQL.)"""
    hashed = f"farm_fingerprint(CAST({x} AS VARCHAR))"
    unsigned = f"(CAST({hashed} AS HUGEINT) + {2**64}) % {2**64}"
    return (
        f"CASE WHEN {x} IS NULL THEN NULL ELSE {f'CAST({unsigned} % {args[0]} AS BIGINT)' if args[0] else hashed} END"
    )


def _ngrams(x: str, args: list, stats: dict) -> str:
    """Each run of low..high consecutive tokens joined by the separator, by start position, then length (as BigQuery
    ML's documented example orders them)."""
    (low, high), separator = args
    grams = (
        f"flatten([[array_to_string({x}[__j:__j + __n - 1], {literal(separator)}) FOR __n IN range({low}, {high + 1}) "
        f"IF __j + __n - 1 <= len({x})] FOR __j IN range(1, len({x}) + 1)])"
    )
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE {grams} END"


def norm(x: str, p: float) -> str:
    """The L^p norm of the list `x` (p = 0: its non-zero elements; p = inf: its largest magnitude)."""
    if p == 0:
        return f"CAST(len(list_filter({x}, lambda __v: __v != 0)) AS DOUBLE)"
    if math.isinf(p):
        return f"CAST(list_max([abs(CAST(__v AS DOUBLE)) FOR __v IN {x}]) AS DOUBLE)"
    return f"pow(list_sum([pow(abs(CAST(__v AS DOUBLE)), {_number(p)}) FOR __v IN {x}]), 1 / {_number(p)})"


def _normalize(x: str, args: list, stats: dict) -> str:
    return f"[CAST(__e AS DOUBLE) / coalesce(nullif({norm(x, args[0])}, 0), 1) FOR __e IN {x}]"


def _struct_of(x: str, combinations: list[tuple], cast: str, joiner: str) -> str:
    """A STRUCT with one field per combination of `x`'s fields: their values cast to `cast` and joined
    by `joiner`, named by the field names joined by _."""
    return (
        "struct_pack("
        + ", ".join(
            f"{quote_identifier('_'.join(combo))} := "
            + joiner.join(f"CAST(struct_extract({x}, {literal(f)}) AS {cast})" for f in combo)
            for combo in combinations
        )
        + ")"
    )


def _polynomial(x: str, args: list, stats: dict) -> str:
    """Every product of 1..degree of the struct's fields (with repeats)."""
    return _struct_of(
        x,
        [c for d in range(1, args[0] + 1) for c in itertools.combinations_with_replacement(stats["fields"], d)],
        "DOUBLE",
        " * ",
    )


def _cross(x: str, args: list, stats: dict) -> str:
    """Every combination of 2..degree distinct fields, as text joined by _."""
    return _struct_of(
        x,
        [c for d in range(2, args[0] + 1) for c in itertools.combinations(stats["fields"], d)],
        "VARCHAR",
        " || '_' || ",
    )


def _int_between(low: int, high: int):
    return lambda v: (
        None
        if isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
        else f"an integer in [{low}, {high}]"
    )


def _is_drop(v) -> str | None:
    return None if v in ("none", "most_frequent") else "'none' or 'most_frequent'"


def _is_string(v) -> str | None:
    return None if isinstance(v, str) else "a string"


def _finite(v) -> bool:
    """A number (not a bool) that converts to a finite double."""
    try:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))
    except OverflowError:
        return False


def _is_degree(v) -> str | None:
    try:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (float(v) == 0 or float(v) >= 1)
    except OverflowError:  # an integer beyond any double
        ok = False
    return None if ok else "0, a number >= 1 or CAST('+inf' AS DOUBLE)"


def _is_output_format(v) -> str | None:
    return (
        None
        if v in ("bucket_names", "bucket_ranges", "bucket_ranges_json")
        else ("'bucket_names', 'bucket_ranges' or 'bucket_ranges_json'")
    )


def _is_ngram_range(v) -> str | None:
    if isinstance(v, int) and not isinstance(v, bool):
        v = [v, v]
    ok = isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v) and 1 <= v[0] <= v[1]
    return None if ok else "n >= 1 or [low, high] with 1 <= low <= high"


def _int_at_least(low: int):
    return lambda v: None if isinstance(v, int) and not isinstance(v, bool) and v >= low else f"an integer >= {low}"


def _is_bool(v) -> str | None:
    return None if isinstance(v, bool) else "TRUE or FALSE"


def _is_number_list(v) -> str | None:
    ok = isinstance(v, list) and v and all(_finite(p) for p in v)
    return None if ok else "a non-empty array of finite numbers"


def _is_range(v) -> str | None:
    ok = _is_number_list(v) is None and len(v) == 2 and 0 < v[0] < v[1] < 100
    return None if ok else "[low, high] with 0 < low < high < 100"


def _is_strategy(v) -> str | None:
    return None if v in ("mean", "median", "most_frequent") else "'mean', 'median' or 'most_frequent'"


@dataclass(frozen=True)
class Param:
    """A constant argument after the data expression: its name, default (REQUIRED: none) and check
    (returns what was expected, or None when the value is fine)."""

    name: str
    default: Any
    check: Callable[[Any], str | None]
    coerce: Callable[[Any], Any] = lambda v: v  # noqa: E731 - the checked value as the formula takes it


REQUIRED = object()
_TOP_K = (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0)))


@dataclass(frozen=True)
class Preprocessor:
    """One ML.<NAME> function: its constant arguments, the statistics of its data expression it needs (an analytic
    function, called with OVER (): SQL over the rows, see `_ranked`), and the SQL it becomes given the statistics
    (values in TRANSFORM, window aggregates in a query). `struct`: it reads its STRUCT argument's field names."""

    params: tuple[Param, ...]
    apply: Callable[[str, list, dict], str]  # (data expression SQL, arguments, statistics) -> SQL
    statistics: Callable[..., dict[str, str]] | None = None  # (data expression SQL, *arguments) -> SQL per name
    struct: bool = False
    accepts: Callable[[Query, str], None] | None = None  # TRANSFORM: refuse a data expression of the wrong type

    @property
    def analytic(self) -> bool:
        return self.statistics is not None

    def fit(self, query: Query, x: str, args: list) -> dict:
        """The statistics' values on the training rows (TRANSFORM)."""
        if self.struct:
            return {"fields": query.fields(x)}
        if self.accepts:
            self.accepts(query, x)
        return {name: query(sql.replace(OVER, "")) for name, sql in (self.statistics or _none)(x, *args).items()}

    def in_query(self, x: str, args: list, rows: str | None) -> str:
        """The SQL of a call in a query, its statistics over the query's rows: computed once by a subquery on
        `rows` (the query's FROM ... WHERE ...) bound to __s, else as window aggregates (computed for each row:
        fine for scalars, slow for the vocabularies of many rows)."""
        statistics = (self.statistics or _none)(x, *args)
        if rows is None or not statistics:
            return self.apply(x, args, {name: Sql(sql.replace(OVER, " OVER ()")) for name, sql in statistics.items()})
        packed = ", ".join(f"{literal(name)}: {sql.replace(OVER, '')}" for name, sql in statistics.items())
        formula = self.apply(x, args, {name: Sql(f"__s.{name}") for name in statistics})
        return f"list_transform([(SELECT {{{packed}}} {rows})], lambda __s: {formula})[1]"


def _none(x: str, *args) -> dict:
    return {}


def _scaled(offset: str, divisor: str) -> Callable[[str, list, dict], str]:
    return lambda x, a, s: f"({_double(x)} - {_sql(s[offset]) if offset else '0'}) / {_sql(s[divisor])}"


def _with_fields(apply: Callable[[str, list, dict], str], degree: Param) -> Preprocessor:
    return Preprocessor((degree,), apply, struct=True)


PREPROCESSORS: dict[str, Preprocessor] = {
    "IMPUTER": Preprocessor((Param("strategy", REQUIRED, _is_strategy),), _impute, _imputer, accepts=_scalar),
    "STANDARD_SCALER": Preprocessor(
        (),
        _scaled("mean", "std"),
        lambda x: {
            "mean": f"coalesce(avg({_double(x)}){{over}}, 0.0)",
            "std": _or(f"stddev_samp({_double(x)}){{over}}", 1.0),
        },
    ),
    "MIN_MAX_SCALER": Preprocessor(
        (),
        lambda x, a, s: (
            f"CASE WHEN {x} IS NULL THEN NULL ELSE least(greatest({_scaled('min', 'range')(x, a, s)}, 0.0), 1.0) END"
        ),
        lambda x: {
            "min": f"coalesce(min({_double(x)}){{over}}, 0.0)",
            "range": _or(f"max({_double(x)}){{over}} - min({_double(x)}){{over}}", 1.0),
        },
    ),
    "MAX_ABS_SCALER": Preprocessor(
        (), _scaled("", "max_abs"), lambda x: {"max_abs": _or(f"max(abs({_double(x)})){{over}}", 1.0)}
    ),
    "ROBUST_SCALER": Preprocessor(
        (
            Param("quantile_range", [25, 75], _is_range),
            Param("with_median", True, _is_bool),
            Param("with_quantile_range", True, _is_bool),
        ),
        _scaled("median", "range"),
        _robust,
    ),
    "BUCKETIZE": Preprocessor(
        (
            Param("split_points", REQUIRED, _is_number_list),
            Param("exclude_boundaries", False, _is_bool),
            Param("output_format", "bucket_names", _is_output_format),
        ),
        lambda x, a, s: _buckets(x, sorted(a[0])[1:-1] if a[1] else sorted(a[0]), a[2]),
    ),
    "QUANTILE_BUCKETIZE": Preprocessor(
        (Param("num_buckets", REQUIRED, _int_at_least(2)), Param("output_format", "bucket_names", _is_output_format)),
        lambda x, a, s: _buckets(x, _items(s["split_points"], a[0] - 1), a[1]),
        lambda x, n, output_format: {
            "split_points": f"quantile_disc({_double(x)}, {[i / n for i in range(1, n)]}){{over}}"
        },
    ),
    "LABEL_ENCODER": Preprocessor(
        _TOP_K, _label_encode, lambda x, top_k, threshold: {"vocabulary": _vocabulary(_categories(x), top_k, threshold)}
    ),
    "HASH_BUCKETIZE": Preprocessor((Param("hash_bucket_size", REQUIRED, _int_at_least(0)),), _hash_bucket),
    "ONE_HOT_ENCODER": Preprocessor(
        (Param("drop", "none", _is_drop), *_TOP_K),
        _one_hot_encode,
        _one_hot,
    ),
    "MULTI_HOT_ENCODER": Preprocessor(
        _TOP_K,
        lambda x, a, s: (
            f"[struct_pack(index := __i, value := CAST(1 AS DOUBLE)) FOR __i IN {_first_each(_token_indices(x, s['vocabulary']))}]"
        ),
        lambda x, top_k, threshold: {"vocabulary": _vocabulary(_document_frequency(x), top_k, threshold)},
        accepts=_list,
    ),
    "BAG_OF_WORDS": Preprocessor(
        _TOP_K,
        lambda x, a, s: _per_index(x, s, "CAST({count} AS DOUBLE)"),
        lambda x, top_k, threshold: {"vocabulary": _vocabulary(_document_frequency(x), top_k, threshold)},
        accepts=_list,
    ),
    "TF_IDF": Preprocessor(
        _TOP_K,
        lambda x, a, s: _per_index(x, s, f"{{count}} / len({x}) * {_sql(s['idf'])}[__i + 1]"),
        _tf_idf,
        accepts=_list,
    ),
    "NGRAMS": Preprocessor(
        (
            Param("range", REQUIRED, _is_ngram_range, lambda v: [v, v] if isinstance(v, int) else v),
            Param("separator", " ", _is_string),
        ),
        _ngrams,
    ),
    "NORMALIZER": Preprocessor((Param("p", 2, _is_degree),), _normalize),
    "POLYNOMIAL_EXPAND": _with_fields(_polynomial, Param("degree", 2, _int_between(1, 4))),
    "FEATURE_CROSS": _with_fields(_cross, Param("degree", 2, _int_between(2, 4))),
}


def preprocessor(name: str) -> Preprocessor:
    """The preprocessor ML.<name>; a clear error for the ones sqlml lacks."""
    supported = ", ".join(f"ML.{n}" for n in PREPROCESSORS)
    if name not in PREPROCESSORS:
        raise ProgrammingError(f"unknown preprocessing function ML.{name} in TRANSFORM; supported: {supported}")
    return PREPROCESSORS[name]


def arguments(name: str, given: list) -> list:
    """The constant arguments of ML.<name>, defaults filled in and each checked."""
    params = preprocessor(name).params
    if len(given) > len(params):
        raise ProgrammingError(f"ML.{name} takes at most {len(params) + 1} arguments, got {len(given) + 1}")
    values = given + [p.default for p in params[len(given) :]]
    for param, value in zip(params, values):
        if value is REQUIRED:
            raise ProgrammingError(f"ML.{name} needs its {param.name} argument")
        expected = param.check(value)
        if expected:
            raise ProgrammingError(f"ML.{name} {param.name} must be {expected}, got {value!r}")
    return [param.coerce(value) for param, value in zip(params, values)]


def check_statistics(name: str, stats: dict) -> dict:
    """A statistic that is NaN or infinite would poison every prediction: refuse it."""
    for key, value in stats.items():
        for number in value if isinstance(value, list) else [value]:
            if isinstance(number, float) and not math.isfinite(number):
                raise DataError(
                    f"ML.{name}: its {key} on the training rows is {number}; filter NaN/inf values "
                    "out of its argument first"
                )
    return stats
