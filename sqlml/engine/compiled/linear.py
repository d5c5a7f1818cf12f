"""ML.PREDICT of linear_reg / logistic_reg / pca compiled to one DuckDB SQL query (no Python per row).

The preprocessing folds into the weights at compile time, so each score is one dot product per row: a
standardized numeric feature contributes (w / std) * coalesce(x, mean), its share of -w * mean / std joining
the intercept; a one-hot category contributes its weight through a CASE. The query is kept small, as DuckDB
plans it on every statement (its planning is most of a small statement's time): scores, then (classifiers) the
probability or the softmax, then the BigQuery ML output columns, each level adding only its own columns. A NaN
or infinite feature value makes the first score non-finite, so one check of that score per row raises the
streaming path's DataError (naming the column, found only on such a row). The query's own columns carry a
prefix no input column starts with (`internal_prefix`); its size and DuckDB's planning time grow linearly
with the feature count. Values match the streaming path (engine/functions/predict.py) to floating-point rounding.
`compile_predict` returns None when the input cannot be scored identically this way (a feature whose input
column is not of a plain numeric, string, bool or date type, or a timestamp feature): such input streams
through Python instead. A model keeps the SQL compiled for each input it saw (`cached`).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable

import duckdb

from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store.model import Model

DATA_ERROR_MARKER = "sqlml.DataError: "  # error() messages carrying it are re-raised as sqlml.DataError

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)
_CATEGORICAL = ("VARCHAR", "BOOLEAN", "DATE")
_LABEL_TYPES = {
    "string": "VARCHAR",
    "large_string": "VARCHAR",
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "uint8": "UTINYINT",
    "uint16": "USMALLINT",
    "uint32": "UINTEGER",
    "uint64": "UBIGINT",
}
COMPILED_PER_MODEL = 64  # inputs whose SQL a model keeps (`cached`)

_PREFIXED = re.compile(r"__sqlml(\d*)_")


def internal_prefix(columns: Iterable[str]) -> str:
    """A prefix that no name of `columns` starts with (case-insensitively): `__sqlml_`, else `__sqlml1_`,
    `__sqlml2_`, ...; the compiled query's own columns and aliases carry it, so none clashes with an input's."""
    taken = {match.group(1) for name in columns if (match := _PREFIXED.match(name.lower()))}
    return next(f"__sqlml{n or ''}_" for n in itertools.count() if (str(n) if n else "") not in taken)


def number(value: float) -> str:
    """A DOUBLE literal of exactly `value` (scientific notation: DuckDB reads no DECIMAL that it must cast)."""
    text = repr(float(value))
    text = text if "e" in text else text + "e0"
    return f"({text})" if text.startswith("-") else text


def balanced_sum(terms: list[str]) -> str:
    """`terms` added as a balanced tree: expression depth log2(n), within DuckDB's parser limit even
    for thousands of features (and DuckDB binds a deep chain of additions in quadratic time)."""
    if len(terms) == 1:
        return terms[0]
    middle = len(terms) // 2
    return f"({balanced_sum(terms[:middle])} + {balanced_sum(terms[middle:])})"


def numeric_term(value: str, weight: float, spec: dict, affine: tuple[float, float]) -> tuple[str, float]:
    """(expression, constant) of `weight` times one encoded numeric feature (a * imputed value + b); `value`
    is the feature's DOUBLE input (`compilable_features`)."""
    a, b = affine
    return f"{number(weight * a)} * coalesce({value}, {number(spec['mean'])})", weight * b


def finite_check(model: Model, score: str, floats: dict[str, str], prefix: str) -> str:
    """`score` (a column), or an error naming the first NaN/inf column of `floats` (feature -> quoted column),
    found by position in one list of them (a lambda: one expression to plan, however many columns); a
    non-finite score from finite values overflowed."""
    names = ", ".join(map(literal, floats))
    finite = f"list_transform([{', '.join(floats.values())}], lambda {prefix}v: isfinite({prefix}v))"
    column = (
        f"{literal(DATA_ERROR_MARKER + 'column ' + chr(39))} || [{names}][list_position({finite}, false)] || "
        + literal(
            "' has NaN or infinite value(s); replace or filter them (NULL is the missing value, imputed "
            "with the training mean)"
        )
    )
    overflow = literal(
        f"{DATA_ERROR_MARKER}the scores of model {model.version.qualified_name} overflow double "
        "precision: input values are too large in magnitude; rescale or filter them"
    )
    return f"CASE WHEN isfinite({score}) THEN {score} ELSE error(coalesce({column}, {overflow})) END"


def categorical_term(column: str, weights: list[float], spec: dict) -> str:
    """One one-hot encoded feature's share of a score: the weight of its category, 0 if unseen (`column`: a
    VARCHAR, or the input column cast to one)."""
    cases = " ".join(f"WHEN {literal(value)} THEN {number(w)}" for value, w in zip(spec["vocabulary"], weights))
    known = f"CASE {column} {cases} ELSE 0.0 END" if cases else "0.0"
    if not spec["has_null"]:  # NULL matches no category
        return known
    return f"(CASE WHEN {column} IS NULL THEN {number(weights[-1])} ELSE {known} END)"


def compilable_features(model: Model, columns: dict[str, str], types: dict[str, str]) -> list[tuple] | None:
    """(spec, input value, width in the encoded matrix) per feature, the value a DOUBLE (numeric) or VARCHAR
    (categorical) expression of the quoted input column; None if some feature's input type cannot be
    encoded in SQL exactly as the streaming path encodes it."""
    features = []
    for spec in model.encoder.specs:
        column, duck_type = quote_identifier(columns[spec["name"]]), types[spec["name"]]
        if spec["kind"] == "numeric" and duck_type.startswith(_NUMERIC):
            features.append((spec, column if duck_type == "DOUBLE" else f"CAST({column} AS DOUBLE)", 1))
        elif (
            spec["kind"] == "categorical"
            and duck_type in _CATEGORICAL
            and spec["type"].split("[")[0] in ("string", "large_string", "bool", "date32")
        ):
            features.append(
                (
                    spec,
                    column if duck_type == "VARCHAR" else f"CAST({column} AS VARCHAR)",
                    len(spec["vocabulary"]) + spec["has_null"],
                )
            )
        else:
            return None
    return features


def linear_scores(model: Model, features: list[tuple], coef, intercept) -> list[str]:
    """One SQL expression per row of `coef`: the encoded features times it, plus `intercept`."""
    expressions = []
    for weights, constant in zip(coef, intercept):
        terms, constant, position = [], float(constant), 0
        for spec, value, width in features:
            if spec["kind"] == "numeric":
                term, shift = numeric_term(value, weights[position], spec, model.encoder.affine(spec))
                constant += shift
            else:
                term = categorical_term(value, list(weights[position : position + width]), spec)
            terms.append(term)
            position += width
        expressions.append(balanced_sum([number(constant), *terms]))
    return expressions


def _class_literal(model: Model, index: int) -> str:
    return f"CAST({literal(model.version.classes[index])} AS {_LABEL_TYPES[model.version.label_type]})"


def input_features(model: Model, relation: duckdb.DuckDBPyRelation, mapping: dict[str, str]):
    """(compilable_features, {feature: quoted FLOAT/DOUBLE input column}) of an input relation; the first
    is None when the input cannot be compiled."""
    types = dict(zip(relation.columns, (str(t) for t in relation.types)))
    features = compilable_features(model, mapping, {name: types[column] for name, column in mapping.items()})
    floats = {
        name: quote_identifier(column) for name, column in mapping.items() if types[column] in ("FLOAT", "DOUBLE")
    }
    return features, floats


def scored_source(input_sql: str, scores: list[str], prefix: str) -> str:
    """A subquery: the input plus <prefix>s<j> := scores[j]."""
    named = ", ".join(f"{s} AS {prefix}s{j}" for j, s in enumerate(scores))
    return f"(SELECT *, {named} FROM ({input_sql}) AS {prefix}input)"


def checked_source(model: Model, source: str, floats: dict[str, str], prefix: str) -> str:
    """`source` (scored_source's) with its first score checked finite when the input has float columns (a
    NaN or infinite value raises the DataError naming the column)."""
    if not floats:
        return source
    first = f"{prefix}s0"
    return f"(SELECT * EXCLUDE ({first}), {finite_check(model, first, floats, prefix)} AS {first} FROM {source})"


def cached(compile_predict: Callable) -> Callable:
    """`compile_predict` keeping its SQL on the model (a version's Model lives in the ModelCache), by input
    text, input columns and types, and threshold: a repeated statement skips compiling."""

    @functools.wraps(compile_predict)
    def compile_once(
        model: Model,
        input_sql: str,
        relation: duckdb.DuckDBPyRelation,
        mapping: dict[str, str],
        threshold: float | None,
    ) -> str | None:
        key = (input_sql, tuple(relation.columns), tuple(map(str, relation.types)), threshold)
        if key not in model.compiled:
            if len(model.compiled) >= COMPILED_PER_MODEL:
                model.compiled.clear()
            model.compiled[key] = compile_predict(model, input_sql, relation, mapping, threshold)
        return model.compiled[key]

    return compile_once


def _probabilities(model: Model, source: str, scores: int, checked: str, p: str) -> tuple[str, list[str]]:
    """(subquery, probability columns) of a classifier: a sigmoid of the one score (as the streaming path
    computes it: 1 / (1 + exp(-s)), 0 or 1 where exp overflows), else a softmax shifted by the largest score."""
    if scores == 1:
        return f"(SELECT * EXCLUDE ({p}s0), 1 / (1 + exp(-({checked}))) AS {p}p1 FROM {source})", [
            f"1 - {p}p1",
            f"{p}p1",
        ]
    s = [f"{p}s{j}" for j in range(scores)]
    top = f"greatest({', '.join(s)})"
    exps = f"SELECT * EXCLUDE ({', '.join(s)}), {', '.join(f'exp({sj} - {top}) AS {p}e{j}' for j, sj in enumerate(s))}"
    total = " + ".join(f"{p}e{j}" for j in range(scores))
    divided = ", ".join(f"{p}e{j} / ({total}) AS {p}p{j}" for j in range(scores))
    excluded = ", ".join(f"{p}e{j}" for j in range(scores))
    return (
        f"(SELECT * EXCLUDE ({excluded}), {divided} FROM ({exps} FROM {source}))",
        [f"{p}p{j}" for j in range(scores)],
    )


@cached
def compile_predict(
    model: Model, input_sql: str, relation: duckdb.DuckDBPyRelation, mapping: dict[str, str], threshold: float | None
) -> str | None:
    """The SQL of ML.PREDICT over `input_sql` (whose bound `relation` gives column types), or None."""
    if model.is_classifier and model.version.label_type not in _LABEL_TYPES:
        return None
    features, floats = input_features(model, relation, mapping)
    if features is None:
        return None
    p = internal_prefix(relation.columns)
    scores = linear_scores(model, features, model.estimator.coef, model.estimator.intercept)
    source = scored_source(input_sql, scores, p)
    s = [f"{p}s{j}" for j in range(len(scores))]
    checked = finite_check(model, s[0], floats, p) if floats else s[0]
    if model.family.reduces_dimensions:
        components = ", ".join(f"{checked if j == 0 else sj} AS principal_component_{j + 1}" for j, sj in enumerate(s))
        return f"SELECT {components}, * EXCLUDE ({', '.join(s)}) FROM {source}"
    label = model.version.label
    if not model.is_classifier:
        return f"SELECT {checked} AS {quote_identifier('predicted_' + label)}, * EXCLUDE ({s[0]}) FROM {source}"
    if len(scores) > 1:
        source, checked = checked_source(model, source, floats, p), s[0]
    source, probabilities = _probabilities(model, source, len(scores), checked, p)
    k = len(model.version.classes)
    if k == 2:
        predicted = (
            f"CASE WHEN {probabilities[1]} > {number(threshold)} THEN {_class_literal(model, 1)} "
            f"ELSE {_class_literal(model, 0)} END"
        )
    else:
        listed = ", ".join(probabilities)
        predicted = (
            f"[{', '.join(_class_literal(model, j) for j in range(k))}][list_position([{listed}], greatest({listed}))]"
        )
    probs = ", ".join(
        f"struct_pack(label := {_class_literal(model, j)}, prob := {pj})" for j, pj in enumerate(probabilities)
    )
    internal = ", ".join(pj for pj in probabilities if pj.startswith(p))
    return (
        f"SELECT {predicted} AS {quote_identifier('predicted_' + label)}, "
        f"[{probs}] AS {quote_identifier('predicted_' + label + '_probs')}, * EXCLUDE ({internal}) FROM {source}"
    )
