"""ML.DESCRIBE_DATA, ML.VALIDATE_DATA_SKEW and ML.VALIDATE_DATA_DRIFT: descriptive statistics of data, and how
far serving data has moved from a model's training data (skew) or from other data (drift), as BigQuery ML
names them.

ML.DESCRIBE_DATA(TABLE t | (query) [, STRUCT(num_quantiles, num_array_length_quantiles, top_k)]): one row per
input column (per field of a STRUCT column, named <column>_<field>), in column order, computed by DuckDB:
`name`, `num_rows`, `num_nulls` (NULL values; NULL arrays), `num_zeros`, `min`, `max` (as strings: a number's
as it is, an integer or decimal exactly; the other numeric statistics are DOUBLE), `mean`,
`stdev` (sample standard deviation), `median`, `quantiles` (the num_quantiles + 1 boundaries at 0, 1/n, ..., 1,
linearly interpolated as numpy.quantile's default), `unique` (distinct values), `avg_string_length`
(characters), `num_values` (non-NULL values; an array's non-NULL elements), `top_values` (the top_k most
frequent values and their `count`, most frequent first, ties: the smaller value first), `min_array_length`,
`max_array_length`, `avg_array_length`, `total_array_length` and `array_length_quantiles` (the
num_array_length_quantiles + 1 boundaries of the lengths, each a length that occurs: numpy's 'inverted_cdf'),
`dimension` (MAX(index) + 1 of a sparse LIST<STRUCT(index, value)>). Numbers (integers, decimals, floats) have
num_zeros to quantiles; categories (strings, bools, dates, times, timestamps, blobs, UUIDs, read as strings)
have min, max, unique, avg_string_length and top_values; an array (a LIST or fixed-size ARRAY) has its
elements' statistics (a sparse vector's values') and the array ones. What does not apply is NULL. Defaults
as BigQuery ML: 2 quantiles, 10 array length quantiles, top_k 1.

ML.VALIDATE_DATA_SKEW(MODEL m, TABLE t | (query) [, STRUCT(...)]) compares the serving rows given with each input's
distribution stored at training (see features.py: the training split's rows, after the model's TRANSFORM if it has
one, whose outputs are then the inputs compared; a warm_start version's own, counted in the bins of the version it
continues). ML.VALIDATE_DATA_DRIFT(TABLE base | (query), TABLE study | (query) [, STRUCT(...,
num_histogram_buckets)]) compares the study rows with the base rows on the columns both have, the base
distributions computed as training computes them (with num_histogram_buckets buckets, 1 to 1,000, default 10; the
base rows are read into memory as training reads its rows, the study rows stream). Both give one row per input (per
part of a TIMESTAMP or STRUCT input, as ML.FEATURE_INFO): `input`, `metric`, `threshold`, `value` and `is_anomaly`
(value > threshold); value and is_anomaly are NULL when a side has nothing to count (no rows; only empty lists).

The distributions (features.distribution) count a number, or each element of a LIST<number> (a sparse
vector's values), in the bins: NULL, below the base min, the equal-width buckets between the base min and max,
above the base max; a category, or each element of a LIST<STRING>, in the bins: NULL, each category of the
base vocabulary (its 1,000 most frequent), any other. With p and q the two sides' frequencies per bin:
- JENSEN_SHANNON_DIVERGENCE: ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, KL(a ‖ b) = Σ a_i log2(a_i / b_i)
  (log base 2, so in [0, 1]);
- L_INFTY: max_i |p_i − q_i|.
Parameters, as BigQuery ML: numerical_metric_type JENSEN_SHANNON_DIVERGENCE (the only one; numbers and lists
of numbers), categorical_metric_type L_INFTY (default) or JENSEN_SHANNON_DIVERGENCE, numerical_default_threshold
and categorical_default_threshold (default 0.3), thresholds [('input', t), ...] for given inputs (a TIMESTAMP or
STRUCT input's threshold applies to each of its parts); every threshold in [0, 1).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine.context import MLContext, batch_rows
from sqlml.engine.data.features import (
    HISTOGRAM_BUCKETS,
    ColumnIndex,
    distribution,
    fit_features,
    leaf_values,
    spec_leaves,
)
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.sqltext.sql_types import sql_message, sql_type
from sqlml.engine.store.model import Model
from sqlml.errors import DataError, NotSupportedError, ProgrammingError
from sqlml.parser import MLFunction

# ML.DESCRIBE_DATA's columns and their DuckDB types
_DESCRIBED = {
    "name": "VARCHAR",
    "num_rows": "BIGINT",
    "num_nulls": "BIGINT",
    "num_zeros": "BIGINT",
    "min": "VARCHAR",
    "max": "VARCHAR",
    "mean": "DOUBLE",
    "stdev": "DOUBLE",
    "median": "DOUBLE",
    "quantiles": "DOUBLE[]",
    "unique": "BIGINT",
    "avg_string_length": "DOUBLE",
    "num_values": "BIGINT",
    "top_values": "STRUCT(value VARCHAR, count BIGINT)[]",
    "min_array_length": "BIGINT",
    "max_array_length": "BIGINT",
    "avg_array_length": "DOUBLE",
    "total_array_length": "BIGINT",
    "array_length_quantiles": "BIGINT[]",
    "dimension": "BIGINT",
}
_NUMBERS = {
    "tinyint",
    "smallint",
    "integer",
    "bigint",
    "hugeint",
    "utinyint",
    "usmallint",
    "uinteger",
    "ubigint",
    "uhugeint",
    "float",
    "double",
    "decimal",
}
_CATEGORIES = {
    "varchar",
    "boolean",
    "date",
    "time",
    "time with time zone",
    "timestamp",
    "timestamp_s",
    "timestamp_ms",
    "timestamp_ns",
    "timestamp with time zone",
    "blob",
    "uuid",
    "enum",
}
_DATA = "__sqlml_described"

_FAMILIES = ("numerical", "categorical")  # of inputs, as the metric types name them


def _aggregates(aggregates: dict[str, str]) -> str:
    """SELECT list of {output name: aggregate}."""
    return ", ".join(f"{aggregate} AS {quote_identifier(name)}" for name, aggregate in aggregates.items())


def _fractions(n: int) -> str:
    """The SQL list 0, 1/n, ..., 1."""
    return "[" + ", ".join(repr(i / n) for i in range(n + 1)) + "]::DOUBLE[]"


def _family(call: MLFunction, name: str, dtype) -> str:
    """'numeric' or 'categorical' for a DuckDB type; NotSupportedError for anything else."""
    if dtype.id in _NUMBERS:
        return "numeric"
    if dtype.id in _CATEGORIES:
        return "categorical"
    raise NotSupportedError(
        f"ML.{call.function} cannot describe column '{name}' of type {sql_type(dtype)}: it takes "
        "numbers, strings, bools, dates, times, timestamps, blobs, STRUCTs and arrays of those"
    )


def _column_stats(call: MLFunction, name: str, expression: str, dtype, params: dict) -> str:
    """The SELECT of one ML.DESCRIBE_DATA row: aggregates over the rows (r), the values or array elements (e)
    and the most frequent values (t) of `expression`."""
    array = dtype.id in ("list", "array")  # a fixed-size ARRAY as a LIST
    item = dtype.children[0][1] if array else dtype
    sparse = array and item.id == "struct" and sorted(n for n, _ in item.children) == ["index", "value"]
    family = _family(call, name, dict(item.children)["value"] if sparse else item)
    cast = "DOUBLE" if family == "numeric" else "VARCHAR"
    rows = f"SELECT {expression} AS x FROM {_DATA}"
    if not array:
        elements = f"SELECT CAST(x AS {cast}) AS v, x AS o FROM ({rows})"
    elif sparse:
        elements = (
            f"SELECT CAST(struct_extract(u, 'value') AS {cast}) AS v, struct_extract(u, 'value') AS o, "
            f"struct_extract(u, 'index') AS i FROM (SELECT unnest(x) AS u FROM ({rows}))"
        )
    else:
        elements = f"SELECT CAST(u AS {cast}) AS v, u AS o FROM (SELECT unnest(x) AS u FROM ({rows}))"
    over_rows = {"num_rows": "count(*)", "num_nulls": "count(*) - count(x)"}
    over_elements = {"num_values": "count(v)", "min": "min(v)", "max": "max(v)"}
    if family == "numeric":  # min and max of the values as they are (an integer or decimal exactly), the rest DOUBLE
        over_elements |= {
            "min": "min(o)",
            "max": "max(o)",
            "num_zeros": "count_if(v = 0)",
            "mean": "avg(v)",
            "stdev": "stddev_samp(v)",
            "median": "quantile_cont(v, 0.5)",
            "quantiles": f"quantile_cont(v, {_fractions(params['num_quantiles'])})",
        }
    else:
        over_elements |= {"unique": "count(DISTINCT v)", "avg_string_length": "avg(length(v))"}
    if array:
        over_rows |= {
            "min_array_length": "min(len(x))",
            "max_array_length": "max(len(x))",
            "avg_array_length": "avg(len(x))",
            "total_array_length": "sum(len(x))",
            "array_length_quantiles": f"quantile_disc(len(x), {_fractions(params['num_array_length_quantiles'])})",
        }
    if sparse:
        over_elements["dimension"] = "max(i) + 1"
    sources = [
        f"(SELECT {_aggregates(over_rows)} FROM ({rows})) r",
        f"(SELECT {_aggregates(over_elements)} FROM ({elements})) e",
    ]
    found = {
        "name": literal(name),
        **{f: f"r.{quote_identifier(f)}" for f in over_rows},
        **{f: f"e.{quote_identifier(f)}" for f in over_elements},
    }
    if family == "categorical":
        sources.append(
            f"(SELECT list({{'value': v, 'count': n}} ORDER BY n DESC, v) AS top_values FROM "
            f"(SELECT v, count(*) AS n FROM ({elements}) WHERE v IS NOT NULL GROUP BY v "
            f"ORDER BY n DESC, v LIMIT {params['top_k']})) t"
        )
        found["top_values"] = "t.top_values"
    columns = ", ".join(f"CAST({found.get(f, 'NULL')} AS {t}) AS {quote_identifier(f)}" for f, t in _DESCRIBED.items())
    return f"SELECT {columns} FROM {', '.join(sources)}"


def describe_data(ctx: MLContext, call: MLFunction, model: None, params: dict) -> str:
    query = ctx.plan(ctx.input_query(call))[0]
    relation = ctx.relation(query)  # bound, not run: its columns and types
    described = []
    for name, dtype in zip(relation.columns, relation.types):
        fields = dtype.children if dtype.id == "struct" else [(None, dtype)]
        for field, field_type in fields:
            expression = (
                quote_identifier(name)
                if field is None
                else f"struct_extract({quote_identifier(name)}, {literal(field)})"
            )
            described.append(
                _column_stats(call, name if field is None else f"{name}_{field}", expression, field_type, params)
            )
    rows = " UNION ALL ".join(f"SELECT {i} AS __position, * FROM ({sql})" for i, sql in enumerate(described))
    return f"WITH {_DATA} AS MATERIALIZED ({query}) SELECT * EXCLUDE (__position) FROM ({rows}) ORDER BY __position"


# -- skew and drift ----------------------------------------------------------------------------------------------


def _family_of(leaf: dict) -> str:
    return "categorical" if leaf["kind"] in ("categorical", "multi_hot") else "numerical"


def _fraction(call: MLFunction, what: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ProgrammingError(f"ML.{call.function}: {what} must be a number in [0, 1), got {value!r}")
    return float(value)


def _rules(call: MLFunction, params: dict, specs: list[dict], unknown: str) -> dict:
    """{'metric': {family: metric}, 'default': {family: threshold}, 'given': {input name (lower case): threshold}}
    from the parameters, `specs` being the inputs compared (`unknown` tells a thresholds entry naming another)."""
    metric = {family: params[f"{family}_metric_type"] for family in _FAMILIES}
    default = {family: params[f"{family}_default_threshold"] for family in _FAMILIES}
    inputs = {spec["name"].lower() for spec in specs} | {
        leaf["name"].lower() for spec in specs for leaf in spec_leaves(spec)
    }
    given = {}
    for entry in params.get("thresholds", []):
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)):
            raise ProgrammingError(
                f"ML.{call.function} parameter thresholds must be a list of ('input', threshold) "
                f"pairs, e.g. [('x1', 0.2)]; got the entry {entry!r}"
            )
        if entry[0].lower() not in inputs:
            raise ProgrammingError(
                f"ML.{call.function} parameter thresholds names '{entry[0]}', {unknown}; "
                f"inputs: {', '.join(spec['name'] for spec in specs)}"
            )
        given[entry[0].lower()] = _fraction(call, f"the threshold of '{entry[0]}'", entry[1])
    return {"metric": metric, "default": default, "given": given}


def _counts(call: MLFunction, specs: list[dict], reader: pa.RecordBatchReader, mapping: dict[str, str]) -> list:
    """Each leaf's counts of the rows `reader` streams, in the bins of its stored distribution."""
    totals = [np.zeros(len(leaf["distribution"]), dtype=np.int64) for spec in specs for leaf in spec_leaves(spec)]
    for batch in reader:
        position = 0
        for spec in specs:
            try:
                for leaf, values in leaf_values(spec, batch.column(mapping[spec["name"]])):
                    totals[position] += distribution(leaf, values)
                    position += 1
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataError(
                    f"ML.{call.function}: column '{mapping[spec['name']]}' cannot be read as the "
                    f"{sql_type(spec['type'])} input '{spec['name']}': {sql_message(exc)}"
                ) from None
            except DataError as exc:  # NaN or infinite values
                raise DataError(f"ML.{call.function}: {exc}") from None
    return totals


def _jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """The Jensen-Shannon divergence, log base 2, of two frequency vectors."""
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:  # KL(a || m) over the bins where a > 0 (then m > 0 too)
        seen = a > 0
        return float(np.sum(a[seen] * np.log2(a[seen] / m[seen])))

    return max(0.0, 0.5 * kl(p) + 0.5 * kl(q))  # not below 0 by rounding


def _report(specs: list[dict], study: list[np.ndarray], rules: dict) -> pa.Table:
    """One row per leaf: the distance between its stored (base) distribution and `study`'s counts."""
    inputs, metrics, thresholds, values = [], [], [], []
    leaves = [(spec, leaf) for spec in specs for leaf in spec_leaves(spec)]
    for (spec, leaf), counts in zip(leaves, study):
        base, family = np.asarray(leaf["distribution"], dtype=np.float64), _family_of(leaf)
        metric = rules["metric"][family]
        given = rules["given"]
        value = None
        if base.sum() > 0 and counts.sum() > 0:
            p, q = base / base.sum(), counts / counts.sum()
            value = _jensen_shannon(p, q) if metric == "JENSEN_SHANNON_DIVERGENCE" else float(np.abs(p - q).max())
        inputs.append(leaf["name"])
        metrics.append(metric)
        thresholds.append(given.get(leaf["name"].lower(), given.get(spec["name"].lower(), rules["default"][family])))
        values.append(value)
    value_column, threshold_column = pa.array(values, pa.float64()), pa.array(thresholds, pa.float64())
    return pa.table(
        {
            "input": pa.array(inputs, pa.string()),
            "metric": pa.array(metrics, pa.string()),
            "threshold": threshold_column,
            "value": value_column,
            "is_anomaly": pc.greater(value_column, threshold_column),
        }
    )


def validate_data_skew(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    name = f"model {model.version.qualified_name}"
    specs = model.encoder.specs
    if any("distribution" not in leaf for spec in specs for leaf in spec_leaves(spec)):
        raise ProgrammingError(
            f"ML.VALIDATE_DATA_SKEW: {name} version {model.version.version} was trained before "
            "sqlml kept the distributions of training data; retrain it (CREATE OR REPLACE MODEL)"
        )
    rules = _rules(call, params, specs, f"which {name} does not have")
    reader = ctx.open_input(call, model)
    return _report(specs, _counts(call, specs, reader, model.resolve(reader.schema.names)), rules)


def validate_data_drift(ctx: MLContext, call: MLFunction, model: None, params: dict) -> pa.Table:
    buckets = params.get("num_histogram_buckets", HISTOGRAM_BUCKETS)
    base = ctx.read_table(ctx.input_query(call))
    reader = ctx.run_input(ctx.input_query(call, second=True), batch_rows(base.num_columns))
    study = ColumnIndex(reader.schema.names)
    mapping = {c: found for c in base.column_names if (found := study.find(c)) is not None}
    if not mapping:
        raise ProgrammingError(
            f"ML.VALIDATE_DATA_DRIFT: the base and study inputs have no column in common (base: "
            f"{', '.join(base.column_names)}; study: {', '.join(reader.schema.names)})"
        )
    try:
        specs = fit_features(base, list(mapping), buckets)
    except (NotSupportedError, DataError) as exc:  # a type it cannot compare; NaN or infinite values
        raise type(exc)(f"ML.VALIDATE_DATA_DRIFT: {exc}") from None
    rules = _rules(call, params, specs, "which is not a column of both inputs")
    return _report(specs, _counts(call, specs, reader, mapping), rules)
