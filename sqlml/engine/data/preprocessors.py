"""The BigQuery ML preprocessing functions of TRANSFORM, as SQL: one table from name to preprocessor.

An analytic preprocessor (called with OVER()) learns statistics from the training rows (`fit` runs
aggregate queries) and `apply` writes the expression with those statistics as literals; a scalar one only
has `apply`. Every output is a plain DuckDB expression, so DuckDB computes it for any input.
Departures from BigQuery ML, which computes approximate quantiles: quantiles here are exact and
interpolated (DuckDB's quantile_cont, numpy's default, scikit-learn's RobustScaler and quantile binning);
ML.HASH_BUCKETIZE hashes with DuckDB's hash(), not FARM_FINGERPRINT.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.errors import DataError, ProgrammingError

Query = Any  # transform.TrainingRows: query(aggregate) -> its value on the training rows; query.fields(expr)


def _number(value: float) -> str:
    return f"({float(value)!r})"


def _double(x: str) -> str:
    return f"CAST({x} AS DOUBLE)"


def _scale(value, fallback: float = 1.0) -> float:
    """A divisor: a zero or NULL statistic (a constant or empty column) divides by `fallback`."""
    return float(value) if value else fallback


def _vocabulary(query: Query, x: str, top_k: int, frequency_threshold: int) -> list[str]:
    """The categories of `x` on the training rows, kept as _frequent keeps them."""
    return _frequent(query(f"histogram(CAST({x} AS VARCHAR))") or {}, top_k, frequency_threshold)


def _buckets(x: str, split_points: list[float]) -> str:
    """'bin_<n>': n is 1 plus the number of split points <= x; NULL stays NULL."""
    above = " + ".join(f"CAST({_double(x)} >= {_number(p)} AS INTEGER)" for p in split_points) or "0"
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE 'bin_' || CAST(1 + {above} AS VARCHAR) END"


def _imputer(query: Query, x: str, strategy: str) -> dict:
    if query.type(x).id in ("list", "struct", "map", "array"):
        raise ProgrammingError(f"ML.IMPUTER imputes a number or a category, not {x} of type {query.type(x)}")
    if strategy == "most_frequent":  # ties: the smaller value, as scikit-learn's SimpleImputer
        counts = query(f"histogram({x})") or {}
        return {"value": min(counts, key=lambda v: (-counts[v], v)) if counts else None}
    return {"value": query(f"avg({_double(x)})" if strategy == "mean" else f"quantile_cont({_double(x)}, 0.5)")}


def _impute(x: str, args: list, stats: dict) -> str:
    value = stats["value"]
    return x if value is None else f"coalesce({x}, {literal(value)})"


def _robust_fit(query: Query, x: str, quantile_range: list, with_median: bool, with_quantile_range: bool) -> dict:
    low, high = quantile_range
    q = query(f"quantile_cont({_double(x)}, [0.5, {low / 100!r}, {high / 100!r}])") or [None] * 3
    return {
        "median": q[0] if with_median else 0.0,
        "range": _scale(q[2] - q[1]) if with_quantile_range and q[0] is not None else 1.0,
    }


def _label_encode(x: str, args: list, stats: dict) -> str:
    vocabulary = stats["vocabulary"]
    if not vocabulary:
        return "CAST(0 AS BIGINT)"
    values = ", ".join(literal(v) for v in vocabulary)
    return f"CAST(coalesce(list_position([{values}], CAST({x} AS VARCHAR)), 0) AS BIGINT)"


def _frequent(counts: dict, top_k: int, frequency_threshold: int) -> list[str]:
    """Categories seen at least frequency_threshold times, the top_k most frequent (ties: the smaller
    value first), sorted."""
    kept = sorted((v for v, n in counts.items() if n >= frequency_threshold), key=lambda v: (-counts[v], v))
    return sorted(kept[:top_k])


def _documents(query: Query, x: str) -> None:
    """Refuse an argument that is not a list (a tokenized document, e.g. string_split(text, ' '))."""
    if query.type(x).id != "list":
        raise ProgrammingError(
            f"expected an ARRAY (a tokenized document, e.g. string_split(text, ' ')), got {x} of type {query.type(x)}"
        )


def _token_counts(query: Query, x: str) -> dict:
    """How often each element of the LIST expression `x` occurs over the training rows (as text)."""
    _documents(query, x)
    return Counter(str(e) for e in query(f"flatten(list({x}))") or [] if e is not None)


def _token_indices(x: str, vocabulary: list[str]) -> str:
    """The list of each element's 1-based vocabulary position (0: not in it)."""
    values = ", ".join(literal(v) for v in vocabulary) or "NULL"
    return f"[coalesce(list_position([{values}], CAST(e AS VARCHAR)), 0) FOR e IN {x}]"


def _per_index(x: str, stats: dict, value: str) -> str:
    """LIST<STRUCT(index, value)> with one entry per distinct index of `x`'s elements; `value` may use
    {count}, the index's occurrences in the row."""
    indices = _token_indices(x, stats["vocabulary"])
    count = f"len(list_filter({indices}, lambda j: j = i))"
    return (
        f"[struct_pack(index := i, value := {value.format(count=count)}) FOR i IN list_sort(list_distinct({indices}))]"
    )


def _one_hot_fit(query: Query, x: str, drop: str, top_k: int, frequency_threshold: int) -> dict:
    vocabulary = _vocabulary(query, x, top_k, frequency_threshold)
    if drop == "most_frequent" and vocabulary:  # the dropped category is encoded like an unknown one (0)
        counts = query(f"histogram(CAST({x} AS VARCHAR))")
        vocabulary.remove(min(vocabulary, key=lambda v: (-counts[v], v)))
    return {"vocabulary": vocabulary}


def _tf_idf_fit(query: Query, x: str, top_k: int, frequency_threshold: int) -> dict:
    """The vocabulary (as BAG_OF_WORDS) and each index's inverse document frequency ln((1 + n) / (1 + df))
    + 1, index 0 counting the documents with a token outside the vocabulary."""
    _documents(query, x)
    documents = [d for d in query(f"list({x})") or [] if d is not None]
    vocabulary = _frequent(Counter(str(e) for d in documents for e in d if e is not None), top_k, frequency_threshold)
    known = set(vocabulary)
    frequency = Counter()
    for document in documents:
        tokens = {str(e) for e in document if e is not None}
        frequency.update(tokens & known)
        frequency["\x00unknown"] += bool(tokens - known)
    n = len(documents)
    idf = [math.log((1 + n) / (1 + frequency[v])) + 1 for v in ["\x00unknown", *vocabulary]]
    return {"vocabulary": vocabulary, "idf": idf}


def _ngrams(x: str, args: list, stats: dict) -> str:
    (low, high), separator = args
    grams = (
        f"flatten([[array_to_string({x}[j:j + n - 1], {literal(separator)}) FOR j IN range(1, len({x}) - n + 2)] "
        f"FOR n IN range({low}, {high + 1})])"
    )
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE {grams} END"


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


def _is_positive(v) -> str | None:
    return None if _finite(v) and v > 0 else "a finite number > 0"


def _is_ngram_range(v) -> str | None:
    ok = isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v) and 1 <= v[0] <= v[1]
    return None if ok else "[low, high] with 1 <= low <= high"


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


REQUIRED = object()


@dataclass(frozen=True)
class Preprocessor:
    """One ML.<NAME> function: its constant arguments, what it learns from the training rows (statistics
    of an analytic function, called with OVER (); a scalar one may learn its argument's STRUCT fields) and
    the SQL it becomes."""

    params: tuple[Param, ...]
    apply: Callable[[str, list, dict], str]  # (data expression SQL, arguments, learned) -> SQL
    fit: Callable[..., dict] | None = None  # (training rows, data expression SQL, *arguments) -> learned
    analytic: bool = True


PREPROCESSORS: dict[str, Preprocessor] = {
    "IMPUTER": Preprocessor((Param("strategy", REQUIRED, _is_strategy),), _impute, _imputer),
    "STANDARD_SCALER": Preprocessor(
        (),
        lambda x, a, s: f"({_double(x)} - {_number(s['mean'] or 0)}) / {_number(_scale(s['std']))}",
        lambda q, x: {"mean": q(f"avg({_double(x)})"), "std": q(f"stddev_samp({_double(x)})")},
    ),
    "MIN_MAX_SCALER": Preprocessor(
        (),
        lambda x, a, s: (
            f"CASE WHEN {x} IS NULL THEN NULL ELSE least(greatest(({_double(x)} - "
            f"{_number(s['min'] or 0)}) / {_number(_scale(s['range']))}, 0.0), 1.0) END"
        ),
        lambda q, x: {"min": q(f"min({_double(x)})"), "range": q(f"max({_double(x)}) - min({_double(x)})")},
    ),
    "MAX_ABS_SCALER": Preprocessor(
        (),
        lambda x, a, s: f"{_double(x)} / {_number(_scale(s['max_abs']))}",
        lambda q, x: {"max_abs": q(f"max(abs({_double(x)}))")},
    ),
    "ROBUST_SCALER": Preprocessor(
        (
            Param("quantile_range", [25, 75], _is_range),
            Param("with_median", True, _is_bool),
            Param("with_quantile_range", True, _is_bool),
        ),
        lambda x, a, s: f"({_double(x)} - {_number(s['median'] or 0)}) / {_number(s['range'])}",
        _robust_fit,
    ),
    "BUCKETIZE": Preprocessor(
        (Param("split_points", REQUIRED, _is_number_list), Param("exclude_boundaries", False, _is_bool)),
        lambda x, a, s: _buckets(x, sorted(a[0])[1:-1] if a[1] else sorted(a[0])),
        analytic=False,
    ),
    "QUANTILE_BUCKETIZE": Preprocessor(
        (Param("num_buckets", REQUIRED, _int_at_least(2)),),
        lambda x, a, s: _buckets(x, s["split_points"]),
        lambda q, x, n: {"split_points": q(f"quantile_cont({_double(x)}, {[i / n for i in range(1, n)]})") or []},
    ),
    "LABEL_ENCODER": Preprocessor(
        (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0))),
        _label_encode,
        lambda q, x, top_k, threshold: {"vocabulary": _vocabulary(q, x, top_k, threshold)},
    ),
    "HASH_BUCKETIZE": Preprocessor(
        (Param("hash_bucket_size", REQUIRED, _int_at_least(1)),),
        lambda x, a, s: f"CASE WHEN {x} IS NULL THEN NULL ELSE CAST(hash(CAST({x} AS VARCHAR)) % {a[0]} AS BIGINT) END",
        analytic=False,
    ),
    "ONE_HOT_ENCODER": Preprocessor(
        (
            Param("drop", "none", _is_drop),
            Param("top_k", 32000, _int_at_least(1)),
            Param("frequency_threshold", 5, _int_at_least(0)),
        ),
        lambda x, a, s: f"[struct_pack(index := {_label_encode(x, a, s)}, value := CAST(1 AS DOUBLE))]",
        _one_hot_fit,
    ),
    "MULTI_HOT_ENCODER": Preprocessor(
        (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0))),
        lambda x, a, s: (
            f"[struct_pack(index := i, value := CAST(1 AS DOUBLE)) FOR i IN list_sort(list_distinct("
            f"{_token_indices(x, s['vocabulary'])}))]"
        ),
        lambda q, x, top_k, threshold: {"vocabulary": _frequent(_token_counts(q, x), top_k, threshold)},
    ),
    "BAG_OF_WORDS": Preprocessor(
        (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0))),
        lambda x, a, s: _per_index(x, s, "CAST({count} AS DOUBLE)"),
        lambda q, x, top_k, threshold: {"vocabulary": _frequent(_token_counts(q, x), top_k, threshold)},
    ),
    "TF_IDF": Preprocessor(
        (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0))),
        lambda x, a, s: _per_index(x, s, f"{{count}} / len({x}) * [{', '.join(map(repr, s['idf']))}][i + 1]"),
        _tf_idf_fit,
    ),
    "NGRAMS": Preprocessor(
        (Param("range", REQUIRED, _is_ngram_range), Param("separator", " ", _is_string)), _ngrams, analytic=False
    ),
    "NORMALIZER": Preprocessor(
        (Param("p", 2, _is_positive),),
        lambda x, a, s: (
            f"[CAST(e AS DOUBLE) / coalesce(nullif(pow(list_sum([pow(abs(CAST(v AS DOUBLE)), "
            f"{_number(a[0])}) FOR v IN {x}]), 1 / {_number(a[0])}), 0), 1) FOR e IN {x}]"
        ),
        analytic=False,
    ),
    "POLYNOMIAL_EXPAND": Preprocessor(
        (Param("degree", 2, _int_between(1, 4)),),
        _polynomial,
        lambda q, x, degree: {"fields": q.fields(x)},
        analytic=False,
    ),
    "FEATURE_CROSS": Preprocessor(
        (Param("degree", 2, _int_between(2, 4)),), _cross, lambda q, x, degree: {"fields": q.fields(x)}, analytic=False
    ),
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
    return values


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
