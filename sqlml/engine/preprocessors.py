"""The BigQuery ML preprocessing functions of TRANSFORM, as SQL: one table from name to preprocessor.

An analytic preprocessor (called with OVER()) learns statistics from the training rows (`fit` runs
aggregate queries) and `apply` writes the expression with those statistics as literals; a scalar one only
has `apply`. Every output is a plain DuckDB expression, so DuckDB computes it for any input.
Departures from BigQuery ML, which computes approximate quantiles: quantiles here are exact and
interpolated (DuckDB's quantile_cont, numpy's default, scikit-learn's RobustScaler and quantile binning);
ML.HASH_BUCKETIZE hashes with DuckDB's hash(), not FARM_FINGERPRINT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from sqlml.engine.params import literal
from sqlml.errors import DataError, NotSupportedError, ProgrammingError

Query = Callable[[str], Any]  # runs `SELECT <aggregate> FROM <training rows>` and returns the value


def _number(value: float) -> str:
    return f"({float(value)!r})"


def _double(x: str) -> str:
    return f"CAST({x} AS DOUBLE)"


def _scale(value, fallback: float = 1.0) -> float:
    """A divisor: a zero or NULL statistic (a constant or empty column) divides by `fallback`."""
    return float(value) if value else fallback


def _vocabulary(query: Query, x: str, top_k: int, frequency_threshold: int) -> list[str]:
    """The categories seen at least frequency_threshold times, the top_k most frequent of them (ties: the
    smaller value first), sorted."""
    counts = query(f"histogram(CAST({x} AS VARCHAR))") or {}
    kept = sorted((v for v, n in counts.items() if n >= frequency_threshold), key=lambda v: (-counts[v], v))
    return sorted(kept[:top_k])


def _buckets(x: str, split_points: list[float]) -> str:
    """'bin_<n>': n is 1 plus the number of split points <= x; NULL stays NULL."""
    above = " + ".join(f"CAST({_double(x)} >= {_number(p)} AS INTEGER)" for p in split_points) or "0"
    return f"CASE WHEN {x} IS NULL THEN NULL ELSE 'bin_' || CAST(1 + {above} AS VARCHAR) END"


def _imputer(query: Query, x: str, strategy: str) -> dict:
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
    return {"median": q[0] if with_median else 0.0, "range": _scale(q[2] - q[1]) if with_quantile_range and
            q[0] is not None else 1.0}


def _label_encode(x: str, args: list, stats: dict) -> str:
    vocabulary = stats["vocabulary"]
    if not vocabulary:
        return "CAST(0 AS BIGINT)"
    values = ", ".join(literal(v) for v in vocabulary)
    return f"CAST(coalesce(list_position([{values}], CAST({x} AS VARCHAR)), 0) AS BIGINT)"


def _int_at_least(low: int):
    return lambda v: None if isinstance(v, int) and not isinstance(v, bool) and v >= low else f"an integer >= {low}"


def _is_bool(v) -> str | None:
    return None if isinstance(v, bool) else "TRUE or FALSE"


def _is_number_list(v) -> str | None:
    ok = isinstance(v, list) and v and all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in v)
    return None if ok else "a non-empty array of numbers"


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
    """One ML.<NAME> function: its constant arguments, its statistics (analytic functions only: called
    with OVER()) and the SQL it becomes."""

    params: tuple[Param, ...]
    apply: Callable[[str, list, dict], str]  # (data expression SQL, arguments, statistics) -> SQL
    fit: Callable[..., dict] | None = None  # (query, data expression SQL, *arguments) -> statistics

    @property
    def analytic(self) -> bool:
        return self.fit is not None


PREPROCESSORS: dict[str, Preprocessor] = {
    "IMPUTER": Preprocessor((Param("strategy", REQUIRED, _is_strategy),), _impute, _imputer),
    "STANDARD_SCALER": Preprocessor(
        (), lambda x, a, s: f"({_double(x)} - {_number(s['mean'] or 0)}) / {_number(_scale(s['std']))}",
        lambda q, x: {"mean": q(f"avg({_double(x)})"), "std": q(f"stddev_samp({_double(x)})")}),
    "MIN_MAX_SCALER": Preprocessor(
        (), lambda x, a, s: f"CASE WHEN {x} IS NULL THEN NULL ELSE least(greatest(({_double(x)} - "
                            f"{_number(s['min'] or 0)}) / {_number(_scale(s['range']))}, 0.0), 1.0) END",
        lambda q, x: {"min": q(f"min({_double(x)})"), "range": q(f"max({_double(x)}) - min({_double(x)})")}),
    "MAX_ABS_SCALER": Preprocessor(
        (), lambda x, a, s: f"{_double(x)} / {_number(_scale(s['max_abs']))}",
        lambda q, x: {"max_abs": q(f"max(abs({_double(x)}))")}),
    "ROBUST_SCALER": Preprocessor(
        (Param("quantile_range", [25, 75], _is_range), Param("with_median", True, _is_bool),
         Param("with_quantile_range", True, _is_bool)),
        lambda x, a, s: f"({_double(x)} - {_number(s['median'] or 0)}) / {_number(s['range'])}", _robust_fit),
    "BUCKETIZE": Preprocessor(
        (Param("split_points", REQUIRED, _is_number_list), Param("exclude_boundaries", False, _is_bool)),
        lambda x, a, s: _buckets(x, sorted(a[0])[1:-1] if a[1] else sorted(a[0]))),
    "QUANTILE_BUCKETIZE": Preprocessor(
        (Param("num_buckets", REQUIRED, _int_at_least(2)),), lambda x, a, s: _buckets(x, s["split_points"]),
        lambda q, x, n: {"split_points": q(f"quantile_cont({_double(x)}, {[i / n for i in range(1, n)]})") or []}),
    "LABEL_ENCODER": Preprocessor(
        (Param("top_k", 32000, _int_at_least(1)), Param("frequency_threshold", 5, _int_at_least(0))), _label_encode,
        lambda q, x, top_k, threshold: {"vocabulary": _vocabulary(q, x, top_k, threshold)}),
    "HASH_BUCKETIZE": Preprocessor(
        (Param("hash_bucket_size", REQUIRED, _int_at_least(1)),),
        lambda x, a, s: f"CAST(hash(CAST({x} AS VARCHAR)) % {a[0]} AS BIGINT)"),
}

NOT_YET = ("NORMALIZER", "POLYNOMIAL_EXPAND", "FEATURE_CROSS", "ONE_HOT_ENCODER", "MULTI_HOT_ENCODER", "NGRAMS",
           "BAG_OF_WORDS", "TF_IDF")


def preprocessor(name: str) -> Preprocessor:
    """The preprocessor ML.<name>; a clear error for the ones sqlml lacks."""
    supported = ", ".join(f"ML.{n}" for n in PREPROCESSORS)
    if name in NOT_YET:
        raise NotSupportedError(f"ML.{name} in TRANSFORM is not supported yet; supported: {supported}")
    if name not in PREPROCESSORS:
        raise ProgrammingError(f"unknown preprocessing function ML.{name} in TRANSFORM; supported: {supported}")
    return PREPROCESSORS[name]


def arguments(name: str, given: list) -> list:
    """The constant arguments of ML.<name>, defaults filled in and each checked."""
    params = preprocessor(name).params
    if len(given) > len(params):
        raise ProgrammingError(f"ML.{name} takes at most {len(params) + 1} arguments, got {len(given) + 1}")
    values = given + [p.default for p in params[len(given):]]
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
                raise DataError(f"ML.{name}: its {key} on the training rows is {number}; filter NaN/inf values "
                                "out of its argument first")
    return stats
